#!/usr/bin/env bash
# Pin the kiosk's run-time Python packages: install the project (no test extras) into a scratch
# venv with Debian's python3 and write every package's exact version to requirements-lock.txt.
# build-deb.sh installs exactly these versions, so two builds of one commit ship the same code.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
/usr/bin/python3 -m venv "$scratch/venv"
"$scratch/venv/bin/pip" install -q --progress-bar off "$(dirname "$here")"
{
  echo "# The kiosk's run-time Python packages at the exact versions the .deb ships (installer/build-deb.sh)."
  echo "# Regenerate after changing pyproject.toml's dependencies: bash installer/lock-requirements.sh"
  "$scratch/venv/bin/pip" freeze --exclude kiosk
} > "$here/requirements-lock.txt"
echo "wrote $here/requirements-lock.txt"

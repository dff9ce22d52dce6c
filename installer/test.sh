#!/usr/bin/env bash
# Run the whole test suite on a fresh Debian 12 machine: installs what is missing
# (apt packages, virtualenv, the project), lints, then runs pytest on a virtual display.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
"$here/install.sh"
venv="${KIOSK_VENV:-$repo/.venv}"
cd "$repo"
echo "[test] ruff"
"$venv/bin/ruff" check .
echo "[test] pytest"
export QT_QPA_PLATFORM=offscreen
exec xvfb-run -a -s "-screen 0 1920x1080x24" "$venv/bin/python" -m pytest -p no:cacheprovider "$@"

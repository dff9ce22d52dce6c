#!/usr/bin/env bash
# Run the whole test suite on a fresh Debian 12 machine: installs what is missing
# (apt packages, virtualenv, the project), lints, then runs pytest on a virtual display.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
"$here/install.sh"
venv="${KIOSK_VENV:-$repo/.venv}"
cd "$repo"
# The versions that decide whether the daemons behave, so a failure can be matched to one.
echo "[test] versions:"
for pkg in cups-daemon pcscd vsmartcard-vpcd python3 chromium prometheus cage; do
  printf '[test]   %-16s %s\n' "$pkg" "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo missing)"
done
printf '[test]   %-16s %s\n' PySide6 "$("$venv/bin/python" -c 'import PySide6; print(PySide6.__version__)')"
echo "[test] ruff"
"$venv/bin/ruff" check .
echo "[test] pytest"
export QT_QPA_PLATFORM=offscreen
set +e
xvfb-run -a -s "-screen 0 1920x1080x24" "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
rc=$?
set -e
[ "$rc" -eq 0 ] || exit "$rc"
# The package built and installed into a fresh Debian 12 root (~3 min with warm caches): after a
# whole-suite run, as root; KIOSK_FRESH_ROOT=0 skips it, naming test files skips it too.
fresh=${KIOSK_FRESH_ROOT:-1}
for arg in "$@"; do case "$arg" in -*) ;; *) fresh=0 ;; esac; done
if [ "$fresh" = 1 ] && [ "$(id -u)" -eq 0 ]; then
  echo "[test] fresh-root install test (installer/fresh-root-test.sh)"
  nice bash "$here/fresh-root-test.sh"
elif [ "$fresh" = 1 ]; then
  echo "[test] fresh-root install test skipped: it needs root (chroot)"
fi

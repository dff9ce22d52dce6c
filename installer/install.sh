#!/usr/bin/env bash
# Install everything the kiosk needs on Debian 12: apt packages, a virtualenv, the project.
# Idempotent: a second run only checks. Usage: installer/install.sh [--demo] [--no-apt]
#   --demo   start the kiosk demo when the install is done
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
venv="${KIOSK_VENV:-$repo/.venv}"

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

want_apt=1
start_demo=0
for arg in "$@"; do
  case "$arg" in
    --no-apt) want_apt=0 ;;
    --demo) start_demo=1 ;;
    *) echo "usage: installer/install.sh [--demo] [--no-apt]" >&2; exit 2 ;;
  esac
done

if [ "$want_apt" = 1 ]; then
  mapfile -t pkgs < <(grep -v '^\s*#' "$here/apt-packages.txt" | grep -v '^\s*$')
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "[install] apt packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 update -q
    "${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# Debian's own python3 (3.11 on Debian 12), never a user's pyenv shim.
py=/usr/bin/python3
[ -x "$py" ] || py="$(command -v python3)"
stamp="$venv/.kiosk-installed"
if [ ! -x "$venv/bin/python" ]; then
  echo "[install] virtualenv at $venv"
  "$py" -m venv "$venv"
fi
if [ ! -f "$stamp" ] || [ "$repo/pyproject.toml" -nt "$stamp" ]; then
  echo "[install] python packages"
  "$venv/bin/python" -m pip install -q --upgrade pip
  "$venv/bin/python" -m pip install -q -e "$repo[test]"
  touch "$stamp"
fi
echo "[install] ready: $venv/bin/kiosk"

if [ "$start_demo" = 1 ]; then
  if [ -n "${DISPLAY:-}" ] || [ -n "${WAYLAND_DISPLAY:-}" ]; then
    exec "$venv/bin/kiosk" demo --windowed
  fi
  echo "[install] no display found: starting the demo on a virtual display (xvfb-run)."
  echo "[install] to see every screen without a display: $venv/bin/kiosk screenshots --out /tmp/kiosk-shots"
  exec xvfb-run -a -s "-screen 0 1920x1080x24" "$venv/bin/kiosk" demo
fi

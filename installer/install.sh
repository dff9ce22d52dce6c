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

# Run a long step, showing only the lines that match $1 (one per package or stage); on failure,
# show the step's last lines. Returns the step's own exit code.
step() {
  local pattern=$1 log rc
  shift
  log=$(mktemp)
  set +e
  "$@" 2>&1 | tee "$log" | { grep -E --line-buffered "$pattern" | sed -u 's/^/[install]   /'; true; }
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "[install] failed (exit $rc); its last lines:" >&2
    tail -30 "$log" >&2
  fi
  rm -f "$log"
  return "$rc"
}

if [ "$want_apt" = 1 ]; then
  mapfile -t pkgs < <(grep -v '^\s*#' "$here/apt-packages.txt" | grep -v '^\s*$')
  export DEBIAN_FRONTEND=noninteractive
  apt_get=("${sudo_cmd[@]}" apt-get -o DPkg::Lock::Timeout=600)
  # A new machine gets today's versions (a cups security update once broke printing while an
  # older machine stayed green), so this one must too: refresh the lists on the first install,
  # when apt's sources change, and when our last refresh is older than a day; then install the
  # whole list, which also upgrades what is already there.
  apt_stamp=/var/cache/kiosk-installer/apt-lists.stamp
  if [ ! -f "$apt_stamp" ] || [ -n "$(find "$apt_stamp" -mmin +1440)" ] \
     || [ -n "$(find /etc/apt/sources.list /etc/apt/sources.list.d -newer "$apt_stamp" 2>/dev/null)" ]; then
    echo "[install] apt: refreshing the package lists"
    "${apt_get[@]}" update -q
    "${sudo_cmd[@]}" mkdir -p "$(dirname "$apt_stamp")"
    "${sudo_cmd[@]}" touch "$apt_stamp"
  fi
  echo "[install] apt: ${#pkgs[@]} packages at today's versions"
  step '^(Setting up|[0-9]+ upgraded)' "${apt_get[@]}" install -y -q --no-install-recommends "${pkgs[@]}"
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
  echo "[install] pip: upgrading pip"
  "$venv/bin/python" -m pip install -q --upgrade pip
  echo "[install] pip: the project and its packages (first time: ~1 GB of wheels, PySide6 and dlib"
  echo "[install]      are the big ones, pyscard and pycups compile; a few minutes)"
  # One line per package as pip gets to it, instead of minutes of silence.
  step '^(Collecting|Building wheel|Successfully)' \
    "$venv/bin/python" -m pip install --progress-bar off -e "$repo[test]"
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

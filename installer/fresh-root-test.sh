#!/usr/bin/env bash
# The kiosk package installed into a fresh Debian 12 root (a chroot), as on a new kiosk:
#   installer/fresh-root-test.sh [--deb FILE] [--keep]
# 1. a minimal bookworm root (debootstrap --variant=minbase, with bookworm-updates and
#    bookworm-security, upgraded), cached as a tarball in /var/cache/kiosk-installer and made
#    again when older than a day;
# 2. the package, built by installer/build-deb.sh (or --deb FILE), lintian'd meanwhile;
# 3. `apt-get install ./kiosk_*.deb` in the fresh root, so apt resolves the Depends;
# 4. checks: users and groups, folders and owners, conffile, units, udev and PAM files, every
#    native module importing, `kiosk --version`, `kiosk run` refusing the template by name;
# 5. the installed kiosk under cage (headless) as the kiosk user, and its grim screenshot
#    checked full screen (tests/cage_session.py), with no network but loopback;
# 6. the root booted with systemd-nspawn (systemd as PID 1, loopback only): kiosk-sync.service
#    started for real, under its sandbox and watchdog, as kiosk-sync; kiosk.service too, headless;
# 7. in that booted root, `kiosk update` by kiosk-update.service through the project's signed apt
#    repository: a good and a broken test-only build derived from the package, the broken one
#    rolled back by itself (installer/fresh-root-update.sh).
# apt in the root sees our .deb cache (/var/cache/kiosk-installer/archives) and the host's
# /var/cache/apt/archives through an overlay (both read only; new downloads are copied into ours
# afterwards); debootstrap reuses and adds to the host's. Several runs may go at once.
# Prints each stage's time. Needs root, debootstrap, and http access to the Debian mirror.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
cache=/var/cache/kiosk-installer
mirror="${KIOSK_MIRROR:-http://deb.debian.org/debian}"
security="${KIOSK_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
arch=$(dpkg --print-architecture)
base="$cache/bookworm-minbase-$arch.tar"
deb=""
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --deb) deb=$(realpath "$2"); shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: installer/fresh-root-test.sh [--deb FILE] [--keep]" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then echo "fresh-root-test: run as root (chroot, mounts)" >&2; exit 2; fi

start=$(date +%s.%N)
last=$start
timing() {
  local now
  now=$(date +%s.%N)
  awk -v a="$last" -v b="$now" -v s="$start" -v n="$1" \
    'BEGIN { printf "[fresh-root] %-34s %6.1f s (total %6.1f s)\n", n, b - a, b - s }'
  last=$now
}
say() { echo "[fresh-root] $*"; }
fail() { echo "[fresh-root] FAILED: $*" >&2; exit 1; }

mkdir -p "$cache/archives"  # our own .deb cache, beside the host's
work=$(mktemp -d /var/tmp/kiosk-fresh-root.XXXXXX)
root="$work/root"
mkdir -p "$work/archives-upper" "$work/archives-work"
lintian_pid=""
nspawn_pid=""
derive_pid=""
cleanup() {
  if [ -n "$derive_pid" ]; then kill "$derive_pid" 2>/dev/null || true; wait "$derive_pid" 2>/dev/null || true; fi
  if [ -n "$lintian_pid" ]; then kill "$lintian_pid" 2>/dev/null || true; fi
  if [ -n "$nspawn_pid" ]; then kill "$nspawn_pid" 2>/dev/null || true; wait "$nspawn_pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then say "kept $root"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# Run a command in the root: private mount and pid namespaces (everything started inside dies
# with it), /proc /sys /dev, tmpfs /run and /tmp, and apt's archive folder: an overlay on our
# .deb cache and the host's, both read only, with this run's own upper layer (runs side by side
# never share a layer they write). --net: loopback only.
inroot() {
  local net=()
  if [ "$1" = --net ]; then net=(--net); shift; fi
  unshare --mount --pid --fork --propagation private "${net[@]}" bash -euc '
    r=$1; cache=$2; w=$3; shift 3
    if ip link set lo up 2>/dev/null; then :; fi
    mount -t proc proc "$r/proc"
    mount -t sysfs sys "$r/sys"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs -o mode=0755 tmpfs "$r/run"
    mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
    mount -t overlay overlay -o "lowerdir=$cache/archives:/var/cache/apt/archives,upperdir=$w/archives-upper,workdir=$w/archives-work" \
      "$r/var/cache/apt/archives"
    cp /etc/resolv.conf "$r/etc/resolv.conf"
    exec chroot "$r" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
  ' inroot "$root" "$cache" "$work" "$@"
}

# 1. The base root, made again once a day.
if [ ! -f "$base" ] || [ -n "$(find "$base" -mmin +1440)" ]; then
  say "making the base root (debootstrap minbase bookworm; a few minutes)"
  mkdir -p "$root"
  nice debootstrap --variant=minbase --include=ca-certificates --cache-dir=/var/cache/apt/archives \
    bookworm "$root" "$mirror" > "$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; fail "debootstrap"; }
  cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
  # No service starts inside the root (cupsd or pcscd would take the host's sockets and ports).
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  inroot apt-get -q update > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get update"; }
  inroot apt-get -q -y upgrade >> "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get upgrade"; }
  inroot apt-get clean
  new_base=$(mktemp "$base.XXXXXX")
  tar -C "$root" -cf "$new_base" . && mv "$new_base" "$base"
  timing "base root made and cached"
else
  mkdir -p "$root"
  tar -C "$root" -xf "$base"
  timing "base root unpacked (cached)"
fi

# 2. The package (and lintian on it, in the background while apt works).
if [ -z "$deb" ]; then
  KIOSK_DEB_OUT="$work/deb" nice bash "$here/build-deb.sh" --no-lintian | grep --line-buffered -v '^WARNING' || fail "build-deb.sh"
  deb=$(ls "$work"/deb/kiosk_*.deb)
  timing "package built"
fi
nice lintian --fail-on error,warning "$deb" > "$work/lintian.log" 2>&1 &
lintian_pid=$!
cp "$deb" "$root/root/"
debname=$(basename "$deb")

# 3. apt installs it, resolving the Depends (grim too, for the screenshot; systemd, dbus and
#    libpam-systemd for the boot of stage 6, as a kiosk has them).
inroot apt-get -q update > "$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; fail "apt-get update"; }
say "apt-get install ./$debname"
if ! inroot nice apt-get -q -y --no-install-recommends install "./root/$debname" grim systemd systemd-sysv dbus libpam-systemd >> "$work/apt.log" 2>&1; then
  tail -30 "$work/apt.log"
  fail "apt-get install of the package"
fi
grep -E '^(Need to get|[0-9]+ upgraded)' "$work/apt.log" | sed 's/^/[fresh-root]   /' || true
# What apt had to download goes into our cache for the next run.
find "$work/archives-upper" -maxdepth 1 -type f -name '*.deb' -exec cp -n {} "$cache/archives/" \;
timing "package installed with apt"

# 4. What the package set up.
check() {  # check "what" command...: runs in the root
  local what=$1; shift
  if inroot "$@" > "$work/check.log" 2>&1; then say "ok: $what"; else cat "$work/check.log"; fail "$what"; fi
}
check "users kiosk and kiosk-sync, no login shell" sh -c \
  'getent passwd kiosk | grep -q ":/var/lib/kiosk:/usr/sbin/nologin$" && getent passwd kiosk-sync | grep -q ":/usr/sbin/nologin$"'
# (input and render come with udev/systemd, which a chroot lacks: checked where the group exists)
check "kiosk's device groups (dialout video lp audio; input, render where they exist)" sh -c \
  'g=" $(id -nG kiosk) "; for x in dialout video lp audio input render; do
     case "$g" in *" $x "*) ;; *) if [ "$x" = input ] || [ "$x" = render ]; then getent group "$x" >/dev/null || continue; fi
       echo "kiosk not in $x: $g"; exit 1;; esac; done'
check "kiosk-sync shares only the state group" sh -c 'test "$(id -nG kiosk-sync)" = "kiosk-sync kiosk"'
check "/var/lib/kiosk kiosk:kiosk 2770" sh -c 'test "$(stat -c "%U:%G %a" /var/lib/kiosk)" = "kiosk:kiosk 2770"'
check "conffiles" sh -c 'dpkg-query -W -f="\${Conffiles}\n" kiosk | grep -q "/etc/kiosk/kiosk.toml" && dpkg-query -W -f="\${Conffiles}\n" kiosk | grep -q "/etc/pam.d/kiosk-session"'
check "units, udev rule, PAM, logind and sysctl files" sh -c \
  'for f in /lib/systemd/system/kiosk.service /lib/systemd/system/kiosk-sync.service /lib/udev/rules.d/60-kiosk.rules \
     /etc/pam.d/kiosk-session /usr/lib/systemd/logind.conf.d/50-kiosk.conf /usr/lib/sysctl.d/50-kiosk.conf; do
     test -f "$f" || { echo "missing $f"; exit 1; }; done'
check "venv scripts name /opt/kiosk/venv" sh -c 'head -1 /opt/kiosk/venv/bin/kiosk | grep -qx "#!/opt/kiosk/venv/bin/python"'
check "native modules load (Qt Wayland, OpenCV, dlib, PC/SC, CUPS, av)" runuser -u kiosk -- \
  /opt/kiosk/venv/bin/python -c 'import cv2, dlib, smartcard.scard, cups, av, numpy
from PySide6 import QtGui, QtQuick, QtMultimedia, QtTextToSpeech, QtPrintSupport'
version=$(inroot kiosk --version)
say "kiosk --version: $version"
case "$version" in kiosk*) ;; *) fail "kiosk --version said: $version" ;; esac
set +e
inroot runuser -u kiosk -- kiosk run > "$work/run.log" 2>&1
rc=$?
set -e
for key in platform.url kiosk.id reader.driver printer.driver receipt.driver face.driver; do
  grep -q "$key" "$work/run.log" || { cat "$work/run.log"; fail "kiosk run did not name $key"; }
done
[ "$rc" = 2 ] || { cat "$work/run.log"; fail "kiosk run on the template exited $rc, not 2"; }
grep -q Traceback "$work/run.log" && fail "kiosk run printed a traceback"
say "ok: kiosk run refuses the template (exit 2) and names each REQUIRED setting"
# First boot on the template, twice: the second run changes nothing (no cupsd or systemd here:
# those steps say so and are skipped).
inroot kiosk setup > "$work/setup1.log" 2>&1 || { cat "$work/setup1.log"; fail "kiosk setup (first run)"; }
inroot kiosk setup > "$work/setup2.log" 2>&1 || { cat "$work/setup2.log"; fail "kiosk setup (second run)"; }
sed 's/^/[fresh-root]   /' "$work/setup2.log"
if grep -q ": done" "$work/setup2.log"; then fail "kiosk setup changed something on its second run"; fi
say "ok: kiosk setup twice, the second run changes nothing"
# The two users share the state: the UI's user makes the outbox (with the units' UMask=0007), the
# sync engine's user opens it (kiosk/state_access.py).
printf '[kiosk]\nstate_dir = "/var/lib/kiosk"\n[printer]\ndriver = "cups"\nqueue = "KIOSK"\n[maintenance]\nexport_dir = "/var/lib/kiosk/export"\n' \
  > "$root/etc/kiosk/share-test.toml"
check "kiosk-sync opens the outbox the kiosk user made" sh -c 'umask 0007
  runuser -u kiosk -- kiosk queue --config /etc/kiosk/share-test.toml >/dev/null &&
  test "$(stat -c "%a %G" /var/lib/kiosk/outbox.db)" = "660 kiosk" &&
  runuser -u kiosk-sync -- kiosk queue --config /etc/kiosk/share-test.toml >/dev/null'
rm -f "$root/etc/kiosk/share-test.toml"
# Missing shared libraries of the Qt parts the kiosk loads (the Wayland plugin and its helpers).
missing=$(inroot sh -c 'cd /opt/kiosk/venv/lib/python3*/site-packages/PySide6/Qt && for f in lib/libQt6Core.so.6 lib/libQt6Quick.so.6 lib/libQt6WaylandClient.so.6 lib/libQt6Multimedia.so.6 plugins/platforms/libqwayland*.so plugins/wayland-shell-integration/*.so plugins/tls/*.so; do ldd "$f" | grep "not found" | sed "s|^|$f: |"; done' || true)
[ -z "$missing" ] || { echo "$missing"; fail "libraries missing (add their packages to Depends)"; }
say "ok: no library missing for Qt, its Wayland plugins and TLS"
timing "checks"

# 5. The installed kiosk under cage, as kiosk, loopback network only; the screenshot comes out.
cp "$repo/tests/cage_session.py" "$root/root/cage_session.py"
set +e
inroot --net /opt/kiosk/venv/bin/python /root/cage_session.py shoot /opt/kiosk/venv/bin/python /var/tmp/cage kiosk \
  > "$work/cage.log" 2>&1
rc=$?
set -e
grep -v -e "Basic output test failed" -e drmGetDevices2 "$work/cage.log" | tail -20 | sed 's/^/[fresh-root]   /'
mkdir -p "$repo/build"
cp "$root/var/tmp/cage/attract.png" "$repo/build/fresh-root-attract.png" 2>/dev/null || true
[ "$rc" = 0 ] || fail "the installed kiosk is not full screen under cage (see above)"
say "ok: installed kiosk full screen under cage as kiosk (build/fresh-root-attract.png)"
timing "cage session and screenshot"

# 6. The sync service under real systemd (PID 1 here is not systemd): boot the root in
#    systemd-nspawn, loopback only, start kiosk-sync.service, and see it stay up past two
#    watchdog intervals (WatchdogSec=10s) with no restart, its outbox shared with group kiosk.
if command -v systemd-nspawn >/dev/null; then
  rm -f "$root/usr/sbin/policy-rc.d" "$root/var/lib/kiosk/outbox.db"*
  printf '%s\n' '[kiosk]' 'id = "HALL-03"' 'state_dir = "/var/lib/kiosk"' '[platform]' 'url = "http://127.0.0.1:9"' \
    '[reader]' 'driver = "pcsc"' '[printer]' 'driver = "cups"' 'queue = "kiosk"' '[receipt]' 'driver = "none"' \
    '[face]' 'enabled = false' '[sync]' 'in_process = false' '[maintenance]' 'export_dir = "/var/lib/kiosk/export"' \
    > "$root/etc/kiosk/kiosk.toml"
  timeout 600 systemd-nspawn -q -D "$root" -b --register=no --keep-unit --private-network --console=passive \
    > "$work/nspawn.log" 2>&1 &
  nspawn_pid=$!
  booted=""
  for _ in $(seq 1 120); do
    nspawn=$(pgrep -P "$nspawn_pid" -x systemd-nspawn | head -1 || true)  # $! is timeout's pid
    pid1=$( [ -n "$nspawn" ] && pgrep -P "$nspawn" | head -1 || true)
    if [ -n "$pid1" ]; then
      case "$(nsenter -t "$pid1" -a systemctl is-system-running 2>/dev/null || true)" in
        running|degraded) booted=1; break ;;
      esac
    fi
    sleep 0.5
  done
  [ -n "$booted" ] || { tail -20 "$work/nspawn.log"; fail "the root did not boot in systemd-nspawn"; }
  timing "booted in systemd-nspawn"
  # Stage 7's test-only builds, made meanwhile at the lowest priority (this stage mostly waits).
  nice -n 19 ionice -c 3 bash "$here/fresh-root-update.sh" --derive "$deb" "$work" > "$work/derive.log" 2>&1 &
  derive_pid=$!
  inns() { nsenter -t "$pid1" -a "$@"; }
  inns systemctl start kiosk-sync.service || { inns journalctl -u kiosk-sync --no-pager -n 30; fail "kiosk-sync.service did not start"; }
  sleep 25  # past two watchdog intervals: a missing ping would have had it killed and restarted
  prop() { inns systemctl show kiosk-sync.service -p "$1" --value; }
  state="$(prop ActiveState) $(prop SubState) $(prop NRestarts)"
  say "kiosk-sync.service: $state (ActiveState SubState NRestarts)"
  inns journalctl -u kiosk-sync --no-pager -o cat -n 6 | sed 's/^/[fresh-root]   /'
  [ "$state" = "active running 0" ] || fail "kiosk-sync.service is not up for good: $state"
  if inns journalctl -u kiosk-sync --no-pager -o cat | grep -q '"level": "ERROR"'; then fail "kiosk-sync logged an error"; fi
  owner=$(inns stat -c "%U:%G %a" /var/lib/kiosk/outbox.db)
  [ "$owner" = "kiosk-sync:kiosk 660" ] || fail "outbox.db is $owner, not kiosk-sync:kiosk 660"
  say "ok: kiosk-sync.service up under systemd: READY, watchdog pinged, no restart, no error; outbox $owner"
  # The UI unit as shipped, but on cage's headless backend and the console (no seat, no tty1 here):
  # its PAM/logind session, cage, the app, and READY/WATCHDOG through the notify relay.
  inns mkdir -p /run/systemd/system/kiosk.service.d
  printf '%s\n' '[Service]' 'TTYPath=/dev/console' 'StandardInput=null' 'DevicePolicy=auto' \
    'Environment=WLR_BACKENDS=headless WLR_RENDERER=pixman WLR_LIBINPUT_NO_DEVICES=1' \
    | inns tee /run/systemd/system/kiosk.service.d/headless.conf >/dev/null
  inns systemctl daemon-reload
  inns systemctl start kiosk.service || { inns journalctl -u kiosk --no-pager -n 40; fail "kiosk.service did not reach active (no READY=1 from the app)"; }
  sleep 25
  uprop() { inns systemctl show kiosk.service -p "$1" --value; }
  state="$(uprop ActiveState) $(uprop SubState) $(uprop NRestarts)"
  say "kiosk.service: $state (ActiveState SubState NRestarts)"
  inns journalctl -u kiosk --no-pager -o cat -n 6 | sed 's/^/[fresh-root]   /'
  [ "$state" = "active running 0" ] || fail "kiosk.service is not up for good: $state"
  # Frozen UI: the watchdog fires, the relay ends the app's group, systemd starts it again.
  # (the host's pgrep and kill, limited to this container's pid namespace: its processes are the
  # host's too, with host pids, and another run's container may have a kiosk of its own)
  app=$(pgrep --ns "$pid1" --nslist pid -f '^/opt/kiosk/venv/bin/python[0-9.]* /opt/kiosk/venv/bin/kiosk run$' | tail -1 || true)
  [ -n "$app" ] || fail "no kiosk app process under kiosk.service"
  kill -STOP "$app"
  restarted=""
  for _ in $(seq 1 80); do
    if [ "$(uprop NRestarts)" -ge 1 ] && [ "$(uprop ActiveState)" = active ]; then restarted=1; break; fi
    sleep 0.5
  done
  [ -n "$restarted" ] || { inns journalctl -u kiosk --no-pager -n 30; fail "a frozen UI was not restarted"; }
  if [ -e "/proc/$app" ] && [ "$(awk '{print $3}' "/proc/$app/stat")" != Z ]; then fail "the frozen app outlived its restart"; fi
  say "ok: kiosk.service under systemd: READY through the relay, watchdog pinged; a frozen UI restarted"
  timing "sync and UI services under systemd"
  # 7. Updates with rollback: two test-only builds derived from this package, through the signed
  #    apt repository, by kiosk-update.service in the booted root (installer/fresh-root-update.sh).
  wait "$derive_pid" || { cat "$work/derive.log"; fail "the test-only builds for the update stage"; }
  derive_pid=""
  sed 's/^/[fresh-root] (meanwhile) /' "$work/derive.log"
  bash "$here/fresh-root-update.sh" "$root" "$pid1" "$deb" "$work"
  kill "$nspawn_pid" 2>/dev/null || true
  wait "$nspawn_pid" 2>/dev/null || true
  nspawn_pid=""
  timing "updates with rollback"
else
  say "skipped: the boot with systemd-nspawn (apt package systemd-container is not installed)"
fi

# lintian's verdict (it ran meanwhile).
if wait "$lintian_pid"; then say "ok: lintian (no error or warning left unexplained)"; else
  lintian_pid=""; cat "$work/lintian.log"; fail "lintian"; fi
lintian_pid=""
timing "lintian"
say "passed"

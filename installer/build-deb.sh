#!/usr/bin/env bash
# Build the kiosk's Debian package with dpkg-deb: installer/build-deb.sh [--no-lintian]
#
# The app goes to /opt/kiosk with its own venv (the pinned wheels of requirements-lock.txt),
# built at that very path: a private mount namespace binds the staging folder over /opt/kiosk,
# so the venv's scripts and compiled files name /opt/kiosk/venv and nothing names the build
# folder (checked below). Why dpkg-deb and not dh-virtualenv: see docs/install.md.
# Output: build/deb/kiosk_<version>_<arch>.deb (KIOSK_DEB_OUT to change the folder;
# KIOSK_DEB_VERSION to set the version, default <pyproject version>+git<commit count>).
# Needs root (the mount namespace) and the apt packages of installer/apt-packages.txt.
set -euo pipefail
umask 022
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
out="${KIOSK_DEB_OUT:-$repo/build/deb}"
run_lintian=1
for arg in "$@"; do
  case "$arg" in
    --no-lintian) run_lintian=0 ;;
    *) echo "usage: installer/build-deb.sh [--no-lintian]" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "build-deb: run as root (the venv is built at /opt/kiosk inside a private mount namespace)" >&2
  exit 2
fi

start=$(date +%s.%N)
last=$start
timing() {  # print how long the stage took and the total so far
  local now
  now=$(date +%s.%N)
  awk -v a="$last" -v b="$now" -v s="$start" -v n="$1" 'BEGIN { printf "[build-deb] %-28s %6.1f s (total %6.1f s)\n", n, b - a, b - s }'
  last=$now
}

pyver=$(sed -n 's/^version *= *"\(.*\)"/\1/p' "$repo/pyproject.toml" | head -1)
count=$(git -C "$repo" rev-list --count HEAD 2>/dev/null || echo 0)
version="${KIOSK_DEB_VERSION:-$pyver+git$count}"
arch=$(dpkg --print-architecture)
work="$out/work"
root="$work/root"
rm -rf "$work"
mkdir -p "$root/opt/kiosk" "$work/src"

# 1. The source: the checkout's files (tracked and new, not ignored), without .venv or build output.
if git -C "$repo" rev-parse --git-dir >/dev/null 2>&1; then
  (cd "$repo" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf -) | tar -xf - -C "$work/src"
else
  tar -C "$repo" --exclude=./.venv --exclude=./build --exclude=./.git -cf - . | tar -xf - -C "$work/src"
fi
timing "source copied"

# 2. The venv at its final path (a private mount namespace: the host's /opt/kiosk is untouched).
made_mountpoint=0
if [ ! -d /opt/kiosk ]; then mkdir -p /opt/kiosk; made_mountpoint=1; fi
unshare --mount --propagation private bash -euc '
  set -o pipefail
  mount --bind "$1" /opt/kiosk
  /usr/bin/python3 -m venv /opt/kiosk/venv
  pip=(/opt/kiosk/venv/bin/python -m pip --disable-pip-version-check -q)
  "${pip[@]}" install --progress-bar off --no-deps -r "$2/installer/requirements-lock.txt"
  "${pip[@]}" install --progress-bar off --no-deps "$2"
  "${pip[@]}" check
  # pip and setuptools only build; the kiosk never installs anything at run time
  "${pip[@]}" uninstall -y pip setuptools
  rm -f /opt/kiosk/venv/bin/Activate.ps1
  # where pip got the kiosk from (the build folder): of no use on a kiosk
  rm -f /opt/kiosk/venv/lib/python3*/site-packages/kiosk-*.dist-info/direct_url.json
' _ "$root/opt/kiosk" "$work/src" 2>&1 | { grep -v "^WARNING: Location .* is ignored" || true; }
if [ "$made_mountpoint" = 1 ]; then rmdir /opt/kiosk; fi
timing "venv (pinned wheels)"
if grep -rlF --binary-files=binary "$work" "$root/opt/kiosk" | head -3 | grep -q .; then
  echo "build-deb: files in the venv name the build folder $work:" >&2
  grep -rlF "$work" "$root/opt/kiosk" | head -5 >&2
  exit 1
fi
timing "no build paths inside"

# 3. Configuration, units, PAM, udev, docs; the version for `kiosk --version`.
deb="$here/deb"
echo "$version" > "$root/opt/kiosk/VERSION"
install -D -m 0644 "$deb/kiosk.toml" "$root/etc/kiosk/kiosk.toml"
install -D -m 0644 "$deb/kiosk-session.pam" "$root/etc/pam.d/kiosk-session"
for unit in "$here"/systemd/*.service "$here"/systemd/*.timer; do
  [ -e "$unit" ] || continue
  install -D -m 0644 "$unit" "$root/lib/systemd/system/$(basename "$unit")"
done
install -D -m 0644 "$deb/60-kiosk.rules" "$root/lib/udev/rules.d/60-kiosk.rules"
install -D -m 0644 "$deb/logind-kiosk.conf" "$root/usr/lib/systemd/logind.conf.d/50-kiosk.conf"
install -D -m 0644 "$deb/sysctl-kiosk.conf" "$root/usr/lib/sysctl.d/50-kiosk.conf"
install -d "$root/usr/bin" "$root/usr/sbin"
ln -s /opt/kiosk/venv/bin/kiosk "$root/usr/bin/kiosk"
ln -s /opt/kiosk/venv/bin/kiosk-platform "$root/usr/bin/kiosk-platform"
install -D -m 0644 "$deb/copyright" "$root/usr/share/doc/kiosk/copyright"
install -D -m 0644 "$repo/docs/install.md" "$root/usr/share/doc/kiosk/install.md"
printf 'kiosk (%s) unstable; urgency=medium\n\n  * Built from the kiosk repository by installer/build-deb.sh.\n\n -- Kiosk project <kiosk@example.org>  %s\n' \
  "$version" "$(date -R -d "@$(git -C "$repo" log -1 --format=%ct 2>/dev/null || date +%s)")" \
  | gzip -9n > "$root/usr/share/doc/kiosk/changelog.gz"
install -D -m 0644 "$deb/lintian-overrides" "$root/usr/share/lintian/overrides/kiosk"

# 4. Control files: Depends are the run-time packages of installer/apt-packages.txt.
install -d -m 0755 "$root/DEBIAN"
for script in postinst prerm postrm; do install -m 0755 "$deb/$script" "$root/DEBIAN/$script"; done
printf '/etc/kiosk/kiosk.toml\n/etc/pam.d/kiosk-session\n' > "$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$deb/control.in" > "$root/DEBIAN/control"
timing "package tree"

# 5. The .deb: zstd (fast on 2 cores; xz takes minutes on ~1.4 GB and saves little on wheels).
file="$out/kiosk_${version}_${arch}.deb"
rm -f "$out"/kiosk_*.deb
dpkg-deb --root-owner-group -Zzstd -z3 --build "$root" "$file" >/dev/null
rm -rf "$work"
timing "dpkg-deb (zstd)"
printf '[build-deb] %s (%s MB, %s MB installed)\n' "$file" "$(( $(stat -c %s "$file") / 1048576 ))" "$(( size / 1024 ))"

if [ "$run_lintian" = 1 ]; then
  # Findings are fixed or explained (installer/deb/lintian-overrides); any left fail the build.
  lintian --fail-on error,warning "$file"
  timing "lintian"
fi

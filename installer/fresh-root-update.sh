#!/usr/bin/env bash
# Stage 7 of installer/fresh-root-test.sh: `kiosk update` with real packages through the project's
# signed apt repository, in the fresh root booted with systemd-nspawn.
#   installer/fresh-root-update.sh ROOT PID1 DEB WORK
# ROOT is the booted root (kiosk.service and kiosk-sync.service running), PID1 its systemd as the
# host sees it, DEB the kiosk package installed there, WORK a scratch folder of this run.
# 1. Two TEST-ONLY builds derived from DEB with dpkg-deb -R / -b (the venv is not built again):
#    V+test1, the same kiosk under a newer version, and V+test2.broken, whose app imports a module
#    it does not ship, like a release missing a dependency: its UI comes up on the standalone
#    out-of-service screen (kiosk/start_guard.py), never on the attract screen. Both say TEST-ONLY
#    BUILD in their description and VERSION.
# 2. A throw-away OpenPGP key; installer/apt-repo.sh (reprepro) publishes into /srv/kiosk-repo in
#    the root, whose apt trusts that key only for that source (signed-by; the root has no network,
#    so this is its only source here).
# 3. The reference platform in the root (the health check pings it; the heartbeat goes to it);
#    the UI's exporter on 127.0.0.1:9108; update.window around now.
# 4. kiosk-update.service started as its timer starts it:
#    V+test1 is installed, healthy and recorded as `updated`;
#    V+test2.broken is rolled back to V+test1 by itself, both services active on it again, recorded
#    as `rolled_back`; the exporter and the heartbeat the platform received say so, with the version;
#    the same update killed mid-unpack (a power cut) is repaired and finished by the next run, back
#    on V+test1; with another key in place of the repository's, `kiosk update` refuses it.
# Prints each step's time. Needs root, dpkg-deb, gpg, reprepro.
# `--derive DEB WORK` makes only the builds of step 1 (fresh-root-test.sh starts it in the background
# while stage 6 waits out watchdog intervals); the full run then uses them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
derive_only=0
if [ "${1:-}" = --derive ] && [ "$#" -eq 3 ]; then derive_only=1; deb=$2 work=$3
elif [ "$#" -eq 4 ]; then root=$1 pid1=$2 deb=$3 work=$4
else echo "usage: installer/fresh-root-update.sh ROOT PID1 DEB WORK | --derive DEB WORK" >&2; exit 2; fi

start=$(date +%s.%N)
last=$start
timing() {
  local now
  now=$(date +%s.%N)
  awk -v a="$last" -v b="$now" -v s="$start" -v n="$1" \
    'BEGIN { printf "[fresh-root] update: %-26s %6.1f s (update total %6.1f s)\n", n, b - a, b - s }'
  last=$now
}
say() { echo "[fresh-root] $*"; }
fail() { echo "[fresh-root] FAILED: $*" >&2; exit 1; }
inns() { nsenter -t "$pid1" -a "$@"; }
py() { inns /opt/kiosk/venv/bin/python -c "$@"; }

# 1. The two test-only builds (in $work/update-debs; made once).
version=$(dpkg-deb -f "$deb" Version)
good="$version+test1"
bad="$version+test2.broken"
missing=kiosk_test_only_missing_module  # what the broken build imports and does not ship
debs="$work/update-debs"
tree="$work/update-tree"
arch=$(dpkg-deb -f "$deb" Architecture)
derive() {  # derive VERSION: the unpacked tree as that version's .deb
  sed -i "s/^Version: .*/Version: $1/" "$tree/DEBIAN/control"
  printf '%s\n' "$1" > "$tree/opt/kiosk/VERSION"
  dpkg-deb --root-owner-group -Zzstd -z3 --build "$tree" "$debs/kiosk_${1}_$arch.deb" >/dev/null
}
make_builds() {
  local app
  rm -rf "$tree" "$debs"
  mkdir -p "$debs"
  dpkg-deb -R "$deb" "$tree"
  sed -i 's/^\(Description: .*\)$/\1 (TEST-ONLY BUILD: installer\/fresh-root-update.sh)/' "$tree/DEBIAN/control"
  derive "$good"
  app=$(echo "$tree"/opt/kiosk/venv/lib/python3*/site-packages/screens/app.py)
  [ -f "$app" ] || fail "no screens/app.py in the built venv"
  printf '\nimport %s  # TEST-ONLY BUILD (installer/fresh-root-update.sh): a release missing a module\n' \
    "$missing" >> "$app"
  derive "$bad"
  rm -rf "$tree"
  touch "$debs/done"
  timing "two test-only builds"
}
[ -f "$debs/done" ] || make_builds
[ "$derive_only" = 0 ] || exit 0
good_deb=$(ls "$debs"/kiosk_"$good"_*.deb)
bad_deb=$(ls "$debs"/kiosk_"$bad"_*.deb)

# 2. The signed repository, and the root's apt pointed at it (its Debian sources set aside).
export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase "" --quick-gen-key "Kiosk fresh-root test <repo@kiosk.invalid>" ed25519 sign never
key=$(gpg --batch --with-colons --list-secret-keys 2>/dev/null | awk -F: '$1 == "fpr" { print $10; exit }')
repo="$root/srv/kiosk-repo"
publish() { bash "$here/apt-repo.sh" "$repo" "$key" "$1" | sed 's/^/[fresh-root]   /'; }
publish "$deb"  # the installed version first: `kiosk update` keeps it (apt-get download) as the way back
install -m 0644 "$repo/kiosk-archive-keyring.gpg" "$root/usr/share/keyrings/kiosk-archive-keyring.gpg"
mv "$root/etc/apt/sources.list" "$work/sources.list.saved"
echo "deb [signed-by=/usr/share/keyrings/kiosk-archive-keyring.gpg] file:/srv/kiosk-repo stable main" \
  > "$root/etc/apt/sources.list.d/kiosk.list"

# 3. The platform, the exporter, the window; the services restarted on that configuration.
inns systemd-run -q --unit=kiosk-refplatform -p DynamicUser=yes -p StateDirectory=kiosk-refplatform \
  /opt/kiosk/venv/bin/kiosk-platform --port 8765 --db /var/lib/kiosk-refplatform/platform.db --allow-unsigned
window="$(date -u -d '-10 min' +%H:%M)-$(date -u -d '+50 min' +%H:%M)"
sed -i -e 's|^url = .*|url = "http://127.0.0.1:8765"|' "$root/etc/kiosk/kiosk.toml"
printf '%s\n' '[metrics]' 'port = 9108' '[update]' "window = \"$window\"" 'health_seconds = 60.0' \
  >> "$root/etc/kiosk/kiosk.toml"
sed -i 's|^\[sync\]$|[sync]\nheartbeat_seconds = 5.0|' "$root/etc/kiosk/kiosk.toml"
for _ in $(seq 1 40); do
  if py 'import urllib.request; urllib.request.urlopen("http://127.0.0.1:8765/v1/health", timeout=2)' 2>/dev/null; then
    break; fi
  sleep 0.5
done
inns systemctl restart kiosk-sync.service kiosk.service || { inns journalctl -u kiosk --no-pager -n 30; fail "restart on the test configuration"; }
timing "repository, platform, config"

# What the kiosk says after an update: its state file, dpkg, both units, the ready file.
installed() { inns dpkg-query -W -f '${Version} ${Status}' kiosk; }
result() { py 'import json; d = json.load(open("/var/lib/kiosk/update-state.json")); print(d["result"], d["version"], d["attempted"])'; }
ready_version() {  # the version of the UI that painted the attract screen after time $1
  py 'import json, sys; d = json.load(open("/var/lib/kiosk/ui-ready.json"))
print(d["version"] if d["screen"] == "attract" and d["at"] > float(sys.argv[1]) else "none since then")' "$1"
}
active() { inns systemctl is-active kiosk.service kiosk-sync.service | tr '\n' ' '; }
update() {  # update WANT_RC: run kiosk-update.service as its timer would
  local rc=0
  inns systemctl start kiosk-update.service || rc=$?
  inns journalctl -u kiosk-update --no-pager -o cat -n 200 | grep '^kiosk update:' | tail -1 | sed 's/^/[fresh-root]   /'
  if [ "$1" = 0 ] && [ "$rc" != 0 ]; then inns journalctl -u kiosk-update -u kiosk --no-pager -n 40; fail "kiosk-update.service failed"; fi
  if [ "$1" != 0 ] && [ "$rc" = 0 ]; then fail "kiosk-update.service succeeded on a broken version"; fi
}
metrics() { py 'import urllib.request; print(urllib.request.urlopen("http://127.0.0.1:9108/metrics", timeout=5).read().decode())'; }
heartbeat() {  # the last heartbeat the platform received: "software_version update.result update.version"
  py 'import json, sqlite3
row = sqlite3.connect("file:/var/lib/kiosk-refplatform/platform.db?mode=ro", uri=True).execute(
    "SELECT status FROM heartbeats ORDER BY received_at DESC LIMIT 1").fetchone()
beat = json.loads(row[0]) if row else {}
u = beat.get("update", {})
print(beat.get("software_version", "-"), u.get("result", "-"), u.get("version", "-"))' 2>/dev/null || echo "- - -"
}
expect_reported() {  # expect_reported VERSION RESULT FAILED: in the exporter and the heartbeat
  local want="$1 $2 $1" got="" text=""
  for _ in $(seq 1 60); do got=$(heartbeat); [ "$got" = "$want" ] && break; sleep 0.5; done
  [ "$got" = "$want" ] || fail "the platform's last heartbeat says \"$got\", not \"$want\""
  for _ in $(seq 1 20); do text=$(metrics 2>/dev/null || true); grep -q "version=\"$1\"" <<< "$text" && break; sleep 0.5; done
  grep -q "^kiosk_info{.*version=\"$1\"" <<< "$text" || fail "the exporter's kiosk_info does not say version $1"
  grep -q "^kiosk_update_failed{result=\"$2\"} $3" <<< "$text" || fail "the exporter does not say kiosk_update_failed{result=\"$2\"} $3"
  say "ok: heartbeat received by the platform: version $1, update $2; exporter: kiosk_update_failed{result=\"$2\"} $3"
}

# 4a. The nightly run with nothing new keeps the installed version's .deb (the way back: the
#     repository keeps only its newest version); then a good version: installed, healthy, kept.
update 0
[ "$(result)" = "up_to_date $version " ] || fail "update-state.json says: $(result)"
publish "$good_deb"
since=$(date +%s)
update 0
[ "$(installed)" = "$good install ok installed" ] || fail "after the update dpkg has: $(installed)"
[ "$(result)" = "updated $good $good" ] || fail "update-state.json says: $(result)"
[ "$(ready_version "$since")" = "$good" ] || fail "the UI that painted the attract screen: $(ready_version "$since"), not $good"
[ "$(active)" = "active active " ] || fail "services after the update: $(active)"
say "ok: updated to $good: installed, attract screen painted by it, both services active"
expect_reported "$good" updated 0.0
timing "good version installed"

# 4b. A broken version: rolled back to the good one by itself.
publish "$bad_deb"
since=$(date +%s)
update 1
[ "$(installed)" = "$good install ok installed" ] || fail "after the rollback dpkg has: $(installed)"
[ "$(result)" = "rolled_back $good $bad" ] || fail "update-state.json says: $(result)"
for _ in $(seq 1 40); do [ "$(active)" = "active active " ] && break; sleep 0.5; done
[ "$(active)" = "active active " ] || fail "services after the rollback: $(active)"
[ "$(ready_version "$since")" = "$good" ] || fail "the UI that painted the attract screen: $(ready_version "$since"), not $good"
# ... and it failed for the reason built into it, not for another one.
crashes=$(inns journalctl --no-pager -o cat _UID="$(inns id -u kiosk)" \
  | grep -c "^kiosk: the app cannot start: ModuleNotFoundError: No module named '$missing'" || true)
[ "$crashes" -ge 1 ] || fail "the broken build's app did not fail the way it was built to (not in the journal)"
say "ok: $bad rolled back to $good by itself: installed, attract screen painted by it, both services active"
expect_reported "$good" rolled_back 1.0
timing "broken version rolled back"

# 4d. The same update cut short, as by a power cut: kiosk-update.service and everything in it
#     (apt, dpkg) killed while dpkg unpacks the package, leaving dpkg interrupted and the kiosk
#     half-installed. The next run repairs dpkg first (kiosk/dpkg_repair.py), finishes the update
#     (kiosk/updates.py, _resume) and its health check sends it back to the good version.
inns systemctl start --no-block kiosk-update.service
unpacking=""
for _ in $(seq 1 600); do
  if pgrep --ns "$pid1" --nslist pid -f -- '--unpack .*kiosk_' >/dev/null; then unpacking=1; break; fi
  sleep 0.1
done
[ -n "$unpacking" ] || fail "dpkg never started to unpack the package"
sleep 1
inns systemctl kill -s KILL kiosk-update.service
for _ in $(seq 1 50); do [ "$(inns systemctl is-active kiosk-update.service || true)" != activating ] && break; sleep 0.1; done
cut=$(installed)
say "killed while unpacking: dpkg has kiosk $cut; update-state.json: $(result)"
[ "$cut" != "$good install ok installed" ] || fail "the kill came too late: dpkg had already finished"
[ "$(result)" = "installing $good $bad" ] || fail "update-state.json does not say the update was under way"
since=$(date +%s)
update 1
[ "$(installed)" = "$good install ok installed" ] || fail "after the cut-short update dpkg has: $(installed)"
[ "$(result)" = "rolled_back $good $bad" ] || fail "after the cut-short update, update-state.json says: $(result)"
for _ in $(seq 1 40); do [ "$(active)" = "active active " ] && break; sleep 0.5; done
[ "$(active)" = "active active " ] || fail "services after the cut-short update: $(active)"
[ "$(ready_version "$since")" = "$good" ] || fail "the UI that painted the attract screen: $(ready_version "$since"), not $good"
inns journalctl -u kiosk-update --no-pager -o cat --since "@$since" \
  | grep -E '"event": "update_(resume|dpkg_repaired|dpkg_unrepaired)"' | cut -c1-400 | sed 's/^/[fresh-root]   /' || true
resumed=$(inns journalctl -u kiosk-update --no-pager -o cat --since "@$since" | grep -c '"event": "update_resume"' || true)
[ "$resumed" -ge 1 ] || fail "the next run did not see the update it had to finish"
say "ok: an update cut short mid-unpack: the next run repaired dpkg, finished it and ended on $good, healthy"
timing "update cut short, then finished"

# 4c. The kiosk trusts only its repository's key: the same repository, with the key the kiosk
#     trusts swapped for another one, is refused and nothing is installed.
GNUPGHOME="$work/gnupg-other" && export GNUPGHOME && mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --passphrase "" --quick-gen-key "Somebody else <else@kiosk.invalid>" ed25519 sign never
gpg --batch --export "Somebody else" > "$root/usr/share/keyrings/kiosk-archive-keyring.gpg"
update 1
[ "$(result)" = "repository_unreachable  " ] || fail "with another key trusted, update-state.json says: $(result)"
[ "$(installed)" = "$good install ok installed" ] || fail "with another key trusted, dpkg has: $(installed)"
say "ok: signed by a key the kiosk does not trust: refused (repository_unreachable), $good still installed"
timing "repository of another key refused"
mv "$work/sources.list.saved" "$root/etc/apt/sources.list"
rm -f "$root/etc/apt/sources.list.d/kiosk.list"

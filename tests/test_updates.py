"""Updates with rollback (kiosk/updates.py, `kiosk update`) against a real signed apt repository.

The test makes a throw-away OpenPGP key, builds a tiny package with dpkg-deb in three versions,
publishes them with installer/apt-repo.sh (reprepro) and lets the real update logic run apt against
that repository. apt and dpkg work in a private root (APT_CONFIG, dpkg --root/--admindir): nothing
is installed into this machine's packages. The package's "UI" is a start script: 1.0 and 1.2 write
the ready file as the kiosk does once its attract screen is painted; 1.1 never does.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import Config
from kiosk.restart_state import SESSION_FILE, mark_session
from kiosk.updates import STATE_FILE, Apt, Outcome, Updater, in_window, last_update, write_state

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "kiosk-update-probe"
HEALTHY = """#!/bin/sh
# the kiosk painted its attract screen: the ready file (kiosk/restart_state.py)
printf '{"pid": %d, "version": "@V@", "screen": "attract", "at": %s}' $$ "$(date +%s.%N)" > "$1/ui-ready.json"
"""
BROKEN = "#!/bin/sh\n# this version never reaches the attract screen\nexit 0\n"


def gpg_key(home: Path, name: str) -> str:
    home.mkdir(mode=0o700)
    env = dict(os.environ, GNUPGHOME=str(home))
    subprocess.run(["gpg", "--batch", "--quiet", "--passphrase", "", "--quick-gen-key",
                    f"{name} <repo@kiosk.invalid>", "ed25519", "sign", "never"], env=env, check=True,
                   capture_output=True)
    out = subprocess.run(["gpg", "--batch", "--with-colons", "--list-secret-keys"], env=env, check=True,
                         capture_output=True, text=True).stdout
    return next(line.split(":")[9] for line in out.splitlines() if line.startswith("fpr"))


def build_deb(work: Path, version: str, start: str, postinst: str = "", preinst: str = "") -> Path:
    root = work / f"build-{version}"
    (root / "DEBIAN").mkdir(parents=True)
    for name, script in (("postinst", postinst), ("preinst", preinst)):
        if script:
            (root / "DEBIAN" / name).write_text(script)
            (root / "DEBIAN" / name).chmod(0o755)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {PACKAGE}\nVersion: {version}\nArchitecture: all\nSection: misc\nPriority: optional\n"
        "Maintainer: Kiosk tests <tests@kiosk.invalid>\nDescription: throw-away package for the update tests\n")
    lib = root / "usr" / "lib" / PACKAGE
    lib.mkdir(parents=True)
    (lib / "start").write_text(start.replace("@V@", version))
    (lib / "start").chmod(0o755)
    out = work / f"{PACKAGE}_{version}_all.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(root), str(out)], check=True, capture_output=True)
    return out


def publish(repo: Path, gnupg: Path, key: str, deb: Path) -> None:
    subprocess.run(["bash", str(ROOT / "installer" / "apt-repo.sh"), str(repo), key, str(deb)], check=True,
                   env=dict(os.environ, GNUPGHOME=str(gnupg)), capture_output=True)


def private_apt_root(work: Path, repo: Path, keyring: Path) -> Path:
    """An apt + dpkg root of its own; returns the APT_CONFIG file."""
    root = work / "root"
    for sub in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/apt/lists/partial",
                "var/cache/apt/archives/partial", "etc/apt/apt.conf.d", "etc/apt/preferences.d",
                "etc/apt/trusted.gpg.d", "etc/apt/sources.list.d", "var/log/apt"):
        (root / sub).mkdir(parents=True)
    (root / "var/lib/dpkg/status").touch()
    (root / "etc/apt/sources.list").write_text(f"deb [signed-by={keyring}] file:{repo} stable main\n")
    conf = work / "apt.conf"
    conf.write_text(f'''Dir "{root}/";
Dir::State::status "{root}/var/lib/dpkg/status";
APT::Sandbox::User "root";
DPkg::Options {{ "--root={root}"; "--admindir={root}/var/lib/dpkg"; "--force-script-chrootless";
                 "--log={root}/var/log/dpkg.log"; }};
''')
    return conf


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from refplatform.server import PlatformServer

    gnupg = tmp_path / "gnupg"
    key = gpg_key(gnupg, "Kiosk Test Repository")
    repo = tmp_path / "repo"
    debs = {v: build_deb(tmp_path, v, BROKEN if v == "1.1" else HEALTHY) for v in ("1.0", "1.1", "1.2")}
    debs["1.3"] = build_deb(tmp_path, "1.3", HEALTHY, postinst="#!/bin/sh\necho 'configure failed' >&2\nexit 1\n")
    publish(repo, gnupg, key, debs["1.0"])
    monkeypatch.setenv("APT_CONFIG", str(private_apt_root(tmp_path, repo, repo / "kiosk-archive-keyring.gpg")))
    server = PlatformServer("127.0.0.1", 0)
    server.start()
    state = tmp_path / "state"
    state.mkdir()
    config = tmp_path / "kiosk.toml"
    start = tmp_path / "root" / "usr" / "lib" / PACKAGE / "start"
    config.write_text(f'''[kiosk]
state_dir = "{state}"
[platform]
url = "{server.url}"
[update]
package = "{PACKAGE}"
restart_command = "sh {start} {state}"
reset_command = ""
sync_check_command = "true"
health_seconds = 5.0
''')
    apt = Apt()
    assert apt.refresh()[0]
    assert apt.install(PACKAGE, "1.0")[0]  # the kiosk as first installed
    yield {"config": config, "state": state, "repo": repo, "gnupg": gnupg, "key": key, "debs": debs,
           "start": start, "tmp": tmp_path}
    server.stop()


def installed() -> str | None:
    return Apt().policy(PACKAGE)[0]


def test_an_update_whose_health_check_fails_ends_on_the_previous_version(setup, capsys) -> None:
    from kiosk.cli import main

    cfg = ["--config", str(setup["config"])]
    assert main(["update", "--now", *cfg]) == 0  # nothing new: the installed version's .deb is kept
    assert "up_to_date" in capsys.readouterr().out
    publish(setup["repo"], setup["gnupg"], setup["key"], setup["debs"]["1.1"])  # 1.0 leaves the repository

    assert main(["update", "--now", *cfg]) == 1
    err = capsys.readouterr().err
    assert "rolled_back" in err and "installed kiosk-update-probe 1.0 (tried 1.1)" in err
    assert "the attract screen was not reached" in err
    assert installed() == "1.0"
    assert "1.0" in setup["start"].read_text()  # 1.0's files are back
    assert json.loads((setup["state"] / "ui-ready.json").read_text())["version"] == "1.0"  # and it runs
    beat = last_update(setup["state"])
    assert beat["result"] == "rolled_back" and beat["version"] == "1.0" and beat["attempted"] == "1.1"

    publish(setup["repo"], setup["gnupg"], setup["key"], setup["debs"]["1.2"])  # a good version follows
    assert main(["update", "--now", *cfg]) == 0
    assert "updated; installed kiosk-update-probe 1.2" in capsys.readouterr().out
    assert installed() == "1.2"
    kept = sorted(p.name for p in (setup["state"] / "updates").iterdir())
    assert kept == [f"{PACKAGE}_1.2_all.deb"]  # the way back from the next update


def test_the_running_version_and_the_last_update_go_into_the_heartbeat(setup) -> None:
    from sync.service import heartbeat_for
    from sync.store import ManagedOutbox

    config = Config().with_overrides(**_flat(setup["config"]))
    assert Updater(config).run(now=True).result == "up_to_date"  # keeps 1.0's package: the way back
    publish(setup["repo"], setup["gnupg"], setup["key"], setup["debs"]["1.2"])
    assert Updater(config).run(now=True).result == "updated"
    outbox = ManagedOutbox(setup["tmp"] / "outbox.db")
    try:
        beat = heartbeat_for(outbox, "KIOSK-7", state_dir=setup["state"])(1_700_000_000.0)
    finally:
        outbox.close()
    assert beat["software_version"] and beat["update"]["result"] == "updated"
    assert beat["update"]["version"] == "1.2"


def test_a_package_that_fails_to_install_is_rolled_back(setup) -> None:
    config = Config().with_overrides(**_flat(setup["config"]))
    assert Updater(config).run(now=True).result == "up_to_date"
    publish(setup["repo"], setup["gnupg"], setup["key"], setup["debs"]["1.3"])  # its postinst fails
    outcome = Updater(config).run(now=True)
    assert outcome.result == "rolled_back", outcome
    assert "E:" in outcome.detail and installed() == "1.0"
    assert Apt().policy(PACKAGE) == ("1.0", "1.3")


def test_a_repository_signed_by_another_key_is_refused(setup) -> None:
    other_home = setup["tmp"] / "other-gnupg"
    other = gpg_key(other_home, "Somebody Else")
    (setup["repo"] / "conf" / "distributions").write_text(
        (setup["repo"] / "conf" / "distributions").read_text().replace(setup["key"], other))
    publish_keeping_trust(setup, other_home, other)
    config = Config().with_overrides(**_flat(setup["config"]))
    outcome = Updater(config).run(now=True)
    assert outcome.result == "repository_unreachable" and not outcome.ok, outcome
    assert "signature" in outcome.detail, outcome.detail
    assert installed() == "1.0"


def test_an_install_killed_midway_still_rolls_back(setup) -> None:
    """GIVEN 1.0 installed WHEN dpkg is killed while installing 1.4 (as by a power cut: dpkg's journal
    left open, the package half-installed, and apt refusing to work "until dpkg --configure -a")
    THEN dpkg is repaired before the rollback and 1.0 is back, whole and healthy."""
    killed = setup["tmp"] / "dpkg-killed"
    kill_once = f"#!/bin/sh\n[ -e {killed} ] || {{ touch {killed}; kill -KILL $PPID; sleep 5; }}\n"
    deb = build_deb(setup["tmp"], "1.4", HEALTHY, preinst=kill_once)
    config = Config().with_overrides(**_flat(setup["config"]))
    assert Updater(config).run(now=True).result == "up_to_date"  # keeps 1.0's package: the way back
    publish(setup["repo"], setup["gnupg"], setup["key"], deb)
    outcome = Updater(config).run(now=True)
    assert killed.exists() and outcome.result == "rolled_back", outcome
    assert "dpkg repaired before the rollback: apt-get -f install done" in outcome.detail
    assert Apt().package_state(PACKAGE) == ("1.0", True) and Apt().repair() == (True, "dpkg consistent")
    assert json.loads((setup["state"] / "ui-ready.json").read_text())["version"] == "1.0"
    assert last_update(setup["state"])["result"] == "rolled_back"


def test_a_half_installed_package_apt_cannot_fix_goes_back_through_dpkg(setup) -> None:
    """GIVEN an update cut short by dpkg being killed (1.0 left half-installed) and the new version
    withdrawn from the repository since, so apt finds no archive to reinstall WHEN the next run starts
    THEN the repair says so, and the rollback hands the kept 1.0 to dpkg itself: 1.0, whole and healthy."""
    killed = setup["tmp"] / "dpkg-killed"
    kill_once = f"#!/bin/sh\n[ -e {killed} ] || {{ touch {killed}; kill -KILL $PPID; sleep 5; }}\n"
    deb = build_deb(setup["tmp"], "1.4", HEALTHY, preinst=kill_once)
    config = Config().with_overrides(**_flat(setup["config"]))
    assert Updater(config).run(now=True).result == "up_to_date"  # keeps 1.0's package: the way back
    publish(setup["repo"], setup["gnupg"], setup["key"], deb)
    write_state(setup["state"], Outcome("installing", version="1.0", attempted="1.4"))  # then the run was cut
    assert Apt().refresh()[0] and not Apt().install(PACKAGE, "1.4")[0]
    assert Apt().package_state(PACKAGE) == ("1.0", False)  # half-installed, reinstall required
    subprocess.run(["reprepro", "-b", str(setup["repo"]), "remove", "stable", PACKAGE], check=True,
                   capture_output=True, env=dict(os.environ, GNUPGHOME=str(setup["gnupg"])))

    outcome = Updater(config).run(now=True)
    assert outcome.result == "rolled_back" and outcome.version == "1.0", outcome.detail
    assert "dpkg -i: installed" in outcome.detail and "dpkg repair before the rollback failed" in outcome.detail
    assert Apt().package_state(PACKAGE) == ("1.0", True) and Apt().repair() == (True, "dpkg consistent")
    assert json.loads((setup["state"] / "ui-ready.json").read_text())["version"] == "1.0"


@pytest.mark.parametrize(("version", "start", "result", "ends_on"), [("1.5", HEALTHY, "updated", "1.5"),
                                                                      ("1.6", BROKEN, "rolled_back", "1.0")])
def test_an_update_cut_short_is_finished_by_the_next_run(setup, version, start, result, ends_on) -> None:
    """GIVEN a `kiosk update` cut short while apt installed a new version (its postinst had failed
    once: the package is left half-configured) WHEN the next run starts THEN dpkg is repaired first
    and the health check decides: a healthy version stays, an unhealthy one goes back to 1.0."""
    failed = setup["tmp"] / "postinst-failed"
    fail_once = f"#!/bin/sh\n[ -e {failed} ] || {{ touch {failed}; echo 'configure failed' >&2; exit 1; }}\n"
    deb = build_deb(setup["tmp"], version, start, postinst=fail_once)
    config = Config().with_overrides(**_flat(setup["config"]))
    assert Updater(config).run(now=True).result == "up_to_date"  # keeps 1.0's package: the way back
    publish(setup["repo"], setup["gnupg"], setup["key"], deb)
    write_state(setup["state"], Outcome("installing", version="1.0", attempted=version))  # then the run was cut
    assert Apt().refresh()[0] and not Apt().install(PACKAGE, version)[0]
    assert Apt().package_state(PACKAGE) == (version, False)

    outcome = Updater(config).run(now=True)
    assert outcome.result == result and outcome.version == ends_on, outcome
    assert Apt().package_state(PACKAGE) == (ends_on, True)
    assert json.loads((setup["state"] / "ui-ready.json").read_text())["version"] == ends_on
    assert last_update(setup["state"])["result"] == result


def publish_keeping_trust(setup: dict, home: Path, key: str) -> None:
    """Publish 1.2 signed by another key; the kiosk still trusts only the first key's keyring."""
    keyring = setup["repo"] / "kiosk-archive-keyring.gpg"
    trusted = keyring.read_bytes()
    publish(setup["repo"], home, key, setup["debs"]["1.2"])
    keyring.write_bytes(trusted)


def _flat(path: Path) -> dict:
    import tomllib

    data = tomllib.loads(path.read_text())
    return {f"{section}__{key}": value for section, values in data.items() for key, value in values.items()}


# ---------------------------------------------------------------- the rules, without apt


class FakeApt:
    def __init__(self, installed: str | None = "1.0", candidate: str | None = "1.1") -> None:
        self.installed, self.candidate = installed, candidate
        self.calls: list[str] = []

    def refresh(self) -> tuple[bool, str]:
        self.calls.append("refresh")
        return True, ""

    def policy(self, package: str) -> tuple[str | None, str | None]:
        return self.installed, self.candidate

    def download(self, package: str, version: str, folder: Path) -> tuple[bool, str]:
        self.calls.append(f"download {version}")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{package}_{version}_all.deb").write_bytes(b"!<arch>\n")
        return True, ""

    def install(self, package: str, version: str) -> tuple[bool, str]:
        self.calls.append(f"install {version}")
        return False, "E: dpkg was interrupted"

    def install_file(self, path: Path) -> tuple[bool, str]:
        self.calls.append(f"install_file {path.name}")
        return False, "E: broken"

    def repair(self) -> tuple[bool, str]:
        self.calls.append("repair")
        return True, "dpkg consistent"

    def dpkg_install(self, path: Path) -> tuple[bool, str]:
        self.calls.append(f"dpkg_install {path.name}")
        return False, "dpkg -i: dpkg: error"

    def package_state(self, package: str) -> tuple[str | None, bool]:
        return self.installed, True


def _config(tmp_path: Path, **over: object) -> Config:
    return Config().with_overrides(**{"kiosk__state_dir": str(tmp_path), "update__restart_command": "true",
                                      "update__reset_command": "", "update__sync_check_command": "",
                                      "update__health_seconds": 5.0, **over})


def test_outside_the_window_nothing_is_touched(tmp_path: Path) -> None:
    apt = FakeApt()
    updater = Updater(_config(tmp_path, update__window="02:00-05:00"), apt=apt,
                      local_now=lambda: _dt.datetime(2026, 12, 1, 14, 0))
    assert updater.run().result == "outside_window" and apt.calls == []
    assert not (tmp_path / STATE_FILE).exists()


def test_it_waits_for_the_citizen_to_finish(tmp_path: Path) -> None:
    """GIVEN a citizen session WHEN the update is due THEN apt waits until the session file is gone."""
    mark_session(tmp_path, True)
    apt = FakeApt(candidate="1.0")
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        assert apt.calls == []  # nothing happens while the citizen is there
        if len(waits) == 3:
            (tmp_path / SESSION_FILE).unlink()
    updater = Updater(_config(tmp_path, update__window="00:00-23:59"), apt=apt, sleep=sleep,
                      local_now=lambda: _dt.datetime(2026, 12, 1, 3, 0))
    assert updater.run().result == "up_to_date" and len(waits) == 3


def test_a_session_that_runs_past_the_window_postpones_the_update(tmp_path: Path) -> None:
    mark_session(tmp_path, True)
    times = iter([_dt.datetime(2026, 12, 1, 4, 59), _dt.datetime(2026, 12, 1, 4, 59), _dt.datetime(2026, 12, 1, 5, 0)])
    apt = FakeApt()
    updater = Updater(_config(tmp_path), apt=apt, sleep=lambda s: None, local_now=lambda: next(times))
    assert updater.run().result == "session_running" and apt.calls == []


def test_a_failed_install_and_a_failed_rollback_are_reported_as_such(tmp_path: Path) -> None:
    apt = FakeApt()
    outcome = Updater(_config(tmp_path), apt=apt).run(now=True)
    assert apt.calls == ["refresh", "repair", "download 1.0", "install 1.1", "repair",
                         "install_file kiosk_1.0_all.deb", "dpkg_install kiosk_1.0_all.deb"]
    assert outcome.result == "rollback_unhealthy" and not outcome.ok
    assert last_update(tmp_path)["result"] == "rollback_unhealthy"


def test_nothing_is_installed_while_dpkg_cannot_be_repaired(tmp_path: Path) -> None:
    apt = FakeApt()
    apt.repair = lambda: (False, "still unfinished: other 1 (half-configured)")
    outcome = Updater(_config(tmp_path), apt=apt).run(now=True)
    assert outcome.result == "dpkg_unrepaired" and not outcome.ok and "install 1.1" not in apt.calls
    assert "other 1 (half-configured)" in outcome.detail and last_update(tmp_path)["result"] == "dpkg_unrepaired"


def test_no_update_without_a_way_back(tmp_path: Path) -> None:
    apt = FakeApt()
    apt.download = lambda package, version, folder: (False, "E: Can't find a source to download version '1.0'")
    outcome = Updater(_config(tmp_path), apt=apt).run(now=True)
    assert outcome.result == "no_rollback_copy" and "install 1.1" not in apt.calls


@given(st.times(), st.times(), st.times())
def test_the_window_may_cross_midnight(start: _dt.time, end: _dt.time, now: _dt.time) -> None:
    window = f"{start:%H:%M}-{end:%H:%M}"
    s, e, n = (t.replace(second=0, microsecond=0) for t in (start, end, now))
    inside = in_window(window, n)
    assert inside == ((s <= n < e) if s <= e else (n >= s or n < e))


@given(st.binary(max_size=300))
def test_a_garbled_state_file_gives_an_empty_heartbeat_entry(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / STATE_FILE).write_bytes(raw)
        assert isinstance(last_update(Path(folder)), dict)


def test_apt_policy_output_is_parsed_not_trusted() -> None:
    class Done:
        def __init__(self, out: str) -> None:
            self.stdout, self.stderr, self.returncode = out, "", 0

    for out, want in [("p:\n  Installed: (none)\n  Candidate: 1.2\n", (None, "1.2")),
                      ("p:\n  Installed: 1:2.0-1\n  Candidate: 1:2.0-1\n", ("1:2.0-1", "1:2.0-1")),
                      ("garbage\n\x00\n", (None, None)), ("", (None, None)),
                      ("  Installed: a b c\n", (None, None))]:
        assert Apt(run=lambda *a, out=out, **k: Done(out)).policy("p") == want
    assert Outcome("updated").ok and not Outcome("rolled_back").ok


def test_the_ui_takes_no_new_citizen_while_an_update_installs(kiosk) -> None:
    """GIVEN a session WHEN `kiosk update` starts installing THEN the citizen finishes, and only then
    the kiosk goes out of service; when the update is done it takes citizens again."""
    from kiosk.restart_state import UPDATING_REASON, mark_updating
    from screens.walkthrough import Walker, pump, wait_for

    state_dir = kiosk.maint.config.path("kiosk.state_dir")
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    mark_updating(state_dir, True)
    pump(2500)  # the flag is read every 2 s
    assert w.screen == "face_consent"  # never cut short
    session_file = state_dir / SESSION_FILE
    wait_for(lambda: session_file.exists(), 10, "the session file while a citizen is served")
    kiosk.reader.remove()  # the citizen leaves
    w.expect("out_of_service")
    wait_for(lambda: not session_file.exists(), 10, "the session file removed when the session ended")
    assert kiosk.vm.view["outOfService"] == UPDATING_REASON
    kiosk.reader.insert(0)
    pump(500)
    assert kiosk.vm.journey.session is None
    kiosk.reader.remove()
    mark_updating(state_dir, False)
    w.expect("attract")


def test_the_flag_is_up_while_apt_runs_and_down_afterwards(tmp_path: Path) -> None:
    from kiosk.restart_state import updating

    seen: list[bool] = []
    apt = FakeApt()
    apt.install = lambda package, version: (seen.append(updating(tmp_path)), (False, "E: no"))[1]
    Updater(_config(tmp_path), apt=apt).run(now=True)
    assert seen == [True] and not updating(tmp_path)


@given(st.binary(max_size=200))
def test_the_running_version_is_the_package_stamp_or_the_wheels(raw: bytes) -> None:
    """The heartbeat's and the ready file's version: /opt/kiosk/VERSION (installer/build-deb.sh) when
    it holds one printable line, else the wheel's version; a garbled stamp never breaks anything."""
    import tempfile

    from kiosk.version import package_version, running_version, wheel_version

    with tempfile.TemporaryDirectory() as folder:
        stamp = Path(folder) / "VERSION"
        assert running_version(stamp) == wheel_version()  # no stamp: a source checkout
        stamp.write_bytes(raw)
        got = package_version(stamp)
        assert got is None or (got.isprintable() and 0 < len(got) <= 64)
        assert running_version(stamp) == (got or wheel_version())
        stamp.write_text("0.1.0+git281+test1\n")
        assert running_version(stamp) == "0.1.0+git281+test1"


def test_a_ui_that_comes_up_out_of_service_fails_the_health_check_at_once(tmp_path: Path) -> None:
    """GIVEN the new version's UI cannot start and shows the standalone out-of-service screen (its
    ready file names that screen) THEN the health check fails without waiting out update.health_seconds."""
    from kiosk.restart_state import write_ready

    def sleep(seconds: float) -> None:
        raise AssertionError("the health check waited")
    updater = Updater(_config(tmp_path), apt=FakeApt(), sleep=sleep, clock=lambda: 100.0)
    write_ready(tmp_path, version="1.1", screen="out_of_service", now=101.0)
    assert updater.health(100.0) == (False, "the UI came up on its out_of_service screen, not the attract screen")
    write_ready(tmp_path, version="1.1", screen="\x00" * 40, now=101.0)
    assert updater.health(100.0)[1] == "the UI came up on a screen other than the attract screen"
    write_ready(tmp_path, version="1.0", screen="out_of_service", now=99.0)  # an older record: wait for a new one
    with pytest.raises(AssertionError, match="waited"):
        updater.health(100.0)


def test_the_units_are_reset_before_each_restart(tmp_path: Path) -> None:
    """A broken version that crashed in a loop may have hit kiosk.service's start limit, and systemd
    refuses even a manual restart then: update.reset_command (systemctl reset-failed) runs first."""
    from kiosk.restart_state import write_ready

    calls = tmp_path / "calls"
    restart = tmp_path / "restart.sh"  # restarts "the UI": it paints its attract screen
    restart.write_text(f"echo restart >> {calls}\n"
                       f"""printf '{{"version": "1.1", "screen": "attract", "at": %s}}' "$(date +%s.%N)" """
                       f"> {tmp_path}/ui-ready.json\n")
    apt = FakeApt()
    apt.install = lambda package, version: (True, "")
    config = _config(tmp_path, update__reset_command=f"sh -c 'echo reset >> {calls}'",
                     update__restart_command=f"sh {restart}")
    write_ready(tmp_path, version="1.0", screen="attract", now=0.0)
    assert Updater(config, apt=apt).run(now=True).result == "updated"
    assert calls.read_text().split() == ["reset", "restart"]

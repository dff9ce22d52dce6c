"""A kiosk that cannot start shows the out-of-service screen instead of a black screen or flicker.

The real `kiosk` process runs under tests/supervisor.py (the stand-in for systemd with
Type=notify, WatchdogSec= and Restart=always): with a configuration it cannot run on, with an
install whose modules fail to import, and with an app that dies before its first frame at every
start. Each time the standalone screen (screens/fallback_screen.py) comes up, says READY=1 with
the reason as status, keeps answering the watchdog, is not restarted, and the log names the
cause. Without a service manager the same problems print and exit with a status, as before.
Also: why an exit status is not relied on (cage 0.1.4 hides its child's status, measured with
the real cage through the real relay), and the screen itself in all three languages.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kiosk.crash_loop import STARTS_FILE, is_tripped
from kiosk.i18n import table
from kiosk.start_guard import describe_failure
from tests.supervisor import Supervisor
from tests.test_watchdog_restart import ROOT, kiosk_env, write_config


def _pings_after(sup: Supervisor, pid: int, at: float, seconds: float) -> None:
    """The process keeps answering the watchdog for `seconds` after `at`, and nothing kills it."""
    sup.wait_for(lambda e: e.kind == "ping" and e.pid == pid and e.at > at + seconds, 30)
    assert sup.pid == pid and not [e for e in sup.events if e.kind in ("watchdog", "exit")]


def _stop_cleanly(sup: Supervisor, pid: int) -> None:
    os.kill(pid, signal.SIGTERM)  # systemctl stop / restart after the technician's fix
    sup.wait_for(lambda e: e.kind == "exit" and e.pid == pid, 30)
    assert [e.detail for e in sup.events if e.kind == "exit" and e.pid == pid] == ["0"]
    assert [e for e in sup.events if e.kind == "stopping" and e.pid == pid]


def test_kiosk_run_on_demo_settings_shows_out_of_service_and_stays_up(tmp_path: Path) -> None:
    config = write_config(tmp_path, kiosk={"state_dir": str(tmp_path / "state")})  # the demo's defaults
    argv = [sys.executable, "-m", "kiosk.cli", "run", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=2.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        ready = sup.wait_ready(60)
        assert ready.detail.startswith("out of service: the configuration")
        _pings_after(sup, ready.pid, ready.at, 4.5)  # more than two watchdog intervals: no restart loop
        assert _ui_state(tmp_path / "state") == "out_of_service_not_set_up"  # for the heartbeat and alerts
        _stop_cleanly(sup, ready.pid)
    log = (tmp_path / "kiosk.out").read_text(errors="replace")
    assert "platform.url is empty" in log and "kiosk.id is the demo's" in log  # each missing setting named
    assert "Traceback" not in log


def test_a_configuration_file_that_cannot_be_read_shows_out_of_service(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_bytes(b"[kiosk\nid = \"cut off")
    argv = [sys.executable, "-m", "kiosk.cli", "run", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=2.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        ready = sup.wait_ready(60)
        assert ready.detail.startswith("out of service: the configuration")
        _pings_after(sup, ready.pid, ready.at, 2.5)
    log = (tmp_path / "kiosk.out").read_text(errors="replace")
    assert "kiosk: configuration problem:" in log and "Traceback" not in log


def test_a_broken_install_shows_out_of_service_and_says_why(tmp_path: Path) -> None:
    # The drivers' package fails to import, as a half-written or corrupted install would.
    broken = tmp_path / "broken" / "devices"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text('raise ImportError("devices: simulated broken install")\n')
    config = write_config(tmp_path, kiosk={"state_dir": str(tmp_path / "state")},
                          printer={"pdf_folder": str(tmp_path / "prints")})
    env = dict(kiosk_env(tmp_path), PYTHONPATH=f"{broken.parent}{os.pathsep}{ROOT}")
    argv = [sys.executable, "-m", "kiosk.cli", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=env, watchdog_seconds=2.0, cwd=str(tmp_path), log_path=tmp_path / "kiosk.out") as sup:
        ready = sup.wait_ready(60)
        assert ready.detail.startswith("out of service: the app cannot start")
        _pings_after(sup, ready.pid, ready.at, 2.5)
        from kiosk.restart_state import read_ready

        # the ready file names this screen: `kiosk update` rolls such a version back at once
        assert (read_ready(tmp_path / "state") or {}).get("screen") == "out_of_service"
        _stop_cleanly(sup, ready.pid)
    log = (tmp_path / "kiosk.out").read_text(errors="replace")
    assert "kiosk: the app cannot start: ImportError: devices: simulated broken install (at __init__.py:1)" in log
    assert "Traceback" not in log


def test_an_app_that_dies_before_its_first_frame_ends_on_the_out_of_service_screen(tmp_path: Path) -> None:
    state = tmp_path / "state"
    config = write_config(tmp_path, kiosk={"state_dir": str(state)}, printer={"pdf_folder": str(tmp_path / "p")},
                          service={"crash_loop_starts": 2, "max_backoff_seconds": 0.0})
    argv = [sys.executable, "-m", "tests.broken_kiosk", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=2.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        ready = sup.wait_ready(90)
        assert ready.detail.startswith("out of service: the app crashed at every start")
        starts = [e for e in sup.events if e.kind == "start"]
        assert len(starts) == 3  # two deaths (the second trips the crash loop), then the screen
        _pings_after_restarts(sup, ready.pid, ready.at, 2.5)
        assert _ui_state(state) == "out_of_service_crash_loop"  # what the KioskCrashLoop alert reads
        os.kill(ready.pid, signal.SIGTERM)
        sup.wait_for(lambda e: e.kind == "exit" and e.pid == ready.pid, 30)
    assert is_tripped(state)  # still out of service for the app: a technician clears it
    assert '"starts": []' in (state / STARTS_FILE).read_text()  # a clean stop is no crash


def _ui_state(state: Path) -> str:
    """The UI's state as the sync service's heartbeat and exporter read it (sync/service.py)."""
    from sync.service import kiosk_state
    from sync.store import ManagedOutbox

    box = ManagedOutbox(state / "outbox.db", recover=False)
    try:
        return str(kiosk_state(box).get("devices", {}).get("ui", {}).get("state", ""))
    finally:
        box.close()


def _pings_after_restarts(sup: Supervisor, pid: int, at: float, seconds: float) -> None:
    sup.wait_for(lambda e: e.kind == "ping" and e.pid == pid and e.at > at + seconds, 30)
    assert sup.pid == pid and not [e for e in sup.events if e.kind == "watchdog"]
    assert not [e for e in sup.events if e.kind == "exit" and e.pid == pid]


def test_by_hand_the_problems_print_and_exit_as_before(tmp_path: Path) -> None:
    config = write_config(tmp_path, kiosk={"state_dir": str(tmp_path / "state")})
    env = kiosk_env(tmp_path)
    env.pop("NOTIFY_SOCKET", None)
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)], cwd=str(ROOT),
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "platform.url is empty" in done.stderr and "Traceback" not in done.stderr


def test_a_failure_is_described_in_one_line() -> None:
    try:
        raise ImportError("No module named 'serial'\n(second line)")
    except ImportError as exc:
        line = describe_failure(exc)
    assert line.startswith("ImportError: No module named 'serial' (second line) (at test_fallback_screen.py:")
    assert "\n" not in line


@pytest.mark.parametrize("reason", ["config", "start_failed", "crash_loop"])
@pytest.mark.parametrize("assisted", [False, True])
def test_the_screen_in_three_languages(qapp, qml_warnings, tmp_path: Path, reason: str, assisted: bool) -> None:
    from PySide6.QtQuick import QQuickItem

    from screens.fallback_screen import REASONS, build
    from screens.theme import COLORS

    engine, window = build(reason, assisted=assisted)
    window.show()
    for _ in range(10):
        qapp.processEvents()
    def texts(item: QQuickItem) -> list[str]:  # the visual tree (a Repeater's rows are not QObject children)
        return [str(item.property("text") or "")] + [t for child in item.childItems() for t in texts(child)]
    shown = " ".join(texts(window.contentItem()))
    for lang in ("zh-CN", "zh-TW", "en"):
        assert table()[lang]["out_of_service_title"] in shown and table()[lang][REASONS[reason]] in shown
    image = window.grabWindow()
    image.save(str(tmp_path / f"fallback-{reason}-{'assisted' if assisted else 'standard'}.png"))
    assert image.pixelColor(5, 5).name() == COLORS["header"]
    assert image.pixelColor(image.width() - 5, image.height() - 5).name() == COLORS["background"]
    window.hide()
    window.deleteLater()
    engine.deleteLater()


needs_cage = pytest.mark.skipif(shutil.which("cage") is None or os.geteuid() != 0,
                                reason="needs cage (installer/install.sh) and root (the session runs as nobody)")


@needs_cage
def test_cage_hides_the_apps_exit_status_so_the_kiosk_does_not_rely_on_it() -> None:
    """Measured with cage 0.1.4 on the headless backend, through the notify relay as kiosk.service
    runs it: whatever the app's status, the relay (the unit's main process) sees cage's 0. So
    RestartPreventExitStatus= could never see a configuration error, and the kiosk stays up on its
    out-of-service screen instead. If cage starts passing the status on, this test says so."""
    work = Path(tempfile.mkdtemp(prefix="kiosk-cage-status-"))
    try:
        work.chmod(0o755)
        runtime = work / "runtime"
        runtime.mkdir(mode=0o700)
        shutil.chown(runtime, "nobody")
        env = ["PATH=/usr/bin:/bin", f"HOME={work}", f"XDG_RUNTIME_DIR={runtime}", "WLR_BACKENDS=headless",
               "WLR_RENDERER=pixman", "WLR_LIBINPUT_NO_DEVICES=1", f"PYTHONPATH={ROOT}"]
        statuses = {}
        for code in ("2", "78", "kill -SEGV $$"):
            script = code if code.startswith("kill") else f"exit {code}"
            done = subprocess.run(["runuser", "-u", "nobody", "--", "env", "-i", *env, sys.executable, "-m",
                                   "kiosk.notify_relay", "--", "cage", "-d", "--", "sh", "-c", script],
                                  capture_output=True, timeout=60)
            statuses[code] = done.returncode
        assert statuses == {"2": 0, "78": 0, "kill -SEGV $$": 0}, f"cage now passes the status on: {statuses}"
    finally:
        shutil.rmtree(work, ignore_errors=True)


FALLBACK_LAUNCHER = """\
import sys
from kiosk.start_guard import out_of_service
sys.exit(out_of_service("start_failed"))
"""


@needs_cage
def test_the_screen_fills_the_output_under_cage() -> None:
    """The production session (tests/cage_session.py: cage -d, Wayland, decorations off, as nobody):
    the standalone screen, like the attract screen, fills the output with no decorations."""
    from tests.cage_session import CageSession, shoot_attract

    if shutil.which("grim") is None:
        pytest.skip("grim is not installed (installer/install.sh installs it)")
    work = Path(tempfile.mkdtemp(prefix="kiosk-cage-fallback-"))
    work.chmod(0o755)
    try:
        session = CageSession(sys.executable, work / "session", pythonpath=str(ROOT), launcher=FALLBACK_LAUNCHER)
        problems = shoot_attract(session, work / "fallback.png")
        assert problems == [], "\n".join(problems) + "\n" + session.log_tail()
        assert "out of service (start_failed)" in session.log_tail(40)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _production_chain(work: Path, command: str) -> tuple[subprocess.Popen[bytes], object, Path]:
    """kiosk.service's own chain, as the unprivileged user nobody on cage's headless backend: the
    notify relay -> cage -d -> `kiosk COMMAND` (the demo's settings otherwise). Returns the running
    relay (its output piped), the service manager's socket (tests/test_notify_relay.py's Manager: each
    message with its sender's pid) and the state folder."""
    from tests.test_notify_relay import Manager

    work.chmod(0o755)
    runtime, state = work / "runtime", work / "state"
    runtime.mkdir(mode=0o700)
    state.mkdir()
    for folder in (runtime, state):
        shutil.chown(folder, "nobody")
    config = write_config(work, kiosk={"state_dir": str(state)}, printer={"pdf_folder": str(state / "p")},
                          maintenance={"export_dir": str(state / "usb")}, ui={"speech": False})
    manager = Manager(work)
    os.chmod(manager.path, 0o666)  # the relay runs as nobody
    env = ["PATH=/usr/bin:/bin", f"HOME={work}", f"XDG_RUNTIME_DIR={runtime}", "WLR_BACKENDS=headless",
           "WLR_RENDERER=pixman", "WLR_LIBINPUT_NO_DEVICES=1", "QT_QPA_PLATFORM=wayland",
           "QT_WAYLAND_DISABLE_WINDOWDECORATION=1", "LANG=C.UTF-8", f"PYTHONPATH={ROOT}",
           f"NOTIFY_SOCKET={manager.path}", "WATCHDOG_USEC=5000000"]
    relay = subprocess.Popen(["runuser", "-u", "nobody", "--", "env", "-i", *env, sys.executable, "-m",
                              "kiosk.notify_relay", "--", "cage", "-d", "--", sys.executable, "-m", "kiosk.cli",
                              command, "--config", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)
    return relay, manager, state


@pytest.fixture
def session_folder():
    """A folder the session's user can reach (pytest's own are root's only); removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix="kiosk-chain-"))
    yield work
    shutil.rmtree(work, ignore_errors=True)


def _until_ready(manager: object) -> tuple[int, str]:
    import time

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            pid, message = manager.receive()
        except TimeoutError:  # nothing for 10 s: a slow start on a busy machine
            continue
        if "READY=1" in message:
            return pid, message
    raise AssertionError("no READY=1 within 90 s")


def _end(relay: subprocess.Popen[bytes], main_pid: int | None) -> str:
    """Stop as systemctl stop does (SIGTERM to the unit's main process, the relay); its output."""
    try:
        if main_pid is not None:
            os.kill(main_pid, signal.SIGTERM)
        out, _ = relay.communicate(timeout=30)
    finally:
        if relay.poll() is None:
            os.killpg(relay.pid, signal.SIGKILL)
            relay.wait()
    return out.decode(errors="replace")


@needs_cage
def test_through_the_relay_and_cage_the_manager_hears_why_and_the_pings_go_on(session_folder: Path) -> None:
    """`kiosk run` on the demo's settings in the production chain: the service manager hears READY=1
    with the reason from the relay's pid, then the watchdog pings; a stop ends it with status 0."""
    relay, manager, _state = _production_chain(session_folder, "run")
    main_pid = None
    try:
        main_pid, ready = _until_ready(manager)
        assert "STATUS=out of service: the configuration" in ready
        pings = 0
        while pings < 3:  # the pings go on (through the relay) after READY: no restart loop
            pid, message = manager.receive()
            pings += message == "WATCHDOG=1"
            assert pid == main_pid  # always from the relay, the unit's main process
        assert relay.poll() is None
    finally:
        text = _end(relay, main_pid)
    assert relay.returncode == 0, text[-2000:]
    assert "platform.url is empty" in text and "kiosk: out of service (config)" in text
    assert "Traceback" not in text


@needs_cage
def test_a_stop_through_the_relay_and_cage_is_a_clean_stop_not_a_crash(session_folder: Path) -> None:
    """The app (`kiosk demo` on the attract screen) is told to stop before cage, so it ends cleanly
    and forgets its start: a `systemctl restart` is no crash. Before, cage 0.1.4 aborted on the
    SIGTERM (wl_display_terminate) and took the app with it, and every stop counted towards the
    crash loop."""
    relay, manager, state = _production_chain(session_folder, "demo")
    main_pid = None
    try:
        main_pid, ready = _until_ready(manager)
        assert "STATUS=attract" in ready
        assert '"starts": [' in (state / STARTS_FILE).read_text() and '"starts": []' not in \
            (state / STARTS_FILE).read_text()
    finally:
        text = _end(relay, main_pid)
    assert relay.returncode == 0, text[-2000:]
    assert '"starts": []' in (state / STARTS_FILE).read_text()  # the clean stop was recorded
    assert "wl_display_terminate" not in text and "Wayland connection broke" not in text

"""Self-healing, end to end: the real kiosk process under a stand-in for systemd (tests/supervisor.py).

The UI is frozen with SIGSTOP in the middle of a citizen's session (a card on the SAM reader,
emulated on a pty by this test). Its pings stop, the supervisor aborts and kills it as systemd's
watchdog would, starts it again, and the new process comes up on the attract screen with nothing
of that session: no session file, no partial print, the presence state says no session, and the
audit trail records the abandoned session. The sync service (`kiosk sync`) is watched the same way.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from devices.sam_emulator import SamEmulator
from devices.sim_people import SAMPLE_PEOPLE
from kiosk.audit_log import AuditLog
from kiosk.restart_state import SESSION_FILE, read_ready
from tests.supervisor import Supervisor

ROOT = Path(__file__).resolve().parent.parent
SESSION_SCREENS = ("face_consent", "identity", "service_menu", "verify_choice", "staff_check", "loading")


def kiosk_env(home: Path) -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_QUICK_CONTROLS_STYLE="Basic", HOME=str(home))
    env.pop("KIOSK_CONFIG", None)
    return env


def write_config(tmp: Path, **sections: dict[str, object]) -> Path:
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path = tmp / "kiosk.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sam():
    with SamEmulator() as emulator:
        yield emulator


def test_a_frozen_ui_is_restarted_on_the_attract_screen_with_the_session_wiped(tmp_path: Path, sam) -> None:
    state = tmp_path / "state"
    prints = tmp_path / "prints"
    config = write_config(tmp_path, kiosk={"state_dir": str(state)},
                          reader={"driver": "sam", "port": sam.path},
                          printer={"pdf_folder": str(prints)}, maintenance={"export_dir": str(tmp_path / "usb")},
                          ui={"speech": False})
    argv = [sys.executable, "-m", "kiosk.cli", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=3.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        first = sup.wait_ready(90)
        assert first.detail == "attract"  # READY=1 once the attract screen has painted
        wait_until(lambda: (read_ready(state) or {}).get("pid") == first.pid, "no ready file after the first paint")

        sam.place(SAMPLE_PEOPLE[0])  # a citizen starts a session
        sup.wait_for(lambda e: e.kind == "status" and e.detail != "attract", 60, after=first.at)
        wait_until(lambda: (state / SESSION_FILE).exists(), "the session file was never written")
        prints.mkdir(exist_ok=True)
        (prints / ".job-partial.tmp").write_bytes(b"%PDF-1.7 cut off mid-write")  # a copy being written

        os.kill(first.pid, signal.SIGSTOP)  # the UI freezes mid-session
        sam.remove()  # the citizen gives up and takes the card
        killed = sup.wait_for(lambda e: e.kind == "watchdog" and e.pid == first.pid, 30)
        sup.wait_for(lambda e: e.kind == "exit" and e.pid == first.pid, 30)
        second = sup.wait_ready(90, after=killed.at)

        assert second.pid != first.pid
        assert second.detail == "attract"  # the new process shows the attract screen, not the old session
        assert not (state / SESSION_FILE).exists()
        assert not (prints / ".job-partial.tmp").exists()
        wait_until(lambda: (read_ready(state) or {}).get("pid") == second.pid, "no ready file from the new process")
        wait_until(lambda: "session_abandoned" in audit_events(state), "the abandoned session was not audited")
        statuses = [e.detail for e in sup.events if e.kind == "status" and e.pid == second.pid]
        assert not set(statuses) & set(SESSION_SCREENS)  # no session came back to life
        assert [e for e in sup.events if e.kind == "ignored"] == []  # only the main process spoke


def audit_events(state: Path) -> list[str]:
    return [entry.get("event", "") for entry in AuditLog(state / "audit").tail(200)]


def wait_until(check, message: str, timeout: float = 30.0) -> None:  # noqa: ANN001
    import time

    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.05)


def test_the_sync_service_pings_from_its_loop_and_is_restarted_when_stopped(tmp_path: Path) -> None:
    # Nobody listens at the platform's address: every step fails and the loop goes on (and pings).
    config = write_config(tmp_path, kiosk={"state_dir": str(tmp_path / "state"), "id": "KIOSK-TEST-7"},
                          platform={"url": f"http://127.0.0.1:{free_port()}"},
                          sync={"poll_seconds": 0.5})
    argv = [sys.executable, "-m", "kiosk.cli", "sync", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=1.0, cwd=str(ROOT), abstract=True,
                    log_path=tmp_path / "sync.out") as sup:
        first = sup.wait_ready(60)
        wait_until(lambda: sum(e.kind == "ping" and e.pid == first.pid and e.at > first.at
                               for e in list(sup.events)) >= 3, "the sync loop does not ping")
        assert not [e for e in sup.events if e.kind == "watchdog"]
        os.kill(first.pid, signal.SIGSTOP)
        killed = sup.wait_for(lambda e: e.kind == "watchdog", 30, after=first.at)
        second = sup.wait_ready(60, after=killed.at)
        assert second.pid != first.pid

"""Crash loops (kiosk/crash_loop.py): starts are counted, quick restarts back off, and too many
end on the out-of-service screen, pinging, until a technician clears it in maintenance mode."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kiosk.crash_loop import (
    REASON,
    STARTS_FILE,
    CrashLoopPolicy,
    backoff,
    clear,
    is_tripped,
    record_clean_stop,
    record_start,
)

POLICY = CrashLoopPolicy(limit=4, window_seconds=600, max_backoff=8)


def test_starts_within_the_window_trip_the_crash_loop(tmp_path: Path) -> None:
    verdicts = [record_start(tmp_path, POLICY, now=1000.0 + i) for i in range(4)]
    assert [v.recent for v in verdicts] == [1, 2, 3, 4]
    assert [v.tripped for v in verdicts] == [False, False, False, True]
    assert [v.backoff for v in verdicts] == [0.0, 0.0, 1.0, 0.0]  # tripped: no more waiting, out of service
    assert record_start(tmp_path, POLICY, now=5000.0).tripped  # stays over later restarts ...
    assert clear(tmp_path) is True  # ... until a technician clears it
    assert not record_start(tmp_path, POLICY, now=5001.0).tripped


def test_old_starts_and_clean_stops_do_not_count(tmp_path: Path) -> None:
    for i in range(3):
        record_start(tmp_path, POLICY, now=1000.0 + i)
    assert record_start(tmp_path, POLICY, now=1000.0 + 601 + 2).recent == 1  # the others left the window
    record_start(tmp_path, POLICY, now=2000.0)
    record_clean_stop(tmp_path)  # `systemctl stop`: not a crash
    assert record_start(tmp_path, POLICY, now=2001.0).recent == 1


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n, 8.0) for n in range(1, 9)] == [0, 0, 1, 2, 4, 8, 8, 8]
    assert backoff(50, 0.0) == 0.0


@given(st.binary(max_size=200))
def test_a_garbled_record_is_read_as_empty_never_a_crash(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder)
        (path / STARTS_FILE).write_bytes(raw)
        verdict = record_start(path, POLICY, now=10.0)
        assert verdict.recent >= 1
        is_tripped(path)
        json.loads((path / STARTS_FILE).read_text())  # rewritten whole


def test_an_unwritable_state_dir_still_starts(tmp_path: Path) -> None:
    (tmp_path / STARTS_FILE).mkdir()  # a folder where the file should be: the write fails
    assert record_start(tmp_path, POLICY, now=1.0).recent == 1


def test_a_crash_loop_ends_on_the_out_of_service_screen_still_pinging(tmp_path: Path) -> None:
    """GIVEN the real kiosk under a systemd stand-in WHEN it dies at every start THEN the third start
    (crash_loop_starts = 3) shows out of service (READY with that screen), and keeps the watchdog fed."""
    from tests.supervisor import Supervisor
    from tests.test_watchdog_restart import ROOT, kiosk_env, write_config

    state = tmp_path / "state"
    config = write_config(tmp_path, kiosk={"state_dir": str(state)}, printer={"pdf_folder": str(tmp_path / "p")},
                          maintenance={"export_dir": str(tmp_path / "usb")},
                          service={"crash_loop_starts": 3, "max_backoff_seconds": 1.0})
    argv = [sys.executable, "-m", "kiosk.cli", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=3.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        after = 0.0
        for _ in range(2):
            ready = sup.wait_ready(90, after=after)
            assert ready.detail == "attract"
            os.kill(ready.pid, signal.SIGKILL)  # a crash
            after = sup.wait_for(lambda e, pid=ready.pid: e.kind == "exit" and e.pid == pid, 30).at
        third = sup.wait_ready(90, after=after)
        assert third.detail == "out_of_service"  # not the attract screen: no flicker back into service
        sup.wait_for(lambda e: e.kind == "ping" and e.pid == third.pid and e.at > third.at + 3.0, 30)
        assert sup.pid == third.pid and not [e for e in sup.events if e.kind == "watchdog"]
    assert is_tripped(state)


def test_a_technician_puts_a_crash_looped_kiosk_back_in_service(kiosk) -> None:
    from screens.walkthrough import Walker, wait_for

    state_dir = kiosk.maint.config.path("kiosk.state_dir")
    for _ in range(5):
        record_start(state_dir, CrashLoopPolicy())
    assert is_tripped(state_dir)
    kiosk.vm.journey.set_out_of_service(REASON)  # what screens/app.py:run does on a tripped start
    w = Walker(kiosk)
    w.expect("out_of_service")
    assert kiosk.vm.view["outOfService"] == REASON
    w.sign_in_technician()
    assert kiosk.maint.state["outOfService"] is True
    w.click("btn_maintActions")
    w.maint_settled("actions")
    w.click("btn_outOfService")  # back in service
    w.click("btn_maintSignOut")
    w.expect("attract")
    wait_for(lambda: not is_tripped(state_dir), 10, "the crash loop record cleared")
    events = [(e["event"], e.get("action")) for e in kiosk.vm.services.audit.log.tail()]
    assert ("maintenance", "crash_loop_cleared") in events


def test_the_exporter_reports_a_crash_loop_and_a_failed_update(tmp_path: Path) -> None:
    """What the fleet's alerts (KioskCrashLoop, KioskUpdateFailed) read, straight from the registry."""
    from prometheus_client import generate_latest

    from kiosk.updates import Outcome, write_state
    from sync.metrics import KioskMetrics
    from sync.store import ManagedOutbox

    box = ManagedOutbox(tmp_path / "outbox.db")
    try:
        box.set_meta("kiosk_state", {"in_session": False, "screen": "out_of_service",
                                     "devices": {"ui": {"state": REASON, "reasons": [REASON]}}})
        write_state(tmp_path, Outcome("rolled_back", version="1.0", attempted="1.1", at=1_700_000_000.0))
        m = KioskMetrics(box, kiosk_id="KIOSK-T-02", hall="north-hall", state_dir=tmp_path)
        text = generate_latest(m.registry).decode()
    finally:
        box.close()
    assert 'kiosk_device_ok{device="ui",state="out_of_service_crash_loop"} 0.0' in text
    assert 'kiosk_update_failed{result="rolled_back"} 1.0' in text
    assert "kiosk_update_timestamp_seconds 1.7e+09" in text


def test_an_install_under_way_is_no_failed_update_until_it_hangs_for_an_hour(tmp_path: Path) -> None:
    """`kiosk update` writes "installing" before apt runs: not an alert, unless it was cut short long ago."""
    from prometheus_client import generate_latest

    from kiosk.updates import Outcome, write_state
    from sync.metrics import KioskMetrics
    from sync.store import ManagedOutbox

    box = ManagedOutbox(tmp_path / "outbox.db")
    write_state(tmp_path, Outcome("installing", version="1.0", attempted="1.1", at=1_700_000_000.0))
    try:
        texts = [generate_latest(KioskMetrics(box, kiosk_id="KIOSK-T-02", hall="h", state_dir=tmp_path,
                                              clock=lambda t=t: t).registry).decode()
                 for t in (1_700_000_060.0, 1_700_003_700.0)]
    finally:
        box.close()
    assert 'kiosk_update_failed{result="installing"} 0.0' in texts[0]
    assert 'kiosk_update_failed{result="installing"} 1.0' in texts[1]

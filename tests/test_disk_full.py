"""A full disk, on a small tmpfs: the kiosk stops taking offline work before the disk is full,
refuses cleanly as outbox_full, loses nothing acknowledged, does not crash-loop, reports it in the
heartbeat and recovers by itself when space returns."""

from __future__ import annotations

import os
import subprocess
import threading
from pathlib import Path

import pytest

from refplatform.server import PlatformServer
from sync.disk_space import MB
from sync.engine import SyncEngine, SyncPolicy
from sync.outbox import OutboxWriteError, SqliteOutbox
from sync.service import heartbeat_for, run_loop
from sync.store import ManagedOutbox, OfflineLimits
from tests.signed_requests import TEST_KEY, enrol, enrolled_client
from tests.test_outbox_faults import holder

LIMITS = OfflineLimits(min_free_bytes=2 * MB, reserve_bytes=MB)


@pytest.fixture
def small_disk(tmp_path: Path):
    """An 8 MB tmpfs (root only: the test bench and CI run as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(disk)], check=True)
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def application(n: int) -> dict[str, str]:
    return {"service_id": "personal_certs", "holder_type": "resident_id", "holder_code": holder(n),
            "tracking_code": f"T{n:06d}" + "x" * 600}


def fill_disk(box: ManagedOutbox, start: int = 0) -> tuple[list[str], list[str], str]:
    """Enqueue until refused; returns (acknowledged keys, offline refusal seen before the first
    failure, the reason of the refusal)."""
    acked, refusals = [], []
    n = start
    while True:
        refusals.append(box.offline_refusal())
        try:
            acked.append(box.enqueue("application", application(n)))
        except OutboxWriteError as exc:
            return acked, refusals, exc.reason
        n += 1
        assert n < start + 100_000


def test_full_disk_is_seen_ahead_refused_cleanly_and_recovered(small_disk: Path, tmp_path: Path) -> None:
    state = small_disk / "state"
    filler = small_disk / "filler"
    filler.write_bytes(b"\0" * (4 * MB))
    box = ManagedOutbox(state / "outbox.db", limits=LIMITS)
    assert box.space.has_reserve()
    acked, refusals, reason = fill_disk(box)
    # GIVEN the disk fills THEN offline work stopped before the first refused write, for the disk
    assert reason == "outbox_full"  # not outbox_io
    assert "" in refusals and refusals[-1] == "offline_limit_disk"
    first_low = refusals.index("offline_limit_disk")
    assert first_low < len(acked) - 10
    assert not box.space.has_reserve()  # the reserve was given up and used
    health = box.health()
    assert "disk_full" in health["limits_reached"] and health["disk_free_mb"] < 2
    box.close()
    # Nothing acknowledged was lost and the file is sound.
    check = SqliteOutbox(state / "outbox.db", recover=False)
    assert check._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert {r["idempotency_key"] for r in check.list_rows("pending", limit=100_000)} == set(acked)
    check.close()

    # WHEN the sync engine runs on the full disk THEN it does not crash-loop; WHEN space returns
    # THEN it delivers everything by itself and the reserve is taken again.
    server = PlatformServer(db_path=str(tmp_path / "platform.db"))
    server.start()
    box = ManagedOutbox(state / "outbox.db", limits=LIMITS)
    enrol(server, "kiosk-test", TEST_KEY)
    engine = SyncEngine(box, enrolled_client(server), SyncPolicy(batch_size=50, poll_interval=0.05, jitter=False),
                        heartbeat=heartbeat_for(box, "kiosk-test"))
    stop = threading.Event()
    loop = threading.Thread(target=run_loop, args=(engine, box, stop))
    loop.start()
    try:
        filler.unlink()  # an operator frees space
        deadline = threading.Event()
        for _ in range(600):
            if box.counts()["pending"] == 0 and box.counts()["in_flight"] == 0:
                break
            deadline.wait(0.1)
        assert box.counts()["pending"] == box.counts()["in_flight"] == 0
    finally:
        stop.set()
        loop.join(30)
        server_received = server.received()
        server.stop()
    keys = [r["idempotency_key"] for r in server_received if r["kind"] == "application"]
    assert len(keys) == len(set(keys)) and set(keys) == set(acked)
    box.refresh()
    assert box.space.has_reserve() and "disk_full" not in box.health()["limits_reached"]
    beats = [r["payload"] for r in server_received if r["kind"] == "heartbeat"]
    assert beats and "disk_free_mb" in beats[0]
    box.close()


def test_sync_service_on_a_full_disk_does_not_crash_loop(small_disk: Path, tmp_path: Path) -> None:
    """GIVEN a full disk WHEN `kiosk sync` runs for a while THEN it stays up, reports the failure
    once (not once per step), prints no traceback and ends cleanly."""
    import signal
    import sys
    import time

    state = small_disk / "state"
    box = ManagedOutbox(state / "outbox.db", limits=LIMITS)
    fill_disk(box)
    fill_disk(box, 10_000)  # the reserve is used up too
    box.close()
    config = tmp_path / "k.toml"
    config.write_text(f'[kiosk]\nstate_dir = "{state}"\n[platform]\nurl = "http://127.0.0.1:9"\n'
                      '[sync]\npoll_seconds = 0.05\n[storage]\nmin_free_mb = 2.0\nreserve_mb = 1.0\n')
    root = Path(__file__).resolve().parent.parent
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync", "--config", str(config)], cwd=root,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(3.0)  # many poll intervals
    alive = proc.poll() is None
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert alive and proc.returncode == 0, err
    assert "Traceback" not in err and out.count('"sync_crash"') <= 1, out[-2000:]

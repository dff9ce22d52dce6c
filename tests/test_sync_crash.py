"""Crash test: kill -9 the writer and the sync process at random points; nothing is lost or doubled.

The writer (tests/outbox_writer.py) and the sync service (`kiosk sync`) are separate
processes sharing the SQLite outbox, as on a real kiosk; the reference platform runs in
this process with its own SQLite file and answers over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk import cli
from refplatform.server import PlatformServer
from sync.outbox import SqliteOutbox
from tests.outbox_writer import Proc

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1000
MIN_KILLS = 40


def _config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n[platform]\nurl = "{url}"\nread_timeout = 2.0\n'
                    '[sync]\npoll_seconds = 0.2\nbatch_size = 20\nheartbeat_seconds = 3600.0\n', encoding="utf-8")
    return path


def test_kill_9_at_random_points_loses_nothing(tmp_path: Path) -> None:
    rng = random.Random(int(os.environ.get("CRASH_SEED", "5")))
    server = PlatformServer(db_path=str(tmp_path / "platform.db"))
    server.start()
    server.faults.latency = 0.01  # requests take a moment, so kills land mid-flight too
    config = _config(tmp_path, server.url)
    db = tmp_path / "state" / "outbox.db"
    db.parent.mkdir(parents=True)
    SqliteOutbox(db, recover=False).close()  # schema and key created once, before the race
    assert cli.main(["enrol", server.issue_enrolment_code("KIOSK-DEMO-001"), "--config", str(config)]) == 0
    acked: list[str] = []
    writer = sync = None
    incarnation = kills = 0
    started = time.monotonic()
    try:
        while len(acked) < TARGET or kills < MIN_KILLS:
            assert time.monotonic() - started < 150, f"only {len(acked)} transactions written"
            if writer is None or not writer.alive():
                incarnation += 1
                writer = Proc(["-m", "tests.outbox_writer", str(db), str(incarnation * 100_000), "0.004"], acked)
            if sync is None or not sync.alive():
                sync = Proc(["-m", "kiosk.cli", "sync", "--config", str(config)])
            time.sleep(rng.uniform(0.05, 0.7))
            victim = rng.choice(["writer", "sync", "both"])
            if victim in ("writer", "both"):
                writer.kill9()
            if victim in ("sync", "both"):
                sync.kill9()
            kills += 1
        writer.kill9()
        sync.kill9()
        # Afterwards one clean sync drains what is left.
        out = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--config", str(config)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stdout[-500:]
        received = server.received()
    finally:
        for proc in (writer, sync):
            if proc is not None:
                proc.kill9()
        server.stop()

    acked_keys = {line.split()[1] for line in acked if len(line.split()) == 2}
    rows = sqlite3.connect(db).execute("SELECT idempotency_key, status FROM outbox").fetchall()
    stored = dict(rows)
    platform_keys = [r["idempotency_key"] for r in received]
    assert kills >= MIN_KILLS and len(acked_keys) >= TARGET
    assert len(platform_keys) == len(set(platform_keys))  # each transaction stored once
    assert acked_keys <= set(platform_keys), "a transaction the citizen was told is saved never arrived"
    assert set(platform_keys) == set(stored), "platform and outbox disagree"
    assert set(stored.values()) == {"done"}
    applications = [r for r in received if r["kind"] == "application"]
    codes = [r["payload"]["tracking_code"] for r in applications]
    assert len(codes) == len(set(codes)) >= TARGET  # no transaction under two keys
    assert all(len(r["payload"]["holder_code"]) == 18 for r in applications)  # decrypted before sending
    print(f"\ncrash test: {kills} kill rounds, {len(acked_keys)} acknowledged, {len(platform_keys)} delivered")


@pytest.mark.parametrize("holder", ["other"])
def test_second_engine_is_locked_out(tmp_path: Path, server: PlatformServer, holder: str) -> None:
    """Only one engine delivers at a time: a second `kiosk sync` exits with code 3."""
    from sync.service import SyncLock

    config = _config(tmp_path, server.url)
    lock = SyncLock(tmp_path / "state")
    assert lock.acquire()
    try:
        out = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--config", str(config)],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert out.returncode == 3
    finally:
        lock.release()

"""Storage faults never lose acknowledged transactions: first boot from two processes, damaged rows,
quarantined files, a full disk."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from sync.store import ManagedOutbox
from tests.first_boot_worker import first_boot


def test_two_processes_opening_a_fresh_folder_make_one_key(tmp_path: Path) -> None:
    """GIVEN 200 fresh state folders WHEN the touch UI and the sync service open each at the same
    moment and store a transaction THEN no open fails and every row is readable (one key)."""
    folders = [str(tmp_path / f"boot{i:03d}") for i in range(200)]
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=first_boot, args=(folders, barrier, side, results)) for side in (0, 1)]
    for p in procs:
        p.start()
    failures = [results.get(timeout=300) for _ in procs]
    for p in procs:
        p.join(30)
    assert [f for _, f in failures] == [[], []]
    dead = unreadable = 0
    for folder in folders:
        box = ManagedOutbox(Path(folder) / "outbox.db")
        rows = box.take(10)
        dead += box.counts()["dead"]
        unreadable += sum(1 for r in rows if r.payload.get("holder_code") not in ("side-0", "side-1"))
        assert len(rows) == 2
        assert len(list((Path(folder) / "keys").glob("*.tmp"))) == 0
        box.close()
    assert dead == 0 and unreadable == 0

"""One side of the two-process first boot (tests/test_outbox_faults.py), run with multiprocessing.

Both sides open the same fresh state folder at the same moment (a barrier), store one
transaction with a personal field, and report what failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def first_boot(folders: list[str], barrier: Any, side: int, results: Any) -> None:
    from sync.store import ManagedOutbox

    failures: list[str] = []
    for folder in folders:
        barrier.wait()
        try:
            box = ManagedOutbox(Path(folder) / "outbox.db")
            try:
                if not box.available:
                    failures.append("unavailable")
                    continue
                box.enqueue("application", {"service_id": "s", "holder_code": f"side-{side}",
                                            "tracking_code": f"T{side}"})
            finally:
                box.close()
        except Exception as exc:  # reported, the test fails on any
            failures.append(type(exc).__name__)
    results.put((side, failures))

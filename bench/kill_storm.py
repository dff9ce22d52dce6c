"""Kill storm (issue 16): SIGKILL the kiosk's writers and its sync service at random, from a fresh
state folder, and count what was acknowledged, delivered, lost and duplicated.

python bench/kill_storm.py [--seconds 60] [--seed 16]

Two writer processes (the touch UI's outbox writes, tests/outbox_writer.py) and `kiosk sync`
(the kiosk-sync service) share one state folder that does not exist yet, so the first boot
(key and schema created by whoever comes first) is part of the storm. Every 50-700 ms one of
them, or all, is killed with SIGKILL and restarted. The reference platform runs in this
process over HTTP on 127.0.0.1. At the end one clean `kiosk sync --once` drains what is left.

Prints the numbers; exits 1 if anything acknowledged is lost, duplicated or dead.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk import cli  # noqa: E402
from refplatform.server import PlatformServer  # noqa: E402
from tests.outbox_writer import Proc  # noqa: E402


def storm(work: Path, seconds: float, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    server = PlatformServer(db_path=str(work / "platform.db"))
    server.start()
    server.faults.latency = 0.01  # requests take a moment, so kills land mid-flight too
    config = work / "kiosk.toml"
    state = work / "state"
    config.write_text(f'[kiosk]\nstate_dir = "{state}"\n[platform]\nurl = "{server.url}"\nread_timeout = 2.0\n'
                      '[sync]\npoll_seconds = 0.2\nbatch_size = 20\nheartbeat_seconds = 3600.0\n', encoding="utf-8")
    code = server.issue_enrolment_code("KIOSK-DEMO-001")
    db = state / "outbox.db"
    acked: list[str] = []
    writers: list[Proc | None] = [None, None]
    sync: Proc | None = None
    enrolled = False
    incarnation = kills = 0
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            for i, writer in enumerate(writers):
                if writer is None or not writer.alive():
                    incarnation += 1
                    writers[i] = Proc(["-m", "tests.outbox_writer", str(db), str(incarnation * 100_000), "0.004"],
                                      acked)
            if not enrolled and db.exists():
                enrolled = cli.main(["enrol", code, "--config", str(config)]) == 0
            if enrolled and (sync is None or not sync.alive()):
                sync = Proc(["-m", "kiosk.cli", "sync", "--config", str(config)])
            time.sleep(rng.uniform(0.05, 0.7))
            victim = rng.choice(["writer", "sync", "all"])
            for i, writer in enumerate(writers):
                if writer is not None and (victim == "all" or (victim == "writer" and rng.random() < 0.5 + i / 2)):
                    writer.kill9()
            if sync is not None and victim in ("sync", "all"):
                sync.kill9()
            kills += 1
    finally:
        for proc in (*writers, sync):
            if proc is not None:
                proc.kill9()
    if not enrolled:
        cli.main(["enrol", code, "--config", str(config)])
    out = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--config", str(config)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    received = server.received()
    server.stop()

    acked_keys = {line.split()[1] for line in acked if len(line.split()) == 2}
    stored = dict(sqlite3.connect(db).execute("SELECT idempotency_key, status FROM outbox").fetchall())
    delivered = [r["idempotency_key"] for r in received]
    applications = [r for r in received if r["kind"] == "application"]
    codes = [r["payload"]["tracking_code"] for r in applications]
    return {
        "seconds": int(seconds), "kill_rounds": kills, "writer_incarnations": incarnation,
        "acknowledged": len(acked_keys), "delivered": len(set(delivered)),
        "lost": len(acked_keys - set(delivered)),
        "duplicated": (len(delivered) - len(set(delivered))) + (len(codes) - len(set(codes))),
        "dead": sum(1 for s in stored.values() if s == "dead"),
        "not_done": sum(1 for s in stored.values() if s != "done"),
        "final_drain_exit": out.returncode,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kiosk-storm-") as work:
        result = storm(Path(work), args.seconds, args.seed)
    print("kill storm: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    ok = result["lost"] == result["duplicated"] == result["dead"] == result["not_done"] == 0
    return 0 if ok and result["acknowledged"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())

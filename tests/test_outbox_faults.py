"""Storage faults never lose acknowledged transactions: first boot from two processes, damaged rows,
quarantined files, a full disk."""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.idnumbers import id_check_digit
from refplatform.server import PlatformServer
from sync.outbox import SqliteOutbox
from sync.store import ManagedOutbox
from tests.first_boot_worker import first_boot

ROOT = Path(__file__).resolve().parent.parent


def holder(n: int) -> str:
    body = f"11010519900101{n % 1000:03d}"
    return body + id_check_digit(body)


def fill(path: Path, count: int) -> list[str]:
    """An outbox with count applications (tracking codes TRK00000...), checkpointed and closed."""
    box = SqliteOutbox(path)
    keys = [box.enqueue("application", {"service_id": "personal_certs", "holder_type": "resident_id",
                                        "holder_code": holder(i), "holder_name": "测试",
                                        "tracking_code": f"TRK{i:05d}"}) for i in range(count)]
    box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    box.close()
    return keys


def flip(path: Path, marker: bytes, junk: bytes = b"\xff\xfe\x80") -> None:
    """Overwrite bytes inside one row's clear text: the page stays well-formed, the text is not UTF-8."""
    data = bytearray(path.read_bytes())
    assert data.count(marker) == 1
    at = data.find(marker) + 1
    data[at:at + len(junk)] = junk
    path.write_bytes(bytes(data))


def config_file(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n[platform]\nurl = "{url}"\n'
                    '[sync]\nbatch_size = 20\nheartbeat_seconds = 3600.0\n', encoding="utf-8")
    return path


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


def test_one_damaged_row_is_dead_lettered_alone_and_the_rest_flow(tmp_path: Path, server: PlatformServer) -> None:
    """GIVEN 300 queued rows and bytes flipped inside one row (quick_check still passes)
    WHEN `kiosk sync --once` runs THEN that row goes dead with a reason, the 299 others are
    delivered, nothing tracebacks and no output or log quotes row data."""
    db = tmp_path / "state" / "outbox.db"
    db.parent.mkdir(parents=True)
    keys = fill(db, 300)
    flip(db, b"TRK00137")
    assert sqlite3.connect(db).execute("PRAGMA quick_check").fetchone()[0] == "ok"
    config = config_file(tmp_path, server.url)
    assert cli.main(["enrol", server.issue_enrolment_code("KIOSK-DEMO-001"), "--config", str(config)]) == 0
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    logs = "".join(f.read_text(errors="replace") for f in (tmp_path / "state" / "logs").rglob("*.log*"))
    for text in (done.stdout, done.stderr, logs):
        assert "Traceback" not in text and "TRK" not in text and "1101051990" not in text
    assert '"event": "outbox_unreadable"' in logs
    box = SqliteOutbox(db)
    assert box.counts() == {"pending": 0, "in_flight": 0, "done": 299, "dead": 1}
    (dead,) = box.list_rows("dead")
    assert dead["idempotency_key"] == keys[137] and dead["last_error"] == "unreadable: damaged text"
    box.close()
    delivered = {r["payload"]["tracking_code"] for r in server.received() if r["kind"] == "application"}
    assert delivered == {f"TRK{i:05d}" for i in range(300)} - {"TRK00137"}


def test_unreadable_row_never_reaches_a_message(tmp_path: Path) -> None:
    """Every reader of the outbox copes with damaged text: listing, rotation, claiming."""
    db = tmp_path / "outbox.db"
    fill(db, 5)
    flip(db, b"TRK00002")
    box = SqliteOutbox(db)
    rows = box.list_rows()
    assert len(rows) == 5 and all(isinstance(r["kind"], str) for r in rows)
    box.keyring.rotate()
    assert box.reseal() == 4
    assert len(box.take(10)) == 4 and box.counts()["dead"] == 1
    box.close()


@pytest.mark.parametrize("seed", range(12))
def test_random_bytes_in_a_page_never_stall_the_queue(tmp_path: Path, seed: int) -> None:
    """GIVEN 16 random bytes written inside a row WHEN the queue drains THEN no read raises and the
    queue empties: every row is claimed or dead-lettered (or the file is quarantined whole)."""
    rng = random.Random(seed)
    db = tmp_path / "outbox.db"
    fill(db, 60)
    data = bytearray(db.read_bytes())
    at = data.find(b"TRK00030") + rng.randrange(-40, 40)
    data[at:at + 16] = bytes(rng.randrange(256) for _ in range(16))
    db.write_bytes(bytes(data))
    box = ManagedOutbox(db)
    claimed = 0
    for _ in range(20):
        rows = box.take(20)
        box.settle(done=[r.key for r in rows])
        claimed += len(rows)
        if not rows:
            break
    counts = box.counts()
    assert counts["pending"] == counts["in_flight"] == 0
    assert claimed == counts["done"] and claimed + counts["dead"] >= 59 or box.health()["quarantined"]
    box.close()


DUMP_ROW = re.compile(r"^INSERT INTO outbox VALUES\(\d+,'[0-9a-f-]{36}','\w+','((?:[^']|'')*)','[^']*',\d+,[\d.e+-]+,"
                      r"'pending'", re.M)


def dump_rows(path: Path) -> int:
    """Waiting rows with a whole payload that `sqlite3 .dump` gets out of a damaged file (the
    baseline the kiosk's own recovery must match; .dump also prints empty rows, not counted)."""
    out = subprocess.run(["sqlite3", str(path), ".dump outbox"], capture_output=True, text=True, errors="replace",
                         timeout=60).stdout
    whole = 0
    for match in DUMP_ROW.finditer(out):
        try:
            json.loads(match.group(1).replace("''", "'"))
            whole += 1
        except ValueError:
            pass
    return whole


@pytest.mark.parametrize("keep", [45, 60, 85])
def test_truncated_outbox_is_quarantined_salvaged_and_delivered_once(tmp_path: Path, server: PlatformServer,
                                                                      keep: int) -> None:
    """GIVEN an outbox cut to 45-85 % of its size (100 rows delivered, 500 waiting) WHEN the sync
    engine opens it THEN it is quarantined, every readable waiting row is put back (at least as
    many as `sqlite3 .dump` finds), `kiosk queue recover` reports counts and is safe to repeat,
    and the recovered rows reach the platform once each."""
    db = tmp_path / "state" / "outbox.db"
    db.parent.mkdir(parents=True)
    keys = fill(db, 600)
    box = SqliteOutbox(db)
    box.settle(done=[r.key for r in box.take(100)])
    box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    box.close()
    data = db.read_bytes()
    db.write_bytes(data[:len(data) * keep // 100])
    scratch = tmp_path / "dump.db"
    scratch.write_bytes(db.read_bytes())
    baseline = dump_rows(scratch)

    live = ManagedOutbox(db)  # the engine's open: quarantine, then salvage by itself
    (quarantined,) = live.health()["quarantined"]
    recovered = live.get_meta("recovered_files")[quarantined]
    waiting = live.take(1000)
    live.release([r.key for r in waiting])
    assert recovered["recovered"] == len(waiting) >= max(baseline, 1), (recovered, baseline)
    assert recovered["recovered"] + recovered["lost"] + recovered["delivered"] <= 600
    by_code = {r.payload["tracking_code"]: r for r in waiting}
    for code, row in by_code.items():
        n = int(code[3:])
        assert n >= 100 and row.key == keys[n] and row.payload["holder_code"] == holder(n)
    live.close()

    config = config_file(tmp_path, server.url)
    assert cli.main(["enrol", server.issue_enrolment_code("KIOSK-DEMO-001"), "--config", str(config)]) == 0
    again = subprocess.run([sys.executable, "-m", "kiosk.cli", "queue", "recover", "--again", "--config",
                            str(config)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and f"{quarantined}: recovered 0, already there {len(waiting)}" in again.stdout
    assert "TRK" not in again.stdout + again.stderr
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "sync", "--once", "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    codes = [r["payload"]["tracking_code"][:8] for r in server.received() if r["kind"] == "application"]
    assert sorted(codes) == sorted(c[:8] for c in by_code)
    print(f"\nsalvage: {len(waiting)} of 500 waiting rows recovered from a file cut to {keep} %, "
          f"sqlite3 .dump finds {baseline}")

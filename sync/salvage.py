"""Salvage rows from quarantined outbox files into the live outbox (`kiosk queue recover`).

A quarantined file (``outbox.db.corrupt-<time>``, see sync.store) may still hold most of its
rows. Each file is copied (with its -wal) to a scratch folder and read there, never written.
Rows are found by scanning the table until it breaks and by walking every index (separate
b-trees that often survive a damaged table page); each row is then fetched alone, so one bad
page costs only the rows on it. Waiting rows go back into the live outbox as pending, dead
letters stay dead; delivered rows are left out. A row is inserted under its own idempotency
key with INSERT OR IGNORE, so running recovery twice, or recovering a row the platform
already has, never makes a duplicate. Payloads are checked against the keyring before they
are taken; counts are reported, never row contents.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync import envelope

log = logging.getLogger("kiosk.sync.salvage")

_FIELDS = "seq, idempotency_key, kind, payload, created_at, status, last_error"
_INDEXES = ("outbox_ready", "outbox_purge", "sqlite_autoindex_outbox_1")


@dataclass
class SalvageReport:
    """What one recovery run found, per file and in total (counts only)."""

    files: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, counts: dict[str, int]) -> None:
        self.files[name] = counts

    def total(self, what: str) -> int:
        return sum(c.get(what, 0) for c in self.files.values())

    def summary(self) -> str:
        return (f"{len(self.files)} file(s): {self.total('recovered')} row(s) recovered, "
                f"{self.total('already_there')} already in the outbox, {self.total('delivered')} delivered before, "
                f"{self.total('lost')} lost (unreadable)")


def _text(data: Any) -> str | None:
    if isinstance(data, bytes):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return data if isinstance(data, str) else None


def _scan(db: sqlite3.Connection, rows: dict[int, tuple[Any, ...]], highest: int) -> None:
    """Read the table in row id order, then backwards from the end (as `sqlite3 .dump` does); past a
    damaged page, seek further on, doubling the jump, so the rows beyond the damage are read too."""
    for forward in (True, False):
        sql = (f"SELECT {_FIELDS} FROM outbox WHERE seq > ? ORDER BY seq" if forward else
               f"SELECT {_FIELDS} FROM outbox WHERE seq < ? ORDER BY seq DESC")
        last, jump, step = (-1 if forward else highest + 1), 1, (1 if forward else -1)
        while (last < highest) if forward else (last > 0):
            try:
                for row in db.execute(sql, (last,)):
                    if isinstance(row[0], int):
                        rows.setdefault(row[0], row)
                        last, jump = row[0], 1
                break
            except sqlite3.DatabaseError:
                last, jump = last + step * jump, jump * 2


def _index_seqs(db: sqlite3.Connection) -> set[int]:
    """Row ids found by walking every index that can still be read (each walk keeps what it found)."""
    seqs: set[int] = set()
    for sql in [*[f"SELECT seq FROM outbox INDEXED BY {name}" for name in _INDEXES[:2]],
                "SELECT seq FROM outbox WHERE idempotency_key > ''"]:
        try:
            for (seq,) in db.execute(sql):
                if isinstance(seq, int):
                    seqs.add(seq)
        except sqlite3.DatabaseError:
            continue
    return seqs


def _highest(db: sqlite3.Connection, seqs: set[int]) -> int:
    try:
        return max(int(db.execute("SELECT seq FROM sqlite_sequence WHERE name='outbox'").fetchone()[0]),
                   max(seqs, default=0))
    except (sqlite3.DatabaseError, TypeError, ValueError):
        return max(seqs, default=0) + 10_000


def _read_rows(path: Path) -> tuple[list[tuple[Any, ...]], int, int]:
    """(readable raw rows, rows found but unreadable, highest row id) of one quarantined file, read in a
    scratch copy."""
    with tempfile.TemporaryDirectory(prefix="kiosk-salvage-") as scratch:
        copy = Path(scratch) / "outbox.db"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, copy.with_name("outbox.db-wal"))
        try:
            db = sqlite3.connect(copy, isolation_level=None)
        except sqlite3.DatabaseError:
            return [], 0, 0
        db.text_factory = bytes
        try:
            db.execute("PRAGMA writable_schema=ON")  # as `sqlite3 .dump`: read past a damaged schema (a copy)
            seqs = _index_seqs(db)
            rows: dict[int, tuple[Any, ...]] = {}
            highest = _highest(db, seqs)
            _scan(db, rows, highest)
            unreadable = 0
            for seq in sorted(seqs - set(rows)):  # in an index, not reached by the table walk
                try:
                    row = db.execute(f"SELECT {_FIELDS} FROM outbox WHERE seq=?", (seq,)).fetchone()
                except sqlite3.DatabaseError:
                    row = None
                if row is None:
                    unreadable += 1
                else:
                    rows[seq] = row
            return [rows[k] for k in sorted(rows)], unreadable, highest
        finally:
            db.close()


def recover_file(path: Path, live: Any) -> dict[str, int]:
    """Move the readable waiting rows of one quarantined file into live (a SqliteOutbox)."""
    rows, lost, highest = _read_rows(path)
    counts = {"recovered": 0, "already_there": 0, "delivered": 0, "lost": lost}
    good: list[tuple[str, str, str, str, str, str]] = []
    for raw in rows:
        _, key, kind, payload, created, status, error = (v if isinstance(v, int) else _text(v) for v in raw)
        if key is None or not 0 < raw[0] <= highest:
            continue  # not a row: what a damaged page reads as (no key, impossible row id)
        if None in (kind, payload, created, status) or status not in ("pending", "in_flight", "dead", "done"):
            counts["lost"] += 1
            continue
        if status == "done":
            counts["delivered"] += 1
            continue
        try:
            envelope.open_envelope(live.keyring, key, kind, payload)
        except envelope.EnvelopeError:
            counts["lost"] += 1
            continue
        good.append((key, kind, payload, created, "dead" if status == "dead" else "pending", error or ""))
    inserted = live.insert_recovered(good)
    counts["recovered"] = inserted
    counts["already_there"] = len(good) - inserted
    return counts


def quarantined_files(db_path: Path) -> list[Path]:
    """The quarantined main files beside an outbox (not their -wal/-shm companions)."""
    return sorted(p for p in db_path.parent.glob(db_path.name + ".corrupt-*")
                  if not p.name.endswith(("-wal", "-shm")))


def recover_all(db_path: Path, live: Any, *, again: bool = False) -> SalvageReport:
    """Recover every quarantined file not recovered before (all of them with again=True)."""
    report = SalvageReport()
    done: dict[str, Any] = live.get_meta("recovered_files", {}) or {}
    for path in quarantined_files(db_path):
        if path.name in done and not again:
            continue
        try:
            counts = recover_file(path, live)
        except OSError as exc:
            log.error("quarantined file cannot be read", extra={"event": "salvage_error", "file": path.name,
                                                                 "error": type(exc).__name__})
            continue
        report.add(path.name, counts)
        done[path.name] = counts
        log.warning("quarantined outbox salvaged", extra={"event": "salvage", "file": path.name, **counts})
    if report.files:
        live.set_meta("recovered_files", done)
    return report

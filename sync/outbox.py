"""Durable outbox of platform transactions in SQLite (kiosk.interfaces.Outbox).

Rows move pending -> in_flight -> done, or back to pending with a retry time, or to
dead when the platform refuses them. On open, rows left in_flight by a crash return
to pending; the platform de-duplicates by idempotency key, so re-sending is safe.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 1
STATUSES = ("pending", "in_flight", "done", "dead")

_SCHEMA = (
    """CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_flight', 'done', 'dead')),
    last_error TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX outbox_ready ON outbox (status, next_attempt_at, seq)",
)

_key_lock = threading.Lock()
_key_last = (0, 0)  # (milliseconds, counter) of the last key made in this process


def new_idempotency_key() -> str:
    """A UUIDv7-style key: 48-bit Unix milliseconds, a 12-bit counter, 62 random bits.

    Keys made by one process sort in creation order, even within one millisecond.
    """
    global _key_last
    with _key_lock:
        ms, counter = time.time_ns() // 1_000_000, 0
        last_ms, last_counter = _key_last
        if ms <= last_ms:
            ms, counter = last_ms, last_counter + 1
            if counter > 0xFFF:
                ms, counter = last_ms + 1, 0
        _key_last = (ms, counter)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | secrets.randbits(62)
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, repr=False)
class OutboxRow:
    """One queued transaction. repr() hides the payload, which may hold personal data."""

    key: str
    kind: str
    payload: dict[str, Any]
    created_at: str
    seq: int
    attempts: int
    next_attempt_at: float
    status: str
    last_error: str

    def __repr__(self) -> str:
        return f"OutboxRow(seq={self.seq}, kind={self.kind}, status={self.status})"


_COLUMNS = "idempotency_key, kind, payload, created_at, seq, attempts, next_attempt_at, status, last_error"


def _row(r: tuple[Any, ...]) -> OutboxRow:
    return OutboxRow(r[0], r[1], json.loads(r[2]), r[3], r[4], r[5], r[6], r[7], r[8])


class SqliteOutbox:
    """The outbox in one SQLite file (WAL, synchronous=FULL). Safe to call from any thread."""

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        with self._lock, self._tx():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version == 0:
                for statement in _SCHEMA:
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            elif version > SCHEMA_VERSION:
                raise RuntimeError(f"outbox schema {version} is newer than this program ({SCHEMA_VERSION})")
            self._db.execute("UPDATE outbox SET status='pending' WHERE status='in_flight'")

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    def enqueue(self, kind: str, payload: dict[str, Any]) -> str:
        """Queue one transaction durably and return its idempotency key."""
        if not isinstance(payload, dict):
            raise TypeError("payload must be a dict")
        text = json.dumps(payload, ensure_ascii=False, allow_nan=False)
        key = new_idempotency_key()
        created = _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")
        with self._lock, self._tx():
            self._db.execute(
                "INSERT INTO outbox (idempotency_key, kind, payload, created_at) VALUES (?, ?, ?, ?)",
                (key, kind, text, created),
            )
        return key

    def counts(self) -> dict[str, int]:
        """Number of rows per status (every status present, zero when empty)."""
        with self._lock:
            found = dict(self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def take(self, limit: int = 50, *, now: float | None = None) -> list[OutboxRow]:
        """Claim up to limit due pending rows, oldest first, marking them in_flight."""
        now = self._clock() if now is None else now
        with self._lock, self._tx():
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE status='pending' AND next_attempt_at<=?"
                " ORDER BY seq LIMIT ?", (now, limit),
            ).fetchall()
            self._db.executemany(
                "UPDATE outbox SET status='in_flight', attempts=attempts+1 WHERE seq=?", [(r[4],) for r in rows]
            )
        return [_row(r[:5] + (r[5] + 1, r[6], "in_flight", r[8])) for r in rows]

    def mark_done(self, key: str) -> None:
        """The platform has the transaction."""
        self._update(key, "UPDATE outbox SET status='done', last_error='' WHERE idempotency_key=?", ())

    def mark_failed(self, key: str, error: str, retry_at: float, dead: bool = False) -> None:
        """Record a failed attempt: retry at retry_at (Unix seconds), or give up when dead."""
        self._update(key, "UPDATE outbox SET status=?, last_error=?, next_attempt_at=? WHERE idempotency_key=?",
                     ("dead" if dead else "pending", error[:200], retry_at))

    def release(self, keys: list[str]) -> None:
        """Return claimed rows that were never tried to pending, without counting an attempt."""
        with self._lock, self._tx():
            self._db.executemany(
                "UPDATE outbox SET status='pending', attempts=attempts-1"
                " WHERE idempotency_key=? AND status='in_flight'", [(k,) for k in keys],
            )

    def _update(self, key: str, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock, self._tx():
            if self._db.execute(sql, (*params, key)).rowcount != 1:
                raise KeyError("no such outbox key")

    def get(self, key: str) -> OutboxRow | None:
        """One row by key, or None."""
        with self._lock:
            r = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE idempotency_key=?", (key,)).fetchone()
        return None if r is None else _row(r)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("ROLLBACK" if exc_type else "COMMIT")

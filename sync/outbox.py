"""Durable outbox of platform transactions in SQLite (kiosk.interfaces.Outbox).

Rows move pending -> in_flight -> done, or back to pending with a retry time, or to
dead when the platform refuses them. A claimed row carries a lease (its next attempt
time): when the sync process dies, the row becomes due again when the lease ends, and
the engine returns every in_flight row to pending when it starts. The platform
de-duplicates by idempotency key, so re-sending is safe.

Several processes share the file (the GUI writes, the sync process delivers): WAL,
synchronous=FULL, a busy timeout and BEGIN IMMEDIATE for every write. Payloads are
minimised and their personal fields encrypted (sync.fields, sync.envelope).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.state_access import file_mode
from sync import envelope, fields
from sync.migrations import SCHEMA_VERSION, migrate

__all__ = ["SCHEMA_VERSION", "STATUSES", "OutboxRow", "OutboxWriteError", "SqliteOutbox", "new_idempotency_key"]

log = logging.getLogger("kiosk.sync.outbox")
STATUSES = ("pending", "in_flight", "done", "dead")
LEASE_SECONDS = 120.0
JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024  # bytes a WAL may keep after a checkpoint

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


class OutboxWriteError(Exception):
    """The outbox could not store a transaction (disk full, I/O error, no outbox). Nothing was written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # message key: outbox_full | outbox_io | outbox_unavailable


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
_INFO_COLUMNS = "seq, idempotency_key, kind, status, attempts, created_at, next_attempt_at, last_error"


def _lenient_text(data: bytes) -> str:
    """SQLite text as str. Damaged bytes become lone surrogates (see _damaged) instead of an error
    whose message would quote the row's text and stop every read of the batch."""
    return data.decode("utf-8", "surrogateescape")


def _damaged(row: tuple[Any, ...]) -> bool:
    """A row with text that was not valid UTF-8 on disk (bytes flipped inside a page)."""
    for value in row:
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return True
    return False


def _printable(value: Any) -> Any:
    """Text safe to print: damaged bytes shown as U+FFFD."""
    return value.encode("utf-8", "replace").decode("utf-8") if isinstance(value, str) else value


def _write_error(exc: sqlite3.Error) -> OutboxWriteError:
    name = getattr(exc, "sqlite_errorname", "")
    return OutboxWriteError("outbox_full" if name == "SQLITE_FULL" else "outbox_io")


def _wal_mode(db: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL. SQLite does not wait on its busy handler for this pragma: when another process
    is creating the same fresh file at this moment, retry until the busy timeout."""
    end = time.monotonic() + busy_timeout
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if getattr(exc, "sqlite_errorname", "") != "SQLITE_BUSY" or time.monotonic() >= end:
                raise
            time.sleep(0.005 + secrets.randbelow(20) / 1000)


def _share_file(path: Path) -> None:
    """In a shared state folder (kiosk.state_access: the UI's and the sync engine's users) the
    outbox is made, or set, 0660 before SQLite opens it: SQLite makes it 0644 minus the umask, and
    gives its -wal and -shm files the database's own mode. Elsewhere nothing changes."""
    mode = file_mode(path.parent)
    if mode == 0o600:
        return
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        st = path.stat()
        if st.st_uid == os.geteuid() and st.st_mode & 0o777 != mode:
            os.chmod(path, mode)
        return
    try:
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


class SqliteOutbox:
    """The outbox in one SQLite file. Safe to call from any thread and from several processes."""

    def __init__(self, path: str | os.PathLike[str], *, keyring: envelope.Keyring | None = None,
                 clock: Callable[[], float] = time.time, busy_timeout: float = 10.0,
                 recover: bool = True, max_page_count: int | None = None) -> None:
        self.path = Path(path)
        self.keyring = keyring or envelope.Keyring(self.path.parent / "keys")
        self._clock = clock
        self._lock = threading.Lock()
        _share_file(self.path)
        self._db = sqlite3.connect(os.fspath(path), check_same_thread=False, isolation_level=None,
                                   timeout=busy_timeout)
        self._db.text_factory = _lenient_text
        try:
            self._db.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            _wal_mode(self._db, busy_timeout)
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")  # freed pages are zeroed: no stale plaintext
            self._db.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")  # the WAL shrinks back
            if max_page_count is not None:
                self._db.execute(f"PRAGMA max_page_count={int(max_page_count)}")
            with self._lock, self._tx():
                old_version = migrate(self._db, self._reseal_legacy)
            if old_version and old_version < SCHEMA_VERSION:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # legacy plain pages out of the WAL
            if recover:
                self.recover_in_flight()
        except BaseException:
            self._db.close()
            raise

    def _tx(self) -> _Transaction:
        return _Transaction(self._db)

    def _reseal_legacy(self, key: str, kind: str, text: str) -> str:
        try:
            payload = json.loads(text)
        except ValueError:
            payload = {}
        return envelope.seal(self.keyring, key, kind, *fields.split(kind, payload if isinstance(payload, dict)
                                                                     else {}))

    def _payload(self, key: str, kind: str, text: str) -> dict[str, Any]:
        return envelope.open_envelope(self.keyring, key, kind, text)

    def _row(self, r: tuple[Any, ...]) -> OutboxRow:
        return OutboxRow(r[0], r[1], self._payload(r[0], r[1], r[2]), *r[3:])

    # ------------------------------------------------------------------ writing

    def enqueue(self, kind: str, payload: dict[str, Any]) -> str:
        """Queue one transaction durably and return its idempotency key.

        Raises TypeError/ValueError for a payload that is not JSON, OutboxWriteError
        when the disk refuses it; either way nothing is written.
        """
        if not isinstance(payload, dict):
            raise TypeError("payload must be a dict")
        key = new_idempotency_key()
        text = envelope.seal(self.keyring, key, kind, *fields.split(kind, payload))
        created = _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")
        try:
            with self._lock, self._tx():
                self._db.execute(
                    "INSERT INTO outbox (idempotency_key, kind, payload, created_at, format, updated_at)"
                    " VALUES (?, ?, ?, ?, 1, ?)", (key, kind, text, created, self._clock()),
                )
        except sqlite3.OperationalError as exc:
            raise _write_error(exc) from None
        return key

    def insert_recovered(self, rows: Iterable[tuple[str, str, str, str, str, str]]) -> int:
        """Insert rows salvaged from a quarantined file (key, kind, envelope text, created_at, status,
        last_error) under their own idempotency keys; keys already here are left alone. Returns how many
        were inserted."""
        now, inserted = self._clock(), 0
        with self._lock, self._tx():
            for key, kind, text, created, status, error in rows:
                inserted += self._db.execute(
                    "INSERT OR IGNORE INTO outbox (idempotency_key, kind, payload, created_at, status, last_error,"
                    " format, updated_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 0)",
                    (key, kind, text, created, status, error[:200], now)).rowcount
        return inserted

    def recover_in_flight(self) -> int:
        """Return rows a dead sync process had claimed to pending (call when the engine starts)."""
        with self._lock, self._tx():
            return self._db.execute(
                "UPDATE outbox SET status='pending', next_attempt_at=0 WHERE status='in_flight'").rowcount

    def take(self, limit: int = 50, *, now: float | None = None, lease: float = LEASE_SECONDS) -> list[OutboxRow]:
        """Claim up to limit due rows, oldest first, marking them in_flight until now + lease.

        Due rows are pending ones whose retry time has come and in_flight ones whose lease
        ran out. A row that cannot be read (damaged bytes, bad envelope, unknown key) goes to
        dead by itself with the reason; the others are claimed as usual.
        """
        now = self._clock() if now is None else now
        with self._lock, self._tx():
            rows, unreadable = self._due_rows(now, limit)
            out = []
            for r in rows:
                try:
                    if _damaged(r):
                        raise envelope.EnvelopeError("damaged text")
                    out.append(OutboxRow(r[0], r[1], self._payload(r[0], r[1], r[2]), r[3], r[4], r[5] + 1,
                                         now + lease, "in_flight", r[8]))
                except envelope.EnvelopeError as exc:
                    unreadable.append((f"unreadable: {exc}", now, r[4]))
            self._db.executemany(
                "UPDATE outbox SET status='in_flight', attempts=attempts+1, next_attempt_at=?, updated_at=?"
                " WHERE seq=?", [(now + lease, now, row.seq) for row in out])
            self._db.executemany("UPDATE outbox SET status='dead', last_error=?, updated_at=? WHERE seq=?",
                                 unreadable)
        for reason, _, seq in unreadable:
            log.error("outbox row unreadable: dead-lettered", extra={"event": "outbox_unreadable", "seq": seq,
                                                                     "reason": reason})
        return out

    def _due_rows(self, now: float, limit: int) -> tuple[list[tuple[Any, ...]], list[tuple[str, float, int]]]:
        """The due rows; when the batch cannot be read as a whole, row by row so one damaged row is
        set aside (returned as unreadable) instead of stalling every batch behind it."""
        where = "WHERE status IN ('pending', 'in_flight') AND next_attempt_at<=? ORDER BY seq LIMIT ?"
        try:
            return self._db.execute(f"SELECT {_COLUMNS} FROM outbox {where}", (now, limit)).fetchall(), []
        except sqlite3.DatabaseError as exc:
            log.error("outbox batch unreadable: reading row by row", extra={
                "event": "outbox_batch_unreadable", "error": getattr(exc, "sqlite_errorname", "")})
        rows, unreadable = [], []
        for (seq,) in self._db.execute(f"SELECT seq FROM outbox {where}", (now, limit)).fetchall():
            try:
                rows.append(self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE seq=?", (seq,)).fetchone())
            except sqlite3.DatabaseError as exc:
                unreadable.append((f"unreadable: {getattr(exc, 'sqlite_errorname', '') or 'damaged row'}",
                                   now, seq))
        return [r for r in rows if r is not None], unreadable

    def settle(self, done: Iterable[str] = (), failed: Iterable[tuple[str, str, float, bool]] = ()) -> None:
        """Record a batch's outcome in one transaction.

        done: delivered keys (their personal fields are dropped at once);
        failed: (key, error, retry_at, dead) for rows to retry later or give up on.
        """
        now = self._clock()
        with self._lock, self._tx():
            for key in done:
                row = self._db.execute("SELECT payload FROM outbox WHERE idempotency_key=?", (key,)).fetchone()
                if row is None:
                    raise KeyError("no such outbox key")
                try:
                    text = envelope.strip_sealed(row[0])
                except envelope.EnvelopeError:
                    text = row[0]
                self._db.execute("UPDATE outbox SET status='done', last_error='', payload=?, updated_at=?"
                                 " WHERE idempotency_key=?", (text, now, key))
            for key, error, retry_at, dead in failed:
                cur = self._db.execute(
                    "UPDATE outbox SET status=?, last_error=?, next_attempt_at=?, updated_at=? WHERE idempotency_key=?",
                    ("dead" if dead else "pending", error[:200], retry_at, now, key))
                if cur.rowcount != 1:
                    raise KeyError("no such outbox key")

    def mark_done(self, key: str) -> None:
        """The platform has the transaction."""
        self.settle(done=[key])

    def mark_failed(self, key: str, error: str, retry_at: float, dead: bool = False) -> None:
        """Record a failed attempt: retry at retry_at (Unix seconds), or give up when dead."""
        self.settle(failed=[(key, error, retry_at, dead)])

    def release(self, keys: list[str]) -> None:
        """Return claimed rows that were never tried to pending, without counting an attempt."""
        with self._lock, self._tx():
            self._db.executemany(
                "UPDATE outbox SET status='pending', attempts=attempts-1, next_attempt_at=0"
                " WHERE idempotency_key=? AND status='in_flight'", [(k,) for k in keys],
            )

    def retry_dead(self, keys: list[str] | None = None) -> int:
        """Put dead rows (all, or the given keys) back to pending; returns how many."""
        with self._lock, self._tx():
            sql = "UPDATE outbox SET status='pending', next_attempt_at=0, attempts=0 WHERE status='dead'"
            if keys is None:
                return self._db.execute(sql).rowcount
            return sum(self._db.execute(sql + " AND idempotency_key=?", (k,)).rowcount for k in keys)

    def purge(self, older_than: float) -> int:
        """Delete delivered rows last changed before older_than (Unix seconds); returns how many."""
        with self._lock, self._tx():
            return self._db.execute("DELETE FROM outbox WHERE status='done' AND updated_at<?",
                                    (older_than,)).rowcount

    def reseal(self) -> int:
        """Re-encrypt every sealed row under the current key (after a rotation); returns how many."""
        current, changed = self.keyring.current, 0
        with self._lock, self._tx():
            rows = self._db.execute("SELECT seq, idempotency_key, kind, payload FROM outbox").fetchall()
            for seq, key, kind, text in rows:
                try:
                    kid = envelope.sealed_key_id(text)
                    if kid is None or kid == current or _damaged((key, kind, text)):
                        continue
                    payload = self._payload(key, kind, text)
                except envelope.EnvelopeError:
                    continue
                self._db.execute("UPDATE outbox SET payload=? WHERE seq=?",
                                 (envelope.seal(self.keyring, key, kind, *fields.split(kind, payload)), seq))
                changed += 1
        return changed

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it; True when it completed (no reader in the way)."""
        with self._lock:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0

    def set_meta(self, name: str, value: Any) -> None:
        with self._lock, self._tx():
            self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, json.dumps(value)))

    # ------------------------------------------------------------------ reading

    def get_meta(self, name: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return default if row is None else json.loads(row[0])

    def counts(self) -> dict[str, int]:
        """Number of rows per status (every status present, zero when empty)."""
        with self._lock:
            found = dict(self._db.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall())
        return {s: int(found.get(s, 0)) for s in STATUSES}

    def backlog(self, *, exclude: tuple[str, ...] = ("heartbeat",)) -> tuple[int, str | None]:
        """(rows waiting for delivery, created_at of the oldest), leaving out the given kinds."""
        marks = ",".join("?" * len(exclude)) or "''"
        with self._lock:
            count, oldest = self._db.execute(
                f"SELECT COUNT(*), MIN(created_at) FROM outbox WHERE status IN ('pending', 'in_flight')"
                f" AND kind NOT IN ({marks})", exclude).fetchone()
        return int(count), oldest

    def has_waiting(self, kind: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM outbox WHERE kind=? AND status IN ('pending', 'in_flight')"
                                    " LIMIT 1", (kind,)).fetchone() is not None

    def next_due(self) -> float | None:
        """When the earliest waiting row becomes due (Unix seconds), or None when nothing waits."""
        with self._lock:
            row = self._db.execute("SELECT MIN(next_attempt_at) FROM outbox"
                                   " WHERE status IN ('pending', 'in_flight')").fetchone()
        return row[0]

    def list_rows(self, status: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """Row metadata for technicians, newest first: never the payload."""
        where, params = ("WHERE status=?", (status,)) if status else ("", ())
        with self._lock:
            rows = self._db.execute(f"SELECT {_INFO_COLUMNS} FROM outbox {where} ORDER BY seq DESC LIMIT ?",
                                    (*params, limit)).fetchall()
        names = [c.strip() for c in _INFO_COLUMNS.split(",")]
        return [dict(zip(names, (_printable(v) for v in r), strict=True)) for r in rows]

    def key_ids_in_use(self) -> set[str]:
        """Ids of the keys that some stored row is sealed with."""
        with self._lock:
            texts = [r[0] for r in self._db.execute("SELECT payload FROM outbox WHERE format=1")]
        out = set()
        for text in texts:
            try:
                kid = envelope.sealed_key_id(text)
            except envelope.EnvelopeError:
                continue
            if kid is not None:
                out.add(kid)
        return out

    def get(self, key: str) -> OutboxRow | None:
        """One row by key, or None."""
        with self._lock:
            r = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE idempotency_key=?", (key,)).fetchone()
        return None if r is None else self._row(r)

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
        if exc_type is None:
            try:
                self._db.execute("COMMIT")
                return
            except sqlite3.Error:
                self._rollback()  # SQLite may have rolled back already (a full disk): keep the real error
                raise
        self._rollback()

    def _rollback(self) -> None:
        if self._db.in_transaction:
            try:
                self._db.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # the caller's error is the one that matters

"""Outbox schema migrations, numbered by SQLite's user_version.

Each step runs inside the caller's BEGIN IMMEDIATE transaction together with the
user_version bump, so a crash mid-migration leaves the previous version intact.
Step 2 seals the plain payloads that version 1 stored (see sync.envelope).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import sqlite_utils

Resealer = Callable[[str, str, str], str]  # (idempotency key, kind, legacy payload text) -> envelope text


def _v1(db: sqlite_utils.Database, reseal: Resealer) -> None:
    db.execute(
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
        )"""
    )
    db.execute("CREATE INDEX outbox_ready ON outbox (status, next_attempt_at, seq)")


def _v2(db: sqlite_utils.Database, reseal: Resealer) -> None:
    """Envelope payloads (format 1), a last-change time for retention, a meta table."""
    outbox = db["outbox"]
    outbox.add_column("format", int, not_null_default=0)
    outbox.add_column("updated_at", float, not_null_default=0)
    db.execute("CREATE INDEX outbox_purge ON outbox (status, updated_at)")
    db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
    rows = db.execute("SELECT seq, idempotency_key, kind, payload FROM outbox WHERE format=0").fetchall()
    for seq, key, kind, text in rows:
        db.execute("UPDATE outbox SET payload=?, format=1 WHERE seq=?", (reseal(key, kind, text), seq))


MIGRATIONS: list[Callable[[sqlite_utils.Database, Resealer], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, reseal: Resealer) -> int:
    """Bring the schema up to SCHEMA_VERSION inside the open transaction; returns the old version."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(f"outbox schema {version} is newer than this program ({SCHEMA_VERSION})")
    db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)
    for step in MIGRATIONS[version:]:
        step(db, reseal)
    if version != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    return version

"""The SQLite outbox and one-pass delivery against the real reference server."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.interfaces import Outbox
from refplatform.server import PlatformServer
from sync.engine import backoff_seconds, sync_once
from sync.fields import CLEAR
from sync.outbox import SCHEMA_VERSION, SqliteOutbox, new_idempotency_key
from sync.platform_client import HttpPlatformClient


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "outbox.db"


@pytest.fixture
def outbox(path: Path) -> Iterator[SqliteOutbox]:
    box = SqliteOutbox(path)
    yield box
    box.close()


def test_is_an_outbox_and_schema(outbox: SqliteOutbox, path: Path) -> None:
    assert isinstance(outbox, Outbox)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.close()


def test_enqueue_take_done_failed_dead(outbox: SqliteOutbox) -> None:
    keys = [outbox.enqueue("note", {"n": i, "name": "张伟明"}) for i in range(3)]
    assert outbox.counts() == {"pending": 3, "in_flight": 0, "done": 0, "dead": 0}
    rows = outbox.take(2)
    assert [r.key for r in rows] == keys[:2] and [r.payload["n"] for r in rows] == [0, 1]
    assert all(r.status == "in_flight" and r.attempts == 1 for r in rows)
    assert rows[0].seq < rows[1].seq and "张" not in repr(rows[0])
    assert outbox.counts()["in_flight"] == 2
    outbox.mark_done(keys[0])
    now = time.time()
    outbox.mark_failed(keys[1], "offline: connection", now + 60)
    third = outbox.take(5, now=now)
    assert [r.key for r in third] == [keys[2]]  # keys[1] is not due yet
    outbox.mark_failed(keys[2], "refused: http_422", now, dead=True)
    assert outbox.counts() == {"pending": 1, "in_flight": 0, "done": 1, "dead": 1}
    again = outbox.take(5, now=now + 61)
    assert [(r.key, r.attempts, r.last_error) for r in again] == [(keys[1], 2, "offline: connection")]
    dead = outbox.get(keys[2])
    assert dead is not None and dead.status == "dead" and dead.last_error == "refused: http_422"
    assert outbox.get("missing") is None
    with pytest.raises(KeyError):
        outbox.mark_done("missing")


def test_reopen_returns_in_flight_to_pending(path: Path) -> None:
    box = SqliteOutbox(path)
    key = box.enqueue("note", {"a": 1})
    box.enqueue("audit", {"b": 2})
    assert len(box.take(1)) == 1
    box.close()
    box = SqliteOutbox(path)
    try:
        assert box.counts() == {"pending": 2, "in_flight": 0, "done": 0, "dead": 0}
        row = box.get(key)
        assert row is not None and row.attempts == 1 and row.payload == {"a": 1}
        assert [r.kind for r in box.take(10)] == ["note", "audit"]
    finally:
        box.close()


def test_newer_schema_is_refused(path: Path) -> None:
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(RuntimeError):
        SqliteOutbox(path)


def test_keys_are_unique_and_time_ordered() -> None:
    before = int(time.time() * 1000)
    keys = [new_idempotency_key() for _ in range(5000)]
    assert len(set(keys)) == len(keys) and sorted(keys) == keys
    assert all(k[14] == "7" and k[19] in "89ab" and len(k) == 36 for k in keys)
    ms = int(keys[0].replace("-", "")[:12], 16)
    assert before <= ms <= int(time.time() * 1000)


def test_enqueue_from_threads(outbox: SqliteOutbox) -> None:
    keys: list[str] = []

    def work() -> None:
        keys.extend(outbox.enqueue("t", {"x": i}) for i in range(50))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(keys)) == 400 and outbox.counts()["pending"] == 400


def test_sync_once_delivers_exactly_once(outbox: SqliteOutbox, client: HttpPlatformClient,
                                         server: PlatformServer) -> None:
    keys = [outbox.enqueue("print", {"purpose": f"p{i}", "holder_name": "张伟明"}) for i in range(3)]
    assert sync_once(outbox, client) == (3, 0)
    assert sync_once(outbox, client) == (0, 0)
    received = server.received()
    assert [r["idempotency_key"] for r in received] == keys
    assert [r["payload"] for r in received] == [{"purpose": f"p{i}"} for i in range(3)]  # name stripped
    assert outbox.counts()["done"] == 3


def test_resend_after_crash_is_stored_once(path: Path, client: HttpPlatformClient,
                                           server: PlatformServer) -> None:
    box = SqliteOutbox(path)
    key = box.enqueue("print", {"purpose": "p"})
    (row,) = box.take(1)
    client.submit(row.key, row.kind, row.payload)  # delivered, then the kiosk dies before mark_done
    box.close()
    box = SqliteOutbox(path)
    try:
        assert sync_once(box, client) == (1, 0)
        assert [r["idempotency_key"] for r in server.received()] == [key]
    finally:
        box.close()


def test_offline_keeps_rows_pending_with_backoff(outbox: SqliteOutbox, client: HttpPlatformClient,
                                                 server: PlatformServer) -> None:
    first, second = outbox.enqueue("print", {}), outbox.enqueue("print", {})
    server.faults.offline = True
    now = time.time()
    assert sync_once(outbox, client, now=now) == (0, 2)  # one batch, one failed request
    for key in (first, second):
        row = outbox.get(key)
        assert row is not None and row.status == "pending" and row.last_error.startswith("offline")
        assert row.next_attempt_at == now + backoff_seconds(1) and row.attempts == 1
    server.faults.reset()
    assert sync_once(outbox, client, now=now) == (0, 0)  # not due yet
    assert sync_once(outbox, client, now=now + backoff_seconds(1)) == (2, 0)
    assert len(server.received()) == 2


@pytest.mark.parametrize(("status", "dead"), [(500, False), (429, False), (422, True), (400, True)])
def test_refusal_is_dead(outbox: SqliteOutbox, client: HttpPlatformClient, server: PlatformServer,
                         status: int, dead: bool) -> None:
    key = outbox.enqueue("print", {})
    server.faults.status = status
    assert sync_once(outbox, client) == (0, 1)
    row = outbox.get(key)
    assert row is not None and row.status == ("dead" if dead else "pending")
    assert row.last_error.endswith(f"http_{status}")


def test_backoff_grows_and_caps() -> None:
    assert [backoff_seconds(n) for n in (1, 2, 3)] == [2.0, 4.0, 8.0]
    assert backoff_seconds(1000) == 300.0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.text(), json_values, max_size=6), kind=st.text(min_size=1, max_size=20))
def test_payloads_round_trip(outbox: SqliteOutbox, payload: dict[str, Any], kind: str) -> None:
    """Kinds without an allow-list are kept whole (and sealed)."""
    if kind in CLEAR:
        return
    key = outbox.enqueue(kind, payload)
    row = outbox.get(key)
    assert row is not None and row.payload == payload and row.kind == kind


def test_non_json_payload_is_rejected(outbox: SqliteOutbox) -> None:
    with pytest.raises(ValueError):
        outbox.enqueue("note", {"x": float("nan")})
    with pytest.raises(TypeError):
        outbox.enqueue("note", {"x": object()})
    assert outbox.counts()["pending"] == 0

"""The outbox at rest: migrations, encryption, key rotation, disk full, corruption, retention."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync import envelope
from sync.envelope import EnvelopeError, Keyring, open_envelope, parse, seal
from sync.migrations import SCHEMA_VERSION
from sync.outbox import OutboxWriteError, SqliteOutbox
from sync.store import ManagedOutbox, OfflineLimits

NAME, ID_NUMBER = "张伟明", "11010519491231002X"
APPLICATION = {"holder_code": ID_NUMBER, "holder_name": NAME, "holder_type": "resident_id",
               "service_id": "personal_certs", "tracking_code": "TRK-1", "address": "北京市朝阳区某路1号"}


def _bytes_of(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.iterdir() if p.is_file())


def _secrets_in(data: bytes) -> list[str]:
    return [s for s in (NAME, ID_NUMBER, "北京市朝阳区") for enc in ("utf-8", "utf-16-le") if s.encode(enc) in data]


def test_personal_fields_are_ciphertext_and_extras_dropped(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "outbox.db")
    key = box.enqueue("application", APPLICATION)
    row = box.get(key)
    assert row is not None and "address" not in row.payload  # not needed by the platform: never stored
    assert row.payload == {k: v for k, v in APPLICATION.items() if k != "address"}
    box.close()
    assert _secrets_in(_bytes_of(tmp_path)) == []
    stored = sqlite3.connect(tmp_path / "outbox.db").execute("SELECT payload FROM outbox").fetchone()[0]
    data, sealed = parse(stored)
    assert data["service_id"] == "personal_certs" and "holder_code" not in data and sealed is not None


def test_key_file_is_private_and_outside_the_database(tmp_path: Path) -> None:
    SqliteOutbox(tmp_path / "outbox.db").close()
    key_file = tmp_path / "keys" / envelope.KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key = json.loads(key_file.read_text())["keys"]
    assert all(k.encode() not in (tmp_path / "outbox.db").read_bytes() for k in key.values())


def test_delivered_rows_keep_no_personal_data(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "outbox.db")
    key = box.enqueue("application", APPLICATION)
    box.take(1)
    box.mark_done(key)
    row = box.get(key)
    assert row is not None and "holder_code" not in row.payload and row.payload["tracking_code"] == "TRK-1"
    assert box.key_ids_in_use() == set()
    box.close()


def test_rotation_keeps_queued_rows_readable(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "outbox.db")
    old_kid = box.keyring.current
    old = box.enqueue("application", APPLICATION)
    new_kid = Keyring(tmp_path / "keys").rotate()  # as `kiosk queue rotate-key` does, from another process
    assert box.keyring.current == new_kid != old_kid
    new = box.enqueue("application", APPLICATION)
    assert box.key_ids_in_use() == {old_kid, new_kid}
    assert box.keyring.retire(box.key_ids_in_use()) == []  # still used: kept
    assert box.get(old).payload["holder_code"] == ID_NUMBER
    assert box.reseal() == 1 and box.key_ids_in_use() == {new_kid}
    assert box.keyring.retire(box.key_ids_in_use()) == [old_kid]
    assert [r.payload["holder_name"] for r in box.take(5)] == [NAME, NAME]
    assert {box.get(k).payload["holder_code"] for k in (old, new)} == {ID_NUMBER}
    box.close()


def test_tampered_row_goes_dead_not_sent(tmp_path: Path) -> None:
    box = SqliteOutbox(tmp_path / "outbox.db")
    bad, good = box.enqueue("application", APPLICATION), box.enqueue("application", APPLICATION)
    db = sqlite3.connect(tmp_path / "outbox.db")
    text = db.execute("SELECT payload FROM outbox WHERE idempotency_key=?", (bad,)).fetchone()[0]
    env = json.loads(text)
    env["sealed"]["ct"] = env["sealed"]["ct"][:-8] + "AAAAAAA="
    db.execute("UPDATE outbox SET payload=? WHERE idempotency_key=?", (json.dumps(env), bad))
    db.commit()
    db.close()
    assert [r.key for r in box.take(5)] == [good]
    assert box.list_rows("dead")[0]["last_error"].startswith("unreadable")
    box.close()


def test_migrates_a_version_1_database(tmp_path: Path) -> None:
    """A v1 outbox (plain JSON payloads) is upgraded in place: rows kept, personal data sealed."""
    path = tmp_path / "outbox.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("""CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, idempotency_key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'in_flight', 'done', 'dead')), last_error TEXT NOT NULL DEFAULT '')""")
    db.execute("CREATE INDEX outbox_ready ON outbox (status, next_attempt_at, seq)")
    rows = [("k1", "application", json.dumps(APPLICATION, ensure_ascii=False), "pending"),
            ("k2", "rating", json.dumps({"level": 5, "service_id": "personal_certs"}), "in_flight"),
            ("k3", "print", json.dumps({"ok": True, "identifier": "ID-9"}), "done")]
    db.executemany("INSERT INTO outbox (idempotency_key, kind, payload, created_at, status) VALUES (?,?,?,'2024',?)",
                   rows)
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    box = SqliteOutbox(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    assert box.counts() == {"pending": 2, "in_flight": 0, "done": 1, "dead": 0}
    assert box.get("k1").payload["holder_code"] == ID_NUMBER and "address" not in box.get("k1").payload
    assert box.get("k2").payload == {"level": 5, "service_id": "personal_certs"}
    box.close()
    assert _secrets_in(_bytes_of(tmp_path)) == []
    SqliteOutbox(path).close()  # a second open is a no-op


def test_disk_full_refuses_cleanly(tmp_path: Path) -> None:
    """GIVEN a database that may not grow WHEN it fills THEN enqueue fails cleanly and nothing is half-written."""
    box = SqliteOutbox(tmp_path / "outbox.db")
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box.close()
    box = SqliteOutbox(tmp_path / "outbox.db", max_page_count=pages + 2)
    written = []
    with pytest.raises(OutboxWriteError) as info:
        for i in range(10_000):
            written.append(box.enqueue("application", dict(APPLICATION, tracking_code=f"T{i:05d}" + "x" * 200)))
    assert info.value.reason == "outbox_full" and written
    assert box.counts()["pending"] == len(written)
    assert [box.get(k).payload["tracking_code"][:6] for k in written] == [f"T{i:05d}" for i in range(len(written))]
    box.close()
    reopened = SqliteOutbox(tmp_path / "outbox.db")
    assert reopened.counts()["pending"] == len(written)
    assert reopened._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    reopened.close()


@pytest.mark.parametrize("damage", ["garbage", "truncated_header", "zeroed_page"])
def test_corrupt_database_is_quarantined(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "outbox.db"
    box = SqliteOutbox(path)
    for _ in range(200):
        box.enqueue("rating", {"level": 5, "service_id": "x" * 50})
    box._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    box.close()
    data = bytearray(path.read_bytes())
    if damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "truncated_header":
        data = data[:50]
    else:
        page = int.from_bytes(data[16:18], "big")
        data[page * 2:page * 3] = bytes(page)  # wipe the second page (table b-tree)
    path.write_bytes(bytes(data))
    managed = ManagedOutbox(path, limits=OfflineLimits())
    assert managed.available
    corrupt = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert corrupt and managed.health()["quarantined"] == [n for n in corrupt if not n.endswith(("-wal", "-shm"))]
    assert managed.offline_refusal() == "offline_unavailable"  # online-only until a technician looks
    managed.enqueue("rating", {"level": 4})  # records still work on the fresh file
    managed.alert()
    assert managed.has_waiting("heartbeat")
    assert managed.acknowledge() and managed.offline_refusal() == ""
    managed.close()


def test_unopenable_outbox_serves_online_only(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    managed = ManagedOutbox(blocker / "outbox.db")
    assert not managed.available and managed.offline_refusal() == "offline_unavailable"
    with pytest.raises(OutboxWriteError):
        managed.enqueue("rating", {"level": 5})
    managed.close()


def test_limits_and_retention(tmp_path: Path) -> None:
    now = [1_000_000.0]
    managed = ManagedOutbox(tmp_path / "outbox.db", limits=OfflineLimits(max_items=3, max_age_seconds=3600),
                            clock=lambda: now[0])
    assert managed.offline_refusal() == ""
    keys = [managed.enqueue("application", APPLICATION) for _ in range(3)]
    managed.enqueue("heartbeat", {"queue_depth": 3})  # heartbeats do not count
    assert managed.health()["queue_depth"] == 3 and managed.offline_refusal() == "offline_limit_items"
    for k in keys[:2]:
        managed.take(1)
        managed.mark_done(k)
    now[0] = 2e10  # far future: the remaining row is too old
    assert managed.offline_refusal() == "offline_limit_age"
    assert managed.purge(now[0] - 10) == 2 and managed.counts()["done"] == 0
    managed.close()


# ---------------------------------------------------------------- the envelope parser

@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(), st.binary(), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["v", "data", "sealed", "kid", "nonce", "ct", "x"]), inner, max_size=4),
    max_leaves=12).map(json.dumps)))
def test_envelope_parser_never_crashes(tmp_path_factory: pytest.TempPathFactory, text: str | bytes) -> None:
    ring = _ring(tmp_path_factory)
    try:
        payload = open_envelope(ring, "k", "application", text)
    except EnvelopeError:
        return
    assert isinstance(payload, dict)


@settings(max_examples=100, deadline=None)
@given(clear=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=4),
       personal=st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=4),
       cut=st.integers(min_value=1, max_value=400))
def test_envelope_round_trip_and_truncation(tmp_path_factory: pytest.TempPathFactory, clear: dict,
                                            personal: dict, cut: int) -> None:
    ring = _ring(tmp_path_factory)
    text = seal(ring, "row-1", "application", clear, personal)
    assert open_envelope(ring, "row-1", "application", text) == {**clear, **personal}
    if personal:
        with pytest.raises(EnvelopeError):  # bound to its row: moving it fails
            open_envelope(ring, "row-2", "application", text)
    if cut < len(text):
        try:
            open_envelope(ring, "row-1", "application", text[:-cut])
        except EnvelopeError:
            pass


_RINGS: dict[str, Keyring] = {}


def _ring(factory: pytest.TempPathFactory) -> Keyring:
    if "ring" not in _RINGS:
        _RINGS["ring"] = Keyring(factory.mktemp("keys"))
    return _RINGS["ring"]

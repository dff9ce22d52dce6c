"""SQLite storage of the reference platform: certificates, transactions, stamped copies, kiosk records.

Transactions of kind "heartbeat" and "rating" also land in the heartbeats and ratings
tables, whether they came through the ingest endpoints (the kiosk's outbox) or the direct
endpoints, so both paths give the same records.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS transactions (idempotency_key TEXT PRIMARY KEY, kind TEXT NOT NULL,
  payload TEXT NOT NULL, received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')));
CREATE TABLE IF NOT EXISTS certificates (cert_id TEXT PRIMARY KEY, holder_type TEXT NOT NULL,
  holder_code TEXT NOT NULL, position INTEGER NOT NULL, record TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS certificates_holder ON certificates (holder_type, holder_code, position);
CREATE TABLE IF NOT EXISTS stamped_copies (verify_code TEXT PRIMARY KEY, request_key TEXT UNIQUE,
  cert_id TEXT NOT NULL, purpose TEXT NOT NULL, expires TEXT NOT NULL, verify_url TEXT NOT NULL,
  issued_at TEXT NOT NULL, kiosk_id TEXT NOT NULL, pdf BLOB NOT NULL, signature TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats (idempotency_key TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL,
  status TEXT NOT NULL, received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')));
CREATE TABLE IF NOT EXISTS ratings (idempotency_key TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL,
  service_id TEXT NOT NULL, level INTEGER, channel TEXT NOT NULL, rating TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')));
CREATE TABLE IF NOT EXISTS wallet (delivery_id TEXT PRIMARY KEY, cert_id TEXT NOT NULL, holder_type TEXT NOT NULL,
  holder_code TEXT NOT NULL, source TEXT NOT NULL, kiosk_id TEXT NOT NULL,
  sent_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')));
"""


def _text(value: Any, default: str = "", limit: int = 128) -> str:
    return value[:limit] if isinstance(value, str) and value else default


class Store:
    """One SQLite connection behind a lock (the server is threaded)."""

    def __init__(self, db_path: str | None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(db_path or ":memory:", check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)

    # ---------------------------------------------------------------- certificates

    def seed(self, table: dict[tuple[str, str], list[dict[str, Any]]]) -> None:
        """Load the seed certificates (kept when already there)."""
        rows = [(c["cert_id"], holder_type, code, i, json.dumps(c, ensure_ascii=False))
                for (holder_type, code), certs in table.items() for i, c in enumerate(certs)]
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO certificates VALUES (?, ?, ?, ?, ?)", rows)
            self._db.execute("COMMIT")

    def certificates_of(self, holder_type: str, holder_code: str) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT record FROM certificates WHERE holder_type = ? AND holder_code = ?"
                                    " ORDER BY position", (holder_type, holder_code.upper())).fetchall()
        return [json.loads(r) for r, in rows]

    def certificate(self, cert_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM certificates WHERE cert_id = ?", (cert_id,)).fetchone()
        return json.loads(row[0]) if row else None

    # ---------------------------------------------------------------- the holders' app wallets (证照夹)

    def deliver_to_wallet(self, cert: dict[str, Any], *, source: str, kiosk_id: str) -> str:
        """Put a certificate in its holder's app wallet (refplatform/api_wallet.py); the delivery id."""
        delivery = "w-" + secrets.token_hex(12)
        with self._lock:
            self._db.execute("INSERT INTO wallet (delivery_id, cert_id, holder_type, holder_code, source, kiosk_id)"
                             " VALUES (?, ?, ?, ?, ?, ?)", (delivery, cert["cert_id"], cert["holder_type"],
                                                            cert["holder_code"].upper(), source, kiosk_id))
        return delivery

    def wallet_of(self, holder_type: str, holder_code: str) -> list[dict[str, str]]:
        """What a holder's wallet received: cert_id, source ("kiosk" or "application") and kiosk."""
        with self._lock:
            rows = self._db.execute("SELECT cert_id, source, kiosk_id FROM wallet WHERE holder_type = ? AND"
                                    " holder_code = ? ORDER BY sent_at, rowid", (holder_type, holder_code.upper()))
            return [{"cert_id": c, "source": s, "kiosk_id": k} for c, s, k in rows.fetchall()]

    # ---------------------------------------------------------------- transactions

    def ingest(self, key: str, kind: str, payload: dict[str, Any], *, kiosk_id: str = "") -> bool:
        """Store a transaction (and its heartbeat or rating record); False when the key was already there."""
        with self._lock:
            self._db.execute("BEGIN")
            cur = self._db.execute(
                "INSERT OR IGNORE INTO transactions (idempotency_key, kind, payload) VALUES (?, ?, ?)",
                (key, kind, json.dumps(payload, ensure_ascii=False)))
            stored = cur.rowcount == 1
            if stored and kind == "heartbeat":
                self._db.execute("INSERT OR IGNORE INTO heartbeats (idempotency_key, kiosk_id, status)"
                                 " VALUES (?, ?, ?)", (key, _text(payload.get("kiosk_id"), kiosk_id or "-"),
                                                       json.dumps(payload, ensure_ascii=False)))
            elif stored and kind == "rating":
                level = payload.get("level")
                self._db.execute(
                    "INSERT OR IGNORE INTO ratings (idempotency_key, kiosk_id, service_id, level, channel, rating)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (key, _text(payload.get("kiosk_id"), kiosk_id or "-"), _text(payload.get("service_id"), "-"),
                     level if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5 else None,
                     _text(payload.get("channel"), "hall_terminal"), json.dumps(payload, ensure_ascii=False)))
            self._db.execute("COMMIT")
        return stored

    def has_transaction(self, key: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM transactions WHERE idempotency_key = ?", (key,)).fetchone()
        return row is not None

    def transactions(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT idempotency_key, kind, payload, received_at FROM transactions ORDER BY rowid").fetchall()
        return [{"idempotency_key": k, "kind": t, "payload": json.loads(p), "received_at": r}
                for k, t, p, r in rows]

    def heartbeats(self, kiosk_id: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT idempotency_key, kiosk_id, status, received_at FROM heartbeats"
        with self._lock:
            rows = self._db.execute(query + (" WHERE kiosk_id = ?" if kiosk_id else "") + " ORDER BY rowid",
                                    (kiosk_id,) if kiosk_id else ()).fetchall()
        return [{"idempotency_key": k, "kiosk_id": i, "status": json.loads(s), "received_at": r}
                for k, i, s, r in rows]

    def ratings(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT idempotency_key, kiosk_id, service_id, level, channel, rating,"
                                    " received_at FROM ratings ORDER BY rowid").fetchall()
        return [{"idempotency_key": k, "kiosk_id": i, "service_id": s, "level": lv, "channel": c,
                 "rating": json.loads(raw), "received_at": r} for k, i, s, lv, c, raw, r in rows]

    def day_summary(self, kiosk_ids: list[str], since: str) -> dict[str, Any]:
        """Sessions (identity checks passed), prints and 好差评 of these kiosks since an ISO time (UTC)."""
        if not kiosk_ids:
            return {"sessions": 0, "prints": 0, "print_failures": 0, "ratings": {"good": 0, "neutral": 0, "bad": 0}}
        marks = ", ".join("?" * len(kiosk_ids))
        query = (f"SELECT kind, json_extract(payload, '$.verified'), json_extract(payload, '$.ok'),"
                 f" json_extract(payload, '$.level') FROM transactions WHERE received_at >= ?"
                 f" AND kind IN ('identity_check', 'print', 'rating')"
                 f" AND json_extract(payload, '$.kiosk_id') IN ({marks})")
        with self._lock:
            rows = self._db.execute(query, (since, *kiosk_ids)).fetchall()
        out = {"sessions": 0, "prints": 0, "print_failures": 0, "ratings": {"good": 0, "neutral": 0, "bad": 0}}
        for kind, verified, ok, level in rows:
            if kind == "identity_check" and verified:
                out["sessions"] += 1
            elif kind == "print":
                out["prints" if ok else "print_failures"] += 1
            elif kind == "rating" and isinstance(level, int):
                out["ratings"]["good" if level >= 4 else "neutral" if level == 3 else "bad"] += 1
        return out

    # ---------------------------------------------------------------- stamped copies

    def add_stamped(self, row: dict[str, Any]) -> dict[str, Any]:
        """Store a stamped copy; with a request key already used by that kiosk, return the earlier copy."""
        with self._lock:
            if row.get("request_key"):
                found = self._stamped_where("request_key = ?", row["request_key"])
                if found is not None:
                    return found
            cols = ("verify_code", "request_key", "cert_id", "purpose", "expires", "verify_url", "issued_at",
                    "kiosk_id", "pdf", "signature")
            self._db.execute(f"INSERT INTO stamped_copies ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                             tuple(row.get(c) for c in cols))
        return row

    def stamped(self, verify_code: str) -> dict[str, Any] | None:
        with self._lock:
            return self._stamped_where("verify_code = ?", verify_code)

    def _stamped_where(self, where: str, value: str) -> dict[str, Any] | None:
        cur = self._db.execute(f"SELECT * FROM stamped_copies WHERE {where}", (value,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def atomic(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run work(connection) in one transaction under the store's lock (refplatform.trust uses it)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return result

    def close(self) -> None:
        with self._lock:
            self._db.close()

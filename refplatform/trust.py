"""Which kiosks the reference platform trusts: one-time enrolment codes, device keys, revocation, nonces.

A technician gets a one-time code for a kiosk id (`kiosk-platform enrol-code`); the kiosk
makes its own Ed25519 key pair and sends the public half with the code and a proof that it
holds the private half (POST /v1/kiosks/enrol). Codes are stored only as SHA-256 hashes,
expire after CODE_TTL and work once. A revoked kiosk is refused on every signed call until
a technician enrols it again with a new code. Nonces of signed requests live in the same
SQLite database, so a replay is refused after a restart too.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from refplatform.store import Store
from sync.device_key import decode_public_key
from sync.enrolment import normalise_code
from sync.request_signing import KIOSK_ID, KioskRevoked

CODE_TTL = 24 * 3600.0
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32
CODE_LENGTH = 12

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kiosks (kiosk_id TEXT PRIMARY KEY, public_key TEXT NOT NULL, status TEXT NOT NULL,
  enrolled_at REAL NOT NULL, revoked_at REAL);
CREATE TABLE IF NOT EXISTS enrolment_codes (code_hash TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL,
  expires_at REAL NOT NULL, used_at REAL);
CREATE TABLE IF NOT EXISTS nonces (kiosk_id TEXT NOT NULL, nonce TEXT NOT NULL, keep_until REAL NOT NULL,
  PRIMARY KEY (kiosk_id, nonce)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS nonces_until ON nonces (keep_until);
"""


class EnrolmentRefused(Exception):
    """A code that is unknown, used, expired or issued for another kiosk (one answer for all)."""


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


class TrustRegistry:
    """Kiosk keys, enrolment codes and nonces in the platform's SQLite store (thread-safe)."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self._store, self._clock = store, clock
        self._create()

    def _create(self) -> None:
        def work(db: sqlite3.Connection) -> None:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
        self._store.atomic(work)

    # ------------------------------------------------------------ enrolment

    def issue_code(self, kiosk_id: str, ttl: float = CODE_TTL) -> str:
        """A one-time enrolment code for kiosk_id, shown once as XXXX-XXXX-XXXX."""
        if not KIOSK_ID.fullmatch(kiosk_id):
            raise ValueError("kiosk id must be 1 to 64 letters, digits, '.', '_' or '-'")
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        expires = self._clock() + ttl
        self._store.atomic(lambda db: db.execute("INSERT INTO enrolment_codes VALUES (?, ?, ?, NULL)",
                                                 (_hash(code), kiosk_id, expires)))
        return "-".join(code[i:i + 4] for i in range(0, CODE_LENGTH, 4))

    def enrol(self, kiosk_id: str, code: str, public_key: str) -> None:
        """Use the code once and store the kiosk's public key (replacing an earlier one, un-revoking)."""
        if decode_public_key(public_key) is None or not KIOSK_ID.fullmatch(kiosk_id):
            raise EnrolmentRefused()
        now = self._clock()

        def work(db: sqlite3.Connection) -> None:
            row = db.execute("SELECT kiosk_id, expires_at, used_at FROM enrolment_codes WHERE code_hash = ?",
                             (_hash(code),)).fetchone()
            if row is None or row[0] != kiosk_id or row[1] < now or row[2] is not None:
                raise EnrolmentRefused()
            db.execute("UPDATE enrolment_codes SET used_at = ? WHERE code_hash = ?", (now, _hash(code)))
            db.execute("INSERT INTO kiosks VALUES (?, ?, 'active', ?, NULL) ON CONFLICT (kiosk_id) DO UPDATE SET "
                       "public_key = excluded.public_key, status = 'active', enrolled_at = excluded.enrolled_at, "
                       "revoked_at = NULL", (kiosk_id, public_key, now))
        self._store.atomic(work)

    def revoke(self, kiosk_id: str) -> bool:
        """Revoke an enrolled kiosk; False when there is no such kiosk."""
        cur = self._store.atomic(lambda db: db.execute(
            "UPDATE kiosks SET status = 'revoked', revoked_at = ? WHERE kiosk_id = ?", (self._clock(), kiosk_id)))
        return cur.rowcount == 1

    def kiosks(self) -> list[tuple[str, str]]:
        """(kiosk id, status) of every enrolled kiosk."""
        return self._store.atomic(lambda db: db.execute(
            "SELECT kiosk_id, status FROM kiosks ORDER BY kiosk_id").fetchall())

    def status(self, kiosk_id: str) -> str | None:
        """"active", "revoked" or None (never enrolled)."""
        row = self._store.atomic(lambda db: db.execute("SELECT status FROM kiosks WHERE kiosk_id = ?",
                                                       (kiosk_id,)).fetchone())
        return row[0] if row else None

    def key_for(self, kiosk_id: str) -> Ed25519PublicKey | None:
        """The enrolled kiosk's public key; None for an unknown kiosk; KioskRevoked for a revoked one."""
        row = self._store.atomic(lambda db: db.execute("SELECT public_key, status FROM kiosks WHERE kiosk_id = ?",
                                                       (kiosk_id,)).fetchone())
        if row is None:
            return None
        if row[1] != "active":
            raise KioskRevoked("kiosk_revoked")
        return decode_public_key(row[0])

    # ------------------------------------------------------------ nonces (sync.request_signing.NonceStore)

    def remember(self, kiosk_id: str, nonce: str, now: float, keep_until: float) -> bool:
        def work(db: sqlite3.Connection) -> bool:
            db.execute("DELETE FROM nonces WHERE keep_until < ?", (now,))
            cur = db.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)", (kiosk_id, nonce, keep_until))
            return cur.rowcount == 1
        return self._store.atomic(work)

    def nonce_count(self) -> int:
        return int(self._store.atomic(lambda db: db.execute("SELECT count(*) FROM nonces").fetchone()[0]))

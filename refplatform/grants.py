"""Citizen grants: proof that a verified citizen stands at this kiosk, and for whom they may act.

After identity verification (card + face with liveness, or card + a signed-in staff member)
the kiosk asks for a grant (POST /v1/grants, signed by its device key). The grant is bound to
the kiosk, the holder, the method, liveness, the staff id and the time. Every search, download
and stamped copy carries it (X-Kiosk-Grant, inside the request signature); the platform then
answers only for the holder, the businesses they represent (legal representative, or agent
within scope and date) and the people who delegated to them (within the delegation's
certificate types and date). A grant dies after IDLE_SECONDS without use, HARD_SECONDS after
it was made, when the kiosk revokes it at session end (or, by its public id, when a kiosk
restarted after a killed session: a ``grant_revoke`` transaction), and is unknown to any other kiosk.
Tokens are stored as SHA-256 hashes; every use is recorded with both identities.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.idnumbers import mask_id_number, mask_name
from refplatform import authority
from refplatform.store import Store

IDLE_SECONDS = 600.0
HARD_SECONDS = 1800.0
METHODS = ("face", "staff")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grants (token_hash TEXT PRIMARY KEY, grant_id TEXT UNIQUE NOT NULL,
  kiosk_id TEXT NOT NULL, holder_type TEXT NOT NULL, holder_code TEXT NOT NULL, method TEXT NOT NULL,
  liveness INTEGER NOT NULL, staff_id TEXT, verified_at TEXT, created REAL NOT NULL, last_used REAL NOT NULL,
  revoked REAL);
CREATE TABLE IF NOT EXISTS representations (uscc TEXT NOT NULL, name TEXT NOT NULL, holder_code TEXT NOT NULL,
  role TEXT NOT NULL, services TEXT NOT NULL, valid_until TEXT, PRIMARY KEY (uscc, holder_code, role));
CREATE TABLE IF NOT EXISTS delegations (delegation_id TEXT PRIMARY KEY, delegator_code TEXT NOT NULL,
  delegate_code TEXT NOT NULL, cert_types TEXT NOT NULL, valid_until TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grant_uses (grant_id TEXT NOT NULL, action TEXT NOT NULL, cert_id TEXT,
  subject_type TEXT NOT NULL, subject_code TEXT NOT NULL, acting_as TEXT NOT NULL, delegation_id TEXT,
  at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS session_ratings (kiosk_id TEXT NOT NULL, session_id TEXT NOT NULL,
  PRIMARY KEY (kiosk_id, session_id)) WITHOUT ROWID;
"""


class GrantRefused(Exception):
    """status, problem slug and a detail with nothing personal in it."""

    def __init__(self, status: int, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail


@dataclass(frozen=True)
class Grant:
    grant_id: str
    kiosk_id: str
    holder_type: str
    holder_code: str
    method: str


@dataclass(frozen=True)
class Scope:
    """Whose certificates a call reaches, and as what."""

    subject_type: str
    subject_code: str
    acting_as: str  # "self", "legal_rep", "agent" or "delegate"
    cert_types: frozenset[str] | None = None  # None: all
    delegation_id: str | None = None

    def covers(self, identifier: str) -> bool:
        return self.cert_types is None or authority.cert_type(identifier) in self.cert_types


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class GrantStore:
    """Grants, representations, delegations and their use, in the platform's SQLite store."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time,
                 today: Callable[[], _dt.date] = lambda: _dt.datetime.now(_dt.UTC).date()) -> None:
        self._store, self.clock, self.today = store, clock, today
        reps, dels = authority.representations(), authority.delegations()

        def work(db: sqlite3.Connection) -> None:
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            db.executemany("INSERT OR IGNORE INTO representations VALUES (?, ?, ?, ?, ?, ?)",
                           [(r["uscc"], r["name"], r["holder_code"], r["role"], json.dumps(r["services"]),
                             r["valid_until"]) for r in reps])
            db.executemany("INSERT OR IGNORE INTO delegations VALUES (?, ?, ?, ?, ?)",
                           [(d["delegation_id"], d["delegator_code"], d["delegate_code"], json.dumps(d["cert_types"]),
                             d["valid_until"]) for d in dels])
        store.atomic(work)

    # ------------------------------------------------------------ life of a grant

    def open(self, kiosk_id: str, holder_type: str, holder_code: str, *, method: str, liveness: bool,
             staff_id: str | None, verified_at: str | None) -> tuple[str, Grant, float]:
        """A new grant: (token, grant, hard expiry as Unix seconds)."""
        if method not in METHODS or (method == "face" and not liveness) or (method == "staff" and not staff_id):
            raise GrantRefused(403, "verification-insufficient",
                               "a grant needs card + face with liveness, or card + a signed-in staff member")
        token, grant_id, now = secrets.token_urlsafe(32), "g-" + secrets.token_hex(12), self.clock()
        self._store.atomic(lambda db: db.execute(
            "INSERT INTO grants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (_hash(token), grant_id, kiosk_id, holder_type, holder_code.upper(), method, int(liveness), staff_id,
             verified_at, now, now)))
        return token, Grant(grant_id, kiosk_id, holder_type, holder_code.upper(), method), now + HARD_SECONDS

    def use(self, token: str | None, kiosk_id: str) -> Grant:
        """The live grant behind token for this kiosk (its idle clock restarts); GrantRefused otherwise."""
        if not token:
            raise GrantRefused(401, "grant-required", "this call needs the citizen grant of the session")
        now = self.clock()

        def work(db: sqlite3.Connection) -> tuple[Any, ...] | None:
            row = db.execute("SELECT grant_id, holder_type, holder_code, method, created, last_used, revoked "
                             "FROM grants WHERE token_hash = ? AND kiosk_id = ?", (_hash(token), kiosk_id)).fetchone()
            if row is not None and row[6] is None and now - row[5] <= IDLE_SECONDS and now - row[4] <= HARD_SECONDS:
                db.execute("UPDATE grants SET last_used = ? WHERE token_hash = ?", (now, _hash(token)))
            return row
        row = self._store.atomic(work)
        if row is None:
            raise GrantRefused(401, "grant-unknown", "no such grant for this kiosk")
        if row[6] is not None:
            raise GrantRefused(401, "grant-revoked", "the grant was revoked at the end of its session")
        if now - row[5] > IDLE_SECONDS or now - row[4] > HARD_SECONDS:
            raise GrantRefused(401, "grant-expired", "the grant has expired")
        return Grant(row[0], kiosk_id, row[1], row[2], row[3])

    def revoke(self, token: str | None, kiosk_id: str) -> None:
        grant = self.use(token, kiosk_id)
        self._store.atomic(lambda db: db.execute("UPDATE grants SET revoked = ? WHERE grant_id = ?",
                                                 (self.clock(), grant.grant_id)))

    def revoke_id(self, kiosk_id: str, grant_id: str) -> bool:
        """Revoke this kiosk's grant by its public id (one a killed session left open; the kiosk no
        longer has its token). True when it was live until now; revoking it again changes nothing.
        GrantRefused(403) when the id is not a grant of this kiosk."""
        if not self.owns(kiosk_id, grant_id):
            raise GrantRefused(403, "not-authorised", "that grant was not opened at this kiosk")
        cur = self._store.atomic(lambda db: db.execute(
            "UPDATE grants SET revoked = ? WHERE grant_id = ? AND kiosk_id = ? AND revoked IS NULL",
            (self.clock(), grant_id, kiosk_id)))
        return cur.rowcount == 1

    def revoked_at(self, grant_id: str) -> float | None:
        """When the grant was revoked (None: not revoked, or unknown)."""
        row = self._store.atomic(lambda db: db.execute("SELECT revoked FROM grants WHERE grant_id = ?",
                                                       (grant_id,)).fetchone())
        return None if row is None else row[0]

    def owns(self, kiosk_id: str, grant_id: str) -> bool:
        row = self._store.atomic(lambda db: db.execute("SELECT 1 FROM grants WHERE grant_id = ? AND kiosk_id = ?",
                                                       (grant_id, kiosk_id)).fetchone())
        return row is not None

    def first_rating(self, kiosk_id: str, session_id: str) -> bool:
        """Record that session_id was rated; False when it already was."""
        cur = self._store.atomic(lambda db: db.execute("INSERT OR IGNORE INTO session_ratings VALUES (?, ?)",
                                                       (kiosk_id, session_id)))
        return cur.rowcount == 1

    # ------------------------------------------------------------ scope

    def businesses(self, holder_code: str) -> list[dict[str, Any]]:
        """Businesses this person may act for today: USCC, name, role."""
        today = self.today().isoformat()
        rows = self._store.atomic(lambda db: db.execute(
            "SELECT uscc, name, role, services, valid_until FROM representations WHERE holder_code = ? "
            "ORDER BY role DESC, uscc", (holder_code.upper(),)).fetchall())
        return [{"uscc": u, "name": n, "role": r, "valid_until": v} for u, n, r, s, v in rows
                if "business_certs" in json.loads(s) and (v is None or v >= today)]

    def delegations(self, holder_code: str) -> list[dict[str, Any]]:
        """People who delegated to this person, valid today; the delegator shown masked only."""
        today = self.today().isoformat()
        rows = self._store.atomic(lambda db: db.execute(
            "SELECT delegation_id, delegator_code, cert_types, valid_until FROM delegations "
            "WHERE delegate_code = ? AND valid_until >= ? ORDER BY delegation_id", (holder_code.upper(), today)
        ).fetchall())
        from refplatform.seed import CERTIFICATES

        out = []
        for delegation_id, code, types, until in rows:
            certs = CERTIFICATES.get(("resident_id", code), [])
            name = certs[0]["holder_name"] if certs else ""
            out.append({"delegation_id": delegation_id, "delegator_masked": mask_name(name) if name else "",
                        "delegator_code_masked": mask_id_number(code), "cert_types": json.loads(types),
                        "valid_until": until})
        return out

    def scope(self, grant: Grant, subject_type: str | None, subject_code: str | None,
              delegation_id: str | None = None) -> Scope:
        """The scope for a subject (None: the holder); GrantRefused(403, not-authorised) when outside it."""
        today = self.today().isoformat()
        refused = GrantRefused(403, "not-authorised", "the verified person may not act for this holder")
        if delegation_id is not None:
            row = self._store.atomic(lambda db: db.execute(
                "SELECT delegator_code, cert_types, valid_until FROM delegations WHERE delegation_id = ? "
                "AND delegate_code = ?", (delegation_id, grant.holder_code)).fetchone())
            if row is None or row[2] < today:
                raise refused
            return Scope("resident_id", row[0], "delegate", frozenset(json.loads(row[1])), delegation_id)
        if subject_code is None or (subject_type == grant.holder_type and subject_code.upper() == grant.holder_code):
            return Scope(grant.holder_type, grant.holder_code, "self")
        code = subject_code.upper()
        if subject_type == "uscc":
            for business in self.businesses(grant.holder_code):
                if business["uscc"] == code:
                    return Scope("uscc", code, business["role"])
            raise refused
        rows = self._store.atomic(lambda db: db.execute(
            "SELECT delegation_id, cert_types FROM delegations WHERE delegator_code = ? AND delegate_code = ? "
            "AND valid_until >= ?", (code, grant.holder_code, today)).fetchall())
        if not rows:
            raise refused
        types = frozenset(t for _, raw in rows for t in json.loads(raw))
        return Scope(subject_type or "resident_id", code, "delegate", types, rows[0][0])

    def record(self, grant: Grant, action: str, scope: Scope, cert_id: str | None = None) -> None:
        """Who did what for whom: the grant (holder) and the subject, both kept."""
        self._store.atomic(lambda db: db.execute(
            "INSERT INTO grant_uses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (grant.grant_id, action, cert_id, scope.subject_type, scope.subject_code, scope.acting_as,
             scope.delegation_id, self.clock())))

    def uses(self) -> list[dict[str, Any]]:
        rows = self._store.atomic(lambda db: db.execute(
            "SELECT u.grant_id, g.holder_code, u.action, u.cert_id, u.subject_code, u.acting_as, u.delegation_id "
            "FROM grant_uses u JOIN grants g USING (grant_id) ORDER BY u.rowid").fetchall())
        keys = ("grant_id", "holder_code", "action", "cert_id", "subject_code", "acting_as", "delegation_id")
        return [dict(zip(keys, r, strict=True)) for r in rows]

"""The hall: live kiosk state, staff calls and staff sign-in for the hall dashboard.

Kiosks report presence (every idle probe), heartbeats (devices, paper, version) and staff
calls; staff sign in with their own credential (scrypt hash, never a shared password) and
acknowledge calls. Every change bumps a version and wakes the dashboard's event streams.
Nothing personal is kept: a call has a kind, a reason key, a screen name and the assisted
flag; a kiosk has an id, a hall, a place and device states.

A call has a ``kind`` ("help" today; issue 18 adds "video") so other kinds of calls share
the same life: open -> acknowledged (by a staff id) | cancelled (by the kiosk).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CALL_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
STAFF_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
CALL_KINDS = frozenset({"help", "video", "fault"})
CALL_STATES = ("open", "acknowledged", "cancelled")
SESSION_SECONDS = 12 * 3600.0
MAX_FAILED_SIGN_INS = 5
LOCKOUT_SECONDS = 60.0
KIOSK_DOWN_SECONDS = 75.0  # three missed idle probes (20 s each) and then some

_SCHEMA = """
CREATE TABLE IF NOT EXISTS staff_calls (call_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, hall TEXT NOT NULL,
  place TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL, screen TEXT NOT NULL, assisted INTEGER NOT NULL,
  state TEXT NOT NULL, staff_id TEXT NOT NULL DEFAULT '', repeats INTEGER NOT NULL DEFAULT 0,
  created_at REAL NOT NULL, acknowledged_at REAL, closed_at REAL);
CREATE TABLE IF NOT EXISTS staff (staff_id TEXT PRIMARY KEY, hall TEXT NOT NULL, salt BLOB NOT NULL,
  hash BLOB NOT NULL);
"""


def _short(value: Any, default: str, limit: int = 64) -> str:
    """A display-safe token: printable, no newlines, cut to limit."""
    if not isinstance(value, str) or not value.strip():
        return default
    return "".join(c for c in value.strip() if c.isprintable())[:limit] or default


def _hash(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)


@dataclass
class KioskState:
    kiosk_id: str
    hall: str = "-"
    place: str = ""
    last_seen: float = 0.0
    last_heartbeat: float = 0.0
    in_session: bool = False
    screen: str = ""
    queue_depth: int = 0
    paper: str = "unknown"
    version: str = ""
    devices: dict[str, str] = field(default_factory=dict)


class Hall:
    """Thread-safe hall state for the platform's handlers and the dashboard's streams."""

    def __init__(self, db_path: str | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.version = 0
        self.closed = False
        self._db = sqlite3.connect(db_path or ":memory:", check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)
        self._kiosks: dict[str, KioskState] = {}
        self._sessions: dict[str, tuple[str, str, float]] = {}  # token -> (staff_id, hall, expires)
        self._failures: dict[str, tuple[int, float]] = {}  # staff_id -> (failures, locked until)

    # ---------------------------------------------------------------- change notification

    def _bump(self) -> None:
        """Call with the lock held."""
        self.version += 1
        self._changed.notify_all()

    def wait_change(self, seen: int, timeout: float) -> int:
        """Block until the version moves past seen (or timeout, or close); returns the version."""
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen or self.closed, timeout)
            return self.version

    def close(self) -> None:
        with self._changed:
            self.closed = True
            self._changed.notify_all()
        with self._lock:
            self._db.close()

    # ---------------------------------------------------------------- kiosks

    def _kiosk(self, kiosk_id: str, body: dict[str, Any]) -> KioskState:
        k = self._kiosks.setdefault(kiosk_id, KioskState(kiosk_id))
        k.hall = _short(body.get("hall"), k.hall)
        k.place = _short(body.get("place"), k.place)
        return k

    def presence(self, kiosk_id: str, body: dict[str, Any]) -> None:
        """An idle probe or a session change: the kiosk is up, in a session or not."""
        with self._lock:
            k = self._kiosk(kiosk_id, body)
            was = (k.in_session, k.screen, self.is_up(k))
            k.last_seen = self.clock()
            if isinstance(body.get("in_session"), bool):
                k.in_session = body["in_session"]
            k.screen = _short(body.get("screen"), "", 32)
            depth = body.get("queue_depth")
            if isinstance(depth, int) and not isinstance(depth, bool) and depth >= 0:
                k.queue_depth = depth
            if (k.in_session, k.screen, True) != was:
                self._bump()

    def heartbeat(self, kiosk_id: str, body: dict[str, Any]) -> None:
        """A heartbeat: queue health, device states, paper, version."""
        with self._lock:
            k = self._kiosk(kiosk_id, body)
            k.last_seen = k.last_heartbeat = self.clock()
            depth = body.get("queue_depth")
            if isinstance(depth, int) and not isinstance(depth, bool) and depth >= 0:
                k.queue_depth = depth
            k.version = _short(body.get("software_version") or body.get("version"), k.version, 32)
            devices = body.get("devices") if isinstance(body.get("devices"), dict) else {}
            printer = devices.get("printer") if isinstance(devices.get("printer"), dict) else {}
            k.paper = _short(printer.get("paper"), k.paper, 24)
            k.devices = {_short(name, "?", 24): _short(v.get("state") if isinstance(v, dict) else v, "?", 24)
                         for name, v in list(devices.items())[:12]}
            self._bump()

    def is_up(self, k: KioskState) -> bool:
        return self.clock() - k.last_seen <= KIOSK_DOWN_SECONDS

    # ---------------------------------------------------------------- staff calls

    def open_call(self, kiosk_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Place a call (idempotent by call_id for that kiosk); returns the call."""
        call_id, kind = body.get("call_id"), body.get("kind", "help")
        if not (isinstance(call_id, str) and CALL_ID.fullmatch(call_id) and isinstance(kind, str)
                and kind in CALL_KINDS):
            raise ValueError("call_id (8-64 letters, digits, - or _) and a known kind are required")
        with self._lock:
            row = self._call(call_id)
            if row is not None and row["kiosk_id"] != kiosk_id:
                raise PermissionError("call belongs to another kiosk")
            if row is None:
                k = self._kiosk(kiosk_id, body)
                k.last_seen = self.clock()
                self._db.execute(
                    "INSERT INTO staff_calls (call_id, kiosk_id, hall, place, kind, reason, screen, assisted, state,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)",
                    (call_id, kiosk_id, k.hall, k.place, kind, _short(body.get("reason"), "citizen_request", 48),
                     _short(body.get("screen"), "", 32), int(body.get("assisted") is True), self.clock()))
                self._bump()
                row = self._call(call_id)
        return row

    def call(self, call_id: str, kiosk_id: str | None = None) -> dict[str, Any] | None:
        with self._lock:
            row = self._call(call_id) if CALL_ID.fullmatch(call_id or "") else None
        if row is None or (kiosk_id is not None and row["kiosk_id"] != kiosk_id):
            return None
        return row

    def _call(self, call_id: str) -> dict[str, Any] | None:
        cur = self._db.execute("SELECT * FROM staff_calls WHERE call_id = ?", (call_id,))
        row = cur.fetchone()
        return dict(zip([d[0] for d in cur.description], row, strict=True)) if row else None

    def repeat_call(self, call_id: str, kiosk_id: str) -> dict[str, Any] | None:
        """The citizen pressed again: the dashboard sounds again; an answered call stays answered."""
        with self._lock:
            row = self._call(call_id)
            if row is None or row["kiosk_id"] != kiosk_id:
                return None
            if row["state"] == "open":
                self._db.execute("UPDATE staff_calls SET repeats = repeats + 1 WHERE call_id = ?", (call_id,))
                self._bump()
            return self._call(call_id)

    def cancel_call(self, call_id: str, kiosk_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._call(call_id)
            if row is None or row["kiosk_id"] != kiosk_id:
                return None
            if row["state"] != "cancelled":
                self._db.execute("UPDATE staff_calls SET state = 'cancelled', closed_at = ? WHERE call_id = ?",
                                 (self.clock(), call_id))
                self._bump()
            return self._call(call_id)

    def acknowledge(self, call_id: str, staff_id: str, hall: str) -> dict[str, Any] | None:
        """A staff member of that hall takes the call; the first one to answer keeps it."""
        with self._lock:
            row = self._call(call_id) if CALL_ID.fullmatch(call_id or "") else None
            if row is None or row["hall"] != hall:
                return None
            if row["state"] == "open":
                self._db.execute("UPDATE staff_calls SET state = 'acknowledged', staff_id = ?, acknowledged_at = ?"
                                 " WHERE call_id = ?", (staff_id, self.clock(), call_id))
                self._bump()
            return self._call(call_id)

    # ---------------------------------------------------------------- staff credentials and sessions

    def add_staff(self, staff_id: str, hall: str, password: str) -> None:
        """Create or replace one staff member's credential (scrypt; the password is never stored)."""
        if not STAFF_ID.fullmatch(staff_id) or len(password) < 8:
            raise ValueError("staff id: 1-32 letters, digits, - or _; password: at least 8 characters")
        salt = secrets.token_bytes(16)
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO staff VALUES (?, ?, ?, ?)",
                             (staff_id, _short(hall, "-"), salt, _hash(password, salt)))

    def sign_in(self, staff_id: Any, password: Any) -> str | None:
        """A session token for a right credential; None otherwise (and after 5 misses, for a minute)."""
        if not (isinstance(staff_id, str) and STAFF_ID.fullmatch(staff_id) and isinstance(password, str)
                and 0 < len(password) <= 256):
            return None
        now = self.clock()
        with self._lock:
            failures, locked_until = self._failures.get(staff_id, (0, 0.0))
            if now < locked_until:
                return None
            row = self._db.execute("SELECT hall, salt, hash FROM staff WHERE staff_id = ?", (staff_id,)).fetchone()
        salt = row[1] if row else b"\0" * 16
        ok = hmac.compare_digest(_hash(password, salt), row[2] if row else b"")  # same work either way
        with self._lock:
            if not ok:
                failures += 1
                self._failures[staff_id] = (failures, now + LOCKOUT_SECONDS if failures >= MAX_FAILED_SIGN_INS
                                            else 0.0)
                return None
            self._failures.pop(staff_id, None)
            token = secrets.token_urlsafe(32)
            self._sessions[token] = (staff_id, row[0], now + SESSION_SECONDS)
            return token

    def session(self, token: str | None) -> tuple[str, str] | None:
        """(staff_id, hall) of a live session token."""
        if not token or not TOKEN.fullmatch(token):
            return None
        with self._lock:
            found = self._sessions.get(token)
            if found is None or found[2] < self.clock():
                self._sessions.pop(token, None)
                return None
            return found[0], found[1]

    def sign_out(self, token: str | None) -> None:
        with self._lock:
            self._sessions.pop(token or "", None)

    # ---------------------------------------------------------------- the dashboard's view

    def snapshot(self, hall: str, summary: dict[str, Any] | None = None) -> dict[str, Any]:
        """Everything the dashboard shows for one hall, display-safe (no personal data)."""
        now = self.clock()
        with self._lock:
            kiosks = [k for k in self._kiosks.values() if k.hall == hall]
            rows = self._db.execute(
                "SELECT call_id, kiosk_id, place, kind, reason, screen, assisted, state, staff_id, repeats,"
                " created_at, acknowledged_at FROM staff_calls WHERE hall = ? AND (state = 'open' OR"
                " (state = 'acknowledged' AND acknowledged_at > ?)) ORDER BY created_at", (hall, now - 600)).fetchall()
            version = self.version
        calls = [{"call_id": c, "kiosk_id": k, "place": p, "kind": kind, "reason": r, "screen": s,
                  "assisted": bool(a), "state": st, "staff_id": sid, "repeats": rep,
                  "waiting_s": round((ack or now) - created)}
                 for c, k, p, kind, r, s, a, st, sid, rep, created, ack in rows]
        return {
            "hall": hall, "version": version, "now": now,
            "kiosks": [{"kiosk_id": k.kiosk_id, "place": k.place, "up": self.is_up(k),
                        "in_session": k.in_session and self.is_up(k), "screen": k.screen, "paper": k.paper,
                        "queue_depth": k.queue_depth, "version": k.version, "devices": k.devices,
                        "last_heartbeat_s": round(now - k.last_heartbeat) if k.last_heartbeat else None,
                        "last_seen_s": round(now - k.last_seen) if k.last_seen else None}
                       for k in sorted(kiosks, key=lambda k: k.kiosk_id)],
            "calls": calls, "summary": summary or {},
        }


def staff_add_main(argv: list[str]) -> int:
    """`kiosk-platform staff-add`: one staff member's own dashboard credential (password from stdin)."""
    import argparse
    import getpass
    import sys

    parser = argparse.ArgumentParser(prog="kiosk-platform staff-add",
                                     description="Create or replace a hall staff member's dashboard sign-in")
    parser.add_argument("--db", required=True, help="the platform's SQLite file (kiosk-platform --db)")
    parser.add_argument("--staff-id", required=True)
    parser.add_argument("--hall", required=True, help="the hall whose kiosks this staff member sees")
    args = parser.parse_args(argv)
    password = (getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline()).rstrip("\n")
    hall = Hall(args.db)
    try:
        hall.add_staff(args.staff_id, args.hall, password)
    except ValueError as exc:
        print(f"kiosk-platform: {exc}", file=sys.stderr)
        return 2
    finally:
        hall.close()
    print(f"staff {args.staff_id} can sign in to {args.hall}'s dashboard at /hall")
    return 0

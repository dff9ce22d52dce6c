"""The outbox as the kiosk uses it: opened safely, quarantined when corrupt, with offline limits.

``ManagedOutbox`` opens the SQLite outbox; a file SQLite cannot read or whose integrity
check fails is renamed aside (``outbox.db.corrupt-<time>``) and a fresh one is started,
with the quarantine recorded so the heartbeat alerts technicians and the kiosk takes no
offline work until they acknowledge it (``kiosk queue ack``). When no outbox can be opened
at all, writes fail with OutboxWriteError and the kiosk serves online-only.
"""

from __future__ import annotations

import datetime as _dt
import logging
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.disk_space import MB, SpaceGuard, SpacePolicy
from sync.outbox import OutboxWriteError, SqliteOutbox

log = logging.getLogger("kiosk.sync.store")

CORRUPT_ERRORS = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})


@dataclass(frozen=True)
class OfflineLimits:
    """Like Square's offline mode: past these the kiosk takes no more offline work."""

    max_items: int = 500
    max_age_seconds: float = 72 * 3600.0
    min_free_bytes: int = 50 * MB  # below this free space on the state folder's disk: no offline work
    reserve_bytes: int = 16 * MB  # kept aside, given up when the disk is full anyway


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    name = getattr(exc, "sqlite_errorname", "")
    return name in CORRUPT_ERRORS or name.startswith("SQLITE_CORRUPT") or "malformed" in str(exc)


def quarantine(path: Path) -> Path:
    """Rename a database (and its -wal/-shm) aside; returns the new name of the main file."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        src = path.with_name(path.name + suffix)
        if src.exists():
            os.replace(src, target.with_name(target.name + suffix))
    return target


def _open_checked(path: Path, **kwargs: Any) -> SqliteOutbox:
    box = SqliteOutbox(path, **kwargs)
    try:
        with box._lock:
            result = box._db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError:
        box.close()
        raise
    if result != "ok":
        box.close()
        raise sqlite3.DatabaseError("database disk image is malformed (quick_check)")
    return box


def _age_seconds(created_at: str | None, now: float) -> float:
    if not created_at:
        return 0.0
    try:
        return max(0.0, now - _dt.datetime.fromisoformat(created_at).timestamp())
    except ValueError:
        return 0.0


class ManagedOutbox:
    """An outbox that survives a corrupt file; delegates everything else to SqliteOutbox."""

    def __init__(self, path: str | os.PathLike[str], *, limits: OfflineLimits | None = None,
                 clock: Any = time.time, **kwargs: Any) -> None:
        self.path = Path(path)
        self.limits = limits or OfflineLimits()
        self.clock = clock
        self._kwargs = dict(kwargs, clock=clock)
        self._lock = threading.Lock()
        self._box: SqliteOutbox | None = None
        self._inode = -1
        self.space = SpaceGuard(self.path.parent, SpacePolicy(self.limits.min_free_bytes, self.limits.reserve_bytes))
        self._disk_full = False
        self._open()
        if not self.space.low():
            self.space.ensure_reserve()

    def _open(self) -> None:
        quarantined = None
        for _ in range(2):
            try:
                self._box = _open_checked(self.path, **self._kwargs)
                break
            except sqlite3.DatabaseError as exc:
                if not _is_corrupt(exc) or quarantined is not None:
                    log.error("outbox cannot be opened", extra={"event": "outbox_unavailable",
                                                                 "error": getattr(exc, "sqlite_errorname", "")})
                    self._box = None
                    return
                quarantined = quarantine(self.path)
                log.error("outbox corrupt: quarantined", extra={"event": "outbox_quarantined",
                                                                "file": quarantined.name})
            except OSError as exc:
                log.error("outbox cannot be opened", extra={"event": "outbox_unavailable",
                                                             "error": type(exc).__name__})
                self._box = None
                return
        if quarantined is not None and self._box is not None:
            alerts = self._box.get_meta("quarantined", [])
            self._box.set_meta("quarantined", alerts + [quarantined.name])
        self._inode = self._stat_inode()
        if self._box is not None and (quarantined is not None or self._kwargs.get("recover", True)):
            self.salvage()

    def salvage(self, *, again: bool = False) -> Any:
        """Recover the readable rows of quarantined files into this outbox (sync.salvage); safe to
        repeat: rows keep their idempotency keys. Runs by itself after a quarantine and when the
        sync engine opens the outbox. Returns the SalvageReport (None without an outbox)."""
        from sync.salvage import quarantined_files, recover_all

        box = self._box
        if box is None or not quarantined_files(self.path):
            return None
        try:
            return recover_all(self.path, box, again=again)
        except (sqlite3.Error, OutboxWriteError, OSError) as exc:
            log.error("salvage failed", extra={"event": "salvage_error", "error": type(exc).__name__})
            return None

    def _stat_inode(self) -> int:
        try:
            return self.path.stat().st_ino
        except OSError:
            return -1

    @property
    def available(self) -> bool:
        return self._box is not None

    def refresh(self) -> None:
        """Re-open when another process quarantined or replaced the file, or after a failed open;
        take the disk space reserve again once there is room for it."""
        if not self.space.low():
            self.space.ensure_reserve()
            if self._disk_full:
                self._disk_full = False
                log.info("disk space is back", extra={"event": "disk_space_back"})
        with self._lock:
            if self._box is not None and self._stat_inode() == self._inode:
                return
            if self._box is not None:
                self._box.close()
            self._open()

    def _require(self) -> SqliteOutbox:
        box = self._box
        if box is None:
            raise OutboxWriteError("outbox_unavailable")
        return box

    def enqueue(self, kind: str, payload: dict[str, Any]) -> str:
        box = self._require()
        try:
            try:
                return box.enqueue(kind, payload)
            except OutboxWriteError as exc:
                if exc.reason != "outbox_full" or not self.space.has_reserve():
                    raise
                self.disk_full()
                return box.enqueue(kind, payload)  # with the reserve's room
        except sqlite3.DatabaseError as exc:  # corruption noticed while running
            log.error("outbox write failed", extra={"event": "outbox_error",
                                                    "error": getattr(exc, "sqlite_errorname", "")})
            raise OutboxWriteError("outbox_io") from None

    def counts(self) -> dict[str, int]:
        return self._require().counts()

    def disk_full(self) -> None:
        """A write met a full disk: give up the reserve, shrink the WAL, report it until space is back."""
        if not self._disk_full:
            log.error("disk full", extra={"event": "disk_full"})
        self._disk_full = True
        self.space.release_reserve()
        box = self._box
        if box is not None:
            try:
                box.checkpoint()
            except sqlite3.Error:
                pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._require(), name)

    # ------------------------------------------------------------------ health and limits

    def health(self, now: float | None = None) -> dict[str, Any]:
        """Queue depth, oldest age, dead count, quarantines and the limits reached (heartbeat payload)."""
        now = self.clock() if now is None else now
        box = self._box
        if box is None:
            return {"queue_depth": 0, "oldest_age_s": 0, "dead": 0, "quarantined": [],
                    "limits_reached": ["outbox_unavailable"]}
        depth, oldest = box.backlog()
        age = _age_seconds(oldest, now)
        quarantined = box.get_meta("quarantined", [])
        reached = []
        if depth >= self.limits.max_items:
            reached.append("max_items")
        if depth and age >= self.limits.max_age_seconds:
            reached.append("max_age")
        if quarantined:
            reached.append("quarantined")
        free = self.space.free_bytes()
        if self._disk_full:
            reached.append("disk_full")
        elif free is not None and free < self.limits.min_free_bytes:
            reached.append("disk_low")
        status = box.get_meta("sync_status", {}) or {}
        return {"queue_depth": depth, "oldest_age_s": round(age), "dead": box.counts()["dead"],
                "quarantined": quarantined, "limits_reached": reached, "online": status.get("online"),
                "disk_free_mb": None if free is None else round(free / MB, 1)}

    def offline_refusal(self) -> str:
        """Why the kiosk cannot take offline work now (a message key), or "" when it can."""
        try:
            reached = self.health()["limits_reached"]
        except sqlite3.Error:
            return "offline_unavailable"
        if "max_items" in reached:
            return "offline_limit_items"
        if "max_age" in reached:
            return "offline_limit_age"
        if "disk_full" in reached or "disk_low" in reached:
            return "offline_limit_disk"
        return "offline_unavailable" if reached else ""

    def alert(self, **extra: Any) -> None:
        """Queue a heartbeat now (technicians see the limits reached), unless one is waiting."""
        box = self._box
        if box is None:
            return
        try:
            if not box.has_waiting("heartbeat"):
                at = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
                box.enqueue("heartbeat", {**self.health(), "at": at, **extra})
        except (OutboxWriteError, sqlite3.Error):
            log.error("heartbeat could not be queued", extra={"event": "heartbeat_error"})

    def sync_status(self, *, stale_after: float = 75.0) -> bool | None:
        """The sync engine's last word on the platform: True/False (False when stale), None when unknown.

        The engine probes at least every 20 s while idle (SyncPolicy.probe_interval), so a word
        older than stale_after means no engine is looking: the platform is not promised then.
        """
        state = self.sync_state()
        if state is None:
            return None
        online, at = state
        if self.clock() - at > stale_after:
            return False
        return online

    def sync_state(self) -> tuple[bool, float] | None:
        """(online, when the engine last found out), or None when no engine has written it."""
        box = self._box
        if box is None:
            return None
        status = box.get_meta("sync_status", None)
        if not isinstance(status, dict):
            return None
        try:
            return bool(status.get("online")), float(status.get("at", 0))
        except (TypeError, ValueError):
            return None

    def acknowledge(self) -> list[str]:
        """A technician has seen the quarantine alerts: clear them; returns what was cleared."""
        box = self._require()
        cleared = box.get_meta("quarantined", [])
        box.set_meta("quarantined", [])
        return cleared

    def close(self) -> None:
        with self._lock:
            if self._box is not None:
                self._box.close()
                self._box = None

"""Grants a killed UI left open on the platform: noted while open, revoked at the next start.

A citizen's grant (kiosk/grant_keeper.py) lives in the UI process's memory and is revoked when the
session ends. A process killed in a session (the watchdog's SIGABRT/SIGKILL, a crash, a power cut)
never revokes it, and the platform would honour it until it expires (10 minutes idle, 30 at most).
So the keeper notes each open grant here, and the next process, once its first frame is painted,
revokes what the previous one left (``revoke_leftovers``, on a worker lane):

- directly, as a signed ``grant_revoke`` transaction (the platform revokes a grant of this kiosk by
  its public id; refplatform/api_grants.py);
- when the platform cannot be reached, through the outbox: the sync engine delivers the same
  transaction once it is back. The outbox keeps it across restarts; the platform revokes once (a
  resent or repeated transaction finds the grant already revoked and changes nothing).

A revocation at a normal session end that finds the platform away goes the same way (``queue``).

What is on disk, ``open-grants.json`` in the state directory (0600, the UI's user only): the public
grant ids, ``{"open": ["g-..."]}``, nothing else. Not the token: a grant token is a bearer
credential for the citizen's certificates (with this kiosk's signature), and it never leaves the
process's memory. A grant id is what ratings already carry in clear (sync/fields.py): it names no
person and opens nothing; the platform accepts a revocation by id only from the kiosk that opened
the grant. So the file needs no encryption, only to be small and private.

A garbled or cut-off file (writes are atomic, so only a damaged disk makes one) is read as far as
it holds whole grant ids, rewritten clean, and never stops the start. Qt-free, standard library
only (the UI imports it only after its first frame).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("kiosk.grants")

LEDGER_FILE = "open-grants.json"
KIND = "grant_revoke"  # the outbox transaction (sync/fields.py keeps grant_id and reason in clear)
GRANT_ID = re.compile(r"g-[0-9a-f]{8,64}")  # the platform's public grant ids
QUOTED_ID = re.compile(r'"(g-[0-9a-f]{8,64})"')
MAX_OPEN = 32  # sessions are sequential: a handful at most; more is garbage
MAX_BYTES = 64 * 1024


def valid_ids(raw: object) -> list[str]:
    """The grant ids in a parsed ledger, in order, without duplicates; anything else is dropped."""
    items = raw.get("open") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        return []
    seen: list[str] = []
    for item in items:
        if isinstance(item, str) and GRANT_ID.fullmatch(item) and item not in seen:
            seen.append(item)
    return seen[-MAX_OPEN:]


@dataclass(frozen=True)
class RevokeReport:
    """What the start-up revocation did with the previous process's grants."""

    revoked: int = 0  # the platform took the revocation now
    queued: int = 0  # the platform was away: in the outbox for the sync engine
    refused: int = 0  # the platform said it is not this kiosk's grant (nothing more to do)
    kept: int = 0  # neither reached the platform nor the outbox (a full disk): tried at the next start

    @property
    def any(self) -> bool:
        return bool(self.revoked or self.queued or self.refused or self.kept)


class GrantLedger:
    """The open grants' ids in one small file; thread-safe (the network lanes open and close grants)."""

    def __init__(self, state_dir: Path, outbox: Any = None, kiosk_id: str = "") -> None:
        self.path = Path(state_dir) / LEDGER_FILE
        self.outbox = outbox  # kiosk.interfaces.Outbox, for revocations the platform could not take now
        self.kiosk_id = kiosk_id
        self._mine: set[str] = set()  # opened by this process: never a leftover
        self._lock = threading.Lock()
        self.damaged = False  # the file was unreadable or held garbage when last read

    # ------------------------------------------------------------ the file

    def _read(self) -> list[str]:
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_BYTES + 1)
        except FileNotFoundError:
            self.damaged = False
            return []
        except OSError:
            self.damaged = True
            return []
        try:
            parsed = json.loads(data.decode("utf-8")) if len(data) <= MAX_BYTES else None
        except (UnicodeDecodeError, ValueError):
            parsed = None
        if parsed is None:  # not JSON (a damaged disk; writes are atomic): salvage every whole quoted id
            text = data[:MAX_BYTES].decode("utf-8", "replace")
            ids = valid_ids({"open": QUOTED_ID.findall(text)})
            self.damaged = True
            return ids
        ids = valid_ids(parsed)
        self.damaged = not isinstance(parsed, dict) or ids != parsed.get("open")
        return ids

    def _write(self, ids: list[str]) -> None:
        """Atomically (a temporary name, fsync, rename), owner-only; the file goes when nothing is open."""
        if not ids:
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            return
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"open": ids[-MAX_OPEN:]}, out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _change(self, add: str = "", remove: str = "") -> None:
        with self._lock:
            if add:
                self._mine.add(add)
            self._mine.discard(remove)
            ids = [i for i in self._read() if i != remove]
            if add and add not in ids:
                ids.append(add)
            try:
                self._write(ids)
            except OSError as exc:  # a full disk: the grant still works; killed, it would only expire
                log.warning("open grant not noted", extra={"event": "grant_ledger_error",
                                                           "error": type(exc).__name__})

    # ------------------------------------------------------------ the keeper's side

    def opened(self, grant_id: str) -> None:
        """A grant of this process is open (noted before the journey may use it)."""
        if GRANT_ID.fullmatch(grant_id):
            self._change(add=grant_id)

    def closed(self, grant_id: str) -> None:
        """The grant is revoked (or handed to the outbox, or gone): nothing left to do at a restart."""
        self._change(remove=grant_id)

    def leftovers(self) -> list[str]:
        """Grants noted by an earlier process and not closed (none of this process's own). A damaged
        file (garbage, cut off) is rewritten with the ids it still held: nothing readable is lost."""
        with self._lock:
            ids = self._read()
            if self.damaged:
                log.warning("open-grants file damaged: kept the ids it still held",
                            extra={"event": "grant_ledger_damaged", "kept": len(ids)})
                try:
                    self._write(ids)
                except OSError:
                    pass  # read again, and tidied, at the next start
            return [i for i in ids if i not in self._mine]

    def queue(self, grant_id: str, reason: str) -> bool:
        """Hand the revocation to the outbox (the sync engine delivers it); False when it could not."""
        if self.outbox is None:
            return False
        payload = {"grant_id": grant_id, "reason": reason, "kiosk_id": self.kiosk_id,
                   "at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
        try:
            self.outbox.enqueue(KIND, payload)
        except Exception as exc:  # OutboxWriteError (a full disk) or an outbox that cannot open
            log.warning("grant revocation not queued", extra={"event": "grant_revoke_error",
                                                              "error": type(exc).__name__})
            return False
        self.closed(grant_id)
        return True


def revoke_leftovers(ledger: GrantLedger, platform: Any, *, reason: str = "killed_session") -> RevokeReport:
    """Revoke every grant an earlier process left open: now through the signed client, or queued in
    the outbox when the platform cannot be reached. Blocks (network): run it on a worker lane."""
    from kiosk.interfaces import PlatformError

    revoked = queued = refused = kept = 0
    for grant_id in ledger.leftovers():
        payload = {"grant_id": grant_id, "reason": reason, "kiosk_id": ledger.kiosk_id,
                   "at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")}
        try:
            platform.submit(_new_key(), KIND, payload)
        except PlatformError as exc:
            if not refused_for_good(exc):  # away, or a refusal that says nothing about the grant
                if ledger.queue(grant_id, reason):
                    queued += 1
                else:
                    kept += 1
                continue
            refused += 1  # not this kiosk's grant, or a bad id: nothing to revoke
            log.warning("grant revocation refused", extra={"event": "grant_revoke_refused",
                                                           "kind": exc.kind.value})
            ledger.closed(grant_id)
            continue
        except Exception as exc:  # a client bug: keep it for the outbox rather than lose it
            log.error("grant revocation crashed", extra={"event": "grant_revoke_error",
                                                         "error": type(exc).__name__})
            if ledger.queue(grant_id, reason):
                queued += 1
            else:
                kept += 1
            continue
        revoked += 1
        ledger.closed(grant_id)
    report = RevokeReport(revoked, queued, refused, kept)
    if report.any:
        log.warning("grants of a killed session revoked", extra={
            "event": "grant_leftovers", "revoked": revoked, "queued": queued, "refused": refused, "kept": kept})
    return report


def refused_for_good(exc: Any) -> bool:
    """The platform's answer says this revocation can never succeed: not this kiosk's grant (403
    not-authorised) or a malformed one (400/422). Anything else (offline, a 5xx, a signature the
    platform did not take, an enrolment being renewed) is worth sending again from the outbox."""
    from kiosk.interfaces import PlatformErrorKind

    return exc.kind is PlatformErrorKind.NOT_AUTHORISED or (
        exc.kind is PlatformErrorKind.REFUSED and str(exc.detail).startswith(("http_400", "http_422")))


def _new_key() -> str:
    """An idempotency key for a direct revocation (the outbox makes its own for a queued one)."""
    import secrets

    return "revoke-" + secrets.token_hex(16)

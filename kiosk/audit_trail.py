"""Who did what at the kiosk: audit events written to the chained log and shipped to the platform.

``AuditTrail.record`` runs on the disk lane. What the disk refuses is kept in memory and
written first next time; the caller takes the terminal out of service meanwhile, so no
entry is lost silently. ``JourneyAuditor`` turns the journey's effects into audit events
with a pseudonymous session id; nothing personal goes in (no names, ID numbers, PINs).
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from kiosk.audit_log import AuditLog, AuditWriteError
from kiosk.interfaces import Outbox

log = logging.getLogger("kiosk.audit")

AUDIT_KIND = "audit"  # outbox kind: kept whole and sealed at rest (see sync/fields.py)


def pseudonym(prefix: str) -> str:
    """A random id that links entries of one session or person without saying who."""
    return f"{prefix}-{os.urandom(6).hex()}"


class AuditTrail:
    """Writes events durably, ships them through the outbox, remembers what could not be written."""

    def __init__(self, audit_log: AuditLog, outbox: Outbox | None = None, *, kiosk_id: str = "",
                 ship: bool = True) -> None:
        self.log = audit_log
        self.outbox = outbox
        self.kiosk_id = kiosk_id
        self.ship = ship
        self._unwritten: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        self.failed = False

    @property
    def unwritten(self) -> int:
        return len(self._unwritten)

    def record(self, event: str, **fields: Any) -> bool:
        """Write the event (after any held back); False while the disk refuses."""
        with self._lock:
            self._unwritten.append((event, fields))
            while self._unwritten:
                name, values = self._unwritten[0]
                try:
                    entry = self.log.append(name, **values)
                except AuditWriteError as exc:
                    if exc.written:
                        self._unwritten.pop(0)
                    if not self.failed:
                        log.error("audit write failed", extra={"event": "audit_error", "errno": exc.errno,
                                                               "held": len(self._unwritten)})
                    self.failed = True
                    return False
                self._unwritten.pop(0)
                self._ship(entry)
            if self.failed:
                log.warning("audit writes work again", extra={"event": "audit_recovered"})
            self.failed = False
            return True

    def _ship(self, entry: dict[str, Any]) -> None:
        if not self.ship or self.outbox is None:
            return
        try:
            self.outbox.enqueue(AUDIT_KIND, dict(entry, kiosk_id=self.kiosk_id))
        except Exception as exc:  # the file is the record; the platform copy can be re-sent from a bundle
            log.error("audit entry not queued", extra={"event": "audit_ship_error", "error": type(exc).__name__})


class JourneyAuditor:
    """Maps journey effects to audit events (session start and end, identity method, prints, help)."""

    def __init__(self) -> None:
        self._ticket = -1
        self.session_id = ""

    def events(self, effect: object, journey: Any) -> list[tuple[str, dict[str, Any]]]:
        from kiosk.journey import QueueApplication, Record, SessionEnded  # the journey imports the core only
        from kiosk.journey_fallback import SendToApp, TakeCounterTicket

        out: list[tuple[str, dict[str, Any]]] = []
        session = journey.session
        if session is not None and session.ticket != self._ticket:
            self._ticket = session.ticket
            self.session_id = pseudonym("s")
            out.append(("session_start", {"session": self.session_id}))
        if isinstance(effect, Record):
            p = effect.payload
            if effect.kind == "identity_check":
                fields = {"session": self.session_id, "method": p.get("method"), "verified": p.get("verified")}
                if p.get("staff_id"):
                    fields["staff"] = p["staff_id"]
                out.append(("identity_check", fields))
            elif effect.kind == "print":
                out.append(("print", {"session": self.session_id, "ok": p.get("ok"), "reason": p.get("reason", "")}))
            elif effect.kind == "help_request":
                out.append(("help_request", {"session": self.session_id, "reason": p.get("reason")}))
        elif isinstance(effect, QueueApplication):
            out.append(("offline_application", {"session": self.session_id, "service": effect.service_id}))
        elif isinstance(effect, SendToApp):  # a certificate leaves for a wallet: on the record, without content
            out.append(("send_to_app", {"session": self.session_id}))
        elif isinstance(effect, TakeCounterTicket):
            out.append(("counter_ticket", {"session": self.session_id, "reason": effect.reason}))
        elif isinstance(effect, SessionEnded) and self.session_id:
            out.append(("session_end", {"session": self.session_id, "reason": effect.reason}))
            self.session_id = ""
        return out

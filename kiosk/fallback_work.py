"""The blocking side of kiosk/journey_fallback.py: a counter ticket and the e-certificate sent to the app.

Called by KioskServices on a worker; each returns a completion for the journey. Nothing personal in
logs or in the counter ticket's record (the service, why, the number).
"""

from __future__ import annotations

import datetime as _dt
import itertools
import logging
from collections.abc import Callable
from typing import Any

from kiosk import i18n
from kiosk.interfaces import PlatformError, PrinterState, Receipt, ReceiptPrinter
from kiosk.journey import Journey
from kiosk.journey_fallback import SendToApp, TakeCounterTicket

log = logging.getLogger("kiosk.fallback")

TICKET_LINES = ("请到人工窗口办理，把本号码交给工作人员。",
                "工作人员可凭号码查到本机的转办记录。")


class CounterNumbers:
    """Counter numbers of this terminal: K and three digits, in turn from a random start (a restart
    does not hand out yesterday's numbers again in the same order)."""

    def __init__(self) -> None:
        self._next: itertools.count[int] | None = None  # started at the first number

    def take(self) -> str:
        if self._next is None:
            import secrets

            self._next = itertools.count(secrets.randbelow(900) + 100)
        return f"K{next(self._next) % 1000:03d}"


def counter_ticket(effect: TakeCounterTicket, *, numbers: CounterNumbers, receipts: ReceiptPrinter | None,
                   record: Callable[[str, dict[str, Any]], None], kiosk_id: str) -> Callable[[Journey], None]:
    """Take a number, record the referral (the hall sees it), print it if the receipt printer can."""
    number = numbers.take()
    record("counter_ticket", {"ticket_number": number, "service_id": effect.service_id, "reason": effect.reason,
                              "certificate_type": effect.certificate_type,
                              "at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")})
    printed = False
    try:
        if receipts is not None and receipts.state() is PrinterState.READY:
            receipt = Receipt(kind="queue_ticket", tracking_code=number, ticket_number=number,
                              service=i18n.text(effect.service_id, "zh-CN"), kiosk_id=kiosk_id,
                              issued_at=_dt.datetime.now().astimezone(), lines=TICKET_LINES)
            printed = receipts.print_receipt(receipt).ok
    except Exception as exc:  # the number is on screen anyway
        log.error("counter ticket not printed", extra={"event": "receipt_error", "error": type(exc).__name__})
    log.info("counter ticket", extra={"event": "counter_ticket", "printed": printed, "reason": effect.reason})
    return lambda j: j.counter_ticket_taken(effect.ticket, number, printed)


def send_to_app(effect: SendToApp, *, platform: Any, grant: Any,
                seen: Callable[[BaseException | None], None]) -> Callable[[Journey], None]:
    """Ask the platform to send the certificate to its holder's app (证照夹), with the session's grant."""
    try:
        platform.send_to_app(effect.certificate, grant=grant)
    except PlatformError as exc:
        seen(exc)
        log.warning("send to app failed", extra={"event": "platform_error", "kind": exc.kind.value})
        key = exc.message_key
        return lambda j: j.sent_to_app(effect.ticket, key)
    except Exception as exc:
        log.error("send to app crashed", extra={"event": "platform_error", "error": type(exc).__name__})
        return lambda j: j.sent_to_app(effect.ticket, "platform_bad_data")
    seen(None)
    log.info("sent to app", extra={"event": "sent_to_app"})
    return lambda j: j.sent_to_app(effect.ticket)

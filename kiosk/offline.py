"""Offline work: an application queued in the outbox, and its receipt with a tracking code.

Called by KioskServices on a worker. The application's personal fields are sealed by the
outbox (sync.envelope); the receipt carries masked identity only (kiosk.interfaces.Receipt).
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from typing import Any

from kiosk import i18n
from kiosk.idnumbers import mod37_36_check_char
from kiosk.interfaces import Outbox, PrinterState, PrintResult, Receipt, ReceiptPrinter
from kiosk.journey import Journey, PrintReceipt, QueueApplication

log = logging.getLogger("kiosk.offline")

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by staff
# What happens next, as it happens (refplatform/api_wallet.py fulfils an application): no promise the
# platform does not keep. Each line fits 24 Chinese characters (80 mm paper).
RECEIPT_LINES = ("本机联网后自动提交本申请。",
                 "平台受理后，电子证照将发送到",
                 "持证人的政务App证照夹。",
                 "如需纸质件，请持身份证到自助终端",
                 "或人工窗口打印。",
                 "凭受理编号可到人工窗口或拨打12345查询。")


def application_lines(certificate_type: str, purpose: str) -> tuple[str, ...]:
    """The receipt's lines: what was asked for, then what happens next."""
    asked = []
    if certificate_type:
        asked.append(f"申请证照：{i18n.text(certificate_type, 'zh-CN')}"[:24])
    if purpose:
        asked.append(f"用途：{i18n.text(purpose, 'zh-CN')}"[:24])
    return (*asked, *RECEIPT_LINES)


def new_tracking_code() -> str:
    """Ten random characters (50 bits) and an ISO 7064 MOD 37,36 check character: 7KQ2M-XH4PA9."""
    import secrets  # hmac and OpenSSL stay off the start-up path

    body = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))
    return f"{body[:5]}-{body[5:]}{mod37_36_check_char(body)}"


def is_tracking_code(value: str) -> bool:
    body = value.replace("-", "").upper()
    return (len(body) == 11 and all(c in TRACKING_ALPHABET for c in body[:10])
            and mod37_36_check_char(body[:10]) == body[10])


def queue_application(outbox: Outbox, effect: QueueApplication, kiosk_id: str) -> Callable[[Journey], None]:
    """Store the application unless the offline limits say no; the journey learns the code or why not."""
    refusal = getattr(outbox, "offline_refusal", lambda: "")()
    code = ""
    if refusal:
        getattr(outbox, "alert", lambda **kw: None)(kiosk_id=kiosk_id)  # technicians see it in the heartbeat
    else:
        code = new_tracking_code()
        payload: dict[str, Any] = {
            "service_id": effect.service_id, "holder_type": effect.holder_type.value,
            "holder_code": effect.holder_code, "holder_name": effect.holder_name, "tracking_code": code,
            "verified_by": effect.verified_by, "queued_offline": True, "kiosk_id": kiosk_id,
            # what the platform fulfils later: the certificate (its name) and the copy's purpose, in Chinese
            "certificate_type": i18n.text(effect.certificate_type, "zh-CN") if effect.certificate_type else "",
            "purpose": i18n.text(effect.purpose, "zh-CN") if effect.purpose else "",
            "at": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        }
        try:
            outbox.enqueue("application", payload)
        except Exception as exc:  # disk full, I/O error, no outbox: nothing stored, say so plainly
            refusal, code = getattr(exc, "reason", "outbox_io"), ""
            log.error("application not stored", extra={"event": "offline_refused", "reason": refusal})
    log.info("offline application", extra={"event": "offline_application", "stored": bool(code),
                                            "reason": refusal})
    return lambda j: j.application_queued(effect.ticket, code, refusal)


def print_receipt(printer: ReceiptPrinter | None, effect: PrintReceipt, kiosk_id: str) -> Callable[[Journey], None]:
    """Print the receipt; a missing or failing printer is reported, never raised."""
    receipt = Receipt(kind=effect.kind, tracking_code=effect.tracking_code,
                      service=i18n.text(effect.service_id, "zh-CN"), kiosk_id=kiosk_id,
                      issued_at=_dt.datetime.now().astimezone(), holder_name_masked=effect.holder_name_masked,
                      holder_code_masked=effect.holder_code_masked,
                      lines=application_lines(effect.certificate_type, effect.purpose))
    try:
        if printer is None:
            result = PrintResult(ok=False, job_id="", reason="printer_offline")
        elif (state := printer.state()) is not PrinterState.READY:
            result = PrintResult(ok=False, job_id="", reason=f"printer_{state.value}")
        else:
            result = printer.print_receipt(receipt)
    except Exception as exc:
        log.error("receipt printer failed", extra={"event": "receipt_error", "error": type(exc).__name__})
        result = PrintResult(ok=False, job_id="", reason="printer_error")
    log.info("receipt", extra={"event": "receipt", "ok": result.ok, "reason": result.reason})
    return lambda j: j.receipt_finished(effect.ticket, result)

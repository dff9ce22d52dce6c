"""Use-case services: carry out the journey's effects with the configured drivers.

``execute`` blocks (device, network, disk and print work), so runners call it
on a worker thread; it returns a completion to apply to the journey on the UI
thread. Failures become typed outcomes with message keys, never exceptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kiosk import i18n, offline
from kiosk.interfaces import (
    FaceOutcome,
    FaceVerifier,
    Outbox,
    PlatformClient,
    PlatformError,
    Printer,
    PrinterState,
    PrintResult,
    ReceiptPrinter,
)
from kiosk.journey import (
    CallStaff,
    Effect,
    Journey,
    LoadCertificates,
    PrintCertificate,
    PrintReceipt,
    QueueApplication,
    Record,
    VerifyFace,
)

log = logging.getLogger("kiosk.services")

Completion = Callable[[Journey], None]


def _nothing(journey: Journey) -> None:
    return None


@dataclass
class KioskServices:
    """The drivers one terminal works with, chosen by config."""

    face: FaceVerifier
    platform: PlatformClient
    outbox: Outbox
    printer: Printer
    kiosk_id: str
    face_prompt: Callable[[str], None] = lambda key: None
    receipts: ReceiptPrinter | None = None

    def execute(self, effect: Effect) -> Completion:
        """Do the blocking work an effect asks for; return what to tell the journey."""
        if isinstance(effect, VerifyFace):
            return self._verify_face(effect)
        if isinstance(effect, LoadCertificates):
            return self._load(effect)
        if isinstance(effect, PrintCertificate):
            return self._print(effect)
        if isinstance(effect, QueueApplication):
            return offline.queue_application(self.outbox, effect, self.kiosk_id)
        if isinstance(effect, PrintReceipt):
            return offline.print_receipt(self.receipts, effect, self.kiosk_id)
        if isinstance(effect, Record):
            self.record(effect.kind, effect.payload)
        elif isinstance(effect, CallStaff):
            log.warning("staff called", extra={"event": "staff_called", "reason": effect.reason,
                                               "screen": effect.screen})
        return _nothing

    def record(self, kind: str, payload: dict) -> None:
        try:
            self.outbox.enqueue(kind, dict(payload, kiosk_id=self.kiosk_id))
        except Exception as exc:  # the citizen's journey goes on; technicians see the log
            log.error("outbox write failed", extra={"event": "outbox_error", "error": type(exc).__name__})

    def _verify_face(self, effect: VerifyFace) -> Completion:
        try:
            outcome = self.face.verify(effect.document, prompt=self.face_prompt)
        except Exception as exc:
            log.error("face verifier failed", extra={"event": "face_error", "error": type(exc).__name__})
            outcome = FaceOutcome(verified=False, liveness_passed=False, reason="face_camera_missing")
        log.info("face check", extra={"event": "face_check", "verified": outcome.verified})
        return lambda j: j.face_finished(effect.ticket, outcome)

    def _load(self, effect: LoadCertificates) -> Completion:
        try:
            certs = self.platform.search_certificates(effect.holder_code, effect.holder_type)
        except PlatformError as exc:
            log.warning("certificate search failed", extra={"event": "platform_error", "kind": exc.kind.value})
            key = exc.message_key
            return lambda j: j.certificates_finished(effect.ticket, None, key)
        except Exception as exc:
            log.error("certificate search crashed", extra={"event": "platform_error", "error": type(exc).__name__})
            return lambda j: j.certificates_finished(effect.ticket, None, "platform_bad_data")
        log.info("certificates found", extra={"event": "certificates", "count": len(certs)})
        return lambda j: j.certificates_finished(effect.ticket, certs)

    def _print(self, effect: PrintCertificate) -> Completion:
        try:
            state = self.printer.state()
            if state is not PrinterState.READY:
                result = PrintResult(ok=False, job_id="", reason=f"printer_{state.value}")
            else:
                # The copy states its purpose in Chinese, whatever the display language.
                result = self.printer.print_certificate(
                    effect.certificate, purpose=i18n.text(effect.purpose, "zh-CN"), kiosk_id=self.kiosk_id)
        except Exception as exc:
            log.error("printer failed", extra={"event": "print_error", "error": type(exc).__name__})
            result = PrintResult(ok=False, job_id="", reason="printer_error")
        log.info("print finished", extra={"event": "print", "ok": result.ok, "reason": result.reason})
        return lambda j: j.print_finished(effect.ticket, result)

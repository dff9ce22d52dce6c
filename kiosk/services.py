"""Use-case services: carry out the journey's effects with the configured drivers.

``execute`` blocks (device, network, disk and print work), so runners call it
on a worker thread; it returns a completion to apply to the journey on the UI
thread. Failures become typed outcomes with message keys, never exceptions.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk import fallback_work, i18n, offline
from kiosk.audit_trail import AuditTrail
from kiosk.grant_keeper import GrantKeeper
from kiosk.interfaces import (
    Certificate,
    FaceOutcome,
    FaceVerifier,
    Outbox,
    PlatformClient,
    PlatformError,
    PlatformErrorKind,
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
from kiosk.journey_fallback import SendToApp, TakeCounterTicket
from kiosk.journey_grants import OpenGrant
from kiosk.journey_staff import StaffSignIn
from kiosk.staff import SignInResult, StaffDirectory
from kiosk.staff_call import CancelStaffCall, PlaceStaffCall, PollStaffCall
from kiosk.staff_card import StaffCardAnswer

log = logging.getLogger("kiosk.services")

Completion = Callable[[Journey], None]


def verify_address(public_url: str, code: str) -> str:
    """What a copy's QR code holds: the platform's public verification page for code."""
    return f"{public_url.rstrip('/')}/v1/verify/{code}"


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
    print_progress: Callable[[int, str], None] = lambda ticket, key: None  # (ticket, message key)
    copy_valid_days: int = 30  # how long a printed copy's verification code stays valid
    public_url: str = ""  # platform.public_url: the verification address printed on copies; "" prints none
    metrics: Any = None  # sync.metrics.KioskMetrics when the Prometheus exporter is on
    hall: str = "demo-hall"  # where this kiosk stands: the hall dashboard shows it to that hall's staff
    place: str = ""
    now: Callable[[], _dt.datetime] = _dt.datetime.now
    # (answered, time.time()) after each platform request: the header shows the last result
    platform_seen: Callable[[bool, float], None] = lambda answered, at: None

    def _seen(self, exc: BaseException | None = None) -> None:
        """Tell the header what this request learnt: any answer means reachable."""
        unreachable = isinstance(exc, PlatformError) and exc.kind in (PlatformErrorKind.OFFLINE,
                                                                     PlatformErrorKind.TIMEOUT)
        self.platform_seen(not unreachable, time.time())
    staff: StaffDirectory | None = None  # who may sign in at the kiosk
    audit: AuditTrail | None = None  # the chained audit trail (kiosk/audit_log.py)
    grants: GrantKeeper = None  # type: ignore[assignment]  # each session's citizen grant, by ticket

    def __post_init__(self) -> None:
        if self.grants is None:
            self.grants = GrantKeeper(self.platform)
        self.counter_numbers = fallback_work.CounterNumbers()

    def execute(self, effect: Effect) -> Completion:
        """Do the blocking work an effect asks for; return what to tell the journey."""
        if isinstance(effect, VerifyFace):
            return self._verify_face(effect)
        if isinstance(effect, LoadCertificates):
            return self._load(effect)
        if isinstance(effect, OpenGrant):
            return self._open_grant(effect)
        if isinstance(effect, PrintCertificate):
            return self._print(effect)
        if isinstance(effect, QueueApplication):
            return offline.queue_application(self.outbox, effect, self.kiosk_id)
        if isinstance(effect, PrintReceipt):
            return offline.print_receipt(self.receipts, effect, self.kiosk_id)
        if isinstance(effect, TakeCounterTicket):
            return fallback_work.counter_ticket(effect, numbers=self.counter_numbers, receipts=self.receipts,
                                                record=self.record, kiosk_id=self.kiosk_id)
        if isinstance(effect, SendToApp):
            return fallback_work.send_to_app(effect, platform=self.platform, grant=self.grants.grant(effect.ticket),
                                             seen=self._seen)
        if isinstance(effect, PlaceStaffCall | CancelStaffCall | PollStaffCall):
            return self._staff_call(effect)
        if isinstance(effect, StaffSignIn):
            result = self.sign_in(effect.number, effect.pin, effect.action)
            return lambda j: j.staff_check_finished(effect.ticket, result)
        if isinstance(effect, Record):
            self.record(effect.kind, effect.payload)
        elif isinstance(effect, CallStaff):
            log.warning("staff called", extra={"event": "staff_called", "reason": effect.reason,
                                               "screen": effect.screen})
        return _nothing

    def _staff_call(self, effect: PlaceStaffCall | CancelStaffCall | PollStaffCall) -> Completion:
        """Reach the platform at once; when it cannot be reached, a new call goes into the outbox."""
        call_id = effect.call_id
        try:
            if isinstance(effect, PlaceStaffCall):
                body = {"kind": effect.kind, "reason": effect.reason, "screen": effect.screen,
                        "assisted": effect.assisted, "hall": self.hall, "place": self.place}
                answer = self.platform.staff_call(call_id, body=body)
                if effect.repeat:
                    answer = self.platform.staff_call(call_id, "repeat")
            else:
                answer = self.platform.staff_call(call_id, "cancel" if isinstance(effect, CancelStaffCall) else "")
        except PlatformError as exc:
            self._seen(exc)
            if isinstance(effect, PlaceStaffCall) and not effect.repeat:
                self.record("staff_call", {"call_id": call_id, "kind": effect.kind, "reason": effect.reason,
                                           "screen": effect.screen, "assisted": effect.assisted, "hall": self.hall,
                                           "place": self.place})
                return lambda j: j.calls.delivered(call_id, "queued")
            return _nothing
        except Exception as exc:  # a client bug: the call stays open, the poll tries again
            log.error("staff call failed", extra={"event": "staff_call_error", "error": type(exc).__name__})
            return _nothing
        self._seen()
        state = "waiting" if answer["state"] == "open" else answer["state"]
        staff_id = str(answer.get("staff_id", ""))[:32]
        return lambda j: j.calls.delivered(call_id, state, staff_id)

    def audit_event(self, event: str, **fields: object) -> bool:
        """Write one audit entry (disk lane); False while the disk refuses (go out of service)."""
        return self.audit.record(event, **fields) if self.audit is not None else True

    def sign_in(self, number: str, pin: str, action: str) -> SignInResult:
        """Check a staff member's number and PIN for an action (slow hash: call on a worker); audited."""
        try:
            result = (self.staff.sign_in(number, pin, action) if self.staff is not None
                      else SignInResult(False, "staff_list_missing"))
        except OSError as exc:
            log.error("staff sign-in failed", extra={"event": "staff_error", "error": type(exc).__name__})
            result = SignInResult(False, "staff_list_missing")
        staff = result.staff_id or "unknown"
        self.audit_event("staff_sign_in", staff=staff, action=action, result="ok" if result.ok else result.reason)
        if result.locked_now:
            self.audit_event("staff_lockout", staff=staff, seconds=result.wait_seconds)
        log.info("staff sign-in", extra={"event": "staff_sign_in", "action": action, "ok": result.ok,
                                         "reason": result.reason})
        return result

    def check_staff_card(self, answer: StaffCardAnswer | None, action: str, reason: str = "") -> SignInResult:
        """Check a staff card's signed answer for an action (a card that could not be read: reason); audited.

        A card only proves possession: the staff member still gives their PIN (sign_in) before acting.
        """
        if answer is None:
            result = SignInResult(False, reason or "staff_card_unreadable")
        else:
            try:
                result = (self.staff.check_card(answer, action) if self.staff is not None
                          else SignInResult(False, "staff_list_missing"))
            except OSError as exc:
                log.error("staff card check failed", extra={"event": "staff_error", "error": type(exc).__name__})
                result = SignInResult(False, "staff_list_missing")
        self.audit_event("staff_card", staff=result.staff_id or "unknown", action=action,
                         result="ok" if result.ok else result.reason)
        log.info("staff card", extra={"event": "staff_card", "action": action, "ok": result.ok,
                                      "reason": result.reason})
        return result

    def record(self, kind: str, payload: dict) -> None:
        if self.metrics is not None:
            self.metrics.record(kind, payload)
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

    def _open_grant(self, effect: OpenGrant) -> Completion:
        try:
            info = self.grants.open(effect)
        except PlatformError as exc:
            log.warning("grant refused", extra={"event": "platform_error", "kind": exc.kind.value})
            key = exc.message_key
            return lambda j: j.grant_finished(effect.ticket, None, key)
        except Exception as exc:
            log.error("grant request crashed", extra={"event": "platform_error", "error": type(exc).__name__})
            return _nothing
        log.info("grant opened", extra={"event": "grant", "businesses": len(info.businesses),
                                        "delegations": len(info.delegations)})
        return lambda j: j.grant_finished(effect.ticket, info)

    def download(self, cert: Certificate, ticket: int) -> bytes:
        """A certificate's file for the preview, with the session's grant (network lane; raises)."""
        return self.platform.download(cert, grant=self.grants.grant(ticket))

    def end_session(self, ticket: int) -> None:
        """The session ended: revoke its grant (network lane)."""
        self.grants.end(ticket)

    def _load(self, effect: LoadCertificates) -> Completion:
        try:
            grant = self.grants.grant(effect.ticket)
            own = grant is not None and self.grants.is_holder(effect.ticket, effect.holder_code)
            certs = self.platform.search_certificates("" if own else effect.holder_code, effect.holder_type,
                                                      grant=grant, delegation_id=effect.delegation_id)
        except PlatformError as exc:
            self._seen(exc)
            log.warning("certificate search failed", extra={"event": "platform_error", "kind": exc.kind.value})
            key = exc.message_key
            return lambda j: j.certificates_finished(effect.ticket, None, key)
        except Exception as exc:
            log.error("certificate search crashed", extra={"event": "platform_error", "error": type(exc).__name__})
            return lambda j: j.certificates_finished(effect.ticket, None, "platform_bad_data")
        self._seen()
        log.info("certificates found", extra={"event": "certificates", "count": len(certs)})
        return lambda j: j.certificates_finished(effect.ticket, certs)

    def _print(self, effect: PrintCertificate) -> Completion:
        result = self.print_copy(effect)
        log.info("print finished", extra={"event": "print", "ok": result.ok, "reason": result.reason,
                                          "stage": result.stage})
        return lambda j: j.print_finished(effect.ticket, result)

    def print_copy(self, effect: PrintCertificate) -> PrintResult:
        """Check the printer, fetch the stamped copy, compose it and print it; never raises."""
        from printing.copy_compose import CopyMarks, CopyRefused, compose_copy  # keeps the core import light

        def progress(key: str) -> None:
            self.print_progress(effect.ticket, key)

        def failed(reason: str, stage: str) -> PrintResult:
            return PrintResult(ok=False, job_id="", reason=reason, stage=stage)

        if not self.public_url:
            return failed("print_no_public_url", "precheck")  # a copy nobody could verify is not printed
        try:
            state = self.printer.state()
        except Exception as exc:
            log.error("printer state failed", extra={"event": "print_error", "error": type(exc).__name__})
            return failed("printer_error", "precheck")
        if state not in (PrinterState.READY, PrinterState.BUSY):
            return failed(f"printer_{state.value}", "precheck")
        # The copy states its purpose in Chinese, whatever the display language.
        purpose = i18n.text(effect.purpose, "zh-CN")
        progress("print_stage_fetching")
        try:
            copy = self.platform.stamped_copy(effect.certificate, purpose, self.copy_valid_days,
                                              grant=self.grants.grant(effect.ticket))
        except PlatformError as exc:
            self._seen(exc)
            log.warning("stamped copy failed", extra={"event": "platform_error", "kind": exc.kind.value})
            unverified = exc.kind is PlatformErrorKind.BAD_SIGNATURE
            return failed("print_file_unverified" if unverified else exc.message_key, "fetch")
        except Exception as exc:
            log.error("stamped copy crashed", extra={"event": "platform_error", "error": type(exc).__name__})
            return failed("platform_bad_data", "fetch")
        self._seen()
        if copy.cert_id != effect.certificate.cert_id:
            return failed("platform_bad_data", "fetch")
        progress("print_stage_composing")
        try:
            pdf = compose_copy(copy.pdf, CopyMarks(purpose=purpose, kiosk_id=self.kiosk_id, printed_at=self.now(),
                                                   verify_code=copy.verify_code,
                                                   verify_url=verify_address(self.public_url, copy.verify_code),
                                                   expires=copy.expires))
        except CopyRefused as exc:
            log.warning("copy refused", extra={"event": "print_refused", "detail": exc.detail})
            return failed(exc.key, "compose")
        except Exception as exc:
            log.error("copy composition crashed", extra={"event": "print_error", "error": type(exc).__name__})
            return failed("print_bad_file", "compose")
        progress("print_stage_sending")
        try:
            result = self.printer.print_pdf(pdf, progress=progress)
        except Exception as exc:
            log.error("printer failed", extra={"event": "print_error", "error": type(exc).__name__})
            return failed("printer_error", "print")
        return result if result.stage else dataclasses.replace(result, stage="print")

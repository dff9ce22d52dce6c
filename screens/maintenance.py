"""MaintenanceViewModel: maintenance mode seen from QML (`maint`).

The pages and the staff session live in kiosk/maintenance.py, the checks in kiosk/doctor.py
(the same as `kiosk doctor`). Every blocking step runs on a worker lane; every action is
written to the audit trail with the technician's pseudonymous id. Nothing personal is shown:
a test card is reported by its type and checks only.
"""

from __future__ import annotations

import datetime as _dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Property, QCoreApplication, QObject, QTimer, Signal, Slot

from kiosk import i18n
from kiosk.crash_loop import REASON as CRASH_LOOP
from kiosk.crash_loop import RESTART_EXIT_CODE
from kiosk.crash_loop import clear as clear_crash_loop
from kiosk.i18n import Said, localise
from kiosk.interfaces import ReaderEvent, ReaderEventKind, Receipt
from kiosk.maintenance import Maintenance

if TYPE_CHECKING:  # kiosk.doctor is imported when maintenance first needs its checks, not at start-up
    from kiosk.doctor import Check, Parts

log = logging.getLogger("kiosk.maintenance")
TEST_CARD_SECONDS = 20
CAMERA_PREVIEW_SECONDS = 4.0  # the camera self-test's live picture, then face detection on its last frame
LANES = {"reader": "device", "camera": "camera", "printer": "printer", "receipt": "printer", "platform": "network"}


class MaintenanceViewModel(QObject):
    """Slots for the maintenance screens; ``state`` is what they show."""

    changed = Signal()

    def __init__(self, vm: Any, config: Any, *, parts: Parts | Callable[[], Parts],
                 camera_test: Callable[..., tuple[bool, str, str]], restart: Callable[[], None] | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        super().__init__()
        self.vm = vm
        self.config = config
        self._parts = parts  # or a function that makes them, at first use
        self.camera_test = camera_test
        self.restart = restart or (lambda: QCoreApplication.exit(RESTART_EXIT_CODE))
        kwargs = {"clock": clock} if clock else {}
        self.model = Maintenance(idle_seconds=config["staff.idle_seconds"],
                                 max_seconds=config["staff.max_session_seconds"], **kwargs)
        self.checks: dict[str, Check] = {}
        self._sign_in: dict[str, Any] = {}
        self._result: str | tuple[str, str] = ""
        self._busy = ""
        self._card_deadline = 0.0
        self._card_number = ""  # the staff card in the reader, checked: its holder gives only the PIN
        self._card_opened = False  # the staff card opened maintenance: pulling it before the PIN closes it
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)

    @property
    def parts(self) -> Parts:
        if callable(self._parts):
            self._parts = self._parts()
        return self._parts

    # ---------------------------------------------------------------- helpers

    def _staff(self) -> str:
        return self.model.session.staff_id if self.model.session else ""

    def _audit(self, action: str, result: str = "ok") -> None:
        self.vm.audit("maintenance", staff=self._staff() or "unknown", action=action, result=result)

    def _emit(self) -> None:
        self.changed.emit()

    def _run(self, lane: str, work: Callable[[], Any], done: Callable[[Any], None], busy: str) -> None:
        self._busy = busy
        self._result = ""
        self._emit()
        session = self.model.session

        def finish(value: Any) -> None:
            if self.model.session is not session:  # signed out meanwhile (card pulled, idle): nothing shows
                if session is not None:
                    self.vm.audit("maintenance", staff=session.staff_id, action=busy, result="finished_after_sign_out")
                return
            self._busy = ""
            done(value)
            self._emit()
        self.vm.tasks.run(lane, work, finish)

    def _tick(self) -> None:
        if self._card_deadline and self.model.now() > self._card_deadline:
            self._finish_card(Said("maint_said_no_card"), False)
        reason = self.model.tick()
        if reason:
            self._leave(reason)

    def _leave(self, reason: str) -> None:
        session = self.model.end()
        if session is not None:
            self.vm.audit("staff_sign_out", staff=session.staff_id, reason=reason)
        self._timer.stop()
        self._card_deadline = 0.0
        self._busy = ""
        self.vm.camera_feed.clear()  # a camera self-test's live picture never outlives the staff session
        self._card_number, self._card_opened = "", False
        self._sign_in = {}
        self.vm.reader_probe = None
        self.checks.clear()
        self._result = ""
        self.vm.journey.leave_maintenance()
        self._emit()

    def shutdown(self) -> None:
        self._timer.stop()
        self.vm.reader_probe = None

    # ---------------------------------------------------------------- QML side

    def _state(self) -> dict[str, Any]:
        from kiosk.doctor import PARTS

        journey = self.vm.journey
        return {
            "page": self.model.page,
            "staffId": self._staff(),
            "checks": [self.checks[p].as_dict(journey.language) for p in PARTS if p in self.checks],
            "enrolment": self.checks["enrolment"].as_dict(journey.language) if "enrolment" in self.checks else {},
            "busy": self._busy,
            "result": self._shown_result(journey.language),
            "outOfService": bool({"out_of_service_technician", CRASH_LOOP} & journey.out_of_service),
            "cardSession": bool(self.model.session and self.model.session.card),
            "cardNumber": self._card_number,
            **self._sign_in,
        }

    state = Property("QVariantMap", _state, notify=changed)

    @Slot()
    def enter(self) -> None:
        """The hidden gesture was made: show the staff sign-in (only between citizens)."""
        if self.vm.journey.enter_maintenance():
            self.model.begin()
            self._sign_in = {}
            self._timer.start()
            self.vm.audit("maintenance_opened")
            self._emit()

    @Slot(str, str)
    def signIn(self, number: str, pin: str) -> None:
        if self.model.page != "sign_in" or self._sign_in.get("signInError") == "staff_checking":
            return
        self.model.touch()
        if not number or not pin:
            self._sign_in = {"signInError": "staff_sign_in_incomplete"}
            self._emit()
            return
        self._sign_in = {"signInError": "staff_checking"}
        self._emit()
        card = bool(self._card_number) and number == self._card_number
        self.vm.tasks.run("disk", lambda: self.vm.services.sign_in(number, pin, "maintenance"),
                          lambda result: self._signed_in(result, card))

    def _signed_in(self, result: Any, card: bool = False) -> None:
        if self.model.page != "sign_in" or (card and not self._card_number):  # the card left meanwhile
            return
        if not result.ok:
            self._sign_in = {"signInError": result.reason, "waitSeconds": result.wait_seconds,
                             "triesLeft": result.tries_left}
            self._emit()
            return
        self._sign_in = {}
        self.model.signed_in(result.staff_id, result.roles, card=card)
        if card:
            self.vm.audit("staff_card_session", staff=result.staff_id, action="maintenance")
        self._emit()
        self.refresh()

    # ---------------------------------------------------------------- staff card (screens/staff_desk.py)

    def card_checked(self, result: Any, number: str) -> None:
        """A staff card was checked (kiosk.staff.check_card): open the sign-in with its number, or say why not."""
        if not self.model.active:
            self.enter()
            if not self.model.active:
                return
            self._card_opened = True
        if self.model.session is not None:
            return  # already signed in (by number and PIN): the card changes nothing
        self._card_number = number if result.ok else ""
        self._sign_in = {} if result.ok else {"signInError": result.reason}
        self.model.touch()
        self._emit()

    def card_removed(self) -> None:
        """The staff card left the reader: a session it opened ends at once, mid-action too."""
        if not self.model.active:
            return
        session = self.model.session
        if (session is not None and session.card) or (session is None and self._card_opened):
            self._leave("card_pulled")
            return
        if session is None and self._card_number:
            self._card_number = ""
            self._sign_in = {}
            self._emit()

    @Slot(str)
    def show(self, page: str) -> None:
        if self.model.show(page):
            self._result = ""
            self._emit()

    @Slot()
    def touch(self) -> None:
        self.model.touch()

    @Slot()
    def signOut(self) -> None:
        self._leave("signed_out")

    @Slot()
    def refresh(self) -> None:
        """Run every check (the same as `kiosk doctor`) on a worker."""
        if self.model.session is None:
            return
        refused = frozenset(self.vm.journey.out_of_service)
        self._run("device", lambda: self._all_checks(refused), self._checked, "checks")

    def _all_checks(self, refused: frozenset[str]) -> list[Check]:
        """kiosk doctor's checks and the enrolment (worker thread)."""
        from kiosk.doctor import check_enrolment, run_checks
        from sync.enrolment import device_key_state

        return run_checks(self.parts) + [check_enrolment(self.config, device_key_state(self.config), refused)]

    def _checked(self, checks: list[Check]) -> None:
        self.checks = {c.part: c for c in checks}
        problems = [c.part for c in checks if not c.ok]
        self._audit("checks", "ok" if not problems else "problems: " + ",".join(problems))

    @Slot(str)
    def selfTest(self, part: str) -> None:
        from kiosk.doctor import PARTS, run_checks

        if self.model.session is None or part not in PARTS or self._busy:
            return
        self.model.touch()
        if part == "reader":
            self._wait_for_card()
            return
        if part == "speech":
            if self.vm.speaker is not None:
                self.vm.speaker.say(i18n.text("maint_speaker_test", self.vm.journey.language), self.vm.journey.language)
            self._set(part, True, Said("maint_said_speaker"), "self_test")
            return
        if part == "camera":  # a live picture while the camera is read; face detection on the last frame
            self.vm.camera_feed.start()
        work: dict[str, Callable[[], Any]] = {
            "camera": lambda: self.camera_test(CAMERA_PREVIEW_SECONDS),
            "printer": self._print_test_page,
            "receipt": self._print_test_receipt,
        }
        if part in work:
            self._run(LANES.get(part, "device"), work[part],
                      lambda r, p=part: self._self_tested(p, r), part)
        else:
            self._run(LANES.get(part, "device"), lambda: run_checks(self.parts, (part,))[0],
                      lambda c: self._set(c.part, c.ok, c.summary, "self_test", c.fix), part)

    def _self_tested(self, part: str, outcome: tuple[bool, str, str]) -> None:
        if part == "camera":
            self.vm.camera_feed.clear()  # the preview's frames go (memory only, never saved)
        self._set(part, outcome[0], outcome[1], "self_test", outcome[2])

    @property
    def result(self) -> str:
        """The last action's result in English (the screen shows it in the kiosk's language)."""
        summary, fix = self._result if isinstance(self._result, tuple) else (self._result, "")
        return str(summary) + (f" — fix: {fix}" if fix else "")

    def _shown_result(self, language: str) -> str:
        summary, fix = self._result if isinstance(self._result, tuple) else (self._result, "")
        shown = localise(summary, language)
        return shown + ("  " + i18n.fmt("maint_fix", language, localise(fix, language)) if fix else "")

    def _set(self, part: str, ok: bool, summary: str, action: str, fix: str = "") -> None:
        from kiosk.doctor import Check

        self.checks[part] = Check(part, ok, summary, fix)
        self._result = (summary, fix)
        self._audit(f"{action}:{part}", "ok" if ok else "failed")
        self._emit()

    def _print_test_page(self) -> tuple[bool, str, str]:
        from printing.service_pages import test_page

        result = self.vm.services.printer.print_pdf(test_page(self.vm.services.kiosk_id))
        if result.ok:
            return True, Said("maint_said_test_page"), ""
        return False, Said("maint_said_test_page_failed", result.reason), Said("maint_said_fix_printer")

    def _print_test_receipt(self) -> tuple[bool, str, str]:
        receipts = self.vm.services.receipts
        if receipts is None:
            return True, Said("maint_said_no_receipt"), ""
        result = receipts.print_receipt(Receipt(kind="test", tracking_code="TEST", service="测试凭条 test receipt",
                                                kiosk_id=self.vm.services.kiosk_id,
                                                issued_at=_dt.datetime.now(_dt.UTC),
                                                lines=("Receipt printer self-test",)))
        if result.ok:
            return True, Said("maint_said_receipt"), ""
        return False, Said("maint_said_receipt_failed", result.reason), Said("maint_said_fix_receipt")

    def _wait_for_card(self) -> None:
        self._busy = "reader"
        self._result = ""
        self._card_deadline = self.model.now() + TEST_CARD_SECONDS
        self.vm.reader_probe = self._probe
        self._emit()

    def _probe(self, event: ReaderEvent) -> bool:
        """Reader events while maintenance shows: a test card is reported by type and checks only."""
        if not self._card_deadline:
            return True  # maintenance swallows card events; the journey never sees them
        if event.kind is ReaderEventKind.CARD_PRESENTED and event.document is not None:
            problems = event.document.problems()
            self._finish_card(Said("maint_said_test_card", event.document.doc_type.value,
                                   ", ".join(problems) if problems else "ok"), True)
        elif event.kind is ReaderEventKind.READ_FAILED:
            self._finish_card(Said("maint_said_card_failed", event.reason or "unknown"), False)
        return True

    def _finish_card(self, summary: str, ok: bool) -> None:
        self._card_deadline = 0.0
        self._busy = ""
        self._set("reader", ok, summary, "self_test", "" if ok else Said("maint_said_fix_reader"))

    @Slot()
    def retryDead(self) -> None:
        if self.model.session is None:
            return
        self._run("disk", lambda: self.vm.services.outbox.retry_dead(None), self._retried, "outbox")

    def _retried(self, count: int) -> None:
        self._result = Said("maint_said_retried", count)
        self._audit("retry_dead_letters", f"{count}")

    def _export_dir(self) -> Path:
        path = self.config.path("maintenance.export_dir")
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _stamp(self) -> str:
        return _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")

    @Slot()
    def exportBundle(self) -> None:
        """The encrypted support bundle (outbox, logs, audit trail) to the USB folder; passphrase shown once."""
        if self.model.session is None:
            return

        def work() -> tuple[str, str]:
            import secrets

            from kiosk.cli_queue import support_data, write_bundle

            passphrase = secrets.token_urlsafe(18)
            path = self._export_dir() / f"support-{self.vm.services.kiosk_id}-{self._stamp()}.kbundle"
            write_bundle(path, support_data(self.config, self.vm.services.outbox), passphrase)
            return path.name, passphrase
        self._run("disk", work, self._bundled, "bundle")

    def _bundled(self, saved: tuple[str, str]) -> None:
        name, passphrase = saved
        self._result = Said("maint_said_bundle", name, passphrase)
        self._audit("support_bundle", name)

    def _report(self, refused: frozenset[str], staff: str) -> tuple[list[Check], bytes]:
        from printing.service_pages import readiness_report

        checks = self._all_checks(refused)
        return checks, readiness_report(self.vm.services.kiosk_id, checks, staff_id=staff)

    @Slot()
    def readinessReport(self) -> None:
        """Run every check, then save the readiness report (PDF) to the USB folder."""
        if self.model.session is None:
            return

        refused, staff = frozenset(self.vm.journey.out_of_service), self._staff()

        def work() -> tuple[list[Check], str]:
            checks, pdf = self._report(refused, staff)
            path = self._export_dir() / f"readiness-{self.vm.services.kiosk_id}-{self._stamp()}.pdf"
            path.write_bytes(pdf)
            return checks, path.name
        self._run("device", work, self._reported, "report")

    def _reported(self, done: tuple[list[Check], str]) -> None:
        checks, name = done
        self.checks = {c.part: c for c in checks}
        ready = all(c.ok for c in checks)
        self._result = Said("maint_said_report_saved", name, "@maint_ready" if ready else "@maint_not_ready")
        self._audit("readiness_report", "ready" if ready else "not_ready")

    @Slot()
    def printReport(self) -> None:
        """Run every check, then print the readiness report on the document printer (the citizens' path)."""
        if self.model.session is None:
            return

        refused, staff = frozenset(self.vm.journey.out_of_service), self._staff()

        def work() -> tuple[list[Check], Any]:
            checks, pdf = self._report(refused, staff)
            return checks, self.vm.services.printer.print_pdf(pdf)
        self._run("printer", work, self._printed_report, "report")

    def _printed_report(self, done: tuple[list[Check], Any]) -> None:
        checks, result = done
        self.checks = {c.part: c for c in checks}
        ready = all(c.ok for c in checks)
        if result.ok:
            self._result = Said("maint_said_report_printed", "@maint_ready" if ready else "@maint_not_ready")
        else:
            self._result = Said("maint_said_report_not_printed", result.reason)
        self._audit("readiness_report_print", ("ready" if ready else "not_ready") if result.ok
                    else f"failed: {result.reason}")

    @Slot(bool)
    def setOutOfService(self, on: bool) -> None:
        if self.model.session is None:
            return
        self.model.touch()
        if not on and CRASH_LOOP in self.vm.journey.out_of_service:  # the technician clears a crash loop
            state_dir = self.config.path("kiosk.state_dir")
            self.vm.tasks.run("disk", lambda: clear_crash_loop(state_dir))
            self.vm.journey.set_out_of_service(CRASH_LOOP, False)
            self._audit("crash_loop_cleared")
        self.vm.journey.set_out_of_service("out_of_service_technician", on)
        self._audit("out_of_service" if on else "back_in_service")
        self._emit()

    @Slot()
    def restartApp(self) -> None:
        if self.model.session is None:
            return
        self._audit("restart_app")
        log.warning("restart requested in maintenance", extra={"event": "restart"})
        self._leave("restart")
        self.restart()

"""The citizen journey as a pure-Python state machine (no Qt, no I/O).

Screens call the action methods; the journey changes state and asks for work
through effects (plain dataclasses) that a runner executes on workers. Results
come back through the ``*_finished`` methods with the ticket of the session that
asked, so a late answer for an ended session is ignored.
"""

from __future__ import annotations

import datetime as _dt
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.identity import HolderCodeType, IdentityDocument
from kiosk.interfaces import Certificate, FaceOutcome, PrintResult
from kiosk.journey_fallback import FallbackSteps, SendToApp, TakeCounterTicket
from kiosk.journey_grants import GrantSteps, OpenGrant
from kiosk.journey_leaving import LeavingMixin
from kiosk.journey_readiness import ReadinessSteps
from kiosk.journey_staff import StaffSignIn, TerminalSteps
from kiosk.session import Session
from kiosk.staff_call import CallDesk


class Screen(enum.Enum):
    ATTRACT = "attract"
    INSERT_CARD = "insert_card"
    CARD_PROBLEM = "card_problem"
    ASSIST_OFFER = "assist_offer"
    FACE_CONSENT = "face_consent"
    FACE_CHECK = "face_check"
    FACE_FAILED = "face_failed"
    STAFF_CHECK = "staff_check"
    SERVICE_MENU = "service_menu"
    USCC_ENTRY = "uscc_entry"
    LOADING = "loading"
    CERT_LIST = "cert_list"
    PREVIEW = "preview"
    PURPOSE = "purpose"
    PRINTING = "printing"
    PRINT_FAILED = "print_failed"
    PRINT_DONE = "print_done"
    NOTICE = "notice"
    RATING = "rating"
    DONE = "done"
    QUEUEING = "queueing"  # saving an offline application
    QUEUED = "queued"  # the application waits in the outbox; receipt with tracking code
    TAKE_CARD = "take_card"  # the session has ended but the ID card still lies on the reader
    CARD_PULLED = "card_pulled"  # the card was taken while a copy printed: what became of the print
    OUT_OF_SERVICE = "out_of_service"  # no citizens taken (reason: Journey.out_of_service_reason())
    MAINTENANCE = "maintenance"  # a technician's pages (screens/maintenance); citizens cannot start
    START_AGAIN = "start_again"  # the platform ended the session's grant: wiped, please start again
    WHO_FOR = "who_for"  # 为谁办理: oneself or someone who delegated to this person
    BUSINESS_CHOICE = "business_choice"  # the businesses the person may act for, chosen instead of typed
    QUEUE_CHOICE = "queue_choice"  # an application without the platform: which certificate, what for
    COUNTER_TICKET = "counter_ticket"  # go to a staffed counter: the number (on a receipt or on screen)
    SENDING_TO_APP = "sending_to_app"  # the platform is asked to send the e-certificate to the holder's app
    SENT_TO_APP = "sent_to_app"


# Screens where the kiosk, not the citizen, is working: no inactivity warning there.
BUSY_SCREENS = frozenset({Screen.ATTRACT, Screen.FACE_CHECK, Screen.LOADING, Screen.PRINTING, Screen.DONE,
                          Screen.QUEUEING, Screen.TAKE_CARD, Screen.CARD_PULLED, Screen.OUT_OF_SERVICE,
                          Screen.MAINTENANCE, Screen.SENDING_TO_APP})
# Platform failures after which the citizen may leave an application to be sent later.
OFFLINE_MESSAGES = frozenset({"platform_offline", "platform_timeout", "platform_server_error",
                              "platform_rate_limited"})
PURPOSES = ("purpose_school", "purpose_loan", "purpose_other")
# "其他" names no use, so it restricts nothing: the citizen picks the matter (each says 办理……) instead.
MATTERS = ("matter_household", "matter_social_security", "matter_housing_fund")
SERVICES = ("personal_certs", "business_certs")
RATING_LEVELS = (5, 4, 3, 2, 1)  # 非常满意 .. 非常不满意 (GB/T 39046)
RATING_GROUPS = {"good": (5, 4), "neutral": (3,), "bad": (2, 1)}
MAX_FACE_FAILURES = 3
# Face outcomes another try cannot fix: only the staff check is offered after them.
FACE_FINAL_REASONS = frozenset({"face_photo_unavailable", "face_camera_missing"})
MAX_PRINT_RETRIES = 1


# ------------------------------------------------------------------ effects


@dataclass(frozen=True)
class VerifyFace:
    ticket: int
    document: IdentityDocument


@dataclass(frozen=True)
class LoadCertificates:
    ticket: int
    holder_code: str  # "" with a delegation_id: the delegator's certificates
    holder_type: HolderCodeType
    delegation_id: str = ""

    def __repr__(self) -> str:
        return f"LoadCertificates(ticket={self.ticket}, type={self.holder_type.value})"


@dataclass(frozen=True)
class PrintCertificate:
    ticket: int
    certificate: Certificate
    purpose: str


@dataclass(frozen=True)
class Record:
    """A transaction for the outbox. Payloads hold no names, ID numbers or content."""

    kind: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class CallStaff:
    reason: str
    screen: str


@dataclass(frozen=True)
class Speak:
    key: str
    alert: bool = False  # sounded and spoken in every mode (the card left behind), not only in assisted mode


@dataclass(frozen=True)
class SessionEnded:
    reason: str
    ticket: int = -1  # of the session that ended (its grant is revoked)


@dataclass(frozen=True, repr=False)
class QueueApplication:
    """Store an application in the outbox to be sent when the platform is back (offline work)."""

    ticket: int
    service_id: str
    holder_code: str
    holder_type: HolderCodeType
    holder_name: str
    verified_by: str
    certificate_type: str = ""  # what was asked for: a certificate name or a kiosk.journey_fallback.CERT_TYPES key
    purpose: str = ""  # a purpose or matter key (the copy's restriction)

    def __repr__(self) -> str:
        return f"QueueApplication(ticket={self.ticket}, service={self.service_id})"


@dataclass(frozen=True)
class PrintReceipt:
    """Print a receipt (kiosk.interfaces.Receipt) for the session; identity already masked."""

    ticket: int
    kind: str  # Receipt.kind
    tracking_code: str
    service_id: str
    holder_name_masked: str = ""
    holder_code_masked: str = ""
    certificate_type: str = ""  # what an application asked for (a name or a CERT_TYPES key)
    purpose: str = ""  # a purpose or matter key


Effect = (VerifyFace | LoadCertificates | PrintCertificate | Record | CallStaff | Speak | SessionEnded
          | QueueApplication | PrintReceipt | StaffSignIn | OpenGrant | TakeCounterTicket | SendToApp)


@dataclass(frozen=True)
class Timing:
    idle_seconds: float = 60
    warning_seconds: float = 20
    done_seconds: float = 15
    elderly_age: int = 65
    face_enabled: bool = True
    default_language: str = "zh-CN"
    staff_answer_seconds: float = 60.0  # no acknowledgement by then: say so and offer what else works
    stuck_seconds: float = 120.0  # the kiosk working on one screen this long calls staff by itself
    take_card_reminder_seconds: float = 8  # the take-your-card prompt sounds again this often
    take_card_staff_seconds: float = 30  # staff are called if a card lies this long after its session
    readiness_seconds: float = 15  # printer and platform checked this often on the attract and service screens


class Journey(LeavingMixin, TerminalSteps, GrantSteps, ReadinessSteps, FallbackSteps):
    """State machine of one terminal. Not thread-safe: call it from one thread.

    Staff check, out of service and maintenance steps: kiosk/journey_staff.py; the end of a session
    (card taken back, abandoned print): kiosk/journey_leaving.py; grants: kiosk/journey_grants.py."""

    def __init__(
        self,
        *,
        timing: Timing | None = None,
        on_effect: Callable[[Effect], None] = lambda e: None,
        on_change: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], _dt.date] = _dt.date.today,
    ) -> None:
        self.timing = timing or Timing()
        self._emit = on_effect
        self._changed = on_change
        self._clock = clock
        self._today = today
        self.screen = Screen.ATTRACT
        self.language = self.timing.default_language
        self.assisted = False
        self.session: Session | None = None
        self._tickets = 0
        self._last_activity = clock()
        self.warning_deadline: float | None = None
        self.calls = CallDesk(on_effect, on_change, clock, self.timing.staff_answer_seconds, self.timing.stuck_seconds)
        self._init_leaving()
        self.held = False  # a video call covers the screen: no inactivity warning (kiosk.video_help)
        self.out_of_service: set[str] = set()
        self._init_readiness()  # what cannot finish now (kiosk/journey_readiness.py)

    # ------------------------------------------------------------ helpers

    @property
    def ticket(self) -> int:
        return self.session.ticket if self.session else -1

    def _factor(self) -> float:
        return 2.0 if self.assisted else 1.0

    staff_called = property(lambda self: self.calls.active, doc="A staff call is open or answered.")

    def _go(self, screen: Screen) -> None:
        self.screen = screen
        self._touch()
        self._emit(Speak(screen.value))
        if screen is Screen.SERVICE_MENU:
            self._speak_readiness()
        self._changed()

    def _touch(self) -> None:
        self._last_activity = self._clock()
        self.warning_deadline = None

    def _record(self, kind: str, **payload: Any) -> None:
        payload.setdefault("at", _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
        self._emit(Record(kind, payload))

    def _in(self, *screens: Screen) -> bool:
        return self.screen in screens

    # ------------------------------------------------------------ display settings

    def set_language(self, language: str) -> None:
        if language in ("zh-CN", "zh-TW", "en") and language != self.language:
            self.language = language
            self._touch()
            self._emit(Speak(self.screen.value))
            self._changed()

    def set_assisted(self, on: bool) -> None:
        if on != self.assisted:
            self.assisted = on
            self._touch()
            self._emit(Speak(self.screen.value))
            self._changed()

    # ------------------------------------------------------------ activity and time

    def activity(self) -> None:
        """Any touch: the person is still there."""
        had_warning = self.warning_deadline is not None
        self._touch()
        if had_warning:
            self._changed()

    def tick(self) -> None:
        """Called about once a second by the runner."""
        now = self._clock()
        self.calls.tick(self.screen.value, self.screen in BUSY_SCREENS - {Screen.ATTRACT, Screen.DONE}, self.assisted)
        if self._tick_leaving(now):
            return
        if self.screen is Screen.DONE:
            if now - self._last_activity >= self.timing.done_seconds:
                self.end_session("done")
            return
        if self.screen in BUSY_SCREENS or self.held:
            self._last_activity = now
            return
        if self.warning_deadline is None:
            if now - self._last_activity >= self.timing.idle_seconds * self._factor():
                self.warning_deadline = now + self.timing.warning_seconds * self._factor()
                self._emit(Speak("timeout_warning"))
                self._changed()
        elif now >= self.warning_deadline:
            self.end_session("timeout")
        else:
            self._changed()  # countdown moves

    def hold(self, on: bool) -> None:
        """A video call starts (on) or ends: the inactivity clock stops, then starts afresh."""
        if on != self.held:
            self.held = on
            had_warning = self.warning_deadline is not None
            self._touch()
            if had_warning:
                self._changed()

    def expire_idle(self) -> None:
        """Act as if the idle time has just run out (screen tests and screenshots)."""
        self._last_activity = self._clock() - self.timing.idle_seconds * self._factor()
        self.tick()

    def warning_remaining(self) -> int | None:
        if self.warning_deadline is None:
            return None
        return max(0, round(self.warning_deadline - self._clock()))

    # ------------------------------------------------------------ card

    def start(self) -> None:
        if self._in(Screen.ATTRACT):
            self._go(Screen.INSERT_CARD)

    def card_presented(self, document: IdentityDocument) -> None:
        self.card_present = True
        if not self._in(Screen.ATTRACT, Screen.INSERT_CARD, Screen.CARD_PROBLEM):
            return  # a card is already in use: ignore a second one
        self._begin_session()
        problems = document.problems()
        if problems or document.is_expired(self._today()):
            self.session.message = problems[0] if problems else "card_expired"
            self._go(Screen.CARD_PROBLEM)
            return
        self.session.document = document
        if not self.assisted and document.age_on(self._today()) >= self.timing.elderly_age:
            self._go(Screen.ASSIST_OFFER)
        else:
            self._after_card()

    def card_failed(self, reason: str) -> None:
        if self._in(Screen.ATTRACT, Screen.INSERT_CARD, Screen.CARD_PROBLEM):
            self.card_present = True
            self._begin_session()
            self.session.message = reason or "card_unreadable"
            self._go(Screen.CARD_PROBLEM)

    def _begin_session(self) -> None:
        if self.session is None:
            self._tickets += 1
            self.session = Session(ticket=self._tickets)
        else:
            self.session.message = ""

    def accept_assist(self, yes: bool) -> None:
        if self._in(Screen.ASSIST_OFFER):
            self.assisted = self.assisted or yes
            self._after_card()

    def _after_card(self) -> None:
        if self.timing.face_enabled:
            self._go(Screen.FACE_CONSENT)
        else:
            self._verified("card")

    # ------------------------------------------------------------ identity check

    def face_consent(self, agree: bool) -> None:
        if not self._in(Screen.FACE_CONSENT, Screen.FACE_FAILED):
            return
        if agree and self.session.face_failures < MAX_FACE_FAILURES:
            self._go(Screen.FACE_CHECK)
            self._emit(VerifyFace(self.ticket, self.session.document))
        else:
            self._to_staff_check("manual_identity_check")

    def face_finished(self, ticket: int, outcome: FaceOutcome) -> None:
        if ticket != self.ticket or not self._in(Screen.FACE_CHECK):
            return
        self._record("identity_check", verified=outcome.verified, method="face",
                     liveness_passed=outcome.liveness_passed)
        if outcome.verified:
            self._verified("face", outcome.liveness_passed)
            return
        self.session.face_failures += 1
        if outcome.reason in FACE_FINAL_REASONS:
            self.session.face_failures = MAX_FACE_FAILURES
        self.session.message = outcome.reason or "face_no_match"
        self._go(Screen.FACE_FAILED)

    def _to_staff_check(self, reason: str) -> None:
        self.session.input_error = ""
        self._call_staff(reason)
        self._go(Screen.STAFF_CHECK)

    def _verified(self, method: str, liveness: bool = False) -> None:
        self.session.verified_by = method
        self._go(Screen.SERVICE_MENU)
        self._open_grant(method, liveness)

    # ------------------------------------------------------------ services

    def _load(self, holder_code: str, holder_type: HolderCodeType, delegation_id: str = "") -> None:
        self.session.holder_code = holder_code
        self._go(Screen.LOADING)
        self._emit(LoadCertificates(self.ticket, holder_code, holder_type, delegation_id))

    def certificates_finished(self, ticket: int, certificates: list[Certificate] | None, error: str = "") -> None:
        if ticket != self.ticket or not self._in(Screen.LOADING):
            return
        if certificates is None:
            if self.platform_ended(error):
                return
            self.session.message, self.session.failed = error or "platform_server_error", True
            self._go(Screen.NOTICE)
            return
        self.session.certificates = list(certificates)
        self.session.page = 0
        self._go(Screen.CERT_LIST)

    def page_size(self) -> int:
        return 2 if self.assisted else 6

    def turn_page(self, delta: int) -> None:
        if self._in(Screen.CERT_LIST):
            pages = max(1, -(-len(self.session.certificates) // self.page_size()))
            self.session.page = (self.session.page + delta) % pages
            self._touch()
            self._changed()

    def select_certificate(self, cert_id: str) -> None:
        if not self._in(Screen.CERT_LIST):
            return
        for cert in self.session.certificates:
            if cert.cert_id == cert_id:
                self.session.selected = cert
                self._go(Screen.PREVIEW)
                return

    def confirm_preview(self) -> None:
        if self._in(Screen.PREVIEW):
            self.session.asking_matter = False
            self._go(Screen.PURPOSE)

    def choose_purpose(self, purpose: str) -> None:
        """A purpose key; "purpose_other" first asks which matter (MATTERS), and only a matter is printed."""
        if not self._in(Screen.PURPOSE):
            return
        if purpose == "purpose_other" and not self.session.asking_matter:
            self.session.asking_matter = True
            self._touch()
            self._emit(Speak("purpose_matter"))
            self._changed()
            return
        allowed = MATTERS if self.session.asking_matter else PURPOSES[:-1]
        if purpose in allowed:
            self.session.purpose = purpose
            self.session.print_attempts = 0
            self._print()

    def _print(self) -> None:
        self.session.print_attempts += 1
        self.session.message = ""
        self.session.print_stage = ""
        self._go(Screen.PRINTING)
        self._emit(PrintCertificate(self.ticket, self.session.selected, self.session.purpose))

    def print_finished(self, ticket: int, result: PrintResult) -> None:
        if self._finish_pending_print(ticket, result):
            return
        if ticket != self.ticket or not self._in(Screen.PRINTING):
            return
        cert = self.session.selected
        self._record("print", ok=result.ok, certificate_type=cert.name, identifier=cert.identifier,
                     purpose=self.session.purpose, job_id=result.job_id, reason=result.reason,
                     stage=result.stage)
        if not result.ok and self.platform_ended(result.reason):
            return
        if result.ok:
            self.session.printed += 1
            self.session.outcomes.append("printed")
            self._go(Screen.PRINT_DONE)
        else:
            self.session.failed = True
            self.session.message = result.reason or "printer_error"
            self.session.print_stage = result.stage
            self._go(Screen.PRINT_FAILED)
            if self.session.message.startswith("printer_"):  # the device needs a person, not another try
                self.call_staff(self.session.message, kind="fault")

    def print_progress(self, ticket: int, stage: str) -> None:
        """What the print is doing now (a message key), shown on the printing screen."""
        if ticket == self.ticket and self._in(Screen.PRINTING) and stage:
            self.session.message = stage
            self._changed()

    def can_retry_print(self) -> bool:
        return self.session is not None and self.session.print_attempts <= MAX_PRINT_RETRIES

    def retry_print(self) -> None:
        if self._in(Screen.PRINT_FAILED) and self.can_retry_print():
            self._print()

    def print_another(self) -> None:
        if self._in(Screen.PRINT_DONE):
            self._go(Screen.CERT_LIST)

    # ------------------------------------------------------------ leaving

    def back(self) -> None:
        targets = {
            Screen.INSERT_CARD: Screen.ATTRACT,
            Screen.USCC_ENTRY: Screen.SERVICE_MENU,
            Screen.CERT_LIST: Screen.SERVICE_MENU,
            Screen.NOTICE: Screen.SERVICE_MENU,
            Screen.QUEUED: Screen.SERVICE_MENU,
            Screen.PREVIEW: Screen.CERT_LIST,
            Screen.PURPOSE: Screen.PREVIEW,
            Screen.WHO_FOR: Screen.SERVICE_MENU,
            Screen.BUSINESS_CHOICE: Screen.SERVICE_MENU,
            Screen.QUEUE_CHOICE: Screen.SERVICE_MENU,
            Screen.SENT_TO_APP: Screen.CERT_LIST,
            Screen.STAFF_CHECK: Screen.FACE_CONSENT,
        }
        if self._in(Screen.PURPOSE) and self.session.asking_matter:
            self.session.asking_matter = False  # from the list of matters back to the purposes
            self._touch()
            self._changed()
            return
        if self._in(Screen.RATING) and self.session.rating_group:
            self.session.rating_group = ""  # assisted rating, step 2: back to good / neutral / bad
            self._touch()
            self._changed()
            return
        if self._queue_back():
            return
        target = targets.get(self.screen)
        if target is Screen.ATTRACT:
            self.end_session("cancelled")
        elif target is not None:
            self._go(target)

    def call_staff(self, reason: str = "citizen_request", *, kind: str = "help") -> None:
        """Call staff (the citizen, or the kiosk itself: printer faults, a card left behind, a stuck
        session; kiosk.staff_call). A call already open is repeated; the button never goes away."""
        self._touch()
        self._call_staff(reason, kind)
        self._changed()

    def _call_staff(self, reason: str, kind: str = "help") -> None:
        if not self.calls.active:
            self._emit(CallStaff(reason, self.screen.value))
            self._record("help_request", reason=reason, screen=self.screen.value)
        self.calls.place(reason, self.screen.value, self.assisted, kind)

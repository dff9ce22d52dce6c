"""Drive a Journey synchronously with in-memory fakes (fast logic tests, no Qt)."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from devices.sim_people import SAMPLE_PEOPLE
from devices.simulated_face import SimulatedFaceVerifier
from kiosk.identity import HolderCodeType
from kiosk.interfaces import (
    ActingFor,
    Certificate,
    Delegation,
    FaceOutcome,
    Grant,
    PlatformError,
    PlatformErrorKind,
    PrinterState,
    PrintResult,
    ServiceInfo,
    StampedCopy,
)
from kiosk.journey import Journey, Screen, Speak, Timing
from kiosk.services import KioskServices
from printing.sample_pdf import sample_certificate_pdf

TODAY = _dt.date(2026, 11, 21)


def make_certificate(n: int, holder_code: str = "110101198503120033") -> Certificate:
    return Certificate(
        cert_id=f"c{n:04d}", name=f"示例证明{n}", number=f"NO{n:06d}", identifier=f"1.2.156.3005.2.X.{n}",
        issuer="示例局", issuer_code="11100000000000000X", issue_date=_dt.date(2024, 1, 1), valid_until=None,
        holder_name="张伟明", holder_code=holder_code, holder_type=HolderCodeType.RESIDENT_ID,
    )


@dataclass
class FakePlatform:
    certificates: list[Certificate] = field(default_factory=lambda: [make_certificate(i) for i in range(3)])
    error: PlatformError | None = None
    file_error: PlatformError | None = None  # download / stamped_copy fail with this
    pdf: bytes | None = None  # what stamped_copy returns instead of a sample certificate PDF
    searches: int = 0
    stamped: int = 0
    grant_error: PlatformError | None = None  # open_grant fails with this
    grants: list[str] = field(default_factory=list)  # methods of the grants opened
    closed: int = 0
    businesses: tuple[ActingFor, ...] = ()
    delegations: tuple[Delegation, ...] = ()
    seen_grants: list[Grant | None] = field(default_factory=list)  # the grant of each search/copy
    sent_to_app: list[str] = field(default_factory=list)  # cert ids sent to the holder's app

    def catalog(self) -> list[ServiceInfo]:
        return []

    def open_grant(self, holder_code: str, holder_type: HolderCodeType, *, method: str, liveness: bool,
                   staff_id: str | None = None) -> Grant:
        if self.grant_error:
            raise self.grant_error
        self.grants.append(method)
        return Grant("t" * 43, f"g-{len(self.grants):024d}", _dt.datetime(2030, 1, 1, tzinfo=_dt.UTC),
                     self.businesses, self.delegations)

    def close_grant(self, grant: Grant) -> None:
        self.closed += 1

    def search_certificates(self, holder_code: str, holder_type: HolderCodeType, *, grant: Grant | None = None,
                            delegation_id: str = "") -> list[Certificate]:
        self.seen_grants.append(grant)
        self.searches += 1
        if self.error:
            raise self.error
        return list(self.certificates)

    def download(self, cert: Certificate, *, grant: Grant | None = None) -> bytes:
        if self.file_error:
            raise self.file_error
        return sample_certificate_pdf(cert)

    def stamped_copy(self, cert: Certificate, purpose: str, valid_days: int, *,
                     grant: Grant | None = None) -> StampedCopy:
        self.seen_grants.append(grant)
        self.stamped += 1
        if self.file_error:
            raise self.file_error
        pdf = self.pdf if self.pdf is not None else sample_certificate_pdf(cert)
        return StampedCopy(cert_id=cert.cert_id, pdf=pdf, verify_code="ABCD1234",
                           verify_url="http://127.0.0.1/v1/verify/ABCD1234", purpose=purpose,
                           expires=_dt.date(2030, 1, 1))

    def send_to_app(self, cert: Certificate, *, grant: Grant | None = None) -> str:
        self.seen_grants.append(grant)
        if self.file_error:
            raise self.file_error
        self.sent_to_app.append(cert.cert_id)
        return f"w-{len(self.sent_to_app)}"

    def submit(self, idempotency_key: str, kind: str, payload: dict) -> None:
        return None

    def submit_batch(self, items: list[tuple[str, str, dict]]) -> dict[str, str]:
        return {key: "accepted" for key, _, _ in items}

    def ping(self) -> bool:
        return self.error is None


@dataclass
class ListOutbox:
    rows: list[tuple[str, dict]] = field(default_factory=list)

    def enqueue(self, kind: str, payload: dict) -> str:
        self.rows.append((kind, payload))
        return str(len(self.rows))

    def counts(self) -> dict[str, int]:
        return {"pending": len(self.rows)}


@dataclass
class FakePrinter:
    results: list[PrintResult] = field(default_factory=list)
    current: PrinterState = PrinterState.READY
    printed: int = 0
    jobs: list[bytes] = field(default_factory=list)

    def state(self) -> PrinterState:
        return self.current

    def health(self) -> dict:
        return {"driver": "fake", "state": self.current.value, "reasons": [], "queue": 0}

    def print_pdf(self, pdf: bytes, *, progress: object = None) -> PrintResult:
        self.printed += 1
        self.jobs.append(pdf)
        return self.results.pop(0) if self.results else PrintResult(ok=True, job_id=f"job{self.printed}")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Harness:
    """A journey wired to fakes; effects run at once, as a synchronous runner would."""

    def __init__(self, **timing: object) -> None:
        self.clock = Clock()
        self.platform = FakePlatform()
        self.outbox = ListOutbox()
        self.printer = FakePrinter()
        self.face = SimulatedFaceVerifier(frames_per_prompt=0)
        self.services = KioskServices(face=self.face, platform=self.platform, outbox=self.outbox,
                                      public_url="https://zwfw.example.gov.cn",
                                      printer=self.printer, kiosk_id="KIOSK-TEST")
        self.effects: list[object] = []
        self.hold = False  # True: keep effects queued (to test late results)
        self.queued: list[object] = []
        self.journey = Journey(timing=Timing(**timing), on_effect=self._effect, clock=self.clock,
                               today=lambda: TODAY)

    def _effect(self, effect: object) -> None:
        self.effects.append(effect)
        if isinstance(effect, Speak):
            return
        if self.hold:
            self.queued.append(effect)
        else:
            self.services.execute(effect)(self.journey)

    def release(self) -> None:
        queued, self.queued = self.queued, []
        for effect in queued:
            self.services.execute(effect)(self.journey)

    def advance(self, seconds: float) -> None:
        """Move the clock, ticking once a second as the runner does."""
        end = self.clock.now + seconds
        while self.clock.now < end:
            self.clock.now = min(end, self.clock.now + 1)
            self.journey.tick()

    def drive_to(self, screen: Screen, person: int = 0) -> None:
        """Walk the happy path (plus detours) until the journey shows screen."""
        j = self.journey
        steps = {
            Screen.INSERT_CARD: lambda: j.start(),
            Screen.CARD_PROBLEM: lambda: j.card_presented(SAMPLE_PEOPLE[5]),
            Screen.ASSIST_OFFER: lambda: j.card_presented(SAMPLE_PEOPLE[2]),
        }
        if screen is Screen.ATTRACT:
            return
        if screen is Screen.OUT_OF_SERVICE:
            j.set_out_of_service("out_of_service_technician")
            return
        if screen is Screen.MAINTENANCE:
            j.enter_maintenance()
            return
        if screen in steps:
            if screen is not Screen.INSERT_CARD:
                j.start()
            steps[screen]()
            assert j.screen is screen
            return
        j.start()
        j.card_presented(SAMPLE_PEOPLE[person])
        if screen is Screen.FACE_CONSENT:
            return
        if screen is Screen.FACE_CHECK:
            self.hold = True
            j.face_consent(True)
            return
        if screen in (Screen.STAFF_CHECK,):
            j.face_consent(False)
            return
        if screen is Screen.FACE_FAILED:
            self.face.script.append(FaceOutcome(False, True, 0.9, "face_no_match"))
            j.face_consent(True)
            return
        j.face_consent(True)
        if screen is Screen.SERVICE_MENU:
            return
        if screen is Screen.BUSINESS_CHOICE:
            j.session.businesses = (ActingFor("91110101MA01ABCD19", "北京示例餐饮管理有限公司", "legal_rep"),)
            j.choose_service("business_certs")
            return
        if screen is Screen.WHO_FOR:
            j.session.delegations = (Delegation("dlg-1", "李*英", "3301**********0040"),)
            j.choose_service("personal_certs")
            return
        if screen is Screen.START_AGAIN:
            self.platform.error = PlatformError(PlatformErrorKind.GRANT_EXPIRED, "http_401_grant-expired")
            j.choose_service("personal_certs")
            return
        if screen is Screen.USCC_ENTRY:
            j.choose_service("business_certs")
            return
        if screen is Screen.LOADING:
            self.hold = True
            j.choose_service("personal_certs")
            return
        if screen in (Screen.NOTICE, Screen.QUEUEING, Screen.QUEUED, Screen.QUEUE_CHOICE):
            self.platform.error = PlatformError(PlatformErrorKind.OFFLINE)
            j.choose_service("personal_certs")
            if screen is Screen.NOTICE:
                return
            j.queue_offline()  # which certificate, what for (kiosk/journey_fallback.py)
            if screen is Screen.QUEUE_CHOICE:
                return
            j.choose_queue_item("cert_type_household")
            self.hold = screen is Screen.QUEUEING
            j.choose_queue_item("purpose_school")
            return
        j.choose_service("personal_certs")
        if screen is Screen.CERT_LIST:
            return
        j.select_certificate("c0001")
        if screen is Screen.PREVIEW:
            return
        j.confirm_preview()
        if screen is Screen.PURPOSE:
            return
        if screen in (Screen.PRINTING, Screen.CARD_PULLED):
            self.hold = True
            j.choose_purpose("purpose_school")
            if screen is Screen.CARD_PULLED:
                j.card_removed()  # taken while the copy prints
            return
        fallbacks = (Screen.COUNTER_TICKET, Screen.SENDING_TO_APP, Screen.SENT_TO_APP)
        if screen is Screen.PRINT_FAILED or screen in fallbacks:
            self.printer.results.append(PrintResult(False, "", "printer_out_of_paper"))
        j.choose_purpose("purpose_school")
        if screen in (Screen.PRINT_DONE, Screen.PRINT_FAILED):
            return
        if screen in fallbacks:
            self.hold = screen is not Screen.SENT_TO_APP
            (j.go_to_counter if screen is Screen.COUNTER_TICKET else j.send_to_app)()
            return
        j.finish()
        if screen is Screen.RATING:
            return
        if screen is Screen.DONE:
            j.card_present = False  # a reader that hands the card back: nothing lies on it
        j.rate(5)
        assert screen in (Screen.DONE, Screen.TAKE_CARD)

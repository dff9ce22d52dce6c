"""Interfaces between the Qt-free core and its drivers (typing.Protocol).

Drivers report through plain callbacks, usually from their own thread; the
screens layer adapts those callbacks to Qt signals. Nothing here imports Qt.
"""

from __future__ import annotations

import datetime as _dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kiosk.identity import HolderCodeType, IdentityDocument
from kiosk.staff_card import StaffCardAnswer

# ---------------------------------------------------------------- card reader


class ReaderEventKind(enum.Enum):
    READER_CONNECTED = "reader_connected"
    READER_LOST = "reader_lost"
    CARD_PRESENTED = "card_presented"  # document is set
    CARD_REMOVED = "card_removed"
    READ_FAILED = "read_failed"  # reason is a message key
    STAFF_CARD_PRESENTED = "staff_card_presented"  # staff_card is set, or reason says why it could not be read
    STAFF_CARD_REMOVED = "staff_card_removed"


@dataclass(frozen=True)
class ReaderEvent:
    kind: ReaderEventKind
    document: IdentityDocument | None = None
    reason: str = ""
    staff_card: StaffCardAnswer | None = None  # kiosk.staff_card: checked by the core, not the driver


ReaderListener = Callable[[ReaderEvent], None]


@runtime_checkable
class CardReader(Protocol):
    """An ID-card reader. Events reach the listener from the reader's own thread."""

    def start(self, listener: ReaderListener) -> None: ...

    def stop(self) -> None: ...


# ---------------------------------------------------------------- camera and face


@dataclass(frozen=True, repr=False)
class Frame:
    """One camera frame: 8-bit BGR, row-major. repr() shows only the size."""

    width: int
    height: int
    data: bytes

    def __repr__(self) -> str:
        return f"Frame({self.width}x{self.height})"


class CameraError(OSError):
    """A camera fault. kind: "missing", "lost" (unplugged), "frozen" or "ended" (a file ran out)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"camera {kind}")
        self.kind = kind

    @property
    def message_key(self) -> str:
        return f"face_camera_{self.kind}"


@runtime_checkable
class Camera(Protocol):
    """open() raises CameraError; read() returns the newest unseen frame or raises CameraError."""

    def open(self) -> None: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class FaceOutcome:
    """The decision of a face check. Only these fields ever leave the verifier."""

    verified: bool
    liveness_passed: bool
    score: float | None = None
    reason: str = ""  # message key when not verified


@runtime_checkable
class FaceVerifier(Protocol):
    """Compares the live face with the card photo. Blocking: call it on a worker."""

    def verify(self, document: IdentityDocument, *, prompt: Callable[[str], None]) -> FaceOutcome: ...


# ---------------------------------------------------------------- platform


class PlatformErrorKind(enum.Enum):
    OFFLINE = "offline"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    RATE_LIMITED = "rate_limited"
    SERVER_ERROR = "server_error"
    BAD_DATA = "bad_data"
    NOT_FOUND = "not_found"
    BAD_SIGNATURE = "bad_signature"  # a file whose signature fails or whose key is unknown
    NOT_ENROLLED = "not_enrolled"  # the platform does not know this kiosk (or its key)
    KIOSK_REVOKED = "kiosk_revoked"  # the platform revoked this kiosk's enrolment
    GRANT_EXPIRED = "grant_expired"  # the citizen's grant expired or was revoked: start again
    NOT_AUTHORISED = "not_authorised"  # the person may not act for that business or person


class PlatformError(Exception):
    """A typed platform failure. The message is a key, never personal data."""

    def __init__(self, kind: PlatformErrorKind, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(f"{kind.value}: {detail}" if detail else kind.value)
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after  # seconds, from a Retry-After header (429/503)

    @property
    def message_key(self) -> str:
        return f"platform_{self.kind.value}"


@dataclass(frozen=True)
class ServiceInfo:
    service_id: str
    kind: str  # "personal" or "business"
    names: dict[str, str]  # language -> name


@dataclass(frozen=True, repr=False)
class Certificate:
    """GB/T 36903-style certificate metadata. repr() hides holder data."""

    cert_id: str
    name: str
    number: str
    identifier: str
    issuer: str
    issuer_code: str
    issue_date: _dt.date
    valid_until: _dt.date | None
    holder_name: str
    holder_code: str
    holder_type: HolderCodeType
    fields: dict[str, str] = field(default_factory=dict)  # extra lines for the preview

    def __repr__(self) -> str:
        return f"Certificate(id={self.cert_id})"


@dataclass(frozen=True, repr=False)
class StampedCopy:
    """A purpose-stamped copy (加注件) of a certificate file, signature already verified.

    The bytes live in memory only; repr() shows no content.
    """

    cert_id: str
    pdf: bytes
    verify_code: str  # printed beside the QR code
    verify_url: str  # what the QR code points at: the platform's verification page
    purpose: str
    expires: _dt.date

    def __repr__(self) -> str:
        return f"StampedCopy(id={self.cert_id}, {len(self.pdf)} bytes)"


@dataclass(frozen=True)
class ActingFor:
    """A business the verified person may act for: legal representative or authorised agent (经办人)."""

    uscc: str
    name: str
    role: str  # "legal_rep" or "agent"


@dataclass(frozen=True)
class Delegation:
    """Someone who delegated to the verified person (亲友代办); shown masked only."""

    delegation_id: str
    delegator_masked: str  # 李*英
    delegator_code_masked: str


@dataclass(frozen=True, repr=False)
class Grant:
    """The platform's short-lived grant for one verified citizen at this kiosk. repr() hides the token."""

    token: str
    grant_id: str  # public id of the session (ratings name it)
    expires_at: _dt.datetime
    businesses: tuple[ActingFor, ...] = ()
    delegations: tuple[Delegation, ...] = ()

    def __repr__(self) -> str:
        return f"Grant(id={self.grant_id})"


@runtime_checkable
class PlatformClient(Protocol):
    """The public data platform. Every call blocks: run it on a worker.

    Calls for a citizen carry the session's Grant: search with holder_code "" means the verified
    holder; a USCC must be a business they act for; delegation_id names a delegation to them.
    """

    def catalog(self) -> list[ServiceInfo]: ...

    def open_grant(self, holder_code: str, holder_type: HolderCodeType, *, method: str, liveness: bool,
                   staff_id: str | None = None) -> Grant:
        """A grant after identity verification (method "face" or "staff")."""
        ...

    def close_grant(self, grant: Grant) -> None:
        """Revoke the grant at session end."""
        ...

    def search_certificates(self, holder_code: str, holder_type: HolderCodeType, *, grant: Grant | None = None,
                            delegation_id: str = "") -> list[Certificate]: ...

    def download(self, cert: Certificate, *, grant: Grant | None = None) -> bytes:
        """The certificate's file (PDF), signature verified; raises BAD_SIGNATURE otherwise."""
        ...

    def stamped_copy(self, cert: Certificate, purpose: str, valid_days: int, *,
                     grant: Grant | None = None) -> StampedCopy:
        """The platform's purpose-stamped copy (加注件), signature verified."""
        ...

    def send_to_app(self, cert: Certificate, *, grant: Grant | None = None) -> str:
        """Send the certificate to its holder's app (证照夹); returns the delivery id."""
        ...

    def submit(self, idempotency_key: str, kind: str, payload: dict[str, Any]) -> None: ...

    def submit_batch(self, items: list[tuple[str, str, dict[str, Any]]]) -> dict[str, str]:
        """(key, kind, payload) items -> key: "accepted" | "duplicate" | "rejected"."""
        ...

    def ping(self) -> bool: ...


# ---------------------------------------------------------------- outbox


@runtime_checkable
class Outbox(Protocol):
    """Durable local queue of transactions for the platform."""

    def enqueue(self, kind: str, payload: dict[str, Any]) -> str: ...

    def counts(self) -> dict[str, int]: ...


# ---------------------------------------------------------------- printer


class PrinterState(enum.Enum):
    READY = "ready"
    BUSY = "busy"
    OUT_OF_PAPER = "out_of_paper"
    JAMMED = "jammed"
    OFFLINE = "offline"
    ERROR = "error"
    STOPPED = "stopped"  # the queue is disabled or not accepting jobs


@dataclass(frozen=True)
class PrintResult:
    ok: bool
    job_id: str
    reason: str = ""  # message key when not ok
    stage: str = ""  # where a print failed: "precheck" | "fetch" | "compose" | "print"


PrintProgress = Callable[[str], None]  # a message key, e.g. "print_stage_printing"


@runtime_checkable
class Printer(Protocol):
    """A page printer. print_pdf blocks until the job has ended: run it on a worker.

    The kiosk composes the copy (printing.copy_compose) and hands over finished PDF
    bytes; ok is true only once the printer reports the job completed.
    """

    def state(self) -> PrinterState: ...

    def print_pdf(self, pdf: bytes, *, progress: PrintProgress = ...) -> PrintResult: ...

    def health(self) -> dict[str, Any]:
        """For the heartbeat: {"state", "reasons", "queue", ...}; no personal data."""
        ...


@dataclass(frozen=True)
class Receipt:
    """An 80 mm receipt or queue ticket. Holds masked identity only (张*三, 1101**********1234)."""

    kind: str  # "offline_application" | "queue_ticket" | "print"
    tracking_code: str
    service: str  # service name, zh-CN
    kiosk_id: str
    issued_at: _dt.datetime
    holder_name_masked: str = ""
    holder_code_masked: str = ""
    ticket_number: str = ""
    qr_url: str = ""  # where the citizen can check on it
    lines: tuple[str, ...] = ()  # extra plain-language lines (e.g. "will be sent when online")


@runtime_checkable
class ReceiptPrinter(Protocol):
    """The thermal receipt printer. print_receipt blocks: run it on a worker."""

    def state(self) -> PrinterState: ...

    def print_receipt(self, receipt: Receipt) -> PrintResult: ...


# ---------------------------------------------------------------- speech


@runtime_checkable
class Speaker(Protocol):
    """Spoken guidance. say() returns at once; a new prompt replaces the old one. The kiosk's guidance
    also uses speak(text, language, done) and interrupt() where a speaker has them (devices.speech):
    one utterance to its end, in the order kiosk.speech_queue decides."""

    def say(self, text: str, language: str) -> None: ...

    def stop(self) -> None: ...

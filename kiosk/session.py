"""One citizen's session: everything personal lives here and is wiped at the end."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from kiosk.identity import IdentityDocument
from kiosk.interfaces import ActingFor, Certificate, Delegation


@dataclass
class Session:
    """Per-session state. wipe() drops every personal field; nothing is written to disk."""

    ticket: int
    document: IdentityDocument | None = None
    verified_by: str = ""  # "face", "staff" or "card"
    face_failures: int = 0
    service_id: str = ""
    holder_code: str = ""  # ID number or USCC used for the platform query
    certificates: list[Certificate] = field(default_factory=list)
    page: int = 0
    selected: Certificate | None = None
    purpose: str = ""
    asking_matter: bool = False  # "其他" was chosen: the purpose screen lists the matters
    print_attempts: int = 0
    printed: int = 0
    print_stage: str = ""  # where the last print failed ("precheck" ... "print")
    rating_group: str = ""  # assisted mode: "good" or "bad" once chosen
    message: str = ""  # message key for notice / problem screens
    input_error: str = ""  # message key for keypad screens
    tracking_code: str = ""  # of an application queued offline
    receipt: str = ""  # its receipt: "printing", "printed", "failed"
    session_id: str = field(default_factory=lambda: "s-" + os.urandom(8).hex())  # the grant id once granted
    businesses: tuple[ActingFor, ...] = ()  # whom the person may act for (from the grant)
    delegations: tuple[Delegation, ...] = ()
    staff_id: str = ""  # pseudonymous id of the 帮办 who checked the citizen by hand (platform grants need it)
    staff_wait: int = 0  # seconds before the staff sign-in takes another try
    staff_tries_left: int = 0
    outcomes: list[str] = field(default_factory=list)  # what was done: "printed", "queued", "sent_to_app"
    failed: bool = False  # a search or a print failed (a session where only that happened is not rated)
    app_failed: bool = False  # sending the e-certificate to the app failed: not offered again
    counter_number: str = ""  # a staffed counter's number, once taken
    queue_step: str = ""  # an application without the platform: "certificate", "purpose" or "matter"
    queue_cert_type: str = ""  # its certificate (a kiosk.journey_fallback.CERT_TYPES key)
    queue_purpose: str = ""  # and purpose (a purpose or matter key)

    def __repr__(self) -> str:
        return f"Session(ticket={self.ticket}, verified_by={self.verified_by or '-'})"

    def wipe(self) -> None:
        """Drop personal data from memory (references; Python cannot zero str objects)."""
        self.document = None
        self.holder_code = ""
        self.certificates.clear()
        self.selected = None
        self.purpose = ""
        self.message = ""
        self.input_error = ""
        self.tracking_code = ""
        self.receipt = ""
        self.businesses = self.delegations = ()
        self.queue_cert_type = self.queue_purpose = self.counter_number = ""

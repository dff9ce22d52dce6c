"""The journey's grant steps: ask the platform for a citizen grant after verification, learn whom the
person may act for (businesses, delegations), choose the service and for whom (为谁办理, which
business), and react when the platform ends the session.

A mixin of ``kiosk.journey.Journey`` (like kiosk/journey_staff.py). The grant token itself never
reaches the journey: the services keep it by ticket (kiosk.grant_keeper); the journey keeps only
the public grant id (ratings name it) and the choices. ``Screen`` is looked up at call time
because journey.py imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.identity import HolderCodeType
from kiosk.idnumbers import is_valid_uscc
from kiosk.interfaces import ActingFor, Delegation

# Platform answers that end the session ("please start again") or the kiosk's service altogether.
START_AGAIN = frozenset({"platform_grant_expired"})
OUT_OF_SERVICE = frozenset({"platform_kiosk_revoked", "platform_not_enrolled"})


@dataclass(frozen=True, repr=False)
class OpenGrant:
    """Ask the platform for this session's grant (card + face with liveness, or card + staff)."""

    ticket: int
    holder_code: str
    holder_type: HolderCodeType
    method: str  # "face", "staff" or "card"
    liveness: bool
    staff_id: str = ""

    def __repr__(self) -> str:
        return f"OpenGrant(ticket={self.ticket}, method={self.method})"


@dataclass(frozen=True)
class GrantInfo:
    """What the journey learns from a grant: its public id and whom the person may act for."""

    grant_id: str
    businesses: tuple[ActingFor, ...] = ()
    delegations: tuple[Delegation, ...] = ()


def _screens() -> Any:
    from kiosk.journey import Screen

    return Screen


class GrantSteps:
    """Grant handling for the Journey. Needs the Journey's attributes and helpers."""

    def _open_grant(self, method: str, liveness: bool) -> None:
        s = self.session
        doc = s.document
        self._emit(OpenGrant(self.ticket, doc.number, doc.holder_code_type, method, liveness, s.staff_id))

    def grant_finished(self, ticket: int, info: GrantInfo | None, error: str = "") -> None:
        """The platform's answer to OpenGrant; a failure other than a refused kiosk shows up on first use."""
        if ticket != self.ticket or self.session is None:
            return
        if error in OUT_OF_SERVICE:
            self.set_out_of_service(error)
            return
        if info is not None:
            s = self.session
            s.session_id, s.businesses, s.delegations = info.grant_id, info.businesses, info.delegations
            self._changed()

    def platform_ended(self, error: str) -> bool:
        """Errors after which the session cannot go on: True when handled here."""
        if error in OUT_OF_SERVICE:
            self.set_out_of_service(error)
            return True
        if error in START_AGAIN:
            self._start_again(error)
            return True
        return False

    def _start_again(self, key: str) -> None:
        """The grant expired or was revoked: wipe everything personal and say plainly to start again."""
        s = self.session
        s.wipe()
        s.service_id = ""  # nothing to rate
        s.message = key
        self._go(_screens().START_AGAIN)

    # ------------------------------------------------------------ acting for someone

    def choose_service(self, service_id: str) -> None:
        """Personal certificates (为谁办理 when someone delegated to this person) or a business's."""
        from kiosk.journey import SERVICES

        screen = _screens()
        if not self._in(screen.SERVICE_MENU) or service_id not in SERVICES:
            return
        self.session.service_id = service_id
        if service_id == "business_certs":
            self.session.input_error = ""
            self._go(screen.BUSINESS_CHOICE if self.session.businesses else screen.USCC_ENTRY)
        elif self.session.delegations:
            self._go(screen.WHO_FOR)  # 为谁办理
        else:
            doc = self.session.document
            self._load(doc.number, doc.holder_code_type)

    def enter_uscc(self, code: str) -> None:
        """A typed USCC (the platform refuses one the person may not act for)."""
        screen = _screens()
        if not self._in(screen.USCC_ENTRY):
            return
        code = code.strip().upper()
        if not is_valid_uscc(code):
            self.session.input_error = "uscc_invalid" if len(code) == 18 else "uscc_length"
            self._touch()
            self._changed()
            return
        self._load(code, HolderCodeType.USCC)

    def choose_business(self, uscc: str) -> None:
        """One of the businesses the person may act for; "" to type another USCC instead."""
        screen = _screens()
        if not self._in(screen.BUSINESS_CHOICE):
            return
        if not uscc:
            self._go(screen.USCC_ENTRY)
        elif any(b.uscc == uscc for b in self.session.businesses):
            self._load(uscc, HolderCodeType.USCC)

    def choose_for_whom(self, delegation_id: str) -> None:
        """为谁办理: "" for oneself, or a delegation to the person (亲友代办)."""
        s = self.session
        if not self._in(_screens().WHO_FOR):
            return
        if not delegation_id:
            self._load(s.document.number, s.document.holder_code_type)
        elif any(d.delegation_id == delegation_id for d in s.delegations):
            self._load("", HolderCodeType.RESIDENT_ID, delegation_id)

"""The journey's staff and terminal steps: the manual identity check by a signed-in 帮办,
the out-of-service screen and the maintenance screen.

A mixin of ``kiosk.journey.Journey`` (kept apart so the citizen flow stays readable); it
uses the journey's own helpers. ``Screen`` is looked up at call time because journey.py
imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.staff import SignInResult


@dataclass(frozen=True, repr=False)
class StaffSignIn:
    """Check a staff number and PIN for an action (kiosk.staff.PERMISSIONS) on a worker."""

    ticket: int
    number: str
    pin: str
    action: str

    def __repr__(self) -> str:
        return f"StaffSignIn(ticket={self.ticket}, action={self.action})"


def _screens() -> Any:
    from kiosk.journey import Screen

    return Screen


class TerminalSteps:
    """Staff check, out of service, maintenance. Needs the Journey's attributes and helpers."""

    out_of_service: set[str]

    # ------------------------------------------------------------ manual identity check

    def staff_confirm(self, number: str, pin: str) -> None:
        """A 帮办 signs in with their own staff number and PIN to confirm the citizen by hand."""
        screen = _screens()
        if not self._in(screen.STAFF_CHECK) or self.session.input_error == "staff_checking":
            return
        if not number or not pin:
            self.session.input_error = "staff_sign_in_incomplete"
            self._touch()
            self._changed()
            return
        self.session.input_error = "staff_checking"
        self._touch()
        self._changed()
        self._emit(StaffSignIn(self.ticket, number, pin, "manual_check"))

    def staff_check_finished(self, ticket: int, result: SignInResult) -> None:
        screen = _screens()
        if ticket != self.ticket or not self._in(screen.STAFF_CHECK):
            return
        s = self.session
        if result.ok:
            s.staff_id = result.staff_id
            self._record("identity_check", verified=True, method="staff", liveness_passed=False,
                         staff_id=result.staff_id)
            self._verified("staff")
            return
        s.input_error = result.reason or "staff_wrong"
        s.staff_wait = result.wait_seconds
        s.staff_tries_left = result.tries_left
        self._touch()
        self._changed()

    # ------------------------------------------------------------ out of service (reusable)

    def set_out_of_service(self, reason: str, on: bool = True) -> None:
        """Stop (on) or resume taking citizens. reason: a message key shown on the out-of-service
        screen. Any session in progress ends; several reasons may hold at once."""
        screen = _screens()
        before = bool(self.out_of_service)
        (self.out_of_service.add if on else self.out_of_service.discard)(reason)
        if self._in(screen.MAINTENANCE):
            self._changed()  # the technician leaves maintenance to whichever screen applies
        elif self._in(screen.TAKE_CARD, screen.CARD_PULLED):
            self._changed()  # the card or the print is settled first; then the screen that applies
        elif self.out_of_service and not before:
            if self.session is not None:
                self.end_session("out_of_service")
            if not self._in(screen.TAKE_CARD, screen.CARD_PULLED):
                self._go(screen.OUT_OF_SERVICE)
        elif not self.out_of_service and before:
            if self.card_present:
                self.end_session("out_of_service")  # a card placed meanwhile: taken back before anyone starts
            else:
                self._go(screen.ATTRACT)
        else:
            self._changed()

    def out_of_service_reason(self) -> str:
        return sorted(self.out_of_service)[0] if self.out_of_service else ""

    # ------------------------------------------------------------ maintenance

    def enter_maintenance(self) -> bool:
        """The hidden gesture: only between citizens (attract or out of service), never in a session."""
        screen = _screens()
        if self.session is not None or not self._in(screen.ATTRACT, screen.OUT_OF_SERVICE):
            return False
        self._go(screen.MAINTENANCE)
        return True

    def leave_maintenance(self) -> None:
        screen = _screens()
        if self._in(screen.MAINTENANCE):
            self._go(screen.OUT_OF_SERVICE if self.out_of_service else screen.ATTRACT)

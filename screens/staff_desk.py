"""StaffDesk: what a staff card in the reader does, seen from QML (`desk`).

The reader reports a staff card's signed answer; the core checks it (kiosk.staff.check_card,
on the disk lane, audited). What follows depends on where the kiosk is:
- between citizens (attract, out of service) or in maintenance: the maintenance sign-in opens
  with the card's staff number; the technician gives only their PIN (screens/maintenance.py);
- on the manual identity check: the 帮办's number is filled in from the card, the PIN is asked;
- during any other part of a citizen's session: a 帮办 (or technician) may end a stuck session
  after their PIN: it is wiped and the citizen is reminded to take the card.
Pulling the card ends what it opened, mid-action too. A card that fails the check gets a plain
message; nobody is signed in.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QObject, Signal, Slot

from kiosk.interfaces import ReaderEvent
from kiosk.journey import Screen

log = logging.getLogger("kiosk.staff_desk")


class StaffDesk(QObject):
    """Routes staff card events; ``state`` drives the staff-check prefill and the unlock overlay."""

    changed = Signal()

    def __init__(self, vm: Any, maint: Any) -> None:
        super().__init__()
        self.vm = vm
        self.maint = maint
        self._check: dict[str, Any] = {}  # staff check: checkNumber / checkError
        self._unlock: dict[str, Any] = {}  # unlock overlay: number, error, ticket
        self._token = 0  # bumps at every card event: a late check result for a pulled card is dropped
        vm.viewChanged.connect(self._view_changed)

    # ---------------------------------------------------------------- reader side

    def _action(self) -> str:
        journey = self.vm.journey
        if self.maint.model.active:
            return "maintenance"
        if journey.screen is Screen.STAFF_CHECK:
            return "manual_check"
        if journey.session is None:
            return "maintenance" if journey.screen in (Screen.ATTRACT, Screen.OUT_OF_SERVICE) else ""
        return "unlock_session"

    def presented(self, event: ReaderEvent) -> None:
        """A staff card was read (or could not be): check it off the UI thread."""
        self._token += 1
        token, action, answer = self._token, self._action(), event.staff_card
        if not action:  # e.g. a citizen's card reminder on screen: nothing for staff to do here
            self.vm.audit("staff_card", staff="unknown", action="none", result="ignored")
            return
        self.vm.tasks.run("disk", lambda: self.vm.services.check_staff_card(answer, action, event.reason),
                          lambda result: self._checked(token, action, result, answer.number if answer else ""))

    def _checked(self, token: int, action: str, result: Any, number: str) -> None:
        if action != self._action():
            return  # the kiosk moved on while the card was checked
        if token != self._token and (result.ok or action == "unlock_session"):
            return  # the card left meanwhile: it signs nobody in (a refusal is still said, not over a citizen)
        if action == "maintenance":
            self.maint.card_checked(result, number)
        elif action == "manual_check":
            self._check = {"checkNumber": number} if result.ok else {"checkError": result.reason}
        else:
            self._unlock = {"number": number if result.ok else "", "error": "" if result.ok else result.reason,
                            "ticket": self.vm.journey.ticket}
        self.changed.emit()

    def removed(self) -> None:
        """The staff card left the reader: whatever it opened ends."""
        self._token += 1
        self.maint.card_removed()
        if self._check or self._unlock:
            self._check, self._unlock = {}, {}
            self.changed.emit()

    def _view_changed(self) -> None:
        journey = self.vm.journey
        stale_check = self._check and journey.screen is not Screen.STAFF_CHECK
        stale_unlock = self._unlock and self._unlock.get("ticket") != journey.ticket
        if stale_check or stale_unlock:
            self._check = {} if stale_check else self._check
            self._unlock = {} if stale_unlock else self._unlock
            self.changed.emit()

    # ---------------------------------------------------------------- QML side

    def _state(self) -> dict[str, Any]:
        unlock = self._unlock
        return {**self._check, "unlock": bool(unlock), "unlockNumber": unlock.get("number", ""),
                "unlockError": unlock.get("error", ""), "unlockWait": unlock.get("wait", 0),
                "unlockTriesLeft": unlock.get("triesLeft", 0)}

    state = Property("QVariantMap", _state, notify=changed)

    @Slot()
    def checkTyped(self) -> None:
        """The 帮办 submitted the staff check: an old card message goes."""
        if self._check.get("checkError"):
            self._check = {}
            self.changed.emit()

    @Slot(str, str)
    def unlock(self, number: str, pin: str) -> None:
        """End the stuck session after the staff member's own PIN (their card's number)."""
        if not self._unlock or not number or self._unlock.get("error") == "staff_checking":
            return
        if not pin:
            self._unlock = {**self._unlock, "error": "staff_sign_in_incomplete"}
            self.changed.emit()
            return
        self._unlock = {**self._unlock, "error": "staff_checking"}
        self.changed.emit()
        token = self._token
        self.vm.tasks.run("disk", lambda: self.vm.services.sign_in(number, pin, "unlock_session"),
                          lambda result: self._unlocked(token, result))

    def _unlocked(self, token: int, result: Any) -> None:
        journey = self.vm.journey
        if token != self._token or not self._unlock or self._unlock.get("ticket") != journey.ticket:
            return  # the card was pulled, or the session ended by itself, meanwhile
        if not result.ok:
            self._unlock = {**self._unlock, "error": result.reason, "wait": result.wait_seconds,
                            "triesLeft": result.tries_left}
            self.changed.emit()
            return
        self._unlock = {}
        self.vm.audit("session_unlocked", staff=result.staff_id, screen=journey.screen.value)
        log.warning("session ended by staff", extra={"event": "session_unlocked"})
        journey.end_session("staff_unlock")
        self.changed.emit()

    @Slot()
    def cancelUnlock(self) -> None:
        if self._unlock:
            self._unlock = {}
            self.changed.emit()

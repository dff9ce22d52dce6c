"""The kiosk's staff call: placed, delivered, answered, repeated or cancelled (no Qt, no I/O).

A call goes to the platform at once (services.place_staff_call); when the platform cannot
be reached it goes into the outbox and the citizen is told so. While a call is open the
front end polls its state; an acknowledgement names the staff member who is coming. With
no answer within ``answer_seconds`` the kiosk says so plainly and offers what else works.

Other parts of the kiosk call staff by themselves through ``Journey.call_staff(reason,
kind=...)`` (printer faults, a card left behind, a stuck session). A call has a kind:
"help" (a person comes), "fault" (a device needs a technician); issue 18 adds "video".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

# sending -> waiting (platform has it) | queued (outbox: offline) -> acknowledged | unanswered; cancelled
OPEN_STATES = frozenset({"sending", "waiting", "queued", "unanswered"})
SHOWN_STATES = OPEN_STATES | {"acknowledged"}


@dataclass(frozen=True)
class PlaceStaffCall:
    """Effect: send the call (or a repeat of it) to the platform; the outbox when that fails."""

    call_id: str
    kind: str
    reason: str
    screen: str
    assisted: bool
    repeat: bool = False


@dataclass(frozen=True)
class CancelStaffCall:
    call_id: str


@dataclass(frozen=True)
class PollStaffCall:
    call_id: str


@dataclass
class StaffCall:
    call_id: str
    kind: str
    reason: str
    screen: str
    assisted: bool
    placed_at: float
    state: str = "sending"
    staff_id: str = ""
    repeats: int = 0


def new_call_id() -> str:
    return "call-" + os.urandom(8).hex()


@dataclass
class CallDesk:
    """The one staff call this kiosk may have open. Call from the UI thread only."""

    emit: Callable[[object], None]
    changed: Callable[[], None]
    clock: Callable[[], float]
    answer_seconds: float = 60.0
    stuck_seconds: float = 120.0  # the kiosk working on one screen this long calls staff by itself
    call: StaffCall | None = None
    _screen: str = ""
    _since: float = 0.0
    _announced: set[str] = field(default_factory=set)

    @property
    def active(self) -> bool:
        return self.call is not None and self.call.state in SHOWN_STATES

    def place(self, reason: str, screen: str, assisted: bool, kind: str = "help") -> None:
        """Call staff; an open call is repeated instead (the dashboard sounds again)."""
        c = self.call
        if c is not None and c.state in OPEN_STATES:
            self.repeat()
            return
        call = self.call = StaffCall(new_call_id(), kind, reason, screen, assisted, self.clock())
        self._say("staff_call_sending")
        self.emit(PlaceStaffCall(call.call_id, kind, reason, screen, assisted))
        self.changed()

    def repeat(self) -> None:
        c = self.call
        if c is None or c.state not in OPEN_STATES:
            return
        c.repeats += 1
        c.placed_at = self.clock()  # a new wait starts
        if c.state == "unanswered":
            c.state = "waiting"
        self._say("staff_call_repeated")
        self.emit(PlaceStaffCall(c.call_id, c.kind, c.reason, c.screen, c.assisted, repeat=True))
        self.changed()

    def cancel(self) -> None:
        c = self.call
        if c is None or c.state not in SHOWN_STATES:
            return
        self.emit(CancelStaffCall(c.call_id))
        self.call = None
        self.changed()

    def delivered(self, call_id: str, state: str, staff_id: str = "") -> None:
        """What the platform (or the outbox) said about the call: waiting, queued, acknowledged, cancelled."""
        c = self.call
        if c is None or c.call_id != call_id or state not in ("waiting", "queued", "acknowledged", "cancelled"):
            return
        if state == "acknowledged" and c.state != "acknowledged":
            c.state, c.staff_id = "acknowledged", staff_id
            self._say("staff_call_acknowledged")
        elif state == "cancelled":
            self.call = None
        elif c.state == "sending" or (c.state == "queued" and state == "waiting"):
            c.state = state
            if state == "queued":
                self._say("staff_call_queued")
        else:
            return
        self.changed()

    def tick(self, screen: str = "", working: bool = False, assisted: bool = False) -> None:
        """Once a second: poll an open call, say so honestly when nobody answers, and call staff
        by itself when the kiosk has been working on one screen for stuck_seconds."""
        now = self.clock()
        if screen != self._screen:
            self._screen, self._since = screen, now
        if working and now - self._since >= self.stuck_seconds and not self.active:
            self._since = now  # once per stuck stretch
            self.place("session_stuck", screen, assisted, kind="fault")
        c = self.call
        if c is None:
            return
        if c.state in ("waiting", "queued", "unanswered"):
            self.emit(PollStaffCall(c.call_id))
        if c.state in ("waiting", "queued") and self.clock() - c.placed_at >= self.answer_seconds:
            c.state = "unanswered"
            self._say("staff_call_unanswered")
            self.changed()

    def session_ended(self) -> None:
        """The citizen left (or took the forgotten card): an unanswered "help" call is withdrawn.
        Device "fault" calls stay open; answered calls stay with the platform until staff close them."""
        c = self.call
        if c is not None and c.kind == "help" and c.state in OPEN_STATES:
            self.emit(CancelStaffCall(c.call_id))
            self.call = None
        elif c is not None and c.state == "acknowledged":
            self.call = None

    def _say(self, key: str) -> None:
        from kiosk.journey import Speak  # the journey imports this module

        self.emit(Speak(key))

    def view(self) -> dict[str, object]:
        c = self.call
        if c is None or c.state not in SHOWN_STATES:
            return {"state": "none"}
        waited = max(0, int(self.clock() - c.placed_at))
        return {"state": c.state, "staffId": c.staff_id, "kind": c.kind, "waited": waited,
                "canRepeat": c.state in OPEN_STATES, "canCancel": True}

"""How a session ends: the ID card taken back, and a print the citizen walked away from.

Mixed into kiosk.journey.Journey (kept apart so the state machine stays small).
No session ends with the card forgotten on the reader: while it lies there the
kiosk shows 请取走您的身份证, sounds and speaks it again every few seconds, and
calls staff if nobody takes it. The attract screen (which invites the next
person) only comes back once the reader is empty.

A card pulled while a copy prints ends the session at once (the personal data
goes), but the job goes on: its outcome is still recorded when it arrives and
the screen tells whoever is there what became of the print.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.interfaces import PrintResult


@dataclass(frozen=True)
class PendingPrint:
    """A print still running when its session ended. No personal data: what the print record holds."""

    ticket: int
    certificate_type: str
    identifier: str
    purpose: str


# Screens that may follow a session while its card or its print is still there.
LEFT_CARD = "take_card"
PULLED_DURING_PRINT = "card_pulled"
# How long a pulled-card screen waits for the print's outcome before giving up the screen (the record
# is still written when the outcome arrives).
PULLED_PRINT_WAIT_SECONDS = 180


def _j() -> Any:
    """kiosk.journey, imported late (it imports this module)."""
    import kiosk.journey

    return kiosk.journey


class LeavingMixin:
    """Session-end behaviour for Journey; uses its screen, session, clock, timing and emitters."""

    card_present: bool
    end_reason: str
    pending_prints: dict[int, PendingPrint]
    pulled_print_outcome: str

    def _init_leaving(self) -> None:
        self.card_present = False  # a card lies on the reader (as the reader last reported)
        self.end_reason = ""  # why the last session ended: done, timeout, cancelled, card_removed
        self.pending_prints = {}  # ticket -> print still running for an ended session
        self.pulled_print_outcome = ""  # "" while waiting, "printed", or the failure's message key
        self._left_since = 0.0
        self._last_reminder = 0.0

    # ------------------------------------------------------------ the card

    def card_removed(self) -> None:
        from kiosk.journey import Screen

        self.card_present = False
        if self.screen is Screen.TAKE_CARD:
            self._to_attract()
        elif self.session is not None:
            if self.screen is Screen.PRINTING:
                self._pulled_during_print()
            else:
                self.end_session("done" if self.screen is Screen.DONE else "card_removed")

    def end_session(self, reason: str) -> None:
        """Wipe the session. With the card still on the reader, ask for it back; else the attract screen."""
        from kiosk.journey import Screen, SessionEnded, Speak

        ticket = self.ticket  # its citizen grant is revoked (kiosk.grant_keeper)
        if self.session is not None:
            self.session.wipe()
        self.session = None
        self.calls.session_ended()  # the citizen's unanswered call goes; the kiosk's own calls stay
        self.end_reason = reason
        if self.card_present:
            # Display language and mode stay until the card is taken: the same person reads this.
            self.screen = Screen.TAKE_CARD
            self._left_since = self._last_reminder = self._clock()
            self._touch()
            self._emit(SessionEnded(reason, ticket))
            self._emit(Speak(LEFT_CARD, alert=True))
            self._changed()
            return
        self._emit(SessionEnded(reason, ticket))
        self._to_attract()

    def _to_attract(self) -> None:
        from kiosk.journey import Screen

        self.calls.session_ended()  # the citizen's unanswered call goes; the kiosk's own calls stay
        self.assisted = False
        self.language = self.timing.default_language
        self.pulled_print_outcome = ""
        self.screen = Screen.OUT_OF_SERVICE if self.out_of_service else Screen.ATTRACT
        self._touch()
        self._changed()

    def _tick_leaving(self, now: float) -> bool:
        """Time passing on the screens after a session; True if this tick was theirs."""
        from kiosk.journey import Screen, Speak

        if self.screen is Screen.TAKE_CARD:
            if now - self._last_reminder >= self.timing.take_card_reminder_seconds:
                self._last_reminder = now
                self._emit(Speak(LEFT_CARD, alert=True))
            if not self.staff_called and now - self._left_since >= self.timing.take_card_staff_seconds:
                self._call_staff("card_left_behind")
                self._changed()
            return True
        if self.screen is Screen.CARD_PULLED:
            waited = now - self._left_since
            if (self.pulled_print_outcome and now - self._last_activity >= self.timing.done_seconds) \
                    or waited >= PULLED_PRINT_WAIT_SECONDS:
                self._to_attract()
            return True
        return False

    # ------------------------------------------------------------ a print without its citizen

    def _pulled_during_print(self) -> None:
        from kiosk.journey import Screen, SessionEnded, Speak

        s = self.session
        if s.selected is not None:
            self.pending_prints[s.ticket] = PendingPrint(s.ticket, s.selected.name, s.selected.identifier,
                                                         s.purpose)
        s.wipe()
        self.session = None
        self.calls.session_ended()  # the citizen's unanswered call goes; the kiosk's own calls stay
        self.end_reason = "card_removed"
        self.pulled_print_outcome = ""
        self.screen = Screen.CARD_PULLED
        self._left_since = self._clock()
        self._touch()
        self._emit(SessionEnded("card_removed"))
        self._emit(Speak(PULLED_DURING_PRINT, alert=True))
        self._changed()

    def _finish_pending_print(self, ticket: int, result: PrintResult) -> bool:
        """Record the outcome of a print whose session has ended; True if ticket was one."""
        from kiosk.journey import Screen, Speak

        pending = self.pending_prints.pop(ticket, None)
        if pending is None:
            return False
        self._record("print", ok=result.ok, certificate_type=pending.certificate_type,
                     identifier=pending.identifier, purpose=pending.purpose, job_id=result.job_id,
                     reason=result.reason, stage=result.stage, citizen_present=False)
        if self.screen is Screen.CARD_PULLED:
            self.pulled_print_outcome = "printed" if result.ok else (result.reason or "printer_error")
            self._touch()
            self._emit(Speak("card_pulled_printed" if result.ok else "card_pulled_failed", alert=True))
            self._changed()
        return True

    # ------------------------------------------------------------ finishing: rating, then goodbye

    def finish(self) -> None:
        """The citizen is done: rate if a service was used, then say goodbye."""
        if self.session is None:
            if self._in(_j().Screen.CARD_PULLED) and self.pulled_print_outcome:
                self._to_attract()  # 知道了: the outcome of the abandoned print has been read
            return
        if self.rateable() and not self._in(_j().Screen.RATING, _j().Screen.DONE):
            self._go(_j().Screen.RATING)
        elif self._in(_j().Screen.CARD_PROBLEM) or self.session.document is None:
            self.end_session("cancelled")
        elif not self._in(_j().Screen.DONE):
            self._goodbye()

    def _goodbye(self) -> None:
        """Thanks; with the card still on the reader the thanks come with the request to take it."""
        if self.card_present:
            self.end_session("done")
        else:
            self._go(_j().Screen.DONE)

    def rate(self, level: int) -> None:
        if self._in(_j().Screen.RATING) and level in _j().RATING_LEVELS:
            self._record("rating", level=level, service_id=self.session.service_id, channel="hall_terminal",
                         session_id=self.session.session_id,  # one rating per session (platform)
                         rated=self.rating_subject().removeprefix("rating_subject_"))  # what it is about
            self._goodbye()

    def rate_group(self, group: str) -> None:
        """Assisted mode asks in two steps: good / neutral / bad, then the level."""
        if self._in(_j().Screen.RATING) and group in _j().RATING_GROUPS:
            if group == "neutral":
                self.rate(3)
            else:
                self.session.rating_group = group
                self._touch()
                self._changed()

    def skip_rating(self) -> None:
        if self._in(_j().Screen.RATING):
            self._goodbye()

    def leaving_view(self) -> dict[str, Any]:
        """What the after-session screens show (no personal data)."""
        return {"endReason": self.end_reason, "printOutcome": self.pulled_print_outcome}

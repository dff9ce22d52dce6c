"""Spoken guidance as a queue with priorities (no Qt, no audio: a pure state machine).

What the kiosk says comes in order (a screen's title, then its choices; a countdown; an error;
"staff are coming") and one utterance is never cut off by another of the same or lower priority:

- GUIDANCE (a screen's title, body and choices) waits its turn. A new screen's guidance drops the
  old screen's guidance that has not started yet (it no longer describes the screen), never the
  one being spoken.
- PROMPT (face-check prompts, the countdown) goes before queued guidance but waits for the
  utterance being spoken; a newer prompt on the same
  ``channel`` replaces a queued one that has not started ("move closer" is stale once
  "hold still" is due), so a fast stream of prompts is heard as whole sentences.
- ALERT (errors, the card left behind, staff calls) goes first and interrupts anything of lower
  priority being spoken; it never interrupts another alert.
- A repeat of what is being spoken or already queued is dropped (coalesced).

The runner hands each utterance to a player through ``play`` and reports its end with
:meth:`SpeechQueue.finished`; ``interrupt`` asks the player to stop the current one (it still
reports ``finished``). The spoken text is never logged.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class Priority(enum.IntEnum):
    GUIDANCE = 1
    PROMPT = 2
    ALERT = 3


@dataclass(frozen=True)
class Utterance:
    text: str
    language: str
    priority: Priority = Priority.GUIDANCE
    channel: str = ""  # same channel: a newer queued utterance replaces an older queued one

    def same_words(self, other: Utterance) -> bool:
        return (self.text, self.language) == (other.text, other.language)


class SpeechQueue:
    """Orders utterances by priority, then arrival; one plays at a time."""

    def __init__(self, play: Callable[[Utterance], None], interrupt: Callable[[], None] = lambda: None) -> None:
        self._play = play
        self._interrupt = interrupt
        self.current: Utterance | None = None
        self.pending: list[Utterance] = []
        self._interrupting = False
        self._starting = False  # inside _next(): a player that finishes at once does not recurse

    def say(self, text: str, language: str, *, priority: Priority = Priority.GUIDANCE, channel: str = "",
            new_screen: bool = False) -> None:
        """Queue one utterance. ``new_screen``: it starts a new screen's guidance (stale guidance goes)."""
        if not text.strip():
            return
        item = Utterance(text, language, Priority(priority), channel)
        if new_screen:
            self.pending = [u for u in self.pending if u.priority is not Priority.GUIDANCE]
        if self.current is not None and self.current.same_words(item) and not self._interrupting:
            return  # being said right now
        if any(u.same_words(item) for u in self.pending):
            return
        if channel:
            self.pending = [u for u in self.pending if u.channel != channel]
        # After every queued utterance of the same or higher priority, before any of lower priority.
        at = next((i for i, u in enumerate(self.pending) if u.priority < item.priority), len(self.pending))
        self.pending.insert(at, item)
        if self.current is None:
            self._next()
        elif item.priority is Priority.ALERT and self.current.priority < Priority.ALERT and not self._interrupting:
            self._interrupting = True
            self._interrupt()

    def finished(self) -> None:
        """The player is done with the current utterance (spoken to the end, stopped, or failed)."""
        self.current = None
        self._interrupting = False
        self._next()

    def clear(self) -> None:
        """Forget everything queued and stop what is being said (the session ended, speech turned off)."""
        self.pending.clear()
        if self.current is not None and not self._interrupting:
            self._interrupting = True
            self._interrupt()

    @property
    def busy(self) -> bool:
        return self.current is not None or bool(self.pending)

    def _next(self) -> None:
        if self._starting:
            return
        self._starting = True
        try:
            while self.current is None and self.pending:
                self.current = self.pending.pop(0)
                self._play(self.current)  # may call finished() at once (a player with no audio)
        finally:
            self._starting = False

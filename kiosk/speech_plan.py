"""What to say, and how urgently, as the screen changes (no Qt).

The journey asks for a screen's guidance (its title and body, kiosk.i18n.SPOKEN) with a Speak
effect. This module adds what a person who cannot read the screen also needs, from the change
between two snapshots of the view (kiosk.journey_view.build_view):

- the message a screen shows (why the card was refused, why the print failed) after its title;
- an input error (a wrong USCC, a wrong PIN) as soon as it appears, as an alert;
- the inactivity countdown when it starts and again at COUNTDOWN_AT seconds left.

The choices on a screen are read from the rendered screen by the front end (they are whatever
buttons it shows), so they always match what is there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk import i18n
from kiosk.speech_queue import Priority

# Screens whose guidance is spoken in every mode: the offer of 长辈模式 is for people who have not
# turned it on, so it must be heard before it is chosen.
ALWAYS_SPOKEN = frozenset({"assist_offer"})
# Screens whose view "message" (a message key) tells the person what went wrong.
MESSAGE_SCREENS = frozenset({"card_problem", "face_failed", "notice", "print_failed", "start_again"})
STATUS_KEYS = frozenset({"staff_checking"})  # shown in the error line but news, not an error
COUNTDOWN_AT = (10, 5)  # seconds left at which the countdown is said again


@dataclass(frozen=True)
class Cue:
    """One thing to say: a message key with its %1.. arguments, its priority and channel."""

    key: str
    args: tuple[Any, ...] = ()
    priority: Priority = Priority.GUIDANCE
    channel: str = ""

    def text(self, language: str) -> str:
        """The words in ``language``; "" for a key with no text (never the key itself)."""
        if self.key not in i18n.table()["zh-CN"]:
            return ""
        return i18n.fmt(self.key, language, *self.args)


def view_cues(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Cue]:
    """What the change from ``old`` to ``new`` adds to the screen's own guidance, in order."""
    cues: list[Cue] = []
    screen = new.get("screen", "")
    message = new.get("message") or ""
    if screen != old.get("screen"):
        if screen in MESSAGE_SCREENS and message:
            cues.append(Cue(message, channel="message"))
    else:
        error = new.get("inputError") or ""
        if error and error != old.get("inputError"):
            urgency = Priority.PROMPT if error in STATUS_KEYS else Priority.ALERT
            cues.append(Cue(error, priority=urgency, channel="error"))
    left, before = int(new.get("warning", -1)), int(old.get("warning", -1))
    if left >= 0 and (before < 0 or any(left <= mark < before for mark in COUNTDOWN_AT)):
        cues.append(Cue("timeout_body", (left,), Priority.PROMPT, "countdown"))
    return cues


def choices_sentence(labels: list[str], language: str) -> str:
    """The choices on a screen as one sentence: 可选：A、B、C。"""
    labels = [label.strip() for label in labels if label and label.strip()]
    if not labels:
        return ""
    joiner = ", " if language == "en" else "、"
    return i18n.fmt("spoken_choices", language, joiner.join(labels))

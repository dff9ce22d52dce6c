"""Spoken guidance for the kiosk window: kiosk.speech_queue run on the UI thread.

The queue (Qt-free) decides order, priority, coalescing and when to interrupt; this adapter
hands each utterance to the speaker (devices.speech: speak(text, language, done)) and brings
its end back to the UI thread through a queued signal. A speaker with only say() (any
kiosk.interfaces.Speaker) is treated as one that finishes at once.

It also reads a screen's choices from the rendered window: the visible buttons, in reading order
(top to bottom, left to right), without the header's staff-call button and keypad keys.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRectF, QTimer, Signal, Slot
from PySide6.QtQuick import QQuickItem, QQuickWindow
from shiboken6 import isValid

from kiosk.speech_queue import Priority, SpeechQueue, Utterance
from screens.queued import QueuedEmitter

# Buttons that are not a choice of the screen: on every screen, or one key of a keypad.
NOT_CHOICES = ("callStaff", "cancelStaffCall", "maintenanceCorner")
NOT_CHOICE_PREFIXES = ("key_",)


class SpokenGuidance(QObject):
    """One queue of utterances for one speaker."""

    _ended = Signal(int)

    def __init__(self, speaker: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.speaker = speaker
        self.queue = SpeechQueue(self._play, self._interrupt)
        self._serial = 0
        self._ended.connect(self._on_ended)
        self._later = QueuedEmitter(self, self._ended)  # a queued connection without Qt's namespace

    def say(self, text: str, language: str, *, priority: Priority = Priority.GUIDANCE, channel: str = "",
            new_screen: bool = False) -> None:
        self.queue.say(text, language, priority=priority, channel=channel, new_screen=new_screen)

    def clear(self) -> None:
        self.queue.clear()

    def _play(self, utterance: Utterance) -> None:
        self._serial += 1
        serial = self._serial
        speak = getattr(self.speaker, "speak", None)
        if speak is None:
            self.speaker.say(utterance.text, utterance.language)
            self._later.emit(serial)
        else:
            speak(utterance.text, utterance.language, lambda: self._later.emit(serial))

    def _interrupt(self) -> None:
        interrupt = getattr(self.speaker, "interrupt", None)
        if interrupt is not None:
            interrupt()

    @Slot(int)
    def _on_ended(self, serial: int) -> None:
        if serial == self._serial and self.queue.current is not None:
            self.queue.finished()

    def after_render(self, callback: Any) -> None:
        """Run ``callback`` once the window has taken in the current view (next event loop turn)."""
        QTimer.singleShot(0, self, callback)


def screen_choices(window: QQuickWindow | None) -> list[str]:
    """The names of the visible buttons of the screen, in reading order."""
    from PySide6.QtGui import QAccessible  # ~1 ms of enums: kept off the path to the first frame

    if window is None or not isValid(window):
        return []  # none yet, or closed
    found: list[tuple[float, float, str]] = []
    for item in _visible(window.contentItem()):
        name = item.objectName()
        if name in NOT_CHOICES or name.startswith(NOT_CHOICE_PREFIXES):
            continue
        iface = QAccessible.queryAccessibleInterface(item)
        if iface is None or iface.role() != QAccessible.Role.Button or not item.isEnabled():
            continue
        label = iface.text(QAccessible.Text.Name)
        if label:
            rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
            found.append((round(rect.center().y() / 40), rect.x(), label))
    found.sort()
    return [label for _, _, label in found]


def _visible(root: QQuickItem) -> list[QQuickItem]:
    out: list[QQuickItem] = []
    for child in root.childItems():
        if child.isVisible() and child.opacity() > 0:
            out.append(child)
            out.extend(_visible(child))
    return out

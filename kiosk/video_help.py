"""Video help (远程帮办) as seen by the citizen: choose, consent, connect, talk, rate (no Qt, no I/O).

The desk is a small state machine beside the journey. The journey's screen never changes
during a call: the call is shown over it, the journey's inactivity clock is held, and when
the call ends the citizen is back where they were.

    idle -> choosing -> consent -> connecting -> connected -> rating -> idle
                           |           |             |
                           |           +-> no_answer (offer a person at the kiosk)
                           +-> declined: back to choosing (the other help stays)
    connecting | connected -> ended (network lost / failed: said plainly) -> rating | idle

The desk asks for work through effects (dataclasses) that the front end runs on workers;
the call driver reports back through the ``*_`` methods. Nothing personal is kept: a call
has an id, a media mode and a state. A highlight is a point in screen fractions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

STATES = ("idle", "choosing", "consent", "connecting", "connected", "no_answer", "ended", "rating")
IN_CALL = frozenset({"connecting", "connected"})
SHOWN = frozenset(STATES) - {"idle"}
# What the kiosk could share; a message key for each fallback, said plainly on the call screen.
MEDIA_MODES = {"full": "video_media_full", "no_camera": "video_media_no_camera",
               "no_microphone": "video_media_no_microphone", "screen_only": "video_media_screen_only"}
END_REASONS = {"citizen": "video_ended_citizen", "agent": "video_ended_agent", "network": "video_ended_network",
               "failed": "video_ended_failed", "session": "video_ended_citizen"}
RATING_LEVELS = (5, 4, 3, 2, 1)
HIGHLIGHT_SECONDS = 4.0


@dataclass(frozen=True)
class StartVideoCall:
    """Effect: place the call on the platform and start the media session."""

    call_id: str
    assisted: bool
    screen: str


@dataclass(frozen=True)
class EndVideoCall:
    call_id: str
    reason: str


@dataclass(frozen=True)
class RateVideoHelp:
    """Effect: a 好差评 rating of the 帮办 service (no personal data)."""

    call_id: str
    level: int


@dataclass(frozen=True)
class SayVideo:
    """Effect: speak this message key (assisted mode)."""

    key: str


@dataclass
class Highlight:
    x: float
    y: float
    until: float


@dataclass
class VideoDesk:
    """The one video call this kiosk may have. Call from one thread (the UI thread)."""

    emit: Callable[[object], None]
    changed: Callable[[], None]
    clock: Callable[[], float]
    answer_seconds: float = 60.0
    state: str = "idle"
    call_id: str = ""
    media: str = "full"
    ended_reason: str = ""
    placed_at: float = 0.0
    connected_at: float = 0.0
    agent_id: str = ""
    highlight: Highlight | None = None
    agent_video: bool = False
    agent_audio: bool = False
    enlarged: bool = False
    _rated: set[str] = field(default_factory=set)

    # ------------------------------------------------------------ what the screen shows

    @property
    def active(self) -> bool:
        """The desk covers the journey's screen (the journey's clock is held)."""
        return self.state in SHOWN

    def message(self) -> str:
        """The message key for the current state."""
        if self.state == "connecting":
            return "video_connecting"
        if self.state == "connected":
            return MEDIA_MODES.get(self.media, "video_media_full")
        if self.state == "no_answer":
            return "video_no_answer"
        if self.state == "ended":
            return END_REASONS.get(self.ended_reason, "video_ended_failed")
        return ""

    def view(self) -> dict[str, object]:
        now = self.clock()
        h = self.highlight if self.highlight is not None and self.highlight.until > now else None
        return {"state": self.state, "message": self.message(), "media": self.media,
                "waited": int(now - self.placed_at) if self.state == "connecting" else 0,
                "highlight": {"x": h.x, "y": h.y} if h else None, "agentVideo": self.agent_video,
                "agentAudio": self.agent_audio, "enlarged": self.enlarged}

    # ------------------------------------------------------------ citizen

    def ask(self) -> None:
        """呼叫工作人员 with video available: show the two kinds of help."""
        if self.state == "idle":
            self._set("choosing")

    def choose_video(self) -> None:
        if self.state in ("choosing", "no_answer", "ended") and not self._in_call():
            self._set("consent")

    def consent(self, agree: bool, *, assisted: bool = False, screen: str = "") -> None:
        """Yes: the call starts. No: back to the choice, the other help is still there.

        assisted and screen (a screen name, never personal data) tell the agent's queue who waits."""
        if self.state != "consent":
            return
        if not agree:
            self._set("choosing")
            return
        self.call_id = "vc-" + os.urandom(8).hex()
        self.placed_at = self.clock()
        self.media, self.ended_reason, self.agent_id = "full", "", ""
        self.agent_video = self.agent_audio = self.enlarged = False
        self.highlight = None
        self.emit(StartVideoCall(self.call_id, assisted=assisted, screen=screen[:32]))
        self._set("connecting", say="video_connecting")

    def hang_up(self) -> None:
        """The citizen ends the call (or cancels the wait)."""
        if self._in_call():
            self._end("citizen")

    def close(self) -> None:
        """Leave the help screens without a call (or skip the rating)."""
        if not self._in_call():
            self.state = "idle"
            self.changed()

    def toggle_enlarged(self) -> None:
        if self.state == "connected":
            self.enlarged = not self.enlarged
            self.changed()

    def rate(self, level: int) -> None:
        if self.state == "rating" and level in RATING_LEVELS and self.call_id not in self._rated:
            self._rated.add(self.call_id)
            self.emit(RateVideoHelp(self.call_id, level))
            self.state = "idle"
            self.changed()

    def session_ended(self) -> None:
        """The citizen's session ended (card removed, timeout): the call goes with it, no rating."""
        if self._in_call():
            self.emit(EndVideoCall(self.call_id, "session"))
        self.state, self.highlight = "idle", None
        self.changed()

    # ------------------------------------------------------------ driver and platform

    def accepted(self, call_id: str, agent_id: str = "") -> None:
        """An agent took the call: media is being connected."""
        if call_id == self.call_id and self.state == "connecting":
            self.agent_id = agent_id[:32]
            self.changed()

    def connected(self, call_id: str, media: str) -> None:
        if call_id == self.call_id and self.state == "connecting":
            self.media = media if media in MEDIA_MODES else "screen_only"
            self.connected_at = self.clock()
            self._set("connected", say="video_connected")

    def remote_track(self, call_id: str, kind: str) -> None:
        if call_id == self.call_id and self._in_call():
            if kind == "video":
                self.agent_video = True
            elif kind == "audio":
                self.agent_audio = True
            self.changed()

    def point(self, call_id: str, x: object, y: object) -> None:
        """The agent points at a spot: fractions of the screen, anything else ignored."""
        if call_id != self.call_id or self.state != "connected":
            return
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
            return
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):  # type: ignore[operator]
            return
        self.highlight = Highlight(float(x), float(y), self.clock() + HIGHLIGHT_SECONDS)  # type: ignore[arg-type]
        self.changed()

    def ended(self, call_id: str, reason: str) -> None:
        """The driver reports the end: the agent hung up, the network dropped, the call failed."""
        if call_id == self.call_id and self._in_call():
            self._end(reason if reason in END_REASONS else "failed", tell_driver=False)

    def tick(self) -> None:
        """About once a second: no agent within answer_seconds -> say so; highlights fade."""
        now = self.clock()
        if self.state == "connecting" and now - self.placed_at >= self.answer_seconds:
            self.emit(EndVideoCall(self.call_id, "no_answer"))
            self._set("no_answer", say="video_no_answer")
        elif self.highlight is not None and self.highlight.until <= now:
            self.highlight = None
            self.changed()
        elif self.state == "connecting":
            self.changed()  # the waiting time moves

    # ------------------------------------------------------------ helpers

    def _in_call(self) -> bool:
        return self.state in IN_CALL

    def _end(self, reason: str, *, tell_driver: bool = True) -> None:
        was_connected = self.state == "connected"
        if tell_driver:
            self.emit(EndVideoCall(self.call_id, reason))
        self.ended_reason, self.highlight, self.enlarged = reason, None, False
        if was_connected and reason in ("citizen", "agent"):
            self._set("rating", say="video_rate")
        else:
            self._set("ended", say=END_REASONS.get(reason, "video_ended_failed"))

    def _set(self, state: str, *, say: str = "") -> None:
        self.state = state
        if say:
            self.emit(SayVideo(say))
        self.changed()

"""Video help (远程帮办) on the platform: the queue of waiting kiosks and the call signalling.

The platform only passes the offer and the answer between a kiosk and an agent; media goes
peer to peer and never reaches the platform. Calls live in memory: an SDP holds network
addresses, not personal data, and is dropped when the call ends. What is kept of a call (for
the hall's day summary) is its id, kiosk, times, the agent's id and an outcome code the agent
picks from a fixed list: no free text, so nothing personal can be written down.

    waiting --accept--> accepted --answer--> answered --end--> ended
       +--------------------------- end (kiosk, agent, timeout) ---^
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CALL_ID = re.compile(r"vc-[0-9a-f]{16}")
MAX_SDP = 64 * 1024
MEDIA = ("full", "no_camera", "no_microphone", "screen_only")
STREAMS = ("screen", "camera")
KIOSK_END_REASONS = ("citizen", "session", "no_answer", "failed", "network")
# What the agent notes at the end: what was done, never who or what they showed.
OUTCOMES = ("explained_steps", "pointed_on_screen", "checked_materials", "sent_staff", "referred_elsewhere",
            "not_resolved", "no_contact")
STALE_SECONDS = 10 * 60  # a call nobody ended is dropped after this long
KEEP_ENDED = 200


class CallError(Exception):
    """Why a call operation was refused: status and a short slug for problem+json."""

    def __init__(self, status: int, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail


@dataclass
class VideoCall:
    call_id: str
    kiosk_id: str
    assisted: bool
    screen: str
    media: str
    streams: tuple[str, ...]
    created_at: float
    offer: str = field(repr=False, default="")
    answer: str = field(repr=False, default="")
    state: str = "waiting"
    agent_id: str = ""
    accepted_at: float | None = None
    ended_at: float | None = None
    ended_by: str = ""
    outcome: str = ""


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value if c.isprintable())[:limit]


def _sdp(value: Any) -> str:
    if not isinstance(value, str) or not value.startswith("v=0") or len(value) > MAX_SDP:
        raise CallError(400, "bad-sdp", "sdp must be a session description of at most 64 KiB")
    return value


class VideoCalls:
    """Thread-safe calls for the platform's handlers. clock is seconds (time.time)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._calls: dict[str, VideoCall] = {}
        self.version = 0

    def _bump(self) -> None:
        self.version += 1
        self._changed.notify_all()

    def _expire(self) -> None:
        """Lock held: calls nobody ended end by themselves; old ended ones are forgotten."""
        now = self.clock()
        for call in self._calls.values():
            if call.state != "ended" and now - call.created_at > STALE_SECONDS:
                self._end(call, "timeout")
        ended = [c for c in self._calls.values() if c.state == "ended"]
        for call in sorted(ended, key=lambda c: c.ended_at or 0)[:-KEEP_ENDED or None]:
            del self._calls[call.call_id]

    def _end(self, call: VideoCall, by: str) -> None:
        call.state, call.ended_at, call.ended_by = "ended", self.clock(), by
        call.offer = call.answer = ""  # nothing of the session is kept
        self._bump()

    # ------------------------------------------------------------ kiosk side

    def open(self, kiosk_id: str, body: dict[str, Any]) -> VideoCall:
        call_id = body.get("call_id")
        if not isinstance(call_id, str) or not CALL_ID.fullmatch(call_id):
            raise CallError(400, "bad-call", "call_id must look like vc- and 16 hex digits")
        media = body.get("media", "full")
        streams = body.get("streams", ["screen"])
        screen = body.get("screen", "")
        if media not in MEDIA or not isinstance(streams, list) or not streams \
                or any(s not in STREAMS for s in streams) or len(set(streams)) != len(streams) \
                or not isinstance(body.get("assisted", False), bool) \
                or not isinstance(screen, str) or len(screen) > 32:
            raise CallError(400, "bad-call", "media, streams, screen or assisted not understood")
        offer = _sdp(body.get("offer"))
        with self._lock:
            self._expire()
            known = self._calls.get(call_id)
            if known is not None:
                if known.kiosk_id != kiosk_id:
                    raise CallError(409, "call-conflict", "this call id is taken")
                return known
            call = VideoCall(call_id, kiosk_id, body.get("assisted", False), _text(screen, 32), media,
                             tuple(streams), self.clock(), offer=offer)
            self._calls[call_id] = call
            self._bump()
            return call

    def status(self, call_id: str, kiosk_id: str) -> dict[str, Any]:
        with self._lock:
            call = self._own(call_id, kiosk_id)
            return {"call_id": call.call_id, "state": call.state, "agent_id": call.agent_id,
                    "answer": call.answer if call.state == "answered" else ""}

    def end_by_kiosk(self, call_id: str, kiosk_id: str, reason: Any) -> VideoCall:
        with self._lock:
            call = self._own(call_id, kiosk_id)
            if call.state != "ended":
                self._end(call, "kiosk:" + (reason if reason in KIOSK_END_REASONS else "citizen"))
            return call

    def _own(self, call_id: str, kiosk_id: str) -> VideoCall:
        call = self._calls.get(call_id)
        if call is None or call.kiosk_id != kiosk_id:
            raise CallError(404, "no-call", "no such call from this kiosk")
        return call

    # ------------------------------------------------------------ agent side

    def queue(self) -> list[dict[str, Any]]:
        """Waiting and running calls, oldest first (no personal data: ids, flags, times)."""
        with self._lock:
            self._expire()
            now = self.clock()
            calls = sorted((c for c in self._calls.values() if c.state != "ended"), key=lambda c: c.created_at)
            return [{"call_id": c.call_id, "kiosk_id": c.kiosk_id, "assisted": c.assisted, "screen": c.screen,
                     "media": c.media, "state": c.state, "agent_id": c.agent_id,
                     "waited": int(now - c.created_at)} for c in calls]

    def accept(self, call_id: str, agent_id: str) -> dict[str, Any]:
        """The first agent to accept gets the kiosk's offer; later ones get a 409."""
        with self._lock:
            call = self._calls.get(call_id)
            if call is None or call.state == "ended":
                raise CallError(404, "no-call", "no such waiting call")
            if call.state != "waiting" and call.agent_id != agent_id:
                raise CallError(409, "taken", "another agent has this call")
            call.state, call.agent_id, call.accepted_at = "accepted", agent_id, self.clock()
            self._bump()
            return {"call_id": call.call_id, "offer": call.offer, "streams": list(call.streams),
                    "media": call.media, "assisted": call.assisted}

    def answer(self, call_id: str, agent_id: str, sdp: Any) -> None:
        sdp = _sdp(sdp)
        with self._lock:
            call = self._agents(call_id, agent_id)
            if call.state != "accepted":
                raise CallError(409, "not-accepted", "accept the call first")
            call.answer, call.state = sdp, "answered"
            self._bump()

    def end_by_agent(self, call_id: str, agent_id: str, outcome: Any) -> VideoCall:
        if outcome not in OUTCOMES:
            raise CallError(400, "bad-outcome", "outcome must be one of " + ", ".join(OUTCOMES))
        with self._lock:
            call = self._agents(call_id, agent_id)
            if call.state != "ended":
                self._end(call, "agent")
            call.outcome = outcome
            return call

    def _agents(self, call_id: str, agent_id: str) -> VideoCall:
        call = self._calls.get(call_id)
        if call is None or call.agent_id != agent_id:
            raise CallError(404, "no-call", "no such call of yours")
        return call

    def ended(self) -> list[dict[str, Any]]:
        """Ended calls as kept: ids, times, agent and outcome (for the day summary and tests)."""
        with self._lock:
            return [{"call_id": c.call_id, "kiosk_id": c.kiosk_id, "agent_id": c.agent_id, "outcome": c.outcome,
                     "ended_by": c.ended_by, "created_at": c.created_at, "accepted_at": c.accepted_at,
                     "ended_at": c.ended_at} for c in self._calls.values() if c.state == "ended"]

    def wait_change(self, seen: int, timeout: float) -> int:
        with self._changed:
            self._changed.wait_for(lambda: self.version != seen, timeout)
            return self.version

"""Video help over WebRTC (aiortc), on its own asyncio thread: never the UI thread.

The kiosk is the offerer. Its offer carries, in this order, the kiosk's screen (video, also
receiving the agent's camera), the kiosk's camera (video, send only, when there is one), audio
(the microphone when there is one; always receiving the agent's voice) and a data channel
"help" on which the agent points at the screen. ICE candidates travel inside the SDP (aiortc
gathers them all before the offer is sent), so one offer and one answer go through the
platform's signalling and nothing else. STUN/TURN servers come from config (video.*).

Media lives in memory only: frames are encoded and sent, received frames are counted, shown
and dropped. Nothing is written to disk and nothing about the media is logged.

aiortc and av are imported inside the call thread, never on the kiosk's start-up path.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger("kiosk.video")

POLL_SECONDS = 0.25  # how often the kiosk asks the platform for the answer
DISCONNECT_GRACE = 4.0  # a "disconnected" peer that does not come back within this is a dropped network
MEDIA_SILENCE = 6.0  # connected, but nothing at all from the agent for this long: the network dropped
MAX_MESSAGE = 512  # data channel messages longer than this are ignored


class CallSignalling(Protocol):
    """The platform's side of the call (blocking calls: the session runs them in an executor)."""

    def open_call(self, call_id: str, *, offer: str, assisted: bool, screen: str, media: str,
                  streams: Sequence[str]) -> None: ...

    def poll(self, call_id: str) -> dict[str, Any]:
        """{"state": "waiting" | "accepted" | "answered" | "ended", "answer": sdp or "", "agent_id": ...}"""

    def end_call(self, call_id: str, reason: str) -> None: ...


@dataclass(frozen=True)
class CallEvent:
    """What the session reports (on its own thread). kind: accepted, connected, remote_track,
    highlight, ended."""

    call_id: str
    kind: str
    media: str = ""
    reason: str = ""
    x: float = 0.0
    y: float = 0.0
    agent_id: str = ""
    track: str = ""


class ScreenMailbox:
    """The newest picture of the kiosk's screen: put() on the UI thread, taken by the sender."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._image: Any = None  # numpy RGB array (height, width, 3)
        self.serial = 0

    def put(self, image: Any) -> None:
        with self._lock:
            self._image = image
            self.serial += 1

    def newest(self) -> tuple[Any, int]:
        with self._lock:
            return self._image, self.serial

    def clear(self) -> None:
        with self._lock:
            self._image = None


def parse_ice_servers(text: str, username: str = "", password: str = "") -> list[dict[str, Any]]:
    """video.ice_servers -> [{"urls": ..., "username": ..., "credential": ...}] (TURN gets the credential)."""
    servers = []
    for url in (u.strip() for u in text.split(",")):
        if not url:
            continue
        server: dict[str, Any] = {"urls": url}
        if url.startswith("turn") and username:
            server.update(username=username, credential=password)
        servers.append(server)
    return servers


def parse_highlight(message: object) -> tuple[float, float] | None:
    """A data channel message {"type": "highlight", "x": 0..1, "y": 0..1}; anything else -> None."""
    if not isinstance(message, str) or len(message) > MAX_MESSAGE:
        return None
    try:
        data = json.loads(message)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "highlight":
        return None
    x, y = data.get("x"), data.get("y")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (x, y)):
        return None
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        return None
    return float(x), float(y)


class VideoCallSession:
    """One call: start() runs it on a thread with its own event loop; stop() ends it from any thread.

    listener gets CallEvents on the call thread; on_agent_frame gets the agent's picture as a
    BGR numpy array (small, newest only) on the call thread.
    """

    def __init__(self, call_id: str, *, signalling: CallSignalling, screen: ScreenMailbox,
                 listener: Callable[[CallEvent], None], camera: Any = None, microphone: str = "", speaker: Any = "",
                 ice_servers: Sequence[dict[str, Any]] = (), fps: float = 8.0, assisted: bool = False,
                 screen_name: str = "", on_agent_frame: Callable[[Any], None] | None = None,
                 poll_seconds: float = POLL_SECONDS) -> None:
        self.call_id = call_id
        self._signalling, self._screen, self._listener = signalling, screen, listener
        self._camera, self._microphone = camera, microphone
        self._speaker_spec = speaker  # "alsa:default", "" (not played) or an AudioOut-like object (tests)
        self.speaker: Any = None
        self._ice = list(ice_servers)
        self.fps = fps
        self._assisted, self._screen_name = assisted, screen_name
        self._on_agent_frame = on_agent_frame
        self._poll = poll_seconds
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_reason = "citizen"
        self._ended = False
        self._camera_open = False
        self.media = "full"
        self.screen_frames_sent = 0
        self.agent_video_frames = 0
        self.agent_audio_frames = 0
        self.started_at = 0.0
        self.connected_at = 0.0

    # ------------------------------------------------------------ any thread

    def start(self) -> None:
        self.started_at = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="kiosk-video", daemon=True)
        self._thread.start()

    def stop(self, reason: str = "citizen", *, wait: float = 5.0) -> None:
        """End the call (idempotent). Waits up to `wait` seconds for the thread to close it."""
        self._stop_reason = reason
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop.set)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and wait > 0:
            thread.join(wait)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------ call thread

    def _emit(self, kind: str, **fields: Any) -> None:
        try:
            self._listener(CallEvent(self.call_id, kind, **fields))
        except Exception as exc:  # the front end must never stop the call thread
            log.error("call listener failed", extra={"event": "video", "error": type(exc).__name__})

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._call())
        except Exception as exc:  # any failure ends the call plainly, never the kiosk
            log.warning("video call failed", extra={"event": "video", "error": type(exc).__name__})
            self._finish("failed")
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._close_camera()

    def _finish(self, reason: str) -> None:
        if not self._ended:
            self._ended = True
            self._emit("ended", reason=reason)

    def _close_camera(self) -> None:
        if self._camera_open:
            self._camera_open = False
            with contextlib.suppress(Exception):
                self._camera.close()

    async def _blocking(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))

    async def _call(self) -> None:
        from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection

        from devices.video_tracks import (
            CameraTrack,
            ScreenTrack,
            consume_audio,
            consume_video,
            open_microphone,
            open_speaker,
        )

        self._stop = asyncio.Event()
        config = RTCConfiguration(iceServers=[RTCIceServer(**s) for s in self._ice])
        pc = RTCPeerConnection(configuration=config)
        streams = ["screen"]
        screen_track = ScreenTrack(self._screen, self.fps, self)
        pc.addTransceiver(screen_track, direction="sendrecv")
        has_camera = await self._open_camera()
        if has_camera:
            pc.addTransceiver(CameraTrack(self._camera), direction="sendonly")
            streams.append("camera")
        microphone = await self._blocking(open_microphone, self._microphone) if self._microphone else None
        if microphone is not None:
            pc.addTransceiver(microphone.audio, direction="sendrecv")
        else:
            pc.addTransceiver("audio", direction="recvonly")
        self.media = {(True, True): "full", (False, True): "no_camera", (True, False): "no_microphone",
                      (False, False): "screen_only"}[(has_camera, microphone is not None)]
        channel = pc.createDataChannel("help")
        state = {"connected": asyncio.Event(), "lost_at": None, "failed": False}
        consumers: list[asyncio.Task] = []

        @channel.on("close")
        def on_close() -> None:
            state["lost_at"] = state["lost_at"] or time.monotonic()

        @channel.on("message")
        def on_message(message: object) -> None:
            point = parse_highlight(message)
            if point is not None:
                self._emit("highlight", x=point[0], y=point[1])

        @pc.on("track")
        def on_track(track: Any) -> None:
            self._emit("remote_track", track=track.kind)
            if track.kind == "audio":
                if self.speaker is None and self._speaker_spec:
                    spec = self._speaker_spec
                    self.speaker = open_speaker(spec) if isinstance(spec, str) else spec
                consumers.append(asyncio.ensure_future(consume_audio(track, self, self.speaker)))
            else:
                consumers.append(asyncio.ensure_future(consume_video(track, self, self._on_agent_frame)))

        @pc.on("connectionstatechange")
        def on_state() -> None:
            s = pc.connectionState
            if s == "connected":
                state["lost_at"] = None
                state["connected"].set()
            elif s == "disconnected":
                state["lost_at"] = state["lost_at"] or time.monotonic()
            elif s == "failed":
                state["failed"] = True

        try:
            await pc.setLocalDescription(await pc.createOffer())
            await self._blocking(self._signalling.open_call, self.call_id, offer=pc.localDescription.sdp,
                                 assisted=self._assisted, screen=self._screen_name, media=self.media,
                                 streams=streams)
            reason = await self._converse(pc, state)
        finally:
            for task in consumers:
                task.cancel()
            with contextlib.suppress(Exception):
                await pc.close()
            if microphone is not None:
                with contextlib.suppress(Exception):
                    microphone.audio.stop()
            if self.speaker is not None:
                await self._blocking(self.speaker.close)
            self._close_camera()
        if reason in ("citizen", "session", "no_answer", "failed", "network"):
            with contextlib.suppress(Exception):
                await self._blocking(self._signalling.end_call, self.call_id, reason)
        self._finish(reason)

    async def _open_camera(self) -> bool:
        if self._camera is None:
            return False
        try:
            await self._blocking(self._camera.open)
        except Exception:  # CameraError or a driver crash: the call goes on without it
            log.info("video call without camera", extra={"event": "video", "media": "no_camera"})
            return False
        self._camera_open = True
        return True

    async def _converse(self, pc: Any, state: dict[str, Any]) -> str:
        """Wait for the answer, then for the end. Returns the end reason."""
        from aiortc import RTCSessionDescription

        answered = accepted = False
        failures = 0
        next_poll = 0.0
        heard, heard_at = 0, time.monotonic()
        while True:
            if self._stop.is_set():
                return self._stop_reason
            now = time.monotonic()
            received = self.agent_audio_frames + self.agent_video_frames
            if received != heard:
                heard, heard_at = received, now
            silent = self.connected_at and now - max(heard_at, self.connected_at) > MEDIA_SILENCE
            if state["failed"] or silent or (state["lost_at"] and now - state["lost_at"] > DISCONNECT_GRACE):
                return await self._lost_reason()
            if answered and state["connected"].is_set() and not self.connected_at:
                self.connected_at = now
                self._emit("connected", media=self.media)
            if now >= next_poll:
                next_poll = now + (self._poll if not answered else max(1.0, self._poll))
                try:
                    status = await self._blocking(self._signalling.poll, self.call_id)
                    failures = 0
                except Exception:
                    failures += 1
                    if failures >= 8 and not self.connected_at:  # the platform is gone before media flows
                        return "network"
                    status = {}
                call_state = status.get("state")
                if call_state == "ended":
                    return "agent"
                if call_state in ("accepted", "answered") and not accepted:
                    accepted = True
                    self._emit("accepted", agent_id=str(status.get("agent_id", ""))[:32])
                answer = status.get("answer")
                if call_state == "answered" and not answered and isinstance(answer, str) and answer:
                    answered = True
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 0.05)


    async def _lost_reason(self) -> str:
        """The media went away: the agent's hang-up if the platform says so, else the network."""
        try:
            status = await asyncio.wait_for(self._blocking(self._signalling.poll, self.call_id), 3.0)
        except Exception:
            return "network"
        return "agent" if status.get("state") == "ended" else "network"


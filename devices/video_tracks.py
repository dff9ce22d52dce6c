"""The media tracks of a video-help call (aiortc; imported only inside the call thread).

ScreenTrack sends the newest picture of the kiosk's screen at a fixed rate; CameraTrack sends
the kiosk camera's frames (kiosk.interfaces.Camera: the same driver the face check uses, never
at the same time); the consumers take the agent's audio and video, count them, hand the
newest picture to the screen and drop everything else. Nothing goes to disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from aiortc import MediaStreamTrack
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError

log = logging.getLogger("kiosk.video")

CLOCK = 90_000
TIME_BASE = fractions.Fraction(1, CLOCK)
BLANK = (360, 640)  # what the screen track sends before the first picture arrives
AGENT_PICTURE_WIDTH = 320  # the agent's picture is shown in a corner: keep it small


def _even(image: np.ndarray) -> np.ndarray:
    """VP8/H.264 want even sizes: drop a last odd row or column."""
    h, w = image.shape[:2]
    return image[: h - h % 2, : w - w % 2]


class ScreenTrack(MediaStreamTrack):
    """The kiosk's own screen at `fps` frames a second (the newest picture each time)."""

    kind = "video"

    def __init__(self, mailbox: Any, fps: float, stats: Any) -> None:
        super().__init__()
        self._mailbox, self._interval, self._stats = mailbox, 1.0 / fps, stats
        self._start: float | None = None
        self._next = 0.0

    async def recv(self) -> av.VideoFrame:
        now = time.monotonic()
        if self._start is None:
            self._start = self._next = now
        else:
            self._next += self._interval
            if self._next < now - self._interval:  # fell behind: do not burst to catch up
                self._next = now
            delay = self._next - now
            if delay > 0:
                await asyncio.sleep(delay)
        image, _ = self._mailbox.newest()
        if image is None:
            image = np.zeros((*BLANK, 3), np.uint8)
        frame = av.VideoFrame.from_ndarray(_even(image), format="rgb24")
        frame.pts = int((self._next - self._start) * CLOCK)
        frame.time_base = TIME_BASE
        self._stats.screen_frames_sent += 1
        return frame


class CameraTrack(MediaStreamTrack):
    """The kiosk camera (opened by the session); a camera fault sends its last picture darkened."""

    kind = "video"

    def __init__(self, camera: Any) -> None:
        super().__init__()
        self._camera = camera
        self._start: float | None = None
        self._last: np.ndarray | None = None

    async def recv(self) -> av.VideoFrame:
        loop = asyncio.get_running_loop()
        image = None
        try:
            frame = await loop.run_in_executor(None, self._camera.read)
            if frame is not None:
                image = np.frombuffer(frame.data, np.uint8).reshape(frame.height, frame.width, 3)
        except Exception:  # CameraError: lost or frozen mid-call
            await asyncio.sleep(0.2)
        if image is None:
            image = (self._last // 3) if self._last is not None else np.zeros((*BLANK, 3), np.uint8)
        self._last = image
        now = time.monotonic()
        self._start = self._start if self._start is not None else now
        out = av.VideoFrame.from_ndarray(_even(image), format="bgr24")
        out.pts = int((now - self._start) * CLOCK)
        out.time_base = TIME_BASE
        return out


def open_microphone(spec: str) -> Any:
    """video.microphone "pulse:default" / "alsa:default" -> a MediaPlayer with an audio track, or None."""
    fmt, _, device = spec.partition(":")
    try:
        player = MediaPlayer(device, format=fmt)
    except Exception:  # av.error.* when the device is missing
        log.info("video call without microphone", extra={"event": "video", "media": "no_microphone"})
        return None
    return player if player.audio is not None else None


class AudioOut:
    """Plays the agent's voice on a sound device (ffmpeg output format + device, e.g. alsa/default).

    Frames are queued (a short, bounded queue: late audio is dropped, never piled up) and written
    by a thread of its own, because a sound device blocks at its own pace. A device that cannot
    be opened leaves the call running without sound (said once in the log, by kind only).
    `target` may be a file-like object (tests play into memory).
    """

    QUEUE = 25  # about half a second of 20 ms frames

    def __init__(self, fmt: str, target: Any) -> None:
        self._fmt, self._target = fmt, target
        self._queue: queue.Queue = queue.Queue(self.QUEUE)
        self.frames_played = 0
        self.failed = False
        self._thread = threading.Thread(target=self._run, name="kiosk-video-audio", daemon=True)
        self._thread.start()

    def put(self, frame: Any) -> None:
        if self.failed:
            return
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(frame)

    def close(self) -> None:
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(2.0)

    def _run(self) -> None:
        try:
            container = av.open(self._target, mode="w", format=self._fmt)
            stream = container.add_stream("pcm_s16le", rate=48_000, layout="stereo")
            resampler = av.AudioResampler(format="s16", layout="stereo", rate=48_000)
        except Exception as exc:  # no such device
            self.failed = True
            log.info("agent audio not played", extra={"event": "video", "error": type(exc).__name__})
            return
        try:
            while True:
                frame = self._queue.get()
                if frame is None:
                    break
                frame.pts = None
                for out in resampler.resample(frame):
                    for packet in stream.encode(out):
                        container.mux(packet)
                self.frames_played += 1
        except Exception as exc:  # the device went away mid-call
            self.failed = True
            log.info("agent audio stopped", extra={"event": "video", "error": type(exc).__name__})
        finally:
            with contextlib.suppress(Exception):
                container.close()


def open_speaker(spec: str) -> AudioOut | None:
    """video.speaker "alsa:default" -> an AudioOut; "" -> None (the voice is received, not played)."""
    if not spec:
        return None
    fmt, _, device = spec.partition(":")
    return AudioOut(fmt, device)


async def consume_audio(track: Any, stats: Any, speaker: AudioOut | None = None) -> None:
    """The agent's voice: counted, and played when there is a speaker."""
    with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
        while True:
            frame = await track.recv()
            stats.agent_audio_frames += 1
            if speaker is not None:
                speaker.put(frame)


async def consume_video(track: Any, stats: Any, sink: Callable[[Any], None] | None) -> None:
    """The agent's camera: the newest picture, scaled down, goes to sink (a BGR array), at most 10 a second."""
    shown = 0.0
    with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
        while True:
            frame = await track.recv()
            stats.agent_video_frames += 1
            now = time.monotonic()
            if sink is None or now - shown < 0.1:
                continue
            shown = now
            scale = AGENT_PICTURE_WIDTH / max(1, frame.width)
            small = frame.reformat(width=AGENT_PICTURE_WIDTH, height=max(2, int(frame.height * scale) // 2 * 2),
                                   format="bgr24")
            try:
                sink(small.to_ndarray())
            except Exception as exc:
                log.error("agent picture sink failed", extra={"event": "video", "error": type(exc).__name__})

"""OpenCV camera driver: device index, V4L2 path, video file or RTSP URL, captured on its own thread.

The capture thread keeps only the newest frame (latest-frame handoff): a slow reader
never builds up a queue, it just sees the most recent picture. Every frame also goes to
an optional listener (the live preview) on the capture thread. Frames live in memory only.

Faults end in a CameraError with a kind the journey turns into a plain message:
"missing" (cannot be opened), "lost" (no new frame for lost_after seconds: unplugged or a
stalled stream), "frozen" (the same picture for frozen_after seconds) and "ended" (a video
file ran out and looping is off).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from kiosk.interfaces import CameraError, Frame

log = logging.getLogger("kiosk.camera")

FrameListener = Callable[[Frame], None]


@dataclass(frozen=True)
class Source:
    """Where frames come from, parsed from camera.source."""

    kind: str  # "index", "device", "url" or "file"
    target: int | str

    @classmethod
    def parse(cls, text: str) -> Source:
        text = text.strip()
        if text.isdigit():
            return cls("index", int(text))
        if text.startswith("/dev/"):
            return cls("device", text)
        if "://" in text:
            return cls("url", text)
        return cls("file", os.path.expanduser(text))

    def describe(self) -> str:
        """For logs: never the URL (it may hold a password)."""
        return f"{self.kind}:{self.target}" if self.kind != "url" else "url"


def _open_capture(source: Source, timeout_ms: int) -> Any:
    if source.kind == "url":
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, timeout_ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, timeout_ms]
        return cv2.VideoCapture(source.target, cv2.CAP_FFMPEG, params)
    if source.kind == "device":
        return cv2.VideoCapture(source.target, cv2.CAP_V4L2)
    if source.kind == "file":
        return cv2.VideoCapture(source.target, cv2.CAP_FFMPEG)
    return cv2.VideoCapture(source.target)


class OpenCVCamera:
    """A Camera (kiosk.interfaces) backed by cv2.VideoCapture on a capture thread."""

    def __init__(self, source: str, *, width: int = 640, height: int = 480, fps: float = 30.0,
                 open_timeout: float = 5.0, lost_after: float = 2.0, frozen_after: float = 3.0,
                 loop_files: bool = False, capture_factory: Callable[[Source, int], Any] = _open_capture) -> None:
        self.source = Source.parse(source)
        self.width, self.height, self.fps = width, height, fps
        self.open_timeout, self.lost_after, self.frozen_after = open_timeout, lost_after, frozen_after
        self.loop_files = loop_files
        self._factory = capture_factory
        self._listener: FrameListener | None = None
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._running = False
        self._frame: Frame | None = None
        self._seq = 0
        self._read_seq = 0
        self._fault: str | None = None
        self.frames_captured = 0

    def set_listener(self, listener: FrameListener | None) -> None:
        self._listener = listener

    # ------------------------------------------------------------ Camera

    def open(self) -> None:
        """Start capturing; returns once the first frame is in, or raises CameraError("missing")."""
        self.close()
        if self.source.kind in ("file", "device") and not os.path.exists(self.source.target):
            raise CameraError("missing")
        with self._cond:
            self._frame, self._seq, self._read_seq, self._fault = None, 0, 0, None
            self._running = True
        self._thread = threading.Thread(target=self._run, name="kiosk-camera", daemon=True)
        self._thread.start()
        with self._cond:
            self._cond.wait_for(lambda: self._seq > 0 or self._fault is not None, self.open_timeout)
            fault, got = self._fault, self._seq > 0
        if not got:
            self.close()
            log.warning("camera did not start", extra={"event": "camera", "source": self.source.describe(),
                                                       "fault": fault or "timeout"})
            raise CameraError("missing" if fault in (None, "missing", "lost") else fault)

    def read(self) -> Frame | None:
        """The newest frame not yet read; waits up to lost_after seconds for one."""
        with self._cond:
            if not self._running:
                return None
            self._cond.wait_for(lambda: self._seq > self._read_seq or self._fault is not None or not self._running,
                                self.lost_after)
            if not self._running:
                return None
            if self._seq > self._read_seq:
                self._read_seq = self._seq
                return self._frame
            fault = self._fault or "lost"
        raise CameraError(fault)

    def close(self) -> None:
        with self._cond:
            self._running = False
            self._frame = None
            self._cond.notify_all()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.open_timeout + 1.0)

    # ------------------------------------------------------------ capture thread

    def _fail(self, kind: str) -> None:
        with self._cond:
            if self._running:
                self._fault = kind
            self._cond.notify_all()
        log.warning("camera fault", extra={"event": "camera_fault", "kind": kind,
                                           "source": self.source.describe()})

    def _run(self) -> None:
        try:
            cap = self._factory(self.source, int(self.open_timeout * 1000))
        except Exception as exc:  # a backend crash is a missing camera, not a crashed kiosk
            log.warning("camera open crashed", extra={"event": "camera", "error": type(exc).__name__})
            cap = None
        if cap is None or not cap.isOpened():
            self._fail("missing")
            return
        try:
            self._capture(cap)
        finally:
            cap.release()

    def _capture(self, cap: Any) -> None:
        is_file = self.source.kind == "file"
        if self.source.kind in ("index", "device"):
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            cap.set(cv2.CAP_PROP_FPS, self.fps)
        file_fps = cap.get(cv2.CAP_PROP_FPS) if is_file else 0.0
        interval = 1.0 / (file_fps if file_fps and 1 <= file_fps <= 120 else self.fps) if is_file else 0.0
        last_new = time.monotonic()
        signature: np.ndarray | None = None
        same_since: float | None = None
        next_due = time.monotonic()
        while self._running:
            ok, image = cap.read()
            now = time.monotonic()
            if not ok or image is None or image.ndim != 3 or image.shape[2] != 3:
                if is_file and self.loop_files and self.frames_captured:
                    cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    continue
                if is_file:
                    self._fail("ended")
                    return
                if now - last_new > self.lost_after:
                    self._fail("lost")
                    return
                time.sleep(0.02)
                continue
            sig = np.ascontiguousarray(image[::16, ::16])
            if signature is not None and np.array_equal(sig, signature):
                same_since = same_since or now
                if now - same_since >= self.frozen_after:
                    self._fail("frozen")
                    return
            else:
                same_since = None
            signature = sig
            last_new = now
            self._publish(image)
            if interval:
                next_due = max(next_due + interval, now - interval)
                delay = next_due - time.monotonic()
                if delay > 0:
                    time.sleep(delay)

    def _publish(self, image: np.ndarray) -> None:
        h, w = image.shape[:2]
        frame = Frame(w, h, image.tobytes())
        with self._cond:
            if not self._running:
                return
            self._frame = frame
            self._seq += 1
            self._cond.notify_all()
        self.frames_captured += 1
        listener = self._listener
        if listener is not None:
            try:
                listener(frame)
            except Exception as exc:  # the preview must never stop the capture
                log.error("frame listener failed", extra={"event": "camera", "error": type(exc).__name__})

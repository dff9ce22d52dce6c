"""Simulated camera: synthetic or replayed frames, so the demo and tests run with no camera.

By default it draws a moving grey gradient. Given frames (BGR arrays, or a callable that
makes them on first open), it replays them in order, looping or ending like a file. It
speaks the same interface as devices.camera.OpenCVCamera, including the preview listener.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kiosk.interfaces import CameraError, Frame

if TYPE_CHECKING:
    import numpy as np

FrameListener = Callable[[Frame], None]


class SimulatedCamera:
    """Frames at a fixed rate (fps=0: as fast as they are read)."""

    def __init__(self, width: int = 320, height: int = 240, fps: float = 30.0, *, missing: bool = False,
                 frames: Sequence[np.ndarray] | Callable[[], Sequence[np.ndarray]] | None = None,
                 loop: bool = True) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.missing = missing
        self.loop = loop
        self.fail_after: int | None = None  # raise CameraError("lost") after this many frames
        self._frames = frames
        self._listener: FrameListener | None = None
        self._lock = threading.Lock()
        self._open = False
        self._n = 0
        self._due = 0.0
        self.opened = 0  # how many times open() succeeded (tests check the camera stays off)

    def set_listener(self, listener: FrameListener | None) -> None:
        """Every frame read is also handed to listener (the preview), on the reading thread."""
        self._listener = listener

    def set_frames(self, frames: Sequence[np.ndarray] | Callable[[], Sequence[np.ndarray]] | None) -> None:
        with self._lock:
            self._frames = frames

    def open(self) -> None:
        if self.missing:
            raise CameraError("missing")
        with self._lock:
            if callable(self._frames):
                self._frames = list(self._frames())
            self._n = 0
            self._open = True
        self.opened += 1

    def read(self) -> Frame | None:
        if not self._open:
            return None
        if self.fps > 0:  # keep the frame rate whatever the reader spends between reads
            now = time.monotonic()
            self._due = max(self._due + 1.0 / self.fps, now)
            time.sleep(self._due - now)
        with self._lock:
            if self.fail_after is not None and self._n >= self.fail_after:
                raise CameraError("lost")
            frame = self._make(self._n)
            self._n += 1
        if self._listener is not None:
            self._listener(frame)
        return frame

    def _make(self, n: int) -> Frame:
        frames = self._frames
        if frames:
            if n >= len(frames) and not self.loop:
                raise CameraError("ended")
            import numpy  # only when replaying frames: keeps numpy off the demo's start-up path

            image = frames[n % len(frames)]
            h, w = image.shape[:2]
            return Frame(w, h, numpy.ascontiguousarray(image, dtype=numpy.uint8).tobytes())
        row = bytes((x + n) % 256 for x in range(self.width)) * 3
        return Frame(self.width, self.height, row * self.height)

    def close(self) -> None:
        self._open = False

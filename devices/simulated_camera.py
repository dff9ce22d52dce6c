"""Simulated camera: synthetic frames, so the demo runs with no camera attached."""

from __future__ import annotations

import time

from kiosk.interfaces import Frame


class SimulatedCamera:
    """Produces a moving grey gradient at a fixed size and frame rate."""

    def __init__(self, width: int = 320, height: int = 240, fps: float = 30.0, *, missing: bool = False) -> None:
        self.width, self.height, self.fps = width, height, fps
        self.missing = missing
        self._open = False
        self._n = 0

    def open(self) -> None:
        if self.missing:
            raise OSError("camera not found")
        self._open = True

    def read(self) -> Frame | None:
        if not self._open:
            return None
        time.sleep(1.0 / self.fps)
        self._n += 1
        row = bytes((x + self._n) % 256 for x in range(self.width)) * 3
        return Frame(self.width, self.height, row * self.height)

    def close(self) -> None:
        self._open = False

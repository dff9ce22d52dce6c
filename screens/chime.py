"""A short two-tone chime that calls attention (the card left on the reader).

The WAV is made here with the standard library (no sound files in the tree) on
first use and played by `aplay` (alsa-utils) in its own process, so nothing waits
and nothing loads on the start-up path. A machine without aplay or without an
audio device stays silent after one warning; the spoken prompt still comes.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where the chime is made or played: not before the first frame
    import subprocess

log = logging.getLogger("kiosk.chime")

RATE = 22_050
TONES = ((880.0, 0.18), (660.0, 0.28))  # ding-dong: frequency (Hz), seconds


def chime_wav(path: Path) -> Path:
    """Write the chime as 16-bit mono PCM to path."""
    import math
    import struct
    import wave

    frames = bytearray()
    for freq, seconds in TONES:
        count = int(RATE * seconds)
        for i in range(count):
            fade = min(1.0, (count - i) / (RATE * 0.05))  # no click at the end of a tone
            frames += struct.pack("<h", int(12_000 * fade * math.sin(2 * math.pi * freq * i / RATE)))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))
    return path


class Chime:
    """Plays the chime; play() returns at once. `played` counts requests (tests read it)."""

    def __init__(self, *, command: str = "aplay") -> None:
        self.played = 0
        self.command = command
        self._path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._warned = False

    def play(self) -> None:
        import shutil
        import tempfile

        self.played += 1
        if self._proc is not None and self._proc.poll() is None:
            return  # still sounding
        player = shutil.which(self.command)
        if player is None:
            self._warn(f"{self.command} not installed")
            return
        try:
            if self._path is None:
                self._path = chime_wav(Path(tempfile.mkdtemp(prefix="kiosk-chime-")) / "chime.wav")
            import subprocess

            self._proc = subprocess.Popen([player, "-q", str(self._path)], stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            self._warn(type(exc).__name__)

    def _warn(self, reason: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("chime unavailable", extra={"event": "chime_error", "error": reason})

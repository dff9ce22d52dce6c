"""Spoken guidance through espeak-ng, plus the recording fake used by tests and the demo.

EspeakSpeaker.say() only hands the prompt to one daemon worker thread and returns. A
newer say() replaces a queued one and terminates the one being spoken (the maintenance
speaker test). The kiosk's guidance uses speak() instead: one utterance at a time, spoken to
its end unless interrupt() is called, with a callback when it is over; the order and priority
of utterances is kiosk.speech_queue's business (screens.speech runs it).
A missing espeak-ng or a machine without audio is normal (servers, CI): the speaker logs one
warning and then stays quiet. The spoken text is never logged.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # subprocess is imported where a process starts: not before the first frame
    import subprocess

log = logging.getLogger("kiosk.speech")

VOICES = {"zh-CN": "cmn-latn-pinyin", "zh-TW": "cmn-latn-pinyin", "en": "en"}


def voice_for(language: str) -> str:
    """The espeak-ng voice for a UI language; Chinese variants share Mandarin, else English."""
    if language in VOICES:
        return VOICES[language]
    return VOICES["zh-CN"] if language.lower().startswith("zh") else VOICES["en"]


def render_wav(text: str, language: str, path: Path | str, *, command: str = "espeak-ng") -> Path:
    """Synthesise ``text`` into a WAV file (no audio device needed). Raises on failure."""
    import subprocess

    subprocess.run(
        [command, "-v", voice_for(language), "-w", str(path), "--", text],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
    )
    return Path(path)


class EspeakSpeaker:
    """kiosk.interfaces.Speaker backed by the espeak-ng command line."""

    def __init__(self, *, command: str = "espeak-ng", enabled: bool = True) -> None:
        self.command = command
        self.enabled = enabled
        self._cond = threading.Condition()
        self._pending: tuple[str, str, Callable[[], None] | None] | None = None
        self._generation = 0  # bumped by every say(); a stale prompt is never started
        self._proc: subprocess.Popen[bytes] | None = None
        self._stopping = False
        self._warned = False
        self._thread: threading.Thread | None = None
        if enabled:
            self._thread = threading.Thread(target=self._run, name="kiosk-speech", daemon=True)
            self._thread.start()

    def say(self, text: str, language: str) -> None:
        """Queue ``text`` in place of anything queued or playing; returns at once."""
        with self._cond:
            if not self.enabled or self._stopping:
                return
            dropped = self._pending[2] if self._pending else None
            self._pending = (text, language, None)
            self._generation += 1
            self._terminate_locked()
            self._cond.notify()
        if dropped is not None:
            dropped()

    def speak(self, text: str, language: str, done: Callable[[], None]) -> None:
        """Speak ``text`` after the current utterance, to its end; ``done()`` runs (on the worker
        thread) when it is over, spoken or not. Returns at once."""
        with self._cond:
            if not self.enabled or self._stopping:
                accepted = False
            else:
                accepted = True
                dropped = self._pending[2] if self._pending else None
                self._pending = (text, language, done)
                self._cond.notify()
        if not accepted:
            done()
        elif dropped is not None:
            dropped()

    def interrupt(self) -> None:
        """Stop the utterance being spoken now (its ``done`` still runs)."""
        with self._cond:
            self._generation += 1
            self._terminate_locked()

    def stop(self) -> None:
        """Stop speaking, end the worker and kill any espeak-ng process."""
        with self._cond:
            self._stopping = True
            self._pending = None
            self._terminate_locked()
            self._cond.notify()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def is_busy(self) -> bool:
        """True while a prompt is queued or being spoken."""
        with self._cond:
            return self._pending is not None or self._proc is not None

    def _terminate_locked(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            try:
                self._proc.terminate()
            except OSError:
                pass

    def _warn_once(self, reason: str) -> None:
        if not self._warned:
            self._warned = True
            log.warning("speech unavailable (%s); continuing without spoken guidance", reason)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    pending, self._pending = self._pending, None
                    if pending is not None and pending[2] is not None:
                        pending[2]()
                    return
                assert self._pending is not None
                text, language, done = self._pending
                self._pending = None
                generation = self._generation
            try:
                self._speak(text, language, generation)
            except Exception as exc:  # never let the worker die
                self._warn_once(type(exc).__name__)
            finally:
                if done is not None:
                    done()

    def _speak(self, text: str, language: str, generation: int) -> None:
        argv = [self.command, "-v", voice_for(language), "--", text]
        try:
            import subprocess

            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        except OSError as exc:
            self._warn_once(f"cannot run {self.command}: {type(exc).__name__}")
            return
        with self._cond:
            self._proc = proc
            if generation != self._generation or self._stopping:
                self._terminate_locked()  # replaced while it was starting
        try:
            _, err = proc.communicate()
        finally:
            with self._cond:
                self._proc = None
        with self._cond:
            replaced = generation != self._generation or self._stopping
        if replaced:
            return
        if proc.returncode != 0:
            self._warn_once(f"{self.command} exited with status {proc.returncode}")
        elif b"error" in err.lower():  # espeak-ng exits 0 when there is no audio device
            self._warn_once(f"{self.command} reported an audio error")


class RecordingSpeaker:
    """A Speaker fake that remembers every prompt as a (text, language) tuple.

    speak() finishes each utterance at once, unless ``hold`` is set: then the test ends them
    with finish() and sees interrupt() calls in ``interrupted``."""

    def __init__(self, *, hold: bool = False) -> None:
        self.spoken: list[tuple[str, str]] = []
        self.interrupted: list[str] = []
        self.stopped = False
        self.hold = hold
        self._done: Callable[[], None] | None = None

    def say(self, text: str, language: str) -> None:
        self.spoken.append((text, language))

    def speak(self, text: str, language: str, done: Callable[[], None]) -> None:
        self.spoken.append((text, language))
        if self.hold:
            self._done = done
        else:
            done()

    def interrupt(self) -> None:
        if self.spoken:
            self.interrupted.append(self.spoken[-1][0])

    def finish(self) -> None:
        """(hold) The utterance being spoken has ended."""
        done, self._done = self._done, None
        if done is not None:
            done()

    def stop(self) -> None:
        self.stopped = True

"""EspeakSpeaker and RecordingSpeaker: non-blocking, latest-prompt-wins, quiet on failure."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from devices.speech import EspeakSpeaker, RecordingSpeaker, render_wav, voice_for
from kiosk.interfaces import Speaker

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng missing")

LONG_TEXT = "请将身份证放在读卡区，并保持不动，直到屏幕提示读取完成。" * 40
SECRET = "张伟明 110101198503120033"


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.01)


def _speech_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "kiosk.speech"]


@pytest.fixture
def slow_command(tmp_path: Path) -> tuple[str, Path]:
    """A stand-in for espeak-ng that logs "<pid> <voice>" and then 'speaks' for 30 s."""
    log = tmp_path / "calls.log"
    script = tmp_path / "fake-espeak"
    script.write_text(f'#!/bin/sh\necho "$$ $2" >> "{log}"\nexec sleep 30\n')
    script.chmod(0o755)
    return str(script), log


def _calls(log: Path) -> list[tuple[int, str]]:
    if not log.exists():
        return []
    return [(int(pid), voice) for pid, voice in (line.split() for line in log.read_text().splitlines())]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_recording_speaker_records() -> None:
    speaker = RecordingSpeaker()
    assert isinstance(speaker, Speaker)
    speaker.say("请插入身份证", "zh-CN")
    speaker.say("Please insert your ID card", "en")
    assert speaker.spoken == [("请插入身份证", "zh-CN"), ("Please insert your ID card", "en")]
    speaker.stop()
    assert speaker.stopped


def test_voices() -> None:
    assert voice_for("zh-CN") == "cmn-latn-pinyin"
    assert voice_for("zh-TW") == "cmn-latn-pinyin"
    assert voice_for("en") == "en"


@needs_espeak
def test_say_returns_before_speech_finishes(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.speech")
    started = time.perf_counter()
    subprocess.run(["espeak-ng", "-v", voice_for("zh-CN"), "-w", os.devnull, "--", LONG_TEXT], check=True)
    synchronous = time.perf_counter() - started

    speaker = EspeakSpeaker()
    assert isinstance(speaker, Speaker)
    try:
        started = time.perf_counter()
        speaker.say(LONG_TEXT, "zh-CN")
        elapsed = time.perf_counter() - started
        assert speaker.is_busy()  # the prompt is queued or playing: say() did not wait for it
        assert elapsed < synchronous
        _wait_for(lambda: not speaker.is_busy(), timeout=120)
    finally:
        speaker.stop()
    assert len(_speech_records(caplog)) <= 1  # no audio device: at most one warning
    assert LONG_TEXT[:10] not in caplog.text


def test_new_prompt_cancels_running_one(slow_command: tuple[str, Path]) -> None:
    command, log = slow_command
    speaker = EspeakSpeaker(command=command)
    try:
        speaker.say("第一条提示", "zh-CN")
        _wait_for(lambda: len(_calls(log)) == 1)
        first_pid = _calls(log)[0][0]
        assert speaker.is_busy()

        speaker.say("Second prompt", "en")
        _wait_for(lambda: len(_calls(log)) == 2)
        _wait_for(lambda: not _alive(first_pid))
        assert [voice for _, voice in _calls(log)] == ["cmn-latn-pinyin", "en"]
        second_pid = _calls(log)[1][0]
        assert _alive(second_pid)
    finally:
        started = time.monotonic()
        speaker.stop()
    assert time.monotonic() - started < 5
    _wait_for(lambda: not _alive(second_pid))
    assert not speaker.is_busy()
    speaker.say("after stop", "en")  # ignored, never raises
    time.sleep(0.1)
    assert len(_calls(log)) == 2


def test_burst_of_prompts_speaks_only_the_latest(slow_command: tuple[str, Path]) -> None:
    command, log = slow_command
    speaker = EspeakSpeaker(command=command)
    try:
        for i in range(20):
            speaker.say(f"prompt {i}", "zh-TW")
        speaker.say("last", "en")
        _wait_for(lambda: bool(_calls(log)) and _calls(log)[-1][1] == "en")
        _wait_for(lambda: [pid for pid, _ in _calls(log) if _alive(pid)] == [_calls(log)[-1][0]])
        assert len(_calls(log)) < 21  # queued prompts were dropped, not spoken one by one
    finally:
        speaker.stop()


@pytest.mark.parametrize("command", ["/nonexistent/espeak-ng", "false"])
def test_missing_or_failing_command_is_quiet(caplog: pytest.LogCaptureFixture, command: str) -> None:
    caplog.set_level(logging.DEBUG, logger="kiosk.speech")
    speaker = EspeakSpeaker(command=command)
    try:
        for _ in range(3):
            speaker.say(SECRET, "zh-CN")
            _wait_for(lambda: not speaker.is_busy())
    finally:
        speaker.stop()
    records = _speech_records(caplog)
    assert len(records) == 1 and records[0].levelno == logging.WARNING
    assert SECRET not in caplog.text and "张伟明" not in caplog.text


def test_disabled_speaker_does_nothing(slow_command: tuple[str, Path]) -> None:
    command, log = slow_command
    speaker = EspeakSpeaker(command=command, enabled=False)
    speaker.say("hello", "en")
    assert not speaker.is_busy()
    speaker.stop()
    assert _calls(log) == []


@needs_espeak
@pytest.mark.parametrize(("text", "language"), [("请插入身份证", "zh-CN"), ("Please insert your ID card", "en")])
def test_render_wav(tmp_path: Path, text: str, language: str) -> None:
    path = render_wav(text, language, tmp_path / "prompt.wav")
    data = path.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert len(data) > 1000


@pytest.fixture
def short_command(tmp_path: Path) -> tuple[str, Path]:
    """A stand-in for espeak-ng that 'speaks' for 0.3 s and logs when each utterance starts and ends."""
    log = tmp_path / "utterances.log"
    script = tmp_path / "fake-espeak"
    script.write_text(f'#!/bin/sh\necho "start $4" >> "{log}"\nsleep 0.3\necho "end $4" >> "{log}"\n')
    script.chmod(0o755)
    return str(script), log


def test_speak_runs_each_utterance_to_its_end(short_command: tuple[str, Path]) -> None:
    """GIVEN face prompts arriving every 0.1 s through the speech queue WHEN each lasts 0.3 s THEN none
    is cut off: every started utterance ends, and only the newest waiting prompt follows the first."""
    from kiosk.speech_queue import Priority, SpeechQueue

    command, log = short_command
    speaker = EspeakSpeaker(command=command)
    ended = threading.Event()
    lock = threading.Lock()
    queue: SpeechQueue

    def done() -> None:  # the Qt adapter brings this to the UI thread; here a lock stands in for it
        with lock:
            queue.finished()
            if not queue.busy:
                ended.set()

    queue = SpeechQueue(lambda u: speaker.speak(u.text, u.language, done), speaker.interrupt)
    try:
        for word in ("closer", "still", "left", "right"):
            with lock:
                queue.say(word, "en", priority=Priority.PROMPT, channel="face")
            time.sleep(0.1)
        assert ended.wait(10)
    finally:
        speaker.stop()
    assert log.read_text().split("\n")[:-1] == ["start closer", "end closer", "start right", "end right"]


def test_interrupt_stops_the_utterance_and_reports_it_done(slow_command: tuple[str, Path]) -> None:
    command, log = slow_command
    speaker = EspeakSpeaker(command=command)
    finished = threading.Event()
    try:
        speaker.speak("长说明", "zh-CN", finished.set)
        _wait_for(lambda: len(_calls(log)) == 1)
        assert not finished.is_set()
        speaker.interrupt()
        assert finished.wait(5)
        _wait_for(lambda: not _alive(_calls(log)[0][0]))
    finally:
        speaker.stop()

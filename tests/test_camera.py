"""The OpenCV camera driver against real video files (cv2.VideoWriter) and generated frames.

There is no camera on the test machines: files stand in for devices and RTSP streams;
an unplugged device is imitated by a capture object whose reads start failing.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from devices.camera import OpenCVCamera, Source
from devices.face import samples
from devices.simulated_camera import SimulatedCamera
from kiosk.interfaces import Camera, CameraError, Frame


def _write(path: Path, frames: list[np.ndarray], fourcc: str = "MJPG", fps: float = 30.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (w, h))
    assert writer.isOpened(), f"no {fourcc} writer"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def _moving(count: int, w: int = 320, h: int = 240) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.integers(0, 255, (h, w, 3), dtype=np.uint8) for _ in range(count)]


def _drain(camera: OpenCVCamera, limit: int = 10_000) -> tuple[list[Frame], CameraError | None]:
    frames: list[Frame] = []
    try:
        for _ in range(limit):
            frames.append(camera.read())
    except CameraError as exc:
        return frames, exc
    return frames, None


def test_sources_are_parsed_from_config() -> None:
    assert Source.parse("0") == Source("index", 0)
    assert Source.parse("/dev/video2") == Source("device", "/dev/video2")
    assert Source.parse("rtsp://user:pw@10.0.0.5/stream").kind == "url"
    assert "pw" not in Source.parse("rtsp://user:pw@10.0.0.5/stream").describe()
    assert Source.parse("~/clip.mp4").kind == "file"


@pytest.mark.parametrize("fourcc,suffix", [("MJPG", "avi"), ("mp4v", "mp4")])
def test_video_file_plays_at_its_own_pace_then_ends(tmp_path: Path, fourcc: str, suffix: str) -> None:
    path = _write(tmp_path / f"clip.{suffix}", _moving(15), fourcc, fps=30)
    camera = OpenCVCamera(str(path))
    assert isinstance(camera, Camera)
    start = time.monotonic()
    camera.open()
    frames, error = _drain(camera)
    elapsed = time.monotonic() - start
    camera.close()
    assert error is not None and error.kind == "ended" and error.message_key == "face_camera_ended"
    assert 10 <= len(frames) <= 15 and frames[0].width == 320 and len(frames[0].data) == 320 * 240 * 3
    assert elapsed >= 0.35, "a file is replayed at its frame rate, not as fast as it decodes"
    assert repr(frames[0]) == "Frame(320x240)"


def test_looping_file_keeps_going(tmp_path: Path) -> None:
    camera = OpenCVCamera(str(_write(tmp_path / "loop.avi", _moving(5), fps=60)), loop_files=True)
    camera.open()
    try:
        frames = [camera.read() for _ in range(12)]
    finally:
        camera.close()
    assert len(frames) == 12


@pytest.mark.parametrize("source", ["missing.mp4", "/dev/video99", "9", "rtsp://127.0.0.1:9/none"])
def test_missing_source_is_reported_as_missing(tmp_path: Path, source: str) -> None:
    if source.endswith(".mp4"):
        source = str(tmp_path / source)
    camera = OpenCVCamera(source, open_timeout=2.0)
    with pytest.raises(CameraError) as caught:
        camera.open()
    assert caught.value.kind == "missing" and caught.value.message_key == "face_camera_missing"
    assert camera.read() is None


def test_not_a_video_is_missing(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mp4"
    bogus.write_bytes(b"\x00garbage" * 1000)
    with pytest.raises(CameraError, match="missing"):
        OpenCVCamera(str(bogus), open_timeout=1.0).open()


def test_frozen_stream_is_detected(tmp_path: Path) -> None:
    still = _moving(1)[0]
    path = _write(tmp_path / "frozen.avi", _moving(3) + [still] * 90, fps=30)
    camera = OpenCVCamera(str(path), frozen_after=0.4)
    camera.open()
    frames, error = _drain(camera)
    camera.close()
    assert error is not None and error.kind == "frozen"
    assert len(frames) < 60, "frozen is reported before the file ends"


class _Unplugging:
    """A capture that delivers frames, then fails every read, as a V4L2 device does when pulled."""

    def __init__(self, good: int) -> None:
        self.good = good
        self.reads = 0
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 (cv2's name)
        return True

    def set(self, prop: int, value: float) -> bool:
        return True

    def get(self, prop: int) -> float:
        return 0.0

    def read(self) -> tuple[bool, np.ndarray | None]:
        self.reads += 1
        time.sleep(0.01)
        if self.reads > self.good:
            return False, None
        return True, np.full((48, 64, 3), self.reads % 256, np.uint8)

    def release(self) -> None:
        self.released = True


def test_camera_unplugged_mid_session_is_lost() -> None:
    capture = _Unplugging(good=10)
    camera = OpenCVCamera("0", lost_after=0.3, capture_factory=lambda source, timeout: capture)
    camera.open()
    frames, error = _drain(camera)
    camera.close()
    assert error is not None and error.kind == "lost" and error.message_key == "face_camera_lost"
    assert 1 <= len(frames) <= 10 and capture.released


def test_stalled_stream_is_lost_on_the_reading_side() -> None:
    """A stream whose read() blocks (network stall) is noticed by the reader's own timeout."""
    gate = threading.Event()

    class Stalling(_Unplugging):
        def read(self):
            if self.reads >= 3:
                gate.wait(5)
                return False, None
            return super().read()

    camera = OpenCVCamera("rtsp://example/stream", lost_after=0.3, capture_factory=lambda s, t: Stalling(100))
    camera.open()
    frames, error = _drain(camera)
    gate.set()
    camera.close()
    assert error is not None and error.kind == "lost" and len(frames) <= 3


def test_a_crashing_backend_is_a_missing_camera() -> None:
    def boom(source, timeout):
        raise RuntimeError("backend exploded")

    with pytest.raises(CameraError, match="missing"):
        OpenCVCamera("0", capture_factory=boom, open_timeout=1.0).open()


def test_latest_frame_handoff_skips_old_frames_and_feeds_the_listener(tmp_path: Path) -> None:
    path = _write(tmp_path / "fast.avi", _moving(60), fps=120)
    seen: list[Frame] = []
    camera = OpenCVCamera(str(path))
    camera.set_listener(seen.append)
    camera.open()
    first = camera.read()
    time.sleep(0.2)  # a slow reader: ~24 frames go by
    second = camera.read()
    camera.close()
    assert first is not second
    assert len(seen) >= 20 and camera.frames_captured == len(seen)
    assert seen.index(second) - seen.index(first) > 5, "read() returns the newest frame, not the next queued one"


def test_a_failing_listener_does_not_stop_capture(tmp_path: Path) -> None:
    camera = OpenCVCamera(str(_write(tmp_path / "c.avi", _moving(10), fps=60)))
    camera.set_listener(lambda frame: 1 / 0)
    camera.open()
    frames, error = _drain(camera)
    camera.close()
    assert len(frames) >= 5 and error.kind == "ended"


def test_face_video_file_runs_through_the_verifier(tmp_path: Path) -> None:
    """A video of the synthesized head turn, played by the real driver, passes the whole check."""
    import dataclasses

    from devices.face.liveness import Challenge
    from devices.face.verifier import DlibFaceVerifier, FaceSettings
    from devices.sim_people import SAMPLE_PEOPLE

    frames = [samples.live_frame()] * 6 + samples.head_move_sequence("left")
    path = _write(tmp_path / "turn.avi", frames, fps=15)
    settings = FaceSettings(capture_timeout=3.0, challenge_timeout=3.0, challenges=(Challenge.TURN_LEFT,))
    camera = OpenCVCamera(str(path), frozen_after=5.0)
    doc = dataclasses.replace(SAMPLE_PEOPLE[0], photo=samples.card_photo_bytes(), photo_format="jpeg")
    outcome = DlibFaceVerifier(camera, settings).verify(doc, prompt=lambda key: None)
    assert outcome.verified and outcome.liveness_passed, outcome


def test_simulator_speaks_the_same_interface() -> None:
    camera = SimulatedCamera(fps=0, frames=[samples.blank_frame(10), samples.blank_frame(20)], loop=False)
    seen: list[Frame] = []
    camera.set_listener(seen.append)
    assert isinstance(camera, Camera)
    camera.open()
    assert camera.read().data[:1] == b"\x0a" and camera.read().data[:1] == b"\x14"
    with pytest.raises(CameraError, match="ended"):
        camera.read()
    camera.close()
    assert len(seen) == 2
    with pytest.raises(CameraError, match="missing"):
        SimulatedCamera(missing=True).open()

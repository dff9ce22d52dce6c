"""No media of a video-help call reaches disk, logs or the platform's storage (nothing is recorded).

A whole call runs (kiosk session, platform signalling on a SQLite file, scripted aiortc agent)
with DEBUG logging for the kiosk, aiortc and aioice to a file and a private TMPDIR. The
shared screen and the camera carry random pixel rows; afterwards the state folder, the temp
folder, the log, the platform's database and what it received are searched for those rows and
for media file signatures. The platform keeps no session description after the call.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import pytest

from devices.simulated_camera import SimulatedCamera
from devices.video_call import ScreenMailbox, VideoCallSession
from kiosk.logs import setup_logging
from refplatform.server import PlatformServer
from sync.video_signalling import PlatformVideoSignalling
from tests.signed_requests import TEST_KEY, enrol, enrolled_client
from tests.test_video_call import Events, wait_for
from tests.video_agent import ScriptedAgent

pytest.importorskip("aiortc")
MEDIA_SIGNATURES = (b"\x1aE\xdf\xa3", b"DKIF", b"RIFF", b"ftyp", b"OggS", b"\x89PNG", b"\xff\xd8\xff")


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []


def test_a_call_leaves_no_media_anywhere(tmp_path, monkeypatch):
    state, private_temp = tmp_path / "state", tmp_path / "tmp"
    private_temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_temp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_temp))
    log_file = setup_logging(state / "logs", level="DEBUG", stdout=False)
    handler = logging.FileHandler(state / "logs" / "libraries.log")
    for name in ("aiortc", "aioice", "refplatform"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    rng = np.random.default_rng(18)
    screen = np.full((360, 640, 3), 200, np.uint8)
    screen[100:140] = rng.integers(0, 256, (40, 640, 3), dtype=np.uint8)
    face = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    needles = [screen[120, :32].tobytes(), face[10, :32].tobytes(), face[200, 100:132].tobytes()]
    needles += [n.hex().encode() for n in needles]

    server = PlatformServer(db_path=str(tmp_path / "platform.db"))
    enrol(server, "kiosk-test", TEST_KEY)
    server.start()
    client = enrolled_client(server, retries=0)
    agent = ScriptedAgent(server.video)
    try:
        mailbox = ScreenMailbox()
        mailbox.put(screen)
        events = Events()
        camera = SimulatedCamera(320, 240, fps=15, frames=[face])
        session = VideoCallSession("vc-00000000000000ff", signalling=PlatformVideoSignalling(client),
                                   screen=mailbox, listener=events, camera=camera, fps=10, poll_seconds=0.1)
        session.start()
        assert wait_for(lambda: server.video.queue() != [])
        agent.take("vc-00000000000000ff")
        assert wait_for(lambda: "screen" in agent.frames and "camera" in agent.frames)
        assert wait_for(lambda: session.agent_audio_frames > 20)
        session.stop("citizen")
        assert events.first("ended").reason == "citizen"
    finally:
        agent.close()
        client.close()
        received = server.received()
        calls = list(server.video._calls.values())
        server.stop()
        for name in ("aiortc", "aioice", "refplatform"):
            logging.getLogger(name).removeHandler(handler)
        handler.close()

    assert all(not c.offer and not c.answer for c in calls)  # no session description kept after the call
    assert not any("video" in r.get("kind", "") for r in received)
    searched = _files(state) + _files(private_temp) + list(tmp_path.glob("platform.db*"))
    assert log_file in searched and (state / "logs" / "libraries.log") in searched
    for path in searched:
        data = path.read_bytes()
        for needle in needles:
            assert needle not in data, f"call media found in {path.name}"
        if path.suffix not in (".db", ".log", ".db-wal", ".db-shm"):
            assert not data.startswith(MEDIA_SIGNATURES), f"a media file: {path.name}"
    assert not [p for p in _files(private_temp)], "the call wrote temporary files"

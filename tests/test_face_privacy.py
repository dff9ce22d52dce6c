"""No face image or embedding reaches disk, logs or the network.

Whole face checks (a match, an impostor, a held-up photo, a camera fault) run through the
real journey, services, SQLite outbox and the reference platform over HTTP, with DEBUG
logging to a file. Afterwards the state directory, a private temp directory, the log file and
what the platform received are searched for the card photo, frame pixels and every
embedding the model produced (as raw float bytes and as printed numbers), and for any
long list of floats. The embeddings themselves must have been zeroed at the decision.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest

from devices.face import samples
from devices.face.liveness import Challenge
from devices.face.models import shared_models
from devices.face.verifier import DlibFaceVerifier, FaceSettings
from devices.sim_people import SAMPLE_PEOPLE
from devices.simulated_camera import SimulatedCamera
from kiosk.journey import Journey, Screen, Speak
from kiosk.logs import setup_logging
from kiosk.services import KioskServices
from sync.engine import sync_once
from sync.outbox import SqliteOutbox
from tests.journey_driver import FakePrinter

FLOAT_LIST = re.compile(rb"(-?\d+\.\d{3,}[\s,;\]]+\s*){12,}")


class RecordingModels:
    """The real models; keeps a reference to every embedding so the test can look for it later."""

    def __init__(self) -> None:
        self.real = shared_models()
        self.embeddings: list[np.ndarray] = []
        self.copies: list[np.ndarray] = []

    def __getattr__(self, name: str):
        return getattr(self.real, name)

    def embed(self, rgb, face):
        vector = self.real.embed(rgb, face)
        self.embeddings.append(vector)
        self.copies.append(vector.copy())
        return vector


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else ([root] if root.is_file() else [])


def _needles(models: RecordingModels) -> list[bytes]:
    card = samples.card_photo_bytes()
    frame = samples.live_frame()
    needles = [card[200:264], card[-64:], frame[240, 280:300].tobytes(), frame[200, 300:320].tobytes()]
    for vector in models.copies:
        needles.append(vector[:8].tobytes())
        needles.append(vector[:8].astype(np.float32).tobytes())
        needles += [repr(float(v)).encode() for v in vector[:4] if abs(v) > 1e-3]
        needles += [f"{v:.6f}".encode() for v in vector[:4] if abs(v) > 1e-3]
    return needles


@pytest.fixture(scope="module")
def models() -> RecordingModels:
    return RecordingModels()


def test_face_checks_leave_no_image_or_embedding_anywhere(tmp_path: Path, server, client, models,
                                                          monkeypatch) -> None:
    state = tmp_path / "state"
    log_file = setup_logging(state / "logs", level="DEBUG", stdout=False)
    # A private temp directory: the shared one also holds other processes' files.
    private_temp = tmp_path / "tmp"
    private_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private_temp))
    monkeypatch.setenv("TMPDIR", str(private_temp))
    outbox = SqliteOutbox(state / "outbox.db")
    camera = SimulatedCamera(fps=0)
    settings = FaceSettings(capture_timeout=2.0, challenge_timeout=1.5, challenges=(Challenge.TURN_LEFT,))
    verifier = DlibFaceVerifier(camera, settings, models=lambda: models)
    services = KioskServices(face=verifier, platform=client, outbox=outbox, printer=FakePrinter(),
                             kiosk_id="KIOSK-PRIV")
    journey: Journey

    def run(effect: object) -> None:
        if not isinstance(effect, Speak):
            services.execute(effect)(journey)

    journey = Journey(on_effect=run)
    holder = dataclasses.replace(SAMPLE_PEOPLE[0], photo=samples.card_photo_bytes(), photo_format="jpeg")
    cases = [
        ([samples.live_frame()] * 3 + samples.head_move_sequence("left"), holder, Screen.SERVICE_MENU),
        ([samples.live_frame()] * 3 + samples.head_move_sequence("left"),
         dataclasses.replace(holder, photo=samples.impostor_card_bytes(5)), Screen.FACE_FAILED),
        ([samples.live_frame()] * 3 + samples.held_photo_sequence(40), holder, Screen.FACE_FAILED),
    ]
    try:
        for frames, document, expected in cases:
            camera.set_frames(frames)
            journey.card_presented(document)
            journey.face_consent(True)
            assert journey.screen is expected
            journey.card_removed()
        camera.fail_after = 4
        journey.card_presented(holder)
        journey.face_consent(True)
        assert journey.session.message == "face_camera_lost"
        journey.card_removed()
        sent, failed = sync_once(outbox, client)
    finally:
        outbox.close()
    assert sent >= 4 and failed == 0

    # The embeddings were zeroed at each decision.
    assert len(models.embeddings) >= 6
    assert all(not v.any() for v in models.embeddings)

    # What left the kiosk: verified yes/no, method, liveness, time. Nothing else.
    received = [r for r in server.received() if r["kind"] == "identity_check"]
    assert len(received) == 4
    for row in received:
        assert set(row["payload"]) == {"verified", "method", "liveness_passed", "at", "kiosk_id"}
    assert [r["payload"]["verified"] for r in received] == [True, False, False, False]

    blobs: dict[str, bytes] = {"platform": json.dumps(server.received(), ensure_ascii=False).encode()}
    for path in _files(state) + _files(private_temp):
        blobs[str(path)] = path.read_bytes()
    assert log_file.stat().st_size > 0 and str(log_file) in blobs
    needles = _needles(models)
    for name, data in blobs.items():
        assert not FLOAT_LIST.search(data), f"a list of floats in {name}"
        assert b"\xff\xd8\xff\xe0" not in data, f"JPEG data in {name}"
        for needle in needles:
            assert needle not in data, f"face data in {name}"

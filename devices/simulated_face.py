"""Simulated face verifier: walks through guided-capture prompts, then decides.

The decision is scripted (all matches by default), so the demo and tests can
show success, a mismatch, a failed liveness check or a missing camera.
Frames are read from the camera and dropped; nothing is kept.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.simulated_camera import SimulatedCamera
from kiosk.identity import IdentityDocument
from kiosk.interfaces import Camera, CameraError, FaceOutcome

PROMPTS = ("face_center", "face_hold_still", "face_turn_left")


class SimulatedFaceVerifier:
    """A FaceVerifier whose outcomes come from a script (default: verified)."""

    def __init__(self, camera: Camera | None = None, *, frames_per_prompt: int = 5) -> None:
        self.camera = camera or SimulatedCamera()
        self.frames_per_prompt = frames_per_prompt
        self.script: list[FaceOutcome] = []

    def verify(self, document: IdentityDocument, *, prompt: Callable[[str], None]) -> FaceOutcome:
        try:
            self.camera.open()
        except OSError as exc:
            reason = exc.message_key if isinstance(exc, CameraError) else "face_camera_missing"
            return FaceOutcome(verified=False, liveness_passed=False, reason=reason)
        try:
            for key in PROMPTS:
                prompt(key)
                for _ in range(self.frames_per_prompt):
                    if self.camera.read() is None:
                        return FaceOutcome(verified=False, liveness_passed=False, reason="face_camera_missing")
        except CameraError as exc:
            return FaceOutcome(verified=False, liveness_passed=False, reason=exc.message_key)
        finally:
            self.camera.close()
        if self.script:
            return self.script.pop(0)
        return FaceOutcome(verified=True, liveness_passed=True, score=0.21)

"""Choose the camera and face verifier from config (Qt-free; used by the app, the CLI and benchmarks)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from devices.simulated_camera import SimulatedCamera
from devices.simulated_face import SimulatedFaceVerifier
from kiosk.config import Config, ConfigError

log = logging.getLogger("kiosk.face")
CHALLENGES = {"turn_left", "turn_right", "nod"}


def sample_face_frames() -> list:
    """A face that looks at the camera, turns left, then right (for the simulated camera).

    Falls back to the grey gradient when scikit-image (a test dependency) is not installed.
    """
    try:
        from devices.face import samples
    except ImportError:
        return []
    try:
        still = [samples.live_frame()] * 12
        return still + samples.head_move_sequence("left") + still + samples.head_move_sequence("right")
    except ImportError:
        return []


def camera_builder(config: Config) -> Callable[[], object]:
    """camera.driver: "opencv" (camera.source) or "sim" (replayed sample face); builds later (cv2 is heavy)."""
    fps = config["camera.fps"]
    if config["camera.driver"] == "opencv":
        source, width, height = config["camera.source"], config["camera.width"], config["camera.height"]
        timeout, lost = config["camera.open_timeout"], config["camera.lost_seconds"]
        frozen = config["camera.frozen_seconds"]

        def opencv() -> object:
            from devices.camera import OpenCVCamera

            return OpenCVCamera(source, width=width, height=height, fps=fps, open_timeout=timeout,
                                lost_after=lost, frozen_after=frozen)
        return opencv
    return lambda: SimulatedCamera(640, 480, fps=fps, frames=sample_face_frames)


def build_camera(config: Config) -> object:
    return camera_builder(config)()


def face_builder(config: Config) -> Callable[[object], object]:
    """face.driver: "dlib" (on-device check) or "sim" (scripted outcomes for the demo).

    Checks the face settings now; the returned function builds the verifier for a camera
    later (dlib and numpy stay off the start-up path).
    """
    if config["face.platform_photo"]:
        raise ConfigError("'face.platform_photo = true' needs a photo API on the platform, which this build "
                          "does not have; set it to false (the card photo or the staff check is used).")
    names = [n.strip() for n in config["face.challenges"].split(",") if n.strip()]
    if not names or not set(names) <= CHALLENGES:  # checked here: devices.face.liveness needs numpy
        raise ConfigError("'face.challenges' must list turn_left, turn_right and/or nod, separated by commas.")
    if config["face.driver"] != "dlib":
        return SimulatedFaceVerifier

    def dlib(camera: object) -> object:
        from devices.face.verifier import DlibFaceVerifier, settings_from

        if config["face.embed_process"]:
            from devices.face.embed_process import process_models_loader

            return DlibFaceVerifier(camera, settings_from(config), models=process_models_loader())
        return DlibFaceVerifier(camera, settings_from(config))
    return dlib


def build_face(config: Config, camera: object) -> object:
    return face_builder(config)(camera)

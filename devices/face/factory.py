"""Choose the camera and face verifier from config (Qt-free; used by the app, the CLI and benchmarks)."""

from __future__ import annotations

import logging

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


def build_camera(config: Config) -> object:
    """camera.driver: "opencv" (camera.source) or "sim" (replayed sample face)."""
    if config["camera.driver"] == "opencv":
        from devices.camera import OpenCVCamera

        return OpenCVCamera(config["camera.source"], width=config["camera.width"], height=config["camera.height"],
                            fps=config["camera.fps"], open_timeout=config["camera.open_timeout"],
                            lost_after=config["camera.lost_seconds"], frozen_after=config["camera.frozen_seconds"])
    return SimulatedCamera(640, 480, fps=config["camera.fps"], frames=sample_face_frames)


def build_face(config: Config, camera: object) -> object:
    """face.driver: "dlib" (on-device check) or "sim" (scripted outcomes for the demo)."""
    if config["face.platform_photo"]:
        raise ConfigError("'face.platform_photo = true' needs a photo API on the platform, which this build "
                          "does not have; set it to false (the card photo or the staff check is used).")
    names = [n.strip() for n in config["face.challenges"].split(",") if n.strip()]
    if not names or not set(names) <= CHALLENGES:  # checked here: devices.face.liveness needs numpy
        raise ConfigError("'face.challenges' must list turn_left, turn_right and/or nod, separated by commas.")
    if config["face.driver"] == "dlib":
        from devices.face.verifier import DlibFaceVerifier, settings_from

        if config["face.embed_process"]:
            from devices.face.embed_process import process_models_loader

            return DlibFaceVerifier(camera, settings_from(config), models=process_models_loader())
        return DlibFaceVerifier(camera, settings_from(config))
    return SimulatedFaceVerifier(camera)

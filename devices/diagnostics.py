"""Driver-specific checks for kiosk.doctor: the configured card reader and the camera.

Imported only by `kiosk doctor` and the maintenance screen (never on the start-up path).
"""

from __future__ import annotations

import time
from typing import Any

from kiosk.i18n import Said


def reader_check(config: Any) -> tuple[bool, str, str]:
    """(ok, summary, fix) for reader.driver; a simulator needs no hardware."""
    driver = config["reader.driver"]
    if driver in ("sim", "sam-emulator"):
        return True, Said("doctor_sim_reader", driver), ""
    from kiosk.cli_devices import check_pcsc, check_serial

    if driver == "sam":
        f = check_serial(config["reader.port"], config["reader.baud"], config["reader.exchange_timeout"])
    else:
        f = check_pcsc(config["reader.pcsc_reader_filter"])
    return f.ok, f.summary, f.fix


def camera_check(camera: Any, *, seconds: float = 2.0, detect: bool = False) -> tuple[bool, str, str]:
    """Open the camera, count the frames of a few seconds, optionally look for a face; close it."""
    from kiosk.interfaces import CameraError

    fix = Said("doctor_fix_camera")
    try:
        camera.open()
    except (CameraError, OSError) as exc:
        return False, Said("doctor_camera_not_open", type(exc).__name__), fix
    frames, last = 0, None
    try:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            frame = camera.read()
            if frame is not None:
                frames, last = frames + 1, frame
            else:
                time.sleep(0.01)
    except (CameraError, OSError) as exc:
        return False, Said("doctor_camera_stopped", type(exc).__name__), fix
    finally:
        camera.close()
    if not frames:
        return False, Said("doctor_camera_no_picture"), fix
    shape = (frames, f"{seconds:.0f}", f"{last.width}x{last.height}")
    if not detect:
        return True, Said("doctor_camera_frames", *shape), ""
    faces = _faces(last)
    return True, (Said("doctor_camera_faces", *shape, faces) if faces >= 0
                  else Said("doctor_camera_no_detection", *shape)), ""


def _faces(frame: Any) -> int:
    try:
        import numpy as np

        from devices.face.models import shared_models
    except ImportError:
        return -1
    image = np.frombuffer(frame.data, dtype=np.uint8).reshape(frame.height, frame.width, 3)[:, :, ::-1]
    return len(shared_models().detect(np.ascontiguousarray(image)))

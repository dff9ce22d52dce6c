"""Driver-specific checks for kiosk.doctor: the configured card reader and the camera.

Imported only by `kiosk doctor` and the maintenance screen (never on the start-up path).
"""

from __future__ import annotations

import time
from typing import Any


def reader_check(config: Any) -> tuple[bool, str, str]:
    """(ok, summary, fix) for reader.driver; a simulator needs no hardware."""
    driver = config["reader.driver"]
    if driver in ("sim", "sam-emulator"):
        return True, f"simulated reader ({driver}): no hardware needed", ""
    from kiosk.cli_devices import check_pcsc, check_serial

    if driver == "sam":
        f = check_serial(config["reader.port"], config["reader.baud"], config["reader.exchange_timeout"])
    else:
        f = check_pcsc(config["reader.pcsc_reader_filter"])
    return f.ok, f.summary, f.fix


def camera_check(camera: Any, *, seconds: float = 2.0, detect: bool = False) -> tuple[bool, str, str]:
    """Open the camera, count the frames of a few seconds, optionally look for a face; close it."""
    from kiosk.interfaces import CameraError

    fix = "check the camera's USB cable, then 'v4l2-ctl --list-devices'; set camera.source to the right device"
    try:
        camera.open()
    except (CameraError, OSError) as exc:
        return False, f"the camera does not open ({type(exc).__name__})", fix
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
        return False, f"the camera stopped ({type(exc).__name__})", fix
    finally:
        camera.close()
    if not frames:
        return False, "the camera gives no picture", fix
    summary = f"{frames} frames in {seconds:.0f} s, {last.width}x{last.height}"
    if detect:
        faces = _faces(last)
        summary += f", {faces} face(s) seen" if faces >= 0 else ", face detection unavailable"
    return True, summary, ""


def _faces(frame: Any) -> int:
    try:
        import numpy as np

        from devices.face.models import shared_models
    except ImportError:
        return -1
    image = np.frombuffer(frame.data, dtype=np.uint8).reshape(frame.height, frame.width, 3)[:, :, ::-1]
    return len(shared_models().detect(np.ascontiguousarray(image)))

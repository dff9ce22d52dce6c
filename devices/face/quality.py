"""Quality gates for guided capture: one prompt key per frame, or None when the frame is good.

Order matters: the first failing gate gives the prompt the person sees and hears.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from devices.face.models import Detection


@dataclass(frozen=True)
class Gates:
    """Thresholds; sizes are fractions of the frame width."""

    min_face: float = 0.18  # face box narrower than this: move closer
    max_face: float = 0.70  # wider: move back
    max_offset: float = 0.22  # face centre further than this from the frame centre: centre it
    min_brightness: float = 60.0  # mean grey level of the face box (0-255)
    max_brightness: float = 225.0
    min_sharpness: float = 25.0  # Laplacian variance of the face resized to 128x128
    max_yaw: float = 0.06  # |yaw| above this when a frontal view is needed: face the camera


def face_crop(grey: np.ndarray, face: Detection, size: int = 128) -> np.ndarray:
    h, w = grey.shape[:2]
    x0, y0 = max(face.left, 0), max(face.top, 0)
    x1, y1 = min(face.right, w), min(face.bottom, h)
    if x1 - x0 < 4 or y1 - y0 < 4:
        return np.zeros((size, size), np.uint8)
    return cv2.resize(grey[y0:y1, x0:x1], (size, size), interpolation=cv2.INTER_AREA)


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian: low for blurred (moving or out-of-focus) faces."""
    return float(cv2.Laplacian(crop, cv2.CV_64F).var())


def check_frame(grey: np.ndarray, faces: list[Detection], gates: Gates) -> str | None:
    """The prompt key for the first gate this frame fails, or None."""
    if not faces:
        return "face_center"
    if len(faces) > 1:
        return "face_one_person"
    face = faces[0]
    h, w = grey.shape[:2]
    ratio = face.width / w
    if ratio < gates.min_face:
        return "face_move_closer"
    if ratio > gates.max_face:
        return "face_move_back"
    cx, cy = face.centre
    if abs(cx - w / 2) > gates.max_offset * w or abs(cy - h / 2) > gates.max_offset * h * 1.3:
        return "face_center"
    crop = face_crop(grey, face)
    brightness = float(crop.mean())
    if brightness < gates.min_brightness:
        return "face_more_light"
    if brightness > gates.max_brightness:
        return "face_less_light"
    if sharpness(crop) < gates.min_sharpness:
        return "face_hold_still"
    return None

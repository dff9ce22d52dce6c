"""Face frames built from public-domain images that install offline (scikit-image data).

`skimage.data.astronaut()` is a NASA portrait (public domain); `lfw_subset()` holds 100
small face crops from Labeled Faces in the Wild, used only as a rough impostor set.
Used by the tests, the benchmark and the camera simulator; nothing is written to disk.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

WIDTH, HEIGHT = 640, 480
# Where the astronaut's face is in the 512x512 original (HOG box (179,83)-(266,170)).
_FACE_X, _FACE_Y = 222, 126


@functools.cache
def _astronaut_bgr() -> np.ndarray:
    from skimage import data

    return cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)


def live_frame() -> np.ndarray:
    """A 640x480 BGR camera-like frame: the face about 180 px wide, near the centre."""
    crop = _astronaut_bgr()[0:270, _FACE_X - 180:_FACE_X + 180]
    return cv2.resize(crop, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)


def card_photo_bytes(fmt: str = "jpeg") -> bytes:
    """A degraded 102x126 "card photo" of the same face (JPEG quality 50, or BMP)."""
    src = _astronaut_bgr()
    crop = src[126 - 90:126 + 80, _FACE_X - 70:_FACE_X + 70]
    card = cv2.resize(crop, (102, 126), interpolation=cv2.INTER_AREA)
    if fmt == "bmp":
        ok, data = cv2.imencode(".bmp", card)
    else:
        ok, data = cv2.imencode(".jpg", card, [cv2.IMWRITE_JPEG_QUALITY, 50])
    assert ok
    return data.tobytes()


def impostor_faces(count: int = 100) -> list[np.ndarray]:
    """LFW crops (25x25 grey) scaled to 150x150 RGB: other people's faces."""
    from skimage import data

    out = []
    for img in data.lfw_subset()[:count]:
        grey = (np.clip(img, 0, 1) * 255).astype(np.uint8)
        big = cv2.resize(grey, (150, 150), interpolation=cv2.INTER_CUBIC)
        out.append(np.ascontiguousarray(np.dstack([big] * 3)))
    return out


def impostor_card_bytes(index: int) -> bytes:
    """Someone else's face as a JPEG "card photo"."""
    rgb = impostor_faces(index + 1)[index]
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 80])
    assert ok
    return data.tobytes()


def blank_frame(level: int = 128) -> np.ndarray:
    return np.full((HEIGHT, WIDTH, 3), level, np.uint8)


def two_faces_frame() -> np.ndarray:
    """Two people side by side (the same portrait twice)."""
    face = cv2.resize(live_frame()[0:480, 140:500], (320, 427), interpolation=cv2.INTER_AREA)
    frame = blank_frame(200)
    frame[26:453, 0:320] = face
    frame[26:453, 320:640] = face
    return frame


def blurred_frame(sigma: float = 4.0) -> np.ndarray:
    return cv2.GaussianBlur(live_frame(), (0, 0), sigma)


def dark_frame(factor: float = 0.25) -> np.ndarray:
    return (live_frame().astype(np.float32) * factor).astype(np.uint8)


def small_face_frame() -> np.ndarray:
    """The person stands too far away: the face about 90 px wide."""
    frame = blank_frame(190)
    small = cv2.resize(live_frame(), (320, 240), interpolation=cv2.INTER_AREA)
    frame[120:360, 160:480] = small
    return frame


def _nose_warp(frame: np.ndarray, nose: tuple[float, float], eye_distance: float,
               dx: float, dy: float) -> np.ndarray:
    """Move the nose region by (dx, dy) eye distances, leaving the eyes almost in place.

    A 2-D imitation of what a head turn (dx) or nod (dy) does to the landmark geometry;
    it does not model the foreshortening of the far cheek.
    """
    h, w = frame.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = nose[0], nose[1] - 0.25 * eye_distance
    sigma = 0.5 * eye_distance
    weight = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2)).astype(np.float32)
    map_x = (xx - np.float32(dx * eye_distance) * weight).astype(np.float32)
    map_y = (yy - np.float32(dy * eye_distance) * weight).astype(np.float32)
    return cv2.remap(frame, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


# Landmarks of live_frame() as dlib's 5-point model finds them (nose base, eye distance).
_NOSE = (324.0, 240.0)
_EYE_DISTANCE = 76.0


def head_move_sequence(direction: str, *, rest: int = 4, steps: int = 6, hold: int = 3,
                       amount: float = 0.3) -> list[np.ndarray]:
    """Frames of a synthesized head movement: facing, moving, holding, back to facing.

    direction: "left" (the person's left: nose to image right), "right" or "nod".
    """
    base = live_frame()
    dx, dy = {"left": (amount, 0.0), "right": (-amount, 0.0), "nod": (0.0, -amount)}[direction]
    frames = [base.copy() for _ in range(rest)]
    ramp = [i / steps for i in range(1, steps + 1)]
    for t in ramp + [1.0] * hold + ramp[::-1]:
        frames.append(_nose_warp(base, _NOSE, _EYE_DISTANCE, dx * t, dy * t))
    frames += [base.copy() for _ in range(rest)]
    return frames


def held_photo_sequence(count: int = 30, seed: int = 7) -> list[np.ndarray]:
    """A printed photo held up: the same still picture, moved as one flat plane.

    Small shifts, in-plane rotation, scale changes and a sideways tilt (horizontal squeeze),
    plus sensor noise: everything a hand can do with a photo, none of which moves the nose
    relative to the eyes.
    """
    rng = np.random.default_rng(seed)
    base = live_frame()
    h, w = base.shape[:2]
    frames = []
    for i in range(count):
        t = i / max(1, count - 1)
        angle = 6.0 * np.sin(2 * np.pi * t)
        scale = 1.0 + 0.05 * np.sin(np.pi * t)
        m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
        squeeze = 1.0 - 0.25 * np.sin(np.pi * t)  # the photo turned about its vertical axis
        m[0] *= squeeze
        m[0, 2] += (1 - squeeze) * w / 2 + 10 * np.sin(4 * np.pi * t)
        moved = cv2.warpAffine(base, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
        noise = rng.normal(0, 2.0, moved.shape)
        frames.append(np.clip(moved + noise, 0, 255).astype(np.uint8))
    return frames

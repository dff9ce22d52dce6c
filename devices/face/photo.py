"""The reference photo: the card's photo when it can be decoded, as an RGB array in memory.

Resident ID cards deliver the photo as WLT, a compressed format only a licensed decoder
(from the card reader's SDK) can read. Without one, the photo is "not decodable" and the
citizen is offered the staff check with a plain message. A decoder can be plugged in:
a callable that turns WLT bytes into BMP/JPEG bytes (or returns None).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import cv2
import numpy as np

from kiosk.identity import IdentityDocument

log = logging.getLogger("kiosk.face")

WltDecoder = Callable[[bytes], bytes | None]

MIN_SIDE = 48  # smaller images cannot hold a usable face


def decode_image(data: bytes) -> np.ndarray | None:
    """BMP/JPEG/PNG bytes -> RGB uint8 array, or None when the bytes are not a usable image."""
    if not data:
        return None
    try:
        bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    except cv2.error:
        return None
    if bgr is None or min(bgr.shape[:2]) < MIN_SIDE:
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def card_photo(document: IdentityDocument, *, wlt_decoder: WltDecoder | None = None) -> np.ndarray | None:
    """The document's photo as RGB, or None when there is none or it cannot be decoded."""
    fmt = document.photo_format
    data = document.photo
    if fmt == "wlt":
        if wlt_decoder is None:
            return None
        try:
            data = wlt_decoder(data) or b""
        except Exception as exc:  # a vendor decoder failing must not end the journey
            log.warning("wlt decoder failed", extra={"event": "face_photo", "error": type(exc).__name__})
            return None
    elif fmt not in ("bmp", "jpeg", "png"):
        return None
    return decode_image(data)

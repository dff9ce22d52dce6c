"""Measure text as a person sees it: from the rendered pixels, not from declared sizes.

For one line of text on the rendered window (a numpy RGB array): the background is the commonest
colour in the line's box (strokes cover a minority of it); "ink" is every pixel that differs from it. Glyphs are the
runs of inked columns; a glyph's height is its ink's vertical extent. The line's glyph height is
the median over its glyphs at least half as tall as the tallest (flat ones like 一 or 。 say
nothing of the size): for Chinese text the height of the ideographs as drawn, for a line of
digits the digits' height. The contrast is that of the strongest ink pixel (a stroke's core,
which anti-aliasing does not lighten) against the background, by the WCAG formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INK_DISTANCE = 60  # sum of |dR|+|dG|+|dB| from the background that counts as ink


@dataclass(frozen=True)
class Ink:
    glyph_height: float  # median glyph ink height, px
    tallest: float  # the tallest glyph, px
    contrast: float  # strongest ink pixel against the background
    glyphs: int


def grab(window: Any) -> Any:
    """The window as rendered, as an H x W x 3 uint8 numpy array."""
    import numpy as np
    from PySide6.QtGui import QImage

    image = window.grabWindow().convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height).reshape(height, stride)
    return data[:, : width * 3].reshape(height, width, 3).copy()


def _luminance(rgb: Any) -> Any:
    import numpy as np

    c = np.asarray(rgb, dtype=float) / 255.0
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c[..., 0] * 0.2126 + c[..., 1] * 0.7152 + c[..., 2] * 0.0722


def measure(pixels: Any, x: float, y: float, width: float, height: float) -> Ink | None:
    """The ink of one line of text in the box (window pixels); None if nothing is drawn there."""
    import numpy as np

    h, w = pixels.shape[:2]
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(w, int(round(x + width))), min(h, int(round(y + height)))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    box = pixels[y0:y1, x0:x1].astype(int)
    colours, counts = np.unique(box.reshape(-1, 3), axis=0, return_counts=True)
    background = colours[counts.argmax()]
    ink = np.abs(box - background).sum(axis=2) > INK_DISTANCE
    if not ink.any():
        return None
    columns = ink.any(axis=0)
    heights: list[int] = []
    start = None
    for i, on in enumerate(list(columns) + [False]):
        if on and start is None:
            start = i
        elif not on and start is not None:
            rows = np.flatnonzero(ink[:, start:i].any(axis=1))
            heights.append(int(rows[-1] - rows[0] + 1))
            start = None
    lum_bg = float(_luminance(background))
    lum_ink = _luminance(box[ink])
    strongest = lum_ink[np.argmax(np.abs(lum_ink - lum_bg))]
    hi, lo = max(strongest, lum_bg), min(strongest, lum_bg)
    tallest = max(heights)
    typical = [h for h in heights if h * 2 >= tallest]  # flat glyphs (一, －, 。) say nothing of the size
    return Ink(float(np.median(typical)), float(tallest), (hi + 0.05) / (lo + 0.05), len(heights))

"""The CJK font embedded in composed copies (reportlab needs TrueType outlines).

Debian's Noto Sans CJK files use CFF outlines, which reportlab cannot embed, so
copies use WenQuanYi Micro Hei (apt: fonts-wqy-microhei), a TrueType CJK font.
"""

from __future__ import annotations

import threading
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_NAME = "KioskCJK"
FONT_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/wqy-microhei/wqy-microhei.ttc"),
)
_lock = threading.Lock()


class FontMissing(RuntimeError):
    """No usable CJK TrueType font is installed; the message says which package to add."""


def cjk_font() -> str:
    """Register the CJK font with reportlab once and return its name."""
    with _lock:
        if FONT_NAME in pdfmetrics.getRegisteredFontNames():
            return FONT_NAME
        for path in FONT_FILES:
            if path.exists():
                pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
                return FONT_NAME
    raise FontMissing("no CJK TrueType font found: install the Debian package fonts-wqy-microhei")

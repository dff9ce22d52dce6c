"""Certificate files as real one-page PDFs with an embedded CJK TrueType font (reportlab).

Debian's Noto Sans CJK has CFF outlines that reportlab cannot embed, so this uses WenQuanYi
Micro Hei (apt fonts-wqy-microhei), a TrueType CJK font. Output is deterministic for the
same input (reportlab's invariant mode), so signatures and caches stay stable.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT_NAME = "KioskCJK"
FONT_CANDIDATES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
                   Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))
_font_lock = threading.Lock()
_font_ready = False


class FontMissing(RuntimeError):
    """No embeddable CJK TrueType font is installed."""


def _ensure_font() -> None:
    global _font_ready
    with _font_lock:
        if _font_ready:
            return
        for path in FONT_CANDIDATES:
            if path.exists():
                pdfmetrics.registerFont(TTFont(FONT_NAME, str(path), subfontIndex=0))
                _font_ready = True
                return
        raise FontMissing("install the Debian package fonts-wqy-microhei (a TrueType CJK font)")


def _header(c: canvas.Canvas, cert: dict[str, Any], width: float, height: float) -> float:
    c.setStrokeColorRGB(0.55, 0.1, 0.1)
    c.setLineWidth(3)
    c.rect(36, 36, width - 72, height - 72)
    c.setFillColorRGB(0.55, 0.1, 0.1)
    c.setFont(FONT_NAME, 26)
    c.drawCentredString(width / 2, height - 110, cert["name"])
    c.setFillColorRGB(0, 0, 0)
    c.setFont(FONT_NAME, 10)
    c.drawCentredString(width / 2, height - 132, f"证照编号 {cert['number']}")
    c.drawCentredString(width / 2, height - 148, f"证照标识 {cert['identifier']}")
    return height - 200


def _lines(cert: dict[str, Any]) -> list[tuple[str, str]]:
    holder_label = {"uscc": "统一社会信用代码", "resident_id": "公民身份号码"}.get(cert["holder_type"], "证件号码")
    rows = [("持证主体", cert["holder_name"]), (holder_label, cert["holder_code"])]
    rows += list(cert["fields"].items())
    rows += [("发证机关", cert["issuer"]), ("发证机关代码", cert["issuer_code"]),
             ("发证日期", cert["issue_date"]), ("证照有效期", cert["valid_until"] or "长期")]
    return rows


def _body(c: canvas.Canvas, cert: dict[str, Any], top: float) -> None:
    y = top
    for label, value in _lines(cert):
        c.setFont(FONT_NAME, 13)
        c.drawRightString(220, y, label + "：")
        c.drawString(230, y, str(value)[:40])
        y -= 30
    c.setFont(FONT_NAME, 9)
    c.setFillColorRGB(0.35, 0.35, 0.35)
    c.drawString(60, 60, "本电子证照由参考公共数据平台生成，内容虚构，仅供演示与测试。")
    c.setFillColorRGB(0, 0, 0)


def render_certificate(cert: dict[str, Any]) -> bytes:
    """The original certificate file."""
    _ensure_font()
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(cert["name"])
    _body(c, cert, _header(c, cert, width, height))
    c.showPage()
    c.save()
    return buf.getvalue()


def render_stamped(cert: dict[str, Any], *, purpose: str, expires: str, verify_code: str, verify_url: str) -> bytes:
    """A purpose-stamped copy (加注件): the certificate as issued, titled as a copy.

    The marks (purpose, verification code, expiry, verification address) are bound to this
    file by the signature's metadata and printed once, by the kiosk, in bands that leave the
    certificate's text clear; drawing them here too gave two QR codes and two watermarks."""
    _ensure_font()
    buf = io.BytesIO()
    width, height = A4
    c = canvas.Canvas(buf, pagesize=A4, invariant=1, pageCompression=1)
    c.setTitle(cert["name"] + "（加注件）")
    _body(c, cert, _header(c, cert, width, height))
    c.showPage()
    c.save()
    return buf.getvalue()

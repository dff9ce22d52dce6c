"""Compose the printed copy: the platform's PDF with one purpose watermark, one expiry line and one QR code.

Each page of the (already verified) source PDF is scaled onto an A4 page between a
watermark band at the top and a footer band at the bottom, so no mark covers the
certificate's text. The band carries the purpose watermark ("仅供办理……使用") in a
blue no certificate uses, dark enough for a reader and for OCR; the footer carries the
print time, the kiosk id, the verification code, the one expiry line with its meaning
spelled out, and a vector QR code (segno) pointing at the platform's public
verification page. pypdf merges the two, so the source keeps its vector text and the
overlay's CJK font is embedded. Qt-free: runs on any worker thread.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
from dataclasses import dataclass

import segno
from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from printing.fonts import cjk_font

A4_W, A4_H = A4
FOOTER_H = 38 * mm  # band at the bottom of each page for the marks and the QR code
BAND_H = 16 * mm  # band at the top of each page for the purpose watermark
WATERMARK_RGB = (0.0, 0.2, 0.72)  # blue: no certificate text colour; 8.6:1 on white paper
WATERMARK_PT = 22
MARGIN = 10 * mm
QR_SIZE = 30 * mm
MAX_PAGES = 30
MAX_BYTES = 20 * 1024 * 1024
_CODE = re.compile(r"[0-9A-Za-z-]{4,64}")
_URL = re.compile(r"https://[\x21-\x7e]{1,300}")  # the platform's public address: never loopback http


class CopyRefused(ValueError):
    """The input cannot be printed. ``key`` is a message key; no content in the text."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


@dataclass(frozen=True)
class CopyMarks:
    """What the kiosk prints on every page of a copy."""

    purpose: str  # zh-CN, e.g. "入学": the watermark reads 仅供办理入学使用
    kiosk_id: str
    printed_at: _dt.datetime
    verify_code: str
    verify_url: str
    expires: _dt.date | None = None

    @property
    def watermark(self) -> str:
        """仅供办理……使用; a purpose that already says 办理 (办理入学) is not doubled."""
        action = self.purpose if self.purpose.startswith("办理") else f"办理{self.purpose}"
        return f"仅供{action}使用"


def compose_copy(source: bytes, marks: CopyMarks) -> bytes:
    """The printable copy as PDF bytes; raises CopyRefused for unusable input."""
    _check_marks(marks)
    reader = _open(source)
    total = len(reader.pages)
    overlay = PdfReader(io.BytesIO(_overlay(marks, total)))
    writer = PdfWriter()
    try:
        source_pages = PdfWriter(clone_from=reader).pages  # pages pypdf may transform
        for index, page in enumerate(source_pages):
            target = writer.add_blank_page(A4_W, A4_H)
            _place(target, page)
            target.merge_page(overlay.pages[index])
    except Exception as exc:  # a file pypdf parsed but cannot draw
        raise CopyRefused("print_bad_file", type(exc).__name__) from None
    writer.add_metadata({"/Title": "kiosk copy", "/Creator": "kiosk", "/Producer": "kiosk"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _check_marks(marks: CopyMarks) -> None:
    if not _CODE.fullmatch(marks.verify_code or ""):
        raise CopyRefused("print_bad_file", "verification code")
    if not _URL.fullmatch(marks.verify_url or ""):
        raise CopyRefused("print_bad_file", "verification url")
    if not marks.purpose or len(marks.purpose) > 30:
        raise CopyRefused("print_bad_file", "purpose")


def _open(source: bytes) -> PdfReader:
    if not isinstance(source, bytes | bytearray) or not source:
        raise CopyRefused("print_bad_file", "empty")
    if len(source) > MAX_BYTES:
        raise CopyRefused("print_bad_file", "too large")
    if b"%PDF-" not in source[:1024]:
        raise CopyRefused("print_bad_file", "not a PDF")
    try:
        reader = PdfReader(io.BytesIO(bytes(source)), strict=False)
        if reader.is_encrypted:
            raise CopyRefused("print_bad_file", "encrypted")
        count = len(reader.pages)
        for page in reader.pages:
            box = page.mediabox
            if not (float(box.width) > 0 and float(box.height) > 0):
                raise CopyRefused("print_bad_file", "empty page box")
    except CopyRefused:
        raise
    except Exception as exc:  # pypdf raises many kinds on broken files
        raise CopyRefused("print_bad_file", type(exc).__name__) from None
    if not 1 <= count <= MAX_PAGES:
        raise CopyRefused("print_bad_file", f"{count} pages")
    return reader


def _place(target: PageObject, page: PageObject) -> None:
    """Scale ``page`` (rotation applied) into the area above the footer band, centred."""
    page.transfer_rotation_to_content()
    box = page.mediabox
    x0, y0 = float(box.left), float(box.bottom)
    w, h = float(box.width), float(box.height)
    area_w, area_h = A4_W - 2 * MARGIN, A4_H - BAND_H - FOOTER_H
    scale = min(area_w / w, area_h / h)
    tx = MARGIN + (area_w - w * scale) / 2
    ty = FOOTER_H + (area_h - h * scale) / 2
    op = Transformation().translate(-x0, -y0).scale(scale, scale).translate(tx, ty)
    target.merge_transformed_page(page, op)


def _overlay(marks: CopyMarks, pages: int) -> bytes:
    font = cjk_font()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, initialFontName=font, initialFontSize=10, invariant=1)
    for number in range(1, pages + 1):
        _watermark(c, font, marks.watermark)
        _footer(c, font, marks, number, pages)
        c.showPage()
    c.save()
    return out.getvalue()


def _watermark(c: canvas.Canvas, font: str, text: str) -> None:
    """The purpose, twice across the top band: solid blue, horizontal, never over the certificate."""
    c.saveState()
    c.setFillColorRGB(*WATERMARK_RGB)
    c.setStrokeColorRGB(*WATERMARK_RGB)
    c.setFont(font, WATERMARK_PT)
    y = A4_H - BAND_H + (BAND_H - WATERMARK_PT * 0.8) / 2
    for x in (A4_W / 4, 3 * A4_W / 4):
        c.drawCentredString(x, y, text)
    c.setLineWidth(0.8)
    c.line(MARGIN, A4_H - BAND_H, A4_W - MARGIN, A4_H - BAND_H)
    c.restoreState()


def _footer(c: canvas.Canvas, font: str, marks: CopyMarks, number: int, pages: int) -> None:
    c.setStrokeColorRGB(0.3, 0.3, 0.3)
    c.setLineWidth(0.6)
    c.line(MARGIN, FOOTER_H - 2 * mm, A4_W - MARGIN, FOOTER_H - 2 * mm)
    c.setFillColorRGB(0, 0, 0)
    x, y = MARGIN, FOOTER_H - 9 * mm
    c.setFont(font, 12)
    c.drawString(x, y, f"核验码：{marks.verify_code}")
    c.setFont(font, 9)
    lines = [
        expiry_line(marks.expires),
        "扫描右侧二维码或访问以下地址核验真伪：",
        marks.verify_url,
        f"打印时间：{marks.printed_at:%Y-%m-%d %H:%M:%S}　终端编号：{marks.kiosk_id}　第 {number} 页 / 共 {pages} 页",
    ]
    for line in lines:
        y -= 4.6 * mm
        c.drawString(x, y, line)
    _qr(c, marks.verify_url, A4_W - MARGIN - QR_SIZE, (FOOTER_H - 2 * mm - QR_SIZE) / 2, QR_SIZE)


def expiry_line(expires: _dt.date | None) -> str:
    """The copy's only expiry, and what it means (the certificate's own validity is in its body)."""
    if expires is None:
        return "本打印件的核验不设期限；证照本身的有效期以正文为准。"
    return f"本打印件可核验至 {expires.isoformat()}，此后扫码将显示已失效；证照本身的有效期以正文为准。"


def _qr(c: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    """A vector QR code (error correction M) with its quiet zone, as filled squares."""
    qr = segno.make_qr(data, error="m", boost_error=False)
    matrix = [list(row) for row in qr.matrix]
    border = 4
    modules = len(matrix) + 2 * border
    cell = size / modules
    c.saveState()
    c.setFillColorRGB(1, 1, 1)
    c.rect(x, y, size, size, stroke=0, fill=1)
    c.setFillColorRGB(0, 0, 0)
    for r, row in enumerate(matrix):
        top = y + size - (r + border + 1) * cell
        col = 0
        while col < len(row):  # one rectangle per horizontal run of dark modules
            if row[col]:
                start = col
                while col < len(row) and row[col]:
                    col += 1
                c.rect(x + (start + border) * cell, top, (col - start) * cell, cell * 1.02, stroke=0, fill=1)
            else:
                col += 1
    c.restoreState()

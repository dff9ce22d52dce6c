"""Compose the printed copy: the platform's PDF with purpose watermark, marks and QR code.

Each page of the (already verified) source PDF is scaled onto an A4 page above a
footer band; an overlay drawn with reportlab adds a diagonal purpose watermark
("仅供办理……使用"), the print time, the kiosk id, the verification code and a
vector QR code (segno) pointing at the platform's verification page. pypdf
merges the two, so the source keeps its vector text and the overlay's CJK font
is embedded. Qt-free: runs on any worker thread.
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
MARGIN = 10 * mm
QR_SIZE = 30 * mm
MAX_PAGES = 30
MAX_BYTES = 20 * 1024 * 1024
_CODE = re.compile(r"[0-9A-Za-z-]{4,64}")
_URL = re.compile(r"https?://[\x21-\x7e]{1,300}")


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
    area_w, area_h = A4_W - 2 * MARGIN, A4_H - MARGIN - FOOTER_H
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
    """Diagonal, translucent, repeated; clipped to the area above the footer."""
    c.saveState()
    clip = c.beginPath()
    clip.rect(0, FOOTER_H, A4_W, A4_H - FOOTER_H)
    c.clipPath(clip, stroke=0, fill=0)
    c.setFillColorRGB(0.55, 0.55, 0.55)
    c.setFillAlpha(0.22)
    c.setFont(font, 34)
    c.translate(A4_W / 2, (A4_H + FOOTER_H) / 2)
    c.rotate(35)
    for row in (-2, -1, 0, 1, 2):
        c.drawCentredString(0, row * 150, text)
    c.restoreState()


def _footer(c: canvas.Canvas, font: str, marks: CopyMarks, number: int, pages: int) -> None:
    c.setStrokeColorRGB(0.3, 0.3, 0.3)
    c.setLineWidth(0.6)
    c.line(MARGIN, FOOTER_H - 2 * mm, A4_W - MARGIN, FOOTER_H - 2 * mm)
    c.setFillColorRGB(0, 0, 0)
    x, y = MARGIN, FOOTER_H - 9 * mm
    c.setFont(font, 13)
    c.drawString(x, y, marks.watermark)
    c.setFont(font, 9)
    lines = [
        f"打印时间：{marks.printed_at:%Y-%m-%d %H:%M:%S}　终端编号：{marks.kiosk_id}",
        f"核验码：{marks.verify_code}" + (f"　核验有效期至：{marks.expires.isoformat()}" if marks.expires else ""),
        "扫描右侧二维码或访问以下地址核验真伪：",
        marks.verify_url,
        f"第 {number} 页 / 共 {pages} 页",
    ]
    for line in lines:
        y -= 4.6 * mm
        c.drawString(x, y, line)
    _qr(c, marks.verify_url, A4_W - MARGIN - QR_SIZE, (FOOTER_H - 2 * mm - QR_SIZE) / 2, QR_SIZE)


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

"""A printer that writes PDFs to a folder: the demo and test stand-in for a real printer.

Each job is composed in memory as an A4 PDF with Qt's QPdfWriter and QPainter (QtGui
only, so it also runs on a worker thread while the GUI owns the main thread), then
written to a temporary file in the folder and atomically renamed to ``<job_id>.pdf``.
The job id is a random uuid4 hex: file names never carry personal data.

Known Qt quirk: the PDF text layer maps each glyph back to its lowest Unicode code
point, so ideographs that share a glyph with a radical (民 户 日 用 ...) extract as the
radical (⺠ ⼾ ⽇ ⽤). The printed page is unaffected; only copy/paste and search are.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import tempfile
import threading
import uuid
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPageLayout, QPageSize, QPainter, QPdfWriter, QPen

from kiosk.interfaces import Certificate, PrinterState, PrintResult

FONT_FAMILY = "Noto Sans CJK SC"
_RESOLUTION = 300  # dots per inch of the painter's coordinate system
_MARGIN_MM = 20.0


def _date(day: _dt.date | None) -> str:
    return "长期" if day is None else day.isoformat()


class PdfFolderPrinter:
    """kiosk.interfaces.Printer that saves every job as a PDF in ``folder``.

    Set ``fail_with`` (in the constructor or later) to simulate a printer fault.
    A QGuiApplication must exist (any thread may print); without one jobs fail.
    """

    def __init__(self, folder: Path, *, fail_with: PrinterState | None = None) -> None:
        self.folder = Path(folder)
        self.fail_with = fail_with
        self._lock = threading.Lock()  # one job at a time, like a real printer

    def state(self) -> PrinterState:
        return self.fail_with if self.fail_with is not None else PrinterState.READY

    def print_certificate(self, cert: Certificate, *, purpose: str, kiosk_id: str) -> PrintResult:
        state = self.state()
        if state is not PrinterState.READY:
            return PrintResult(ok=False, job_id="", reason=f"printer_{state.value}")
        job_id = uuid.uuid4().hex
        with self._lock:
            data = _compose(cert, purpose=purpose, kiosk_id=kiosk_id, printed_at=_dt.datetime.now())
            if not data:
                return PrintResult(ok=False, job_id="", reason="printer_error")
            try:
                self._write(job_id, data)
            except OSError:
                return PrintResult(ok=False, job_id="", reason="printer_error")
        return PrintResult(ok=True, job_id=job_id)

    def _write(self, job_id: str, data: bytes) -> None:
        """Write to a temporary name, then rename into place; never leave a partial file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".job-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / f"{job_id}.pdf")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def _compose(cert: Certificate, *, purpose: str, kiosk_id: str, printed_at: _dt.datetime) -> bytes:
    """Render the certificate as PDF bytes; empty bytes when Qt could not paint."""
    if QGuiApplication.instance() is None:  # fonts need one; Qt would abort the process
        return b""
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(_RESOLUTION)
    writer.setTitle(cert.name)
    writer.setCreator("kiosk")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.A4),
            QPageLayout.Orientation.Portrait,
            QMarginsF(_MARGIN_MM, _MARGIN_MM, _MARGIN_MM, _MARGIN_MM),
            QPageLayout.Unit.Millimeter,
        )
    )
    painter = QPainter()
    if not painter.begin(writer):
        return b""
    try:
        _paint(painter, writer, cert, purpose=purpose, kiosk_id=kiosk_id, printed_at=printed_at)
    finally:
        painter.end()
    buffer.close()
    return bytes(array.data())


def _paint(
    painter: QPainter,
    writer: QPdfWriter,
    cert: Certificate,
    *,
    purpose: str,
    kiosk_id: str,
    printed_at: _dt.datetime,
) -> None:
    page = QRectF(0, 0, writer.width(), writer.height())  # printable area, in dots
    dots_per_pt = _RESOLUTION / 72.0

    def font(points: float, bold: bool = False) -> QFont:
        f = QFont(FONT_FAMILY)
        f.setPixelSize(round(points * dots_per_pt))
        f.setBold(bold)
        # Noto CJK's 'locl' swaps digits in Latin runs ("NO123") for glyphs without a
        # cmap entry, which Qt then cannot map back to text; SC ideographs are unaffected.
        f.setFeature(QFont.Tag.fromString("locl"), 0)
        return f

    # Purpose watermark first, so the text is drawn over it.
    watermark = f"仅供办理{purpose}使用"
    painter.save()
    painter.setPen(QColor(200, 200, 200))
    painter.setFont(font(40, bold=True))
    painter.translate(page.center())
    painter.rotate(-45)
    span = max(page.width(), page.height()) * 1.5
    painter.drawText(QRectF(-span / 2, -span / 8, span, span / 4), Qt.AlignmentFlag.AlignCenter, watermark)
    painter.restore()

    painter.setPen(QColor(0, 0, 0))
    painter.setFont(font(22, bold=True))
    title_h = 22 * dots_per_pt * 2
    painter.drawText(QRectF(0, 0, page.width(), title_h), Qt.AlignmentFlag.AlignCenter, cert.name)
    painter.setPen(QPen(QColor(0, 0, 0), 3))
    painter.drawLine(0, round(title_h), round(page.width()), round(title_h))

    lines = [
        ("持证主体", cert.holder_name),
        ("持证主体代码", cert.holder_code),
        ("证照编号", cert.number),
        ("证照标识", cert.identifier),
        ("颁发机构", cert.issuer),
        ("颁发日期", _date(cert.issue_date)),
        ("有效期至", _date(cert.valid_until)),
        *cert.fields.items(),
    ]
    body = font(12)
    painter.setFont(body)
    line_h = 12 * dots_per_pt * 2
    label_w = page.width() * 0.28
    y = title_h + line_h
    for label, value in lines:
        painter.drawText(QRectF(0, y, label_w, line_h), Qt.AlignmentFlag.AlignVCenter, f"{label}：")
        painter.drawText(
            QRectF(label_w, y, page.width() - label_w, line_h),
            int(Qt.AlignmentFlag.AlignVCenter) | int(Qt.TextFlag.TextWordWrap),
            value,
        )
        y += line_h

    painter.setPen(QColor(90, 90, 90))
    painter.setFont(font(9))
    footer_h = 9 * dots_per_pt * 2
    footer = f"{watermark}    打印时间：{printed_at:%Y-%m-%d %H:%M:%S}    终端：{kiosk_id}"
    painter.drawText(QRectF(0, page.height() - footer_h, page.width(), footer_h), Qt.AlignmentFlag.AlignCenter, footer)

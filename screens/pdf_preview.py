"""On-screen preview of the certificate file, rendered from the PDF with QtPdf.

The file is fetched with ``platform.download(cert)`` on the network lane (the
client verifies its signature); the page images are rendered by QPdfDocument
on request through the ``image://preview/<page>/<width>/<revision>`` provider.
Read-only: no text selection, no saving. The PDF lives in memory only and is
dropped when the citizen leaves the preview or the session ends.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QBuffer, QByteArray, QIODevice, QObject, QSize, Signal, Slot
from PySide6.QtGui import QColor, QImage
from PySide6.QtQuick import QQuickImageProvider

log = logging.getLogger("kiosk.preview")
ZOOM_STEPS = (1.0, 1.5, 2.0, 3.0)
MAX_RENDER_WIDTH = 4000


class PdfPreview(QObject):
    """Exposed to QML as ``pdfPreview``: status, page, pageCount, zoom, source."""

    changed = Signal()

    def __init__(self, tasks: Any, platform: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._platform = platform
        self._pdf: Any = None  # QPdfDocument, made on the first preview (QtPdf stays off the start-up path)
        self._buffer: QBuffer | None = None
        self._status = ""  # "" | "loading" | "ready" | "unavailable"
        self._cert_id = ""
        self._page = 0
        self._zoom = 0
        self._revision = 0

    @property
    def _doc(self) -> Any:
        if self._pdf is None:
            from PySide6.QtPdf import QPdfDocument

            self._pdf = QPdfDocument(self)
        return self._pdf

    # ------------------------------------------------------------ loading

    def show(self, cert: Any) -> None:
        """Fetch and show ``cert``'s file (no-op if it is already shown or loading)."""
        if cert.cert_id == self._cert_id:
            return
        self.clear()
        self._cert_id = cert.cert_id
        self._status = "loading"
        self.changed.emit()
        cert_id = cert.cert_id

        def fetch() -> bytes | None:
            try:
                return self._platform.download(cert)
            except Exception as exc:  # not found, bad signature, offline: the metadata view stays
                log.warning("preview file unavailable", extra={"event": "preview", "error": type(exc).__name__,
                                                               "kind": getattr(getattr(exc, "kind", None),
                                                                               "value", "")})
                return None

        self._tasks.run("network", fetch, lambda data: self._loaded(cert_id, data))

    def _loaded(self, cert_id: str, data: bytes | None) -> None:
        if cert_id != self._cert_id:
            return  # the citizen moved on
        if data:
            self._buffer = QBuffer(self)
            self._buffer.setData(QByteArray(data))
            self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            self._doc.load(self._buffer)
        ok = bool(data) and self._doc.status() == self._doc.Status.Ready and self._doc.pageCount() > 0
        self._status = "ready" if ok else "unavailable"
        self._revision += 1
        self.changed.emit()

    def clear(self) -> None:
        if not self._cert_id and not self._status:
            return
        self._doc.close()
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.setData(QByteArray())
            self._buffer.deleteLater()
            self._buffer = None
        self._cert_id = ""
        self._status = ""
        self._page = 0
        self._zoom = 0
        self._revision += 1
        self.changed.emit()

    # ------------------------------------------------------------ rendering

    def render(self, page: int, width: int) -> QImage:
        """Page ``page`` at ``width`` pixels; a blank image when nothing is loaded."""
        if self._status != "ready" or not 0 <= page < self._doc.pageCount():
            image = QImage(1, 1, QImage.Format.Format_RGB32)
            image.fill(QColor("white"))
            return image
        size = self._doc.pagePointSize(page)
        width = max(100, min(width, MAX_RENDER_WIDTH))
        height = round(width * size.height() / max(1.0, size.width()))
        image = self._doc.render(page, QSize(width, height))
        # Paper is white; the PDF's page may be transparent.
        out = QImage(image.size(), QImage.Format.Format_RGB32)
        out.fill(QColor("white"))
        from PySide6.QtGui import QPainter

        painter = QPainter(out)
        painter.drawImage(0, 0, image)
        painter.end()
        return out

    # ------------------------------------------------------------ QML side

    status = Property(str, lambda self: self._status, notify=changed)
    page = Property(int, lambda self: self._page, notify=changed)
    pageCount = Property(int, lambda self: self._doc.pageCount() if self._status == "ready" else 0, notify=changed)
    zoom = Property(float, lambda self: ZOOM_STEPS[self._zoom], notify=changed)
    revision = Property(int, lambda self: self._revision, notify=changed)

    @Slot(int)
    def turnPage(self, delta: int) -> None:
        count = self._doc.pageCount() if self._status == "ready" else 0
        if count:
            self._page = (self._page + delta) % count
            self.changed.emit()

    @Slot(int)
    def zoomBy(self, steps: int) -> None:
        self._zoom = max(0, min(len(ZOOM_STEPS) - 1, self._zoom + steps))
        self.changed.emit()


class PreviewImageProvider(QQuickImageProvider):
    """image://preview/<page>/<width>/<revision> -> the rendered page."""

    def __init__(self, preview: PdfPreview) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self._preview = preview

    def requestImage(self, image_id: str, size: QSize, requested: QSize) -> QImage:  # noqa: N802 (Qt name)
        try:
            page, width = (int(part) for part in image_id.split("/")[:2])
        except ValueError:
            page, width = 0, 100
        image = self._preview.render(page, width)
        if size is not None:
            size.setWidth(image.width())
            size.setHeight(image.height())
        return image

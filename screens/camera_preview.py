"""Live camera preview: frames from the capture thread to a QML Image, in memory only.

The camera calls PreviewFeed.push() on its own thread for every frame. The feed keeps only
the newest frame and posts at most one queued signal at a time, so a busy UI thread skips
stale frames instead of queueing them. On the UI thread the feed moves its `frameUrl` on
("image://camera/<n>"); the QML Image asks the image provider for it, synchronously, on the
UI thread, so no Python code runs on the render thread (which would need the GIL while the
UI thread may hold it: a deadlock under the threaded render loop). Nothing is written to
disk; clear() drops the last frame when the check ends.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Property, QObject, QSize, Signal, Slot
from PySide6.QtGui import QColor, QImage
from PySide6.QtQml import QQmlEngine
from PySide6.QtQuick import QQuickImageProvider

from kiosk.interfaces import Frame

PROVIDER = "camera"


class PreviewFeed(QObject):
    """Newest-frame mailbox between the camera thread and the UI thread."""

    _arrived = Signal()
    frameUrlChanged = Signal()

    def __init__(self, provider: str = PROVIDER) -> None:
        super().__init__()
        self.provider = provider  # the image provider's name in QML URLs (image://<provider>/<n>)
        self._lock = threading.Lock()
        self._latest: Frame | None = None
        self._current: Frame | None = None
        self._pending = False
        self._active = False
        self._serial = 0
        self.frames_in = 0
        self.frames_shown = 0
        self.shown_times: list[float] = []  # monotonic time of each frame handed to the screen
        self._arrived.connect(self._on_arrived)  # queued: emitted on the camera thread

    def start(self) -> None:
        with self._lock:
            self._active = True

    def push(self, frame: Frame) -> None:
        """Called on the camera thread for every frame."""
        with self._lock:
            if not self._active:
                return
            self._latest = frame
            self.frames_in += 1
            if self._pending:
                return
            self._pending = True
        self._arrived.emit()

    @Slot()
    def _on_arrived(self) -> None:
        with self._lock:
            self._pending = False
            frame, self._latest = self._latest, None
        if frame is None or len(frame.data) != frame.width * frame.height * 3:
            return
        self._current = frame
        self._serial += 1
        self.frameUrlChanged.emit()

    def image(self) -> QImage:
        """The newest frame as a QImage (a copy: Qt keeps it beyond this call); UI thread."""
        frame = self._current
        if frame is None:
            empty = QImage(4, 3, QImage.Format.Format_RGB888)
            empty.fill(QColor("black"))
            return empty
        self.frames_shown += 1
        self.shown_times.append(time.monotonic())
        del self.shown_times[:-600]
        view = QImage(frame.data, frame.width, frame.height, frame.width * 3, QImage.Format.Format_BGR888)
        return view.copy()

    def take(self) -> Frame | None:
        """The frame on screen now (None once the check has ended)."""
        return self._current

    def clear(self) -> None:
        """The check is over: drop the frames and stop accepting new ones."""
        with self._lock:
            self._active = False
            self._latest = None
            self._pending = False
        self._current = None
        self.frameUrlChanged.emit()

    frameUrl = Property(str, lambda self: f"image://{self.provider}/{self._serial}" if self._current else "",
                        notify=frameUrlChanged)


class _Provider(QQuickImageProvider):
    def __init__(self, feed: PreviewFeed) -> None:
        super().__init__(QQuickImageProvider.ImageType.Image)
        self._feed = feed

    def requestImage(self, image_id: str, size: QSize, requested: QSize) -> QImage:  # noqa: N802 (Qt's name)
        image = self._feed.image()
        size.setWidth(image.width())
        size.setHeight(image.height())
        return image


def install_preview(engine: QQmlEngine, feed: PreviewFeed) -> QQuickImageProvider:
    """Serve the feed's frames to QML as image://<feed.provider>/...; keep the returned provider alive."""
    provider = _Provider(feed)
    engine.addImageProvider(feed.provider, provider)
    return provider

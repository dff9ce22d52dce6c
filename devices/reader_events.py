"""What the real card readers share: connected-state tracking and safe listener calls."""

from __future__ import annotations

import logging

from kiosk.interfaces import ReaderEvent, ReaderEventKind, ReaderListener

log = logging.getLogger("kiosk.devices")


class ReaderEventSource:
    """Mixin for a reader's worker thread: reports connect/lose once per change, and a
    listener that raises never kills the reader."""

    _listener: ReaderListener | None = None
    _connected: bool | None = None

    def _set_connected(self, connected: bool) -> None:
        if self._connected is connected:
            return
        self._connected = connected
        self._emit(ReaderEvent(ReaderEventKind.READER_CONNECTED if connected else ReaderEventKind.READER_LOST))

    def _emit(self, event: ReaderEvent) -> None:
        if self._listener is None:
            return
        try:
            self._listener(event)
        except Exception:  # a listener bug must not kill the reader
            log.exception("reader listener failed", extra={"event": "reader_listener_failed"})

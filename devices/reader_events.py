"""What the real card readers share: connected-state tracking and safe listener calls."""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from kiosk.interfaces import ReaderEvent, ReaderEventKind, ReaderListener

log = logging.getLogger("kiosk.devices")


class ReaderEventSource:
    """Mixin for a reader with one worker thread (``_run``, watching ``_stop``): starts and joins
    it, reports connect/lose once per change, and a listener that raises never kills the reader."""

    _listener: ReaderListener | None = None
    _connected: bool | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event

    def _run(self) -> None:
        raise NotImplementedError

    def _start_worker(self, listener: ReaderListener, name: str) -> None:
        self._listener = listener
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _join_worker(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

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


def card_digest(document: Any) -> str:
    """Tells one card from another after a drop-out without keeping its number (memory only, never logged)."""
    key = f"{getattr(document, 'doc_type', '')}|{getattr(document, 'number', '')}|{getattr(document, 'valid_to', '')}"
    return hashlib.sha256(key.encode()).hexdigest()

"""A signal delivered later on the UI thread, without PySide's ``Qt`` namespace.

``connect(slot, Qt.ConnectionType.QueuedConnection)`` needs the ``Qt`` namespace, whose Python
enums take ~9 ms to build: too much for the path before the first frame (docs/benchmarks.md).
A signal connected the default way to a ``@Slot`` of an object living on the UI thread is
queued anyway when it is emitted from another thread; emitted from the UI thread itself, it is
posted with ``QTimer.singleShot(0, owner, ...)``, which queues it the same way. Either way the
slot runs on the UI thread after the current event, never inside the emitter's call, and not
at all once the owner is gone.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, QTimer


class QueuedEmitter:
    """emit(*args): the signal reaches its slots later, on the thread that built this."""

    def __init__(self, owner: QObject, signal: Any) -> None:
        self._owner, self._signal = owner, signal
        self._ui_thread = threading.get_ident()

    def emit(self, *args: Any) -> None:
        if threading.get_ident() == self._ui_thread:
            QTimer.singleShot(0, self._owner, lambda: self._signal.emit(*args))
        else:
            self._signal.emit(*args)

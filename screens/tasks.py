"""The one task helper: run blocking work off the UI thread, hand results back.

Work runs on named lanes (one thread each for a device or the disk, a small
pool for the network); the completion runs on the UI thread via a queued signal.
Screens and view-models never touch threads themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from screens.queued import QueuedEmitter

if TYPE_CHECKING:  # concurrent.futures is imported by the first task, after the first frame
    from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("kiosk.tasks")

LANES = {"device": 1, "camera": 1, "printer": 1, "disk": 1, "network": 2, "speech": 1, "staff": 1,
         "readiness": 1}


class TaskRunner(QObject):
    """run(lane, work, done): work() on the lane's thread, done(result) on the UI thread."""

    _finished = Signal(object, object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pools: dict[str, ThreadPoolExecutor] = {}  # a lane's thread is made by its first task
        self._finished.connect(self._deliver)
        self._later = QueuedEmitter(self, self._finished)  # a queued connection without Qt's namespace
        self.pending = 0
        # Work still running at shutdown must not signal this object afterwards: Qt may have
        # destroyed it by then (a crash at exit). The lock makes "closed" and an emit exclusive.
        self._closed = False
        self._emit_lock = threading.Lock()
        self._running: set[Future] = set()

    def run(self, lane: str, work: Callable[[], Any], done: Callable[[Any], None] | None = None) -> None:
        if self._closed:
            return
        self.pending += 1
        future = self._pool(lane).submit(work)
        self._running.add(future)
        future.add_done_callback(lambda f: self._report(done, f))

    def _pool(self, lane: str) -> ThreadPoolExecutor:
        pool = self._pools.get(lane)
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            pool = self._pools[lane] = ThreadPoolExecutor(LANES[lane], thread_name_prefix=f"kiosk-{lane}")
        return pool

    def _report(self, done: Callable[[Any], None] | None, future: Future) -> None:
        self._running.discard(future)
        with self._emit_lock:
            if not self._closed:
                self._later.emit(done, future)

    @Slot(object, object)
    def _deliver(self, done: Callable[[Any], None] | None, future: Future) -> None:
        self.pending -= 1
        if future.cancelled() or self._closed:  # shut down before it ran, or before its result arrived
            return
        exc = future.exception()
        if exc is not None:
            log.error("background task failed", extra={"event": "task_error", "error": type(exc).__name__})
            return
        if done is not None:
            done(future.result())

    def shutdown(self, grace: float = 5.0) -> None:
        """Cancel what has not started; give running work up to `grace` seconds to end, so the
        process does not tear Qt down under a worker (a rare crash at exit)."""
        with self._emit_lock:
            self._closed = True
        for pool in list(self._pools.values()):
            pool.shutdown(wait=False, cancel_futures=True)
        if self._running:
            from concurrent.futures import wait

            wait(list(self._running), timeout=grace)

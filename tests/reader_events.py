"""A thread-safe collector of ReaderEvents for the reader tests."""

from __future__ import annotations

import threading
import time

from kiosk.interfaces import ReaderEvent, ReaderEventKind


class EventLog:
    """Listener that records events and lets a test wait for the next one of a kind."""

    def __init__(self) -> None:
        self.events: list[ReaderEvent] = []
        self.times: list[float] = []
        self._cond = threading.Condition()
        self._seen = 0

    def __call__(self, event: ReaderEvent) -> None:
        with self._cond:
            self.events.append(event)
            self.times.append(time.perf_counter())
            self._cond.notify_all()

    def wait_for(self, *kinds: ReaderEventKind, timeout: float = 10.0) -> ReaderEvent:
        """The first event of one of `kinds` after the previous wait_for's event."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for index in range(self._seen, len(self.events)):
                    if self.events[index].kind in kinds:
                        self._seen = index + 1
                        return self.events[index]
                left = deadline - time.monotonic()
                if left <= 0:
                    got = [e.kind.value for e in self.events[self._seen:]]
                    raise AssertionError(f"no {[k.value for k in kinds]} within {timeout}s; got {got}")
                self._cond.wait(left)

    def kinds(self) -> list[ReaderEventKind]:
        with self._cond:
            return [e.kind for e in self.events]

    def count(self, kind: ReaderEventKind) -> int:
        return self.kinds().count(kind)

"""Calm reconnection: the platform paces a herd of kiosks instead of letting them stampede.

Ingest has a rate (transactions per second). A batch is admitted while the rate allows
(with one second of burst); beyond it the platform answers 429 with a per-kiosk slot: a
Retry-After exactly when capacity is reserved for that batch, and a ticket (X-Ingest-Ticket)
that the kiosk sends back at that time to be admitted without queueing again. Kiosks that
come back get distinct slots one after another, so the herd arrives at the platform's own
rate, not all at once (bench/sync_bench.py herd measures it).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable

TICKET_GRACE = 30.0  # a ticket not used this long after its slot is dropped


class IngestPacer:
    """Virtual-time scheduler with reservations (GCRA-like). Thread-safe."""

    def __init__(self, rate: float, *, burst: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate, self.burst, self.clock = rate, burst, clock
        self._next_free = 0.0  # virtual time when the capacity already promised is used up
        self._tickets: dict[str, tuple[float, int]] = {}  # ticket -> (slot time, items reserved)
        self._lock = threading.Lock()

    def admit(self, items: int, ticket: str | None = None, now: float | None = None) -> tuple[float, str]:
        """(0, "") to go now; else (seconds to wait, ticket to send back then)."""
        now = self.clock() if now is None else now
        cost = max(1, items) / self.rate
        with self._lock:
            if ticket:
                slot = self._tickets.get(ticket)
                if slot is not None and now >= slot[0] - 0.05:
                    del self._tickets[ticket]
                    return 0.0, ""  # its capacity was reserved when the slot was given
                if slot is not None:
                    return slot[0] - now, ticket  # early: the same slot still holds
            self._expire(now)
            if self._next_free <= now + self.burst:
                self._next_free = max(self._next_free, now) + cost
                return 0.0, ""
            slot_at = self._next_free
            self._next_free += cost
            new = secrets.token_urlsafe(12)
            self._tickets[new] = (slot_at, items)
            return slot_at - now, new

    def next_slot(self, items: int, now: float | None = None) -> tuple[float, str]:
        """After an admitted batch: while kiosks queue, reserve this kiosk's next slot at once, so it
        waits for it instead of asking again and being turned away. (0, "") when nothing queues."""
        now = self.clock() if now is None else now
        with self._lock:
            if self._next_free <= now + self.burst:
                return 0.0, ""
            slot_at = self._next_free
            self._next_free += max(1, items) / self.rate
            new = secrets.token_urlsafe(12)
            self._tickets[new] = (slot_at, items)
            return slot_at - now, new

    def _expire(self, now: float) -> None:
        if len(self._tickets) > 64:
            for t, (at, _) in list(self._tickets.items()):
                if at + TICKET_GRACE < now:
                    del self._tickets[t]

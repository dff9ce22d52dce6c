"""The sync engine: deliver outbox rows in batches without losing any or stampeding the platform.

One ``step`` probes the platform when the circuit breaker allows, claims a batch of due
rows, sends it with ``submit_batch`` and settles each row: accepted/duplicate -> done,
rejected or a permanent 4xx -> dead with the reason, anything retryable -> pending with
exponential backoff and full jitter, never sooner than a Retry-After. ``step`` returns how
long to wait before the next one; a loop (sync.service) sleeps that long.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kiosk.interfaces import PlatformClient, PlatformError, PlatformErrorKind
from sync.outbox import OutboxRow, SqliteOutbox

log = logging.getLogger("kiosk.sync.engine")

RETRYABLE = frozenset({PlatformErrorKind.OFFLINE, PlatformErrorKind.TIMEOUT, PlatformErrorKind.SERVER_ERROR,
                       PlatformErrorKind.RATE_LIMITED, PlatformErrorKind.BAD_DATA})
# Refusals that say nothing about the rows (credentials, wrong address): retry, do not dead-letter.
NOT_THE_ROWS = frozenset({"http_401", "http_403", "http_404", "http_405"})
DELIVERED = frozenset({"accepted", "duplicate"})


def backoff_seconds(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff after the given number of attempts: 2, 4, 8 ... up to 5 minutes."""
    return min(cap, base * 2 ** max(0, min(attempts, 32) - 1))


@dataclass(frozen=True)
class SyncPolicy:
    batch_size: int = 50
    base_delay: float = 2.0
    max_delay: float = 300.0
    jitter: bool = True
    breaker_failures: int = 3  # consecutive failed passes before the breaker opens
    breaker_cooldown: float = 10.0  # first open period; doubles up to breaker_max_cooldown
    breaker_max_cooldown: float = 60.0  # probes are cheap GETs: look at least once a minute
    poll_interval: float = 5.0  # longest sleep while nothing is due
    retention_seconds: float = 7 * 86400.0
    heartbeat_interval: float = 300.0
    purge_interval: float = 3600.0
    status_interval: float = 30.0  # how often the online flag is re-written while unchanged
    probe_interval: float = 20.0  # idle: ask the platform at least this often, so the header is never a guess


def retry_delay(attempts: int, retry_after: float | None, policy: SyncPolicy, rng: random.Random) -> float:
    """Seconds until a failed row is due again: full jitter over the backoff, after any Retry-After."""
    ceiling = backoff_seconds(attempts, base=policy.base_delay, cap=policy.max_delay)
    delay = rng.uniform(0, ceiling) if policy.jitter else ceiling
    if retry_after is not None:
        delay = retry_after + delay if policy.jitter else max(retry_after, delay)
    return delay


class CircuitBreaker:
    """closed -> open after N failures -> half_open after a (jittered, growing) cooldown -> closed."""

    def __init__(self, policy: SyncPolicy, rng: random.Random) -> None:
        self.policy, self.rng = policy, rng
        self.state = "closed"
        self.failures = 0
        self.opened = 0  # consecutive openings, for the growing cooldown
        self.open_until = 0.0

    def allow(self, now: float) -> bool:
        """May a request go out now? An open breaker past its cooldown lets one probe through."""
        if self.state == "open" and now >= self.open_until:
            self.state = "half_open"
        return self.state != "open"

    def success(self) -> None:
        self.state, self.failures, self.opened = "closed", 0, 0

    def failure(self, now: float, retry_after: float | None = None) -> None:
        self.failures += 1
        if self.state == "half_open" or self.failures >= self.policy.breaker_failures:
            self.opened += 1
            cooldown = min(self.policy.breaker_max_cooldown, self.policy.breaker_cooldown * 2 ** (self.opened - 1))
            if self.policy.jitter:
                cooldown = cooldown / 2 + self.rng.uniform(0, cooldown / 2)
            self.state = "open"
            self.open_until = now + max(cooldown, retry_after or 0.0)


@dataclass
class PassResult:
    sent: int = 0
    dead: int = 0
    retry: int = 0


class SyncEngine:
    """Delivers one outbox to one platform. Not thread-safe: one engine per process (sync.service)."""

    def __init__(self, outbox: SqliteOutbox, client: PlatformClient, policy: SyncPolicy | None = None, *,
                 clock: Callable[[], float] = time.time, rng: random.Random | None = None,
                 heartbeat: Callable[[float], dict[str, Any]] | None = None,
                 presence: Callable[[float], dict[str, Any]] | None = None) -> None:
        self.outbox, self.client = outbox, client
        self.policy = policy or SyncPolicy()
        self.clock = clock
        self.rng = rng or random.Random()
        self.breaker = CircuitBreaker(self.policy, self.rng)
        self.heartbeat = heartbeat  # now -> heartbeat payload; None: no heartbeats
        self.presence = presence  # now -> what the probe tells the hall (client.presence); None: a plain ping
        self.online: bool | None = None
        self._status_written = -1e18
        self._checked = -1e18  # when the platform last answered or failed to (probe or batch)
        self._quiet_until = 0.0  # a Retry-After in force: no request at all before this
        self._next_heartbeat = 0.0
        self._next_purge = 0.0

    # ------------------------------------------------------------------ the loop's unit

    def step(self, now: float | None = None) -> float:
        """Do what is due now; return the seconds to wait before the next step."""
        now = self.clock() if now is None else now
        self._housekeeping(now)
        if now < self._quiet_until:  # the platform gave us a later slot: nothing goes out before it
            return self._quiet_until - now
        if not self.breaker.allow(now):
            return self.breaker.open_until - now
        if self.breaker.state == "half_open" or self.online is None:
            if not self._probe(now):
                return max(0.0, self.breaker.open_until - now) if self.breaker.state == "open" else \
                    self.policy.poll_interval
        result, taken = self.deliver(now)
        if taken == self.policy.batch_size and not result.retry:
            return 0.0  # more may be due: keep draining
        if taken == 0 and now - self._checked >= self.policy.probe_interval:
            if now < self._quiet_until:  # the platform answered "wait": that answer still stands
                self._set_online(bool(self.online), now)
            else:
                self._probe(now)  # idle: a light probe keeps the online state true, never stale
        if self.breaker.state == "open":
            return max(0.0, self.breaker.open_until - now)
        due = self.outbox.next_due()
        wait = self.policy.poll_interval if due is None else due - now
        return min(self.policy.poll_interval, max(0.05, wait))

    def deliver(self, now: float | None = None) -> tuple[PassResult, int]:
        """Claim one batch of due rows and send it; returns (what happened, rows taken)."""
        now = self.clock() if now is None else now
        rows = self.outbox.take(self.policy.batch_size, now=now)
        result = PassResult()
        if rows:
            self._send(rows, now, result)
        return result, len(rows)

    def drain(self, *, max_seconds: float = 60.0) -> PassResult:
        """Deliver until nothing is due or a pass fails (kiosk sync --once)."""
        total, end = PassResult(), time.monotonic() + max_seconds
        while time.monotonic() < end:
            result, taken = self.deliver()
            total.sent, total.dead, total.retry = total.sent + result.sent, total.dead + result.dead, \
                total.retry + result.retry
            if taken == 0 or result.retry:
                break
        return total

    # ------------------------------------------------------------------ internals

    def _probe(self, now: float) -> bool:
        try:
            if self.presence is not None and hasattr(self.client, "presence"):
                ok = bool(self.client.presence(self.presence(now)))
            else:
                ok = bool(self.client.ping())
        except Exception as exc:  # a client bug must not stop the loop
            log.error("probe crashed", extra={"event": "sync_probe_error", "error": type(exc).__name__})
            ok = False
        if ok:
            self.breaker.success()
        else:
            self.breaker.failure(now)
        self._set_online(ok, now, force=True)
        skew = getattr(self.client, "clock_skew", None)
        if ok and isinstance(skew, int | float):
            self.outbox.set_meta("clock_skew", skew)
        return ok

    def _set_online(self, online: bool, now: float, *, force: bool = False) -> None:
        self._checked = now
        if force or online != self.online or now - self._status_written >= self.policy.status_interval:
            if online != self.online:
                log.info("platform reachable" if online else "platform unreachable",
                         extra={"event": "sync_online", "online": online})
            self.online, self._status_written = online, now
            self.outbox.set_meta("sync_status", {"online": online, "at": now, "breaker": self.breaker.state})

    def _send(self, rows: list[OutboxRow], now: float, result: PassResult) -> None:
        items = [(r.key, r.kind, r.payload) for r in rows]
        try:
            answers = self.client.submit_batch(items)
        except PlatformError as exc:
            if exc.kind in RETRYABLE or "_".join(exc.detail.split("_")[:2]) in NOT_THE_ROWS:  # http_401_<slug> too
                paced = (exc.kind is PlatformErrorKind.RATE_LIMITED and exc.retry_after is not None
                         and exc.detail.endswith("_slot"))
                self._retry(rows, str(exc), exc.retry_after, now, result, paced=paced)
                if not paced:  # a slot from the platform is not a failure: it is alive and pacing us
                    self.breaker.failure(now, exc.retry_after)
                if exc.retry_after:
                    self._quiet_until = max(self._quiet_until, now + exc.retry_after)
                self._set_online(exc.kind not in (PlatformErrorKind.OFFLINE, PlatformErrorKind.TIMEOUT), now)
            elif len(rows) > 1:  # a refusal of the whole batch: find the row(s) it is about
                half = len(rows) // 2
                self._send(rows[:half], now, result)
                self._send(rows[half:], now, result)
            else:
                self.outbox.settle(failed=[(rows[0].key, f"dead: {exc}", now, True)])
                result.dead += 1
                log.warning("outbox row refused", extra={"event": "sync_dead", "kind": rows[0].kind,
                                                         "error": exc.detail})
            return
        except Exception as exc:  # a bug, not the platform: keep the rows and try again later
            log.error("batch upload crashed", extra={"event": "sync_error", "error": type(exc).__name__})
            self._retry(rows, f"unexpected {type(exc).__name__}", None, now, result)
            return
        self.breaker.success()
        self._set_online(True, now)
        slot = getattr(self.client, "next_slot", None)  # the platform's pacer already booked our next batch
        if isinstance(slot, int | float) and slot > 0:
            self._quiet_until = max(self._quiet_until, now + slot)
        details = getattr(self.client, "last_rejections", {}) or {}
        done = [r.key for r in rows if answers.get(r.key) in DELIVERED]
        dead = [(r.key, f"rejected: {str(details.get(r.key, ''))[:150]}".rstrip(": "), now, True)
                for r in rows if answers.get(r.key) == "rejected"]
        self.outbox.settle(done=done, failed=dead)
        result.sent += len(done)
        result.dead += len(dead)
        if dead:
            log.warning("outbox rows rejected", extra={"event": "sync_dead", "count": len(dead)})

    def _retry(self, rows: list[OutboxRow], error: str, retry_after: float | None, now: float,
               result: PassResult, *, paced: bool = False) -> None:
        """Rows go back to pending; a platform slot (paced) is kept exactly, anything else jittered."""
        self.outbox.settle(failed=[(r.key, error, now + (retry_after if paced and retry_after is not None else
                                                         retry_delay(r.attempts, retry_after, self.policy, self.rng)),
                                    False) for r in rows])
        result.retry += len(rows)

    def _housekeeping(self, now: float) -> None:
        if self.heartbeat is not None and now >= self._next_heartbeat:
            if not self.outbox.has_waiting("heartbeat"):
                self.outbox.enqueue("heartbeat", self.heartbeat(now))  # a full disk: tried again next step
            self._next_heartbeat = now + self.policy.heartbeat_interval
        if now >= self._next_purge:
            self._next_purge = now + self.policy.purge_interval
            purged = self.outbox.purge(now - self.policy.retention_seconds)
            if purged:
                log.info("delivered rows purged", extra={"event": "sync_purge", "count": purged})


def sync_once(outbox: SqliteOutbox, client: PlatformClient, limit: int = 50, *,
              now: float | None = None) -> tuple[int, int]:
    """One pass without jitter or probing (tests, tools); returns (sent, failed)."""
    engine = SyncEngine(outbox, client, SyncPolicy(batch_size=limit, jitter=False))
    result, _ = engine.deliver(now)
    return result.sent, result.dead + result.retry

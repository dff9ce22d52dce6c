"""The sync engine against the real reference platform over HTTP, with faults injected.

The engine runs on a simulated clock (``step(now)`` says how long to wait; the test
advances ``now`` instead of sleeping); every request is real HTTP on 127.0.0.1.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.config import Config
from kiosk.interfaces import PlatformError, PlatformErrorKind
from refplatform.server import PlatformServer
from sync.engine import CircuitBreaker, SyncEngine, SyncPolicy, retry_delay
from sync.outbox import SqliteOutbox
from sync.platform_client import HttpPlatformClient
from sync.service import device_health, heartbeat_for
from sync.store import ManagedOutbox
from tests.fault_proxy import FaultProxy
from tests.signed_requests import TEST_KEY, enrolled_client

T0 = 1_000_000.0


class Counting:
    """The real client, counting what the engine asks of it."""

    def __init__(self, client: HttpPlatformClient) -> None:
        self.client, self.batches, self.pings = client, 0, 0

    def submit_batch(self, items: list) -> dict[str, str]:
        self.batches += 1
        return self.client.submit_batch(items)

    def ping(self) -> bool:
        self.pings += 1
        return self.client.ping()

    def __getattr__(self, name: str) -> object:
        return getattr(self.client, name)


@pytest.fixture
def proxy(server: PlatformServer) -> Iterator[FaultProxy]:
    p = FaultProxy(server.url)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[SqliteOutbox]:
    box = SqliteOutbox(tmp_path / "outbox.db")
    yield box
    box.close()


def _engine(outbox: SqliteOutbox, url: str, **policy: object) -> tuple[SyncEngine, Counting]:
    client = Counting(HttpPlatformClient(url, kiosk_id="kiosk-test", connect_timeout=0.5, read_timeout=0.5,
                                         device_key=TEST_KEY))
    return SyncEngine(outbox, client, SyncPolicy(**{"batch_size": 20, **policy}), rng=random.Random(1)), client


def _run(engine: SyncEngine, now: float, seconds: float, until: Callable[[], bool] = lambda: False) -> float:
    end = now + seconds
    for _ in range(5000):
        if now >= end or until():
            return now
        now += max(0.01, engine.step(now))
    raise AssertionError("engine did not settle")


def _fill(outbox: SqliteOutbox, n: int) -> list[str]:
    return [outbox.enqueue("rating", {"level": 1 + i % 5, "service_id": "personal_certs",
                                      "session_id": f"s-{i}"}) for i in range(n)]


def _all_done(outbox: SqliteOutbox) -> Callable[[], bool]:
    return lambda: outbox.counts()["done"] == sum(outbox.counts().values())


def test_platform_down_for_the_whole_run_then_back(outbox: SqliteOutbox, server: PlatformServer) -> None:
    keys = _fill(outbox, 95)
    engine, client = _engine(outbox, server.url)
    server.faults.offline = True
    now = _run(engine, T0, 3600)  # an hour offline
    assert outbox.counts()["pending"] == 95 and outbox.counts()["dead"] == 0
    assert engine.breaker.state in ("open", "half_open") and engine.online is False
    assert client.batches + client.pings <= 100, "an hour offline costs about a probe a minute, not a storm"
    server.faults.reset()
    _run(engine, now, 900, _all_done(outbox))
    assert [r["idempotency_key"] for r in server.received()] == keys and engine.online is True


@pytest.mark.parametrize("fault", ["500", "503", "timeout"])
def test_error_storms_end_in_delivery(outbox: SqliteOutbox, server: PlatformServer, fault: str) -> None:
    keys = _fill(outbox, 30)
    engine, client = _engine(outbox, server.url)
    if fault == "timeout":
        server.faults.latency = 0.8  # longer than the client's 0.5 s read timeout
    else:
        server.faults.status = int(fault)
    now = _run(engine, T0, 600)
    assert outbox.counts()["dead"] == 0 and client.batches <= 12
    server.faults.reset()
    _run(engine, now, 900, _all_done(outbox))
    assert sorted(r["idempotency_key"] for r in server.received()) == sorted(keys)


def test_429_storm_honours_retry_after(outbox: SqliteOutbox, proxy: FaultProxy, server: PlatformServer) -> None:
    keys = _fill(outbox, 10)
    engine, client = _engine(outbox, proxy.url)
    proxy.mode, proxy.status, proxy.retry_after = "status", 429, 120
    engine.online = True  # an earlier probe succeeded; now the platform is overloaded
    engine.step(T0)
    assert client.batches == 1 and engine.breaker.state == "closed"
    rows = [outbox.get(k) for k in keys]
    assert all(r.next_attempt_at >= T0 + 120 and r.last_error.endswith("http_429") for r in rows)
    for t in range(1, 120, 7):  # nothing goes out before the platform said it may
        engine.step(T0 + t)
    assert client.batches == 1 and len(proxy.requests) == 1
    proxy.mode = "pass"
    _run(engine, T0 + 120, 900, _all_done(outbox))
    assert len(server.received()) == 10


@pytest.mark.parametrize("mode", ["truncate", "malformed", "wrong_shape", "reset"])
def test_spoiled_answers_are_retried_and_stored_once(outbox: SqliteOutbox, proxy: FaultProxy,
                                                     server: PlatformServer, mode: str) -> None:
    """The platform stored the batch but its answer was lost: the re-send is a duplicate, then done."""
    keys = _fill(outbox, 15)
    engine, _ = _engine(outbox, proxy.url)
    proxy.mode = mode
    engine.step(T0)  # the probe passes (GET /v1/health is spoiled too, except in pass mode)
    now = _run(engine, T0, 120)
    assert len(server.received()) == 15 and outbox.counts()["done"] == 0 and outbox.counts()["dead"] == 0
    proxy.mode = "pass"
    _run(engine, now, 900, _all_done(outbox))
    assert sorted(r["idempotency_key"] for r in server.received()) == sorted(keys)


def test_rejected_rows_go_dead_with_reason_others_delivered(outbox: SqliteOutbox, server: PlatformServer) -> None:
    good = _fill(outbox, 5)
    bad = outbox.enqueue("k" * 70, {"anything": 1})  # a kind the platform refuses
    engine, _ = _engine(outbox, server.url)
    _run(engine, T0, 60, lambda: outbox.counts()["pending"] == 0)
    assert sorted(r["idempotency_key"] for r in server.received()) == sorted(good)
    dead = outbox.list_rows("dead")
    assert [d["idempotency_key"] for d in dead] == [bad] and dead[0]["last_error"].startswith("rejected")


@pytest.mark.parametrize(("status", "dead"), [(422, True), (400, True), (401, False), (404, False)])
def test_whole_batch_refusals(outbox: SqliteOutbox, proxy: FaultProxy, status: int, dead: bool) -> None:
    _fill(outbox, 6)
    engine, client = _engine(outbox, proxy.url)
    engine.step(T0)  # probe and first batch pass through the healthy proxy... after the switch:
    outbox.retry_dead()
    _fill(outbox, 6)
    proxy.mode, proxy.status = "status", status
    engine.deliver(T0 + 1)
    counts = outbox.counts()
    if dead:  # split down to single rows, each refused: dead letters with the reason
        assert counts["dead"] == 6 and all(r["last_error"] == f"dead: refused: http_{status}"
                                           for r in outbox.list_rows("dead"))
    else:  # credentials or address: not the rows' fault, retried later
        assert counts["dead"] == 0 and counts["pending"] == 6


def test_heartbeat_and_retention(tmp_path: Path, server: PlatformServer) -> None:
    clock = [T0]
    box = ManagedOutbox(tmp_path / "outbox.db", clock=lambda: clock[0])
    client = enrolled_client(server, connect_timeout=0.5, read_timeout=0.5)
    policy = SyncPolicy(retention_seconds=100.0, heartbeat_interval=50.0, purge_interval=10.0)
    devices = device_health(Config().with_overrides(printer__pdf_folder=str(tmp_path / "prints")))
    engine = SyncEngine(box, client, policy, clock=lambda: clock[0], rng=random.Random(1),
                        heartbeat=heartbeat_for(box, "kiosk-test", devices))
    ratings = _fill(box, 3)

    def run(seconds: float) -> None:
        end = clock[0] + seconds
        while clock[0] < end:
            clock[0] += max(0.01, engine.step())

    run(5)
    beats = [r["payload"] for r in server.received() if r["kind"] == "heartbeat"]
    assert len(beats) == 1 and beats[0]["kiosk_id"] == "kiosk-test"
    assert set(beats[0]) >= {"queue_depth", "oldest_age_s", "dead", "limits_reached", "quarantined", "at"}
    assert beats[0]["devices"]["printer"] == {"driver": "pdf_folder", "state": "ready", "reasons": [], "queue": 0,
                                              "paper": "ok", "toner": "ok"}
    assert beats[0]["software_version"]
    assert all(box.get(k).status == "done" for k in ratings)
    run(200)
    assert all(box.get(k) is None for k in ratings), "delivered rows are purged after the retention period"
    assert len([r for r in server.received() if r["kind"] == "heartbeat"]) >= 4
    box.close()
    client.close()


def test_backoff_jitter_and_breaker_policy() -> None:
    rng, policy = random.Random(3), SyncPolicy()
    delays = [retry_delay(5, None, policy, rng) for _ in range(2000)]
    assert 0 <= min(delays) < 2 and 30 < max(delays) <= 32 and 12 < sum(delays) / len(delays) < 20  # full jitter
    assert retry_delay(5, None, SyncPolicy(jitter=False), rng) == 32
    assert min(retry_delay(1, 30, policy, rng) for _ in range(200)) >= 30  # never before Retry-After
    breaker = CircuitBreaker(policy, rng)
    for _ in range(3):
        assert breaker.allow(T0)
        breaker.failure(T0)
    assert breaker.state == "open" and not breaker.allow(T0 + 1)
    assert breaker.allow(breaker.open_until) and breaker.state == "half_open"
    breaker.failure(breaker.open_until, retry_after=500)
    assert breaker.open_until >= T0 + 500


def test_client_errors_never_crash_the_engine(outbox: SqliteOutbox) -> None:
    class Broken:
        def ping(self) -> bool:
            raise RuntimeError("bug")

        def submit_batch(self, items: list) -> dict[str, str]:
            raise PlatformError(PlatformErrorKind.BAD_DATA, "batch")

    _fill(outbox, 2)
    engine = SyncEngine(outbox, Broken(), SyncPolicy(), rng=random.Random(1))
    assert engine.step(T0) > 0 and outbox.counts()["pending"] == 2

"""Calm reconnection: the platform paces kiosks with per-kiosk slots and tickets (refplatform.pacing).

Unit tests of the pacer on a simulated clock, then the real client and engine against the
reference server with a small ingest rate: a kiosk past the rate gets a slot (429, Retry-After,
ticket), keeps it exactly (no breaker trip, no jitter), and is admitted with its ticket.
The herd itself is measured by bench/sync_bench.py herd (docs/benchmarks.md).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.interfaces import PlatformError, PlatformErrorKind
from refplatform.pacing import IngestPacer
from refplatform.server import PlatformServer
from sync.engine import SyncEngine, SyncPolicy
from sync.outbox import SqliteOutbox
from tests.signed_requests import TEST_KEY, enrol, enrolled_client


def test_slots_follow_each_other_at_the_platform_rate() -> None:
    pacer = IngestPacer(100, burst=1.0, clock=lambda: 0.0)
    assert [pacer.admit(50) for _ in range(3)] == [(0.0, "")] * 3  # about one second of burst
    waits = [pacer.admit(50)[0] for _ in range(4)]
    assert waits == pytest.approx([1.5, 2.0, 2.5, 3.0])  # distinct slots, 50 tx / 100 tx/s apart


def test_a_ticket_is_admitted_at_its_slot_and_not_before() -> None:
    now = [0.0]
    pacer = IngestPacer(100, burst=0.0, clock=lambda: now[0])
    pacer.admit(100)
    wait, ticket = pacer.admit(100)
    assert wait == pytest.approx(1.0) and ticket
    assert pacer.admit(100, ticket)[0] == pytest.approx(1.0)  # early: the same slot holds
    now[0] = 1.0
    assert pacer.admit(100, ticket) == (0.0, "")
    assert pacer.admit(100, "forged-ticket")[0] > 0  # an unknown ticket queues like anyone


def test_next_slot_is_booked_only_while_kiosks_queue() -> None:
    pacer = IngestPacer(100, burst=1.0, clock=lambda: 0.0)
    assert pacer.next_slot(50) == (0.0, "")
    for _ in range(4):
        pacer.admit(50)
    wait, ticket = pacer.next_slot(50)
    assert wait > 0 and ticket


@pytest.fixture
def paced_server():
    srv = PlatformServer(ingest_rate=100.0)
    enrol(srv, "kiosk-test", TEST_KEY)
    srv.start()
    yield srv
    srv.stop()


def test_engine_keeps_the_platform_slot_exactly(paced_server: PlatformServer, tmp_path: Path) -> None:
    key = enrol(paced_server, "kiosk-paced")
    client = enrolled_client(paced_server, "kiosk-paced", key, retries=0)
    box = SqliteOutbox(tmp_path / "outbox.db")
    for i in range(200):
        box.enqueue("rating", {"level": 5, "service_id": "s1", "channel": "hall_terminal", "n": i,
                               "session_id": f"s-{i}"})
    engine = SyncEngine(box, client, SyncPolicy(batch_size=50))
    paced_server.platform.pacer.admit(300)  # others have taken this second and the next ones
    now = 1000.0
    engine.step(now)
    rows = [box.get(k["idempotency_key"]) for k in box.list_rows("pending", limit=200)]
    assert rows and all(r.last_error.endswith("http_429_slot") for r in rows if r.attempts)
    assert engine.breaker.state == "closed"  # pacing is not a failure
    assert client.ingest_ticket
    due = min(r.next_attempt_at for r in rows if r.attempts)
    assert 1000.0 + 1.0 < due < 1000.0 + 10.0  # the slot, to the millisecond, no jitter on top
    client.close()
    box.close()


def test_client_reports_a_slot_and_comes_back_with_its_ticket(paced_server: PlatformServer) -> None:
    import time

    client = enrolled_client(paced_server, retries=0)
    paced_server.platform.pacer.admit(150)
    items = [(f"k{i}", "rating", {"level": 4, "service_id": "s", "channel": "hall_terminal", "session_id": f"s-{i}"})
             for i in range(50)]
    with pytest.raises(PlatformError) as info:
        client.submit_batch(items)
    assert info.value.kind is PlatformErrorKind.RATE_LIMITED and info.value.detail == "http_429_slot"
    time.sleep(info.value.retry_after)
    assert set(client.submit_batch(items).values()) == {"accepted"}
    client.close()

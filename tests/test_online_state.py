"""The header's online flag is what the kiosk knows, never a stale guess (issue 15).

GIVEN the real sync engine, the real HTTP client and the reference platform on 127.0.0.1,
with the engine and the outbox on a simulated clock (every request is real),
WHEN the kiosk sits idle for 10 minutes, THEN the flag the header reads never says offline;
WHEN the platform then stops answering, THEN the flag says so within 35 s.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from refplatform.server import PlatformServer
from sync.engine import SyncEngine, SyncPolicy
from sync.store import ManagedOutbox
from tests.signed_requests import enrolled_client

T0 = 2_000_000.0
UI_READ = 2.0  # screens/app.py SYNC_STATUS_MS


class SimClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rig(tmp_path: Path, server: PlatformServer) -> Iterator[tuple[SimClock, ManagedOutbox, SyncEngine]]:
    clock = SimClock()
    outbox = ManagedOutbox(tmp_path / "outbox.db", clock=clock)
    client = enrolled_client(server, connect_timeout=0.5, read_timeout=0.5, retries=0)
    engine = SyncEngine(outbox, client, SyncPolicy(heartbeat_interval=300.0), clock=clock)
    yield clock, outbox, engine
    client.close()
    outbox.close()


def _run(clock: SimClock, outbox: ManagedOutbox, engine: SyncEngine, seconds: float) -> list[tuple[float, bool | None]]:
    """Step the engine as its loop would; read the flag as the header does, every UI_READ seconds."""
    end, next_step, seen = clock.now + seconds, clock.now, []
    while clock.now < end:
        if clock.now >= next_step:
            next_step = clock.now + max(0.0, engine.step(clock.now))
        seen.append((clock.now - T0, outbox.sync_status()))
        clock.now += UI_READ
    return seen


def test_idle_ten_minutes_never_shows_offline_then_outage_within_35_s(rig, server: PlatformServer) -> None:
    clock, outbox, engine = rig
    seen = _run(clock, outbox, engine, 600.0)
    assert [t for t, online in seen if online is False] == []
    assert all(online is True for _, online in seen[1:])
    server.faults.offline = True
    down_at = clock.now
    seen = _run(clock, outbox, engine, 60.0)
    first_off = next(t for t, online in seen if online is False) + T0 - down_at
    assert first_off <= 35.0, first_off
    assert all(online is False for t, online in seen if t + T0 - down_at >= first_off)
    server.faults.offline = False
    seen = _run(clock, outbox, engine, 90.0)  # back: the breaker's probe finds it within its cooldown
    assert seen[-1][1] is True


def test_a_silent_engine_is_not_trusted(rig) -> None:
    """No engine has written for longer than three probe intervals: offline, not a stale 'online'."""
    clock, outbox, engine = rig
    _run(clock, outbox, engine, 10.0)
    assert outbox.sync_status() is True
    clock.now += 80.0
    assert outbox.sync_status() is False

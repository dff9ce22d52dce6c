"""Outbox and sync benchmarks (issue 5). Prints numbers; asserts nothing.

python bench/sync_bench.py enqueue   durable enqueue latency p50/p99 (synchronous=FULL), vs NORMAL
python bench/sync_bench.py drain     10,000-transaction backlog drained by the engine, next to the
                                     platform's own ingest ceiling (raw batch POSTs), same run
python bench/sync_bench.py herd      200 kiosks with backlogs reconnect at once: simulated clock
python bench/sync_bench.py           all three

The herd is a discrete-event simulation: the real SyncEngine, CircuitBreaker and backoff
code on a simulated clock, an in-memory outbox per kiosk, and a platform model that ingests
at most CAPACITY transactions per second and answers 429 (Retry-After: 1) beyond that.
"""

from __future__ import annotations

import heapq
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.interfaces import PlatformError, PlatformErrorKind  # noqa: E402
from sync.engine import SyncEngine, SyncPolicy  # noqa: E402
from sync.outbox import OutboxRow, SqliteOutbox, new_idempotency_key  # noqa: E402

APPLICATION = {"service_id": "personal_certs", "holder_type": "resident_id", "holder_code": "110101198503120033",
               "holder_name": "张伟明", "tracking_code": "ABCDE-FGHJK7", "kiosk_id": "BENCH", "at": "2026-01-01"}


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


# ---------------------------------------------------------------- enqueue latency

def bench_enqueue(n: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for mode in ("FULL", "NORMAL"):
            box = SqliteOutbox(Path(tmp) / f"{mode}.db")
            box._db.execute(f"PRAGMA synchronous={mode}")
            times = []
            for _ in range(n):
                t = time.perf_counter()
                box.enqueue("application", APPLICATION)
                times.append((time.perf_counter() - t) * 1000)
            box.close()
            results[mode] = times
        full, normal = results["FULL"], results["NORMAL"]
        print(f"enqueue (sealed application, {n} rows, tmp on {_fs(tmp)}):")
        print(f"  synchronous=FULL   p50 {_pct(full, 50):.2f} ms  p99 {_pct(full, 99):.2f} ms  max {max(full):.2f} ms")
        print(f"  synchronous=NORMAL p50 {_pct(normal, 50):.2f} ms  p99 {_pct(normal, 99):.2f} ms (baseline)")
        print(f"  FULL/NORMAL p50 ratio {_pct(full, 50) / _pct(normal, 50):.2f}x")


def _fs(path: str) -> str:
    out = subprocess.run(["df", "--output=fstype", path], capture_output=True, text=True).stdout.split()
    return out[-1] if out else "?"


# ---------------------------------------------------------------- drain vs ingest ceiling

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_drain(n: int = 10_000) -> None:
    from sync.platform_client import HttpPlatformClient

    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        platform = subprocess.Popen([sys.executable, "-m", "refplatform.server", "--port", str(port), "--db",
                                     str(Path(tmp) / "platform.db")], cwd=ROOT, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            probe = HttpPlatformClient(url, kiosk_id="BENCH", read_timeout=30)
            for _ in range(100):
                if probe.ping():
                    break
                time.sleep(0.05)
            probe.close()
            from bench.platform_bench import enrolled_key

            client = HttpPlatformClient(url, kiosk_id="BENCH", read_timeout=30,
                                        device_key=enrolled_key(url, str(Path(tmp) / "platform.db"), "BENCH"))
            # The platform's own ceiling: pre-built batches of 100 POSTed back to back, no outbox.
            batches = [[(new_idempotency_key(), "application", APPLICATION) for _ in range(100)]
                       for _ in range(n // 100)]
            t = time.perf_counter()
            for batch in batches:
                client.submit_batch(batch)
            ceiling = n / (time.perf_counter() - t)
            # The engine draining a real outbox of n rows (sealed, synchronous=FULL), batch 50 and 100.
            for batch_size in (50, 100):
                box = SqliteOutbox(Path(tmp) / f"outbox{batch_size}.db")
                for _ in range(n):
                    box.enqueue("application", APPLICATION)
                engine = SyncEngine(box, client, SyncPolicy(batch_size=batch_size))
                t = time.perf_counter()
                result = engine.drain(max_seconds=600)
                elapsed = time.perf_counter() - t
                assert result.sent == n, result
                print(f"drain {n} rows, batch {batch_size}: {elapsed:.1f} s = {n / elapsed:,.0f} tx/s "
                      f"({n / elapsed / ceiling:.2f} of the ingest ceiling)")
                box.close()
            print(f"platform ingest ceiling (raw batches of 100, same platform, same run): {ceiling:,.0f} tx/s")
            client.close()
        finally:
            platform.terminate()
            platform.wait(10)


# ---------------------------------------------------------------- herd simulation

class SimClock:
    BACK = 100_000.0  # the simulated moment the platform returns ("t = 0" in the report)
    now = 0.0


class MemOutbox:
    """Just what SyncEngine uses, in memory (one simulated kiosk)."""

    def __init__(self, backlog: int) -> None:
        self.rows = [{"key": f"k{i}", "status": "pending", "next": 0.0, "attempts": 0} for i in range(backlog)]
        self.by_key = {r["key"]: r for r in self.rows}
        self.first = 0

    def take(self, limit: int, *, now: float, lease: float = 120.0) -> list[OutboxRow]:
        out = []
        while self.first < len(self.rows) and self.rows[self.first]["status"] == "done":
            self.first += 1
        for r in self.rows[self.first:]:
            if r["status"] in ("pending", "in_flight") and r["next"] <= now:
                r["status"], r["next"] = "in_flight", now + lease
                r["attempts"] += 1
                out.append(OutboxRow(r["key"], "rating", {}, "", 0, r["attempts"], r["next"], "in_flight", ""))
                if len(out) == limit:
                    break
        return out

    def settle(self, done: Any = (), failed: Any = ()) -> None:
        for k in done:
            self.by_key[k]["status"] = "done"
        for k, _err, retry_at, dead in failed:
            self.by_key[k].update(status="dead" if dead else "pending", next=retry_at)

    def next_due(self) -> float | None:
        waiting = [r["next"] for r in self.rows[self.first:] if r["status"] != "done"]
        return min(waiting) if waiting else None

    def remaining(self) -> int:
        return sum(1 for r in self.rows[self.first:] if r["status"] != "done")

    def purge(self, older_than: float) -> int:
        return 0

    def set_meta(self, name: str, value: Any) -> None:
        pass


class PlatformModel:
    """Down until t = 0; then ingests at most capacity tx per simulated second, 429 (Retry-After: 1) beyond.

    paced=True: the platform's own pacer (refplatform.pacing.IngestPacer, the same code the reference
    server runs) hands each kiosk a slot (Retry-After) and a ticket instead of a flat "1 s".
    """

    def __init__(self, capacity: int, paced: bool = False) -> None:
        self.capacity = capacity
        self.requests: Counter[int] = Counter()
        self.ingested: Counter[int] = Counter()
        self.pacer = None
        if paced:
            from refplatform.pacing import IngestPacer

            self.pacer = IngestPacer(capacity, clock=lambda: SimClock.now)

    def submit_batch(self, items: list, kiosk: Any = None) -> dict[str, str]:
        second = int((SimClock.now - SimClock.BACK) // 1)
        self.requests[second] += 1
        if SimClock.now < SimClock.BACK:
            raise PlatformError(PlatformErrorKind.OFFLINE, "connection")
        if self.pacer is not None:
            wait, ticket = self.pacer.admit(len(items), getattr(kiosk, "ticket", None))
            kiosk.ticket = ticket or None
            if wait > 0:
                raise PlatformError(PlatformErrorKind.RATE_LIMITED, "http_429_slot", retry_after=wait)
        elif self.ingested[second] + len(items) > self.capacity:
            raise PlatformError(PlatformErrorKind.RATE_LIMITED, "http_429", retry_after=1.0)
        self.ingested[second] += len(items)
        if self.pacer is not None:
            kiosk.next_slot, kiosk.ticket = self.pacer.next_slot(len(items))
            kiosk.ticket = kiosk.ticket or None
        return {key: "accepted" for key, _, _ in items}

    def ping(self) -> bool:
        self.requests[int((SimClock.now - SimClock.BACK) // 1)] += 1
        return SimClock.now >= SimClock.BACK


class KioskLink:
    """One kiosk's connection to the platform model: keeps the slot ticket like HttpPlatformClient does."""

    def __init__(self, platform: PlatformModel) -> None:
        self.platform, self.ticket, self.next_slot = platform, None, 0.0

    def submit_batch(self, items: list) -> dict[str, str]:
        return self.platform.submit_batch(items, self)

    def ping(self) -> bool:
        return self.platform.ping()


def simulate_herd(kiosks: int, backlog: int, capacity: int, jitter: bool, seed: int = 7,
                  latency: float = 0.05, outage: float = 1800.0, probe_cap: float = 60.0,
                  paced: bool = False) -> dict[str, float]:
    """The platform is down for `outage` seconds (every kiosk notices within its 5 s poll), back at t = 0."""
    rng = random.Random(seed)
    platform = PlatformModel(capacity, paced)
    policy = SyncPolicy(batch_size=50, jitter=jitter, breaker_max_cooldown=probe_cap)
    fleet = []
    for _ in range(kiosks):
        box = MemOutbox(backlog)
        fleet.append((box, SyncEngine(box, KioskLink(platform), policy, clock=lambda: SimClock.now,
                                      rng=random.Random(rng.random()))))
    queue = [(SimClock.BACK - outage + rng.uniform(0, 5), i) for i in range(kiosks)]
    heapq.heapify(queue)
    left, drained_at = kiosks, 0.0
    while queue and left:
        SimClock.now, i = heapq.heappop(queue)
        box, engine = fleet[i]
        before = sum(platform.requests.values())
        delay = engine.step(SimClock.now)
        sent = sum(platform.requests.values()) - before
        if box.remaining() == 0:
            left -= 1
            drained_at = max(drained_at, SimClock.now + latency * sent - SimClock.BACK)
            continue
        heapq.heappush(queue, (SimClock.now + latency * sent + max(delay, 0.01), i))
    per_second = [platform.requests[s] for s in range(int(drained_at) + 1)]  # from the platform's return
    busy = [r for r in per_second if r]
    outage_requests = sum(v for s, v in platform.requests.items() if s < 0)
    return {"peak": max(per_second), "median": statistics.median(busy), "drain": drained_at,
            "requests": sum(per_second), "outage_requests": outage_requests}


def bench_herd(kiosks: int = 200, backlog: int = 500, capacity: int = 2000) -> None:
    total = kiosks * backlog
    print(f"herd: {kiosks} kiosks x {backlog} queued = {total:,} tx; the platform is down 30 min, back at t=0; "
          f"platform model {capacity:,} tx/s (= {capacity // 50} batches of 50 per s), 429 + Retry-After: 1 "
          "beyond; request latency 50 ms; simulated clock")
    ideal = total / capacity
    for jitter, probe_cap, paced in ((False, 60.0, False), (True, 60.0, False), (False, 300.0, False),
                                     (True, 300.0, False), (True, 60.0, True)):
        r = simulate_herd(kiosks, backlog, capacity, jitter, probe_cap=probe_cap, paced=paced)
        steady = capacity / 50
        label = f"breaker cap {probe_cap:.0f} s, jitter {'on ' if jitter else 'off'}" + (
            ", PLATFORM-PACED (slot + ticket)" if paced else "")
        print(f"  {label}: peak {r['peak']:,.0f} req/s, median {r['median']:,.0f} req/s "
              f"(steady useful rate {steady:.0f} req/s: peak {r['peak'] / steady:.1f}x), total requests "
              f"{r['requests']:,.0f} for {total // 50:,} batches, drained in {r['drain']:.0f} s "
              f"(ideal {ideal:.0f} s = {r['drain'] / ideal:.2f}x); requests during the 30 min outage "
              f"{r['outage_requests']:,.0f}")


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "all"
    os.environ.setdefault("PYTHONHASHSEED", "0")
    if which in ("enqueue", "all"):
        bench_enqueue()
    if which in ("herd", "all"):
        bench_herd()
    if which in ("drain", "all"):
        bench_drain()

"""Platform client benchmarks (prints numbers; not a test).

  journey  search + download of a 1-page certificate over loopback, N rounds: p50/p95 of the
           client-side wall time against the server-side time (its Server-Timing header), and the
           difference (client overhead: signing, TLS-free HTTP, parsing, signature check; target
           <= 10 ms). Baseline in the same run: the same two requests with a bare requests.Session
           (signed, no parsing, no verification).
  grants   the added cost of citizen grants per journey (open + revoke) as a ratio to the journey
           itself (search + download + stamped copy with the grant), same run, same server.
  verify   signature verification time per file (a 1-page certificate PDF), SM2-SM3 and
           ECDSA-P256-SHA256, median of N.

The server runs in its own process (kiosk-platform), so its threads do not share the GIL
with the client being measured.

Usage: .venv/bin/python bench/platform_bench.py [journey|grants|verify|all] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devices.sim_people import SAMPLE_PEOPLE  # noqa: E402
from kiosk.identity import HolderCodeType  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def server_ms(resp_headers) -> float:
    match = re.search(r"dur=([0-9.]+)", resp_headers.get("Server-Timing", ""))
    return float(match.group(1)) if match else 0.0


def enrolled_key(url: str, db: str, kiosk_id: str):  # noqa: ANN201 - sync.device_key.DeviceKey
    """Enrol kiosk_id with a fresh device key, as `kiosk-platform enrol-code` + `kiosk enrol` would."""
    from refplatform.store import Store
    from refplatform.trust import TrustRegistry
    from sync.device_key import DeviceKey
    from sync.platform_client import HttpPlatformClient

    store = Store(db)
    code = TrustRegistry(store).issue_code(kiosk_id)
    store.close()
    key = DeviceKey.generate()
    client = HttpPlatformClient(url, kiosk_id=kiosk_id, device_key=key, retries=0)
    client.enrol(code)
    client.close()
    return key


@contextmanager
def platform_process(db: str) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "refplatform.server", "--port", "0", "--db", db], cwd=ROOT,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            match = re.search(r"serving on (\S+)", line)
            if match:
                url = match.group(1)
                break
        else:
            raise RuntimeError("kiosk-platform did not start")
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # drain the access log
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class GrantedClient:
    """The client with one citizen grant on every call (the journey bench is about files, not grants)."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client = client
        self.session = client.session
        self.grant = client.open_grant(SAMPLE_PEOPLE[0].number, HolderCodeType.RESIDENT_ID, method="face",
                                       liveness=True)

    def search_certificates(self, code: str, kind: HolderCodeType) -> list:
        return self.client.search_certificates(code, kind, grant=self.grant)

    def download(self, cert) -> bytes:  # noqa: ANN001
        return self.client.download(cert, grant=self.grant)

    def close(self) -> None:
        self.client.close()


def bench_grants(rounds: int) -> None:
    """What grants add to one citizen journey: open + revoke, against search + download + stamped copy."""
    from sync.platform_client import HttpPlatformClient

    person = SAMPLE_PEOPLE[0]
    with tempfile.TemporaryDirectory() as tmp, platform_process(str(Path(tmp) / "platform.db")) as url:
        key = enrolled_key(url, str(Path(tmp) / "platform.db"), "kiosk-bench")
        client = HttpPlatformClient(url, kiosk_id="kiosk-bench", retries=0, device_key=key)
        grant_ms, journey_ms = [], []
        for i in range(rounds + 5):  # the first 5 warm up
            started = time.perf_counter()
            grant = client.open_grant(person.number, HolderCodeType.RESIDENT_ID, method="face", liveness=True)
            opened = time.perf_counter()
            cert = client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant)[2]  # ECDSA-signed
            client.download(cert, grant=grant)
            client.stamped_copy(cert, "办理入学", 30, grant=grant)
            done = time.perf_counter()
            client.close_grant(grant)
            closed = time.perf_counter()
            if i >= 5:
                grant_ms.append(((opened - started) + (closed - done)) * 1000)
                journey_ms.append((done - opened) * 1000)
        client.close()
    print(f"grants: open + revoke per journey vs the journey's search + download + stamped copy, {rounds} rounds")
    for name, values in (("grant open + revoke", grant_ms), ("journey (search, download, copy)", journey_ms)):
        print(f"  {name:34s} p50 {pct(values, 0.5):7.2f} ms   p95 {pct(values, 0.95):7.2f} ms")
    print(f"  added cost of grants (p50)         {pct(grant_ms, 0.5) / pct(journey_ms, 0.5):.2f}x of the journey "
          f"(journey with grants / without: {1 + pct(grant_ms, 0.5) / pct(journey_ms, 0.5):.2f}x)")


def bench_journey(rounds: int) -> None:
    import requests

    from sync.platform_client import HttpPlatformClient
    from tests.signed_requests import KioskAuth

    person = SAMPLE_PEOPLE[0]
    body = {"holder_code": person.number, "holder_type": "resident_id"}
    with tempfile.TemporaryDirectory() as tmp, platform_process(str(Path(tmp) / "platform.db")) as url:
        key = enrolled_key(url, str(Path(tmp) / "platform.db"), "kiosk-bench")
        client = GrantedClient(HttpPlatformClient(url, kiosk_id="kiosk-bench", retries=0, device_key=key))
        server_times: list[float] = []
        client.session.hooks["response"].append(lambda r, *a, **k: server_times.append(server_ms(r.headers)))
        bare = requests.Session()
        bare.auth = KioskAuth("kiosk-bench", key, grant=client.grant.token)
        # the household proof is SM2-signed, the tax proof ECDSA-signed (refplatform.keys)
        for index, label in ((0, "SM2-SM3"), (2, "ECDSA-P256")):
            client.download(client.search_certificates(person.number, HolderCodeType.RESIDENT_ID)[index])  # warm-up
            totals, servers, baseline = [], [], []
            for _ in range(rounds):
                server_times.clear()
                started = time.perf_counter()
                cert = client.search_certificates(person.number, HolderCodeType.RESIDENT_ID)[index]
                pdf = client.download(cert)
                totals.append((time.perf_counter() - started) * 1000)
                servers.append(sum(server_times))
                started = time.perf_counter()
                received = len(bare.post(url + "/v1/certificates/search", json=body, timeout=10).content)
                received += len(bare.get(f"{url}/v1/certificates/{cert.cert_id}/file", timeout=10).content)
                baseline.append((time.perf_counter() - started) * 1000)
            overhead = [t - s for t, s in zip(totals, servers, strict=True)]
            print(f"journey: search + download of a 1-page certificate ({len(pdf):,} bytes, {label}-signed), "
                  f"{rounds} rounds")
            for name, values in (("client wall time", totals), ("server-side time", servers),
                                 ("client overhead (wall - server)", overhead),
                                 ("bare requests baseline", baseline)):
                print(f"  {name:34s} p50 {pct(values, 0.5):7.2f} ms   p95 {pct(values, 0.95):7.2f} ms")
            print(f"  client wall / bare baseline (p50)  {pct(totals, 0.5) / pct(baseline, 0.5):.2f}x")
        client.close()
        bare.close()


def bench_verify(rounds: int) -> None:
    from refplatform import keys
    from refplatform.render import render_certificate
    from refplatform.seed import CERTIFICATES
    from sync.signatures import verify_file

    cert = CERTIFICATES[("resident_id", SAMPLE_PEOPLE[0].number)][0]
    pdf = render_certificate(cert)
    print(f"verify: one {len(pdf):,}-byte certificate PDF, median of {rounds}")
    for key in (keys.SM2_KEY, keys.ECDSA_KEY):
        sig = key.sign_file(cert["cert_id"], pdf)
        published = {key.key_id: key.public}
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            verify_file(published, cert["cert_id"], pdf, sig)
            times.append((time.perf_counter() - started) * 1000)
        sign_times = []
        for _ in range(max(5, rounds // 5)):
            started = time.perf_counter()
            key.sign_file(cert["cert_id"], pdf)
            sign_times.append((time.perf_counter() - started) * 1000)
        print(f"  {key.algorithm:18s} verify p50 {statistics.median(times):6.2f} ms  p95 {pct(times, 0.95):6.2f} ms"
              f"   (sign p50 {statistics.median(sign_times):6.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="all", choices=("journey", "grants", "verify", "all"))
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    if args.what in ("journey", "all"):
        bench_journey(args.rounds)
    if args.what in ("grants", "all"):
        bench_grants(args.rounds)
    if args.what in ("verify", "all"):
        bench_verify(args.rounds)


if __name__ == "__main__":
    main()

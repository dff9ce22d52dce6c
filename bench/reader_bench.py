"""Card reader benchmarks (prints numbers; not a test).

  overhead  SAM driver: last reply byte received -> IdentityDocument delivered to the listener
            (target <= 5 ms), median / p95 over N reads through the pty emulator
  wire      find + select + read through the emulator paced at 115200 baud (8N1), against the
            wire-time floor for the bytes exchanged (ratio; 1.0 = no overhead at all)
  pcsc      PC/SC: virtual card inserted -> IdentityDocument delivered, against pcscd's own
            detection time (a bare SCardGetStatusChange waiter in the same run); starts pcscd

Usage: .venv/bin/python bench/reader_bench.py [overhead|wire|pcsc|all] [--reads N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devices import sam_frames as sf  # noqa: E402
from devices.sam_emulator import SamEmulator  # noqa: E402
from devices.sam_reader import SamLink, SamReader, SamSettings  # noqa: E402
from devices.sam_text import decode_text, encode_text  # noqa: E402
from devices.sim_people import SAM_CARD_TYPES  # noqa: E402
from kiosk.interfaces import ReaderEventKind as K  # noqa: E402
from tests.reader_events import EventLog  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def overhead(reads: int) -> None:
    with SamEmulator() as emu:
        reader = SamReader(SamSettings(emu.path, poll_interval=0.01, removal_polls=1))
        events = EventLog()
        reader.start(events)
        events.wait_for(K.READER_CONNECTED)
        deltas = []
        for i in range(reads):
            emu.place(SAM_CARD_TYPES[i % len(SAM_CARD_TYPES)])
            events.wait_for(K.CARD_PRESENTED)
            deltas.append(events.times[-1] - reader.last_rx_at)
            emu.remove()
            events.wait_for(K.CARD_REMOVED)
        reader.stop()
    record = sf.CardRecord(encode_text(SAM_CARD_TYPES[0]), b"\0" * 1024)
    started = time.perf_counter()
    for _ in range(200):
        decode_text(record.text, record.photo)
    decode = (time.perf_counter() - started) / 200
    print(f"overhead: last byte -> IdentityDocument delivered, {reads} reads: median {_ms(statistics.median(deltas))}, "
          f"p95 {_ms(_p95(deltas))}, max {_ms(max(deltas))} (target <= 5 ms); "
          f"of which decoding the text {_ms(decode)}")


def wire(reads: int, baud: int = 115200) -> None:
    with SamEmulator(baud=baud) as emu:
        emu.place(SAM_CARD_TYPES[0])
        link = SamLink(emu.path, baud, timeout=2.0)
        link.open()
        times, sizes = [], []
        for _ in range(reads):
            before = link.bytes_in + link.bytes_out
            started = time.perf_counter()
            assert link.find_card()
            link.select_card()
            link.read_card()
            times.append(time.perf_counter() - started)
            sizes.append(link.bytes_in + link.bytes_out - before)
        link.close()
    floor = sizes[0] * 10 / baud
    replies_floor = (sizes[0] - 30) * 10 / baud  # the emulator paces its replies; requests cross the pty at once
    median = statistics.median(times)
    print(f"wire: find+select+read at {baud} baud, {reads} runs: median {_ms(median)}, p95 {_ms(_p95(times))}; "
          f"{sizes[0]} bytes exchanged -> wire floor {_ms(floor)} (ratio {median / floor:.2f}x); "
          f"paced reply bytes alone {_ms(replies_floor)} (ratio {median / replies_floor:.2f}x)")


def pcsc(reads: int) -> None:
    import dataclasses

    from smartcard import scard as S

    from devices.pcsc_reader import PcscReader
    from devices.sim_people import SAMPLE_PEOPLE
    from devices.vpcd_card import SocialSecurityApplet, VirtualCard
    from tests.pcscd_harness import Pcscd

    daemon = Pcscd(Path(tempfile.mkdtemp(prefix="bench-pcscd-")))
    daemon.start()
    reader_name = "Virtual PCD 00 00"
    try:
        reader = PcscReader(poll_interval=0.25)
        events = EventLog()
        reader.start(events)
        events.wait_for(K.READER_CONNECTED)
        detected_at: list[float] = []
        stop = threading.Event()

        def watcher() -> None:  # pcscd's own detection: a bare waiter on its own context
            _, ctx = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
            state = S.SCARD_STATE_UNAWARE
            while not stop.is_set():
                hresult, states = S.SCardGetStatusChange(ctx, 200, [(reader_name, state)])
                if hresult != S.SCARD_S_SUCCESS:
                    continue
                new = states[0][1] & ~S.SCARD_STATE_CHANGED
                if new & S.SCARD_STATE_PRESENT and not state & S.SCARD_STATE_PRESENT:
                    detected_at.append(time.perf_counter())
                state = new
            S.SCardReleaseContext(ctx)

        thread = threading.Thread(target=watcher, daemon=True)
        thread.start()
        time.sleep(0.3)
        person = dataclasses.replace(SAMPLE_PEOPLE[0], extra={"card_number": "A12345678"})
        detect, deliver = [], []
        for _ in range(reads):
            seen = len(detected_at)
            card = VirtualCard(SocialSecurityApplet(person)).insert()
            events.wait_for(K.CARD_PRESENTED)
            delivered = events.times[-1]
            deadline = time.monotonic() + 2
            while len(detected_at) == seen and time.monotonic() < deadline:
                time.sleep(0.005)
            detect.append(detected_at[-1] - card.connected_at)
            deliver.append(delivered - card.connected_at)
            card.remove()
            events.wait_for(K.CARD_REMOVED)
            daemon.wait_until_empty()
        stop.set()
        thread.join()
        reader.stop()
    finally:
        daemon.stop()
    d, v = statistics.median(detect), statistics.median(deliver)
    print(f"pcsc: insert -> IdentityDocument, {reads} inserts: median {_ms(v)} (p95 {_ms(_p95(deliver))}); "
          f"pcscd's own detection median {_ms(d)}; driver adds {_ms(v - d)} (ratio {v / d:.2f}x); "
          f"pcscd ready {_ms(daemon.ready_after)} after spawn")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="?", default="all", choices=("overhead", "wire", "pcsc", "all"))
    parser.add_argument("--reads", type=int, default=20)
    args = parser.parse_args()
    if args.what in ("overhead", "all"):
        overhead(args.reads)
    if args.what in ("wire", "all"):
        wire(args.reads)
    if args.what in ("pcsc", "all"):
        pcsc(max(5, args.reads // 2))


if __name__ == "__main__":
    main()

"""Print benchmarks against a private cupsd (prints numbers; not a test).

  compose    compose a 1-page copy (watermark, marks, QR) from the platform PDF, median of N
  submit     compose + stream the job to CUPS, time until CUPS accepted it, median of N
  complete   compose + submit + until CUPS reports the job completed (capture queue), median of N
  cups-pdf   the same through the cups-pdf queue (ghostscript renders a real PDF), median of N
  detect     time from submit until the kiosk reports a failed job: out of paper mid-job
             (error reason seen, job cancelled) and a job the printer aborts

Needs root (it starts cupsd from tests/cups_harness.py, as the tests do).
Usage: .venv/bin/python bench/print_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from printing.copy_compose import CopyMarks, compose_copy  # noqa: E402
from printing.cups_printer import CupsPrinter  # noqa: E402
from printing.sample_pdf import sample_certificate_pdf  # noqa: E402
from tests.cups_harness import CAPTURE_QUEUE, PDF_QUEUE, CupsBench  # noqa: E402
from tests.journey_driver import make_certificate  # noqa: E402

MARKS = CopyMarks(purpose="入学", kiosk_id="KIOSK-BENCH", printed_at=_dt.datetime(2026, 11, 21, 10, 0),
                  verify_code="ABCD1234", verify_url="https://zwfw.example.gov.cn/v1/verify/ABCD1234")


def _ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:.1f} ms (min {min(values) * 1000:.1f}, " \
           f"max {max(values) * 1000:.1f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    source = sample_certificate_pdf(make_certificate(1))
    compose_copy(source, MARKS)  # font registration and imports out of the timings

    compose = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        compose_copy(source, MARKS)
        compose.append(time.perf_counter() - t0)
    print(f"compose 1-page copy: {_ms(compose)}")

    bench = CupsBench(Path(tempfile.mkdtemp(prefix="kiosk-cups-bench-")))
    bench.start()
    try:
        printer = CupsPrinter(CAPTURE_QUEUE, server=bench.socket, poll_interval=0.02)
        submitted, completed = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            marks: dict[str, float] = {}
            pdf = compose_copy(source, MARKS)
            result = printer.print_pdf(pdf, progress=lambda key, m=marks: m.setdefault(key, time.perf_counter()))
            assert result.ok, result
            completed.append(time.perf_counter() - t0)
            submitted.append(marks["print_stage_printing"] - t0)
        print(f"compose + submit (CUPS accepted the job): {_ms(submitted)}")
        print(f"compose + submit + CUPS reports completed (capture queue): {_ms(completed)}")

        pdf_printer = CupsPrinter(PDF_QUEUE, server=bench.socket, poll_interval=0.02)
        through_pdf = []
        for _ in range(max(3, args.runs // 3)):
            t0 = time.perf_counter()
            assert pdf_printer.print_pdf(compose_copy(source, MARKS)).ok
            through_pdf.append(time.perf_counter() - t0)
        print(f"compose + submit + completed (cups-pdf queue, ghostscript): {_ms(through_pdf)}")

        for fault, grace in (("stall-empty", 1.0), ("abort", 1.0)):
            detect = []
            for _ in range(max(3, args.runs // 3)):
                bench.reset()
                bench.set_fault(fault)
                p = CupsPrinter(CAPTURE_QUEUE, server=bench.socket, poll_interval=0.1, stall_grace=grace)
                pdf = compose_copy(source, MARKS)
                t0 = time.perf_counter()
                result = p.print_pdf(pdf)
                detect.append(time.perf_counter() - t0)
                assert not result.ok, result
            print(f"detect failed job ({fault}, poll 100 ms, grace {grace:.1f} s) -> {result.reason}: {_ms(detect)}")
    finally:
        bench.close()


if __name__ == "__main__":
    main()

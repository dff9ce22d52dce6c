"""The CUPS driver against a real cupsd (tests/cups_harness.py): content, health, faults.

Every fault ends with the job finished or cancelled by the kiosk (never left to print
later for someone else), the journey on the right screen and a truthful outbox record.
"""

from __future__ import annotations

import datetime as _dt
import io
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.interfaces import PrinterState
from kiosk.journey import Screen
from printing.copy_compose import CopyMarks, compose_copy
from printing.cups_printer import JOB_ABORTED, JOB_CANCELED, CupsPrinter, state_from
from printing.sample_pdf import sample_certificate_pdf
from tests import cups_harness
from tests.cups_harness import CAPTURE_QUEUE, PDF_QUEUE, CupsBench
from tests.journey_driver import Harness, make_certificate
from tests.test_copy_compose import decode_qr_codes, embedded_fonts

VERIFY_URL = "https://zwfw.example.gov.cn/v1/verify/ABCD1234"
cups_bench_session = cups_harness.cups_bench_session  # the private cupsd (pytest fixtures)
cups_bench = cups_harness.cups_bench


def _copy() -> bytes:
    marks = CopyMarks(purpose="入学", kiosk_id="KIOSK-TEST", printed_at=_dt.datetime(2026, 11, 21, 10, 0),
                      verify_code="ABCD1234", verify_url=VERIFY_URL)
    return compose_copy(sample_certificate_pdf(make_certificate(1)), marks)


def _printer(bench: CupsBench, queue: str = CAPTURE_QUEUE, **kw: object) -> CupsPrinter:
    return CupsPrinter(queue, server=bench.socket, poll_interval=0.05, stall_grace=0.5, **kw)


def _job_state(bench: CupsBench, job_id: str) -> int:
    return bench.connection().getJobAttributes(int(job_id))["job-state"]


def _harness(bench: CupsBench) -> Harness:
    """A journey with fake platform and outbox, printing through the real CUPS capture queue."""
    h = Harness()
    h.printer = _printer(bench)
    h.services.printer = h.printer
    h.drive_to(Screen.PURPOSE)
    return h


def _print_rows(h: Harness) -> list[dict]:
    return [payload for kind, payload in h.outbox.rows if kind == "print"]


# ---------------------------------------------------------------- content


def test_capture_queue_gets_the_copy_byte_for_byte(cups_bench: CupsBench, tmp_path: Path) -> None:
    pdf = _copy()
    result = _printer(cups_bench).print_pdf(pdf)
    assert result.ok and result.job_id
    [captured] = cups_bench.wait_captured(1)
    data = captured.read_bytes()
    assert data == pdf
    text = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "仅供办理入学使用" in text and "ABCD1234" in text
    assert all(embedded for _, embedded in embedded_fonts(data))
    assert decode_qr_codes(captured, tmp_path) == [VERIFY_URL]


def test_cups_pdf_queue_prints_a_scannable_copy(cups_bench: CupsBench, tmp_path: Path) -> None:
    result = _printer(cups_bench, PDF_QUEUE).print_pdf(_copy())
    assert result.ok
    deadline = time.monotonic() + 20
    while not list(cups_bench.pdf_dir.glob("*.pdf")) and time.monotonic() < deadline:
        time.sleep(0.05)
    [out] = list(cups_bench.pdf_dir.glob("*.pdf"))
    assert decode_qr_codes(out, tmp_path) == [VERIFY_URL]


# ---------------------------------------------------------------- health


def test_health_of_an_idle_queue(cups_bench: CupsBench) -> None:
    printer = _printer(cups_bench)
    assert printer.state() is PrinterState.READY
    assert printer.health() == {"driver": "cups", "state": "ready", "reasons": [], "queue": 0, "detail": ""}


def test_missing_queue_is_offline(cups_bench: CupsBench) -> None:
    status = _printer(cups_bench, "NO_SUCH_QUEUE").status()
    assert status.state is PrinterState.OFFLINE and status.detail == "queue_missing"


@pytest.mark.parametrize("ipp_state,reasons,accepting,expected", [
    (3, [], True, PrinterState.READY),
    (3, ["toner-low-report"], True, PrinterState.READY),
    (3, ["media-empty-error"], True, PrinterState.READY),  # stale until the next job: try, then see
    (4, [], True, PrinterState.BUSY),
    (4, ["media-empty-error"], True, PrinterState.OUT_OF_PAPER),
    (4, ["media-jam-error"], True, PrinterState.JAMMED),
    (4, ["offline-report"], True, PrinterState.OFFLINE),
    (5, ["paused"], True, PrinterState.STOPPED),
    (5, ["media-empty-error", "paused"], True, PrinterState.OUT_OF_PAPER),
    (5, ["media-jam-error", "paused"], True, PrinterState.JAMMED),
    (5, ["offline-report", "paused"], True, PrinterState.OFFLINE),
    (3, [], False, PrinterState.STOPPED),
])
def test_state_mapping(ipp_state: int, reasons: list[str], accepting: bool, expected: PrinterState) -> None:
    assert state_from(ipp_state, reasons, accepting) is expected


# ---------------------------------------------------------------- faults, driver level


@pytest.mark.parametrize("fault,state", [("media-empty", PrinterState.OUT_OF_PAPER),
                                         ("media-jam", PrinterState.JAMMED)])
def test_printer_fault_stops_queue_and_job_is_cancelled(cups_bench: CupsBench, fault: str,
                                                         state: PrinterState) -> None:
    cups_bench.set_fault(fault)
    printer = _printer(cups_bench)
    result = printer.print_pdf(_copy())
    assert not result.ok and result.reason == f"printer_{state.value}"
    assert _job_state(cups_bench, result.job_id) == JOB_CANCELED  # it will not print after a refill
    assert printer.state() is state
    assert cups_bench.captured() == []


@pytest.mark.parametrize("fault,reason", [("stall-empty", "printer_out_of_paper"), ("offline", "printer_offline")])
def test_fault_during_the_job_is_detected_and_cancelled(cups_bench: CupsBench, fault: str, reason: str) -> None:
    cups_bench.set_fault(fault)
    result = _printer(cups_bench).print_pdf(_copy())
    assert (result.ok, result.reason) == (False, reason)
    assert _job_state(cups_bench, result.job_id) == JOB_CANCELED
    cups_bench.set_fault(None)
    time.sleep(0.3)
    assert cups_bench.captured() == []


def test_aborted_job(cups_bench: CupsBench) -> None:
    cups_bench.set_fault("abort")
    result = _printer(cups_bench).print_pdf(_copy())
    assert (result.ok, result.reason) == (False, "printer_job_failed")
    assert _job_state(cups_bench, result.job_id) == JOB_ABORTED


def test_job_timeout_cancels(cups_bench: CupsBench) -> None:
    cups_bench.connection().disablePrinter(CAPTURE_QUEUE)  # the job waits in the queue
    printer = CupsPrinter(CAPTURE_QUEUE, server=cups_bench.socket, poll_interval=0.05, job_timeout=0.5)
    result = printer.print_pdf(_copy())
    assert (result.ok, result.reason) == (False, "printer_stopped")
    assert _job_state(cups_bench, result.job_id) == JOB_CANCELED


def test_rejecting_queue(cups_bench: CupsBench) -> None:
    cups_bench.connection().rejectJobs(CAPTURE_QUEUE)
    printer = _printer(cups_bench)
    assert printer.state() is PrinterState.STOPPED
    assert printer.print_pdf(_copy()).reason == "printer_stopped"


def test_cupsd_stopped(cups_bench: CupsBench) -> None:
    cups_bench.stop()
    printer = _printer(cups_bench)
    assert printer.state() is PrinterState.OFFLINE
    assert printer.health()["state"] == "offline"
    assert printer.print_pdf(_copy()).reason == "printer_offline"


# ---------------------------------------------------------------- faults, journey level


def test_journey_out_of_paper_before_the_job(cups_bench: CupsBench) -> None:
    cups_bench.set_fault("media-empty")
    _printer(cups_bench).print_pdf(_copy())  # an earlier job found the tray empty: queue stopped
    h = _harness(cups_bench)
    h.journey.choose_purpose("purpose_school")
    assert h.journey.screen is Screen.PRINT_FAILED
    assert h.journey.session.message == "printer_out_of_paper"
    assert h.platform.stamped == 0  # nothing fetched, nothing printed
    [row] = _print_rows(h)
    assert (row["ok"], row["reason"], row["stage"]) == (False, "printer_out_of_paper", "precheck")


def test_journey_out_of_paper_during_the_job_then_retry(cups_bench: CupsBench) -> None:
    cups_bench.set_fault("stall-empty")
    h = _harness(cups_bench)
    h.journey.choose_purpose("purpose_school")
    assert h.journey.screen is Screen.PRINT_FAILED
    assert h.journey.session.message == "printer_out_of_paper"
    cups_bench.set_fault(None)  # staff loads paper
    h.journey.retry_print()
    assert h.journey.screen is Screen.PRINT_DONE, (h.journey.session.message, cups_bench.error_log())
    assert len(cups_bench.wait_captured(1)) == 1  # exactly one copy came out
    rows = _print_rows(h)
    assert [(r["ok"], r["reason"], r["stage"]) for r in rows] == [
        (False, "printer_out_of_paper", "print"), (True, "", "print")]
    assert rows[0]["job_id"] != rows[1]["job_id"]
    assert not h.journey.can_retry_print()


def test_journey_queue_disabled(cups_bench: CupsBench) -> None:
    cups_bench.connection().disablePrinter(CAPTURE_QUEUE, reason="maintenance")
    h = _harness(cups_bench)
    h.journey.choose_purpose("purpose_loan")
    assert (h.journey.screen, h.journey.session.message) == (Screen.PRINT_FAILED, "printer_stopped")
    [row] = _print_rows(h)
    assert (row["ok"], row["stage"], row["purpose"]) == (False, "precheck", "purpose_loan")
    assert cups_bench.captured() == []


def test_journey_cupsd_stopped(cups_bench: CupsBench) -> None:
    cups_bench.stop()
    h = _harness(cups_bench)
    h.journey.choose_purpose("purpose_school")
    assert (h.journey.screen, h.journey.session.message) == (Screen.PRINT_FAILED, "printer_offline")
    assert [r["ok"] for r in _print_rows(h)] == [False]


def test_journey_job_aborted(cups_bench: CupsBench) -> None:
    cups_bench.set_fault("abort")
    h = _harness(cups_bench)
    h.journey.choose_purpose("purpose_school")
    assert (h.journey.screen, h.journey.session.message) == (Screen.PRINT_FAILED, "printer_job_failed")
    h.journey.retry_print()  # the one retry also fails: no third attempt offered
    assert h.journey.screen is Screen.PRINT_FAILED and not h.journey.can_retry_print()
    assert [(r["ok"], r["reason"]) for r in _print_rows(h)] == [(False, "printer_job_failed")] * 2
    assert cups_bench.captured() == []


def test_journey_garbage_file_prints_nothing(cups_bench: CupsBench) -> None:
    h = _harness(cups_bench)
    h.platform.pdf = b"%PDF-1.7\nthis is not really a pdf"
    h.journey.choose_purpose("purpose_school")
    assert (h.journey.screen, h.journey.session.message) == (Screen.PRINT_FAILED, "print_bad_file")
    [row] = _print_rows(h)
    assert (row["ok"], row["stage"]) == (False, "compose")
    time.sleep(0.2)
    assert cups_bench.captured() == [] and cups_bench.run("lpstat", "-o", check=False).stdout == ""


def test_journey_happy_path_record(cups_bench: CupsBench, tmp_path: Path) -> None:
    h = _harness(cups_bench)
    h.journey.choose_purpose("purpose_school")
    assert h.journey.screen is Screen.PRINT_DONE
    [captured] = cups_bench.wait_captured(1)
    assert decode_qr_codes(captured, tmp_path) == ["https://zwfw.example.gov.cn/v1/verify/ABCD1234"]
    text = PdfReader(captured).pages[0].extract_text()
    assert "仅供办理入学使用" in text and "办理办理" not in text
    [row] = _print_rows(h)
    assert row["ok"] and row["kiosk_id"] == "KIOSK-TEST" and row["purpose"] == "purpose_school"
    assert set(row) == {"ok", "certificate_type", "identifier", "purpose", "job_id", "reason", "stage", "at",
                        "kiosk_id"}  # no content, no holder data

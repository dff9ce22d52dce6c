"""PdfFolderPrinter: the composed copy lands in the folder atomically, faults write nothing."""

from __future__ import annotations

import datetime as _dt
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from kiosk.interfaces import Printer, PrinterState, PrintResult
from printing.copy_compose import CopyMarks, compose_copy
from printing.pdf_folder import PdfFolderPrinter
from printing.sample_pdf import sample_certificate_pdf
from tests.journey_driver import make_certificate

MARKS = CopyMarks(purpose="社保业务", kiosk_id="KIOSK-0042", printed_at=_dt.datetime(2026, 11, 21, 9, 0),
                  verify_code="ABCD1234", verify_url="https://zwfw.example.gov.cn/v1/verify/ABCD1234")


@pytest.fixture(scope="module")
def copy_pdf() -> bytes:
    return compose_copy(sample_certificate_pdf(make_certificate(1)), MARKS)


def test_is_a_printer(tmp_path: Path) -> None:
    printer = PdfFolderPrinter(tmp_path)
    assert isinstance(printer, Printer)
    assert printer.state() is PrinterState.READY
    assert printer.health() == {"driver": "pdf_folder", "state": "ready", "reasons": [], "queue": 0}


def test_prints_the_copy_byte_for_byte(tmp_path: Path, copy_pdf: bytes) -> None:
    stages: list[str] = []
    result = PdfFolderPrinter(tmp_path).print_pdf(copy_pdf, progress=stages.append)
    assert result.ok and result.reason == "" and result.stage == "print"
    assert re.fullmatch(r"[0-9a-f]{32}", result.job_id)
    files = [p.name for p in tmp_path.iterdir()]
    assert files == [f"{result.job_id}.pdf"]  # no temp file left over, no personal data in the name
    assert (tmp_path / files[0]).read_bytes() == copy_pdf
    assert stages == ["print_stage_printing"]


def test_two_jobs_get_distinct_files(tmp_path: Path, copy_pdf: bytes) -> None:
    printer = PdfFolderPrinter(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [f.result(60) for f in [pool.submit(printer.print_pdf, copy_pdf) for _ in range(2)]]
    assert all(r.ok for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{r.job_id}.pdf" for r in results)


@pytest.mark.parametrize("state", [s for s in PrinterState if s is not PrinterState.READY])
def test_failing_state_writes_nothing(tmp_path: Path, copy_pdf: bytes, state: PrinterState) -> None:
    printer = PdfFolderPrinter(tmp_path, fail_with=state)
    assert printer.state() is state
    assert printer.health()["state"] == state.value
    assert printer.print_pdf(copy_pdf) == PrintResult(False, "", f"printer_{state.value}", "print")
    assert list(tmp_path.iterdir()) == []


def test_fail_with_is_settable(tmp_path: Path, copy_pdf: bytes) -> None:
    printer = PdfFolderPrinter(tmp_path)
    printer.fail_with = PrinterState.OUT_OF_PAPER
    assert printer.print_pdf(copy_pdf).reason == "printer_out_of_paper"
    assert list(tmp_path.iterdir()) == []
    printer.fail_with = None
    assert printer.print_pdf(copy_pdf).ok
    assert len(list(tmp_path.iterdir())) == 1


def test_not_a_pdf_is_refused(tmp_path: Path) -> None:
    result = PdfFolderPrinter(tmp_path).print_pdf(b"garbage")
    assert result == PrintResult(False, "", "print_bad_file", "print")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory modes")
def test_read_only_folder(tmp_path: Path, copy_pdf: bytes) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = PdfFolderPrinter(folder).print_pdf(copy_pdf)
    finally:
        folder.chmod(0o700)
    assert result.reason == "printer_error" and list(folder.iterdir()) == []


def test_folder_that_cannot_exist(tmp_path: Path, copy_pdf: bytes) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    assert PdfFolderPrinter(blocker / "out").print_pdf(copy_pdf).reason == "printer_error"
    assert list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_write_failure_leaves_no_partial_file(tmp_path: Path, monkeypatch, failing: str, copy_pdf: bytes) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(f"printing.pdf_folder.os.{failing}", boom)
    assert PdfFolderPrinter(tmp_path).print_pdf(copy_pdf).reason == "printer_error"
    assert list(tmp_path.iterdir()) == []

"""PdfFolderPrinter: real PDFs, composed on a worker thread while a Qt application runs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as _dt
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtGui import QFont, QRawFont

from kiosk.identity import HolderCodeType
from kiosk.interfaces import Certificate, Printer, PrinterState, PrintResult
from printing.pdf_folder import FONT_FAMILY, PdfFolderPrinter

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdffonts") is None, reason="poppler-utils missing"
)

HOLDER_NAME = "张伟明"
HOLDER_CODE = "110101198503120033"
PURPOSE = "社保业务"
KIOSK_ID = "KIOSK-0042"


def _cert() -> Certificate:
    return Certificate(
        cert_id="cert-001",
        name="居民户口簿",
        number="HK2020NO123456",
        identifier="1.2.156.3005.2.11100000000013127D.0001",
        issuer="北京市公安局东城分局",
        issuer_code="11100000000013127D",
        issue_date=_dt.date(2020, 1, 2),
        valid_until=None,
        holder_name=HOLDER_NAME,
        holder_code=HOLDER_CODE,
        holder_type=HolderCodeType.RESIDENT_ID,
        fields={"户别": "家庭户", "住址": "北京市东城区示例胡同12号"},
    )


def _print_on_worker(printer: PdfFolderPrinter, cert: Certificate) -> PrintResult:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(printer.print_certificate, cert, purpose=PURPOSE, kiosk_id=KIOSK_ID).result(60)


def _glyphs(text: str) -> str:
    """Text folded to the font's glyph ids, so 民 and the radical ⺠ (same glyph) compare equal."""
    raw = QRawFont.fromFont(QFont(FONT_FAMILY))
    folded = []
    for char in text:
        glyphs = raw.glyphIndexesForString(char)
        folded.append(chr(0xF0000 + glyphs[0]) if len(glyphs) == 1 and glyphs[0] else char)
    return "".join(folded)


def test_is_a_printer(tmp_path: Path) -> None:
    assert isinstance(PdfFolderPrinter(tmp_path), Printer)
    assert PdfFolderPrinter(tmp_path).state() is PrinterState.READY


@needs_poppler
def test_prints_pdf_from_worker_thread(qapp, tmp_path: Path) -> None:
    cert = _cert()
    result = _print_on_worker(PdfFolderPrinter(tmp_path), cert)

    assert result.ok and result.reason == ""
    assert re.fullmatch(r"[0-9a-f]{32}", result.job_id)
    files = [p.name for p in tmp_path.iterdir()]
    assert files == [f"{result.job_id}.pdf"]  # no temp file left over
    for secret in (HOLDER_NAME, HOLDER_CODE, cert.number, cert.identifier, cert.name):
        assert secret not in files[0]
    pdf = tmp_path / files[0]
    assert pdf.read_bytes().startswith(b"%PDF-")

    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows, fonts
    assert any("NotoSansCJK" in row[0] for row in rows), fonts
    for row in rows:
        emb = row[-5]  # columns: name type... encoding emb sub uni object ID
        assert emb == "yes", fonts

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "仅供办理" in text
    assert f"仅供办理{PURPOSE}" in text
    for value in (HOLDER_NAME, HOLDER_CODE, cert.number, cert.identifier, KIOSK_ID, "2020-01-02"):
        assert value in text
    # Qt's text layer maps some ideographs to look-alike radicals (民 -> ⺠); compare by glyph.
    assert _glyphs(cert.name) in _glyphs(text)
    assert _glyphs("家庭户") in _glyphs(text)


def test_two_jobs_get_distinct_files(qapp, tmp_path: Path) -> None:
    printer = PdfFolderPrinter(tmp_path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [
            pool.submit(printer.print_certificate, _cert(), purpose=PURPOSE, kiosk_id=KIOSK_ID) for _ in range(2)
        ]
        results = [f.result(60) for f in futures]
    assert all(r.ok for r in results)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{r.job_id}.pdf" for r in results)


@pytest.mark.parametrize("state", [s for s in PrinterState if s is not PrinterState.READY])
def test_failing_state_writes_nothing(qapp, tmp_path: Path, state: PrinterState) -> None:
    printer = PdfFolderPrinter(tmp_path, fail_with=state)
    assert printer.state() is state
    result = _print_on_worker(printer, _cert())
    assert result == PrintResult(ok=False, job_id="", reason=f"printer_{state.value}")
    assert list(tmp_path.iterdir()) == []


def test_fail_with_is_settable(qapp, tmp_path: Path) -> None:
    printer = PdfFolderPrinter(tmp_path)
    printer.fail_with = PrinterState.OUT_OF_PAPER
    assert _print_on_worker(printer, _cert()).reason == "printer_out_of_paper"
    assert list(tmp_path.iterdir()) == []
    printer.fail_with = None
    assert _print_on_worker(printer, _cert()).ok
    assert len(list(tmp_path.iterdir())) == 1


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory modes")
def test_read_only_folder(qapp, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        result = _print_on_worker(PdfFolderPrinter(folder), _cert())
    finally:
        folder.chmod(0o700)
    assert result == PrintResult(ok=False, job_id="", reason="printer_error")
    assert list(folder.iterdir()) == []


def test_folder_that_cannot_exist(qapp, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = _print_on_worker(PdfFolderPrinter(blocker / "out"), _cert())
    assert result == PrintResult(ok=False, job_id="", reason="printer_error")
    assert list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_write_failure_leaves_no_partial_file(qapp, tmp_path: Path, monkeypatch, failing: str) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(f"printing.pdf_folder.os.{failing}", boom)
    result = _print_on_worker(PdfFolderPrinter(tmp_path), _cert())
    assert result == PrintResult(ok=False, job_id="", reason="printer_error")
    assert list(tmp_path.iterdir()) == []


def test_without_qt_application_fails_cleanly(tmp_path: Path) -> None:
    """Qt aborts the process on font use without a QGuiApplication; the printer must not."""
    script = (
        "import sys, datetime\n"
        "from pathlib import Path\n"
        "from kiosk.identity import HolderCodeType\n"
        "from kiosk.interfaces import Certificate\n"
        "from printing.pdf_folder import PdfFolderPrinter\n"
        "c = Certificate('c', 'n', 'no', 'id', 'iss', 'ic', datetime.date(2020, 1, 2), None,\n"
        "                'h', 'hc', HolderCodeType.RESIDENT_ID)\n"
        "r = PdfFolderPrinter(Path(sys.argv[1])).print_certificate(c, purpose='p', kiosk_id='k')\n"
        "print(r.ok, r.reason)\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, env=env, cwd=root, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "printer_error"]
    assert list(tmp_path.iterdir()) == []

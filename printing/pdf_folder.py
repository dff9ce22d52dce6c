"""A printer that writes PDFs to a folder: the demo and test stand-in for a real printer.

It receives the finished copy (composed by printing.copy_compose, exactly as the
CUPS driver does) and writes it to a temporary file in the folder, then renames
it atomically to ``<job_id>.pdf``. The job id is a random uuid4 hex: file names
never carry personal data.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from kiosk.interfaces import PrinterState, PrintProgress, PrintResult


class PdfFolderPrinter:
    """kiosk.interfaces.Printer that saves every job as a PDF in ``folder``.

    Set ``fail_with`` (in the constructor or later) to simulate a printer fault.
    """

    def __init__(self, folder: Path, *, fail_with: PrinterState | None = None) -> None:
        self.folder = Path(folder)
        self.fail_with = fail_with
        self._lock = threading.Lock()  # one job at a time, like a real printer

    def state(self) -> PrinterState:
        return self.fail_with if self.fail_with is not None else PrinterState.READY

    def health(self) -> dict[str, Any]:
        state = self.state()
        return {"driver": "pdf_folder", "state": state.value, "reasons": [] if state is PrinterState.READY
                else [state.value], "queue": 0}

    def print_pdf(self, pdf: bytes, *, progress: PrintProgress = lambda stage: None) -> PrintResult:
        state = self.state()
        if state is not PrinterState.READY:
            return PrintResult(ok=False, job_id="", reason=f"printer_{state.value}", stage="print")
        if not pdf.startswith(b"%PDF-"):
            return PrintResult(ok=False, job_id="", reason="print_bad_file", stage="print")
        job_id = uuid.uuid4().hex
        progress("print_stage_printing")
        with self._lock:
            try:
                self._write(job_id, pdf)
            except OSError:
                return PrintResult(ok=False, job_id="", reason="printer_error", stage="print")
        return PrintResult(ok=True, job_id=job_id, stage="print")

    def _write(self, job_id: str, data: bytes) -> None:
        """Write to a temporary name, then rename into place; never leave a partial file."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".job-", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.folder / f"{job_id}.pdf")
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

"""The CUPS printer driver: health over IPP (pycups) and tracked print jobs.

State comes from the queue's ``printer-state``, ``printer-state-reasons`` and
``printer-is-accepting-jobs``. A job is streamed to CUPS (no temporary file with
the copy on disk), then followed until it is completed, aborted or canceled. If
the printer stops, reports an error (out of paper, jam, offline) for longer than
a short grace period, or the job outlasts its timeout, the kiosk cancels the job
itself: a copy must never come out later, for the next person at the kiosk.

Every call blocks and opens its own connection: run it on the printer worker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cups

from kiosk.interfaces import PrinterState, PrintResult

log = logging.getLogger("kiosk.printing")

IPP_IDLE, IPP_PROCESSING, IPP_STOPPED = 3, 4, 5
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED, JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 3, 4, 5, 6, 7, 8, 9
# Every name sent over IPP is a short ASCII token: never personal data (job titles end up in logs
# and file names), and never whitespace (cups-daemon 2.4.2-3+deb12u10 segfaults on a document-name
# with a space in it).
JOB_TITLE = "kiosk-copy"
DOCUMENT_NAME = "kiosk-copy.pdf"
IPP_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
_PRINTER_ATTRS = ["printer-state", "printer-state-reasons", "printer-is-accepting-jobs", "queued-job-count"]

# printer-state-reasons keyword (without -report/-warning/-error) -> what the citizen is told
_REASON_STATES: list[tuple[str, PrinterState]] = [
    ("media-empty", PrinterState.OUT_OF_PAPER),
    ("media-needed", PrinterState.OUT_OF_PAPER),
    ("input-tray-missing", PrinterState.OUT_OF_PAPER),
    ("media-jam", PrinterState.JAMMED),
    ("offline", PrinterState.OFFLINE),
    ("connecting-to-device", PrinterState.OFFLINE),
    ("shutdown", PrinterState.OFFLINE),
    ("door-open", PrinterState.ERROR),
    ("cover-open", PrinterState.ERROR),
    ("toner-empty", PrinterState.ERROR),
    ("marker-supply-empty", PrinterState.ERROR),
]


@dataclass(frozen=True)
class QueueStatus:
    """One look at the queue."""

    state: PrinterState
    reasons: tuple[str, ...]  # IPP printer-state-reasons, e.g. ("media-empty-error",)
    queued: int  # jobs waiting or printing
    detail: str = ""  # why the state is what it is, for technicians (no personal data)
    stopped: bool = False  # CUPS will not print: queue stopped, rejecting jobs, or unreachable


def state_from(ipp_state: int, reasons: list[str] | tuple[str, ...], accepting: bool) -> PrinterState:
    """Map IPP printer attributes to what the kiosk can tell a citizen."""
    if ipp_state == IPP_STOPPED or not accepting:
        return _reason_state(reasons) or PrinterState.STOPPED
    if _reason_state(reasons, errors_only=True) is not None and ipp_state == IPP_PROCESSING:
        return _reason_state(reasons, errors_only=True)
    return PrinterState.BUSY if ipp_state == IPP_PROCESSING else PrinterState.READY


def _reason_state(reasons: list[str] | tuple[str, ...], *, errors_only: bool = False) -> PrinterState | None:
    for reason in reasons:
        if errors_only and not (reason.endswith("-error") or reason.startswith("offline")):
            continue
        base = reason.removesuffix("-error").removesuffix("-warning").removesuffix("-report")
        for keyword, state in _REASON_STATES:
            if base == keyword:
                return state
    return None


class CupsPrinter:
    """kiosk.interfaces.Printer on a CUPS queue.

    ``server`` is a host name or a Unix socket path (None: the system default).
    ``job_timeout`` bounds a whole job; ``stall_grace`` is how long an error
    reason may stand while our job is printing before the job is given up.
    """

    def __init__(self, queue: str, *, server: str | None = None, job_timeout: float = 120.0,
                 stall_grace: float = 1.0, poll_interval: float = 0.1,
                 connect: Callable[[], Any] | None = None, fault_file: Path | None = None) -> None:
        self.queue = queue
        self.server = server
        self.job_timeout = job_timeout
        self.stall_grace = stall_grace
        self.poll_interval = poll_interval
        self._connect = connect or self._default_connect
        self._lock = threading.Lock()  # one job at a time
        # The last lost job ("cupsd_gone") is kept in a small file, so that the heartbeat (sync
        # process) and `kiosk devices doctor` see what the UI process met. No personal data in it.
        self.fault_file = fault_file
        self._fault: tuple[str, float] | None = None

    def _default_connect(self) -> Any:
        return cups.Connection(host=self.server) if self.server else cups.Connection()

    # ------------------------------------------------------------ health

    def status(self) -> QueueStatus:
        """The queue's state, reasons and number of queued jobs; OFFLINE when CUPS is unreachable."""
        try:
            conn = self._connect()
            attrs = conn.getPrinterAttributes(self.queue, requested_attributes=_PRINTER_ATTRS)
        except cups.IPPError as exc:
            status, _ = exc.args if len(exc.args) == 2 else (0, "")
            detail = "queue_missing" if status == cups.IPP_NOT_FOUND else f"ipp_{status}"
            return QueueStatus(PrinterState.OFFLINE, (), 0, detail, stopped=True)
        except (RuntimeError, OSError) as exc:  # pycups raises RuntimeError when cupsd is down
            return QueueStatus(PrinterState.OFFLINE, (), 0, f"cups_unreachable:{type(exc).__name__}", stopped=True)
        reasons = tuple(r for r in attrs.get("printer-state-reasons", []) if r != "none")
        ipp_state = attrs.get("printer-state", IPP_STOPPED)
        accepting = bool(attrs.get("printer-is-accepting-jobs", False))
        return QueueStatus(state_from(ipp_state, reasons, accepting), reasons,
                           int(attrs.get("queued-job-count", 0) or 0),
                           stopped=ipp_state == IPP_STOPPED or not accepting)

    def state(self) -> PrinterState:
        return self.status().state

    def health(self) -> dict[str, Any]:
        """For the kiosk heartbeat: state, IPP reasons (incl. warnings like toner-low), queue length."""
        s = self.status()
        health: dict[str, Any] = {"driver": "cups", "state": s.state.value, "reasons": list(s.reasons),
                                  "queue": s.queued, "detail": s.detail}
        fault = self.last_fault()
        if fault is not None:
            health["last_fault"], at = fault
            health["last_fault_age_s"] = max(0, round(time.time() - at))
        return health

    def diagnose(self) -> tuple[bool, str, str]:
        """For `kiosk devices doctor`: (ok, what is wrong in plain words, the fix)."""
        s = self.status()
        fault = self.last_fault()
        if s.state is PrinterState.OFFLINE:
            return (False, f"CUPS queue {self.queue}: unreachable ({s.detail})",
                    "start CUPS (systemctl start cups) and check the queue with 'lpstat -p'; create it with lpadmin")
        if fault is not None:
            age = max(0, round(time.time() - fault[1]))
            return (False, f"CUPS queue {self.queue}: cupsd went away during a print job {age} s ago (cupsd_gone)",
                    "check 'journalctl -u cups' for a crash, update the cups packages (apt-get upgrade), "
                    "then print a test page; the fault clears when a job completes")
        if s.state not in (PrinterState.READY, PrinterState.BUSY):
            return (False, f"CUPS queue {self.queue}: {s.state.value} ({', '.join(s.reasons) or s.detail})",
                    "fix the printer (paper, jam, cover), then 'cupsenable' and 'cupsaccept' the queue")
        return True, f"CUPS queue {self.queue}: {s.state.value}", ""

    def last_fault(self) -> tuple[str, float] | None:
        """The last time cupsd went away under a job, as (event, unix time), until a job completes."""
        if self.fault_file is None:
            return self._fault
        try:
            data = json.loads(self.fault_file.read_text(encoding="utf-8"))
            return str(data["fault"]), float(data["at"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _set_fault(self, fault: str | None) -> None:
        self._fault = (fault, time.time()) if fault else None
        if self.fault_file is None:
            return
        try:
            if fault is None:
                self.fault_file.unlink(missing_ok=True)
                return
            tmp = self.fault_file.with_name(f".{self.fault_file.name}.{os.getpid()}")
            tmp.write_text(json.dumps({"fault": fault, "at": time.time()}), encoding="utf-8")
            os.replace(tmp, self.fault_file)
        except OSError as exc:  # a full or read-only disk must not turn a print result into a crash
            log.warning("could not record the printer fault", extra={"event": "print_fault_file",
                                                                     "error": type(exc).__name__})

    # ------------------------------------------------------------ printing

    def print_pdf(self, pdf: bytes, *, progress: Callable[[str], None] = lambda stage: None) -> PrintResult:
        """Send one PDF and follow it to the end. Blocks; ok only when CUPS says completed."""
        with self._lock:
            try:
                conn = self._connect()
                conn = self._connect()
            except (RuntimeError, OSError) as exc:
                log.warning("cups unreachable", extra={"event": "print_submit", "error": type(exc).__name__})
                return PrintResult(ok=False, job_id="", reason="printer_offline")
            job_id = 0
            try:
                job_id = conn.createJob(self.queue, JOB_TITLE, {})
                conn.startDocument(self.queue, job_id, DOCUMENT_NAME, "application/pdf", 1)
                conn.writeRequestData(pdf, len(pdf))
                status = conn.finishDocument(self.queue)
                uuid = self._job_uuid(conn, job_id)
            except cups.IPPError as exc:
                if job_id and not self._cupsd_alive():
                    return self._gone(str(job_id), "submit")
                return self._refused(exc)
            except (RuntimeError, OSError) as exc:
                if job_id:  # refused right after the job was created: cupsd went away under us
                    return self._gone(str(job_id), "submit")
                log.warning("cups unreachable", extra={"event": "print_submit", "error": type(exc).__name__})
                return PrintResult(ok=False, job_id="", reason="printer_offline")
            if status not in (0, cups.IPP_OK, getattr(cups, "IPP_OK_SUBST", 1)):
                self._cancel(conn, job_id)
                return PrintResult(ok=False, job_id=str(job_id), reason="printer_error")
            progress("print_stage_printing")
            return self._follow(conn, job_id, uuid)

    @staticmethod
    def _job_uuid(conn: Any, job_id: int) -> str:
        """The job's UUID: a restarted cupsd reuses job numbers, never UUIDs."""
        attrs = conn.getJobAttributes(job_id, requested_attributes=["job-uuid"])
        return str(attrs.get("job-uuid", ""))

    def _cupsd_alive(self) -> bool:
        try:
            self._connect().getPrinters()
        except (cups.IPPError, RuntimeError, OSError):
            return False
        return True

    def _gone(self, job_id: str, stage: str) -> PrintResult:
        """cupsd died or restarted under our job: the page cannot be known to have come out."""
        self._set_fault("cupsd_gone")
        log.error("cupsd went away during a print job", extra={"event": "cupsd_gone", "stage": stage})
        return PrintResult(ok=False, job_id=job_id, reason="printer_offline")

    def _refused(self, exc: cups.IPPError) -> PrintResult:
        status = exc.args[0] if exc.args else 0
        log.warning("cups refused the job", extra={"event": "print_submit", "ipp_status": status})
        after = self.status()
        if after.state is not PrinterState.READY:
            return PrintResult(ok=False, job_id="", reason=f"printer_{after.state.value}")
        return PrintResult(ok=False, job_id="", reason="printer_stopped" if status == cups.IPP_NOT_ACCEPTING
                           else "printer_error")

    def _follow(self, conn: Any, job_id: int, uuid: str) -> PrintResult:
        started = time.monotonic()
        error_since: float | None = None
        jid = str(job_id)
        while True:
            try:
                job = conn.getJobAttributes(job_id, requested_attributes=["job-state", "job-uuid"])
                state = int(job.get("job-state", 0))
                queue = self.status()
            except (cups.IPPError, RuntimeError, OSError):
                # CUPS went away mid-job, or restarted and forgot the job: we cannot know the page
                # came out, so say it did not.
                return self._gone(jid, "track")
            if uuid and job.get("job-uuid", uuid) != uuid:  # a restarted cupsd reused our job number
                return self._gone(jid, "track")
            if state == JOB_COMPLETED:
                if self._fault is not None or self.fault_file is not None:
                    self._set_fault(None)
                return PrintResult(ok=True, job_id=jid)
            if state in (JOB_CANCELED, JOB_ABORTED):
                problem = _reason_state(queue.reasons, errors_only=True)
                reason = f"printer_{problem.value}" if problem else "printer_job_failed"
                log.warning("print job ended badly", extra={"event": "print_track", "job_state": state})
                return PrintResult(ok=False, job_id=jid, reason=reason)
            now = time.monotonic()
            # An error reason counts while *our* job is printing (a stale one from a cancelled
            # job lingers until the backend starts ours); a stopped queue counts at once.
            blocked = queue.state not in (PrinterState.READY, PrinterState.BUSY) and (
                queue.stopped or state == JOB_PROCESSING)
            error_since = (error_since if error_since is not None else now) if blocked else None
            # A stopped queue will not move without staff; a live error gets a short grace.
            if blocked and (queue.stopped or now - error_since >= self.stall_grace):
                self._cancel(conn, job_id)
                return PrintResult(ok=False, job_id=jid, reason=f"printer_{queue.state.value}")
            if now - started >= self.job_timeout:
                self._cancel(conn, job_id)
                return PrintResult(ok=False, job_id=jid, reason="printer_timeout")
            time.sleep(self.poll_interval)

    def _cancel(self, conn: Any, job_id: int) -> None:
        """Cancel our job so it never prints later; failures are logged, not raised."""
        try:
            conn.cancelJob(job_id, purge_job=False)
            log.info("print job cancelled", extra={"event": "print_cancel"})
        except (cups.IPPError, RuntimeError, OSError) as exc:
            log.error("could not cancel print job", extra={"event": "print_cancel", "error": type(exc).__name__})

"""CUPS names and a crashing cupsd, against a real private cupsd (tests/cups_harness.py).

cups-daemon 2.4.2-3+deb12u10 segfaults when a job's document-name holds whitespace. The
driver sends only short ASCII tokens, and when cupsd dies or restarts under a job the
kiosk says "printer offline" (event ``cupsd_gone``), never that the copy printed.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

import pytest

from kiosk.journey import Screen
from printing.cups_printer import DOCUMENT_NAME, IPP_TOKEN, JOB_TITLE, CupsPrinter
from tests import cups_harness
from tests.cups_harness import CAPTURE_QUEUE, PDF_QUEUE, CupsBench
from tests.test_cups_printer import _copy, _harness, _print_rows, _printer

cups_bench_session = cups_harness.cups_bench_session
cups_bench = cups_harness.cups_bench


class RecordingConnection:
    """A real pycups connection that records every call and its arguments."""

    def __init__(self, real: Any, calls: list[tuple[str, tuple, dict]], hooks: dict[str, Any]) -> None:
        self._real, self._calls, self._hooks = real, calls, hooks

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._calls.append((name, args, kwargs))
            result = method(*args, **kwargs)
            hook = self._hooks.get(name)
            if hook is not None:
                hook(len([c for c in self._calls if c[0] == name]))
            return result
        return call


def _recording(bench: CupsBench, queue: str, hooks: dict[str, Any] | None = None,
               **kw: Any) -> tuple[CupsPrinter, list[tuple[str, tuple, dict]]]:
    calls: list[tuple[str, tuple, dict]] = []
    printer = CupsPrinter(queue, server=bench.socket, poll_interval=0.05, stall_grace=0.5,
                          connect=lambda: RecordingConnection(bench.connection(), calls, hooks or {}), **kw)
    return printer, calls


def _names_sent(calls: list[tuple[str, tuple, dict]]) -> list[str]:
    """Every name or option value the driver put into an IPP request."""
    sent: list[str] = []
    for name, args, kwargs in calls:
        if name == "createJob":  # (printer, title, options)
            sent += [args[1], *[str(k) for k in args[2]], *[str(v) for v in args[2].values()]]
        elif name == "startDocument":  # (printer, job_id, doc_name, format, last_document)
            sent += [args[2], args[3]]
        elif name in ("printFile", "printFiles"):
            sent += [str(a) for a in args[1:]] + [str(v) for v in kwargs.values()]
    return sent


@pytest.mark.parametrize("queue", [CAPTURE_QUEUE, PDF_QUEUE])
def test_every_ipp_name_is_a_short_token(cups_bench: CupsBench, queue: str) -> None:
    """GIVEN a composed copy WHEN the driver prints it THEN every IPP name is a whitespace-free ASCII
    token (no personal data can hide in a constant), cupsd agrees, and cupsd is still alive."""
    printer, calls = _recording(cups_bench, queue)
    result = printer.print_pdf(_copy())
    assert result.ok, (result.reason, cups_bench.error_log())
    sent = _names_sent(calls)
    assert JOB_TITLE in sent and DOCUMENT_NAME in sent
    for value in sent:
        assert value == "application/pdf" or IPP_TOKEN.fullmatch(value), value
    job = cups_bench.connection().getJobAttributes(int(result.job_id))
    for attr in ("job-name", "document-name-supplied"):
        if attr in job:
            assert IPP_TOKEN.fullmatch(str(job[attr])), (attr, job[attr])
    assert cups_bench.death() is None


def test_cupsd_alive_after_every_kind_of_job(cups_bench: CupsBench) -> None:
    """Each kind of job the kiosk submits (a composed copy to a raw printer queue, the same to a
    PDF queue, the one-retry second job) leaves cupsd running."""
    for queue in (CAPTURE_QUEUE, PDF_QUEUE, CAPTURE_QUEUE):
        assert _printer(cups_bench, queue).print_pdf(_copy()).ok, cups_bench.error_log()
        assert cups_bench.death() is None, f"cupsd died after a job on {queue}"
    h = _harness(cups_bench)  # and the journey's own job
    h.journey.choose_purpose("purpose_school")
    assert h.journey.screen is Screen.PRINT_DONE
    assert cups_bench.death() is None


def _crash(bench: CupsBench) -> None:
    """Kill cupsd the way the deb12u10 bug does (SIGSEGV), then forget it so the harness does not
    report the crash we caused on purpose."""
    proc = bench._proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGSEGV)
    proc.wait(10)
    bench._proc = None


def test_connection_refused_right_after_submit(cups_bench: CupsBench, caplog: pytest.LogCaptureFixture,
                                               tmp_path) -> None:  # noqa: ANN001
    """GIVEN cupsd segfaults as the document is sent WHEN the driver goes on THEN the result is
    printer_offline with a cupsd_gone event, and health and doctor report it."""
    fault_file = tmp_path / "printer-fault.json"
    printer, _ = _recording(cups_bench, CAPTURE_QUEUE, {"startDocument": lambda n: n == 1 and _crash(cups_bench)},
                            fault_file=fault_file)
    with caplog.at_level(logging.WARNING, logger="kiosk.printing"):
        result = printer.print_pdf(_copy())
    assert (result.ok, result.reason) == (False, "printer_offline")
    assert [r for r in caplog.records if getattr(r, "event", "") == "cupsd_gone"]
    cups_bench.restart()  # the machine's cupsd comes back (systemd restarts it)
    health = printer.health()
    assert health["last_fault"] == "cupsd_gone" and health["state"] == "ready"
    ok, summary, fix = printer.diagnose()
    assert not ok and "cupsd_gone" in summary and fix
    # A second driver (the sync process's heartbeat) sees the same fault through the file.
    assert CupsPrinter(CAPTURE_QUEUE, server=cups_bench.socket, fault_file=fault_file).health()["last_fault"] \
        == "cupsd_gone"
    assert printer.print_pdf(_copy()).ok  # a completed job clears it
    assert "last_fault" not in printer.health() and not fault_file.exists()


def _restart_forgetting_jobs(bench: CupsBench) -> None:
    """cupsd crashes and comes back without its job history (it had not saved it)."""
    _crash(bench)
    for sub in ("spool", "cache"):
        for path in (bench.base / sub).glob("*"):
            if path.is_file():
                path.unlink()
    bench.restart()


def test_job_id_unknown_after_restart(cups_bench: CupsBench, caplog: pytest.LogCaptureFixture) -> None:
    """GIVEN cupsd crashes and restarts while the driver follows the job WHEN it asks for the job
    THEN the job is unknown (or its number now belongs to another job): printer_offline, cupsd_gone."""
    cups_bench.connection().disablePrinter(CAPTURE_QUEUE)  # the job waits, so it cannot finish first
    printer, _ = _recording(cups_bench, CAPTURE_QUEUE,
                            {"getJobAttributes": lambda n: n == 2 and _restart_forgetting_jobs(cups_bench)})
    printer.job_timeout = 30
    with caplog.at_level(logging.WARNING, logger="kiosk.printing"):
        result = printer.print_pdf(_copy())
    assert (result.ok, result.reason) == (False, "printer_offline")
    assert [r for r in caplog.records if getattr(r, "event", "") == "cupsd_gone"]


def test_reused_job_number_is_not_our_job(cups_bench: CupsBench) -> None:
    """GIVEN cupsd restarts and hands our job number to another job WHEN that job completes THEN
    the kiosk does not take it for ours."""
    cups_bench.connection().disablePrinter(CAPTURE_QUEUE)

    def restart_and_reuse(n: int) -> None:
        if n != 2:
            return
        _restart_forgetting_jobs(cups_bench)
        cups_bench.run("lp", "-d", CAPTURE_QUEUE, "-t", "other-job",
                       str(cups_bench.base / "etc" / "cupsd.conf"))  # takes the freed job number

    printer, _ = _recording(cups_bench, CAPTURE_QUEUE, {"getJobAttributes": restart_and_reuse})
    printer.job_timeout = 30
    result = printer.print_pdf(_copy())
    assert (result.ok, result.reason) == (False, "printer_offline")


def test_journey_never_says_printed_when_cupsd_crashes(cups_bench: CupsBench) -> None:
    """The citizen is told the printer is offline, and the record says the copy did not print."""
    h = _harness(cups_bench)
    calls: list = []
    h.printer = CupsPrinter(CAPTURE_QUEUE, server=cups_bench.socket, poll_interval=0.05, stall_grace=0.5,
                            connect=lambda: RecordingConnection(cups_bench.connection(), calls,
                                                                {"startDocument": lambda n: _crash(cups_bench)}))
    h.services.printer = h.printer
    h.journey.choose_purpose("purpose_school")
    assert (h.journey.screen, h.journey.session.message) == (Screen.PRINT_FAILED, "printer_offline")
    assert [(r["ok"], r["reason"]) for r in _print_rows(h)] == [(False, "printer_offline")]
    assert h.journey.session.receipt != "printed"


def test_harness_reports_a_crash(cups_bench_session: CupsBench) -> None:
    """The harness names a dead cupsd for what it is (signal and test), not 'unknown destination'."""
    cups_bench_session.reset()
    proc = cups_bench_session._proc
    assert proc is not None
    os.kill(proc.pid, signal.SIGSEGV)
    proc.wait(10)
    with pytest.raises(pytest.fail.Exception, match=r"cupsd crashed \(signal 11\) during test_x"):
        cups_bench_session.check_alive("test_x")
    cups_bench_session.restart()
    assert cups_bench_session.death() is None
    assert _printer(cups_bench_session, PDF_QUEUE).print_pdf(_copy()).ok  # queues are back

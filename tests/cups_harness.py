"""A private, real cupsd for the print tests, started and stopped by the tests themselves.

`CupsBench` runs `cupsd -f` with its own configuration, spool and state in a
temporary directory, listening only on its own Unix socket, so it neither needs
nor disturbs a system CUPS. It installs the project's capture backend
(installer/cups/kiosk-capture, root-owned, mode 0700) and sets up two queues:

- ``KIOSK_PDF``: a cups-pdf queue (the PDF lands in ``pdf_dir``);
- ``KIOSK_CAPTURE``: a raw queue on the capture backend, which saves each job
  byte-for-byte in ``capture_dir`` and fails on request (``set_fault``).

Use the fixtures in a test module: ``cups_bench_session = cups_harness.cups_bench_session`` and
``cups_bench = cups_harness.cups_bench``.
Needs root (as CI does: installer/test.sh runs as root); fails with a plain message otherwise.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BACKEND_SOURCE = ROOT / "installer" / "cups" / "kiosk-capture"
BACKEND_DIR = Path("/usr/lib/cups/backend")
PDF_QUEUE = "KIOSK_PDF"
CAPTURE_QUEUE = "KIOSK_CAPTURE"
CUPS_PDF_PPD = "/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd"
CUPS_PDF_QUEUE_CONF = Path(f"/etc/cups/cups-pdf-{PDF_QUEUE}.conf")

_CUPSD_CONF = """\
Listen {sock}
LogLevel warn
Browsing No
WebInterface No
DefaultAuthType None
ErrorPolicy abort-job
PreserveJobHistory Yes
PreserveJobFiles No
MaxJobs 500
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order deny,allow
  </Limit>
</Policy>
"""

_FILES_CONF = """\
ServerRoot {base}/etc
RequestRoot {base}/spool
TempDir {base}/spool/tmp
StateDir {base}/state
CacheDir {base}/cache
AccessLog {base}/log/access_log
ErrorLog {base}/log/error_log
PageLog {base}/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
User lp
Group lp
SystemGroup root
FileDevice No
Sandboxing Relaxed
"""

_CUPS_PDF_CONF = """\
Out {out}
AnonDirName {out}
Label 0
Grp root
"""


class CupsError(RuntimeError):
    pass


class CupsBench:
    """One private cupsd with the PDF and capture queues."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.socket = str(base / "cups.sock")
        self.capture_dir = base / "capture"
        self.pdf_dir = base / "pdf"
        self._proc: subprocess.Popen | None = None

    # ------------------------------------------------------------ life cycle

    def start(self) -> None:
        _require_root_tools()
        _install_backend()
        b = self.base
        for sub in ("etc", "spool/tmp", "state", "cache", "log", "capture", "pdf"):
            (b / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(b, 0o755)  # filters run as lp and must reach the spool
        os.chmod(self.pdf_dir, 0o777)
        (b / "etc" / "cupsd.conf").write_text(_CUPSD_CONF.format(sock=self.socket))
        (b / "etc" / "cups-files.conf").write_text(_FILES_CONF.format(base=b))
        # For device URI cups-pdf:/NAME, cups-pdf reads /etc/cups/cups-pdf-NAME.conf (a fixed
        # path): output goes to pdf_dir. close() removes the file again.
        CUPS_PDF_QUEUE_CONF.write_text(_CUPS_PDF_CONF.format(out=self.pdf_dir))
        (b / "etc" / "ppd").mkdir(exist_ok=True)
        self._proc = subprocess.Popen(
            ["cupsd", "-f", "-c", str(b / "etc" / "cupsd.conf"), "-s", str(b / "etc" / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        self._wait_ready()
        self._add_queues()

    def _add_queues(self) -> None:
        """Create (or refresh) both queues: idempotent, and needed again after a crash, since a
        crashed cupsd comes back without the queues it had not saved."""
        self.lpadmin("-p", CAPTURE_QUEUE, "-E", "-v", f"kiosk-capture:{self.capture_dir}", "-m", "raw",
                     "-o", "printer-error-policy=abort-job")
        self.lpadmin("-p", PDF_QUEUE, "-E", "-v", f"cups-pdf:/{PDF_QUEUE}", "-P", CUPS_PDF_PPD,
                     "-o", "printer-error-policy=abort-job")

    def _wait_ready(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                log = self.error_log()
                raise CupsError(f"cupsd exited with {self._proc.returncode}: {err.strip()} {log}")
            if Path(self.socket).exists():
                try:
                    self.connection().getPrinters()
                    return
                except RuntimeError:  # pycups: not accepting connections yet
                    pass
            time.sleep(0.05)
        raise CupsError("cupsd did not answer on its socket within 15 s: " + self.error_log())

    def stop(self) -> None:
        """Stop cupsd (and its backends) and wait for it."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def close(self) -> None:
        """Stop cupsd and remove everything the bench created (the backend stays installed)."""
        self.stop()
        CUPS_PDF_QUEUE_CONF.unlink(missing_ok=True)
        shutil.rmtree(self.base, ignore_errors=True)

    def restart(self) -> None:
        self.stop()
        self._proc = subprocess.Popen(
            ["cupsd", "-f", "-c", str(self.base / "etc" / "cupsd.conf"),
             "-s", str(self.base / "etc" / "cups-files.conf")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        )
        self._wait_ready()
        self._add_queues()

    def death(self) -> str | None:
        """How cupsd ended if it died on its own ("signal 11", "exit code 1"), else None."""
        proc = self._proc
        if proc is None or proc.poll() is None:
            return None
        code = proc.returncode
        return f"signal {-code}" if code < 0 else f"exit code {code}"

    def check_alive(self, when: str) -> None:
        """Fail plainly when cupsd died, instead of a later 'unknown destination'."""
        death = self.death()
        if death is not None:
            tail = self.error_log()[-600:]
            pytest.fail(f"cupsd crashed ({death}) during {when}; its error log ends:\n{tail}", pytrace=False)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # ------------------------------------------------------------ helpers

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        env = {**os.environ, "CUPS_SERVER": self.socket}
        done = subprocess.run(list(args), capture_output=True, text=True, timeout=30, env=env)
        if check and done.returncode != 0:
            raise CupsError(f"{args[0]} failed: {done.stderr.strip()}")
        return done

    def lpadmin(self, *args: str) -> None:
        self.run("lpadmin", *args)

    def error_log(self) -> str:
        path = self.base / "log" / "error_log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""

    def set_fault(self, fault: str | None) -> None:
        """Make the capture backend fail (see installer/cups/kiosk-capture) or work again."""
        control = self.capture_dir / "fault"
        if fault:
            control.write_text(fault)
        else:
            control.unlink(missing_ok=True)

    def reset(self) -> None:
        """Healthy queues, no jobs, no captured files (between tests)."""
        self.set_fault(None)
        if not self.running:
            self.restart()
        for queue in (CAPTURE_QUEUE, PDF_QUEUE):
            self.run("cancel", "-a", "-x", queue)
            self.run("cupsenable", queue)
            self.run("cupsaccept", queue)
        self._wait_no_jobs()
        if self._capture_reasons() != ["none"]:
            # Reasons a failing backend set stay until the next job: print one to clear them.
            self.run("lp", "-d", CAPTURE_QUEUE, "-t", "probe", str(self.capture_dir.parent / "etc" / "cupsd.conf"))
            self._wait_no_jobs()
        for path in self.captured() + sorted(self.pdf_dir.glob("*")):
            path.unlink(missing_ok=True)

    def _wait_no_jobs(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while self.run("lpstat", "-o", check=False).stdout.strip() and time.monotonic() < deadline:
            time.sleep(0.05)

    def _capture_reasons(self) -> list[str]:
        import cups

        attrs = cups.Connection(host=self.socket).getPrinterAttributes(
            CAPTURE_QUEUE, requested_attributes=["printer-state-reasons"])
        return list(attrs.get("printer-state-reasons", []))

    def connection(self) -> object:
        import cups

        return cups.Connection(host=self.socket)

    def captured(self) -> list[Path]:
        return sorted(self.capture_dir.glob("job-*.bin"))

    def wait_captured(self, count: int = 1, timeout: float = 20.0) -> list[Path]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            files = self.captured()
            if len(files) >= count:
                return files
            time.sleep(0.05)
        raise CupsError(f"expected {count} captured job(s), found {len(self.captured())}")


def _require_root_tools() -> None:
    if os.geteuid() != 0:
        pytest.fail("the CUPS tests start their own cupsd and install a backend: run them as root "
                    "(CI does, through installer/test.sh)", pytrace=False)
    missing = [tool for tool in ("cupsd", "lpadmin", "lpstat", "cancel", "cupsenable", "cupsaccept")
               if shutil.which(tool) is None]
    if missing or not Path(CUPS_PDF_PPD).exists():
        pytest.fail(f"CUPS is not installed ({', '.join(missing) or 'cups-pdf PPD'} missing): install the "
                    "packages in installer/apt-packages.txt", pytrace=False)


def _install_backend() -> None:
    """Install (or refresh) the capture backend: CUPS runs 0700 root-owned backends as root."""
    target = BACKEND_DIR / "kiosk-capture"
    data = BACKEND_SOURCE.read_bytes()
    if target.exists() and target.read_bytes() == data and (target.stat().st_mode & 0o777) == 0o700:
        return
    tmp = BACKEND_DIR / ".kiosk-capture.tmp"
    tmp.write_bytes(data)
    os.chown(tmp, 0, 0)
    os.chmod(tmp, 0o700)
    os.replace(tmp, target)


@pytest.fixture(scope="session")
def cups_bench_session() -> Iterator[CupsBench]:
    base = Path(tempfile.mkdtemp(prefix="kiosk-cups-"))
    bench = CupsBench(base)
    try:
        bench.start()
    except CupsError as exc:
        bench.close()
        pytest.fail(f"could not start the test cupsd: {exc}", pytrace=False)
    yield bench
    bench.close()


@pytest.fixture
def cups_bench(cups_bench_session: CupsBench, request: pytest.FixtureRequest) -> Iterator[CupsBench]:
    """The running test cupsd, reset to healthy empty queues before and after each test.

    A cupsd that dies during a test fails it as "cupsd crashed (signal N) during <test>" (tests
    that kill it on purpose call ``restart()`` or ``stop()`` first, which clears this)."""
    cups_bench_session.check_alive(f"the test before {request.node.name}")
    cups_bench_session.reset()
    yield cups_bench_session
    try:
        cups_bench_session.check_alive(request.node.name)
    finally:
        cups_bench_session.reset()

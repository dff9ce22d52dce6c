"""Start, restart and stop a real pcscd (with the vsmartcard vpcd virtual readers) for the tests.

Import the `pcscd` fixture into a test module: `from tests.pcscd_harness import pcscd  # noqa: F401`.
The harness starts `pcscd --foreground` itself, waits until `pcsc_scan -r` lists both virtual
readers, and stops it at the end of the session. On a Debian box booted with systemd, installing
pcscd enables its socket unit, which owns /run/pcscd: the harness stops those units for the
session and starts them again afterwards. A pcscd it started in an earlier, crashed run is
stopped first; any other pcscd makes the tests fail with a plain message instead of fighting
over the readers.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.pcsc_reader import PcscReader
from devices.vpcd_card import VirtualCard
from tests.reader_events import EventLog

PID_FILE = Path("/run/pcscd/pcscd.pid")
OUR_PID_FILE = Path(tempfile.gettempdir()) / "kiosk-tests-pcscd.pid"
READERS = ("Virtual PCD 00 00", "Virtual PCD 00 01")
SYSTEMD_UNITS = ("pcscd.socket", "pcscd.service")


class PcscdError(RuntimeError):
    pass


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _pid_from(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _is_pcscd(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() == "pcscd"
    except OSError:
        return False


VPCD_PORTS = (35963, 35964)  # hard-coded in vsmartcard-vpcd


def vpcd_port_holders(ports: tuple[int, ...] = VPCD_PORTS) -> str:
    """Which processes listen on the vpcd ports, as "pid 123 (pcscd)", or "" when they are free."""
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) in ports:
                inodes.add(fields[9])  # state 0A = LISTEN
    if not inodes:
        return ""
    owners: list[str] = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            links = {os.readlink(fd) for fd in (proc / "fd").iterdir()}
            comm = (proc / "comm").read_text().strip()
        except OSError:
            continue
        if any(f"socket:[{inode}]" in links for inode in inodes):
            owners.append(f"pid {proc.name} ({comm})")
    return ", ".join(owners) or "a process in another namespace or owned by another user"


class Pcscd:
    """One pcscd process that this harness owns."""

    def __init__(self, log_dir: Path) -> None:
        self.log_path = log_dir / "pcscd.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_after = 0.0  # seconds from spawn to both readers listed

    def start(self, timeout: float = 15.0) -> None:
        for tool in ("pcscd", "pcsc_scan"):
            if shutil.which(tool) is None:
                raise PcscdError(f"'{tool}' is not installed: install the packages in installer/apt-packages.txt "
                                 "(pcscd pcsc-tools vsmartcard-vpcd).")
        self._stop_stale()
        running = _pid_from(PID_FILE)
        if running and _alive(running) and _is_pcscd(running):
            raise PcscdError(f"another pcscd (pid {running}) is already running and owns the readers; stop it "
                             "(e.g. 'systemctl stop pcscd.socket pcscd') before running the tests.")
        holders = vpcd_port_holders()
        if holders:
            raise PcscdError(f"the vpcd ports {VPCD_PORTS} are already taken by {holders}: that process owns the "
                             "virtual readers; stop it (for a pcscd: 'systemctl stop pcscd.socket pcscd' or kill it) "
                             "before running the tests.")
        log = self.log_path.open("ab")
        self.started_at = time.perf_counter()
        self.process = subprocess.Popen(["pcscd", "--foreground"], stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        OUR_PID_FILE.write_text(str(self.process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise PcscdError(f"pcscd exited with code {self.process.returncode}; see {self.log_path}")
            if all(r in self.readers() for r in READERS):
                self.ready_after = time.perf_counter() - self.started_at
                return
            time.sleep(0.05)
        self.stop()
        raise PcscdError(f"pcscd did not list the virtual readers {READERS} within {timeout}s: is vsmartcard-vpcd "
                         f"installed (/etc/reader.conf.d/vpcd)? See {self.log_path}")

    def readers(self) -> list[str]:
        try:
            out = subprocess.run(["pcsc_scan", "-r"], capture_output=True, text=True, timeout=5)
        except subprocess.TimeoutExpired:
            return []
        if out.returncode != 0:
            return []
        return [line.split(": ", 1)[1] for line in out.stdout.splitlines() if ": " in line]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        OUR_PID_FILE.unlink(missing_ok=True)
        deadline = time.monotonic() + 5
        while PID_FILE.exists() and time.monotonic() < deadline:  # pcscd removes it on its way out
            time.sleep(0.02)

    def wait_until_empty(self, timeout: float = 5.0) -> None:
        """Wait until pcscd sees no card in either virtual reader (a pulled card takes ~100 ms)."""
        self._wait_cards(lambda present: not present, timeout)

    def wait_until_present(self, reader: str, timeout: float = 5.0) -> None:
        """Wait until pcscd sees a card in `reader` (an inserted card takes ~250 ms)."""
        self._wait_cards(lambda present: reader in present, timeout)

    def _wait_cards(self, done, timeout: float) -> None:  # noqa: ANN001
        from smartcard import scard as S

        hresult, context = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
        if hresult != S.SCARD_S_SUCCESS:
            return
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                hresult, states = S.SCardGetStatusChange(context, 0, [(r, S.SCARD_STATE_UNAWARE) for r in READERS])
                present = {s[0] for s in states if s[1] & S.SCARD_STATE_PRESENT}
                if hresult == S.SCARD_S_SUCCESS and done(present):
                    return
                time.sleep(0.02)
        finally:
            S.SCardReleaseContext(context)

    def restart(self) -> None:
        self.stop()
        self.start()

    @staticmethod
    def _stop_stale() -> None:
        pid = _pid_from(OUR_PID_FILE)
        if pid and _alive(pid) and _is_pcscd(pid):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        OUR_PID_FILE.unlink(missing_ok=True)


def _systemctl(*args: str) -> int:
    return subprocess.run(["systemctl", *args], capture_output=True, timeout=30).returncode


def pause_systemd_pcscd() -> list[str]:
    """Stop the system's pcscd units when systemd runs them; returns the ones to start again."""
    if shutil.which("systemctl") is None or not Path("/run/systemd/system").is_dir():
        return []
    active = [unit for unit in SYSTEMD_UNITS if _systemctl("is-active", "--quiet", unit) == 0]
    if active:
        _systemctl("stop", *active)
    return active


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    paused = pause_systemd_pcscd()
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd"))
    try:
        try:
            daemon.start()
        except PcscdError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield daemon
        daemon.stop()
    finally:
        if paused:  # give the machine its own pcscd back
            _systemctl("start", *paused)


@pytest.fixture
def reader(pcscd: Pcscd) -> Iterator[tuple[PcscReader, EventLog]]:
    """The PC/SC driver started against the test pcscd, with its events collected."""
    from kiosk.interfaces import ReaderEventKind

    r = PcscReader(poll_interval=0.1, reconnect_interval=0.1)
    events = EventLog()
    r.start(events)
    events.wait_for(ReaderEventKind.READER_CONNECTED)
    yield r, events
    r.stop()


@pytest.fixture
def cards(pcscd: Pcscd) -> Iterator[list[VirtualCard]]:
    """Virtual cards a test places; each is removed afterwards and the readers seen empty."""
    placed: list[VirtualCard] = []
    yield placed
    for card in placed:
        card.remove()
    pcscd.wait_until_empty()

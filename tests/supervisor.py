"""A small stand-in for systemd's service manager, for tests and the restart benchmark.

It does for one command what systemd does for a ``Type=notify`` unit with ``NotifyAccess=main``,
``WatchdogSec=`` and ``Restart=always`` (systemd is not PID 1 on the test machines):

- binds a notify socket (a path, or an abstract '@' name) and starts the command with
  ``NOTIFY_SOCKET``, ``WATCHDOG_USEC`` and ``WATCHDOG_PID`` (its own pid) set;
- reads the datagrams with the sender's credentials (SO_PASSCRED) and keeps only those of the
  main process: READY=1, WATCHDOG=1, STATUS=..., STOPPING=1;
- when no WATCHDOG=1 came within the watchdog interval (from the start, then from the last one),
  sends SIGABRT (systemd's WatchdogSignal), and SIGKILL after ``abort_seconds`` (a stopped
  process never handles the SIGABRT);
- starts the command again ``restart_seconds`` after it ended, whatever the reason.

Every happening is kept in ``events`` (monotonic time, kind, pid, detail) for the tests to read.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Event:
    at: float  # time.monotonic()
    kind: str  # start | ready | ping | status | stopping | watchdog | exit | ignored
    pid: int
    detail: str = ""


class Supervisor:
    """Runs ``argv`` under a notify socket with a watchdog, restarting it when it ends."""

    def __init__(self, argv: Sequence[str], *, env: dict[str, str] | None = None, watchdog_seconds: float = 5.0,
                 restart_seconds: float = 0.1, abort_seconds: float = 2.0, abstract: bool = False,
                 cwd: str | None = None, log_path: Path | None = None) -> None:
        self.argv = list(argv)
        self.env = dict(os.environ if env is None else env)
        self.watchdog_seconds = watchdog_seconds
        self.restart_seconds = restart_seconds
        self.abort_seconds = abort_seconds
        self.cwd = cwd
        self.log_path = log_path
        self.events: list[Event] = []
        self.proc: subprocess.Popen | None = None
        self._dir = tempfile.mkdtemp(prefix="kn-")
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        if abstract:
            name = f"kiosk-notify-{os.getpid()}-{id(self):x}"
            self._sock.bind("\0" + name)
            self.notify_socket = "@" + name
        else:
            self.notify_socket = os.path.join(self._dir, "notify")
            self._sock.bind(self.notify_socket)
        self._sock.settimeout(0.05)
        self._cond = threading.Condition()
        self._halt = threading.Event()
        self._last_ping = 0.0
        self._thread = threading.Thread(target=self._loop, name="supervisor", daemon=True)

    # ------------------------------------------------------------------ control

    def start(self) -> Supervisor:
        self._spawn()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop supervising and end the process (SIGTERM, then SIGKILL)."""
        self._halt.set()
        self._thread.join(10)
        proc = self.proc
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._sock.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Supervisor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        return self.proc.pid if self.proc is not None else 0

    def wait_for(self, match: Callable[[Event], bool], timeout: float, after: float = 0.0) -> Event:
        """The first event (at or after ``after``) that matches; TimeoutError with the events so far."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if event.at >= after and match(event):
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no matching event in {timeout:g} s; events: {self.summary()}")
                self._cond.wait(min(left, 0.2))

    def wait_ready(self, timeout: float = 60.0, *, after: float = 0.0, pid: int | None = None) -> Event:
        return self.wait_for(lambda e: e.kind == "ready" and (pid is None or e.pid == pid), timeout, after)

    def summary(self) -> str:
        return ", ".join(f"{e.kind}({e.pid}{':' + e.detail if e.detail else ''})"
                         for e in self.events if e.kind != "ping")[-2000:]

    # ------------------------------------------------------------------ the manager

    def _record(self, kind: str, pid: int, detail: str = "") -> None:
        with self._cond:
            self.events.append(Event(time.monotonic(), kind, pid, detail))
            self._cond.notify_all()

    def _spawn(self) -> None:
        env = dict(self.env, NOTIFY_SOCKET=self.notify_socket,
                   WATCHDOG_USEC=str(int(self.watchdog_seconds * 1_000_000)))
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        # WATCHDOG_PID names the main process, as systemd does: the shell's pid, which exec keeps.
        self.proc = subprocess.Popen(["/bin/sh", "-c", 'WATCHDOG_PID=$$ exec "$@"', "sh", *self.argv], env=env,
                                     cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        if out is not subprocess.DEVNULL:
            out.close()
        self._last_ping = time.monotonic()  # the watchdog runs from the start
        self._record("start", self.proc.pid)

    def _loop(self) -> None:
        while not self._halt.is_set():
            self._receive()
            proc = self.proc
            if proc is None:
                continue
            code = proc.poll()
            if code is not None:
                self._record("exit", proc.pid, str(code))
                if self._halt.wait(self.restart_seconds):
                    return
                self._spawn()
            elif time.monotonic() - self._last_ping > self.watchdog_seconds:
                self._record("watchdog", proc.pid, f"no WATCHDOG=1 for {self.watchdog_seconds:g} s")
                self._abort(proc)

    def _abort(self, proc: subprocess.Popen) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGABRT)
        try:
            proc.wait(self.abort_seconds)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)  # the whole process group, as systemd's cgroup kill
            proc.wait()

    def _receive(self) -> None:
        try:
            data, ancillary, _flags, _addr = self._sock.recvmsg(4096, socket.CMSG_SPACE(struct.calcsize("3i")))
        except (TimeoutError, BlockingIOError):
            return
        except OSError:
            return
        sender = 0
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                sender = struct.unpack("3i", payload[:12])[0]
        if self.proc is None or sender != self.proc.pid:
            self._record("ignored", sender, data[:60].decode("utf-8", "replace"))  # NotifyAccess=main
            return
        fields = dict(line.partition("=")[::2] for line in data.decode("utf-8", "replace").split("\n"))
        if fields.get("WATCHDOG") == "1":
            self._last_ping = time.monotonic()
            self._record("ping", sender)
        if fields.get("READY") == "1":
            self._record("ready", sender, fields.get("STATUS", ""))
        elif "STATUS" in fields:
            self._record("status", sender, fields["STATUS"])
        if fields.get("STOPPING") == "1":
            self._record("stopping", sender)

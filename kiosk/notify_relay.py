"""Relay the kiosk app's service notifications through the unit's main process.

kiosk.service opens a logind session (PAMName=) so that cage gets the seat, and pam_systemd
moves the session's processes into their own session scope. systemd credits a notification
from a process that is not the unit's main process to the unit of that process's cgroup: the
app's READY=1 and WATCHDOG=1 (the app is cage's child) would reach the session scope, never
kiosk.service, and the unit would stay "activating" until its start timeout.

So the unit's main process is this relay:

    python -m kiosk.notify_relay -- /usr/bin/cage -d -- /opt/kiosk/venv/bin/kiosk run

It binds a socket of its own (in a fresh 0700 folder), starts the command in a process group of
its own with NOTIFY_SOCKET pointing there, and sends on, from its own pid (NotifyAccess=main),
the fields a service may send about itself. It ends the whole group when it is told to stop (the
app first, then cage) or when the watchdog fires (a frozen, even SIGSTOPped app included), and
exits with the command's status when the command ends (cage's: 0 whatever the app's, with cage
0.1.4). Standard library only.
"""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from kiosk.notify import socket_address

# What the app may say about itself; MAINPID=, FDSTORE= and the like would speak for the relay.
FORWARDED = ("READY=", "WATCHDOG=", "STATUS=", "STOPPING=", "RELOADING=", "ERRNO=", "EXTEND_TIMEOUT_USEC=")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGABRT)
GRACE_SECONDS = 5.0
CLIENT_GONE_SECONDS = 2.0  # how long cage may take to end after its client did


def filter_message(data: bytes) -> bytes:
    """The fields of one datagram the relay sends on (possibly none), in their order."""
    lines = data.decode("utf-8", "replace").split("\n")
    kept = [line for line in lines if line.startswith(FORWARDED) and len(line) <= 4096]
    return "\n".join(kept).encode("utf-8")


def child_environment(environ: Mapping[str, str], socket_path: str) -> dict[str, str]:
    """The command's environment: the relay's socket, and the watchdog interval meant for it."""
    env = dict(environ)
    env["NOTIFY_SOCKET"] = socket_path
    # systemd's WATCHDOG_PID names the relay; the app, a grandchild, must not take it as another's.
    env.pop("WATCHDOG_PID", None)
    return env


class Relay:
    """One relay: the command's process group and the two sockets."""

    def __init__(self, command: Sequence[str], environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.command = list(command)
        self.upstream = socket_address(environ.get("NOTIFY_SOCKET", ""))
        self._folder = tempfile.mkdtemp(prefix="kiosk-notify-")  # 0700: only this user's processes
        self.path = str(Path(self._folder) / "notify")
        self._in = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._in.bind(self.path)
        self._out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        self._env = child_environment(environ, self.path)
        self._stop_signal: int | None = None
        self.forwarded = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._stop_signal = signum

    def send_up(self, message: bytes) -> None:
        """Send one filtered datagram to the service manager; a lost one is not fatal."""
        if not message or self.upstream is None:
            return
        try:
            self._out.sendto(message, self.upstream)
            self.forwarded += 1
        except OSError:
            pass

    def run(self) -> int:
        """Start the command, relay until it ends or a stop signal comes; the command's status."""
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._on_signal)
        try:
            self.proc = subprocess.Popen(self.command, env=self._env, start_new_session=True)
        except OSError as exc:
            print(f"notify-relay: cannot start {self.command[0]}: {exc.strerror}", file=sys.stderr)
            self.close()
            return 127
        selector = selectors.DefaultSelector()
        selector.register(self._in, selectors.EVENT_READ)
        try:
            while self._stop_signal is None:
                for _key, _mask in selector.select(timeout=0.2):
                    self._drain()
                status = self.proc.poll()
                if status is not None:
                    self._drain()
                    self._kill_rest()
                    return status if status >= 0 else 128 - status
            self.send_up(b"STOPPING=1")
            return self._end_group(self._stop_signal)
        finally:
            selector.close()
            self.close()

    def _drain(self) -> None:
        while True:
            try:
                data = self._in.recv(8192, socket.MSG_DONTWAIT)
            except OSError:  # nothing more waiting (BlockingIOError) or the socket is gone
                return
            self.send_up(filter_message(data))

    def _end_group(self, signum: int) -> int:
        """Stop the command's whole group: the signal (woken, if it was stopped), then SIGKILL.

        A stop asked for (SIGTERM, SIGINT, SIGHUP) goes to the app first, and the command (cage)
        only once the app has ended or GRACE_SECONDS passed: cage 0.1.4 aborts on SIGTERM (an
        assertion in wl_display_terminate), which took the app's display, and then the app, before
        it had handled its own SIGTERM, so a `systemctl stop` or `restart` was counted as a crash
        (kiosk/crash_loop.py) and the session it was in was never ended. cage exits by itself when
        its client has. The watchdog's SIGABRT (a frozen app) ends the whole group at once."""
        assert self.proc is not None
        group = self.proc.pid
        forwarded = signal.SIGTERM if signum == signal.SIGABRT else signum
        if signum != signal.SIGABRT and self._stop_app_first(group, forwarded):
            deadline = time.monotonic() + CLIENT_GONE_SECONDS  # cage ends by itself once its client has
            while self.proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        for sig in (forwarded, signal.SIGCONT):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
        deadline = time.monotonic() + GRACE_SECONDS
        while self.proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self._kill_rest()
        self.proc.wait()
        # A stop asked for is a clean end; the watchdog's SIGABRT is not.
        return 128 + signum if signum == signal.SIGABRT else 0

    def _stop_app_first(self, group: int, signum: int) -> bool:
        """Send signum to the group's processes but the command itself; wait (GRACE_SECONDS at most)
        until none of them is left. False when there were none (the command is the app)."""
        app = [pid for pid in group_members(group) if pid != group]
        for pid in app:
            for sig in (signum, signal.SIGCONT):
                try:
                    os.kill(pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
        deadline = time.monotonic() + GRACE_SECONDS
        while app and time.monotonic() < deadline and any(pid != group for pid in group_members(group)):
            time.sleep(0.05)
        return bool(app)

    def _kill_rest(self) -> None:
        """SIGKILL whatever is left of the command's group (the app, when cage ended first)."""
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def close(self) -> None:
        self._in.close()
        self._out.close()
        try:
            os.unlink(self.path)
            os.rmdir(self._folder)
        except OSError:
            pass


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group pgid that this user can see, from /proc."""
    members = []
    try:
        entries = os.listdir("/proc")
    except OSError:
        return members
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                data = f.read()
        except OSError:  # gone meanwhile, or not ours
            continue
        fields = data[data.rfind(b")") + 2:].split()  # after "pid (comm) ": state ppid pgrp ...
        if len(fields) > 2 and fields[0] != b"Z" and fields[2] == str(pgid).encode():
            members.append(int(name))
    return members


def main(argv: list[str] | None = None) -> int:
    """`python -m kiosk.notify_relay -- COMMAND [ARGS...]`."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--"]:
        args = args[1:]
    if not args:
        print("usage: python -m kiosk.notify_relay -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    return Relay(args).run()


if __name__ == "__main__":
    sys.exit(main())

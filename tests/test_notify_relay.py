"""The notify relay (kiosk.notify_relay): the app's READY/WATCHDOG reach the service manager from
the unit's main process, and a stop or the watchdog ends the app's whole group, frozen or not.

The "service manager" here is a datagram socket the test binds with SO_PASSCRED, so each message
arrives with its sender's pid, as systemd sees it."""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.notify_relay import FORWARDED, child_environment, filter_message

CHILD = r"""
import os, socket, sys, time
assert "WATCHDOG_PID" not in os.environ, "the relay must drop WATCHDOG_PID"
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"READY=1\nMAINPID=1\nSTATUS=attract", os.environ["NOTIFY_SOCKET"])
s.sendto(b"WATCHDOG=1", os.environ["NOTIFY_SOCKET"])
s.sendto(b"FDSTORE=1", os.environ["NOTIFY_SOCKET"])
open(sys.argv[1], "w").write(str(os.getpid()))
code = int(sys.argv[2])
if code >= 0:
    sys.exit(code)
time.sleep(60)
"""


class Manager:
    """A stand-in for systemd's notify socket: messages with their sender's pid."""

    def __init__(self, folder: Path) -> None:
        self.path = str(folder / "notify")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.bind(self.path)
        self.sock.settimeout(10)

    def receive(self) -> tuple[int, str]:
        data, ancillary, _flags, _addr = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
        pid = next(struct.unpack("3i", bytes(d[:12]))[0] for level, kind, d in ancillary
                   if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS)
        return pid, data.decode()


def _start(tmp_path: Path, manager: Manager, code: int) -> tuple[subprocess.Popen[bytes], Path]:
    pid_file = tmp_path / "child.pid"
    env = dict(os.environ, NOTIFY_SOCKET=manager.path, WATCHDOG_USEC="10000000", WATCHDOG_PID="1")
    relay = subprocess.Popen([sys.executable, "-m", "kiosk.notify_relay", "--", sys.executable, "-c",
                              CHILD, str(pid_file), str(code)], env=env)
    return relay, pid_file


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is gone for our purpose
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_messages_come_from_the_relay_and_only_what_the_app_may_say(tmp_path: Path) -> None:
    manager = Manager(tmp_path)
    relay, _pid_file = _start(tmp_path, manager, 0)
    got = [manager.receive(), manager.receive()]
    assert relay.wait(timeout=10) == 0
    assert [pid for pid, _ in got] == [relay.pid, relay.pid]
    assert [text for _, text in got] == ["READY=1\nSTATUS=attract", "WATCHDOG=1"]  # MAINPID, FDSTORE dropped


def test_the_commands_status_is_the_relays(tmp_path: Path) -> None:
    manager = Manager(tmp_path)
    relay, _ = _start(tmp_path, manager, 3)
    assert relay.wait(timeout=10) == 3


@pytest.mark.parametrize("signum, status", [(signal.SIGTERM, 0), (signal.SIGABRT, 128 + signal.SIGABRT)])
def test_a_stop_or_the_watchdog_ends_a_frozen_app(tmp_path: Path, signum: int, status: int) -> None:
    manager = Manager(tmp_path)
    relay, pid_file = _start(tmp_path, manager, -1)
    manager.receive()
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    child = int(pid_file.read_text())
    os.kill(child, signal.SIGSTOP)  # a frozen UI
    relay.send_signal(signum)
    assert relay.wait(timeout=15) == status
    deadline = time.monotonic() + 5
    while _alive(child):
        assert time.monotonic() < deadline, "the frozen app outlived the relay"
        time.sleep(0.05)


def test_a_command_that_cannot_start_is_said_plainly(tmp_path: Path) -> None:
    manager = Manager(tmp_path)
    out = subprocess.run([sys.executable, "-m", "kiosk.notify_relay", "--", str(tmp_path / "missing")],
                         env=dict(os.environ, NOTIFY_SOCKET=manager.path), capture_output=True, text=True,
                         timeout=10)
    assert out.returncode == 127
    assert "cannot start" in out.stderr and "Traceback" not in out.stderr


def test_no_command_is_a_usage_error() -> None:
    out = subprocess.run([sys.executable, "-m", "kiosk.notify_relay"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 2 and "usage" in out.stderr


def test_child_environment_points_at_the_relay() -> None:
    env = child_environment({"NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_PID": "7",
                             "WATCHDOG_USEC": "10000000"}, "/tmp/x/notify")
    assert env == {"NOTIFY_SOCKET": "/tmp/x/notify", "WATCHDOG_USEC": "10000000"}


@given(st.binary(max_size=600))
def test_filter_keeps_only_known_fields_of_any_datagram(data: bytes) -> None:
    out = filter_message(data).decode("utf-8")
    for line in out.split("\n") if out else []:
        assert line.startswith(FORWARDED)
    assert not any(line.startswith(("MAINPID=", "FDSTORE=")) for line in out.split("\n"))


COMPOSITOR = r"""
import os, signal, subprocess, sys
client = subprocess.Popen([sys.executable, "-c", sys.argv[1], *sys.argv[2:]])  # same process group
signal.signal(signal.SIGTERM, lambda *_: os._exit(134))  # dies at once, as cage 0.1.4 aborts on SIGTERM
sys.exit(client.wait() and 0)  # ends when its client has, as cage does
"""
CLIENT = r"""
import signal, sys, time
def stop(*_):
    time.sleep(0.3)  # closing takes a moment (the kiosk records its clean stop)
    open(sys.argv[1], "w").write("clean")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
open(sys.argv[2], "w").write("up")
while True:
    time.sleep(0.05)
"""


def test_a_stop_reaches_the_app_before_the_compositor(tmp_path: Path) -> None:
    """The stop goes to the app first and to the command (the compositor) once the app has ended, so
    the app stops cleanly even though the compositor dies at once on SIGTERM (cage 0.1.4 does)."""
    manager = Manager(tmp_path)
    done, up = tmp_path / "clean", tmp_path / "up"
    env = dict(os.environ, NOTIFY_SOCKET=manager.path)
    relay = subprocess.Popen([sys.executable, "-m", "kiosk.notify_relay", "--", sys.executable, "-c", COMPOSITOR,
                              CLIENT, str(done), str(up)], env=env)
    deadline = time.monotonic() + 10
    while not up.exists():
        assert time.monotonic() < deadline, "the client did not start"
        time.sleep(0.02)
    relay.send_signal(signal.SIGTERM)
    assert relay.wait(timeout=15) == 0
    assert done.read_text() == "clean"  # not killed half-way by the compositor's death

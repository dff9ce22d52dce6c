"""The notify protocol (kiosk/notify.py) against a notify socket the test binds (systemd is not PID 1 here),
the sync loop's pings, and the UI's pings from the Qt event loop (screens/watchdog.py)."""

from __future__ import annotations

import os
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.notify import NullNotifier, SocketNotifier, notifier_from_env, socket_address, watchdog_seconds


@pytest.fixture
def listener():
    """A datagram socket bound where $NOTIFY_SOCKET would point; yields (NOTIFY_SOCKET value, recv())."""
    folder = tempfile.mkdtemp(prefix="kn-")
    path = os.path.join(folder, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    yield path, lambda: sock.recv(4096).decode()
    sock.close()
    os.unlink(path)
    os.rmdir(folder)


def test_each_message_is_one_datagram_to_the_socket(listener) -> None:
    path, recv = listener
    n = notifier_from_env({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "4000000"}, pid=os.getpid())
    assert isinstance(n, SocketNotifier) and n.watchdog_seconds == 4.0
    n.ready("attract")
    assert recv() == "READY=1\nSTATUS=attract"
    n.ping()
    assert recv() == "WATCHDOG=1"
    n.status("line one\nREADY=1")  # a newline in a status must not smuggle in a second field
    assert recv() == "STATUS=line one READY=1"
    n.stopping()
    assert recv() == "STOPPING=1"


def test_abstract_socket_names_start_with_at() -> None:
    name = f"kiosk-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(5)
    try:
        n = notifier_from_env({"NOTIFY_SOCKET": "@" + name})
        n.ping()
        assert sock.recv(100) == b"WATCHDOG=1"
        assert n.watchdog_seconds is None  # no WATCHDOG_USEC: pings are harmless, nobody counts them
    finally:
        sock.close()


def test_without_a_manager_nothing_is_sent_and_nothing_fails() -> None:
    assert isinstance(notifier_from_env({}), NullNotifier)
    assert isinstance(notifier_from_env({"NOTIFY_SOCKET": "relative/path"}), NullNotifier)
    NullNotifier().ready("x")


def test_a_manager_that_went_away_never_stops_the_kiosk(tmp_path: Path, caplog) -> None:
    n = SocketNotifier(str(tmp_path / "gone"), watchdog=1.0)
    assert n.send("WATCHDOG=1") is False
    n.ping()
    n.ready()
    assert [r.getMessage() for r in caplog.records].count("service manager not reachable") == 1  # logged once


def test_watchdog_pid_names_the_one_process_that_pings() -> None:
    env = {"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "4242"}
    assert watchdog_seconds(env, 4242) == 10.0
    assert watchdog_seconds(env, 4243) is None  # a child that inherited the variables stays quiet
    assert watchdog_seconds({"WATCHDOG_USEC": "500000"}, 1) == 0.5
    assert watchdog_seconds(env, 99, parent=4242) == 10.0  # the UI, cage's child (the unit's main process)
    assert watchdog_seconds(env, 99, parent=98) is None  # the UI's own child (espeak): not for it


@given(usec=st.text(max_size=12), pid=st.text(max_size=8))
def test_garbage_in_the_environment_means_no_watchdog_never_a_crash(usec: str, pid: str) -> None:
    seconds = watchdog_seconds({"WATCHDOG_USEC": usec, "WATCHDOG_PID": pid}, 77)
    assert seconds is None or seconds > 0


@given(st.text(max_size=40))
def test_any_notify_socket_value_is_taken_or_ignored(value: str) -> None:
    address = socket_address(value)
    assert address is None or address.startswith(("/", "\0"))


class Recorder:
    def __init__(self, watchdog: float | None = None) -> None:
        self.watchdog_seconds = watchdog
        self.pings = 0
        self.messages: list[str] = []
        self.pinged = threading.Event()

    def ready(self, status: str = "") -> None:
        self.messages.append("ready:" + status)

    def ping(self) -> None:
        self.pings += 1
        self.pinged.set()

    def status(self, text: str) -> None:
        self.messages.append("status:" + text)

    def stopping(self) -> None:
        self.messages.append("stopping")


class StuckEngine:
    """An engine whose second step hangs until released (a request that never returns)."""

    class policy:  # noqa: N801
        poll_interval = 0.01

    def __init__(self) -> None:
        self.steps = 0
        self.stuck = threading.Event()
        self.release = threading.Event()

    def step(self) -> float:
        self.steps += 1
        if self.steps == 2:
            self.stuck.set()
            self.release.wait(30)
        return 0.0


class Box:
    def refresh(self) -> None:
        pass


def test_the_sync_loop_stops_pinging_while_a_step_is_stuck() -> None:
    """GIVEN the sync loop with a watchdog WHEN a step hangs THEN no ping is sent until it returns."""
    from sync.service import run_loop

    engine, notifier, stop = StuckEngine(), Recorder(watchdog=0.02), threading.Event()
    loop = threading.Thread(target=run_loop, args=(engine, Box(), stop, notifier))
    loop.start()
    assert engine.stuck.wait(10)
    during = notifier.pings
    assert during >= 1  # the loop pinged before the step
    for _ in range(5):  # the loop thread is blocked inside step(): nothing can ping
        assert not loop.join(0.02) and notifier.pings == during
    engine.release.set()
    notifier.pinged.clear()
    assert notifier.pinged.wait(10)  # pings resume with the loop
    stop.set()
    loop.join(10)


def test_the_sync_loop_pings_while_it_waits_between_steps() -> None:
    from sync.service import _wait_pinging

    notifier, stop = Recorder(watchdog=0.02), threading.Event()
    waiter = threading.Thread(target=_wait_pinging, args=(stop, 60.0, notifier))
    waiter.start()
    while notifier.pings < 3:
        assert notifier.pinged.wait(10)
        notifier.pinged.clear()
    stop.set()
    waiter.join(10)
    assert not waiter.is_alive()


def test_ui_pings_come_from_the_event_loop_and_stop_when_it_is_blocked(qtbot) -> None:
    """GIVEN the UI watchdog WHEN the event loop is blocked THEN no ping goes out; READY only after a paint."""
    import time

    from PySide6.QtQuick import QQuickWindow

    from screens.watchdog import UiWatchdog

    notifier = Recorder(watchdog=0.1)
    dog = UiWatchdog(notifier, lambda: "attract")
    assert dog.interval_ms == 50  # half the watchdog interval
    qtbot.waitUntil(lambda: notifier.pings >= 3)
    before = notifier.pings
    time.sleep(0.3)  # the UI thread is busy: six intervals pass without the loop running
    assert notifier.pings == before
    qtbot.waitUntil(lambda: notifier.pings > before)  # the loop runs again: pings resume
    window = QQuickWindow()
    dog.started(window, painted=False)
    assert notifier.messages == []  # no frame yet: not ready
    window.resize(200, 100)
    window.show()
    qtbot.waitUntil(lambda: "ready:attract" in notifier.messages)
    dog.screen_changed()
    dog.stop()
    assert notifier.messages[-2:] == ["status:attract", "stopping"]
    window.close()

"""The service manager's notify protocol (sd_notify), in the standard library only.

Under systemd with ``Type=notify`` a service tells the manager it is ready (``READY=1``),
alive (``WATCHDOG=1``, at least once per ``WatchdogSec``), what it is doing (``STATUS=...``)
and that it is stopping (``STOPPING=1``), each as one datagram to the unix socket named in
``$NOTIFY_SOCKET`` (a path, or an abstract socket written with a leading '@').
``$WATCHDOG_USEC`` gives the watchdog interval, and ``$WATCHDOG_PID``, when set, names the
one process it applies to (a child that inherited the variables must not ping for its parent).

No systemd library is needed, and none is imported: outside systemd (a developer's ``kiosk demo``)
``notifier_from_env`` returns a ``NullNotifier`` and every call does nothing. Sending never
raises: a manager that went away must not stop the kiosk. Qt-free; screens/watchdog.py pings from
the Qt event loop, sync/service.py from the engine's loop.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping
from typing import Protocol

log = logging.getLogger("kiosk.notify")


class ServiceNotifier(Protocol):
    """What a service tells its manager; all calls are cheap and never raise."""

    watchdog_seconds: float | None  # the manager's watchdog interval; None: no watchdog for this process

    def ready(self, status: str = "") -> None:
        """Start-up is complete (the attract screen painted, the engine loop running)."""

    def ping(self) -> None:
        """Still alive: send at least every watchdog_seconds (every half of it, to be safe)."""

    def status(self, text: str) -> None:
        """A one-line status shown by `systemctl status`."""

    def stopping(self) -> None:
        """A clean stop has begun."""


def watchdog_seconds(environ: Mapping[str, str], pid: int, parent: int | None = None) -> float | None:
    """The watchdog interval meant for process ``pid``, or None (unset, garbage, or another pid's).

    ``WATCHDOG_PID`` may also name ``parent`` (the UI as cage's one child with cage as a unit's main
    process); under kiosk.service the notify relay (kiosk/notify_relay.py) drops the variable,
    since it alone speaks to systemd. The UI's own children (whose parent is the UI) stay quiet."""
    usec = environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) <= 0:
        return None
    owner = environ.get("WATCHDOG_PID", "")
    if owner and (not owner.isdigit() or int(owner) not in (pid, parent)):
        return None
    return int(usec) / 1_000_000


def socket_address(value: str) -> str | None:
    """$NOTIFY_SOCKET as a sendto() address: a path, or '@name' for the abstract namespace ('\\0name')."""
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]
    if value.startswith("/"):
        return value
    return None  # empty, relative or another scheme (vsock:...): not for us


class NullNotifier:
    """No service manager listens: every call does nothing."""

    watchdog_seconds: float | None = None

    def ready(self, status: str = "") -> None:
        pass

    def ping(self) -> None:
        pass

    def status(self, text: str) -> None:
        pass

    def stopping(self) -> None:
        pass


class SocketNotifier:
    """Datagrams to the manager's notify socket."""

    def __init__(self, address: str, *, watchdog: float | None = None) -> None:
        self.address = address
        self.watchdog_seconds = watchdog
        self.sent = 0
        self._failed = False
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    def send(self, *fields: str) -> bool:
        """One datagram of newline-separated KEY=VALUE fields; False (logged once) when it cannot go."""
        message = "\n".join(fields).encode("utf-8", "replace")
        try:
            self._sock.sendto(message, self.address)
        except OSError as exc:
            if not self._failed:
                self._failed = True
                log.warning("service manager not reachable", extra={"event": "notify_error",
                                                                    "error": type(exc).__name__})
            return False
        if self._failed:
            self._failed = False
            log.info("service manager reachable again", extra={"event": "notify_recovered"})
        self.sent += 1
        return True

    def ready(self, status: str = "") -> None:
        self.send("READY=1", *([_status(status)] if status else []))

    def ping(self) -> None:
        self.send("WATCHDOG=1")

    def status(self, text: str) -> None:
        self.send(_status(text))

    def stopping(self) -> None:
        self.send("STOPPING=1")

    def close(self) -> None:
        self._sock.close()


def _status(text: str) -> str:
    return "STATUS=" + " ".join(text.split())[:200]  # one line: a newline would start a new field


def notifier_from_env(environ: Mapping[str, str] | None = None,
                      pid: int | None = None) -> SocketNotifier | NullNotifier:
    """The notifier systemd set up for this process through the environment, or a NullNotifier."""
    environ = os.environ if environ is None else environ
    address = socket_address(environ.get("NOTIFY_SOCKET", ""))
    if address is None:
        return NullNotifier()
    if pid is None:
        pid, parent = os.getpid(), os.getppid()
    else:
        parent = None
    return SocketNotifier(address, watchdog=watchdog_seconds(environ, pid, parent))

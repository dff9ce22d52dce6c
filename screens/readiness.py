"""ReadinessWatch: checks the printer and the platform on a worker while a citizen could start a service.

When the attract or the service screen shows, and every ``ui.readiness_seconds`` while one of them
is up, the printer driver's state (kiosk.journey_readiness.printer_problem: IPP state and reasons,
the CUPS driver's fault file) and the platform's health ping run on the "readiness" lane. The
printer's answer goes to the journey; the ping's goes to the header's online flag, which the
journey follows (JourneyViewModel.set_online). Parts not built yet (before the first frame) are
not built for this: they are checked on the next round.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from PySide6.QtCore import QObject, QTimer

from kiosk.deferred import built
from kiosk.journey import Screen
from kiosk.journey_readiness import printer_problem

log = logging.getLogger("kiosk.ui")

WATCHED = (Screen.ATTRACT, Screen.SERVICE_MENU)


def probe(services: Any, printer: Any, platform: Any) -> str | None:
    """The printer's problem ("" none, None not checked); pings the platform and reports it. Worker only."""
    problem = printer_problem(printer, services.public_url) if printer is not None else None
    if platform is not None:
        try:
            answered = bool(platform.ping())
        except Exception as exc:  # a client fault is an unreachable platform, never a crash
            log.warning("platform ping failed", extra={"event": "readiness_error", "error": type(exc).__name__})
            answered = False
        services.platform_seen(answered, time.time())
    return problem


class ReadinessWatch(QObject):
    """Runs the checks for a JourneyViewModel; one at a time, never on the UI thread."""

    def __init__(self, vm: Any, seconds: float) -> None:
        super().__init__(vm)
        self.vm = vm
        self.busy = False
        self.rounds = 0  # checks finished (tests wait on it)
        self._screen: Screen | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(int(seconds * 1000))
        self._timer.timeout.connect(self.check)
        self._timer.start()
        vm.viewChanged.connect(self._on_view)

    def _on_view(self) -> None:
        screen = self.vm.journey.screen
        if screen is not self._screen:
            self._screen = screen
            self.check()

    def check(self) -> None:
        """Start a check if a citizen could start a service now and none is running."""
        if self.busy or self.vm.journey.screen not in WATCHED:
            return
        services = self.vm.services
        printer, platform = built(services.printer), built(services.platform)
        if printer is None and platform is None:
            return  # nothing built yet: the back end is still warming
        self.busy = True
        self.vm.tasks.run("readiness", lambda: probe(services, printer, platform), self._done)

    def _done(self, problem: str | None) -> None:
        self.busy = False
        self.rounds += 1
        if problem is not None:
            self.vm.journey.set_readiness(printer=problem)

    def stop(self) -> None:
        self._timer.stop()

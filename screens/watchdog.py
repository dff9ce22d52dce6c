"""The touch UI's side of systemd's watchdog: pings from the Qt event loop itself.

A QTimer on the UI thread sends ``WATCHDOG=1`` every half watchdog interval, so the pings stop
when the event loop stops: a frozen UI (a slot that never returns, a stopped process), not only a
dead one, is killed and restarted by systemd. ``READY=1`` goes once the first screen (attract, or
out of service) has painted, with the screen as status; each later screen change updates the
status (screen names only: nothing personal). The protocol itself is kiosk/notify.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtQuick import QQuickWindow

from kiosk.notify import ServiceNotifier

log = logging.getLogger("kiosk.watchdog")


class UiWatchdog(QObject):
    """Pings the service manager from the event loop; READY after the first painted frame."""

    def __init__(self, notifier: ServiceNotifier, screen: Callable[[], str]) -> None:
        super().__init__()
        self.notifier = notifier
        self.screen = screen
        self.ready_sent = False
        self._window: QQuickWindow | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(notifier.ping)
        if notifier.watchdog_seconds is not None:
            self._timer.setInterval(max(50, int(notifier.watchdog_seconds * 1000 / 2)))
            self._timer.start()
            notifier.ping()

    @property
    def interval_ms(self) -> int | None:
        return self._timer.interval() if self._timer.isActive() else None

    def started(self, window: QQuickWindow, painted: bool, before_ready: Callable[[], None] = lambda: None) -> None:
        """The first frame was painted (or the fallback timer fired with none: wait for one)."""
        self._before_ready = before_ready
        if painted:
            self._ready()
        elif not self.ready_sent:
            self._window = window
            window.frameSwapped.connect(self._painted)

    def _painted(self) -> None:
        if self._window is not None:
            self._window.frameSwapped.disconnect(self._painted)
            self._window = None
        self._ready()

    def _ready(self) -> None:
        if self.ready_sent:
            return
        self.ready_sent = True
        self._before_ready()
        self.notifier.ready(self.screen())
        log.info("ready", extra={"event": "ui_ready", "screen": self.screen()})

    def screen_changed(self) -> None:
        if self.ready_sent:
            self.notifier.status(self.screen())

    def stop(self, *, stopping: bool = True) -> None:
        """The event loop ends: no more pings; STOPPING=1 for a clean stop."""
        self._timer.stop()
        if stopping:
            self.notifier.stopping()


def start_ui_watchdog(kiosk: object, config: object, notifier: ServiceNotifier | None, painted: bool) -> UiWatchdog:
    """After the first frame: wipe what a killed predecessor left of its session (revoking the grants
    it left open: kiosk/grant_ledger.py), start pinging, and send READY (and write the ready file)
    once the first screen has painted.

    Called by screens/app.py right after the first frame, so nothing here is on the start-up path;
    systemd's watchdog already runs from the start, and WatchdogSec is far longer than that.
    """
    from kiosk import restart_state
    from kiosk.notify import notifier_from_env

    state_dir = config.path("kiosk.state_dir")
    prints = config.path("printer.pdf_folder") if config["printer.driver"] == "pdf_folder" else None
    leftovers = restart_state.wipe_leftovers(state_dir, prints)
    vm = kiosk.vm
    if leftovers.any:  # the previous process died in a session: nothing of it is carried over
        log.warning("previous session wiped", extra={"event": "session_abandoned",
                                                     "partial_prints": leftovers.partial_prints})
        vm.audit("session_abandoned", partial_prints=leftovers.partial_prints)
    _revoke_leftover_grants(vm, config, state_dir)
    watchdog = UiWatchdog(notifier or notifier_from_env(), lambda: vm.journey.screen.value)
    vm.viewChanged.connect(watchdog.screen_changed)

    def write_ready() -> None:
        screen = vm.journey.screen.value
        vm.tasks.run("disk", lambda: restart_state.write_ready(state_dir, version=running_version(config),
                                                               screen=screen))
    watchdog.started(kiosk.window, painted, write_ready)
    return watchdog


def _revoke_leftover_grants(vm: object, config: object, state_dir: object) -> None:
    """From now on note each open grant on disk, and revoke (on the network lane) those a killed
    predecessor left open: through the signed client, or the outbox while the platform is away."""
    from kiosk.grant_ledger import GrantLedger, revoke_leftovers

    services = vm.services
    ledger = GrantLedger(state_dir, services.outbox, config["kiosk.id"])
    services.grants.ledger = ledger

    def audit(report: object) -> None:
        if report.any:
            vm.audit("grants_left_open_revoked", revoked=report.revoked, queued=report.queued,
                     refused=report.refused, kept=report.kept)
    vm.tasks.run("network", lambda: revoke_leftovers(ledger, services.platform), audit)


def running_version(config: object) -> str:
    """The running kiosk's version: the Debian package's when installed from it (kiosk/version.py)."""
    from kiosk.version import running_version as version

    return version()

"""The out-of-service screen on its own, for a kiosk whose app cannot start.

When `kiosk run` under a service manager meets a configuration it cannot run on, an app that
fails to import (a broken install), or a crash loop the app does not survive long enough to show
its own out-of-service screen, the hall would otherwise see a black screen on tty1, or flicker
while systemd restarts the app until its start limit. Instead ``run`` shows this screen, full
screen, in the three languages at once (nobody can switch languages here), answers the watchdog
from its event loop and stays up until it is stopped: a technician fixes the cause and restarts
the service; the journal says what is wrong (kiosk/start_guard.py prints it), and
``systemctl status`` shows the reason as the service status.

It needs only PySide6, the strings (kiosk/i18n.py), the theme's colours and the watchdog
(screens/watchdog.py, kiosk/notify.py): nothing the app's own start-up imports, so a broken
driver, printer or platform module cannot take it down too. Shown in the assisted (长辈模式)
sizes: it is read from a distance by anyone passing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow  # noqa: F401 (root objects come back as QQuickWindow)

# Why the kiosk is out of service -> the message key of the line under the title.
REASONS = {
    "config": "out_of_service_not_set_up",
    "start_failed": "out_of_service_start_failed",
    "crash_loop": "out_of_service_crash_loop",
}
STATUS = {  # the service status (systemctl status), in English for the technician
    "config": "out of service: the configuration is incomplete or wrong (see the journal)",
    "start_failed": "out of service: the app cannot start (see the journal)",
    "crash_loop": "out of service: the app crashed at every start (see the journal)",
}
QML = Path(__file__).parent / "qml" / "FallbackScreen.qml"


def texts(reason: str) -> list[dict[str, str]]:
    """Title, reason, what to do and the technician's hint, in each language (zh-CN first)."""
    from kiosk.i18n import LANGUAGES, table

    strings = table()
    key = REASONS.get(reason, REASONS["start_failed"])
    return [{"lang": lang, "title": strings[lang]["out_of_service_title"], "body": strings[lang][key],
             "detail": strings[lang]["out_of_service_detail"],
             "technician": strings[lang]["out_of_service_journal"]} for lang in LANGUAGES]


def build(reason: str, *, assisted: bool = True) -> tuple[QQmlApplicationEngine, Any]:
    """The screen's engine and window (a QGuiApplication must exist); not shown yet."""
    from screens.theme import ASSISTED, COLORS, STANDARD

    engine = QQmlApplicationEngine()
    ctx = engine.rootContext()
    ctx.setContextProperty("lines", texts(reason))
    ctx.setContextProperty("sizes", ASSISTED if assisted else STANDARD)
    ctx.setContextProperty("colors", COLORS)
    ctx.setContextProperty("appTitle", _app_title())
    engine.load(QUrl.fromLocalFile(str(QML)))
    if not engine.rootObjects():
        raise RuntimeError("the out-of-service screen failed to load")
    return engine, engine.rootObjects()[0]


def render(out: Path, reason: str = "start_failed") -> list[Path]:
    """The screen as PNG files, standard and assisted sizes (`kiosk screenshots`)."""
    app = QGuiApplication.instance() or QGuiApplication([])
    files = []
    for assisted in (False, True):
        engine, window = build(reason, assisted=assisted)
        window.show()
        for _ in range(20):
            app.processEvents()
        path = out / f"out_of_service_fallback-{'assisted' if assisted else 'standard'}.png"
        window.grabWindow().save(str(path))
        files.append(path)
        window.hide()
        window.deleteLater()
        engine.deleteLater()
        app.processEvents()
    return files


def _app_title() -> str:
    from kiosk.i18n import table

    return table()["zh-CN"]["app_title"]


def tell_the_fleet(config: Any, reason: str) -> bool:
    """Record the UI as out of service, with the reason, where the sync service reads the UI's state
    (the outbox's ``kiosk_state``, as screens/app.py writes it): the heartbeat and the exporter
    carry it, so the fleet's alerts fire (KioskCrashLoop, KioskOutOfService) and a technician
    is told. Best effort (this kiosk may be broken exactly there): False when it could not."""
    import logging

    key = REASONS.get(reason, REASONS["start_failed"])
    try:
        from sync.service import outbox_path
        from sync.store import ManagedOutbox

        box = ManagedOutbox(outbox_path(config), recover=False)
        try:
            box.set_meta("kiosk_state", {"in_session": False, "screen": "out_of_service",
                                         "devices": {"ui": {"state": key, "reasons": [key]}}})
        finally:
            box.close()
    except Exception as exc:
        logging.getLogger("kiosk.app").error("out-of-service state not recorded for the heartbeat", extra={
            "event": "fallback_state_error", "error": type(exc).__name__})
        return False
    return True


def run(reason: str, *, state_dir: Path | None = None, windowed: bool = False, notifier: Any = None,
        config: Any = None) -> int:
    """Show the screen until SIGTERM/SIGINT; READY=1 after its first frame, pings meanwhile; with a
    readable ``config``, the heartbeat says out of service (``tell_the_fleet``, off the UI thread).
    A clean stop forgets the crash-loop starts (kiosk/crash_loop.py), as the app's does."""
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    from kiosk.notify import notifier_from_env
    from screens.watchdog import UiWatchdog

    app = QGuiApplication.instance() or QGuiApplication([])
    app.setApplicationName("kiosk")
    notifier = notifier or notifier_from_env()
    notifier.status(STATUS.get(reason, STATUS["start_failed"]))
    engine, window = build(reason)
    watchdog = UiWatchdog(notifier, lambda: STATUS.get(reason, STATUS["start_failed"]))
    if windowed:
        window.show()
    else:
        window.showFullScreen()
    def first_frame(painted: bool) -> None:
        import threading

        watchdog.started(window, painted, lambda: threading.Thread(
            target=_ready_file, args=(state_dir,), name="fallback-ready", daemon=True).start())
        if config is not None:
            threading.Thread(target=tell_the_fleet, args=(config, reason), name="fallback-state",
                             daemon=True).start()
    _after_first_frame(window, first_frame)
    keep = _quit_on_signals(app)  # noqa: F841 (lives as long as the loop)
    code = app.exec()
    watchdog.stop()
    if state_dir is not None:
        from kiosk.crash_loop import record_clean_stop

        record_clean_stop(state_dir)
    window.hide()
    del engine
    return code


def _ready_file(state_dir: Path | None) -> None:
    """The ready file names this screen: `kiosk update`'s health check (kiosk/updates.py) sees at once
    that the new version came up out of service, not on its attract screen. Best effort."""
    if state_dir is None:
        return
    from kiosk import restart_state
    from kiosk.version import running_version

    try:
        restart_state.write_ready(state_dir, version=running_version(), screen="out_of_service")
    except OSError:
        pass


def _after_first_frame(window: Any, fn: Any) -> None:
    done = [False]

    def once(painted: bool) -> None:
        if not done[0]:
            done[0] = True
            fn(painted)
    window.frameSwapped.connect(lambda: once(True))
    QTimer.singleShot(1000, lambda: once(False))  # hidden (offscreen tests): wait for a frame in started()


def _quit_on_signals(app: QGuiApplication) -> QObject:
    """SIGTERM (systemctl stop) and SIGINT end the loop; a timer lets Python run the handlers."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    timer = QTimer()
    timer.start(200)
    timer.timeout.connect(lambda: None)
    return timer

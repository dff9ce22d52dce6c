"""Build and run the kiosk application: drivers chosen by config, QML front end.

`build_kiosk` wires everything without showing a window, so tests, the
screenshot tool and benchmarks use exactly what `kiosk demo` runs.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

# The Qt-free core before PySide6 (with the screens' own core modules): PySide's import hook reads
# the source of every module imported after PySide6, looking for a `from __feature__` switch.
import kiosk.journey_view  # noqa: F401
import kiosk.speech_plan  # noqa: F401
from devices.reader_factory import make_reader
from devices.speech import EspeakSpeaker
from kiosk.audit_log import AuditLog
from kiosk.audit_trail import AuditTrail
from kiosk.config import Config
from kiosk.crash_loop import RESTART_EXIT_CODE
from kiosk.interfaces import CardReader
from kiosk.journey import Timing
from kiosk.services import KioskServices
from kiosk.staff import StaffDirectory

# isort: split
from PySide6.QtCore import QCoreApplication, QRect, QThread, QTimer, QtMsgType, QUrl, qInstallMessageHandler
from PySide6.QtGui import QGuiApplication
from PySide6.QtQml import QQmlApplicationEngine
from PySide6.QtQuick import QQuickWindow

from screens.backend import Backend
from screens.camera_preview import PreviewFeed, install_preview
from screens.late_parts import LateParts
from screens.pdf_preview import PreviewImageProvider
from screens.view_model import JourneyViewModel

if TYPE_CHECKING:
    from kiosk.doctor import Parts
    from screens.demo_control import DemoControl
    from screens.maintenance import MaintenanceViewModel

log = logging.getLogger("kiosk.app")
QML_DIR = Path(__file__).parent / "qml"
DEMO_PUBLIC_URL = "https://zwfw.example.gov.cn"  # reserved example domain: says plainly it is not real
SYNC_STATUS_MS = 2_000  # how often the header's online flag is read from the outbox (the engine writes it)
WARM_FALLBACK_MS = 1_000  # build the back end by then even if no frame was painted (hidden window)


@dataclass
class Kiosk:
    """A wired terminal: engine, view-model and the drivers behind it.

    printer, face, outbox, platform, platform_server and receipts are ``kiosk.deferred.Deferred``
    stand-ins, built right after the first frame (see screens/backend.py); so are video help,
    maintenance and the staff desk (screens/late_parts.py).
    """

    engine: QQmlApplicationEngine
    vm: JourneyViewModel
    reader: CardReader
    backend: Backend
    demo: DemoControl | None
    timers: list[QTimer] = field(default_factory=list)
    parts: LateParts | None = None  # video help, maintenance, the staff desk
    watchdog: Any = None  # screens.watchdog.UiWatchdog, from the first frame on
    closed: bool = False
    qml_destroyed: bool = False
    stopping: bool = True  # closing ends the service (False: the process starts itself again)

    printer = property(lambda self: self.backend.printer)
    face = property(lambda self: self.backend.face)
    outbox = property(lambda self: self.backend.outbox)
    platform = property(lambda self: self.backend.platform)
    platform_server = property(lambda self: self.backend.server)
    receipts = property(lambda self: self.backend.receipts)
    sync_thread = property(lambda self: self.backend.sync_thread)

    @property
    def maint(self) -> MaintenanceViewModel:
        """Maintenance mode (screens/maintenance.py), built if it was not yet."""
        assert self.parts is not None
        return self.parts.ensure().maint

    @property
    def window(self) -> QQuickWindow:
        return self.engine.rootObjects()[0]

    def close(self) -> None:
        """Stop everything; the QML goes before the view-model its bindings read. Safe to call
        again: an explicit call, the app quitting and the interpreter exiting all end here."""
        if not self.closed:
            self.closed = True
            for timer in self.timers:
                timer.stop()
            if self.watchdog is not None:
                self.watchdog.stop(stopping=self.stopping)
            self.reader.stop()
            if self.parts is not None and self.parts.maint is not None:
                self.parts.maint.shutdown()
            self.vm.shutdown()
            for root in self.engine.rootObjects():
                root.hide()
            self.backend.close()
        self._destroy_qml()

    def _destroy_qml(self) -> None:
        """Delete the QML windows and engine, but never from inside a running event loop (as from
        aboutToQuit): a window-system event queued there reaches a window whose QML is gone and
        crashes Qt (every exit on a fresh Debian root). The next call (after exec() returns, or
        at exit) does it; until then the view-model the bindings read stays alive."""
        if self.qml_destroyed or QThread.currentThread().loopLevel() > 0:
            return
        from PySide6.QtCore import QEvent  # ~1 ms of enums: not on the path to the first frame

        self.qml_destroyed = True
        for root in self.engine.rootObjects():
            root.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        self.engine.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def timing_from(config: Config) -> Timing:
    return Timing(
        idle_seconds=config["ui.idle_seconds"], warning_seconds=config["ui.warning_seconds"],
        done_seconds=config["ui.done_seconds"], elderly_age=config["ui.elderly_age"],
        face_enabled=config["face.enabled"],
        default_language=config["ui.default_language"],
        staff_answer_seconds=config["staff.answer_seconds"], stuck_seconds=config["staff.stuck_seconds"],
        take_card_reminder_seconds=config["ui.take_card_reminder_seconds"],
        take_card_staff_seconds=config["ui.take_card_staff_seconds"],
        readiness_seconds=config["ui.readiness_seconds"],
    )


def make_audit_trail(config: Config, outbox: object) -> AuditTrail:
    """The chained audit trail under the state directory, shipped through the outbox."""
    log_ = AuditLog(config.path("kiosk.state_dir") / "audit", max_bytes=config["audit.max_bytes"],
                    retention_days=config["audit.retention_days"])
    return AuditTrail(log_, outbox, kiosk_id=config["kiosk.id"], ship=config["audit.ship"])


def _maintenance(config: Config, vm: JourneyViewModel, camera: object, url: str) -> MaintenanceViewModel:
    """Maintenance mode over the running drivers; the checks are kiosk doctor's (kiosk/doctor.py),
    imported when maintenance first runs them."""
    from screens.maintenance import MaintenanceViewModel
    def reader() -> tuple[bool, str, str]:
        from devices.diagnostics import reader_check
        return reader_check(config)

    def camera_test(seconds: float = 2.0, detect: bool = True) -> tuple[bool, str, str]:
        from devices.diagnostics import camera_check
        return camera_check(camera, seconds=seconds, detect=detect)

    def parts() -> Parts:
        from kiosk.doctor import Parts

        s = vm.services
        return Parts(config=config, reader=reader, camera=lambda: camera_test(1.0, False), printer=s.printer,
                     receipts=s.receipts, platform_url=url, outbox=s.outbox,
                     audit_dir=config.path("kiosk.state_dir") / "audit")
    return MaintenanceViewModel(vm, config, parts=parts, camera_test=camera_test)


def _late_parts(config: Config, vm: JourneyViewModel, engine: QQmlApplicationEngine,
                camera: object) -> tuple[object, MaintenanceViewModel, object]:
    """Video help, maintenance and the staff desk (screens/late_parts.py builds them once)."""
    from screens.staff_desk import StaffDesk
    from screens.video_help import VideoHelp

    video = VideoHelp(vm=vm, config=config, camera=camera, agent_feed=PreviewFeed("agent"))
    vm.agent_provider = install_preview(engine, video.agent_feed)
    video.window = vm.window  # the picture shared in a video call
    maint = _maintenance(config, vm, camera, config["platform.url"])
    return video, maint, StaffDesk(vm, maint)


def build_kiosk(config: Config, *, demo_control: bool = True, speaker: object | None = None,
                tick_ms: int = 1000, notifier: Any = None) -> Kiosk:
    """Create the view-model and QML windows now, the back end right after the first frame.

    A QGuiApplication must exist. Every setting is checked here (a ConfigError stops the start);
    the outbox, platform, printers and face verifier are built by ``Backend.warm``. The demo
    (demo_control) provisions the fictitious staff of devices/sim_staff.py. ``notifier``
    (kiosk.notify; default: systemd's, from the environment) gets the watchdog pings and READY.
    """
    state_dir = config.path("kiosk.state_dir")
    state_dir.mkdir(parents=True, exist_ok=True)
    backend = Backend(config)
    reader = make_reader(config)
    demo_control = demo_control and hasattr(reader, "insert")  # the demo window places cards on simulators
    # The demo's local platform has no public address: its copies carry a placeholder one (example.gov.cn).
    public_url = config["platform.public_url"] or (DEMO_PUBLIC_URL if backend.server is not None else "")
    services = KioskServices(face=backend.face, platform=backend.platform, outbox=backend.outbox,
                             printer=backend.printer, kiosk_id=config["kiosk.id"], receipts=backend.receipts,
                             copy_valid_days=config["printer.copy_valid_days"], public_url=public_url,
                             staff=StaffDirectory(state_dir / "staff.json"),
                             audit=make_audit_trail(config, backend.outbox),
                             hall=config["kiosk.hall"], place=config["kiosk.place"])
    vm = JourneyViewModel(services=services, timing=timing_from(config),
                          speaker=speaker if speaker is not None else EspeakSpeaker(),
                          speech=config["ui.speech"], tick_ms=tick_ms)
    backend.on_face = lambda face: face.camera.set_listener(vm.camera_feed.push)
    engine = QQmlApplicationEngine()
    vm.camera_provider = install_preview(engine, vm.camera_feed)
    ctx = engine.rootContext()
    ctx.setContextProperty("vm", vm)
    ctx.setContextProperty("theme", vm.theme)
    ctx.setContextProperty("pdfPreview", vm.preview)
    engine.addImageProvider("preview", PreviewImageProvider(vm.preview))
    ctx.setContextProperty("cameraFeed", vm.camera_feed)
    vm.parts = LateParts(ctx, lambda: _late_parts(config, vm, engine, backend.camera))
    demo = None
    if demo_control:
        from screens.demo_control import DemoControl  # the demo's window only

        demo = DemoControl(reader, backend.printer, backend.face)
        ctx.setContextProperty("demo", demo)
    engine.load(QUrl.fromLocalFile(str(QML_DIR / "Main.qml")))
    if not engine.rootObjects():
        raise RuntimeError("the kiosk screens failed to load (see the QML messages above)")
    vm.window = engine.rootObjects()[0]  # the spoken choices are read from what it shows
    if demo_control:
        engine.load(QUrl.fromLocalFile(str(QML_DIR / "DemoControl.qml")))
    reader.start(vm.reader_listener)
    kiosk = Kiosk(engine, vm, reader, backend, demo, parts=vm.parts)

    def after_first_frame(painted: bool) -> None:
        from screens.watchdog import start_ui_watchdog

        kiosk.watchdog = start_ui_watchdog(kiosk, config, notifier, painted)  # wipes a killed session first
        backend.warm()
        vm.parts.ensure()  # video help, maintenance, the staff desk
        if demo_control:  # the demo's fictitious staff (devices/sim_staff.py), hashed off the start-up path
            from devices.sim_staff import provision_demo_staff

            vm.tasks.run("disk", lambda: provision_demo_staff(services.staff))
        vm.audit("kiosk_start", demo=demo_control)  # writes the audit log and ships it via the outbox
        if config["metrics.port"]:
            vm.tasks.run("disk", lambda: _start_metrics(kiosk, config))  # prometheus_client: off the start-up path
        _write_kiosk_state(kiosk, last)
    last: list[dict] = [{}]
    _after_first_frame(kiosk.window, after_first_frame)
    kiosk.timers.append(_every(SYNC_STATUS_MS, lambda: _read_sync_status(kiosk)))
    kiosk.timers.append(_every(SYNC_STATUS_MS, lambda: _read_update_flag(kiosk, state_dir)))
    vm.viewChanged.connect(lambda: _write_kiosk_state(kiosk, last))
    vm.statusChanged.connect(lambda: _write_kiosk_state(kiosk, last))
    _close_before_exit(kiosk)
    return kiosk


def _after_first_frame(window: QQuickWindow, fn: Callable[[bool], None]) -> None:
    """fn(painted) once: when the window has painted its first frame (True), or after
    WARM_FALLBACK_MS without one (False: a hidden window)."""
    done = [False]

    def once(painted: bool) -> None:
        if not done[0]:
            done[0] = True
            window.frameSwapped.disconnect(painted_once)
            # On the next turn of the UI thread's event loop, not inside the frame's own signal
            # (which a threaded render loop emits on its render thread).
            QTimer.singleShot(0, window, lambda: fn(painted))

    def painted_once() -> None:
        once(True)
    window.frameSwapped.connect(painted_once)
    QTimer.singleShot(WARM_FALLBACK_MS, window, lambda: once(False))


def _close_before_exit(kiosk: Kiosk) -> None:
    """Close the kiosk when the app quits or Python exits without closing it (a script that only
    calls app.quit()): otherwise Python may free the view-model while the QML still reads it."""
    import atexit
    import weakref

    ref = weakref.ref(kiosk)

    def close() -> None:
        k = ref()
        if k is not None:
            k.close()

    app = QCoreApplication.instance()
    if app is not None:
        app.aboutToQuit.connect(close)
    atexit.register(close)


def _start_metrics(kiosk: Kiosk, config: Config) -> None:
    from sync.metrics import KioskMetrics
    from sync.service import device_health

    metrics = KioskMetrics(kiosk.outbox, kiosk_id=config["kiosk.id"], hall=config["kiosk.hall"],
                           state_dir=config.path("kiosk.state_dir"), printer_health=device_health(config),
                           call_waiting=lambda: _call_waiting(kiosk), client_cert=config["platform.client_cert"])
    try:
        port = metrics.start(config["metrics.port"], config["metrics.address"])
    except OSError as exc:
        log.error("metrics exporter failed", extra={"event": "metrics_error", "error": type(exc).__name__})
        return
    kiosk.vm.services.metrics = metrics
    log.info("metrics exporter started", extra={"event": "metrics_start", "port": port})


def _call_waiting(kiosk: Kiosk) -> float | None:
    """Seconds the open staff call has waited without an answer (read from the exporter's thread)."""
    calls = kiosk.vm.journey.calls
    call = calls.call
    if call is None or call.state not in ("waiting", "queued", "unanswered", "sending"):
        return None
    return calls.clock() - call.placed_at


def _demo_hall_staff(server: object, config: Config) -> None:
    """The demo's platform lives in memory: give this run one staff sign-in for the hall dashboard,
    with a fresh random password shown on the terminal (never a shared one)."""
    import secrets
    import sys

    password = secrets.token_urlsafe(9)
    server.hall.add_staff("demo", config["kiosk.hall"], password)
    print(f"hall dashboard: {server.url}/hall  staff id: demo  password (this run only): {password}",
          file=sys.stderr)


def _tell_presence(platform: object, body: dict) -> None:
    try:
        platform.presence(body)  # one attempt; the engine's probe repeats it within 20 s anyway
    except Exception as exc:
        log.info("presence not sent", extra={"event": "presence_error", "error": type(exc).__name__})


def _write_kiosk_state(kiosk: Kiosk, last: list[dict]) -> None:
    """Session, screen name and device states for the sync engine's presence probe and heartbeat
    (shared through the outbox file: the engine may be another process). Written when it changes."""
    if not kiosk.backend.warming:
        return  # before the first frame: written once the back end is being built
    journey = kiosk.vm.journey
    # Out of service (a crash loop, maintenance, a full disk...): the reason keys reach the technicians
    # through the heartbeat and the exporter (kiosk_device_ok{device="ui"}).
    reasons = sorted(journey.out_of_service)
    ui = {"state": reasons[0], "reasons": reasons} if reasons else {"state": "ok"}
    state = {"in_session": journey.session is not None, "screen": journey.screen.value,
             "devices": {"reader": {"state": "connected" if kiosk.vm.readerOk else "lost"},
                         "speech": {"state": "on" if kiosk.vm.speech and kiosk.vm.speaker is not None else "off"},
                         "ui": ui}}
    if state != last[0]:
        session_changed = state["in_session"] != last[0].get("in_session")
        last[0] = state
        kiosk.vm.tasks.run("disk", lambda: kiosk.outbox.set_meta("kiosk_state", state))
        if session_changed:  # the hall dashboard sees a session start or end now, not at the next idle probe
            _mark_session(kiosk, state["in_session"])
            hall = kiosk.vm.services
            body = {"hall": hall.hall, "place": hall.place, "in_session": state["in_session"],
                    "screen": state["screen"]}
            kiosk.vm.tasks.run("staff", lambda: _tell_presence(kiosk.platform, body))


def _mark_session(kiosk: Kiosk, in_session: bool) -> None:
    """session.json while a citizen session runs: a restarted process finds and wipes it (kiosk/restart_state.py)."""
    from kiosk.restart_state import mark_session

    state_dir = kiosk.backend.config.path("kiosk.state_dir")
    kiosk.vm.tasks.run("disk", lambda: mark_session(state_dir, in_session))


def _every(ms: int, fn: Callable[[], None]) -> QTimer:
    timer = QTimer()
    timer.setInterval(ms)
    timer.timeout.connect(fn)
    timer.start()
    return timer


def _read_sync_status(kiosk: Kiosk) -> None:
    """The engine records whether the platform answers; the header shows it (read on the disk lane)."""
    if not kiosk.outbox.built:
        return  # not opened yet: the header keeps its start-up state

    def work() -> tuple[bool | None, float]:
        kiosk.outbox.refresh()  # another process may have quarantined the file
        online, state = kiosk.outbox.sync_status(), kiosk.outbox.sync_state()
        # A stale word counts as news "now"; a fresh one carries the moment the engine learnt it.
        return online, (state[1] if state and online == state[0] else time.time())

    def show(result: tuple[bool | None, float]) -> None:
        online, at = result
        if online is not None:
            kiosk.vm.note_platform(online, at)
    kiosk.vm.tasks.run("disk", work, show)


def _read_update_flag(kiosk: Kiosk, state_dir: Path) -> None:
    """`kiosk update` installs: out of service once no citizen is served (never cut a session short)."""
    from kiosk.restart_state import UPDATING_REASON, updating

    def show(on: bool) -> None:
        journey = kiosk.vm.journey
        if on != (UPDATING_REASON in journey.out_of_service) and (not on or journey.session is None):
            journey.set_out_of_service(UPDATING_REASON, on)
    kiosk.vm.tasks.run("disk", lambda: updating(state_dir), show)


def dock_demo_control(kiosk: Kiosk) -> None:
    """Put the demo control window beside the kiosk, never over it: the kiosk takes the screen's
    left part (its content scales to fit) and the control docks at the right edge. With no
    window manager (xvfb-run) nobody could move a window that covered the kiosk's header."""
    ctl = next((o for o in kiosk.engine.rootObjects() if o.objectName() == "demoControl"), None)
    screen = QGuiApplication.primaryScreen()
    if ctl is None or screen is None:
        return
    area = screen.availableGeometry()
    width = min(ctl.width(), area.width() // 3)
    _place(ctl, QRect(area.right() + 1 - width, area.top(), width, area.height()))
    _place(kiosk.window, QRect(area.left(), area.top(), area.width() - width - 8, area.height()))
    kiosk.window.show()


def _place(window: QQuickWindow, outer: QRect) -> None:
    """Put a window, its frame included (if the platform draws one), inside `outer`."""
    m = window.frameMargins()
    window.setGeometry(outer.adjusted(m.left(), m.top(), -m.right(), -m.bottom()))


def qml_message_collector(sink: list[str]) -> Callable[..., None]:
    """A Qt message handler that keeps warnings (tests fail on any QML warning)."""
    def handler(mode: QtMsgType, context: object, message: str) -> None:
        if mode in (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg):
            sink.append(message)
            log.warning("qt message", extra={"event": "qt_warning", "qt": message[:300]})
    return handler


def _quit_on_signals(app: QGuiApplication) -> tuple[object, ...]:
    """Ctrl-C and SIGTERM end the event loop quietly. Python runs signal handlers only between
    bytecodes, so a wake-up socket watched by Qt gives it that chance while Qt waits."""
    import contextlib
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    rsock, wsock = socket.socketpair()
    rsock.setblocking(False)
    wsock.setblocking(False)
    signal.set_wakeup_fd(wsock.fileno())
    notifier = QSocketNotifier(rsock.fileno(), QSocketNotifier.Type.Read)
    def drain(*_: object) -> None:
        with contextlib.suppress(BlockingIOError):  # already drained (close() processes events once more)
            rsock.recv(512)
    notifier.activated.connect(drain)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    return rsock, wsock, notifier


def _count_start(config: Config) -> Any:
    """Record this start (kiosk/crash_loop.py) when run() is called directly (tests, cage_session.py);
    `kiosk run` counts it earlier, before these imports (kiosk/start_guard.py)."""
    from kiosk.start_guard import count_start

    return count_start(config)


def run(config: Config, *, demo: bool, windowed: bool = False, starts: Any = None) -> int:
    """Start the application and run its event loop until it quits. ``starts``: this start's
    crash-loop verdict when the caller counted it already (kiosk/start_guard.py, before the imports)."""
    os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")
    app = QGuiApplication.instance() or QGuiApplication([])
    app.setApplicationName("kiosk")
    messages: list[str] = []
    qInstallMessageHandler(qml_message_collector(messages))
    starts = starts if starts is not None else _count_start(config)
    kiosk = build_kiosk(config, demo_control=demo)
    if starts.tripped:  # a crash loop: out of service (with the reason) until a technician clears it
        from kiosk.crash_loop import REASON

        kiosk.vm.journey.set_out_of_service(REASON)
    if demo and kiosk.platform_server is not None:
        kiosk.vm.tasks.run("disk", lambda: _demo_hall_staff(kiosk.platform_server, config))
    window = kiosk.window
    if kiosk.demo is not None and not windowed:
        dock_demo_control(kiosk)
    elif config["kiosk.fullscreen"] and not windowed:
        window.showFullScreen()
    keep = _quit_on_signals(app)  # noqa: F841 (the socket pair and notifier live as long as the loop)
    log.info("kiosk started", extra={"event": "start", "demo": demo, "platform": "local" if
                                     kiosk.platform_server is not None else "remote"})
    code = app.exec()
    kiosk.stopping = code != RESTART_EXIT_CODE
    kiosk.close()
    if kiosk.stopping:  # a clean stop: the starts so far were no crash loop
        from kiosk.crash_loop import record_clean_stop

        record_clean_stop(config.path("kiosk.state_dir"))
    if code == RESTART_EXIT_CODE:  # maintenance mode's "restart the app": the same command again
        log.warning("restarting", extra={"event": "restart"})
        os.execv(sys.executable, [sys.executable, *sys.argv])
    return code

"""Video help on screen: the desk (kiosk.video_help) for QML, the call's media session, the shared screen.

QML reads `videoHelp.view` and calls the slots. The call itself (devices.video_call, aiortc)
runs on its own thread; its events come back through a queued signal. While a call runs, a
timer grabs the kiosk window on the UI thread (a few ms), blacks out personal fields (items
whose objectName starts with "personal", and the keypad's entry) unless the citizen allowed
them, scales the picture and hands it to the call thread. aiortc is imported only when a
call starts. Frames live in memory only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Property, QObject, QRectF, QTimer, Signal, Slot
from PySide6.QtQuick import QQuickWindow

from kiosk.interfaces import Frame
from kiosk.video_help import EndVideoCall, RateVideoHelp, SayVideo, StartVideoCall, VideoDesk

log = logging.getLogger("kiosk.video")

MASK_PREFIX = "personal"
MASK_NAMES = frozenset({"entryField"})
# Screens where video help is not offered: the camera is busy with the face check, or the kiosk is idle.
NO_VIDEO_SCREENS = frozenset({"attract", "face_check", "out_of_service", "done"})


class VideoHelp(QObject):
    """The video-help desk and its call, seen from QML (UI thread only)."""

    viewChanged = Signal()
    _event = Signal(object)
    _agentPicture = Signal(object)

    def __init__(self, *, vm: Any, config: Any, camera: Any = None, agent_feed: Any = None,
                 session_factory: Callable[..., Any] | None = None) -> None:
        super().__init__()
        self._vm, self._config, self._camera = vm, config, camera
        self.agent_feed = agent_feed  # screens.camera_preview.PreviewFeed for the agent's picture
        self._factory = session_factory
        self.window: QQuickWindow | None = None
        self.session: Any = None
        self.mailbox: Any = None
        self.show_personal = False
        self.grab_ms: list[float] = []  # UI-thread time per shared frame (bench)
        clock = vm.journey._clock
        self.desk = VideoDesk(self._on_effect, self._changed, clock,
                              answer_seconds=config["video.answer_seconds"])
        self._view: dict[str, Any] = {}
        if agent_feed is not None:
            agent_feed.frameUrlChanged.connect(self._changed)  # the agent's picture moves on
        self._queued = False  # the call's signals are connected when the first call starts
        self._grab_timer = QTimer(self)
        self._grab_timer.setInterval(max(30, int(1000 / config["video.screen_fps"])))
        self._grab_timer.timeout.connect(self.grab)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.desk.tick)
        self._tick.start()
        self._changed()

    # ---------------------------------------------------------------- QML side

    view = Property("QVariantMap", lambda self: self._view, notify=viewChanged)

    def available(self) -> bool:
        """Video help is offered: enabled, the platform answers, and the screen allows it."""
        return bool(self._config["video.enabled"] and self._vm.online
                    and self._vm.journey.screen.value not in NO_VIDEO_SCREENS)

    @Slot()
    def ask(self) -> None:
        """呼叫工作人员: both kinds of help when video is available, else a person comes at once."""
        self._vm.activity()
        if self.desk.active:
            return
        if self.available():
            self.desk.ask()
        else:
            self._vm.callStaff()

    @Slot()
    def someoneComes(self) -> None:
        self.desk.close()
        self._vm.callStaff()

    @Slot()
    def chooseVideo(self) -> None:
        if self.available():
            self.desk.choose_video()

    @Slot(bool)
    def consent(self, agree: bool) -> None:
        j = self._vm.journey
        self.desk.consent(agree, assisted=j.assisted, screen=j.screen.value)

    @Slot()
    def hangUp(self) -> None:
        self.desk.hang_up()

    @Slot()
    def close(self) -> None:
        self.desk.close()

    @Slot()
    def toggleAgentPicture(self) -> None:
        self.desk.toggle_enlarged()

    @Slot()
    def togglePersonal(self) -> None:
        self.show_personal = not self.show_personal
        self._changed()

    @Slot(int)
    def rate(self, level: int) -> None:
        self.desk.rate(level)

    # ---------------------------------------------------------------- desk effects

    def _changed(self) -> None:
        modal = self.desk.active and self.desk.state != "connected"  # a dialog covers the journey's screen
        self._view = {**self.desk.view(), "available": self.available(), "showPersonal": self.show_personal,
                      "modal": modal,
                      "agentFrame": self.agent_feed.frameUrl if self.agent_feed is not None else ""}
        self._vm.journey.hold(self.desk.active)
        self.viewChanged.emit()

    def _on_effect(self, effect: object) -> None:
        if isinstance(effect, StartVideoCall):
            self._start(effect)
        elif isinstance(effect, EndVideoCall):
            self._stop(effect.reason)
        elif isinstance(effect, RateVideoHelp):  # 好差评 of the 帮办 service: level only, no call details
            payload = {"level": effect.level, "service_id": "remote_help", "channel": "hall_terminal"}
            self._vm.tasks.run("disk", lambda: self._vm.services.record("rating", payload))
        elif isinstance(effect, SayVideo):
            self._vm.say_key(effect.key)

    def _start(self, effect: StartVideoCall) -> None:
        from devices.video_call import ScreenMailbox  # aiortc stays off the start-up path

        self._connect_call_signals()
        self.show_personal = False
        self.mailbox = ScreenMailbox()
        self.grab()
        factory = self._factory or self._default_session
        self.session = factory(effect, self.mailbox, self._event.emit, self._agentPicture.emit)
        if self.agent_feed is not None:
            self.agent_feed.start()
        self._grab_timer.start()
        self.session.start()  # starts the call's own thread

    def _connect_call_signals(self) -> None:
        """Queued: the call's thread emits them. Done at the first call, since PySide's ``Qt``
        namespace costs ~9 ms to build and the start-up path does without it."""
        if not self._queued:
            from PySide6.QtCore import Qt

            self._queued = True
            self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
            self._agentPicture.connect(self._on_agent_picture, Qt.ConnectionType.QueuedConnection)

    def _default_session(self, effect: StartVideoCall, mailbox: Any, listener: Callable[[Any], None],
                         on_picture: Callable[[Any], None]) -> Any:
        from devices.video_call import VideoCallSession, parse_ice_servers
        from sync.video_signalling import PlatformVideoSignalling

        c = self._config
        password = ""
        if c["video.turn_password_file"]:
            with open(c.path("video.turn_password_file"), encoding="utf-8") as f:
                password = f.read().strip()
        return VideoCallSession(
            effect.call_id, signalling=PlatformVideoSignalling(self._vm.services.platform), screen=mailbox,
            listener=listener, camera=self._camera, microphone=c["video.microphone"], speaker=c["video.speaker"],
            ice_servers=parse_ice_servers(c["video.ice_servers"], c["video.turn_username"], password),
            fps=c["video.screen_fps"], assisted=effect.assisted, screen_name=effect.screen, on_agent_frame=on_picture)

    def _stop(self, reason: str) -> None:
        session, self.session = self.session, None
        self._grab_timer.stop()
        if self.agent_feed is not None:
            self.agent_feed.clear()
        if self.mailbox is not None:
            self.mailbox.clear()
        if session is not None:
            self._vm.tasks.run("network", lambda: session.stop(reason))

    @Slot(object)
    def _on_event(self, event: Any) -> None:
        if self.session is None or event.call_id != self.desk.call_id:
            return
        kind = event.kind
        if kind == "accepted":
            self.desk.accepted(event.call_id, event.agent_id)
        elif kind == "connected":
            self.desk.connected(event.call_id, event.media)
        elif kind == "remote_track":
            self.desk.remote_track(event.call_id, event.track)
        elif kind == "highlight":
            self.desk.point(event.call_id, event.x, event.y)
        elif kind == "ended":
            self._stop(event.reason)
            self.desk.ended(event.call_id, event.reason)

    @Slot(object)
    def _on_agent_picture(self, image: Any) -> None:
        if self.agent_feed is not None and self.session is not None:
            h, w = image.shape[:2]
            self.agent_feed.push(Frame(w, h, image.tobytes()))

    def session_ended(self) -> None:
        """The citizen's session ended: the call goes too (the next citizen is never shown)."""
        self.desk.session_ended()

    # ---------------------------------------------------------------- the shared screen

    def _masks(self) -> list[QRectF]:
        if self.show_personal or self.window is None:
            return []
        rects = []
        stack = list(self.window.contentItem().childItems())
        while stack:
            item = stack.pop()
            if not item.isVisible():
                continue
            name = item.objectName()
            if name.startswith(MASK_PREFIX) or name in MASK_NAMES:
                rects.append(item.mapRectToScene(QRectF(0, 0, item.width(), item.height())))
            else:
                stack.extend(item.childItems())
        return rects

    @Slot()
    def grab(self) -> None:
        """One picture of the kiosk screen for the call (UI thread; a few milliseconds)."""
        import time

        import numpy as np
        from PySide6.QtCore import Qt
        from PySide6.QtGui import QColor, QImage, QPainter

        if self.window is None or self.mailbox is None:
            return
        started = time.perf_counter()
        image = self.window.grabWindow()
        if image.isNull():
            return
        masks = self._masks()
        if masks:
            painter = QPainter(image)
            ratio = image.width() / max(1, self.window.width())
            for r in masks:
                painter.fillRect(QRectF(r.x() * ratio, r.y() * ratio, r.width() * ratio, r.height() * ratio),
                                 QColor(40, 40, 40))
            painter.end()
        width = min(self._config["video.screen_width"], image.width())
        small = image.scaledToWidth(width - width % 2, Qt.TransformationMode.SmoothTransformation)
        small = small.convertToFormat(QImage.Format.Format_RGB888)
        h, w, stride = small.height(), small.width(), small.bytesPerLine()
        array = np.frombuffer(bytes(small.constBits()), np.uint8).reshape(h, stride)[:, : w * 3].reshape(h, w, 3)
        self.mailbox.put(array[: h - h % 2].copy())
        self.grab_ms.append((time.perf_counter() - started) * 1000)
        del self.grab_ms[:-500]

    def shutdown(self) -> None:
        self._tick.stop()
        self._grab_timer.stop()
        session, self.session = self.session, None
        if session is not None:
            session.stop("session", wait=2.0)

"""JourneyViewModel: exposes the Qt-free journey to QML and runs its effects.

QML reads `view` (what the current screen shows), `t` (texts in the display
language, a QQmlPropertyMap: a QVariantMap of ~450 strings was converted whole at every
`vm.t.key` a binding read, ~0.5 ms each) and calls the slots below. Effects go to the TaskRunner; reader
events arrive from the reader's thread through a queued signal.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Property, QObject, QTimer, Signal, Slot
from PySide6.QtQml import QQmlPropertyMap

from kiosk import i18n
from kiosk.audit_trail import JourneyAuditor
from kiosk.interfaces import ReaderEvent, ReaderEventKind, Speaker
from kiosk.journey import (
    Effect,
    Journey,
    LoadCertificates,
    PrintCertificate,
    PrintReceipt,
    QueueApplication,
    Screen,
    SessionEnded,
    Speak,
    Timing,
    VerifyFace,
)
from kiosk.journey_fallback import SendToApp, TakeCounterTicket
from kiosk.journey_grants import OpenGrant
from kiosk.journey_view import build_view
from kiosk.services import KioskServices
from kiosk.speech_plan import ALWAYS_SPOKEN, choices_sentence, view_cues
from kiosk.speech_queue import Priority
from kiosk.staff_call import CancelStaffCall, PlaceStaffCall, PollStaffCall
from screens.camera_preview import PreviewFeed
from screens.chime import Chime
from screens.pdf_preview import PdfPreview
from screens.readiness import ReadinessWatch
from screens.speech import SpokenGuidance, screen_choices
from screens.tasks import TaskRunner
from screens.theme import Theme

log = logging.getLogger("kiosk.ui")

LANE_FOR = {VerifyFace: "camera", LoadCertificates: "network", PrintCertificate: "printer", QueueApplication: "disk",
            PrintReceipt: "printer", PlaceStaffCall: "staff", CancelStaffCall: "staff", PollStaffCall: "staff",
            OpenGrant: "network", TakeCounterTicket: "printer", SendToApp: "network"}


class _SessionFiles:
    """The preview's file source: each download carries the current session's grant."""

    def __init__(self, services: KioskServices, ticket: Any) -> None:
        self._services, self._ticket = services, ticket

    def download(self, cert: Any) -> bytes:
        return self._services.download(cert, self._ticket())


class JourneyViewModel(QObject):
    """The journey, seen from QML."""

    viewChanged = Signal()
    languageChanged = Signal()
    promptChanged = Signal()
    statusChanged = Signal()
    _readerEvent = Signal(object)
    _facePrompt = Signal(str)
    _printProgress = Signal(int, str)
    _platformSeen = Signal(bool, float)  # (answered, when): the result of the kiosk's own last request

    def __init__(self, *, services: KioskServices, timing: Timing, speaker: Speaker | None = None,
                 speech: bool = True, tasks: TaskRunner | None = None, tick_ms: int = 1000) -> None:
        super().__init__()
        self.services = services
        self.tasks = tasks or TaskRunner(self)
        self.theme = Theme()
        self.camera_feed = PreviewFeed()  # live camera frames for the face screen, memory only
        self.parts: Any = None  # screens.late_parts.LateParts (video help, the staff desk), set by the app
        self.speaker = speaker
        self.speech = speech
        self.guidance = SpokenGuidance(speaker, self) if speaker is not None else None
        self.window: Any = None  # the kiosk window (set by the app): the spoken choices are read from it
        self._view: dict[str, Any] = {}
        self.texts: dict[str, str] = {}  # the display language's texts, for Python (QML reads `t`)
        self._t = QQmlPropertyMap.create(self)
        self._prompt = ""
        self._online = True
        self._polling = False
        self._online_at = 0.0  # wall-clock time of the word _online rests on
        self._reader_ok = True
        self.chime = Chime()
        self.preview = PdfPreview(self.tasks, _SessionFiles(services, lambda: self.journey.ticket), self)
        self.reader_probe: Any = None  # maintenance's test-card check takes reader events while set
        self.auditor = JourneyAuditor()  # session start/end, identity method, prints -> the audit trail
        self.journey = Journey(timing=timing, on_effect=self._on_effect, on_change=self._refresh)
        services.face_prompt = self._facePrompt.emit
        services.platform_seen = self._platformSeen.emit
        self._platformSeen.connect(self.note_platform)
        self._facePrompt.connect(self._set_prompt)
        services.print_progress = self._printProgress.emit
        self._printProgress.connect(self._on_print_progress)
        self._readerEvent.connect(self._on_reader_event)
        self._timer = QTimer(self)
        self._timer.setInterval(tick_ms)
        self._timer.timeout.connect(self.journey.tick)
        self._timer.start()
        self._refresh()
        self.readiness = ReadinessWatch(self, timing.readiness_seconds)  # printer and platform, early

    @property
    def video(self) -> Any:
        """screens.video_help.VideoHelp, built if it was not yet (screens/late_parts.py)."""
        return self.parts.ensure().video if self.parts is not None else None

    @property
    def staff_desk(self) -> Any:
        """screens.staff_desk.StaffDesk: staff card events go there (built at the first one if need be)."""
        return self.parts.ensure().desk if self.parts is not None else None

    # ---------------------------------------------------------------- driver side

    def reader_listener(self, event: ReaderEvent) -> None:
        """Plain callback for a CardReader; safe to call from any thread."""
        self._readerEvent.emit(event)

    @Slot(object)
    def _on_reader_event(self, event: ReaderEvent) -> None:
        kind = event.kind
        if kind in (ReaderEventKind.STAFF_CARD_PRESENTED, ReaderEventKind.STAFF_CARD_REMOVED):
            if self.staff_desk is not None:  # a staff card never reaches the citizen's journey
                (self.staff_desk.presented(event) if kind is ReaderEventKind.STAFF_CARD_PRESENTED
                 else self.staff_desk.removed())
            return
        if self.reader_probe is not None and kind not in (ReaderEventKind.READER_LOST,
                                                          ReaderEventKind.READER_CONNECTED):
            self.reader_probe(event)
            return
        if kind is ReaderEventKind.CARD_PRESENTED and event.document is not None:
            self.journey.card_presented(event.document)
        elif kind is ReaderEventKind.READ_FAILED:
            self.journey.card_failed(event.reason)
        elif kind is ReaderEventKind.CARD_REMOVED:
            self.journey.card_removed()
        elif kind in (ReaderEventKind.READER_LOST, ReaderEventKind.READER_CONNECTED):
            self._reader_ok = kind is ReaderEventKind.READER_CONNECTED
            log.log(logging.INFO if self._reader_ok else logging.WARNING, "reader status",
                    extra={"event": "reader", "connected": self._reader_ok})
            self.statusChanged.emit()

    @Slot(bool, float)
    def note_platform(self, online: bool, at: float) -> None:
        """What a request (ours or the sync engine's) just learnt of the platform; the newest word wins."""
        if at >= self._online_at:
            self._online_at = at
            self.set_online(online)

    def set_online(self, online: bool) -> None:
        if online != self._online:
            self._online = online
            self.statusChanged.emit()
        self.journey.set_readiness(platform=online)  # services that need it are marked (or unmarked)

    def audit(self, event: str, **fields: Any) -> None:
        """Write an audit entry on the disk lane; a disk that refuses takes the kiosk out of service."""
        self.tasks.run("disk", lambda: self.services.audit_event(event, **fields), self._audit_done)

    def _audit_done(self, ok: bool) -> None:
        if ok != ("audit_unavailable" not in self.journey.out_of_service):
            self.journey.set_out_of_service("audit_unavailable", not ok)

    def _on_effect(self, effect: Effect) -> None:
        for event, fields in self.auditor.events(effect, self.journey):
            self.audit(event, **fields)
        if isinstance(effect, Speak) and effect.key.startswith("staff_call_"):
            self._say_staff_call(effect.key)
        elif isinstance(effect, Speak):
            if effect.alert:
                self.chime.play()
            self._say_guidance(effect)
        elif isinstance(effect, PollStaffCall):
            if not self._polling:  # one poll at a time: a slow platform must not pile them up
                self._polling = True
                self.tasks.run("staff", lambda: self.services.execute(effect), self._poll_complete)
        elif isinstance(effect, SessionEnded):
            log.info("session ended", extra={"event": "session_end", "reason": effect.reason})
            if self.parts is not None and self.parts.video is not None:
                self.parts.video.session_ended()  # a video call never outlives the citizen's session
            self._prompt = ""
            self.camera_feed.clear()
            ticket = effect.ticket
            self.tasks.run("network", lambda: self.services.end_session(ticket))
        else:
            lane = LANE_FOR.get(type(effect), "disk")
            done = self._complete
            if isinstance(effect, VerifyFace):
                self._set_prompt("")
                self.camera_feed.start()
                done = self._face_complete
            self.tasks.run(lane, lambda: self.services.execute(effect), done)

    def _complete(self, completion: Any) -> None:
        completion(self.journey)

    def _poll_complete(self, completion: Any) -> None:
        self._polling = False
        completion(self.journey)

    def _say_staff_call(self, key: str) -> None:
        """Staff-call news is spoken in every mode: the citizen may be looking around for help."""
        call = self.journey.calls.call
        if key == "staff_call_acknowledged" and call is not None and self.services.metrics is not None:
            self.services.metrics.staff_call_answered(self.journey.calls.clock() - call.placed_at)
        self._say(i18n.fmt(key + "_spoken", self.journey.language, call.staff_id if call else ""), alert=True,
                  channel="staff_call")

    def _face_complete(self, completion: Any) -> None:
        self.camera_feed.clear()  # the decision is made: the last frame goes
        completion(self.journey)

    def _say(self, text: str, *, alert: bool = False, priority: Priority = Priority.GUIDANCE, channel: str = "",
             new_screen: bool = False) -> None:
        """Queue guidance in assisted mode (alerts, and the offer of assisted mode, in every mode); never waits.
        The queue (kiosk.speech_queue) keeps the order and lets only an alert cut in."""
        if not (text and self.guidance is not None and self.speech):
            return
        if not (self.journey.assisted or alert or self.journey.screen.value in ALWAYS_SPOKEN):
            return
        self.guidance.say(text, self.journey.language, priority=Priority.ALERT if alert else priority,
                          channel=channel, new_screen=new_screen)

    def _say_guidance(self, effect: Speak) -> None:
        """A screen's title and body, then (once the screen is drawn) its choices; other keys as asked."""
        screen_values = {s.value for s in Screen}
        new_screen = effect.key in screen_values or effect.key == "purpose_matter"
        priority = Priority.PROMPT if effect.key == "timeout_warning" else Priority.GUIDANCE
        self._say(i18n.spoken(effect.key, self.journey.language), alert=effect.alert, priority=priority,
                  channel="countdown" if effect.key == "timeout_warning" else "", new_screen=new_screen)
        if new_screen and self.guidance is not None:
            self.guidance.after_render(lambda: self._say(
                choices_sentence(screen_choices(self.window), self.journey.language), alert=effect.alert,
                channel="choices"))

    @Slot(int, str)
    def _on_print_progress(self, ticket: int, key: str) -> None:
        self.journey.print_progress(ticket, key)

    @Slot(str)
    def _set_prompt(self, key: str) -> None:
        self._prompt = key
        self.promptChanged.emit()
        if key:  # face-check prompts: each said whole; a newer one replaces one still waiting
            self._say(i18n.text(key, self.journey.language), priority=Priority.PROMPT, channel="face")

    def _refresh(self) -> None:
        language_changed = self._view.get("language") != self.journey.language
        old, self._view = self._view, build_view(self.journey)
        for cue in view_cues(old, self._view):  # the message, an input error, the countdown
            self._say(cue.text(self.journey.language), priority=cue.priority, channel=cue.channel)
        session = self.journey.session
        if self.journey.screen in (Screen.PREVIEW, Screen.PURPOSE) and session and session.selected:
            self.preview.show(session.selected)
        else:
            self.preview.clear()
        self.theme.set_mode(self.journey.assisted, self.journey.language)
        if language_changed or not self.texts:
            self.texts = dict(i18n.table()[self.journey.language])
            self._t.insert(self.texts)  # each binding that reads a changed text is updated
            self.languageChanged.emit()
        self.viewChanged.emit()

    # ---------------------------------------------------------------- QML side

    view = Property("QVariantMap", lambda self: self._view, notify=viewChanged)
    t = Property(QObject, lambda self: self._t, constant=True)
    facePrompt = Property(str, lambda self: self._prompt, notify=promptChanged)
    online = Property(bool, lambda self: self._online, notify=statusChanged)
    readerOk = Property(bool, lambda self: self._reader_ok, notify=statusChanged)

    @Slot()
    def activity(self) -> None:
        self.journey.activity()

    @Slot()
    def start(self) -> None:
        self.journey.start()

    @Slot(str)
    def setLanguage(self, language: str) -> None:
        self.journey.set_language(language)

    @Slot()
    def cycleLanguage(self) -> None:
        order = i18n.LANGUAGES
        self.journey.set_language(order[(order.index(self.journey.language) + 1) % len(order)])

    @Slot(bool)
    def setAssisted(self, on: bool) -> None:
        self.journey.set_assisted(on)

    @Slot(bool)
    def acceptAssist(self, yes: bool) -> None:
        self.journey.accept_assist(yes)

    @Slot(bool)
    def faceConsent(self, agree: bool) -> None:
        self.journey.face_consent(agree)

    @Slot(str, str)
    def staffConfirm(self, number: str, pin: str) -> None:
        self.journey.staff_confirm(number, pin)

    @Slot(str)
    def chooseService(self, service_id: str) -> None:
        self.journey.choose_service(service_id)

    @Slot(str)
    def enterUscc(self, code: str) -> None:
        self.journey.enter_uscc(code)

    @Slot(int)
    def turnPage(self, delta: int) -> None:
        self.journey.turn_page(delta)

    @Slot(str)
    def selectCertificate(self, cert_id: str) -> None:
        self.journey.select_certificate(cert_id)

    @Slot()
    def confirmPreview(self) -> None:
        self.journey.confirm_preview()

    @Slot(str)
    def choosePurpose(self, purpose: str) -> None:
        self.journey.choose_purpose(purpose)

    @Slot()
    def retryPrint(self) -> None:
        self.journey.retry_print()

    @Slot()
    def queueOffline(self) -> None:
        self.journey.queue_offline()

    @Slot()
    def goToCounter(self) -> None:
        self.journey.go_to_counter()

    @Slot()
    def sendToApp(self) -> None:
        self.journey.send_to_app()

    @Slot(str)
    def chooseQueueItem(self, key: str) -> None:
        self.journey.choose_queue_item(key)

    @Slot()
    def printAnother(self) -> None:
        self.journey.print_another()

    @Slot()
    def back(self) -> None:
        self.journey.back()

    @Slot()
    def finish(self) -> None:
        self.journey.finish()

    @Slot(int)
    def rate(self, level: int) -> None:
        self.journey.rate(level)

    @Slot(str)
    def rateGroup(self, group: str) -> None:
        self.journey.rate_group(group)

    @Slot(str)
    def chooseForWhom(self, delegation_id: str) -> None:
        self.journey.choose_for_whom(delegation_id)

    @Slot(str)
    def chooseBusiness(self, uscc: str) -> None:
        self.journey.choose_business(uscc)

    @Slot()
    def skipRating(self) -> None:
        self.journey.skip_rating()

    @Slot()
    def callStaff(self) -> None:
        self.journey.call_staff()

    @Slot()
    def cancelStaffCall(self) -> None:
        self.journey.calls.cancel()

    def say_key(self, key: str) -> None:
        """Speak one message (assisted mode), e.g. the video call's status."""
        self._say(i18n.text(key, self.journey.language))

    def shutdown(self) -> None:
        if self.parts is not None and self.parts.video is not None:
            self.parts.video.shutdown()
        self._timer.stop()
        self.readiness.stop()
        self.tasks.shutdown()

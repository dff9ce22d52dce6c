"""Video help on the touch UI (pytest-qt, offscreen) with the demo stack and a scripted aiortc agent.

The kiosk calls through its own reference platform on 127.0.0.1; the agent answers from the
platform's queue. The agent sees the kiosk's screen (personal fields masked until allowed),
its highlight shows on the kiosk, the journey holds its clock and carries on after the call.
"""

from __future__ import annotations

import numpy as np
import pytest

from screens.walkthrough import Walker, click, find, pump, wait_for
from tests.video_agent import ScriptedAgent

pytest.importorskip("aiortc")


def kiosk_picture(kiosk) -> np.ndarray:
    """The kiosk's screen as the call shares it (RGB, scaled)."""
    image, _ = kiosk.vm.video.mailbox.newest()
    return image


def shrink(image: np.ndarray, size=(48, 27)) -> np.ndarray:
    """Average blocks: pictures compared after VP8 and scaling."""
    h, w = image.shape[:2]
    ys = np.linspace(0, h, size[1] + 1).astype(int)
    xs = np.linspace(0, w, size[0] + 1).astype(int)
    return np.array([[image[ys[j]:ys[j + 1], xs[i]:xs[i + 1]].reshape(-1, 3).mean(0) for i in range(size[0])]
                     for j in range(size[1])])


def to_menu(kiosk) -> Walker:
    w = Walker(kiosk)
    w.expect("attract")
    w.place_card(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    return w


def connect(kiosk, w: Walker) -> ScriptedAgent:
    w.click("callStaff")
    wait_for(lambda: find(kiosk.window, "helpVideo") is not None, 5, "the two kinds of help")
    assert find(kiosk.window, "helpComes") is not None
    w.click("helpVideo")
    wait_for(lambda: find(kiosk.window, "videoAgree") is not None, 5, "consent")
    pump(50)  # let the dialog lay out its new buttons
    w.click("videoAgree")
    assert kiosk.vm.video.desk.state == "connecting"
    calls = kiosk.platform_server.video
    wait_for(lambda: calls.queue() != [], 20, "the call in the agents' queue")
    agent = ScriptedAgent(calls)
    agent.take(calls.queue()[0]["call_id"])
    wait_for(lambda: kiosk.vm.video.desk.state == "connected", 30, "connected")
    return agent


@pytest.mark.parametrize("assisted", [False, True])
def test_video_call_from_the_kiosk(kiosk, assisted):
    w = to_menu(kiosk)
    kiosk.vm.setAssisted(assisted)
    pump(50)
    agent = connect(kiosk, w)
    try:
        view = kiosk.vm.video.view
        assert view["state"] == "connected"
        assert find(kiosk.window, "videoHangUp") is not None
        queued = kiosk.platform_server.video.queue()[0]
        assert queued["assisted"] is assisted and queued["screen"] == "service_menu"
        if assisted:
            spoken = [text for text, _ in kiosk.speaker.spoken]
            assert any("正在为您接通" in t for t in spoken) and any("已接通" in t for t in spoken)
        # the agent sees the kiosk's screen
        wait_for(lambda: "screen" in agent.frames, 20, "the agent receives the screen")
        pump(500)
        seen, own = shrink(agent.frames["screen"]), shrink(kiosk_picture(kiosk))
        assert np.abs(seen - own).mean() < 12
        # the kiosk hears and sees the agent
        session = kiosk.vm.video.session
        wait_for(lambda: session.agent_audio_frames > 10, 20, "the agent's audio")
        wait_for(lambda: kiosk.vm.video.view["agentVideo"], 20, "the agent's video")
        click(kiosk.window, "agentPicture")
        assert kiosk.vm.video.view["enlarged"] is True
        # the agent points at a spot: the kiosk shows it
        assert agent.channel_open.wait(10)
        agent.point(0.3, 0.6)
        wait_for(lambda: find(kiosk.window, "videoHighlight") is not None, 10, "the highlight")
        spot = find(kiosk.window, "videoHighlight")
        centre_x = (spot.x() + spot.width() / 2) / kiosk.window.width()
        assert abs(centre_x - 0.3) < 0.01
        # the journey's clock is held: no inactivity warning during the call
        assert kiosk.vm.journey.held
        kiosk.vm.journey.expire_idle()
        assert kiosk.vm.journey.warning_deadline is None
        # the agent ends the call; the citizen rates the help; the journey goes on where it was
        call_id = kiosk.vm.video.desk.call_id
        kiosk.platform_server.video.end_by_agent(call_id, "agent-7", "explained_steps")
        wait_for(lambda: kiosk.vm.video.desk.state == "rating", 20, "the rating")
        click(kiosk.window, "videoRate_5")
        wait_for(lambda: kiosk.vm.video.desk.state == "idle", 5, "back to the journey")
        assert not kiosk.vm.journey.held and kiosk.vm.journey.screen.value == "service_menu"
        w.personal_certs()  # 为谁办理 (issue 12): oneself
        w.expect("cert_list")
    finally:
        agent.close()


def test_personal_fields_masked_until_allowed(kiosk):
    w = to_menu(kiosk)
    w.personal_certs()  # 为谁办理 (issue 12): oneself
    w.expect("cert_list")
    w.click(f"cert_{kiosk.vm.view['certificates'][0]['id']}")
    w.expect("preview")
    wait_for(lambda: kiosk.vm.preview.status == "ready", 10, "the certificate preview")
    agent = connect(kiosk, w)
    try:
        doc = find(kiosk.window, "personalDocument")
        r = doc.mapRectToScene(doc.boundingRect())
        sx, sy = r.x() / kiosk.window.width(), r.y() / kiosk.window.height()
        sw, sh = r.width() / kiosk.window.width(), r.height() / kiosk.window.height()

        def region(image):
            h, wd = image.shape[:2]
            return image[int((sy + sh * 0.2) * h):int((sy + sh * 0.8) * h),
                         int((sx + sw * 0.2) * wd):int((sx + sw * 0.8) * wd)]
        wait_for(lambda: "screen" in agent.frames, 20, "the screen at the agent")
        pump(400)
        masked = region(agent.frames["screen"]).astype(int)
        assert masked.std() < 8 and masked.mean() < 70  # one dark block: nothing readable
        click(kiosk.window, "videoPersonal")  # the citizen allows it
        pump(800)
        shown = region(kiosk_picture(kiosk)).astype(int)
        assert shown.std() > 20 or shown.mean() > 120
        click(kiosk.window, "videoHangUp")
        wait_for(lambda: kiosk.vm.video.desk.state == "rating", 10, "the rating")
        click(kiosk.window, "videoCancel")  # skip the rating
        assert kiosk.vm.journey.screen.value == "preview"
    finally:
        agent.close()


@pytest.mark.parametrize("assisted", [False, True])
def test_help_dialogs_pass_the_accessibility_audit(kiosk, assisted):
    from screens.audit import LIMITS, audit

    w = to_menu(kiosk)
    kiosk.vm.setAssisted(assisted)
    pump(50)
    w.click("callStaff")
    pump(100)
    for name, next_button in (("video_choose", "helpVideo"), ("video_consent", None)):
        report = audit(kiosk.window, name, assisted)
        assert report.problems == [], name
        assert report.min_font >= LIMITS[assisted]["font"], name
        if next_button:
            w.click(next_button)
            pump(100)


def test_declining_consent_keeps_the_other_help(kiosk):
    w = to_menu(kiosk)
    w.click("callStaff")
    w.click("helpVideo")
    pump(50)
    w.click("videoDecline")
    assert kiosk.vm.video.desk.state == "choosing"
    assert kiosk.platform_server.video.queue() == []
    pump(50)
    w.click("helpComes")
    assert kiosk.vm.video.desk.state == "idle"
    assert kiosk.vm.journey.staff_called


def test_offline_kiosk_offers_no_video(kiosk):
    w = to_menu(kiosk)
    kiosk.vm.set_online(False)
    w.click("callStaff")
    pump(50)
    assert find(kiosk.window, "helpVideo") is None
    assert kiosk.vm.journey.staff_called  # a person is called at once


def test_card_removed_during_call_ends_it(kiosk):
    w = to_menu(kiosk)
    agent = connect(kiosk, w)
    try:
        kiosk.reader.remove()
        w.expect("attract")
        wait_for(lambda: kiosk.vm.video.desk.state == "idle", 5, "the call gone")
        wait_for(lambda: kiosk.platform_server.video.queue() == [], 15, "the platform told")
    finally:
        agent.close()


@pytest.fixture
def impatient_kiosk(qapp, qml_warnings, kiosk_config):
    """The demo kiosk with video.answer_seconds at its least (5 s)."""
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    k = build_kiosk(kiosk_config.with_overrides(video__answer_seconds=5.0), demo_control=True,
                    speaker=RecordingSpeaker())
    yield k
    k.close()


def test_no_agent_in_time_offers_someone_coming(impatient_kiosk):
    kiosk = impatient_kiosk
    w = to_menu(kiosk)
    w.click("callStaff")
    w.click("helpVideo")
    pump(50)
    w.click("videoAgree")
    wait_for(lambda: kiosk.platform_server.video.queue() != [], 10, "the call waiting")
    wait_for(lambda: kiosk.vm.video.desk.state == "no_answer", 15, "no answer in time")
    pump(50)
    assert find(kiosk.window, "helpComes") is not None and find(kiosk.window, "helpVideo") is None
    wait_for(lambda: kiosk.platform_server.video.queue() == [], 10, "the platform told")
    assert kiosk.platform_server.video.ended()[0]["ended_by"] == "kiosk:no_answer"
    w.click("helpComes")
    assert kiosk.vm.video.desk.state == "idle" and kiosk.vm.journey.staff_called
    assert kiosk.vm.journey.screen.value == "service_menu" and not kiosk.vm.journey.held


def test_network_drop_ends_the_call_and_the_journey_goes_on(kiosk):
    w = to_menu(kiosk)
    agent = connect(kiosk, w)
    try:
        agent.hang_up_media()  # the agent's side vanishes without a word
        wait_for(lambda: kiosk.vm.video.desk.state == "ended", 30, "the call ended")
        assert kiosk.vm.video.view["message"] == "video_ended_network"
        pump(50)
        title = find(kiosk.window, "videoTitle")
        assert "网络中断" in title.property("text")
        click(kiosk.window, "videoCancel")
        assert kiosk.vm.video.desk.state == "idle" and not kiosk.vm.journey.held
        w.personal_certs()  # 为谁办理 (issue 12): oneself
        w.expect("cert_list")
    finally:
        agent.close()

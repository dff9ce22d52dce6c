"""End to end on loopback: the kiosk (pytest-qt) calls, the agent console in real headless chromium answers.

The agent's page receives video whose frames match the kiosk's screen, the kiosk receives the
agent's audio (chromium's fake microphone), a spot the agent clicks shows as a highlight on the
kiosk, and ending the call brings the journey back where it was.
"""

from __future__ import annotations

import numpy as np
import pytest

from screens.walkthrough import click, find, pump, wait_for
from tests import webdriver
from tests.test_video_screens import to_menu

pytestmark = pytest.mark.skipif(not webdriver.available(), reason="chromium and chromium-driver not installed")
pytest.importorskip("aiortc")


class StaffSessions:
    """The hall's staff sessions, for a platform built before the hall dashboard existed."""

    def __init__(self, sessions: dict[str, tuple[str, str]]) -> None:
        self._sessions = sessions

    def session(self, token: str | None) -> tuple[str, str] | None:
        return self._sessions.get(token or "")


def sign_in_agent(server) -> str:
    """A hall staff session for agent-7 (the hall's own sign-in when the platform has it)."""
    hall = getattr(server.platform, "hall", None)
    if hall is not None and hasattr(hall, "add_staff"):
        hall.add_staff("agent-7", "hall-1", "agent-password-7")
        return hall.sign_in("agent-7", "agent-password-7")
    server.platform.hall = StaffSessions({"tok-agent-7-abcdefghijklmnop": ("agent-7", "hall-1")})
    return "tok-agent-7-abcdefghijklmnop"


@pytest.fixture()
def browser():
    b = webdriver.Browser()
    yield b
    b.close()


def test_agent_console_in_chromium_answers_a_kiosk(kiosk, browser, tmp_path):
    server = kiosk.platform_server
    token = sign_in_agent(server)
    browser.get(server.url + "/v1/health")
    browser.add_cookie("hall_session", token, "/hall")
    browser.get(server.url + "/hall/video")
    browser.wait("return document.getElementById('who').textContent.includes('agent-7')", what="signed in")

    w = to_menu(kiosk)
    kiosk.vm.setAssisted(True)
    pump(50)
    w.click("callStaff")
    w.click("helpVideo")
    pump(50)
    w.click("videoAgree")
    browser.wait("return document.querySelector('button.accept') !== null", what="the kiosk in the queue")
    assert browser.js("return document.getElementById('queue').textContent").count("长辈模式") == 1
    call_id = kiosk.vm.video.desk.call_id
    hall = getattr(server.platform, "hall", None)
    if hall is not None and hasattr(hall, "call"):  # the hall dashboard shows it as a call of kind "video"
        assert hall.call(call_id)["kind"] == "video" and hall.call(call_id)["state"] == "open"
    browser.js("document.querySelector('button.accept').click()")
    wait_for(lambda: kiosk.vm.video.desk.state == "connected", 30, "connected")
    browser.wait("return agentState.connected && window.sampleScreen(0.5, 0.5) !== null", 30, "the kiosk's screen")
    pump(1500)

    # the agent's page shows the kiosk's screen: colours at several spots match the kiosk's own picture
    own, _ = kiosk.vm.video.mailbox.newest()
    h, wd = own.shape[:2]
    for fx, fy in ((0.5, 0.03), (0.05, 0.5), (0.5, 0.5), (0.95, 0.95), (0.2, 0.3)):
        seen = np.array(browser.js(f"return window.sampleScreen({fx}, {fy})"))
        mine = own[int(fy * h), int(fx * wd)].astype(int)
        assert np.abs(seen - mine).max() < 40, (fx, fy, seen, mine)

    # the kiosk receives the agent's audio and picture
    session = kiosk.vm.video.session
    wait_for(lambda: session.agent_audio_frames > 20, 20, "the agent's audio at the kiosk")
    wait_for(lambda: kiosk.vm.video.view["agentVideo"], 20, "the agent's video at the kiosk")

    # the agent points at a spot; the kiosk shows it
    browser.wait("return agentState.channel && agentState.channel.readyState === 'open'", 20, "the help channel")
    browser.js("""const v = document.getElementById('screenVideo'); const r = v.getBoundingClientRect();
        document.getElementById('stage').dispatchEvent(new MouseEvent('click',
            {clientX: r.left + r.width * 0.3, clientY: r.top + r.height * 0.6, bubbles: true}));""")
    wait_for(lambda: find(kiosk.window, "videoHighlight") is not None, 10, "the highlight on the kiosk")
    spot = find(kiosk.window, "videoHighlight")
    assert abs((spot.x() + spot.width() / 2) / kiosk.window.width() - 0.3) < 0.02
    assert abs((spot.y() + spot.height() / 2) / kiosk.window.height() - 0.6) < 0.02
    (tmp_path / "agent-console.png").write_bytes(browser.screenshot())

    # the agent ends the call with an outcome code; the citizen rates; the journey goes on
    browser.js("document.getElementById('outcome').value = 'pointed_on_screen';"
               "document.getElementById('endCall').click()")
    wait_for(lambda: kiosk.vm.video.desk.state == "rating", 20, "the rating")
    click(kiosk.window, "videoRate_5")
    assert not kiosk.vm.journey.held and kiosk.vm.journey.screen.value == "service_menu"
    kept = server.video.ended()
    assert kept[0]["outcome"] == "pointed_on_screen" and kept[0]["agent_id"] == "agent-7"
    if hall is not None and hasattr(hall, "call"):
        assert hall.call(call_id)["state"] != "open"  # off the dashboard once the call ended
    w.personal_certs()  # 为谁办理 (issue 12): oneself
    w.expect("cert_list")

"""The hall dashboard in a real headless browser (Debian chromium + chromedriver, raw WebDriver).

GIVEN the demo kiosk (pytest-qt, offscreen) and its reference platform with a staff member,
WHEN a citizen presses 呼叫工作人员 at the kiosk, THEN the call appears on the dashboard
(kiosk, place, screen name, waiting time, with a sound); WHEN the staff member acknowledges it
there, THEN the kiosk's header says who is coming. A dashboard that loses its connection says so
and reconnects by itself. With KIOSK_UPDATE_SCREENSHOTS=1 the screenshot with a live call goes to
docs/screenshots/hall-dashboard.png (the README's picture).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests import webdriver

pytestmark = pytest.mark.skipif(not webdriver.available(), reason="chromium and chromedriver are installed by "
                                                                   "installer/apt-packages.txt")
SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
PASSWORD = "hall-staff-pass-15"


@pytest.fixture
def browser():
    b = webdriver.Browser()
    yield b
    b.close()


def _sign_in(browser, url: str) -> None:
    browser.get(url + "/hall")
    browser.wait("return !document.getElementById('login').hidden", what="sign-in form")
    browser.js("""document.getElementById('staff_id').value = arguments[0];
                  document.getElementById('password').value = arguments[1];
                  document.getElementById('signin').click();""", "S012", PASSWORD)
    browser.wait("return document.getElementById('conn').dataset.state === 'live'", what="live connection")


def test_staff_call_from_the_kiosk_is_answered_on_the_dashboard(kiosk, qtbot, browser) -> None:
    from kiosk import i18n
    from screens.walkthrough import Walker, find, pump

    server = kiosk.platform_server
    server.hall.add_staff("S012", "demo-hall", PASSWORD)
    _sign_in(browser, server.url)
    assert browser.js("return document.getElementById('password').value") == ""
    w = Walker(kiosk)
    kiosk.reader.insert(0)  # a citizen's card: a session starts
    w.expect("face_consent")
    w.click("callStaff")
    pump(30)
    dialog = find(kiosk.window, "videoDialog")
    if dialog is not None and dialog.isVisible():  # the help chooser (video help): a person comes
        w.click("helpComes")
    browser.wait("return document.querySelectorAll('.call[data-state=open]').length === 1", what="the call")
    card = browser.js("return document.querySelector('.call[data-state=open]').innerText")
    assert "KIOSK-" in card and "face_consent" in card and "市民呼叫" in card and "已等" in card
    browser.wait("return Number(document.body.dataset.beeps || 0) >= 1", what="the sound of a new call")
    browser.wait("return document.querySelectorAll('#kiosks tr[data-kiosk-id]').length >= 1", what="kiosk row")
    browser.wait("return document.querySelector('#kiosks tr[data-kiosk-id]').innerText.includes('办理中')",
                 what="the kiosk shown in a session")
    SHOTS.mkdir(parents=True, exist_ok=True)
    if os.environ.get("KIOSK_UPDATE_SCREENSHOTS") == "1":  # regenerate the README picture on request
        (SHOTS / "hall-dashboard.png").write_bytes(browser.screenshot())
    browser.js("document.querySelector('.call[data-state=open] button.ack').click()")
    browser.wait("return document.querySelectorAll('.call[data-state=acknowledged]').length === 1", what="ack")
    expected = i18n.fmt("staff_call_acknowledged", "zh-CN", "S012")
    qtbot.waitUntil(lambda: find(kiosk.window, "staffCallState").property("text") == expected, timeout=15_000)
    assert find(kiosk.window, "callStaff").isVisible()
    # Nothing personal reaches the page: the demo people's names and numbers never appear.
    page = browser.js("return document.documentElement.outerHTML")
    from devices.sim_people import SAMPLE_PEOPLE
    assert not any(p.number in page or (p.name and p.name in page) for p in SAMPLE_PEOPLE)


def test_dashboard_says_when_it_loses_its_connection_and_reconnects(server, browser) -> None:
    server.hall.add_staff("S012", "demo-hall", PASSWORD)
    _sign_in(browser, server.url)
    server.faults.offline = True  # the stream is cut and reconnection attempts fail
    browser.wait("return document.getElementById('conn').dataset.state === 'lost'", what="lost shown")
    assert "连接中断" in browser.js("return document.getElementById('conn').textContent")
    server.faults.offline = False
    browser.wait("return document.getElementById('conn').dataset.state === 'live'", timeout=30, what="back")


def test_wrong_password_is_refused_on_the_page(server, browser) -> None:
    server.hall.add_staff("S012", "demo-hall", PASSWORD)
    browser.get(server.url + "/hall")
    browser.wait("return !document.getElementById('login').hidden", what="sign-in form")
    browser.js("""document.getElementById('staff_id').value = 'S012';
                  document.getElementById('password').value = 'not the password';
                  document.getElementById('signin').click();""")
    browser.wait("return document.getElementById('login-error').textContent.length > 0", what="refusal")
    assert browser.js("return document.getElementById('board').hidden") is True

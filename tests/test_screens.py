"""The touch UI driven by real clicks (pytest-qt, offscreen) against the demo stack."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from kiosk import i18n
from screens.walkthrough import Walker, find
from sync.engine import sync_once

ALL_SCREENS = {"attract", "insert_card", "card_problem", "assist_offer", "face_consent", "face_check",
               "face_failed", "staff_check", "service_menu", "uscc_entry", "loading", "notice", "cert_list",
               "preview", "purpose", "print_failed", "printing", "print_done", "rating", "take_card", "queued",
               "card_pulled", "who_for", "business_choice", "queue_choice", "sent_to_app", "counter_ticket"}


@pytest.mark.parametrize("assisted", [False, True])
def test_whole_journey_by_touch(kiosk, assisted: bool) -> None:
    seen = Walker(kiosk).all_screens(assisted)
    expected = ALL_SCREENS - ({"assist_offer"} if assisted else set())
    assert set(seen) == expected
    received = kiosk.platform_server.received
    kiosk.vm.tasks.run("network", lambda: sync_once(kiosk.outbox, kiosk.platform))
    from screens.walkthrough import wait_for
    wait_for(lambda: any(r["kind"] == "rating" for r in received()), 10, "rating delivered")
    kinds = [r["kind"] for r in received()]
    assert {"identity_check", "help_request", "print", "rating"} <= set(kinds)
    assert list(kiosk.printer.folder.glob("*.pdf")), "the certificate was printed"


def test_demo_control_window_places_and_removes_cards(kiosk, qtbot) -> None:
    from PySide6.QtQuick import QQuickWindow

    from screens.walkthrough import click
    control = next(o for o in kiosk.engine.rootObjects() if o.objectName() == "demoControl")
    assert isinstance(control, QQuickWindow)
    click(control, "person_0")
    qtbot.waitUntil(lambda: kiosk.vm.journey.screen.value == "face_consent")
    click(control, "demo_remove")
    qtbot.waitUntil(lambda: kiosk.vm.journey.screen.value == "attract")


def test_demo_control_puts_a_staff_card_in_and_out(kiosk, qtbot) -> None:
    from screens.walkthrough import click
    control = next(o for o in kiosk.engine.rootObjects() if o.objectName() == "demoControl")
    control.setHeight(1000)  # docked beside the kiosk it has the screen's height (dock_demo_control)
    click(control, "staff_card_1")  # the demo technician's card
    qtbot.waitUntil(lambda: kiosk.maint.state.get("cardNumber") == "20045", timeout=10000)
    assert kiosk.vm.journey.screen.value == "maintenance"
    click(control, "staff_card_1")
    qtbot.waitUntil(lambda: kiosk.vm.journey.screen.value == "attract", timeout=10000)


@pytest.mark.parametrize("language", ["zh-CN", "zh-TW", "en"])
def test_language_switch_changes_every_text(kiosk, qtbot, language: str) -> None:
    w = Walker(kiosk)
    w.click(f"lang_{language}")
    qtbot.waitUntil(lambda: kiosk.vm.journey.language == language)
    start = find(kiosk.window, "start")
    label = start.childItems()[0].property("text")
    assert label == i18n.text("attract_start", language)
    assert kiosk.vm.texts["app_title"] == i18n.text("app_title", language)


def test_assisted_mode_speaks_every_screen_in_display_language(kiosk, qtbot) -> None:
    w = Walker(kiosk)
    w.click("assistedToggle")
    w.click("languageCycle")  # zh-CN -> zh-TW
    w.click("start")
    w.expect("insert_card")
    spoken = kiosk.speaker.spoken
    assert (i18n.spoken("insert_card", "zh-TW"), "zh-TW") in spoken
    kiosk.reader.insert(0)
    w.expect("face_consent")
    choices = i18n.fmt("spoken_choices", "zh-TW", "、".join([i18n.text("face_agree", "zh-TW"),
                                                             i18n.text("face_decline", "zh-TW")]))
    qtbot.waitUntil(lambda: spoken[-1] == (choices, "zh-TW"))  # the title, then the choices on the screen
    assert spoken[-2] == (i18n.spoken("face_consent", "zh-TW"), "zh-TW")


def test_standard_mode_is_silent(kiosk) -> None:
    w = Walker(kiosk)
    w.click("start")
    w.expect("insert_card")
    assert kiosk.speaker.spoken == []


def test_timeout_warning_is_extendable_then_wipes(kiosk, qtbot) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.vm.journey.expire_idle()
    qtbot.waitUntil(lambda: find(kiosk.window, "continue") is not None)
    assert kiosk.vm.view["warning"] == 20
    w.click("continue")
    qtbot.waitUntil(lambda: find(kiosk.window, "continue") is None)
    assert kiosk.vm.journey.screen.value == "face_consent"
    kiosk.vm.journey.expire_idle()
    kiosk.vm.journey.warning_deadline = 0  # the countdown has run out
    kiosk.vm.journey.tick()
    w.expect("take_card")  # wiped; the card still lies on the reader
    assert kiosk.vm.journey.session is None
    w.remove_card()


def test_card_pulled_mid_print_is_recorded_and_told(kiosk, qtbot) -> None:
    """GIVEN a copy printing on the real demo printer WHEN the card is pulled THEN the session's data goes at
    once, the job still completes, its print record reaches the outbox and the screen says it printed."""
    from screens.walkthrough import _SlowPrinter
    w = Walker(kiosk)
    kiosk.reader.insert(1)
    w.to_purpose()
    kiosk.vm.services.printer = _SlowPrinter(kiosk.printer, 0.5)
    w.click("btn_purpose_loan")
    w.expect("printing")
    kiosk.reader.remove()
    w.expect("card_pulled")
    assert kiosk.vm.journey.session is None
    qtbot.waitUntil(lambda: kiosk.vm.view.get("printOutcome") == "printed", timeout=10_000)
    # The demo's own sync engine may deliver the row first: look in the outbox and at the platform.
    taken: list[dict] = []

    def prints() -> list[dict]:
        taken.extend(r.payload for r in kiosk.outbox.take(100) if r.kind == "print")
        return taken + [r["payload"] for r in kiosk.platform_server.received() if r["kind"] == "print"]
    qtbot.waitUntil(lambda: len(prints()) > 0, timeout=30_000)
    assert [(p["ok"], p["citizen_present"]) for p in prints()] == [(True, False)]
    assert list(kiosk.printer.folder.glob("*.pdf")), "the job was finished"
    assert find(kiosk.window, "btn_finish") is not None
    w.click("btn_finish")
    w.expect("attract")


def test_forgotten_card_is_asked_for_with_chime_and_speech_then_staff(kiosk, qtbot) -> None:
    """Standard mode too: the end of a session sounds and speaks 请取走您的身份证 until the card is lifted."""
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.vm.journey.expire_idle()
    kiosk.vm.journey.warning_deadline = 0
    kiosk.vm.journey.tick()
    w.expect("take_card")
    assert find(kiosk.window, "start") is None
    assert (i18n.spoken("take_card", "zh-CN"), "zh-CN") in kiosk.speaker.spoken
    assert kiosk.vm.chime.played == 1
    kiosk.vm.journey._left_since -= kiosk.vm.journey.timing.take_card_staff_seconds
    kiosk.vm.journey.tick()
    qtbot.waitUntil(lambda: kiosk.vm.view["staffCalled"] is True)
    assert find(kiosk.window, "staffCallState").isVisible()  # the header says what became of the call
    assert find(kiosk.window, "callStaff").isVisible()  # and the button stays (issue 15): it calls again
    kiosk.reader.remove()
    w.expect("attract")
    assert find(kiosk.window, "start") is not None


def test_taps_at_odd_moments_do_no_harm(kiosk, qtbot) -> None:
    """Mash every visible button on every screen reached; the journey stays consistent."""
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    item = find(kiosk.window, "btn_faceAgree")
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    for _ in range(3):  # an impatient triple tap on the same spot
        QTest.mouseClick(kiosk.window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    w.expect("service_menu")
    assert sum(1 for k, _ in [(r.kind, 0) for r in kiosk.outbox.take(100)] if k == "identity_check") == 1
    w.personal_certs()
    w.expect("cert_list")
    kiosk.vm.rate(5)
    kiosk.vm.retryPrint()
    kiosk.vm.enterUscc("x")
    assert kiosk.vm.journey.screen.value == "cert_list"


def test_demo_control_docks_beside_the_kiosk(kiosk, qtbot) -> None:
    """The demo control never covers the kiosk (its header included): it docks at the right edge."""
    from PySide6.QtCore import QRect

    from screens.app import dock_demo_control

    dock_demo_control(kiosk)
    ctl = next(o for o in kiosk.engine.rootObjects() if o.objectName() == "demoControl")
    kiosk_rect = QRect(kiosk.window.x(), kiosk.window.y(), kiosk.window.width(), kiosk.window.height())
    ctl_rect = QRect(ctl.x(), ctl.y(), ctl.width(), ctl.height())
    assert not kiosk_rect.intersects(ctl_rect), (kiosk_rect, ctl_rect)
    from PySide6.QtGui import QGuiApplication

    area = QGuiApplication.primaryScreen().availableGeometry()
    assert kiosk_rect.width() >= 0.6 * area.width() and area.contains(ctl_rect)  # the kiosk keeps most of it


@pytest.mark.parametrize("assisted", [False, True])
def test_other_purpose_lists_matters_by_touch(kiosk, assisted: bool) -> None:
    from screens.walkthrough import pump

    def qtbot_wait_layout() -> None:
        pump(100)  # the matters replace the purposes: let the layout settle before the finger lands

    w = Walker(kiosk)
    kiosk.vm.setAssisted(assisted)
    kiosk.reader.insert(0)
    w.to_purpose()
    w.click("btn_purpose_other")
    qtbot_wait_layout()
    from screens.audit import audit
    assert audit(kiosk.window, "purpose_matter", assisted).problems == []  # nothing off screen, big enough
    w.click("btn_matter_household")
    w.expect("print_done")
    from screens.walkthrough import wait_for
    prints: list[dict] = []
    wait_for(lambda: prints.extend(r.payload for r in kiosk.outbox.take(100) if r.kind == "print") or prints,
             5, "the print record")
    assert [p["purpose"] for p in prints] == ["matter_household"]

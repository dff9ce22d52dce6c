"""Spoken guidance on the real screens: title then choices, errors, countdown, face prompts in order,
and nothing cut off (kiosk.speech_queue behind screens.speech, with a speaker the test ends by hand)."""

from __future__ import annotations

from kiosk import i18n
from kiosk.speech_plan import view_cues
from kiosk.speech_queue import Priority
from screens.walkthrough import Walker, find, pump, wait_for


def _said(kiosk) -> list[str]:
    return [text for text, _ in kiosk.speaker.spoken]


def _finish_all(kiosk) -> None:
    while kiosk.vm.guidance.queue.current is not None:
        kiosk.speaker.finish()
        pump(20)


def test_face_prompts_are_said_whole_in_order(kiosk) -> None:
    """GIVEN assisted mode on the face check WHEN prompts arrive every 0.1 s (from the camera thread)
    THEN the one being said is never cut off, and only the newest waiting prompt follows it."""
    w = Walker(kiosk)
    kiosk.vm.setAssisted(True)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    _finish_all(kiosk)
    kiosk.speaker.hold = True
    keys = ["face_move_closer", "face_hold_still", "face_turn_left", "face_turn_right"]
    start = len(kiosk.speaker.spoken)
    for key in keys:
        kiosk.vm._facePrompt.emit(key)
        pump(100)
    assert kiosk.speaker.interrupted == []
    _finish_all(kiosk)
    said = _said(kiosk)[start:]
    assert said == [i18n.text(keys[0], "zh-CN"), i18n.text(keys[-1], "zh-CN")]


def test_assist_offer_is_spoken_in_standard_mode_with_its_choices(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(2)  # 李秀英, 78
    w.expect("assist_offer")
    title = i18n.spoken("assist_offer", "zh-CN")
    choices = i18n.fmt("spoken_choices", "zh-CN", "、".join([i18n.text("assist_yes", "zh-CN"),
                                                            i18n.text("assist_no", "zh-CN")]))
    wait_for(lambda: choices in _said(kiosk), 5, "the choices")
    assert _said(kiosk)[-2:] == [title, choices]
    big = find(kiosk.window, "btn_assistYes")
    assert big.height() >= 1.5 * kiosk.vm.theme.touch, "the offer's yes is a big button"
    w.click("btn_assistNo")
    w.expect("face_consent")
    assert _said(kiosk)[-1] == choices, "standard mode chosen: the next screen is silent"


def test_input_error_is_spoken_at_once_and_cuts_in(kiosk) -> None:
    """A wrong USCC: the error is an alert; it stops the guidance being said and goes first."""
    w = Walker(kiosk)
    kiosk.vm.setAssisted(True)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    w.wait_for_grant()
    w.click("service_business_certs")
    wait_for(lambda: w.screen in ("business_choice", "uscc_entry"), 10, "business screens")
    if w.screen == "business_choice":
        w.click("btn_business:")
    w.expect("uscc_entry")
    _finish_all(kiosk)
    kiosk.speaker.hold = True
    kiosk.vm.guidance.say("一段很长的说明", "zh-CN")  # guidance being said
    w.type_keys("92330106MA2K8L9M0")
    w.click("btn_confirm")
    wait_for(lambda: kiosk.vm.view["inputError"] != "", 5, "the error line")
    assert kiosk.speaker.interrupted == ["一段很长的说明"]
    kiosk.speaker.finish()
    pump(30)
    assert _said(kiosk)[-1] == i18n.text(kiosk.vm.view["inputError"], "zh-CN")


def test_countdown_is_spoken_when_it_starts(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.vm.setAssisted(True)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.vm.journey.expire_idle()
    wait_for(lambda: find(kiosk.window, "continue") is not None, 5, "the warning")
    pump(50)
    seconds = kiosk.vm.view["warning"]
    assert i18n.fmt("timeout_body", "zh-CN", seconds) in _said(kiosk)
    assert i18n.spoken("timeout_warning", "zh-CN") in _said(kiosk)


def test_view_cues_plan() -> None:
    """The Qt-free plan: the screen's message after its title, an input error as an alert, the countdown
    at its start and at 10 and 5 s, a repeated error not said twice."""
    cues = view_cues({"screen": "face_consent"}, {"screen": "card_problem", "message": "card_expired"})
    assert [(c.key, c.priority) for c in cues] == [("card_expired", Priority.GUIDANCE)]
    assert view_cues({"screen": "uscc_entry", "inputError": ""},
                     {"screen": "uscc_entry", "inputError": "uscc_invalid"})[0].priority is Priority.ALERT
    assert view_cues({"screen": "uscc_entry", "inputError": "uscc_invalid"},
                     {"screen": "uscc_entry", "inputError": "uscc_invalid"}) == []
    said = [c.args[0] for w in range(20, -1, -1)
            for c in view_cues({"screen": "x", "warning": w + 1 if w < 20 else -1}, {"screen": "x", "warning": w})]
    assert said == [20, 10, 5]
    assert view_cues({}, {"screen": "notice", "message": "no_such_key"})[0].text("zh-CN") == ""


def test_assisted_rating_step_two_has_a_way_back(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.vm.setAssisted(True)
    kiosk.reader.insert(0)
    w.to_purpose()
    w.click("btn_purpose_school")
    w.expect("print_done")
    w.click("btn_finish")
    w.expect("rating")
    assert find(kiosk.window, "btn_back") is None  # step 1: nothing to go back to
    w.click("group_good")
    wait_for(lambda: find(kiosk.window, "rate_5") is not None, 5, "step 2")
    pump(100)  # laid out
    w.click("btn_back")
    wait_for(lambda: find(kiosk.window, "group_good") is not None, 5, "step 1 again")
    w.click("btn_skip")
    w.expect("take_card")
    w.remove_card()

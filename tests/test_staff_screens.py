"""Staff at the real screens (pytest-qt, offscreen, the demo stack): the manual identity check
by a signed-in 帮办, wrong PINs with their growing wait and the lockout, roles, the way back."""

from __future__ import annotations

import json

from devices.sim_staff import HELPER, TECHNICIAN
from kiosk.staff import FIRST_LOCKOUT_SECONDS
from screens.walkthrough import Walker, find, wait_for


def _to_staff_check(kiosk) -> Walker:  # noqa: ANN001
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceDecline")
    w.expect("staff_check")
    return w


def _shown_error(kiosk) -> str:  # noqa: ANN001
    wait_for(lambda: kiosk.vm.view["inputError"] not in ("", "staff_checking"), 10, "sign-in answer")
    wait_for(lambda: find(kiosk.window, "staffError") is not None, 5, "error shown")
    return find(kiosk.window, "staffError").property("text")


def test_helper_signs_in_and_the_record_names_them_by_pseudonym(kiosk) -> None:
    w = _to_staff_check(kiosk)
    w.sign_in_staff(HELPER.number, HELPER.pin)
    w.expect("service_menu")
    staff_id = kiosk.vm.journey.session.staff_id
    assert staff_id.startswith("st-")
    wait_for(lambda: any(e["event"] == "identity_check" for e in kiosk.vm.services.audit.log.tail()), 10, "audit")
    entry = [e for e in kiosk.vm.services.audit.log.tail() if e["event"] == "identity_check"][-1]
    assert entry["method"] == "staff" and entry["staff"] == staff_id
    assert HELPER.number not in json.dumps(kiosk.vm.services.audit.log.tail())
    w.remove_card()


def test_wrong_pin_waits_longer_then_locks_out(kiosk) -> None:
    clock = [1_000_000.0]
    kiosk.vm.services.staff._clock = lambda: clock[0]
    w = _to_staff_check(kiosk)
    expected = [("staff_wrong", 1), ("staff_wrong", 2), ("staff_wrong", 4), ("staff_wrong", 8),
                ("staff_locked", FIRST_LOCKOUT_SECONDS)]
    for number, (reason, wait) in enumerate(expected):
        if number == 0:
            w.sign_in_staff(HELPER.number, "999999")
        else:
            w.type_keys("999999")  # the staff number stays; only the PIN is asked again
            w.click("btn_confirm")
        text = _shown_error(kiosk)
        assert kiosk.vm.view["inputError"] == reason and kiosk.vm.view["staffWait"] == wait
        assert str(wait) in text
        kiosk.vm.journey.session.input_error = ""
        clock[0] += wait
    clock[0] -= FIRST_LOCKOUT_SECONDS - 10  # still locked: even the right PIN is refused
    w.type_keys(HELPER.pin)
    w.click("btn_confirm")
    _shown_error(kiosk)
    assert kiosk.vm.view["inputError"] == "staff_locked" and kiosk.vm.journey.screen.value == "staff_check"
    w.remove_card()
    tail = kiosk.vm.services.audit.log.tail()
    assert [e["event"] for e in tail].count("staff_sign_in") == 6 and "staff_lockout" in [e["event"] for e in tail]


def test_technician_may_not_check_citizens(kiosk) -> None:
    w = _to_staff_check(kiosk)
    w.sign_in_staff(TECHNICIAN.number, TECHNICIAN.pin)
    _shown_error(kiosk)
    assert kiosk.vm.view["inputError"] == "staff_not_allowed" and w.screen == "staff_check"
    w.remove_card()


def test_old_shared_code_does_not_verify(kiosk) -> None:
    """The bypass of old: decline the face check, type 2580. Nothing lets the citizen through."""
    w = _to_staff_check(kiosk)
    w.type_keys("2580")
    w.click("btn_confirm")
    w.click("btn_confirm")  # an empty PIN
    wait_for(lambda: kiosk.vm.view["inputError"] == "staff_sign_in_incomplete", 5, "refused")
    w.type_keys("2580")
    w.click("btn_confirm")
    _shown_error(kiosk)
    assert w.screen == "staff_check" and kiosk.vm.journey.session.verified_by == ""
    w.remove_card()


def test_staff_check_has_a_way_back(kiosk) -> None:
    w = _to_staff_check(kiosk)
    w.click("btn_staffBack")
    w.expect("face_consent")
    w.remove_card()

"""Staff cards at the real screens (pytest-qt, offscreen, the demo stack; the card conversation runs
against the virtual staff card applet): a technician's card opens maintenance and asks only the
PIN, pulling it ends the session (mid-action too); forged cards and wrong roles get a plain
message; a 帮办's card fills in the manual check; a 帮办 ends a stuck citizen session.
The same over real pcscd + vpcd: tests/test_staff_card_pcsc_screens.py."""

from __future__ import annotations

import json

from devices.sim_staff import HELPER, TECHNICIAN, demo_card
from devices.vpcd_staff_card import StaffCardApplet
from screens.walkthrough import Walker, find, wait_for


def _audit(kiosk) -> list[dict]:  # noqa: ANN001
    return kiosk.vm.services.audit.log.tail()


def _audited(kiosk, event: str, **fields: str) -> dict:  # noqa: ANN001
    def match() -> dict | None:
        for e in reversed(_audit(kiosk)):
            if e["event"] == event and all(e.get(k) == v for k, v in fields.items()):
                return e
        return None
    wait_for(lambda: match() is not None, 10, f"audit {event} {fields}")
    return match()


def _pin(w: Walker, pin: str) -> None:
    w.type_keys(pin)
    w.click("btn_confirm")


def test_technician_card_opens_maintenance_and_pulling_it_ends_the_session(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert_staff_card(demo_card(TECHNICIAN))
    w.expect("maintenance")
    wait_for(lambda: kiosk.maint.state.get("cardNumber") == TECHNICIAN.number, 10, "card checked")
    field = find(kiosk.window, "staffNumberField")
    assert field is not None
    _pin(w, TECHNICIAN.pin)  # the card is the first factor, the PIN the second
    w.maint_settled("home")
    assert kiosk.maint.state["cardSession"] is True
    staff_id = kiosk.maint.state["staffId"]
    _audited(kiosk, "staff_card", result="ok", staff=staff_id)
    kiosk.reader.remove_staff_card()
    w.expect("attract")
    assert kiosk.maint.model.session is None
    _audited(kiosk, "staff_sign_out", reason="card_pulled", staff=staff_id)
    assert TECHNICIAN.number not in json.dumps(_audit(kiosk))


def test_card_pulled_mid_action_ends_it_safely(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert_staff_card(demo_card(TECHNICIAN))
    wait_for(lambda: kiosk.maint.state.get("cardNumber") == TECHNICIAN.number, 10, "card checked")
    _pin(w, TECHNICIAN.pin)
    w.maint_settled("home")
    wait_for(lambda: len(kiosk.maint.state["checks"]) == 10, 30, "the checks")
    w.click("btn_maintActions")
    w.maint_settled("actions")
    w.click("btn_report")  # the readiness report is being made ...
    kiosk.reader.remove_staff_card()  # ... when the card leaves
    w.expect("attract")
    _audited(kiosk, "staff_sign_out", reason="card_pulled")
    _audited(kiosk, "maintenance", action="report", result="finished_after_sign_out")  # done, and audited
    assert kiosk.maint.state["result"] == "" and kiosk.maint.model.page == ""  # but nothing shows


def test_pulling_the_card_before_the_pin_closes_the_sign_in(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert_staff_card(demo_card(TECHNICIAN))
    wait_for(lambda: kiosk.maint.state.get("cardNumber") == TECHNICIAN.number, 10, "card checked")
    w.type_keys("73")
    kiosk.reader.remove_staff_card()
    w.expect("attract")
    assert kiosk.maint.model.session is None


def test_forged_card_and_wrong_role_get_a_plain_message(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert_staff_card(StaffCardApplet(TECHNICIAN.number))  # the right number, another key
    w.expect("maintenance")
    wait_for(lambda: kiosk.maint.state.get("signInError") == "staff_card_refused", 10, "refused")
    wait_for(lambda: find(kiosk.window, "staffError") is not None, 5, "message")
    assert find(kiosk.window, "staffError").property("text") == kiosk.vm.texts["staff_card_refused"]
    assert kiosk.maint.state["cardNumber"] == "" and kiosk.maint.model.session is None
    _audited(kiosk, "staff_card", result="staff_card_refused")
    kiosk.reader.remove_staff_card()
    w.expect("attract")
    kiosk.reader.insert_staff_card(demo_card(HELPER))  # a 帮办 may not maintain the kiosk
    wait_for(lambda: kiosk.maint.state.get("signInError") == "staff_not_allowed", 10, "not allowed")
    kiosk.reader.remove_staff_card()
    w.expect("attract")
    garbled = demo_card(TECHNICIAN)
    garbled.overrides[(0x88, 0x00)] = b"\x01\x02\x90\x00"  # a cut-off signature
    kiosk.reader.insert_staff_card(garbled)
    wait_for(lambda: kiosk.maint.state.get("signInError") == "staff_card_unreadable", 10, "unreadable")
    kiosk.reader.remove_staff_card()
    w.expect("attract")


def test_helper_card_fills_in_the_manual_check(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceDecline")
    w.expect("staff_check")
    kiosk.reader.insert_staff_card(demo_card(HELPER))
    wait_for(lambda: kiosk.vm.staff_desk.state.get("checkNumber") == HELPER.number, 10, "card checked")
    _pin(w, HELPER.pin)
    w.expect("service_menu")
    entry = _audited(kiosk, "identity_check")
    assert entry["method"] == "staff" and entry["staff"].startswith("st-")
    kiosk.reader.remove_staff_card()
    assert w.screen == "service_menu"  # the check is done; the citizen goes on
    w.remove_card()


def test_helper_ends_a_stuck_session(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.reader.insert_staff_card(demo_card(HELPER))
    wait_for(lambda: find(kiosk.window, "unlockOverlay") is not None, 10, "unlock prompt")
    _pin(w, "999999")  # a wrong PIN: nothing ends
    wait_for(lambda: kiosk.vm.staff_desk.state["unlockError"] == "staff_wrong", 10, "wrong PIN")
    assert w.screen == "face_consent" and kiosk.vm.journey.session is not None
    kiosk.vm.services.staff._clock = lambda: 10**10  # the wait after a wrong PIN has passed
    _pin(w, HELPER.pin)
    w.expect("take_card")  # wiped; the citizen is asked to take the card
    assert kiosk.vm.journey.session is None
    _audited(kiosk, "session_unlocked")
    wait_for(lambda: find(kiosk.window, "unlockOverlay") is None, 5, "prompt gone")
    kiosk.reader.remove_staff_card()
    w.remove_card()
    w.expect("attract")


def test_pulling_the_card_takes_the_unlock_prompt_away(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.reader.insert_staff_card(demo_card(HELPER))
    wait_for(lambda: find(kiosk.window, "unlockOverlay") is not None, 10, "unlock prompt")
    kiosk.reader.remove_staff_card()
    wait_for(lambda: find(kiosk.window, "unlockOverlay") is None, 5, "prompt gone")
    assert w.screen == "face_consent" and kiosk.vm.journey.session is not None
    w.remove_card()

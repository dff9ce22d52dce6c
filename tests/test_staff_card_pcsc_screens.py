"""The staff card through the real screens AND the real pcscd + vpcd (pytest-qt, offscreen): the
kiosk's own PC/SC driver reads the virtual staff card, the technician gives the PIN, maintenance
opens; pulling the card out of the virtual reader ends the staff session. A card pulled in the
middle of its authentication signs nobody in and says so."""

from __future__ import annotations

import pytest

from devices.vpcd_card import VirtualCard
from devices.vpcd_staff_card import StaffCardApplet
from kiosk.staff import StaffDirectory
from screens.walkthrough import Walker, find, wait_for
from tests.pcscd_harness import pcscd  # noqa: F401

NUMBER, PIN = "20045", "731642"


@pytest.fixture
def pcsc_kiosk(qapp, qml_warnings, kiosk_config, pcscd):  # noqa: F811
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    config = kiosk_config.with_overrides(reader__driver="pcsc", reader__poll_interval=0.1)
    staff = StaffDirectory(config.path("kiosk.state_dir") / "staff.json")
    applet = StaffCardApplet(NUMBER)
    staff.add(NUMBER, PIN, ["technician"])
    staff.register_card(NUMBER, applet.public_key)
    k = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    k.applet = applet
    yield k
    k.close()
    pcscd.wait_until_empty()


def test_technician_card_over_pcscd(pcsc_kiosk) -> None:
    k = pcsc_kiosk
    w = Walker(k)
    card = VirtualCard(k.applet).insert()
    try:
        w.expect("maintenance", timeout=15)
        wait_for(lambda: k.maint.state.get("cardNumber") == NUMBER, 15, "card checked")
        w.type_keys(PIN)
        w.click("btn_confirm")
        w.maint_settled("home")
        assert k.maint.state["cardSession"] is True
    finally:
        card.remove()
    w.expect("attract", timeout=15)
    assert k.maint.model.session is None
    events = [e for e in k.vm.services.audit.log.tail() if e["event"] == "staff_sign_out"]
    assert events and events[-1]["reason"] == "card_pulled"


def test_card_pulled_mid_authentication_over_pcscd(pcsc_kiosk) -> None:
    k = pcsc_kiosk
    w = Walker(k)
    VirtualCard(k.applet, pull_after=4).insert()  # gone when INTERNAL AUTHENTICATE arrives
    w.expect("maintenance", timeout=15)
    wait_for(lambda: k.maint.state.get("signInError") == "staff_card_pulled", 15, "plain message")
    assert find(k.window, "staffError").property("text") == k.vm.texts["staff_card_pulled"]
    assert k.maint.model.session is None and k.applet.signed == 0
    w.click("btn_staffBack")
    w.expect("attract")
    assert any(e["event"] == "staff_card" and e["result"] == "staff_card_pulled"
               for e in k.vm.services.audit.log.tail())

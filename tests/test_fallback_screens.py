"""After a failed print, in the real kiosk UI with the reference platform over HTTP (issue 17, part 2).

GIVEN the demo kiosk (its local reference platform on 127.0.0.1, simulated printers),
WHEN a copy cannot be printed, THEN the citizen can have the e-certificate sent to their app (it
lands in the platform's wallet), take a counter number (on a slip, or on screen), or, with the
platform stopped at print time, leave the application; and only what was done is rated.
"""

from __future__ import annotations

import time

import pytest

from kiosk.interfaces import PrinterState
from screens.walkthrough import Walker, find, items, pump, wait_for


def _to_failed_print(kiosk) -> Walker:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.to_purpose()
    kiosk.printer.fail_with = PrinterState.OUT_OF_PAPER
    w.click("btn_purpose_school")
    w.expect("print_failed")
    return w


def _buttons(w: Walker) -> set[str]:
    return {name for name in ("btn_retryPrint", "btn_queueOffline", "btn_sendToApp", "btn_goToCounter", "btn_finish")
            if find(w.window, name) is not None}


def test_send_to_app_lands_in_the_wallet_and_is_rated_as_such(kiosk) -> None:
    from devices.sim_people import SAMPLE_PEOPLE

    w = _to_failed_print(kiosk)
    assert _buttons(w) == {"btn_retryPrint", "btn_queueOffline", "btn_sendToApp", "btn_goToCounter", "btn_finish"}
    w.click("btn_sendToApp")
    w.expect("sent_to_app")
    wallet = kiosk.platform_server.store.wallet_of("resident_id", SAMPLE_PEOPLE[0].number)
    assert len(wallet) == 1 and wallet[0]["source"] == "kiosk"
    w.click("btn_finish")
    w.expect("rating")
    assert find(w.window, "ratingSubject").property("text") == kiosk.vm.texts["rating_subject_sent_to_app"]


@pytest.mark.parametrize("slip", [True, False])
def test_counter_number_on_a_slip_or_on_screen_and_no_rating(kiosk, slip: bool) -> None:
    receipts = kiosk.vm.services.receipts
    if not slip:
        receipts.state_value = PrinterState.OUT_OF_PAPER  # the receipt printer is out too: the number on screen
    w = _to_failed_print(kiosk)
    w.click("btn_goToCounter")
    wait_for(lambda: bool(kiosk.vm.view.get("counterNumber")), 10, "the counter number")
    number = kiosk.vm.view["counterNumber"]
    assert kiosk.vm.view["receipt"] == ("printed" if slip else "failed")
    slips = list(receipts.folder.glob(f"receipt-{number}.txt"))
    assert bool(slips) is slip and (not slip or number in slips[0].read_text(encoding="utf-8"))
    texts = [item.property("text") or "" for item in items(w.window.contentItem())]
    assert any(number in text for text in texts if isinstance(text, str))  # the number, big, on screen
    assert kiosk.vm.texts["counter_ticket_printed" if slip else "counter_ticket_screen"] in texts
    w.click("btn_finish")
    w.expect("take_card")  # nothing was done here: no rating of a service that failed


def test_platform_stopped_at_print_time_offers_the_queue(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.to_purpose()
    kiosk.platform_server.stop()
    w.click("btn_purpose_school")
    w.expect("print_failed", timeout=30)
    assert kiosk.vm.view["message"] in ("platform_offline", "platform_timeout")
    assert "btn_sendToApp" not in _buttons(w) and "btn_queueOffline" in _buttons(w)
    w.click("btn_queueOffline")
    w.expect("queued")
    wait_for(lambda: kiosk.vm.view.get("receipt") in ("printed", "failed"), 10, "the receipt")
    assert kiosk.vm.view["certificateType"] and kiosk.vm.view["purpose"] == "purpose_school"
    rows = [r for r in kiosk.outbox.take(50) if r.kind == "application"]
    assert rows and rows[0].payload["purpose"] == "办理入学" and rows[0].payload["certificate_type"]


def test_offline_application_from_the_screens_is_fulfilled_when_the_platform_is_back(kiosk) -> None:
    """The platform drops every connection at search time: the citizen picks the certificate and its use,
    takes the receipt; once the platform answers again, the outbox delivers and the certificate is in the
    holder's app wallet, as the receipt says."""
    from devices.sim_people import SAMPLE_PEOPLE
    from sync.engine import sync_once

    server = kiosk.platform_server
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    w.wait_for_grant()
    server.faults.offline = True
    w.personal_certs()  # 为谁办理 (someone delegated to him): himself
    w.expect("notice", timeout=30)
    w.click("btn_queueOffline")
    w.expect("queue_choice")
    w.click("btn_queueChoice:cert_type_social")
    wait_for(lambda: kiosk.vm.view.get("queueStep") == "purpose", 5, "the purpose step")
    pump(100)  # the new choices laid out
    w.click("btn_queueChoice:purpose_other")  # 其他: which matter
    wait_for(lambda: kiosk.vm.view.get("queueStep") == "matter", 5, "the matter step")
    pump(100)
    w.click("btn_queueChoice:matter_housing_fund")
    w.expect("queued")
    wait_for(lambda: kiosk.vm.view.get("receipt") == "printed", 10, "the receipt")
    receipt = (kiosk.vm.services.receipts.folder / f"receipt-{kiosk.vm.view['trackingCode']}.txt").read_text("utf-8")
    assert "社会保险参保证明" in receipt and "公积金" in receipt and "无需再来" not in receipt
    server.faults.offline = False
    done = []
    kiosk.vm.tasks.run("network", lambda: sync_once(kiosk.outbox, kiosk.platform, now=time.time() + 3600),
                       done.append)
    wait_for(lambda: any(r["kind"] == "application" for r in server.received()), 20, "the application delivered")
    (app,) = [r["payload"] for r in server.received() if r["kind"] == "application"]
    assert app["certificate_type"] == "社会保险参保证明" and "公积金" in app["purpose"]
    wallet = server.store.wallet_of("resident_id", SAMPLE_PEOPLE[0].number)
    assert [server.store.certificate(x["cert_id"])["name"] for x in wallet] == ["社会保险参保证明"]

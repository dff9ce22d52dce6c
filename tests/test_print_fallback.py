"""After a failed print: queue it for later, a counter ticket, or the e-certificate in the app; rate only
what was done (issue 17, part 2). Fast journey tests with fakes; the real screens, the real platform
over HTTP and the sync side are in tests/test_fallback_screens.py and tests/test_application_delivery.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.interfaces import PlatformError, PlatformErrorKind, PrinterState, PrintResult
from kiosk.journey import Screen
from kiosk.journey_view import build_view
from printing.receipt_sim import SimulatedReceiptPrinter, render_text
from tests.journey_driver import Harness


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    h = Harness(face_enabled=False)
    h.services.receipts = SimulatedReceiptPrinter(tmp_path / "receipts")
    return h


def _failed_print(h: Harness, reason: str = "printer_out_of_paper") -> None:
    h.printer.results.append(PrintResult(False, "", reason, "print"))
    h.drive_to(Screen.PRINT_FAILED)


def _rows(h: Harness, kind: str) -> list[dict]:
    return [p for k, p in h.outbox.rows if k == kind]


def test_failed_print_offers_every_way_and_is_not_rated(h: Harness) -> None:
    _failed_print(h)
    view = build_view(h.journey)
    assert view["canRetry"] and view["canQueue"] and view["canSendToApp"] and view["canTakeTicket"]
    h.journey.finish()
    assert h.journey.screen in (Screen.DONE, Screen.TAKE_CARD)  # no rating of a service that failed
    assert _rows(h, "rating") == []


def test_queue_it_for_later_carries_certificate_and_purpose(h: Harness) -> None:
    _failed_print(h)
    cert = h.journey.session.selected
    h.journey.queue_offline()
    view = build_view(h.journey)
    assert h.journey.screen is Screen.QUEUED and view["receipt"] == "printed"
    assert view["certificateType"] == cert.name and view["purpose"] == "purpose_school"
    (app,) = _rows(h, "application")
    assert app["certificate_type"] == cert.name and app["purpose"] == "办理入学"
    assert app["holder_code"] == h.journey.session.holder_code
    text = render_text(h.services.receipts.receipts[0])
    assert cert.name in text and "办理入学" in text and "无需再来" not in text
    h.journey.back()
    assert h.journey.screen is Screen.SERVICE_MENU
    h.journey.finish()
    assert h.journey.screen is Screen.RATING and build_view(h.journey)["ratingSubject"] == "rating_subject_queued"
    h.journey.rate(4)
    assert _rows(h, "rating")[0]["rated"] == "queued"


def test_send_to_app(h: Harness) -> None:
    _failed_print(h)
    cert_id = h.journey.session.selected.cert_id
    h.journey.send_to_app()
    assert h.journey.screen is Screen.SENT_TO_APP and h.platform.sent_to_app == [cert_id]
    assert h.platform.seen_grants[-1] is not None  # authorised by the session's grant
    h.journey.finish()
    assert build_view(h.journey)["ratingSubject"] == "rating_subject_sent_to_app"


def test_send_to_app_offline_leaves_the_other_ways(h: Harness) -> None:
    _failed_print(h)
    h.platform.file_error = PlatformError(PlatformErrorKind.OFFLINE, "connection")
    h.journey.send_to_app()
    view = build_view(h.journey)
    assert h.journey.screen is Screen.PRINT_FAILED and view["message"] == "platform_offline"
    assert not view["canSendToApp"] and view["canQueue"]


@pytest.mark.parametrize("receipt_state", [PrinterState.READY, PrinterState.OUT_OF_PAPER])
def test_counter_ticket_on_a_receipt_or_on_screen(h: Harness, receipt_state: PrinterState) -> None:
    h.services.receipts.state_value = receipt_state
    _failed_print(h)
    h.journey.go_to_counter()
    view = build_view(h.journey)
    number = view["counterNumber"]
    assert h.journey.screen is Screen.COUNTER_TICKET and len(number) == 4 and number.startswith("K")
    printed = receipt_state is PrinterState.READY
    assert view["receipt"] == ("printed" if printed else "failed")
    assert [r.ticket_number for r in h.services.receipts.receipts] == ([number] if printed else [])
    (record,) = _rows(h, "counter_ticket")
    assert record["ticket_number"] == number and record["reason"] == "printer_out_of_paper"
    assert h.journey.session.holder_code not in str(record)
    h.journey.finish()
    assert h.journey.screen is not Screen.RATING  # nothing was done here


def test_platform_unreachable_at_print_time_offers_the_queue(h: Harness) -> None:
    h.platform.file_error = PlatformError(PlatformErrorKind.TIMEOUT, "read")
    h.drive_to(Screen.PRINT_FAILED)
    view = build_view(h.journey)
    assert view["message"] == "platform_timeout" and view["canQueue"] and not view["canSendToApp"]
    h.journey.queue_offline()
    assert h.journey.screen is Screen.QUEUED and _rows(h, "application")[0]["certificate_type"]


def test_queue_choice_steps_back_and_refuses_strangers(h: Harness) -> None:
    h.drive_to(Screen.QUEUE_CHOICE)
    j = h.journey
    assert build_view(j)["choices"][0] == "cert_type_household"
    j.choose_queue_item("purpose_school")  # not a certificate: ignored
    assert j.session.queue_step == "certificate"
    j.choose_queue_item("cert_type_tax")
    j.choose_queue_item("purpose_other")
    assert build_view(j)["queueStep"] == "matter" and build_view(j)["choices"][0] == "matter_household"
    j.back()
    assert j.session.queue_step == "purpose"
    j.back()
    assert j.session.queue_step == "certificate"
    j.back()
    assert j.screen is Screen.SERVICE_MENU


def test_rating_says_what_it_rates(h: Harness) -> None:
    h.drive_to(Screen.RATING)
    assert build_view(h.journey)["ratingSubject"] == "rating_subject_printed"


def test_a_failed_search_alone_is_not_rated(h: Harness) -> None:
    h.drive_to(Screen.NOTICE)
    h.journey.finish()
    assert h.journey.screen is not Screen.RATING


def test_fallbacks_are_audited_without_content(h: Harness) -> None:
    from kiosk.audit_trail import JourneyAuditor
    from kiosk.journey_fallback import SendToApp, TakeCounterTicket

    _failed_print(h)
    h.journey.send_to_app()
    h.journey.back()
    auditor = JourneyAuditor()
    found = [(event, fields) for effect in h.effects if isinstance(effect, SendToApp | TakeCounterTicket)
             for event, fields in auditor.events(effect, h.journey)]
    assert [event for event, _ in found if event != "session_start"] == ["send_to_app"]
    cert = h.platform.certificates[0]
    assert cert.cert_id not in str(found) and cert.holder_code not in str(found)

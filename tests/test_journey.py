"""Qt-free tests of the journey state machine."""

from __future__ import annotations

import pytest

from devices.sim_people import SAMPLE_PEOPLE
from devices.sim_staff import HELPER
from kiosk.interfaces import FaceOutcome, PrintResult
from kiosk.journey import (
    BUSY_SCREENS,
    MATTERS,
    LoadCertificates,
    PrintCertificate,
    Record,
    Screen,
    SessionEnded,
    Speak,
    VerifyFace,
)
from kiosk.journey_view import build_view
from tests.journey_driver import Harness

ALL = list(Screen)
# After a session ends the journey may still wait for the card (TAKE_CARD) or a print (CARD_PULLED).
AFTER_SESSION = (Screen.TAKE_CARD, Screen.CARD_PULLED)
WITH_SESSION = [s for s in ALL
                if s not in (Screen.ATTRACT, Screen.INSERT_CARD, Screen.OUT_OF_SERVICE, Screen.MAINTENANCE)
                + AFTER_SESSION]


@pytest.mark.parametrize("screen", ALL)
def test_every_screen_is_reachable(screen: Screen) -> None:
    h = Harness()
    h.drive_to(screen)
    assert h.journey.screen is screen
    assert build_view(h.journey)["screen"] == screen.value


def test_happy_path_records_without_personal_data() -> None:
    h = Harness()
    h.drive_to(Screen.DONE)
    kinds = [k for k, _ in h.outbox.rows]
    assert kinds == ["identity_check", "print", "rating"]
    blob = repr(h.outbox.rows)
    person = SAMPLE_PEOPLE[0]
    assert person.number not in blob and person.name not in blob
    assert h.outbox.rows[2][1]["level"] == 5 and h.outbox.rows[2][1]["channel"] == "hall_terminal"


@pytest.mark.parametrize("screen", WITH_SESSION)
def test_card_removed_at_any_step_ends_session(screen: Screen) -> None:
    h = Harness()
    h.drive_to(screen)
    session = h.journey.session
    h.journey.card_removed()
    assert h.journey.screen is (Screen.CARD_PULLED if screen is Screen.PRINTING else Screen.ATTRACT)
    assert h.journey.session is None
    assert session.document is None and session.certificates == [] and session.holder_code == ""
    assert any(isinstance(e, SessionEnded) for e in h.effects[-2:])


@pytest.mark.parametrize("screen", [s for s in ALL if s not in (Screen.ATTRACT, Screen.OUT_OF_SERVICE,
                                                                  Screen.MAINTENANCE) + AFTER_SESSION])
@pytest.mark.parametrize("assisted", [False, True])
def test_inactivity_warns_then_wipes_at_every_step(screen: Screen, assisted: bool) -> None:
    h = Harness(idle_seconds=60, warning_seconds=20)
    h.drive_to(screen)
    h.journey.set_assisted(assisted) if screen is not Screen.ASSIST_OFFER else None
    h.release()  # busy screens finish their work, as a real worker would
    h.hold = False
    factor = 2 if h.journey.assisted else 1
    if h.journey.screen is Screen.DONE:
        h.advance(15)
        assert h.journey.screen is Screen.ATTRACT
        return
    h.advance(60 * factor - 1)
    assert build_view(h.journey)["warning"] == -1
    h.advance(1)
    assert build_view(h.journey)["warning"] == 20 * factor
    h.advance(20 * factor - 1)
    shown = h.journey.screen
    assert shown is not Screen.ATTRACT and shown not in AFTER_SESSION
    h.advance(1)
    assert h.journey.session is None
    if screen is not Screen.INSERT_CARD:  # the card still lies on the reader: ask for it first
        assert h.journey.screen is Screen.TAKE_CARD and build_view(h.journey)["endReason"] == "timeout"
        h.journey.card_removed()
    assert h.journey.screen is Screen.ATTRACT
    assert h.journey.assisted is False and h.journey.language == "zh-CN"


def test_warning_is_extendable() -> None:
    h = Harness()
    h.drive_to(Screen.SERVICE_MENU)
    h.advance(60)
    assert h.journey.warning_remaining() == 20
    h.advance(15)
    h.journey.activity()
    assert h.journey.warning_remaining() is None
    h.advance(59)
    assert h.journey.screen is Screen.SERVICE_MENU


def test_busy_screens_never_time_out() -> None:
    for screen in (Screen.LOADING, Screen.PRINTING, Screen.FACE_CHECK):
        h = Harness()
        h.drive_to(screen)
        assert screen in BUSY_SCREENS
        h.advance(600)
        assert h.journey.screen is screen


def test_late_results_for_an_ended_session_are_ignored() -> None:
    h = Harness()
    h.drive_to(Screen.LOADING)
    h.journey.card_removed()
    h.release()  # the platform answers after the citizen left
    assert h.journey.screen is Screen.ATTRACT and h.journey.session is None
    h.hold = False
    h.drive_to(Screen.SERVICE_MENU)
    stale = next(e for e in h.effects if isinstance(e, LoadCertificates))
    h.journey.certificates_finished(stale.ticket, [])
    assert h.journey.screen is Screen.SERVICE_MENU


def test_expired_card_is_refused_plainly() -> None:
    h = Harness()
    h.journey.card_presented(SAMPLE_PEOPLE[5])
    assert h.journey.screen is Screen.CARD_PROBLEM
    assert build_view(h.journey)["message"] == "card_expired"
    h.journey.finish()
    assert h.journey.screen is Screen.TAKE_CARD
    h.journey.card_removed()
    assert h.journey.screen is Screen.ATTRACT


def test_unreadable_card_then_good_card() -> None:
    h = Harness()
    h.journey.card_failed("card_unreadable")
    assert build_view(h.journey)["message"] == "card_unreadable"
    h.journey.card_presented(SAMPLE_PEOPLE[0])
    assert h.journey.screen is Screen.FACE_CONSENT


def test_elderly_holder_is_offered_assisted_mode() -> None:
    h = Harness()
    h.journey.card_presented(SAMPLE_PEOPLE[2])
    assert h.journey.screen is Screen.ASSIST_OFFER
    h.journey.accept_assist(True)
    assert h.journey.assisted and h.journey.screen is Screen.FACE_CONSENT


def test_each_sample_person_is_accepted_or_plainly_refused() -> None:
    for index, person in enumerate(SAMPLE_PEOPLE):
        h = Harness()
        h.journey.card_presented(person)
        expected = Screen.CARD_PROBLEM if index == 5 else (Screen.ASSIST_OFFER if index == 2 else Screen.FACE_CONSENT)
        assert h.journey.screen is expected, person


def _demo_staff(tmp_path):  # noqa: ANN001, ANN202
    from devices.sim_staff import provision_demo_staff
    from kiosk.staff import StaffDirectory

    staff = StaffDirectory(tmp_path / "staff.json")
    provision_demo_staff(staff)
    return staff


def test_declining_face_check_calls_staff_and_never_blocks(tmp_path) -> None:  # noqa: ANN001
    h = Harness()
    h.drive_to(Screen.FACE_CONSENT)
    h.journey.face_consent(False)
    assert h.journey.screen is Screen.STAFF_CHECK and h.journey.staff_called
    assert ("help_request", ) == tuple(k for k, _ in h.outbox.rows)
    h.services.staff = _demo_staff(tmp_path)
    h.journey.staff_confirm(HELPER.number, "000000")
    assert build_view(h.journey)["inputError"] == "staff_wrong"
    h.services.staff._clock = lambda: 1e12  # past the wait after a wrong try
    h.journey.staff_confirm(HELPER.number, HELPER.pin)
    assert h.journey.screen is Screen.SERVICE_MENU and h.journey.session.verified_by == "staff"
    assert not any(isinstance(e, VerifyFace) for e in h.effects)


def test_three_face_failures_lead_to_staff() -> None:
    h = Harness()
    h.drive_to(Screen.FACE_CONSENT)
    h.face.script.extend([FaceOutcome(False, True, 0.8, "face_no_match")] * 3)
    for attempt in range(3):
        h.journey.face_consent(True)
        assert h.journey.screen is Screen.FACE_FAILED
        assert build_view(h.journey)["attemptsLeft"] == 2 - attempt
    h.journey.face_consent(True)  # no more tries: the alternative
    assert h.journey.screen is Screen.STAFF_CHECK


def test_business_needs_a_valid_uscc() -> None:
    h = Harness()
    h.drive_to(Screen.USCC_ENTRY)
    h.journey.enter_uscc("91330106MA2B3C4D5")
    assert build_view(h.journey)["inputError"] == "uscc_length"
    h.journey.enter_uscc("91330106MA2B3C4D5X")
    assert build_view(h.journey)["inputError"] == "uscc_invalid"
    h.journey.enter_uscc("91330106ma2b3c4d5d")
    assert h.journey.screen is Screen.CERT_LIST
    assert h.journey.session.holder_code == "91330106MA2B3C4D5D"


def test_platform_offline_is_a_plain_notice() -> None:
    h = Harness()
    h.drive_to(Screen.NOTICE)
    assert build_view(h.journey)["message"] == "platform_offline"
    h.journey.back()
    assert h.journey.screen is Screen.SERVICE_MENU


def test_print_failure_allows_one_retry() -> None:
    h = Harness()
    h.drive_to(Screen.PRINT_FAILED)
    assert build_view(h.journey)["canRetry"] is True
    h.printer.results.append(PrintResult(False, "", "printer_jammed"))
    h.journey.retry_print()
    assert h.journey.screen is Screen.PRINT_FAILED
    assert build_view(h.journey)["canRetry"] is False
    h.journey.retry_print()
    assert sum(isinstance(e, PrintCertificate) for e in h.effects) == 2
    prints = [p for k, p in h.outbox.rows if k == "print"]
    assert [p["ok"] for p in prints] == [False, False]


def test_printer_not_ready_is_checked_before_printing() -> None:
    from kiosk.interfaces import PrinterState
    h = Harness()
    h.printer.current = PrinterState.OUT_OF_PAPER
    h.drive_to(Screen.PRINT_DONE)
    assert h.journey.screen is Screen.PRINT_FAILED and h.printer.printed == 0
    assert build_view(h.journey)["message"] == "printer_out_of_paper"


def test_assisted_mode_limits_choices() -> None:
    h = Harness()
    h.platform.certificates = h.platform.certificates * 3
    h.drive_to(Screen.CERT_LIST)
    h.journey.set_assisted(True)
    view = build_view(h.journey)
    assert len(view["certificates"]) == 2
    h.journey.turn_page(1)
    assert build_view(h.journey)["page"] == 1
    h.journey.select_certificate(view["certificates"][0]["id"])
    h.journey.confirm_preview()
    assert len(build_view(h.journey)["purposes"]) <= 3
    h.journey.choose_purpose("purpose_loan")
    h.journey.finish()
    assert build_view(h.journey)["groups"] == ["good", "neutral", "bad"]
    h.journey.rate_group("bad")
    assert build_view(h.journey)["levels"] == [2, 1]
    h.journey.rate(1)
    assert h.journey.screen is Screen.TAKE_CARD and build_view(h.journey)["endReason"] == "done"
    assert [p["level"] for k, p in h.outbox.rows if k == "rating"] == [1]


def test_display_settings_reset_after_session() -> None:
    h = Harness()
    h.journey.set_language("en")
    h.journey.set_assisted(True)
    h.drive_to(Screen.DONE)
    h.journey.card_removed()
    assert (h.journey.language, h.journey.assisted) == ("zh-CN", False)


def test_every_screen_change_asks_for_speech() -> None:
    h = Harness()
    h.drive_to(Screen.TAKE_CARD)
    spoken = {e.key for e in h.effects if isinstance(e, Speak)}
    assert {"insert_card", "face_consent", "service_menu", "cert_list", "rating", "take_card"} <= spoken


def test_actions_at_odd_moments_are_ignored() -> None:
    h = Harness()
    j = h.journey
    for action in (lambda: j.rate(5), lambda: j.retry_print(), lambda: j.confirm_preview(),
                   lambda: j.select_certificate("x"), lambda: j.enter_uscc("1"), lambda: j.staff_confirm("1", "1"),
                   lambda: j.face_consent(True), lambda: j.choose_purpose("purpose_school"),
                   lambda: j.choose_service("personal_certs"), lambda: j.finish(), lambda: j.back(),
                   lambda: j.print_another(), lambda: j.accept_assist(True), lambda: j.card_removed()):
        action()
        assert j.screen is Screen.ATTRACT
    h.drive_to(Screen.CERT_LIST)
    j.card_presented(SAMPLE_PEOPLE[1])  # a second card while one is in use
    assert j.screen is Screen.CERT_LIST and j.session.document is SAMPLE_PEOPLE[0]
    j.choose_service("nonsense")
    j.select_certificate("missing")
    assert j.screen is Screen.CERT_LIST


def test_effects_never_show_personal_data_in_repr() -> None:
    h = Harness()
    h.drive_to(Screen.DONE)
    person = SAMPLE_PEOPLE[0]
    text = repr(h.effects) + repr(h.journey.session) + repr(person)
    assert person.number not in text and person.name not in text
    records = [e for e in h.effects if isinstance(e, Record)]
    assert records and all(person.number not in repr(r.payload) for r in records)


def test_out_of_service_ends_a_session_and_refuses_cards() -> None:
    h = Harness()
    h.drive_to(Screen.CERT_LIST)
    h.journey.set_out_of_service("out_of_service_technician")
    assert h.journey.screen is Screen.TAKE_CARD and h.journey.session is None  # the citizen's card first
    h.journey.card_removed()
    assert h.journey.screen is Screen.OUT_OF_SERVICE
    h.journey.start()
    h.journey.card_presented(SAMPLE_PEOPLE[0])
    assert h.journey.screen is Screen.OUT_OF_SERVICE and h.journey.session is None
    h.journey.card_removed()
    h.advance(600)
    assert h.journey.screen is Screen.OUT_OF_SERVICE  # no inactivity timer takes it away
    h.journey.set_out_of_service("audit_unavailable")
    h.journey.set_out_of_service("out_of_service_technician", False)
    assert h.journey.screen is Screen.OUT_OF_SERVICE  # another reason still holds
    assert build_view(h.journey)["outOfService"] == "audit_unavailable"
    h.journey.set_out_of_service("audit_unavailable", False)
    assert h.journey.screen is Screen.ATTRACT


def test_maintenance_only_between_citizens() -> None:
    h = Harness()
    h.drive_to(Screen.FACE_CONSENT)
    assert not h.journey.enter_maintenance()
    h.journey.card_removed()
    assert h.journey.enter_maintenance() and h.journey.screen is Screen.MAINTENANCE
    h.journey.card_presented(SAMPLE_PEOPLE[0])
    assert h.journey.screen is Screen.MAINTENANCE and h.journey.session is None
    h.journey.set_out_of_service("out_of_service_technician")
    h.journey.leave_maintenance()
    assert h.journey.screen is Screen.OUT_OF_SERVICE


def test_other_purpose_asks_for_the_matter_and_prints_only_a_matter() -> None:
    """其他 restricts nothing, so it is never printed: the citizen picks the matter (with a way back)."""
    h = Harness()
    h.drive_to(Screen.PURPOSE)
    j = h.journey
    j.choose_purpose("purpose_other")
    view = build_view(j)
    assert j.screen is Screen.PURPOSE and view["askingMatter"] and view["purposes"] == list(MATTERS)
    assert Speak("purpose_matter") in h.effects
    j.choose_purpose("purpose_other")
    j.choose_purpose("purpose_school")  # not on the list now
    assert j.screen is Screen.PURPOSE and h.printer.printed == 0
    j.back()
    assert j.screen is Screen.PURPOSE and build_view(j)["purposes"] == ["purpose_school", "purpose_loan",
                                                                         "purpose_other"]
    j.choose_purpose("purpose_other")
    j.choose_purpose("matter_social_security")
    assert j.screen is Screen.PRINT_DONE
    import io

    from pypdf import PdfReader
    assert "仅供办理社保业务使用" in PdfReader(io.BytesIO(h.printer.jobs[-1])).pages[0].extract_text()
    assert [p["purpose"] for k, p in h.outbox.rows if k == "print"] == ["matter_social_security"]


def test_no_public_verification_address_no_copies() -> None:
    h = Harness()
    h.services.public_url = ""
    h.drive_to(Screen.PRINT_DONE)
    assert h.journey.screen is Screen.PRINT_FAILED and h.printer.printed == 0 and h.platform.stamped == 0
    assert build_view(h.journey)["message"] == "print_no_public_url"

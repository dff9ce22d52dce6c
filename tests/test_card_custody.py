"""The ID card is never left behind, and a print outlives a pulled card truthfully (Qt-free)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.sim_people import SAMPLE_PEOPLE
from kiosk.interfaces import PrintResult
from kiosk.journey import CallStaff, Screen, SessionEnded, Speak
from kiosk.journey_view import build_view
from tests.journey_driver import Harness


def alerts(h: Harness, key: str = "take_card") -> int:
    return sum(1 for e in h.effects if isinstance(e, Speak) and e.alert and e.key == key)


def end_by(h: Harness, how: str) -> None:
    j = h.journey
    if how == "done":
        h.drive_to(Screen.RATING)
        j.rate(4)
    elif how == "timeout":
        h.drive_to(Screen.CERT_LIST)
        h.advance(80)
    elif how == "cancelled":
        h.drive_to(Screen.CARD_PROBLEM)
        j.finish()


@pytest.mark.parametrize("how", ["done", "timeout", "cancelled"])
def test_every_ending_asks_for_the_card_until_it_is_lifted(how: str) -> None:
    """GIVEN a session with the card on the reader WHEN it ends in any way
    THEN 请取走您的身份证 shows, sounds and speaks again and again, and only lifting the card brings attract."""
    h = Harness(take_card_reminder_seconds=8, take_card_staff_seconds=30)
    h.journey.set_language("en")
    end_by(h, how)
    j = h.journey
    assert j.screen is Screen.TAKE_CARD and j.session is None
    assert build_view(j)["endReason"] == how
    assert j.language == "en"  # the same person still reads the screen
    assert any(isinstance(e, SessionEnded) and e.reason == how for e in h.effects)
    first = alerts(h)
    assert first == 1
    h.advance(25)
    assert alerts(h) == 1 + 3  # every 8 s
    j.start()  # nobody may start a new session beside the card
    j.card_presented(SAMPLE_PEOPLE[1])
    assert j.screen is Screen.TAKE_CARD and j.session is None
    j.card_removed()
    assert j.screen is Screen.ATTRACT and j.language == "zh-CN" and not j.assisted


def test_staff_are_called_once_for_a_forgotten_card() -> None:
    h = Harness(take_card_staff_seconds=30)
    end_by(h, "done")
    h.advance(29)
    assert not any(isinstance(e, CallStaff) for e in h.effects)
    h.advance(1)
    calls = [e for e in h.effects if isinstance(e, CallStaff)]
    assert [(c.reason, c.screen) for c in calls] == [("card_left_behind", "take_card")]
    assert build_view(h.journey)["staffCalled"] is True
    assert ("help_request", "card_left_behind") in [(k, p.get("reason")) for k, p in h.outbox.rows]
    h.advance(120)
    assert len([e for e in h.effects if isinstance(e, CallStaff)]) == 1
    h.journey.card_removed()
    assert h.journey.screen is Screen.ATTRACT and h.journey.staff_called is False


def test_no_card_no_take_card_screen() -> None:
    h = Harness()
    h.drive_to(Screen.INSERT_CARD)
    h.journey.back()
    assert h.journey.screen is Screen.ATTRACT


@pytest.mark.parametrize("result", [PrintResult(True, "job7"), PrintResult(False, "", "printer_jammed", stage="print")])
def test_card_pulled_mid_print_records_the_outcome_and_says_it(result: PrintResult) -> None:
    """GIVEN a copy printing WHEN the card is pulled THEN the session is wiped at once, the outcome is still
    recorded when it arrives (marked citizen_present=False) and the screen says what became of the print."""
    h = Harness(done_seconds=15)
    h.printer.results.append(result)
    h.drive_to(Screen.CARD_PULLED)
    j = h.journey
    assert j.session is None and build_view(j)["printOutcome"] == ""
    assert not [p for k, p in h.outbox.rows if k == "print"]
    j.card_presented(SAMPLE_PEOPLE[1])  # the next person waits until the print is settled
    assert j.screen is Screen.CARD_PULLED and j.session is None
    j.card_removed()
    h.hold = False
    h.release()  # the printer reports
    prints = [p for k, p in h.outbox.rows if k == "print"]
    assert len(prints) == 1 and prints[0]["ok"] is result.ok and prints[0]["citizen_present"] is False
    assert prints[0]["reason"] == result.reason and prints[0]["job_id"] == result.job_id
    outcome = build_view(j)["printOutcome"]
    assert outcome == ("printed" if result.ok else "printer_jammed")
    assert alerts(h, "card_pulled_printed" if result.ok else "card_pulled_failed") == 1
    h.advance(14)
    assert j.screen is Screen.CARD_PULLED
    h.advance(1)
    assert j.screen is Screen.ATTRACT


def test_a_late_print_result_is_recorded_even_after_the_screen_gave_up() -> None:
    h = Harness()
    h.drive_to(Screen.CARD_PULLED)
    h.advance(200)
    assert h.journey.screen is Screen.ATTRACT
    h.hold = False
    h.release()
    assert [p["ok"] for k, p in h.outbox.rows if k == "print"] == [True]
    assert h.journey.screen is Screen.ATTRACT


def test_assisted_rating_step_two_has_a_way_back() -> None:
    h = Harness()
    h.drive_to(Screen.RATING)
    h.journey.set_assisted(True)
    h.journey.rate_group("bad")
    assert build_view(h.journey)["levels"] == [2, 1]
    h.journey.back()
    assert h.journey.screen is Screen.RATING and build_view(h.journey)["groups"] == ["good", "neutral", "bad"]


ACTIONS = st.sampled_from(["insert", "insert_bad", "remove", "start", "finish", "back", "tick", "wait",
                           "agree", "service", "cert", "preview", "purpose", "rate", "release", "oos_on", "oos_off"])


@given(st.lists(ACTIONS, max_size=40))
def test_attract_never_shows_with_a_card_on_the_reader(actions: list[str]) -> None:
    """Whatever happens in whatever order, the attract screen (inviting the next person) means an empty reader."""
    h = Harness()
    h.hold = True
    j = h.journey
    on_reader = False
    for action in actions:
        if action == "insert" and not on_reader:
            on_reader = True
            j.card_presented(SAMPLE_PEOPLE[0])
        elif action == "insert_bad" and not on_reader:
            on_reader = True
            j.card_failed("card_unreadable")
        elif action == "remove" and on_reader:
            on_reader = False
            j.card_removed()
        elif action == "tick":
            h.advance(1)
        elif action == "wait":
            h.advance(90)
        elif action == "release":
            h.release()
        else:
            {"start": j.start, "finish": j.finish, "back": j.back, "agree": lambda: j.face_consent(True),
             "service": lambda: j.choose_service("personal_certs"), "cert": lambda: j.select_certificate("c0001"),
             "preview": j.confirm_preview, "purpose": lambda: j.choose_purpose("purpose_loan"),
             "rate": lambda: j.rate(5), "oos_on": lambda: j.set_out_of_service("out_of_service_technician"),
             "oos_off": lambda: j.set_out_of_service("out_of_service_technician", False),
             }.get(action, lambda: None)()
        if j.screen in (Screen.ATTRACT, Screen.INSERT_CARD):
            assert not on_reader, f"{j.screen} invites the next person with a card on the reader"

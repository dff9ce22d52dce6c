"""Staff calls that reach a person (issue 15).

Unit tests drive the Qt-free journey with a fake platform that keeps calls like the hall
does; the integration test presses the real header button of the demo kiosk (pytest-qt,
offscreen), the reference platform's hall receives the call, a staff member acknowledges
it there, and the kiosk's header and voice say who is coming.
"""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.interfaces import PlatformError, PlatformErrorKind, PrintResult
from kiosk.journey import Screen, Speak
from kiosk.journey_view import build_view
from kiosk.staff_call import CancelStaffCall, PlaceStaffCall, PollStaffCall
from tests.journey_driver import FakePlatform, Harness


class CallingPlatform(FakePlatform):
    """FakePlatform plus the staff-call endpoints, kept like refplatform.hall keeps them."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, dict[str, Any]] = {}
        self.down = False

    def staff_call(self, call_id: str, action: str = "", body: dict | None = None) -> dict[str, Any]:
        if self.down:
            raise PlatformError(PlatformErrorKind.OFFLINE, "connection")
        if body is not None:
            self.calls.setdefault(call_id, {"state": "open", "staff_id": "", "repeats": 0, **body})
        call = self.calls[call_id]
        if action == "repeat":
            call["repeats"] += 1
        elif action == "cancel":
            call["state"] = "cancelled"
        return dict(call)


@pytest.fixture
def h() -> Harness:
    harness = Harness(face_enabled=False, staff_answer_seconds=60, stuck_seconds=120)
    harness.platform = harness.services.platform = CallingPlatform()
    return harness


def _spoken(h: Harness) -> list[str]:
    return [e.key for e in h.effects if isinstance(e, Speak) and e.key.startswith("staff_call_")]


def test_call_is_placed_at_once_then_acknowledged(h: Harness) -> None:
    h.drive_to(Screen.SERVICE_MENU)
    h.journey.call_staff()
    (call_id, call), = h.platform.calls.items()
    assert call["reason"] == "citizen_request" and call["screen"] == "service_menu" and call["hall"] == "demo-hall"
    assert build_view(h.journey)["staffCall"]["state"] == "waiting"
    h.platform.calls[call_id].update(state="acknowledged", staff_id="S012")
    h.advance(1)  # the next tick polls
    view = build_view(h.journey)["staffCall"]
    assert view["state"] == "acknowledged" and view["staffId"] == "S012"
    assert _spoken(h) == ["staff_call_sending", "staff_call_acknowledged"]
    assert h.journey.staff_called


def test_no_answer_is_said_plainly_and_the_button_stays(h: Harness) -> None:
    h.drive_to(Screen.SERVICE_MENU)
    h.journey.call_staff()
    h.advance(59)
    assert build_view(h.journey)["staffCall"]["state"] == "waiting"
    h.advance(2)
    view = build_view(h.journey)["staffCall"]
    assert view["state"] == "unanswered" and view["canRepeat"] and view["canCancel"]
    assert _spoken(h)[-1] == "staff_call_unanswered"
    h.journey.call_staff()  # pressing again repeats the same call; the dashboard sounds again
    (call_id, call), = h.platform.calls.items()
    assert call["repeats"] == 1 and build_view(h.journey)["staffCall"]["state"] == "waiting"
    h.journey.calls.cancel()
    assert h.platform.calls[call_id]["state"] == "cancelled"
    assert build_view(h.journey)["staffCall"] == {"state": "none"}
    h.journey.call_staff()  # and a new call can be made at once
    assert len(h.platform.calls) == 2


def test_offline_call_goes_into_the_outbox_and_says_so(h: Harness) -> None:
    h.platform.down = True
    h.drive_to(Screen.SERVICE_MENU)
    h.journey.call_staff()
    assert build_view(h.journey)["staffCall"]["state"] == "queued"
    kinds = [k for k, _ in h.outbox.rows]
    assert "staff_call" in kinds and "help_request" in kinds
    payload = dict(h.outbox.rows[kinds.index("staff_call")][1])
    assert set(payload) == {"call_id", "kind", "reason", "screen", "assisted", "hall", "place", "kiosk_id"}
    assert _spoken(h)[-1] == "staff_call_queued"
    h.platform.down = False
    h.platform.calls[payload["call_id"]] = {"state": "acknowledged", "staff_id": "S7", "repeats": 0}
    h.advance(1)
    assert build_view(h.journey)["staffCall"]["staffId"] == "S7"


def test_printer_fault_calls_staff_by_itself(h: Harness) -> None:
    h.printer.results = [PrintResult(ok=False, job_id="", reason="printer_out_of_paper", stage="print")]
    h.drive_to(Screen.PURPOSE)
    h.journey.choose_purpose("purpose_school")
    assert h.journey.screen is Screen.PRINT_FAILED
    (call,) = h.platform.calls.values()
    assert call["reason"] == "printer_out_of_paper" and call["kind"] == "fault"
    h.journey.end_session("done")  # a device call outlives the session: staff still have to come
    assert not any(isinstance(e, CancelStaffCall) for e in h.effects)


def test_stuck_session_calls_staff_by_itself(h: Harness) -> None:
    h.hold = True  # the certificate search never comes back
    h.drive_to(Screen.SERVICE_MENU)
    h.journey.choose_service("personal_certs")
    assert h.journey.screen is Screen.LOADING
    h.advance(119)
    assert not any(isinstance(e, PlaceStaffCall) for e in h.effects)
    h.advance(2)
    (place,) = [e for e in h.effects if isinstance(e, PlaceStaffCall)]
    assert place.reason == "session_stuck" and place.kind == "fault" and place.screen == "loading"


def test_citizen_call_is_withdrawn_when_the_session_ends_unanswered(h: Harness) -> None:
    h.drive_to(Screen.SERVICE_MENU)
    h.journey.call_staff()
    h.journey.end_session("timeout")
    assert [e for e in h.effects if isinstance(e, CancelStaffCall)]
    assert build_view(h.journey)["staffCall"] == {"state": "none"}


def test_a_card_left_behind_can_call_staff_without_a_session(h: Harness) -> None:
    """The API other parts use (issue 17's card-left-behind screen): no session needed."""
    h.journey.call_staff("card_left_behind", kind="fault")
    (call,) = h.platform.calls.values()
    assert call["reason"] == "card_left_behind" and call["screen"] == "attract"


def test_polls_only_while_a_call_waits(h: Harness) -> None:
    h.drive_to(Screen.SERVICE_MENU)
    h.advance(5)
    assert not [e for e in h.effects if isinstance(e, PollStaffCall)]
    h.journey.call_staff()
    h.advance(3)
    assert len([e for e in h.effects if isinstance(e, PollStaffCall)]) == 3


# ---------------------------------------------------------------- the real kiosk and the hall


def test_header_button_reaches_the_hall_and_shows_who_comes(kiosk, qtbot) -> None:
    from kiosk import i18n
    from screens.walkthrough import Walker, find, pump

    hall = kiosk.platform_server.hall
    w = Walker(kiosk)
    w.click("start")
    w.expect("insert_card")
    w.click("callStaff")
    pump(30)
    dialog = find(kiosk.window, "videoDialog")
    if dialog is not None and dialog.isVisible():  # the help chooser (video help, issue 18): a person comes
        w.click("helpComes")
    qtbot.waitUntil(lambda: kiosk.vm.view["staffCall"]["state"] == "waiting", timeout=10_000)
    (call,) = hall.snapshot("demo-hall")["calls"]
    assert call["screen"] == "insert_card" and call["reason"] == "citizen_request"
    button = find(kiosk.window, "callStaff")
    assert button.isVisible() and button.property("text") == i18n.text("staff_call_again", "zh-CN")
    hall.acknowledge(call["call_id"], "S012", "demo-hall")
    expected = i18n.fmt("staff_call_acknowledged", "zh-CN", "S012")
    qtbot.waitUntil(lambda: find(kiosk.window, "staffCallState").property("text") == expected, timeout=10_000)
    assert find(kiosk.window, "callStaff").isVisible()  # never goes away
    spoken = [text for text, _ in kiosk.speaker.spoken]
    assert i18n.fmt("staff_call_acknowledged_spoken", "zh-CN", "S012") in spoken

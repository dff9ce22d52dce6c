"""Video help, maintenance and the staff desk come after the first frame (screens/late_parts.py)."""

from __future__ import annotations

from kiosk.interfaces import ReaderEvent, ReaderEventKind
from screens.late_parts import Pending


def _context(kiosk, name: str):
    return kiosk.engine.rootContext().contextProperty(name)


def test_not_built_before_the_first_frame_then_built_after_it(kiosk, qtbot) -> None:
    assert not kiosk.parts.built  # build_kiosk returned: nothing painted yet
    assert all(isinstance(_context(kiosk, n), Pending) for n in ("videoHelp", "maint", "desk"))
    qtbot.waitUntil(lambda: kiosk.parts.built, timeout=10_000)  # right after the first frame
    assert type(_context(kiosk, "videoHelp")).__name__ == "VideoHelp"
    assert _context(kiosk, "maint") is kiosk.maint and _context(kiosk, "desk") is kiosk.vm.staff_desk


def test_a_touch_before_they_are_built_builds_them_and_goes_through(kiosk, qtbot) -> None:
    _context(kiosk, "maint").enter()  # the hidden corner, tapped before the parts exist
    assert kiosk.parts.built and kiosk.vm.journey.screen.value == "maintenance"  # the staff sign-in opened
    assert _context(kiosk, "maint") is kiosk.maint  # QML now sees the real one


def test_the_call_button_before_they_are_built_asks_for_help(kiosk, qtbot) -> None:
    _context(kiosk, "videoHelp").ask()  # on the attract screen: no video, the journey decides on a person
    assert kiosk.parts.built and _context(kiosk, "videoHelp") is kiosk.vm.video


def test_a_staff_card_already_in_the_reader_at_start_reaches_the_desk(kiosk, qtbot) -> None:
    seen = []
    kiosk.vm._on_reader_event(ReaderEvent(ReaderEventKind.STAFF_CARD_REMOVED))
    assert kiosk.parts.built  # built for it, not dropped
    kiosk.vm.staff_desk.removed = lambda: seen.append("removed")
    kiosk.vm._on_reader_event(ReaderEvent(ReaderEventKind.STAFF_CARD_REMOVED))
    assert seen == ["removed"]


def test_closing_before_they_are_built_builds_nothing(kiosk) -> None:
    kiosk.close()
    assert not kiosk.parts.built

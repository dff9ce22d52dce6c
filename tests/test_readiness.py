"""Say early what will not work: printer and platform state marked on the tiles before a citizen starts.

Fast tests of the journey and the printer check (no Qt, no daemons); the real screens with a stopped
CUPS queue and a stopped platform are in tests/test_readiness_screens.py.
"""

from __future__ import annotations

from kiosk.interfaces import PrinterState
from kiosk.journey import Screen, Speak
from kiosk.journey_readiness import FAULT_FRESH_SECONDS, printer_problem
from kiosk.journey_view import build_view
from tests.journey_driver import FakePrinter, Harness


class _Faulty(FakePrinter):
    def __init__(self, fault_age: float | None = None, boom: bool = False) -> None:
        super().__init__()
        self.fault_age, self.boom = fault_age, boom

    def health(self) -> dict:
        if self.boom:
            raise OSError("usb gone")
        health = super().health()
        if self.fault_age is not None:
            health.update(last_fault="cupsd_gone", last_fault_age_s=self.fault_age)
        return health


def test_printer_problem_from_state_fault_and_config() -> None:
    printer = FakePrinter()
    assert printer_problem(printer, "https://x") == ""
    printer.current = PrinterState.OUT_OF_PAPER
    assert printer_problem(printer, "https://x") == "printer_out_of_paper"
    printer.current = PrinterState.BUSY
    assert printer_problem(printer, "https://x") == ""
    assert printer_problem(printer, "") == "print_no_public_url"
    assert printer_problem(_Faulty(fault_age=3), "https://x") == "printer_offline"
    assert printer_problem(_Faulty(fault_age=FAULT_FRESH_SECONDS + 1), "https://x") == ""
    assert printer_problem(_Faulty(boom=True), "https://x") == "printer_error"


def test_tiles_marked_before_the_citizen_starts_and_spoken() -> None:
    h = Harness(face_enabled=False)
    j = h.journey
    assert build_view(j)["serviceBlocked"] == {}
    j.set_readiness(printer="printer_out_of_paper")
    view = build_view(j)  # the attract screen says it too
    assert view["readinessNote"] == "printer_out_of_paper" and view["readinessAlternative"] == "alt_printer"
    h.drive_to(Screen.SERVICE_MENU)
    view = build_view(j)
    assert view["serviceBlocked"] == {"personal_certs": "printer_out_of_paper",
                                      "business_certs": "printer_out_of_paper"}
    assert view["serviceAlternative"]["personal_certs"] == "alt_printer"
    spoken = [e.key for e in h.effects if isinstance(e, Speak)]
    assert spoken[-2:] == ["service_menu", "service_blocked_printer"]
    # The platform goes away while the menu shows: the new problem is said at once.
    h.effects.clear()
    j.set_readiness(platform=False)
    assert build_view(j)["serviceBlocked"]["personal_certs"] == "platform_offline"
    assert [e.key for e in h.effects if isinstance(e, Speak)] == ["service_blocked_platform"]
    h.effects.clear()
    j.set_readiness(platform=False)  # the same answer again: nothing said, nothing changes
    assert h.effects == []
    j.set_readiness(platform=True, printer="")
    assert build_view(j)["serviceBlocked"] == {} and build_view(j)["readinessNote"] == ""


def test_marked_service_can_still_be_started() -> None:
    """The mark informs; the citizen may still go on (to an e-certificate or an application)."""
    h = Harness(face_enabled=False)
    h.journey.set_readiness(printer="printer_jammed")
    h.drive_to(Screen.CERT_LIST)
    assert h.journey.screen is Screen.CERT_LIST


def test_readiness_view_has_no_personal_data() -> None:
    h = Harness(face_enabled=False)
    h.journey.set_readiness(printer="printer_out_of_paper", platform=False)
    h.drive_to(Screen.SERVICE_MENU)
    person = h.journey.session.document
    text = str(h.journey.readiness_view())
    assert person.number not in text and person.name not in text

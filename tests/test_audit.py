"""Every screen, both modes: smallest text, smallest touch target, lowest contrast,
accessible names and the number of choices, measured on the rendered screen."""

from __future__ import annotations

import pytest

from screens.audit import LIMITS, audit
from screens.walkthrough import Walker, find, pump


@pytest.mark.parametrize("assisted", [False, True])
def test_every_screen_meets_its_mode(kiosk, assisted: bool) -> None:
    reports = []
    Walker(kiosk).all_screens(assisted, lambda screen: reports.append(audit(kiosk.window, screen, assisted)))
    assert len(reports) >= 19
    limit = LIMITS[assisted]
    problems = {r.screen: r.problems for r in reports if r.problems}
    assert problems == {}
    assert min(r.min_font for r in reports) >= limit["font"]
    assert min(r.min_target for r in reports) >= limit["target"]
    assert min(r.min_contrast for r in reports) >= limit["contrast"]
    if assisted:
        assert max(r.choices for r in reports) <= 4


@pytest.mark.parametrize("assisted", [False, True])
def test_timeout_warning_meets_its_mode(kiosk, assisted: bool) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.vm.setAssisted(assisted)
    kiosk.vm.journey.expire_idle()
    pump(50)
    assert find(kiosk.window, "continue") is not None
    report = audit(kiosk.window, "timeout_warning", assisted)
    assert report.problems == []
    assert report.min_font >= LIMITS[assisted]["font"]


def test_call_staff_is_on_every_assisted_screen(kiosk) -> None:
    missing = []

    def visit(screen: str) -> None:
        if find(kiosk.window, "callStaff") is None and not kiosk.vm.view["staffCalled"]:
            missing.append(screen)
    Walker(kiosk).all_screens(True, visit)
    assert missing == []

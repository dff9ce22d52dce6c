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


@pytest.mark.parametrize("assisted", [False, True])
def test_maintenance_screens_meet_their_mode(kiosk, assisted: bool) -> None:
    """Maintenance pages (technicians, not citizens: the assisted choice limit does not apply) and the
    out-of-service screen: text size, touch targets, contrast, names, nothing off screen."""
    reports = []
    seen = Walker(kiosk).maintenance_screens(
        assisted, lambda screen: reports.append(audit(kiosk.window, screen, assisted)))
    assert seen == ["maintenance_sign_in", "maintenance_home", "maintenance_part", "maintenance_actions",
                    "out_of_service"]
    limit = LIMITS[assisted]
    problems = {r.screen: [p for p in r.problems if not p.endswith(" choices")] for r in reports}
    assert {k: v for k, v in problems.items() if v} == {}
    assert min(r.min_font for r in reports) >= limit["font"]
    assert min(r.min_target for r in reports) >= limit["target"]
    assert min(r.min_contrast for r in reports) >= limit["contrast"]
    out_of_service = next(r for r in reports if r.screen == "out_of_service")
    assert out_of_service.choices <= 4


@pytest.mark.parametrize("assisted", [False, True])
def test_staff_card_screens_meet_their_mode(kiosk, assisted: bool) -> None:
    """The staff card's PIN prompt (maintenance) and the 帮办's unlock prompt over a citizen's session."""
    from screens.walkthrough import staff_card_screens

    reports = []
    seen = staff_card_screens(Walker(kiosk), assisted, lambda s: reports.append(audit(kiosk.window, s, assisted)))
    assert seen == ["staff_card_sign_in", "staff_unlock"]
    limit = LIMITS[assisted]
    problems = {r.screen: [p for p in r.problems if not p.endswith(" choices")] for r in reports}
    assert {k: v for k, v in problems.items() if v} == {}
    assert min(r.min_font for r in reports) >= limit["font"]
    assert min(r.min_target for r in reports) >= limit["target"]

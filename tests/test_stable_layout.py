"""Nothing moves under the finger: on every screen, in both modes, each message, badge, error line and
offline note is made to appear, and every touch target must stay exactly where it was.

The disturbances are generic (the network goes, the reader goes, an input error, a face prompt, the
printer's readiness where the journey tracks it), so badges added later on the same state are covered.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QRectF

from screens.audit import touch_targets
from screens.walkthrough import Walker, pump


def _status(kiosk, reader_ok: bool) -> None:
    kiosk.vm._reader_ok = reader_ok
    kiosk.vm.statusChanged.emit()


def _input_error(kiosk, key: str) -> None:
    session = kiosk.vm.journey.session
    if session is not None:
        session.input_error = key
        kiosk.vm.journey._changed()


def _printer(kiosk, problem: str) -> None:
    set_readiness = getattr(kiosk.vm.journey, "set_readiness", None)  # service-tile marks (issue 17)
    if set_readiness is not None:
        set_readiness(printer=problem)


# name -> (make it appear, make it go)
DISTURBANCES: dict[str, tuple[Callable, Callable]] = {
    "offline": (lambda k: k.vm.set_online(False), lambda k: k.vm.set_online(True)),
    "reader_lost": (lambda k: _status(k, False), lambda k: _status(k, True)),
    "input_error": (lambda k: _input_error(k, "uscc_invalid"), lambda k: _input_error(k, "")),
    "long_input_error": (lambda k: _input_error(k, "staff_wrong"), lambda k: _input_error(k, "")),
    "face_prompt": (lambda k: k.vm._set_prompt("face_more_light"), lambda k: k.vm._set_prompt("")),
    "printer_out_of_paper": (lambda k: _printer(k, "printer_out_of_paper"), lambda k: _printer(k, "")),
}


def _moved(before: dict[str, QRectF], after: dict[str, QRectF]) -> dict[str, str]:
    out = {}
    for name in before.keys() & after.keys():
        a, b = before[name], after[name]
        shift = max(abs(a.x() - b.x()), abs(a.y() - b.y()), abs(a.width() - b.width()), abs(a.height() - b.height()))
        if shift > 0.5:
            out[name] = f"{shift:.0f} px"
    return out


@pytest.mark.parametrize("assisted", [False, True])
def test_no_touch_target_moves_when_a_message_appears(kiosk, assisted: bool) -> None:
    problems: dict[str, dict[str, str]] = {}
    checked: list[str] = []

    def visit(screen: str) -> None:
        pump(30)
        before = touch_targets(kiosk.window)
        for name, (show, hide) in DISTURBANCES.items():
            show(kiosk)
            pump(40)
            after = touch_targets(kiosk.window)
            hide(kiosk)
            pump(40)
            if kiosk.vm.journey.screen.value != screen:
                return  # a screen that was on its way elsewhere (loading, printing)
            moved = _moved(before, after)
            if moved:
                problems[f"{screen}/{name}"] = moved
            checked.append(f"{screen}/{name}")

    Walker(kiosk).all_screens(assisted, visit)
    assert problems == {}
    assert len(checked) >= 15 * len(DISTURBANCES)
    assert {"uscc_entry/input_error", "staff_check/long_input_error", "service_menu/offline"} <= set(checked)


def test_the_check_sees_a_shift(kiosk) -> None:
    """The test's own yardstick: a target that does move is reported."""
    a = {"btn": QRectF(0, 0, 100, 72)}
    assert _moved(a, {"btn": QRectF(0, 36, 100, 72)}) == {"btn": "36 px"}
    assert _moved(a, {"btn": QRectF(0, 0.2, 100, 72)}) == {}

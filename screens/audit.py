"""Measure what a person sees on the rendered screen: text size, touch targets,
contrast, accessible names and the number of choices.

Text is measured twice: as declared (font pixel size, colour against the nearest opaque
background) and as rendered (screens.ink: the glyphs' ink height and the strongest ink pixel's
contrast against the pixels around it, from a grab of the window). The README's numbers are the
rendered ones (``kiosk audit-screens``... see README "Accessibility").

Targets (at 1920x1080): standard text >= 20 px, targets >= 44 px, contrast >= 4.5:1;
assisted text >= 30 px, targets >= 60 px, contrast >= 7:1, at most 4 choices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QAccessible, QColor
from PySide6.QtQuick import QQuickItem, QQuickWindow

from screens.ink import grab, measure
from screens.walkthrough import items

LIMITS = {
    False: {"font": 20, "target": 44, "contrast": 4.5, "choices": 99},
    True: {"font": 30, "target": 60, "contrast": 7.0, "choices": 4},
}
# Buttons that are on every screen, and keypads (data entry, not choices).
CHROME = ("callStaff", "cancelStaffCall", "continue")  # the staff-call control is one, with its cancel
ENTRY_PREFIXES = ("key_",)


def luminance(color: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(color.redF()) + 0.7152 * channel(color.greenF()) + 0.0722 * channel(color.blueF())


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


@dataclass
class Report:
    screen: str
    min_font: float = 1e9
    min_target: float = 1e9
    min_contrast: float = 1e9
    choices: int = 0
    min_glyph: float = 1e9  # rendered: median ink height of the glyphs of the smallest text line, px
    min_glyph_text: str = ""
    min_ink_contrast: float = 1e9  # rendered: strongest ink pixel against its surroundings
    min_ink_contrast_text: str = ""
    texts: int = 0  # text lines measured from pixels
    problems: list[str] = field(default_factory=list)


def _is(item: QQuickItem, qt_class: str) -> bool:
    return item.inherits(qt_class)


def _background(item: QQuickItem, window: QQuickWindow) -> QColor:
    parent = item.parentItem()
    while parent is not None:
        if _is(parent, "QQuickRectangle"):
            color = QColor(parent.property("color"))
            if color.alpha() == 255:
                return color
        parent = parent.parentItem()
    return window.color()


def _scale(item: QQuickItem) -> float:
    return (item.mapToScene(QPointF(100, 0)) - item.mapToScene(QPointF(0, 0))).x() / 100


def audit(window: QQuickWindow, screen: str, assisted: bool) -> Report:
    """Measure the visible screen against the limits of its mode."""
    limit = LIMITS[assisted]
    report = Report(screen)
    overlay = any(i.objectName() == "continue" for i in items(window.contentItem()))
    QAccessible.setActive(True)
    screen_rect = QRectF(0, 0, window.width(), window.height())
    pixels = grab(window)
    dialog = next((i for i in items(window.contentItem()) if i.objectName() == "videoDialog"), None)
    for item in items(window.contentItem()):
        kind = item.metaObject().className()
        if item.clip() or (_clipped(item) and not _shown_whole(item)):
            continue  # inside a scrolling area: may extend past its frame by design
        if (_is(item, "QQuickText") or _is(item, "QQuickMouseArea")) and not screen_rect.contains(
                item.mapRectToScene(QRectF(0, 0, item.width(), item.height())).adjusted(1, 1, -1, -1)):
            report.problems.append(f"off screen: {item.objectName() or item.property('text') or kind}")
        if overlay and not _inside_overlay(item):
            continue  # covered by the inactivity warning
        if _is(item, "QQuickText") and item.property("text"):
            px = item.property("font").pixelSize() * _scale(item)
            ratio = contrast(QColor(item.property("color")), _background(item, window))
            report.min_font = min(report.min_font, px)
            report.min_contrast = min(report.min_contrast, ratio)
            if px < limit["font"] or ratio < limit["contrast"]:
                report.problems.append(f"text {item.property('text')[:20]!r}: {px:.0f}px, {ratio:.1f}:1")
            if dialog is None or _inside(item, dialog):  # under a modal dialog's scrim: dimmed on purpose
                _measure_ink(report, item, pixels, limit)
        elif _is(item, "QQuickMouseArea"):
            target = item.parentItem()
            rect = target.mapRectToScene(target.boundingRect())
            if rect.width() >= window.width() and rect.height() >= window.height():
                continue  # the full-screen "touch anywhere" area of the warning
            side = min(rect.width(), rect.height())
            report.min_target = min(report.min_target, side)
            name = target.objectName()
            iface = QAccessible.queryAccessibleInterface(target)
            label = iface.text(QAccessible.Text.Name) if iface is not None else ""
            if not label:
                report.problems.append(f"no accessible name: {name or kind}")
            if side < limit["target"]:
                report.problems.append(f"target {name}: {side:.0f}px")
            if name not in CHROME and not name.startswith(ENTRY_PREFIXES):
                report.choices += 1
    if report.choices > limit["choices"]:
        report.problems.append(f"{report.choices} choices")
    return report


def _line_box(item: QQuickItem) -> QRectF:
    """The first line of a Text item, in scene pixels (its whole box for a single line)."""
    lines = max(1, int(item.property("lineCount") or 1))
    content = min(float(item.property("contentHeight") or item.height()), item.height())
    return item.mapRectToScene(QRectF(0, 0, item.width(), item.height() if lines == 1 else content / lines))


def _measure_ink(report: Report, item: QQuickItem, pixels: object, limit: dict) -> None:
    box = _line_box(item)
    ink = measure(pixels, box.x(), box.y(), box.width(), box.height())
    if ink is None:
        return
    text = item.property("text")[:24]
    report.texts += 1
    if ink.glyph_height < report.min_glyph:
        report.min_glyph, report.min_glyph_text = ink.glyph_height, text
    if ink.contrast < report.min_ink_contrast:
        report.min_ink_contrast, report.min_ink_contrast_text = ink.contrast, text
    if ink.contrast < limit["contrast"]:
        report.problems.append(f"rendered text {text!r}: {ink.contrast:.2f}:1")


def _inside(item: QQuickItem, ancestor: QQuickItem) -> bool:
    parent = item
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parentItem()
    return False


def _shown_whole(item: QQuickItem) -> bool:
    """Inside a clipping (scrolling) area but wholly visible in it: measured like any other item."""
    rect = item.mapRectToScene(QRectF(0, 0, item.width(), item.height()))
    parent = item.parentItem()
    while parent is not None:
        if parent.clip() and not parent.mapRectToScene(QRectF(0, 0, parent.width(), parent.height())).contains(rect):
            return False
        parent = parent.parentItem()
    return True


def touch_targets(window: QQuickWindow) -> dict[str, QRectF]:
    """Every visible touch target (what a MouseArea or TapHandler covers) by name, in scene pixels.
    Unnamed or repeated names get #2, #3 ... in tree order; the full-screen "touch anywhere" area
    of the inactivity warning is left out."""
    out: dict[str, QRectF] = {}
    for item in items(window.contentItem()):
        if _is(item, "QQuickMouseArea"):
            target = item.parentItem()
        elif any(_is(child, "QQuickTapHandler") for child in item.children()):
            target = item
        else:
            continue
        rect = target.mapRectToScene(QRectF(0, 0, target.width(), target.height()))
        if rect.width() >= window.width() and rect.height() >= window.height():
            continue
        name = target.objectName() or target.metaObject().className()
        key, n = name, 1
        while key in out:
            n += 1
            key = f"{name}#{n}"
        out[key] = rect
    return out


def _clipped(item: QQuickItem) -> bool:
    parent = item.parentItem()
    while parent is not None:
        if parent.clip():
            return True
        parent = parent.parentItem()
    return False


def _inside_overlay(item: QQuickItem) -> bool:
    parent = item
    while parent is not None:
        if parent.metaObject().className().startswith("TimeoutOverlay"):
            return True
        parent = parent.parentItem()
    return False


def summary(reports: list[Report]) -> dict[str, object]:
    """The smallest and the lowest over a walk: what the README quotes."""
    glyph = min(reports, key=lambda r: r.min_glyph)
    ink = min(reports, key=lambda r: r.min_ink_contrast)
    return {
        "screens": len(reports),
        "text_lines_measured": sum(r.texts for r in reports),
        "smallest_font_declared_px": round(min(r.min_font for r in reports), 1),
        "smallest_glyph_rendered_px": round(glyph.min_glyph, 1),
        "smallest_glyph_where": f"{glyph.screen}: {glyph.min_glyph_text!r}",
        "lowest_contrast_declared": round(min(r.min_contrast for r in reports), 2),
        "lowest_contrast_rendered": round(ink.min_ink_contrast, 2),
        "lowest_contrast_where": f"{ink.screen}: {ink.min_ink_contrast_text!r}",
        "smallest_target_px": round(min(r.min_target for r in reports), 1),
        "most_choices": max(r.choices for r in reports),
    }


def _with_messages(kiosk: Any, screen: str, measure: Callable[[str], None]) -> None:
    """Measure a screen again with its messages showing: an input error, the offline note and badge."""
    from screens.walkthrough import pump

    session = kiosk.vm.journey.session
    if screen in ("uscc_entry", "staff_check") and session is not None:
        session.input_error = "uscc_invalid" if screen == "uscc_entry" else "staff_wrong_plain"
        kiosk.vm.journey._changed()
        pump(60)
        measure(f"{screen}+error")
        session.input_error = ""
        kiosk.vm.journey._changed()
    elif screen in ("service_menu", "attract"):
        kiosk.vm.set_online(False)
        pump(60)
        measure(f"{screen}+offline")
        kiosk.vm.set_online(True)
    pump(30)


def main() -> int:
    """`python -m screens.audit`: walk every citizen screen in both modes on the demo kiosk and print
    the measured numbers (rendered glyph height and contrast from pixels, targets, choices)."""
    import json
    import os
    import tempfile

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    from devices.sim_staff import provision_demo_staff
    from devices.speech import RecordingSpeaker
    from kiosk.config import Config
    from screens.app import build_kiosk
    from screens.walkthrough import Walker

    app = QGuiApplication.instance() or QGuiApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        config = Config().with_overrides(kiosk__state_dir=f"{tmp}/state", printer__pdf_folder=f"{tmp}/prints",
                                         maintenance__export_dir=f"{tmp}/usb")
        kiosk = build_kiosk(config, demo_control=True, speaker=RecordingSpeaker())
        provision_demo_staff(kiosk.vm.services.staff)
        try:
            for assisted in (False, True):
                reports: list[Report] = []

                def visit(screen: str, a: bool = assisted, out: list[Report] = reports) -> None:
                    out.append(audit(kiosk.window, screen, a))
                    _with_messages(kiosk, screen, lambda name: out.append(audit(kiosk.window, name, a)))
                Walker(kiosk).all_screens(assisted, visit)
                print(json.dumps({"mode": "assisted" if assisted else "standard", **summary(reports),
                                  "problems": {r.screen: r.problems for r in reports if r.problems}},
                                 ensure_ascii=False, indent=1))
        finally:
            kiosk.close()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

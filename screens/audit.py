"""Measure what a person sees on the rendered screen: text size, touch targets,
contrast, accessible names and the number of choices.

Targets (at 1920x1080): standard text >= 20 px, targets >= 44 px, contrast >= 4.5:1;
assisted text >= 30 px, targets >= 60 px, contrast >= 7:1, at most 4 choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QAccessible, QColor
from PySide6.QtQuick import QQuickItem, QQuickWindow

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
    for item in items(window.contentItem()):
        kind = item.metaObject().className()
        if item.clip() or _clipped(item):
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

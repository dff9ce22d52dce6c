"""The accessibility tree is the screen: walked from the QQuickWindow's QAccessible interface on every
citizen screen. Every visible text is read out (its own node, or inside the name of the button or tile
it belongs to), titles are headings, messages are alerts or status lines, nothing hidden is in the tree,
and the certificate preview has a text alternative."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAccessible

from screens.walkthrough import Walker, items, wait_for

Role = QAccessible.Role
TEXT_ROLES = {Role.StaticText, Role.Heading, Role.AlertMessage, Role.StatusBar}


def _tree(window) -> list[tuple[Role, str, str, bool]]:
    """(role, name, description, invisible) of every node under the window."""
    QAccessible.setActive(True)
    out = []

    def walk(iface, depth: int = 0) -> None:
        for i in range(iface.childCount()):
            child = iface.child(i)
            if child is None or not child.isValid():
                continue
            out.append((child.role(), child.text(QAccessible.Text.Name), child.text(QAccessible.Text.Description),
                        bool(child.state().invisible)))
            if depth < 60:
                walk(child, depth + 1)
    walk(QAccessible.queryAccessibleInterface(window))
    return out


def _check(window, screen: str, theme) -> list[str]:
    problems = []
    nodes = _tree(window)
    names = [name.replace("\n", "，") for _, name, _, _ in nodes]
    for role, name, _, invisible in nodes:
        if invisible:
            problems.append(f"hidden node in the tree: {role.name} {name[:20]!r}")
    for item in items(window.contentItem()):
        if not item.inherits("QQuickText") or not item.property("text") or not item.isVisible():
            continue
        text = item.property("text").replace("\n", "，")
        if text.startswith("\u26a0 "):
            text = text[2:]
        if not any(text in name or name in text and name for name in names):
            problems.append(f"text without a node: {text[:24]!r}")
            continue
        font = item.property("font")
        own = [role for role, name, _, _ in nodes if name == text and role in TEXT_ROLES]
        if own and font.bold() and font.pixelSize() >= theme.property("fontTitle") and Role.Heading not in own:
            problems.append(f"title not a heading: {text[:24]!r} {[r.name for r in own]}")
    return problems


@pytest.mark.parametrize("assisted", [False, True])
def test_the_tree_is_the_screen(kiosk, assisted: bool) -> None:
    problems: dict[str, list[str]] = {}
    headings: dict[str, int] = {}

    def visit(screen: str) -> None:
        if screen in ("preview", "purpose"):
            wait_for(lambda: kiosk.vm.preview.status in ("ready", "unavailable"), 10, "the certificate file")
        found = _check(kiosk.window, screen, kiosk.vm.theme)
        if found:
            problems[screen] = found
        headings[screen] = sum(1 for role, *_ in _tree(kiosk.window) if role is Role.Heading)
        if screen == "preview":
            graphics = [(n, d) for role, n, d, _ in _tree(kiosk.window) if role is Role.Graphic]
            name = kiosk.vm.view["certificate"]["name"]
            assert any(name in n and name in d and "：" in d for n, d in graphics), "the page has a text alternative"

    Walker(kiosk).all_screens(assisted, visit)
    assert problems == {}
    no_heading = [s for s, n in headings.items() if n == 0 and s not in ("loading", "printing", "queueing")]
    assert no_heading == [] or set(no_heading) <= {"face_check", "take_card"}, no_heading


def test_errors_are_alerts_and_hidden_buttons_leave(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    w.wait_for_grant()
    w.click("service_business_certs")
    wait_for(lambda: w.screen in ("business_choice", "uscc_entry"), 10, "business screens")
    if w.screen == "business_choice":
        w.click("btn_business:")
    w.expect("uscc_entry")
    error = kiosk.vm.texts["uscc_length"]
    assert not any(n == error for _, n, _, _ in _tree(kiosk.window))
    w.type_keys("9233")
    w.click("btn_confirm")
    wait_for(lambda: kiosk.vm.view["inputError"] == "uscc_length", 5, "the error")
    wait_for(lambda: any(r is Role.AlertMessage and n == error for r, n, _, _ in _tree(kiosk.window)), 5, "an alert")
    kiosk.vm.set_online(False)
    wait_for(lambda: any(r is Role.StatusBar and kiosk.vm.texts["offline"] in n for r, n, _, _ in _tree(kiosk.window)),
             5, "the offline badge as a status")
    kiosk.vm.set_online(True)
    assert all(not invisible for *_, invisible in _tree(kiosk.window))
    w.remove_card()

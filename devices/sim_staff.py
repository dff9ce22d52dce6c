"""Fictitious staff for the demo, the tests and the screenshots (never on a real kiosk).

`kiosk demo` provisions them (and registers their staff cards) into its own state directory
when no staff list exists;
the demo control window names them. A real kiosk's staff are added by an administrator
(`kiosk staff add`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from kiosk.staff import StaffDirectory


class DemoStaff(NamedTuple):
    number: str
    pin: str
    roles: tuple[str, ...]
    label: str


DEMO_STAFF = (
    DemoStaff("10023", "482913", ("helper",), "帮办 / helper"),
    DemoStaff("20045", "731642", ("technician",), "技术员 / technician"),
    DemoStaff("30067", "650284", ("admin",), "管理员 / administrator"),
)
HELPER, TECHNICIAN, ADMIN = DEMO_STAFF


def provision_demo_staff(directory: StaffDirectory) -> bool:
    """Add the fictitious staff with their staff cards if the list is empty (slow hashes: call on a worker)."""
    if directory.members():
        return False
    for person in DEMO_STAFF:
        directory.add(person.number, person.pin, person.roles)
        directory.register_card(person.number, demo_card(person).public_key)
    return True


def demo_card(person: DemoStaff) -> Any:
    """The person's fictitious staff card (devices/vpcd_staff_card.StaffCardApplet), its key fixed."""
    from devices.vpcd_staff_card import StaffCardApplet, demo_card_key

    return StaffCardApplet(person.number, demo_card_key(person.number))

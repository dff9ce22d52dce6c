"""`kiosk staff add|list|remove`: the administrator provisions who may act at the kiosk.

kiosk staff add NUMBER --role helper [--role technician]   asks for the PIN twice (or one line on
                                                            stdin with --pin-stdin); weak PINs refused
kiosk staff list                                            numbers, pseudonymous ids and roles (no PINs)
kiosk staff remove NUMBER
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import config as kconfig
from kiosk.staff import ROLES, StaffDirectory, StaffError


def staff_path(cfg: kconfig.Config) -> Path:
    return cfg.path("kiosk.state_dir") / "staff.json"


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("staff", help="provision staff: add, list, remove (administrator)")
    inner = p.add_subparsers(dest="staff_command", required=True)
    a = inner.add_parser("add", help="add a staff member or change their PIN and roles")
    a.add_argument("number", help="staff number (3-12 digits)")
    a.add_argument("--role", action="append", choices=ROLES, required=True,
                   help="helper (帮办: manual identity check), technician (maintenance), admin")
    a.add_argument("--pin-stdin", action="store_true", help="read the PIN from one line on stdin")
    r = inner.add_parser("remove", help="remove a staff member")
    r.add_argument("number")
    lst = inner.add_parser("list", help="list staff (no PINs)")
    for action in (a, r, lst):
        common(action)


def run(args: argparse.Namespace, cfg: kconfig.Config) -> int:
    directory = StaffDirectory(staff_path(cfg))
    try:
        if args.staff_command == "list":
            members = directory.members()
            for m in members:
                print(f"{m.number:12} {m.staff_id:16} {','.join(m.roles)}")
            if not members:
                print("no staff provisioned: add one with 'kiosk staff add NUMBER --role ROLE'")
            return 0
        if args.staff_command == "remove":
            if directory.remove(args.number):
                print(f"removed staff number {args.number}")
                return 0
            print(f"kiosk: no staff number {args.number}", file=sys.stderr)
            return 1
        pin = _read_pin(args.pin_stdin)
        member = directory.add(args.number, pin, args.role)
    except StaffError as exc:
        print(f"kiosk: refused: {exc}", file=sys.stderr)
        return 2
    print(f"staff number {member.number}: id {member.staff_id}, roles {', '.join(member.roles)}")
    return 0


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    pin = getpass.getpass("PIN: ")
    if getpass.getpass("PIN again: ") != pin:
        raise StaffError("the two PINs differ")
    return pin

"""`kiosk staff add|list|remove`: the administrator provisions who may act at the kiosk.

kiosk staff add NUMBER --role helper [--role technician]   asks for the PIN twice (or one line on
                                                            stdin with --pin-stdin); weak PINs refused
kiosk staff list                                            numbers, pseudonymous ids and roles (no PINs)
kiosk staff remove NUMBER
kiosk staff card-register NUMBER [--key BASE64]             record the staff card lying in the PC/SC reader
                                                            (it must sign a challenge) or a given public key
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
    c = inner.add_parser("card-register", help="register the staff card in the reader for a staff member")
    c.add_argument("number")
    c.add_argument("--key", default="", help="the card's Ed25519 public key (base64) instead of reading the card")
    for action in (a, r, lst, c):
        common(action)


def run(args: argparse.Namespace, cfg: kconfig.Config) -> int:
    directory = StaffDirectory(staff_path(cfg))
    try:
        if args.staff_command == "list":
            members = directory.members()
            for m in members:
                print(f"{m.number:12} {m.staff_id:16} {','.join(m.roles):24} {'card' if m.card_key else 'no card'}")
            if not members:
                print("no staff provisioned: add one with 'kiosk staff add NUMBER --role ROLE'")
            return 0
        if args.staff_command == "remove":
            if directory.remove(args.number):
                print(f"removed staff number {args.number}")
                return 0
            print(f"kiosk: no staff number {args.number}", file=sys.stderr)
            return 1
        if args.staff_command == "card-register":
            return _card_register(directory, args.number, args.key, cfg)
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


def _card_register(directory: StaffDirectory, number: str, key_text: str, cfg: kconfig.Config) -> int:
    from kiosk.staff_card import decode_key

    if key_text:
        key = decode_key(key_text)
        if not key:
            raise StaffError("--key must be a 32-byte Ed25519 public key in base64")
    else:
        key = _key_from_reader(number, cfg)
    member = directory.register_card(number, key)
    print(f"staff number {member.number}: card registered (id {member.staff_id})")
    return 0


def _key_from_reader(number: str, cfg: kconfig.Config) -> bytes:
    try:
        from devices.pcsc_reader import read_staff_card_key
        from devices.sscard import ApduError

        card_number, key = read_staff_card_key(cfg["reader.pcsc_reader_filter"])
    except ImportError:
        raise StaffError("PC/SC support (pyscard) is not installed; give the key with --key") from None
    except LookupError:
        raise StaffError("no card in the reader: place the staff card and try again") from None
    except (ApduError, OSError) as exc:
        raise StaffError(f"the card could not be read as a staff card ({type(exc).__name__})") from None
    except Exception as exc:  # PcscError: pcscd not running, reader gone
        raise StaffError(f"the PC/SC reader could not be used: {exc}") from None
    if card_number != number:
        raise StaffError("the card carries another staff number; it was not registered")
    return key

"""Platform administration on the platform's SQLite file: enrolment codes and revocation.

    kiosk-platform enrol-code --db FILE --kiosk-id ID    print a one-time code for `kiosk enrol`
    kiosk-platform revoke --db FILE --kiosk-id ID        refuse that kiosk from now on
    kiosk-platform kiosks --db FILE                      list enrolled kiosks and their status
    kiosk-platform staff-add --db FILE --staff-id ID --hall NAME   hall dashboard sign-in (password on stdin)

The running server reads the same file, so a code or a revocation takes effect at once.
"""

from __future__ import annotations

import argparse
import sys

ADMIN_COMMANDS = ("enrol-code", "revoke", "kiosks", "staff-add")


def admin_main(argv: list[str]) -> int:
    if argv and argv[0] == "staff-add":
        from refplatform.hall import staff_add_main

        return staff_add_main(argv[1:])
    from refplatform.store import Store
    from refplatform.trust import TrustRegistry

    parser = argparse.ArgumentParser(prog="kiosk-platform", description="Reference platform administration")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("enrol-code", "issue a one-time enrolment code"), ("revoke", "revoke a kiosk")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--db", required=True, help="the platform's SQLite file (kiosk-platform --db)")
        p.add_argument("--kiosk-id", required=True)
    sub.add_parser("kiosks", help="list enrolled kiosks").add_argument("--db", required=True)
    args = parser.parse_args(argv)
    store = Store(args.db)
    try:
        trust = TrustRegistry(store)
        if args.command == "enrol-code":
            try:
                code = trust.issue_code(args.kiosk_id)
            except ValueError as exc:
                print(f"kiosk-platform: {exc}", file=sys.stderr)
                return 2
            print(f"enrolment code for {args.kiosk_id} (valid 24 h, once): {code}")
            print(f"on the kiosk: kiosk enrol {code}")
            return 0
        if args.command == "revoke":
            if not trust.revoke(args.kiosk_id):
                print(f"kiosk-platform: no enrolled kiosk '{args.kiosk_id}'", file=sys.stderr)
                return 1
            print(f"kiosk {args.kiosk_id} revoked")
            return 0
        for kiosk_id, status in trust.kiosks():
            print(f"{kiosk_id}\t{status}")
        return 0
    finally:
        store.close()

"""`kiosk setup [--enrol CODE]`: the first boot of an installed kiosk (kiosk/first_boot.py).

Safe to run again: every step says whether it changed something, found it done, or was skipped
and why. Exit 0 unless a step failed (1). Run it as root after filling in /etc/kiosk/kiosk.toml.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def register(sub: Any, add_config: Callable[[argparse.ArgumentParser], object]) -> None:
    p = sub.add_parser("setup", help="first boot: state folders, printer queue, pcscd, enrolment, services "
                       "(safe to run again)")
    p.add_argument("--enrol", metavar="CODE", help="the platform's one-time enrolment code (first time only)")
    p.add_argument("--user", default="kiosk", help="the touch UI's user (default: kiosk)")
    p.add_argument("--group", default="kiosk", help="the state group the sync engine shares (default: kiosk)")
    add_config(p)


def run(args: argparse.Namespace, config: Any) -> int:
    from kiosk.first_boot import first_boot

    steps = first_boot(config, code=args.enrol, user=args.user, group=args.group)
    for step in steps:
        print(step.line())
    return 1 if any(step.outcome == "failed" for step in steps) else 0

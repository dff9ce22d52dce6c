"""`kiosk doctor` (alias: `kiosk devices doctor`): every configured part checked, with the fix.

Builds the drivers the configuration names (without starting the touch UI) and runs the
checks of kiosk/doctor.py, the same ones the maintenance screen shows. Exit 0 when all
are fine, 1 when something needs fixing.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kiosk import config as kconfig
from kiosk.doctor import PARTS, Check, Parts, check_enrolment, run_checks


def register(sub: Any, common: Any) -> None:
    p = sub.add_parser("doctor", help="check every configured part and say how to fix problems")
    common(p)
    p.add_argument("--only", action="append", choices=PARTS, help="check only this part (repeatable)")
    p.add_argument("--camera-seconds", type=float, default=1.0, help="how long to read the camera")


def parts_from_config(cfg: kconfig.Config, *, camera_seconds: float = 1.0) -> tuple[Parts, list[Any]]:
    """Drivers as configured, plus the objects to close afterwards."""
    from devices.diagnostics import camera_check, reader_check
    from devices.face.factory import build_camera
    from printing.factory import make_printer, make_receipt_printer

    closers: list[Any] = []
    outbox = None
    try:
        from sync.service import limits_from, outbox_path
        from sync.store import ManagedOutbox

        outbox = ManagedOutbox(outbox_path(cfg), limits=limits_from(cfg), recover=False)
        closers.append(outbox)
    except Exception:  # the outbox check reports it
        outbox = None
    camera = build_camera(cfg)
    parts = Parts(
        config=cfg,
        reader=lambda: reader_check(cfg),
        camera=lambda: camera_check(camera, seconds=camera_seconds),
        printer=make_printer(cfg),
        receipts=make_receipt_printer(cfg),
        platform_url=cfg["platform.url"],
        outbox=outbox,
        audit_dir=cfg.path("kiosk.state_dir") / "audit",
    )
    return parts, closers


def print_checks(checks: list[Check], out: Any = None) -> None:
    out = out or sys.stdout
    for c in checks:
        print(f"{'OK     ' if c.ok else 'PROBLEM'} {c.part:9} {c.summary}", file=out)
        for line in c.details:
            print(f"                  {line}", file=out)
        if c.fix:
            print(f"                  fix: {c.fix}", file=out)


def run(args: argparse.Namespace, cfg: kconfig.Config) -> int:
    parts, closers = parts_from_config(cfg, camera_seconds=getattr(args, "camera_seconds", 1.0))
    try:
        checks = run_checks(parts, tuple(args.only) if getattr(args, "only", None) else PARTS)
    finally:
        for c in closers:
            c.close()
    if not getattr(args, "only", None):
        from sync.enrolment import device_key_state

        checks.append(check_enrolment(cfg, device_key_state(cfg)))
    print_checks(checks)
    return 0 if all(c.ok for c in checks) else 1

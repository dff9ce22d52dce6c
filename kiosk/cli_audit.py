"""`kiosk audit verify|tail`: check the chained audit trail, show its newest entries.

kiosk audit verify [--dir D]    walk the chain over every file: edited, removed, reordered
                                entries and a cut tail are named; exit 1 when anything is wrong
kiosk audit tail [-n N]         the newest entries (pseudonymous ids only, nothing personal)
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import config as kconfig


def audit_dir(cfg: kconfig.Config) -> Path:
    return cfg.path("kiosk.state_dir") / "audit"


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser("audit", help="check the audit trail (verify) or show its newest entries (tail)")
    inner = p.add_subparsers(dest="audit_command", required=True)
    v = inner.add_parser("verify", help="check the hash chain over every audit file")
    t = inner.add_parser("tail", help="show the newest entries")
    t.add_argument("-n", type=int, default=20, help="how many entries")
    for action in (v, t):
        common(action)
        action.add_argument("--dir", help="audit directory (default: <kiosk.state_dir>/audit)")


def run(args: argparse.Namespace, cfg: kconfig.Config) -> int:
    from kiosk.audit_log import AuditLog, verify

    directory = Path(args.dir) if args.dir else audit_dir(cfg)
    if not directory.is_dir():
        print(f"kiosk: no audit trail in {directory}")
        return 1
    if args.audit_command == "verify":
        result = verify(directory)
        for problem in result.problems:
            print(f"PROBLEM {problem}")
        if result.ok:
            print(f"OK      {result.entries} entries, seq {result.first_seq}..{result.last_seq}, chain intact")
        else:
            print(f"{len(result.problems)} problem(s) in {result.entries} readable entries: the trail was changed "
                  "or damaged; keep the files as they are and report it")
        return 0 if result.ok else 1
    for entry in AuditLog(directory, retention_days=cfg["audit.retention_days"]).tail(max(1, args.n)):
        shown = {k: v for k, v in entry.items() if k not in ("prev", "hash")}
        print(json.dumps(shown, ensure_ascii=False))
    return 0

"""`kiosk update [--now]`: install a new version of the kiosk from its signed apt repository, between
citizens and inside the maintenance window, and roll back by itself when the new version is unhealthy.

Run by installer/systemd/kiosk-update.timer (as root: apt installs packages); the steps are
kiosk/updates.py. Exit code 0: updated, already up to date, or nothing to do now (outside the window,
a session ran until it closed); 1: the update failed (rolled back, or worse: see the message).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def register(sub: Any, add_config: Callable[[argparse.ArgumentParser], object]) -> None:
    p = sub.add_parser("update", help="update this kiosk from its apt repository, with rollback")
    p.add_argument("--now", action="store_true",
                   help="do not wait for the maintenance window (still waits for a citizen to finish)")
    add_config(p)


def platform_ping(config: Any) -> tuple[bool, str]:
    """The platform answers its health check (skipped for a kiosk with no platform address: the demo)."""
    url = config["platform.url"]
    if not url:
        return True, "not configured"
    from sync.platform_client import client_from_config  # requests: only for this check

    client = client_from_config(url, config)
    try:
        return (True, "answers") if client.ping() else (False, "no answer")
    finally:
        client.close()


def run(args: argparse.Namespace, config: Any) -> int:
    import logging

    from kiosk.logs import JsonFormatter
    from kiosk.updates import Updater

    # To stderr only (journald under kiosk-update.service): run as root, it must not create log
    # folders in the state directory that the UI's user could then not write to.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kiosk")
    logger.addHandler(handler)
    logger.setLevel(config["log.level"])
    try:
        if config["platform.url"]:  # loaded now: apt may replace the files it comes from while this runs
            import sync.platform_client  # noqa: F401
        outcome = Updater(config, ping=platform_ping).run(now=args.now)
    finally:
        logger.removeHandler(handler)
    line = f"kiosk update: {outcome.result}"
    if outcome.version:
        line += f"; installed {config['update.package']} {outcome.version}"
    if outcome.attempted and outcome.attempted != outcome.version:
        line += f" (tried {outcome.attempted})"
    if outcome.detail:
        line += f": {outcome.detail}"
    print(line, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1

"""`kiosk enrol CODE`: make this kiosk's device key and enrol it with the platform's one-time code.

The key pair is made here (platform.device_key_dir: folder 0700, file 0600) and only the
public key is sent. Run it again with a new code to re-enrol (after a revocation or a new
platform); the same key is kept. Nothing secret is printed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any


def register(sub: Any, add_config: Callable[[argparse.ArgumentParser], object]) -> None:
    p = sub.add_parser("enrol", help="enrol this kiosk with the platform (one-time code from the platform)")
    p.add_argument("code", help="the one-time code, e.g. ABCD-EFGH-JKMN")
    p.add_argument("--url", help="platform URL (default: platform.url)")
    add_config(p)


def run(args: argparse.Namespace, config: Any) -> int:
    from kiosk.interfaces import PlatformError
    from kiosk.platform_url import check_platform_url
    from sync.enrolment import DeviceKeyError, device_key_dir, enrol_kiosk

    url = args.url or config["platform.url"]
    if not url:
        print("kiosk enrol: platform.url is empty (the demo enrols itself with its local platform); "
              "set platform.url or pass --url", file=sys.stderr)
        return 2
    try:
        check_platform_url(url)
    except ValueError as exc:
        print(f"kiosk enrol: platform URL {exc}", file=sys.stderr)
        return 2
    try:
        enrol_kiosk(url, config, args.code)
    except DeviceKeyError as exc:
        print(f"kiosk enrol: {exc}", file=sys.stderr)
        return 1
    except PlatformError as exc:
        reason = {"http_403_enrolment-refused": "the platform refused the code (unknown, used, expired or "
                  "issued for another kiosk id); ask for a new one"}.get(exc.detail, f"platform error: {exc}")
        print(f"kiosk enrol: {reason}", file=sys.stderr)
        return 1
    print(f"kiosk {config['kiosk.id']} enrolled; device key in {device_key_dir(config)}")
    return 0

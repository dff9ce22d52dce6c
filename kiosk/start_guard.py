"""The touch UI's start, guarded: what happens before the app itself runs, and when it cannot.

`kiosk run` / `kiosk demo` (kiosk/cli.py) go through here before importing the Qt app:

1. **The start is counted first** (kiosk/crash_loop.py), right after the configuration is read and
   before the app's heavy imports, so a crash anywhere later (an import, the QML, the first
   frame) counts towards the crash loop; quick restarts wait (pinging the watchdog) first.
2. **When the kiosk cannot serve**, and a service manager runs it (``$NOTIFY_SOCKET``: the
   installed kiosk.service), the standalone out-of-service screen (screens/fallback_screen.py)
   comes up instead of a black screen or a restart loop, answers the watchdog and stays up until
   a technician fixes the cause and restarts the service:
   - a configuration it cannot run on (a bad file, missing production settings): the reason
     lines are printed first, naming each setting;
   - the app fails to import (a broken install): the journal gets the exception's type, its
     message and where it was raised (no citizen data exists yet at this point);
   - a crash loop the app does not survive long enough to show its own out-of-service screen
     (the start after the one that tripped it still came within the window).
   Run by hand (no service manager), the same problems print and exit with status 2 (config)
   or 1, as before: a technician at a terminal wants the message, not a screen.

Why not exit with a status systemd does not restart (``RestartPreventExitStatus=``)? The app is
cage's child, and cage 0.1.4 exits 0 whatever its child's status (measured: 0, 1, 2, 78 and a
SIGSEGV all come out 0; tests/test_fallback_screen.py keeps checking it), so the relay
(kiosk/notify_relay.py) and systemd never see the app's status; and a stopped unit leaves tty1
black. The screen that stays up is what a hall needs.

Qt-free and standard library only: it runs before anything heavy is imported.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Mapping
from pathlib import Path
from typing import Any

CONFIG = "config"
START_FAILED = "start_failed"
CRASH_LOOP = "crash_loop"


def under_service_manager(environ: Mapping[str, str] | None = None) -> bool:
    """True when a service manager (systemd, through the notify relay) runs this process."""
    return bool((os.environ if environ is None else environ).get("NOTIFY_SOCKET"))


def count_start(config: Any) -> Any:
    """Record this start (kiosk/crash_loop.py); wait first when the last ones came quickly.
    Returns the crash_loop.StartVerdict."""
    import logging

    from kiosk.crash_loop import CrashLoopPolicy, record_start

    log = logging.getLogger("kiosk.app")
    policy = CrashLoopPolicy(limit=config["service.crash_loop_starts"],
                             window_seconds=config["service.crash_loop_minutes"] * 60,
                             max_backoff=config["service.max_backoff_seconds"])
    state_dir = config.path("kiosk.state_dir")
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # record_start copes with an unwritable folder (the disk check reports it)
    verdict = record_start(state_dir, policy)
    if verdict.tripped:
        log.error("crash loop: out of service until a technician clears it",
                  extra={"event": "crash_loop", "starts": verdict.recent})
    elif verdict.backoff:
        from kiosk.notify import notifier_from_env

        log.warning("quick restarts: waiting before starting", extra={"event": "restart_backoff",
                                                                     "starts": verdict.recent,
                                                                     "seconds": verdict.backoff})
        notifier = notifier_from_env()
        notifier.status(f"restarted {verdict.recent} times within minutes: waiting {verdict.backoff:g} s")
        end = time.monotonic() + verdict.backoff
        while (left := end - time.monotonic()) > 0:  # the watchdog runs during the wait too
            notifier.ping()
            time.sleep(min(left, 1.0))
    return verdict


def app_cannot_survive(verdict: Any, config: Any) -> bool:
    """A crash loop the app itself did not survive: it tripped at the limit and should have stayed
    up on its own out-of-service screen, yet another start came within the window."""
    return bool(verdict.tripped and verdict.recent > config["service.crash_loop_starts"])


def describe_failure(exc: BaseException) -> str:
    """One line for the journal: the exception's type and message and where it was raised (the
    innermost frame). Only start-up code has run: no citizen data can be in it."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    message = " ".join(str(exc).split())[:300]
    return f"{type(exc).__name__}: {message}{where}" if message else f"{type(exc).__name__}{where}"


def out_of_service(reason: str, *, config: Any = None, windowed: bool = False, exit_code: int = 1) -> int:
    """Show the standalone out-of-service screen until stopped (0); when even that cannot start
    (Qt itself is broken), say so and return exit_code. With the configuration (None: it could
    not be read), the heartbeat says out of service too, and a clean stop is recorded."""
    print(f"kiosk: out of service ({reason}): showing the out-of-service screen until the service is "
          "restarted", file=sys.stderr, flush=True)
    try:
        from screens.fallback_screen import run

        state_dir = config.path("kiosk.state_dir") if config is not None else None
        return run(reason, state_dir=state_dir, windowed=windowed, config=config)
    except Exception as exc:  # PySide6 or the screen itself is broken: nothing can be shown
        print(f"kiosk: the out-of-service screen cannot start either: {describe_failure(exc)}", file=sys.stderr)
        return exit_code

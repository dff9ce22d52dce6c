"""Crash loops: the UI records its starts, backs off, and after too many stays out of service.

systemd restarts the UI whatever happened (``Restart=always``); Debian 12's systemd has no
growing restart delay. So the UI counts its own starts in ``starts.json`` under the state
directory: a start within ``window_seconds`` of ``limit`` - 1 others means the kiosk keeps
falling over. Then it does not try to serve citizens again: it shows the out-of-service screen
with the reason, keeps answering the watchdog, and stays so (over further restarts) until a
technician puts it back in service (maintenance mode's "put back in service"). Before
that, each quick restart waits a little longer than the one before (``backoff``), so a loop
costs little and the screen does not flicker between the attract screen and nothing.

A clean stop (SIGTERM from `systemctl stop`, the event loop ended) forgets the starts: only
deaths count. Qt-free, standard library only.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

STARTS_FILE = "starts.json"
REASON = "out_of_service_crash_loop"  # the message key the out-of-service screen shows
RESTART_EXIT_CODE = 75  # maintenance's "restart the app": `kiosk run` starts itself again; systemd would too
MAX_KEPT = 100


@dataclass(frozen=True)
class CrashLoopPolicy:
    limit: int = 5  # starts within the window that make a crash loop
    window_seconds: float = 600.0
    max_backoff: float = 16.0  # longest wait before a quick restart goes on


@dataclass(frozen=True)
class StartVerdict:
    recent: int  # starts within the window, this one included
    tripped: bool  # a crash loop: show out of service until a technician clears it
    backoff: float  # seconds to wait before starting the UI (0: none)


def _read(path: Path) -> dict:
    """{"starts": [times], "tripped": bool}; a missing or garbled file (a cut write) reads as empty."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    if not isinstance(data, dict):
        data = {}
    starts = data.get("starts")
    starts = [float(s) for s in starts if isinstance(s, (int, float)) and not isinstance(s, bool)
              and math.isfinite(s)] if isinstance(starts, list) else []
    return {"starts": starts, "tripped": data.get("tripped") is True}


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out)
    os.replace(tmp, path)


def backoff(recent: int, max_backoff: float) -> float:
    """No wait for the first two starts in a window, then 1, 2, 4 ... seconds up to max_backoff."""
    return 0.0 if recent <= 2 else min(float(2 ** (recent - 3)), max_backoff)


def record_start(state_dir: Path, policy: CrashLoopPolicy, *, now: float | None = None) -> StartVerdict:
    """Count this start; say whether the kiosk is in a crash loop and how long to wait first."""
    now = time.time() if now is None else now
    path = state_dir / STARTS_FILE
    data = _read(path)
    starts = [s for s in data["starts"] if now - policy.window_seconds <= s <= now] + [now]
    tripped = data["tripped"] or len(starts) >= policy.limit
    try:
        _write(path, {"starts": starts[-MAX_KEPT:], "tripped": tripped})
    except OSError:
        pass  # a full or read-only disk: start anyway (the disk check reports it)
    return StartVerdict(len(starts), tripped, 0.0 if tripped else backoff(len(starts), policy.max_backoff))


def record_clean_stop(state_dir: Path) -> None:
    """A clean stop: the starts so far were not crashes (a crash loop already shown stays)."""
    path = state_dir / STARTS_FILE
    data = _read(path)
    if not data.get("starts"):
        return
    with contextlib.suppress(OSError):
        _write(path, {"starts": [], "tripped": data["tripped"]})


def is_tripped(state_dir: Path) -> bool:
    return _read(state_dir / STARTS_FILE).get("tripped", False)


def clear(state_dir: Path) -> bool:
    """A technician puts the kiosk back in service: forget the starts and the crash loop.
    Returns whether a crash loop was recorded."""
    path = state_dir / STARTS_FILE
    was = _read(path).get("tripped", False)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return was

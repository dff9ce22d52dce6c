"""What survives a restart of the touch UI's process, and what must not.

The journey, the session and the citizen's grant live only in the UI process's memory, so a
restarted process (systemd's watchdog killed a frozen UI, or it crashed) starts on the attract
screen with nothing of the previous citizen. What is on disk is handled here:

- ``session.json``: written while a citizen session runs (only when it began: no ticket, no
  name, no number), removed when it ends. Found at start-up, the previous process died in a
  session: it is removed and reported as ``session_abandoned`` (audit trail).
- partial print files (``.job-*.tmp`` in the demo printer's folder): a process killed while
  writing a certificate copy leaves one; it is deleted unread.
- ``ui-ready.json``: written by the UI once the attract screen is painted (pid, version, time);
  `kiosk update`'s health check and the watchdog tests read it.
- ``updating.json``: written by `kiosk update` while it installs; the UI takes no new citizen
  meanwhile (out of service once the current one is done).

Qt-free and standard library only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.state_access import file_mode

SESSION_FILE = "session.json"
READY_FILE = "ui-ready.json"
UPDATING_FILE = "updating.json"
UPDATING_REASON = "out_of_service_updating"  # the message key the out-of-service screen shows
UPDATING_MAX_SECONDS = 3600.0  # `kiosk update` renews the flag before each install
PARTIAL_PRINTS = ".job-*.tmp"


@dataclass(frozen=True)
class Leftovers:
    """What a previous process left behind and start-up removed."""

    abandoned_session: bool = False
    partial_prints: int = 0

    @property
    def any(self) -> bool:
        return self.abandoned_session or self.partial_prints > 0


def _write_json(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (a temporary name, then rename), owner-only."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def mark_session(state_dir: Path, in_session: bool, *, now: float | None = None) -> None:
    """Record that a citizen session runs (or remove the record when it ended)."""
    path = state_dir / SESSION_FILE
    if in_session:
        _write_json(path, {"since": time.time() if now is None else now})
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def session_running(state_dir: Path) -> bool:
    """True while the UI records a citizen session (the update command waits for it to end)."""
    return (state_dir / SESSION_FILE).exists()


def wipe_leftovers(state_dir: Path, prints_dir: Path | None = None) -> Leftovers:
    """Remove what the previous process left of its last session (called at start-up, before any citizen)."""
    abandoned = False
    try:
        (state_dir / SESSION_FILE).unlink()
        abandoned = True
    except FileNotFoundError:
        pass
    partial = 0
    if prints_dir is not None and prints_dir.is_dir():
        for path in prints_dir.glob(PARTIAL_PRINTS):
            with contextlib.suppress(OSError):
                path.unlink()
                partial += 1
    return Leftovers(abandoned, partial)


def write_ready(state_dir: Path, *, version: str, screen: str, now: float | None = None) -> None:
    """The UI reached its first screen: pid, version, screen and time for health checks."""
    _write_json(state_dir / READY_FILE, {"pid": os.getpid(), "version": version, "screen": screen,
                                         "at": time.time() if now is None else now})


def read_ready(state_dir: Path) -> dict[str, Any] | None:
    """The last ready record, or None (missing or unreadable: garbage is never trusted)."""
    try:
        data = json.loads((state_dir / READY_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("at"), (int, float)) or isinstance(data["at"], bool):
        return None
    return data


def mark_updating(state_dir: Path, on: bool) -> None:
    """`kiosk update` is (or no longer is) installing: the UI stops taking citizens meanwhile."""
    path = state_dir / UPDATING_FILE
    if on:
        _write_json(path, {"since": time.time()})
        os.chmod(path, file_mode(state_dir, writable=False))  # the UI (another user) reads it through the group
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def updating(state_dir: Path, *, now: float | None = None) -> bool:
    """True while `kiosk update` installs. A flag older than UPDATING_MAX_SECONDS, or garbled, is
    stale (an update killed half-way, a power cut): it must not keep the kiosk out of service."""
    try:
        since = json.loads((state_dir / UPDATING_FILE).read_text(encoding="utf-8")).get("since")
    except (OSError, ValueError, AttributeError):
        return False
    if not isinstance(since, (int, float)) or isinstance(since, bool):
        return False
    return 0 <= (time.time() if now is None else now) - since <= UPDATING_MAX_SECONDS

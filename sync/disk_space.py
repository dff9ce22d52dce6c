"""Disk space for the outbox, watched ahead of time.

Below ``min_free`` bytes on the state folder's file system the kiosk stops taking offline work
(the heartbeat reports ``disk_low``), long before SQLite meets a full disk. A reserve file of
``reserve`` bytes is kept beside the outbox; when a write still finds the disk full, the reserve
is given up so the transaction at hand, the sync engine's bookkeeping and the heartbeat can be
written, and it is taken again once space has come back.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.state_access import file_mode

log = logging.getLogger("kiosk.sync.disk")

RESERVE_FILE = "space-reserve"
MB = 1024 * 1024


@dataclass(frozen=True)
class SpacePolicy:
    min_free: int = 50 * MB  # below this no offline work is taken
    reserve: int = 16 * MB  # kept in a file, given up when the disk is full


class SpaceGuard:
    """Free space of one folder's file system, and the reserve file in it."""

    def __init__(self, folder: str | os.PathLike[str], policy: SpacePolicy | None = None, *,
                 statvfs: Callable[[str], os.statvfs_result] = os.statvfs) -> None:
        self.folder = Path(folder)
        self.policy = policy or SpacePolicy()
        self.reserve_path = self.folder / RESERVE_FILE
        self._statvfs = statvfs

    def free_bytes(self) -> int | None:
        """Bytes available to this process, or None when the folder cannot be looked at."""
        try:
            st = self._statvfs(os.fspath(self.folder))
        except OSError:
            return None
        return st.f_bavail * st.f_frsize

    def low(self) -> bool:
        free = self.free_bytes()
        return free is not None and free < self.policy.min_free

    def has_reserve(self) -> bool:
        return self.reserve_path.exists()

    def ensure_reserve(self) -> bool:
        """Take the reserve when it is missing and there is room beyond the low mark; True if held."""
        if self.policy.reserve <= 0 or self.has_reserve():
            return self.has_reserve()
        free = self.free_bytes()
        if free is None or free < self.policy.min_free + self.policy.reserve:
            return False
        tmp = self.reserve_path.with_name(RESERVE_FILE + ".tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, file_mode(tmp.parent))
            try:
                os.posix_fallocate(fd, 0, self.policy.reserve)
            finally:
                os.close(fd)
            os.replace(tmp, self.reserve_path)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
            return False
        log.info("disk space reserve taken", extra={"event": "disk_reserve_taken"})
        return True

    def release_reserve(self) -> bool:
        """Give the reserve back to the file system; True when there was one."""
        try:
            self.reserve_path.unlink()
        except FileNotFoundError:
            return False
        except OSError:
            return False
        log.error("disk full: space reserve released", extra={"event": "disk_reserve_released"})
        return True

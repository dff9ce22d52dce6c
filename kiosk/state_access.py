"""Who may read the kiosk's private state files: their owner, or also the state's shared group.

On an installed kiosk the touch UI (user kiosk) and the sync engine (user kiosk-sync, in group
kiosk) share one state folder, /var/lib/kiosk, which the package makes kiosk:kiosk 2770: setgid,
so everything made inside belongs to group kiosk. There the private files (outbox key, device key,
locks) are 0660 (the device key 0640) and their folders 2770, and nobody else gets anything.
Anywhere else (a developer's ~/.local/state, a test's temporary folder) nothing changes: files
0600, folders 0700. A group may read only when it is the shared folder's own group.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def shared_group(folder: Path) -> int | None:
    """The group a setgid folder (or its nearest existing parent) shares files with; None: owner only."""
    path = Path(folder)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_gid if st.st_mode & stat.S_ISGID else None


def file_mode(folder: Path, *, writable: bool = True) -> int:
    """The mode of a private file made in folder."""
    if shared_group(folder) is None:
        return 0o600
    return 0o660 if writable else 0o640


def dir_mode(parent: Path) -> int:
    """The mode of a private folder made in parent."""
    return 0o2770 if shared_group(parent) is not None else 0o700


def exposure(st: os.stat_result, shared_gid: int | None) -> str:
    """'' when only the owner (and the shared group) can get at it; else who else can."""
    mode = stat.S_IMODE(st.st_mode)
    if mode & 0o007:
        return "others"
    if mode & 0o070 and (shared_gid is None or st.st_gid != shared_gid):
        return "its group"
    return ""


def make_dir(path: Path) -> None:
    """Make a private folder (and its parents) with the mode ``dir_mode`` gives, and set the mode
    only when it differs. Inside a setgid folder the kernel gives the new folder the setgid bit
    and the group itself: a sandbox with RestrictSUIDSGID=yes (both units) refuses any chmod that
    names the setgid bit, so with the units' UMask=0007 no chmod is needed at all."""
    mode = dir_mode(path.parent)
    path.mkdir(mode=mode & 0o777, parents=True, exist_ok=True)
    st = path.stat()
    if stat.S_IMODE(st.st_mode) != mode and st.st_uid == os.geteuid():
        os.chmod(path, mode)

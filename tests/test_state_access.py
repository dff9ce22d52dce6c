"""A shared setgid state folder (the package's /var/lib/kiosk, kiosk:kiosk 2770): the UI's and the
sync engine's users both reach the private files through the folder's group, nobody else does;
outside such a folder everything stays owner-only (kiosk/state_access.py)."""

from __future__ import annotations

import grp
import os
import stat
from pathlib import Path

import pytest

from kiosk.config import Config
from kiosk.config_checks import file_problems
from kiosk.state_access import dir_mode, exposure, file_mode, shared_group
from sync.device_key import KEY_FILE, DeviceKey, DeviceKeyError
from sync.envelope import KEY_FILE as OUTBOX_KEY_FILE
from sync.envelope import Keyring


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    os.chmod(folder, 0o2770)
    return folder


def test_a_plain_folder_stays_owner_only(tmp_path: Path) -> None:
    assert shared_group(tmp_path) is None
    assert (file_mode(tmp_path), dir_mode(tmp_path)) == (0o600, 0o700)
    key = tmp_path / "device-key"
    DeviceKey.load_or_create(key)
    assert (mode(key), mode(key / KEY_FILE)) == (0o700, 0o600)


def test_a_setgid_folder_shares_with_its_group_only(shared: Path) -> None:
    gid = shared.stat().st_gid
    assert shared_group(shared) == gid and shared_group(shared / "not" / "made" / "yet") == gid
    key_dir = shared / "device-key"
    key = DeviceKey.load_or_create(key_dir)
    assert mode(key_dir) == 0o2770 and mode(key_dir / KEY_FILE) == 0o640
    assert (key_dir / KEY_FILE).stat().st_gid == gid
    assert DeviceKey.load(key_dir).public_text == key.public_text
    config = Config().with_overrides(kiosk__state_dir=str(shared), platform__device_key_dir=str(key_dir))
    assert not [p for p in file_problems(config) if "device_key_dir" in p]


def test_the_outbox_key_is_shared_too(shared: Path) -> None:
    ring = Keyring(shared / "keys")
    assert ring is not None
    assert mode(shared / "keys") == 0o2770 and mode(shared / "keys" / OUTBOX_KEY_FILE) == 0o660
    # a key file others could read is taken back to the shared mode, not further
    os.chmod(shared / "keys" / OUTBOX_KEY_FILE, 0o664)
    Keyring(shared / "keys")
    assert mode(shared / "keys" / OUTBOX_KEY_FILE) == 0o660


def test_the_outbox_database_is_shared(shared: Path) -> None:
    from sync.outbox import SqliteOutbox

    box = SqliteOutbox(shared / "outbox.db")
    try:
        box.enqueue("heartbeat", {"queued": 0})
        for name in ("outbox.db", "outbox.db-wal", "outbox.db-shm"):
            if (shared / name).exists():
                assert mode(shared / name) == 0o660, name
                assert (shared / name).stat().st_gid == shared.stat().st_gid
    finally:
        box.close()


def test_others_are_refused_even_in_a_shared_folder(shared: Path) -> None:
    key_dir = shared / "device-key"
    DeviceKey.load_or_create(key_dir)
    os.chmod(key_dir / KEY_FILE, 0o644)
    with pytest.raises(DeviceKeyError, match="readable by others"):
        DeviceKey.load(key_dir)
    config = Config().with_overrides(kiosk__state_dir=str(shared), platform__device_key_dir=str(key_dir))
    assert any("others can read" in p for p in file_problems(config))


@pytest.mark.skipif(os.geteuid() != 0, reason="changes a file's group (needs root)")
def test_another_group_is_refused(shared: Path) -> None:
    key_dir = shared / "device-key"
    DeviceKey.load_or_create(key_dir)
    other = grp.getgrnam("nogroup").gr_gid
    os.chown(key_dir / KEY_FILE, -1, other)
    with pytest.raises(DeviceKeyError):
        DeviceKey.load(key_dir)
    assert exposure((key_dir / KEY_FILE).stat(), shared.stat().st_gid) == "its group"

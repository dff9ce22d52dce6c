"""Encryption at rest for outbox payloads: AES-256-GCM with keys kept outside the database.

A payload is stored as an envelope: the fields the platform needs that are not personal
in clear (``data``), the personal ones sealed (``sealed``: key id, nonce, ciphertext).
The row's idempotency key and kind are the associated data, so a sealed blob cannot be
moved to another row. Keys live in a 0600 JSON file under the state directory; rotation
adds a key and makes it current, old keys stay until no row uses them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import logging
import os
import secrets
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.state_access import exposure, file_mode, make_dir, shared_group

log = logging.getLogger("kiosk.sync.envelope")

ENVELOPE_VERSION = 1
KEY_FILE = "outbox-keys.json"


class EnvelopeError(ValueError):
    """A stored payload that cannot be read: bad shape, unknown key or failed authentication."""


class KeyFileError(RuntimeError):
    """The key file is missing pieces or unreadable; the message names no key material."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    if not isinstance(text, str):
        raise EnvelopeError(what)
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise EnvelopeError(what) from None


class Keyring:
    """AES-GCM keys in one 0600 file: {"current": kid, "keys": {kid: base64}}. Thread-safe."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / KEY_FILE
        self._lock = threading.Lock()
        self._keys: dict[str, bytes] = {}
        self._current = ""
        self._mtime = -1.0
        self._load(create=True)

    # -- file handling
    def _load(self, *, create: bool = False) -> None:
        if not self.path.exists():
            if not create:
                raise KeyFileError("key file missing")
            self._create()
        if exposure(self.path.stat(), shared_group(self.directory)):
            log.warning("key file was readable by others; fixing its mode", extra={"event": "key_mode"})
            os.chmod(self.path, file_mode(self.directory))
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in raw["keys"].items()}
            current = raw["current"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise KeyFileError(f"key file {self.path.name} is unreadable") from None
        if current not in keys or any(len(k) != 32 for k in keys.values()):
            raise KeyFileError(f"key file {self.path.name} is inconsistent")
        self._keys, self._current, self._mtime = keys, current, self.path.stat().st_mtime

    @staticmethod
    def _text(keys: dict[str, bytes], current: str) -> str:
        return json.dumps({"current": current, "keys": {k: _b64(v) for k, v in keys.items()}})

    def _temp_file(self, text: str) -> Path:
        """A complete, fsynced 0600 file with a name no other process uses."""
        fd, name = tempfile.mkstemp(prefix=".outbox-keys-", suffix=".tmp", dir=self.directory)
        try:
            os.fchmod(fd, file_mode(self.directory))
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        return Path(name)

    def _sync_dir(self) -> None:
        dir_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _create(self) -> None:
        """Make the first key exactly once: the file appears whole (link, not rename) and only if no
        other process made it first; the loser simply reads the winner's key."""
        if not self.directory.is_dir():
            make_dir(self.directory)
        kid = secrets.token_hex(4)
        tmp = self._temp_file(self._text({kid: AESGCM.generate_key(bit_length=256)}, kid))
        try:
            os.link(tmp, self.path)
        except FileExistsError:
            log.info("another process created the outbox key first", extra={"event": "key_created_elsewhere"})
        finally:
            os.unlink(tmp)
        self._sync_dir()

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Rotation and retirement read, change and replace the file: one process at a time."""
        fd = os.open(self.directory / (KEY_FILE + ".lock"), os.O_RDWR | os.O_CREAT, file_mode(self.directory))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write(self, keys: dict[str, bytes], current: str) -> None:
        """Atomically replace the key file (unique 0600 temp, fsync, rename, fsync dir)."""
        tmp = self._temp_file(self._text(keys, current))
        try:
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)
            raise
        self._sync_dir()
        self._keys, self._current, self._mtime = dict(keys), current, self.path.stat().st_mtime

    def _refresh(self) -> None:
        """Another process (the CLI) may have rotated: reload when the file changed."""
        try:
            changed = self.path.stat().st_mtime != self._mtime
        except OSError:
            raise KeyFileError("key file missing") from None
        if changed:
            self._load()

    # -- public
    @property
    def current(self) -> str:
        with self._lock:
            self._refresh()
            return self._current

    def key_ids(self) -> list[str]:
        with self._lock:
            self._refresh()
            return sorted(self._keys)

    def key(self, kid: str) -> bytes | None:
        with self._lock:
            if kid not in self._keys:
                self._refresh()
            return self._keys.get(kid)

    def rotate(self) -> str:
        """Add a new key and make it current; returns its id. Old keys are kept."""
        with self._lock, self._file_lock():
            self._load()
            kid = secrets.token_hex(4)
            self._write({**self._keys, kid: AESGCM.generate_key(bit_length=256)}, kid)
            return kid

    def retire(self, in_use: set[str]) -> list[str]:
        """Drop keys that are neither current nor in use; returns the dropped ids."""
        with self._lock, self._file_lock():
            self._load()
            keep = {k: v for k, v in self._keys.items() if k == self._current or k in in_use}
            dropped = sorted(set(self._keys) - set(keep))
            if dropped:
                self._write(keep, self._current)
            return dropped


def _aad(row_key: str, kind: str) -> bytes:
    return json.dumps([row_key, kind]).encode()


def seal(keyring: Keyring, row_key: str, kind: str, plain: dict[str, Any],
         personal: dict[str, Any]) -> str:
    """The envelope text for one row; personal fields are encrypted (none: nothing sealed)."""
    envelope: dict[str, Any] = {"v": ENVELOPE_VERSION, "data": plain}
    if personal:
        kid = keyring.current
        key = keyring.key(kid)
        if key is None:
            raise KeyFileError("current key missing")
        nonce = secrets.token_bytes(12)
        body = json.dumps(personal, ensure_ascii=False, allow_nan=False).encode()
        envelope["sealed"] = {"kid": kid, "nonce": _b64(nonce),
                              "ct": _b64(AESGCM(key).encrypt(nonce, body, _aad(row_key, kind)))}
    return json.dumps(envelope, ensure_ascii=False, allow_nan=False)


def parse(text: Any) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Split envelope text into (clear data, sealed part or None); EnvelopeError on any bad shape."""
    if not isinstance(text, str | bytes):
        raise EnvelopeError("envelope type")
    try:
        env = json.loads(text)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EnvelopeError("envelope json") from None
    if not isinstance(env, dict) or env.get("v") != ENVELOPE_VERSION or not isinstance(env.get("data"), dict):
        raise EnvelopeError("envelope shape")
    sealed = env.get("sealed")
    if sealed is not None and not (isinstance(sealed, dict) and isinstance(sealed.get("kid"), str)):
        raise EnvelopeError("sealed shape")
    if set(env) - {"v", "data", "sealed"}:
        raise EnvelopeError("envelope fields")
    return env["data"], sealed


def sealed_key_id(text: str) -> str | None:
    """The key id a stored envelope was sealed with (None: nothing sealed)."""
    _, sealed = parse(text)
    return None if sealed is None else sealed["kid"]


def open_envelope(keyring: Keyring, row_key: str, kind: str, text: Any) -> dict[str, Any]:
    """The full payload (clear + decrypted personal fields); EnvelopeError when unreadable."""
    data, sealed = parse(text)
    if sealed is None:
        return dict(data)
    key = keyring.key(sealed["kid"])
    if key is None:
        raise EnvelopeError("unknown key id")
    nonce, ct = _unb64(sealed.get("nonce"), "nonce"), _unb64(sealed.get("ct"), "ciphertext")
    if len(nonce) != 12:
        raise EnvelopeError("nonce")
    try:
        personal = json.loads(AESGCM(key).decrypt(nonce, ct, _aad(row_key, kind)))
    except InvalidTag:
        raise EnvelopeError("authentication failed") from None
    except ValueError:
        raise EnvelopeError("sealed json") from None
    if not isinstance(personal, dict):
        raise EnvelopeError("sealed shape")
    return {**data, **personal}


def strip_sealed(text: str) -> str:
    """The envelope without its sealed part (a delivered row keeps no personal data)."""
    data, _ = parse(text)
    return json.dumps({"v": ENVELOPE_VERSION, "data": data}, ensure_ascii=False)

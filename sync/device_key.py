"""This kiosk's own device key (Ed25519): made on the kiosk at enrolment, never leaves it.

The private key lives in one PEM file, mode 0600, inside a folder of mode 0700 owned by
the kiosk's user. A key file or folder that others can read is refused rather than used,
so a copied or loosened key is noticed. The platform learns only the public key, at
enrolment (sync.enrolment), and checks every request signature against it.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.state_access import exposure, file_mode, make_dir, shared_group

KEY_FILE = "device-key.pem"
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64


class DeviceKeyError(Exception):
    """The device key is missing or unsafe; the message says what to do (no key material)."""


def encode_public_key(key: Ed25519PublicKey) -> str:
    """Raw 32-byte public key, base64 (how it travels at enrolment)."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def decode_public_key(text: object) -> Ed25519PublicKey | None:
    """The public key in text, or None when it is not a base64 Ed25519 key."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        return None
    if len(raw) != PUBLIC_KEY_BYTES:
        return None
    return Ed25519PublicKey.from_public_bytes(raw)


def verify_signature(public: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True


class DeviceKey:
    """An Ed25519 private key with its public half; repr shows neither."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.public_text = encode_public_key(self.public)

    def __repr__(self) -> str:
        return "DeviceKey(ed25519)"

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)

    @classmethod
    def generate(cls) -> DeviceKey:
        """A fresh key in memory only (tests and benchmarks); kiosks use load_or_create."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, folder: Path) -> DeviceKey:
        """The key in folder; DeviceKeyError when it is missing or others may read it."""
        path = folder / KEY_FILE
        try:
            folder_stat = folder.stat()
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise DeviceKeyError(f"no device key in {folder}: enrol this kiosk first (kiosk enrol CODE)") from None
        except OSError as exc:
            raise DeviceKeyError(f"device key in {folder} cannot be read ({exc.strerror})") from None
        try:
            file_stat = os.fstat(fd)
            shared = shared_group(folder)
            if exposure(folder_stat, shared) or exposure(file_stat, shared):
                raise DeviceKeyError(f"device key in {folder} is readable by others: folder must be 0700 and "
                                     f"{KEY_FILE} 0600 (in a shared setgid state folder: 2770 and 0640, "
                                     "its group)")
            data = os.read(fd, 4096)
        finally:
            os.close(fd)
        try:
            private = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError):
            private = None
        if not isinstance(private, Ed25519PrivateKey):
            raise DeviceKeyError(f"{folder / KEY_FILE} is not an Ed25519 private key")
        return cls(private)

    @classmethod
    def load_or_create(cls, folder: Path) -> DeviceKey:
        """The key in folder, made first (folder 0700, file 0600) when there is none yet."""
        make_dir(folder)
        path = folder / KEY_FILE
        if path.exists():
            return cls.load(folder)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        tmp = folder / (KEY_FILE + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        mode = file_mode(folder, writable=False)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
        try:
            os.fchmod(fd, mode)
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        return cls.load(folder)

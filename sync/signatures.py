"""Detached file signatures: SM2 with SM3 (gmssl) and ECDSA P-256 with SHA-256 (cryptography).

The platform signs every file it serves; the kiosk verifies before anything is shown or
printed. What is signed is a short text that binds the file's SHA-256 to the certificate,
the signing time and, for purpose-stamped copies, the verification code, URL and expiry:

    kiosk-file-signature/1 \\n cert_id \\n signed_at \\n sha256 hex \\n verify_code \\n verify_url \\n expires

Public keys travel as uncompressed points in hex ("04" || X || Y). gmssl 3.2.2 mangles such
keys (it lstrips the characters "0" and "4", not the prefix), so every SM2 key goes through
normalize_sm2_public_key and is set on the gmssl object directly.
"""

from __future__ import annotations

import base64
import binascii
import datetime as _dt
import functools
import hashlib
import secrets
import struct
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from gmssl import func, sm2, sm3

SM2_SM3 = "SM2-SM3"
ECDSA_P256 = "ECDSA-P256-SHA256"
ALGORITHMS = (SM2_SM3, ECDSA_P256)

_SM2 = sm2.default_ecc_table
_SM2_P, _SM2_N = int(_SM2["p"], 16), int(_SM2["n"], 16)
_SM2_A, _SM2_B = int(_SM2["a"], 16), int(_SM2["b"], 16)


class SignatureRejected(Exception):
    """A signature that fails, or one we cannot check. The message is a short reason key."""


@dataclass(frozen=True)
class PublicKey:
    """One published verification key with its validity window (UTC)."""

    key_id: str
    algorithm: str
    public_key: str  # uncompressed point, hex: "04" || X || Y
    not_before: _dt.datetime
    not_after: _dt.datetime


@dataclass(frozen=True)
class FileSignature:
    """The detached signature that comes with a file (response headers X-File-Signature*)."""

    key_id: str
    algorithm: str
    signed_at: _dt.datetime
    value: bytes


def normalize_sm2_public_key(key: str | bytes) -> str:
    """The 128-hex-digit X || Y of an SM2 public key, checked to lie on the curve.

    Accepts hex or bytes, with or without the 04 prefix. Raises SignatureRejected otherwise.
    """
    if isinstance(key, bytes):
        raw = key
    else:
        try:
            raw = bytes.fromhex(key.strip())
        except ValueError:
            raise SignatureRejected("bad_key") from None
    if len(raw) == 65 and raw[0] == 4:
        raw = raw[1:]
    if len(raw) != 64:
        raise SignatureRejected("bad_key")
    x, y = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if not (x < _SM2_P and y < _SM2_P and (y * y - x * x * x - _SM2_A * x - _SM2_B) % _SM2_P == 0):
        raise SignatureRejected("bad_key")
    return raw.hex()


_SM2_USER_ID = b"1234567812345678"  # the default user id of GB/T 32918 and gmssl


def _sm3(data: bytes) -> bytes:
    """SM3 through OpenSSL when it has it (fast), else gmssl's pure-Python SM3."""
    try:
        return hashlib.new("sm3", data).digest()
    except ValueError:
        return bytes.fromhex(sm3.sm3_hash(func.bytes_to_list(data)))


@functools.lru_cache(maxsize=64)
def _sm2_za(public_raw_hex: str) -> bytes:
    """Z_A = SM3(ENTL || ID || a || b || xG || yG || xA || yA), cached per key."""
    table = "".join(_SM2[k] for k in ("a", "b", "g"))
    return _sm3(struct.pack(">H", len(_SM2_USER_ID) * 8) + _SM2_USER_ID + bytes.fromhex(table + public_raw_hex))


def sm2_digest(public_raw_hex: str, message: bytes) -> bytes:
    """e = SM3(Z_A || M): what SM2-with-SM3 signs (the same value gmssl's sign_with_sm3 computes)."""
    return _sm3(_sm2_za(public_raw_hex) + message)


def _sm2(private_hex: str, public_raw_hex: str) -> sm2.CryptSM2:
    crypt = sm2.CryptSM2(private_key=private_hex, public_key="")
    crypt.public_key = public_raw_hex  # set directly: the constructor would mangle a leading 0 or 4
    return crypt


def file_message(cert_id: str, signed_at: _dt.datetime, data: bytes, *, verify_code: str = "",
                 verify_url: str = "", expires: str = "") -> bytes:
    """The bytes that are actually signed for one file."""
    lines = ("kiosk-file-signature/1", cert_id, format_time(signed_at), hashlib.sha256(data).hexdigest(),
             verify_code, verify_url, expires)
    return "\n".join(lines).encode()


def format_time(when: _dt.datetime) -> str:
    return when.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> _dt.datetime:
    """An RFC 3339 UTC time as written by format_time; raises ValueError otherwise."""
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("time")
    when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("time zone")
    return when.astimezone(_dt.UTC)


class SigningKey:
    """A private key of the platform (the reference server's side)."""

    def __init__(self, key_id: str, algorithm: str, secret: int, not_before: _dt.datetime,
                 not_after: _dt.datetime) -> None:
        if algorithm not in ALGORITHMS:
            raise ValueError("unknown algorithm")
        self.key_id, self.algorithm = key_id, algorithm
        if algorithm == SM2_SM3:
            d = secret % (_SM2_N - 2) + 1
            self._private_hex = format(d, "064x")
            self._sm2_public = _sm2(self._private_hex, "")._kg(d, _SM2["g"])
            public = "04" + self._sm2_public
        else:
            self._ec = ec.derive_private_key(secret % (2**255) + 1, ec.SECP256R1())
            public = self._ec.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint).hex()
        self.public = PublicKey(key_id, algorithm, public, not_before, not_after)

    def sign(self, message: bytes) -> bytes:
        if self.algorithm == ECDSA_P256:
            return self._ec.sign(message, ec.ECDSA(hashes.SHA256()))
        crypt = _sm2(self._private_hex, self._sm2_public)
        digest = sm2_digest(self._sm2_public, message)
        while True:
            value = crypt.sign(digest, format(secrets.randbelow(_SM2_N - 1) + 1, "064x"))
            if value:
                return bytes.fromhex(value)

    def sign_file(self, cert_id: str, data: bytes, *, signed_at: _dt.datetime | None = None,
                  **stamp: str) -> FileSignature:
        when = (signed_at or _dt.datetime.now(_dt.UTC)).replace(microsecond=0)
        return FileSignature(self.key_id, self.algorithm, when, self.sign(file_message(cert_id, when, data, **stamp)))


def verify_signature(key: PublicKey, message: bytes, value: bytes) -> bool:
    """True when value is key's signature over message."""
    if key.algorithm == SM2_SM3:
        if len(value) != 64:
            return False
        r, s = int.from_bytes(value[:32], "big"), int.from_bytes(value[32:], "big")
        if not (0 < r < _SM2_N and 0 < s < _SM2_N):
            return False
        try:
            public = normalize_sm2_public_key(key.public_key)
            return bool(_sm2("", public).verify(value.hex(), sm2_digest(public, message)))
        except (SignatureRejected, ValueError, TypeError, IndexError, binascii.Error):
            return False
    if key.algorithm == ECDSA_P256:
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes.fromhex(key.public_key))
            public.verify(value, message, ec.ECDSA(hashes.SHA256()))
        except (InvalidSignature, ValueError):
            return False
        return True
    return False


def verify_file(keys: Mapping[str, PublicKey], cert_id: str, data: bytes, signature: FileSignature, *,
                now: _dt.datetime | None = None, **stamp: str) -> None:
    """Check a file's detached signature; raises SignatureRejected with a reason key.

    Rejects an unknown key id, an algorithm that does not match the key, a signing time
    outside the key's validity or in the future, and any signature that does not verify.
    """
    key = keys.get(signature.key_id)
    if key is None:
        raise SignatureRejected("unknown_key")
    if key.algorithm != signature.algorithm:
        raise SignatureRejected("algorithm_mismatch")
    now = now or _dt.datetime.now(_dt.UTC)
    if not key.not_before <= signature.signed_at <= key.not_after:
        raise SignatureRejected("key_expired")
    if signature.signed_at > now + _dt.timedelta(minutes=10):
        raise SignatureRejected("signed_in_future")
    message = file_message(cert_id, signature.signed_at, data, **stamp)
    if not verify_signature(key, message, signature.value):
        raise SignatureRejected("mismatch")


def encode_signature(value: bytes) -> str:
    return base64.b64encode(value).decode()


def decode_signature(text: str) -> bytes:
    """Base64 signature bytes; raises SignatureRejected when it is not base64 of a sane size."""
    try:
        value = base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise SignatureRejected("malformed") from None
    if not 8 <= len(value) <= 512:
        raise SignatureRejected("malformed")
    return value

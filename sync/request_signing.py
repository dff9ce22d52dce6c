"""Request signatures between a kiosk and the platform: each kiosk signs with its own Ed25519 device key.

Each signed request carries these headers:

    X-Kiosk-Id              the terminal's id (enrolled with the platform)
    X-Kiosk-Timestamp       Unix seconds when it was signed
    X-Kiosk-Nonce           32 lowercase hex digits, never reused
    X-Kiosk-Content-SHA256  hex SHA-256 of the body (of b"" when there is none)
    X-Kiosk-Grant           the citizen grant of the session, when the call acts for a citizen (optional)
    X-Kiosk-Signature       base64 Ed25519 signature over the canonical text below

    canonical = "kiosk-request/2" \\n METHOD \\n request-target \\n kiosk id \\n timestamp \\n nonce
                \\n body hash \\n grant

The platform knows each enrolled kiosk's public key. It refuses an unknown or revoked
kiosk, a bad signature, a timestamp further than MAX_SKEW from its clock, a nonce of the
wrong form and a nonce it has seen inside the window (a replay). Nonces are kept in a
NonceStore (SQLite on the platform) until the window has passed, never evicted earlier.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.device_key import SIGNATURE_BYTES, DeviceKey, verify_signature

HEADER_KIOSK = "X-Kiosk-Id"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_BODY_HASH = "X-Kiosk-Content-SHA256"
HEADER_GRANT = "X-Kiosk-Grant"
HEADER_SIGNATURE = "X-Kiosk-Signature"
SIGNED_HEADERS = (HEADER_KIOSK, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_BODY_HASH, HEADER_SIGNATURE)
ALL_HEADERS = (*SIGNED_HEADERS, HEADER_GRANT)

MAX_SKEW = 300.0  # seconds either side
NONCE = re.compile(r"[0-9a-f]{32}")
KIOSK_ID = re.compile(r"[A-Za-z0-9_.-]{1,64}")
GRANT = re.compile(r"[A-Za-z0-9_-]{16,128}")
BODY_HASH = re.compile(r"[0-9a-f]{64}")


class RequestRejected(Exception):
    """Why a signed request was refused; the message is a short reason key."""


class KioskRevoked(RequestRejected):
    """The kiosk was enrolled and then revoked."""


def canonical(method: str, target: str, kiosk_id: str, timestamp: str, nonce: str, body_hash: str,
              grant: str = "") -> bytes:
    return "\n".join(("kiosk-request/2", method.upper(), target, kiosk_id, timestamp, nonce, body_hash,
                      grant)).encode()


def sign_request(key: DeviceKey, kiosk_id: str, method: str, target: str, body: bytes, *,
                 grant: str = "", now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """The signature headers for one request (plus the grant header when there is a grant)."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    body_hash = hashlib.sha256(body).hexdigest()
    signature = key.sign(canonical(method, target, kiosk_id, timestamp, nonce, body_hash, grant))
    headers = {HEADER_KIOSK: kiosk_id, HEADER_TIMESTAMP: timestamp, HEADER_NONCE: nonce,
               HEADER_BODY_HASH: body_hash, HEADER_SIGNATURE: base64.b64encode(signature).decode("ascii")}
    if grant:
        headers[HEADER_GRANT] = grant
    return headers


class NonceStore(Protocol):
    """Remembers (kiosk, nonce) pairs until keep_until; a durable one survives restarts."""

    def remember(self, kiosk_id: str, nonce: str, now: float, keep_until: float) -> bool:
        """Store the pair; False when it is already there (a replay). Drops pairs past their keep_until."""
        ...


class MemoryNonceStore:
    """NonceStore in memory (unit tests); the platform uses its SQLite store."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._purged = float("-inf")
        self._lock = threading.Lock()

    def remember(self, kiosk_id: str, nonce: str, now: float, keep_until: float) -> bool:
        with self._lock:
            if now - self._purged >= 1.0:  # at most once a second: only pairs past their time go
                self._purged = now
                for pair in [p for p, until in self._seen.items() if until < now]:
                    del self._seen[pair]
            if self._seen.get((kiosk_id, nonce), now) < now:
                del self._seen[(kiosk_id, nonce)]
            if (kiosk_id, nonce) in self._seen:
                return False
            self._seen[(kiosk_id, nonce)] = keep_until
            return True


KeyLookup = Callable[[str], Ed25519PublicKey | None]  # raises KioskRevoked for a revoked kiosk


class RequestVerifier:
    """The platform's side: checks form, clock skew, the kiosk's key, the signature and replays."""

    def __init__(self, key_for: KeyLookup, nonces: NonceStore, *, max_skew: float = MAX_SKEW,
                 clock: Callable[[], float] = time.time) -> None:
        self._key_for, self._nonces, self.max_skew, self._clock = key_for, nonces, max_skew, clock

    def verify(self, method: str, target: str, headers: dict[str, str | None], body: bytes) -> str:
        """Return the kiosk id of a good request; raise RequestRejected otherwise."""
        values = [headers.get(name) for name in SIGNED_HEADERS]
        if any(v is None or len(v) > 128 for v in values):
            raise RequestRejected("unsigned")
        kiosk_id, timestamp, nonce, body_hash, signature_text = (str(v) for v in values)
        grant = headers.get(HEADER_GRANT) or ""
        if not KIOSK_ID.fullmatch(kiosk_id):
            raise RequestRejected("unknown_kiosk")
        if not NONCE.fullmatch(nonce):
            raise RequestRejected("bad_nonce")
        if grant and not GRANT.fullmatch(grant):
            raise RequestRejected("grant_unknown")
        if not timestamp.isdigit() or len(timestamp) > 12:
            raise RequestRejected("clock_skew")
        now = self._clock()
        if abs(now - int(timestamp)) > self.max_skew:
            raise RequestRejected("clock_skew")
        key = self._key_for(kiosk_id)
        if key is None:
            raise RequestRejected("unknown_kiosk")
        if not BODY_HASH.fullmatch(body_hash) or body_hash != hashlib.sha256(body).hexdigest():
            raise RequestRejected("body_hash")
        try:
            signature = base64.b64decode(signature_text, validate=True)
        except (ValueError, binascii.Error):
            signature = b""
        data = canonical(method, target, kiosk_id, timestamp, nonce, body_hash, grant)
        if len(signature) != SIGNATURE_BYTES or not verify_signature(key, signature, data):
            raise RequestRejected("bad_signature")
        # Kept until the signed timestamp can no longer pass the skew check, however the clock moves.
        if not self._nonces.remember(kiosk_id, nonce, now, int(timestamp) + self.max_skew + 1):
            raise RequestRejected("replay")
        return kiosk_id

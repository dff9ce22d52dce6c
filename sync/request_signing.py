"""HMAC-SHA256 request signatures between a kiosk and the platform (stdlib only).

Each request carries five headers:

    X-Kiosk-Id              the terminal's id
    X-Kiosk-Timestamp       Unix seconds when it was signed
    X-Kiosk-Nonce           32 random hex digits, never reused
    X-Kiosk-Content-SHA256  hex SHA-256 of the body (of b"" when there is none)
    X-Kiosk-Signature       hex HMAC-SHA256 over the canonical string below

    canonical = METHOD \\n request-target (path and query) \\n kiosk id \\n timestamp \\n nonce \\n body hash

The platform rejects a bad signature, a timestamp further than MAX_SKEW from its clock and
a nonce it has seen inside that window (a replay).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

HEADER_KIOSK = "X-Kiosk-Id"
HEADER_TIMESTAMP = "X-Kiosk-Timestamp"
HEADER_NONCE = "X-Kiosk-Nonce"
HEADER_BODY_HASH = "X-Kiosk-Content-SHA256"
HEADER_SIGNATURE = "X-Kiosk-Signature"
SIGNED_HEADERS = (HEADER_KIOSK, HEADER_TIMESTAMP, HEADER_NONCE, HEADER_BODY_HASH, HEADER_SIGNATURE)

MAX_SKEW = 300.0  # seconds either side
# For the demo and tests only: a kiosk with no key file and the reference platform's default.
DEMO_HMAC_KEY = b"refplatform-demo-kiosk-hmac-key-not-for-production"


class RequestRejected(Exception):
    """Why a signed request was refused; the message is a short reason key."""


def canonical(method: str, target: str, kiosk_id: str, timestamp: str, nonce: str, body_hash: str) -> bytes:
    return "\n".join((method.upper(), target, kiosk_id, timestamp, nonce, body_hash)).encode()


def sign_request(key: bytes, kiosk_id: str, method: str, target: str, body: bytes, *,
                 now: float | None = None, nonce: str | None = None) -> dict[str, str]:
    """The five signature headers for one request."""
    timestamp = str(int(time.time() if now is None else now))
    nonce = nonce or secrets.token_hex(16)
    body_hash = hashlib.sha256(body).hexdigest()
    mac = hmac.new(key, canonical(method, target, kiosk_id, timestamp, nonce, body_hash), hashlib.sha256)
    return {HEADER_KIOSK: kiosk_id, HEADER_TIMESTAMP: timestamp, HEADER_NONCE: nonce,
            HEADER_BODY_HASH: body_hash, HEADER_SIGNATURE: mac.hexdigest()}


class RequestVerifier:
    """The platform's side: checks signature, clock skew and replays (thread-safe)."""

    def __init__(self, key_for: Callable[[str], bytes | None], *, max_skew: float = MAX_SKEW,
                 clock: Callable[[], float] = time.time, max_nonces: int = 100_000) -> None:
        self._key_for, self.max_skew, self._clock = key_for, max_skew, clock
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._max_nonces = max_nonces
        self._lock = threading.Lock()

    def verify(self, method: str, target: str, headers: dict[str, str], body: bytes) -> str:
        """Return the kiosk id of a good request; raise RequestRejected otherwise."""
        values = [headers.get(name) for name in SIGNED_HEADERS]
        if any(v is None or len(v) > 128 for v in values):
            raise RequestRejected("unsigned")
        kiosk_id, timestamp, nonce, body_hash, signature = (str(v) for v in values)
        key = self._key_for(kiosk_id)
        if key is None:
            raise RequestRejected("unknown_kiosk")
        if not hmac.compare_digest(body_hash.lower(), hashlib.sha256(body).hexdigest()):
            raise RequestRejected("body_hash")
        expected = hmac.new(key, canonical(method, target, kiosk_id, timestamp, nonce, body_hash), hashlib.sha256)
        if not hmac.compare_digest(signature.lower(), expected.hexdigest()):
            raise RequestRejected("bad_signature")
        if not timestamp.isdigit():
            raise RequestRejected("clock_skew")
        now = self._clock()
        if abs(now - int(timestamp)) > self.max_skew:
            raise RequestRejected("clock_skew")
        with self._lock:
            while self._seen and (len(self._seen) >= self._max_nonces
                                  or next(iter(self._seen.values())) < now - 2 * self.max_skew):
                self._seen.popitem(last=False)
            if (kiosk_id, nonce) in self._seen:
                raise RequestRejected("replay")
            self._seen[(kiosk_id, nonce)] = now
        return kiosk_id

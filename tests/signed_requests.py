"""requests auth that signs like the kiosk (HMAC headers), for tests that talk to the server raw."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from sync.request_signing import DEMO_HMAC_KEY, sign_request


class KioskAuth(requests.auth.AuthBase):
    def __init__(self, kiosk_id: str = "kiosk-test", key: bytes = DEMO_HMAC_KEY, *, now: float | None = None,
                 nonce: str | None = None) -> None:
        self.kiosk_id, self.key, self.now, self.nonce = kiosk_id, key, now, nonce

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        body = body.encode() if isinstance(body, str) else body
        parts = urlsplit(r.url or "")
        target = parts.path + ("?" + parts.query if parts.query else "")
        r.headers.update(sign_request(self.key, self.kiosk_id, r.method or "GET", target, body, now=self.now,
                                      nonce=self.nonce))
        return r


AUTH = KioskAuth()

"""Signing like an enrolled kiosk, for tests that talk to the reference server raw or through the client.

TEST_KEY is the device key of "kiosk-test"; the conftest `server` fixture enrols it, so AUTH and
the `client` fixture work against every fresh server. enrol() enrols any other kiosk id.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from sync.device_key import DeviceKey
from sync.request_signing import sign_request

TEST_KEY = DeviceKey.generate()


def enrol(server: Any, kiosk_id: str = "kiosk-test", key: DeviceKey | None = None) -> DeviceKey:
    """Enrol kiosk_id with key (a fresh one when None) on server, through its registry."""
    key = key or DeviceKey.generate()
    server.trust.enrol(kiosk_id, server.issue_enrolment_code(kiosk_id), key.public_text)
    return key


def enrolled_client(server: Any, kiosk_id: str = "kiosk-test", key: DeviceKey | None = None, *,
                    url: str | None = None, **kw: Any) -> Any:
    """An HttpPlatformClient of an enrolled kiosk (kiosk-test with TEST_KEY by default)."""
    from sync.platform_client import HttpPlatformClient

    if key is None:
        key = TEST_KEY if kiosk_id == "kiosk-test" else enrol(server, kiosk_id)
    return HttpPlatformClient(url or server.url, kiosk_id=kiosk_id, device_key=key, **kw)


def grant_for(server: Any, holder_code: str, holder_type: str = "resident_id", *, kiosk_id: str = "kiosk-test",
              key: DeviceKey = TEST_KEY) -> str:
    """A citizen grant (card + face with liveness) for holder_code, opened over HTTP; returns the token."""
    body = {"holder_code": holder_code, "holder_type": holder_type, "method": "face", "liveness": True}
    resp = requests.post(server.url + "/v1/grants", json=body, auth=KioskAuth(kiosk_id, key), timeout=5)
    resp.raise_for_status()
    return str(resp.json()["grant"])


class KioskAuth(requests.auth.AuthBase):
    def __init__(self, kiosk_id: str = "kiosk-test", key: DeviceKey = TEST_KEY, *, now: float | None = None,
                 nonce: str | None = None, grant: str = "") -> None:
        self.kiosk_id, self.key, self.now, self.nonce, self.grant = kiosk_id, key, now, nonce, grant

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body or b""
        body = body.encode() if isinstance(body, str) else body
        parts = urlsplit(r.url or "")
        target = parts.path + ("?" + parts.query if parts.query else "")
        r.headers.update(sign_request(self.key, self.kiosk_id, r.method or "GET", target, body, now=self.now,
                                      nonce=self.nonce, grant=self.grant))
        return r


AUTH = KioskAuth()


class GrantedClient:
    """An HttpPlatformClient whose citizen calls all carry one grant (for tests about files, not grants)."""

    def __init__(self, client: Any, grant: Any) -> None:
        self.client, self.grant = client, grant

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def search_certificates(self, holder_code: str, holder_type: Any, **kw: Any) -> Any:
        return self.client.search_certificates(holder_code, holder_type, grant=self.grant, **kw)

    def download(self, cert: Any) -> bytes:
        return self.client.download(cert, grant=self.grant)

    def stamped_copy(self, cert: Any, purpose: str, valid_days: int) -> Any:
        return self.client.stamped_copy(cert, purpose, valid_days, grant=self.grant)

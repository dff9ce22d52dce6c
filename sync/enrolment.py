"""Enrolment: the kiosk makes its own device key and registers the public half with a one-time code.

A technician asks the platform for a code (`kiosk-platform enrol-code --kiosk-id ID`) and
runs `kiosk enrol CODE` on the kiosk. The kiosk creates its Ed25519 key pair in
platform.device_key_dir (0700 folder, 0600 file) if it has none, and sends the public key,
the code and a proof (its signature over both) to POST /v1/kiosks/enrol. The private key
never leaves the kiosk. The demo does the same against its in-process reference platform.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from kiosk.platform_url import check_platform_url
from sync.device_key import DeviceKey, DeviceKeyError

__all__ = ["DeviceKeyError", "LocalEnrolment", "check_platform_url", "device_key_dir", "enrol_kiosk",
           "device_key_state", "enrol_message", "enrol_proof", "load_device_key", "normalise_code"]


def normalise_code(code: str) -> str:
    """Upper case without spaces and dashes; Crockford look-alikes mapped (O->0, I/L->1)."""
    text = code.strip().upper().replace("-", "").replace(" ", "")
    return text.translate(str.maketrans("OIL", "011"))


def enrol_message(kiosk_id: str, code: str, public_key: str) -> bytes:
    """What the kiosk signs with its new key at enrolment (proof that it holds the private key)."""
    return "\n".join(("kiosk-enrol/1", kiosk_id, normalise_code(code), public_key)).encode()


def enrol_proof(key: DeviceKey, kiosk_id: str, code: str) -> str:
    import base64

    return base64.b64encode(key.sign(enrol_message(kiosk_id, code, key.public_text))).decode("ascii")


def device_key_dir(config: Any) -> Path:
    return config.path("platform.device_key_dir") if config["platform.device_key_dir"] else (
        config.path("kiosk.state_dir") / "device-key")


def load_device_key(config: Any) -> DeviceKey | None:
    """This kiosk's key, or None before enrolment; DeviceKeyError when the key is there but unsafe."""
    folder = device_key_dir(config)
    if not (folder / "device-key.pem").exists():
        return None
    return DeviceKey.load(folder)


def device_key_state(config: Any) -> str:
    """'present', 'missing' (never enrolled) or 'unsafe' (kiosk.doctor.check_enrolment says what to do)."""
    try:
        return "present" if load_device_key(config) is not None else "missing"
    except (DeviceKeyError, OSError, ValueError):
        return "unsafe"


def enrol_kiosk(url: str, config: Any, code: str) -> DeviceKey:
    """Make the key (if there is none), enrol it with code; PlatformError when the platform refuses."""
    from sync.platform_client import client_from_config  # requests is slow to import

    key = DeviceKey.load_or_create(device_key_dir(config))
    client = client_from_config(url, config, device_key=key)
    client.retries = 0
    try:
        client.enrol(code)
    finally:
        client.close()
    return key


class LocalEnrolment:
    """The demo kiosk enrols itself once against its in-process reference platform (thread-safe)."""

    def __init__(self, server: Any, config: Any) -> None:
        self._server, self._config = server, config
        self._key: DeviceKey | None = None
        self._lock = threading.Lock()

    def device_key(self) -> DeviceKey:
        with self._lock:
            if self._key is None:
                code = self._server.issue_enrolment_code(self._config["kiosk.id"])
                self._key = enrol_kiosk(self._server.url, self._config, code)
            return self._key

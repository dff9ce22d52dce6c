"""The platform's file-signing keys are pinned: GET /v1/keys counts only when a configured trust
anchor (an Ed25519 public key, platform.trust_anchor) has signed the list.

    signed message = "kiosk-keys/1\\n" + the key list as canonical JSON (sorted keys, no spaces, UTF-8)

A list with no signature, a bad one, or one from another anchor is refused and the keys the kiosk
already trusts stay; so a platform impostor (or a compromised TLS path) cannot slip in a key of
its own, and the platform can still roll its file-signing keys over by publishing a newly signed list.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sync.device_key import decode_public_key, verify_signature

# The reference platform's anchor (refplatform.keys.ANCHOR): the default of platform.trust_anchor.
REFERENCE_ANCHOR = "3TFKTDvCB5ArQW7TAPJbJ8je80irMcRQrDbV1AuzzC4="


class KeysRefused(Exception):
    """The key list is not signed by the configured anchor (message: a short reason)."""


def keys_message(keys: list[Any]) -> bytes:
    return b"kiosk-keys/1\n" + json.dumps(keys, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def anchor_key(text: str) -> Ed25519PublicKey:
    """The configured anchor; ValueError when it is not a base64 Ed25519 public key."""
    key = decode_public_key(text)
    if key is None:
        raise ValueError("must be a base64 Ed25519 public key (32 bytes)")
    return key


def check_keys_document(body: Any, anchor: Ed25519PublicKey) -> list[Any]:
    """The key list of a GET /v1/keys answer, once the anchor's signature over it checks out."""
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise KeysRefused("keys")
    signature = body.get("signature")
    if not isinstance(signature, str) or len(signature) > 200:
        raise KeysRefused("keys_unsigned")
    try:
        raw = base64.b64decode(signature, validate=True)
    except (ValueError, binascii.Error):
        raw = b""
    if len(raw) != 64 or not verify_signature(anchor, raw, keys_message(body["keys"])):
        raise KeysRefused("keys_not_anchored")
    return body["keys"]

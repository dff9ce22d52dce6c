"""The reference platform's file-signing keys: fixed, fictitious, derived from constants.

Fixed so a kiosk's cached key list stays valid across restarts. SM2 signs most departments'
files; ECDSA P-256 signs the tax and education departments' (platforms that use it). A
retired key (validity ended) and a key never published serve the signature fault switches.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sync.signatures import ECDSA_P256, SM2_SM3, PublicKey, SigningKey, format_time

_UTC = _dt.UTC


def _secret(label: str) -> int:
    return int.from_bytes(hashlib.sha256(f"refplatform-signing-key/{label}".encode()).digest(), "big")


def _key(key_id: str, algorithm: str, start: int, end: int) -> SigningKey:
    return SigningKey(key_id, algorithm, _secret(key_id), _dt.datetime(start, 1, 1, tzinfo=_UTC),
                      _dt.datetime(end, 1, 1, tzinfo=_UTC))


_KEYS = {"SM2_KEY": ("sm2-2024", SM2_SM3, 2024, 2034), "ECDSA_KEY": ("p256-2024", ECDSA_P256, 2024, 2034),
         "RETIRED_KEY": ("sm2-2019", SM2_SM3, 2019, 2023),  # published, but its validity has ended
         "UNPUBLISHED_KEY": ("sm2-rogue", SM2_SM3, 2024, 2034)}  # never listed in GET /v1/keys
_made: dict[str, SigningKey] = {}
SM2_KEY: SigningKey
ECDSA_KEY: SigningKey
RETIRED_KEY: SigningKey
UNPUBLISHED_KEY: SigningKey
PUBLISHED: tuple[SigningKey, ...]


def __getattr__(name: str) -> object:
    """Keys are derived on first use (SM2 point multiplication is slow in pure Python): fast start-up."""
    if name == "PUBLISHED":
        return (__getattr__("SM2_KEY"), __getattr__("ECDSA_KEY"), __getattr__("RETIRED_KEY"))
    if name not in _KEYS:
        raise AttributeError(name)
    if name not in _made:
        _made[name] = _key(*_KEYS[name])
    return _made[name]


_ECDSA_TYPES = frozenset({"03001", "03002", "06001"})  # tax and education departments


def key_for_identifier(identifier: str) -> SigningKey:
    """The key that signs a certificate's files, chosen by its type code."""
    parts = identifier.split(".")
    return __getattr__("ECDSA_KEY" if len(parts) > 5 and parts[5] in _ECDSA_TYPES else "SM2_KEY")


_NEXT = ("sm2-2026", SM2_SM3, 2026, 2036)  # what the SM2 key rolls over to (key rollover tests)


def next_sm2_key() -> SigningKey:
    if "NEXT" not in _made:
        _made["NEXT"] = _key(*_NEXT)
    return _made["NEXT"]


def anchor(label: str = "2024") -> Ed25519PrivateKey:
    """The trust anchor that signs the published key list (another label: a foreign anchor)."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"refplatform-trust-anchor/{label}".encode()).digest())


def signed_keys(published: tuple[SigningKey, ...], now: _dt.datetime, anchor_label: str = "2024") -> dict[str, Any]:
    """The GET /v1/keys document: the key list and the anchor's signature over it."""
    from sync.trust_anchor import keys_message

    listed = [key_json(k.public, now) for k in published]
    signature = anchor(anchor_label).sign(keys_message(listed))
    return {"keys": listed, "anchor": f"anchor-{anchor_label}", "signature": base64.b64encode(signature).decode()}


def key_json(key: PublicKey, now: _dt.datetime) -> dict[str, str]:
    return {"key_id": key.key_id, "algorithm": key.algorithm, "public_key": key.public_key,
            "not_before": format_time(key.not_before), "not_after": format_time(key.not_after),
            "status": "active" if key.not_before <= now <= key.not_after else "retired"}

"""Staff cards: what a card's challenge-response proves and how the kiosk checks it (no Qt, no driver).

A staff card holds an Ed25519 key pair made on the card; only its public key leaves it, and an
administrator records that key with the staff entry (`kiosk staff card-register`). To sign in,
the reader sends the card a fresh random challenge chosen by the kiosk; the card signs
``SIGNED_PREFIX + challenge`` (the prefix keeps the card from signing anything else for us).
The kiosk holds no card secret: a copied staff number, a replayed answer to an older challenge
or a card with another key all fail the check. The staff number on the card is pseudonymous
provisioning data, not a secret.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

CHALLENGE_BYTES = 32
SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32
SIGNED_PREFIX = b"KIOSK-STAFF-AUTH-v1\x00"


@dataclass(frozen=True, repr=False)
class StaffCardAnswer:
    """What the reader got from a staff card: its staff number, the challenge sent and the signature back."""

    number: str
    challenge: bytes
    signature: bytes

    def __repr__(self) -> str:
        return "StaffCardAnswer()"  # the staff number stays out of logs


def signed_message(challenge: bytes) -> bytes:
    return SIGNED_PREFIX + challenge


def encode_key(raw: bytes) -> str:
    if len(raw) != PUBLIC_KEY_BYTES:
        raise ValueError(f"a staff card key has {PUBLIC_KEY_BYTES} bytes, not {len(raw)}")
    return base64.b64encode(raw).decode("ascii")


def decode_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""
    return raw if len(raw) == PUBLIC_KEY_BYTES else b""


def verify_answer(answer: StaffCardAnswer, public_key: bytes, expected_challenge: bytes | None = None) -> bool:
    """True when the signature is the registered key's over this very challenge."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if len(answer.challenge) != CHALLENGE_BYTES or len(answer.signature) != SIGNATURE_BYTES:
        return False
    if expected_challenge is not None and answer.challenge != expected_challenge:
        return False
    if len(public_key) != PUBLIC_KEY_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(answer.signature, signed_message(answer.challenge))
    except (InvalidSignature, ValueError):
        return False
    return True

"""Staff card over ISO 7816 APDUs: the commands and the parsing (the kiosk's own card profile).

SELECT the staff application by its AID; GET DATA 0101 = staff number (ASCII digits, not
secret); GET DATA 0102 = the card's Ed25519 public key (32 bytes, read at provisioning);
INTERNAL AUTHENTICATE with a 32-byte challenge = the 64-byte signature over
kiosk.staff_card.SIGNED_PREFIX + challenge. Errors are typed (sscard.ApduError) and their
messages name status words and sizes, never the staff number.
"""

from __future__ import annotations

import re
import secrets

from devices.sscard import ApduError, MalformedResponse, StatusWordError, Transmit
from kiosk.staff_card import CHALLENGE_BYTES, PUBLIC_KEY_BYTES, SIGNATURE_BYTES, StaffCardAnswer

AID = bytes.fromhex("F04B494F534B5354414646")  # proprietary RID F0 + "KIOSKSTAFF"
SELECT_AID = bytes([0x00, 0xA4, 0x04, 0x00, len(AID)]) + AID
GET_NUMBER = bytes.fromhex("00CA010100")
GET_PUBLIC_KEY = bytes.fromhex("00CA010200")
INS_INTERNAL_AUTHENTICATE = 0x88
_NUMBER = re.compile(rb"^[0-9]{3,12}$")


class NotAStaffCard(ApduError):
    """The card has no staff application."""

    reason = "card_unsupported"


def internal_authenticate(challenge: bytes) -> bytes:
    return bytes([0x00, INS_INTERNAL_AUTHENTICATE, 0x00, 0x00, len(challenge)]) + challenge + b"\x00"


def select(transmit: Transmit) -> None:
    _, sw1, sw2 = transmit(SELECT_AID)
    if (sw1, sw2) != (0x90, 0x00):
        raise NotAStaffCard(f"SELECT staff AID: status word {sw1:02X}{sw2:02X}")


def read_number(transmit: Transmit) -> str:
    number = _ok(transmit(GET_NUMBER), "GET DATA number")
    if not _NUMBER.match(number):
        raise MalformedResponse(f"staff number of {len(number)} bytes is not 3-12 digits")
    return number.decode("ascii")


def read_public_key(transmit: Transmit) -> bytes:
    """The card's public key (provisioning); the staff application is selected first."""
    select(transmit)
    key = _ok(transmit(GET_PUBLIC_KEY), "GET DATA public key")
    if len(key) != PUBLIC_KEY_BYTES:
        raise MalformedResponse(f"public key of {len(key)} bytes")
    return key


def authenticate(transmit: Transmit, challenge: bytes | None = None) -> StaffCardAnswer:
    """SELECT, read the staff number, have the card sign a fresh random challenge."""
    challenge = challenge if challenge is not None else secrets.token_bytes(CHALLENGE_BYTES)
    select(transmit)
    number = read_number(transmit)
    signature = _ok(transmit(internal_authenticate(challenge)), "INTERNAL AUTHENTICATE")
    if len(signature) != SIGNATURE_BYTES:
        raise MalformedResponse(f"signature of {len(signature)} bytes")
    return StaffCardAnswer(number, challenge, signature)


def _ok(answer: tuple[bytes, int, int], step: str) -> bytes:
    data, sw1, sw2 = answer
    if (sw1, sw2) != (0x90, 0x00):
        raise StatusWordError(step, sw1, sw2)
    return data

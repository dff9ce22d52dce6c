"""A staff card applet for the project's virtual card (devices/vpcd_card.VirtualCard).

The card makes its Ed25519 key pair itself (or from a seed, for the demo's fictitious staff)
and signs challenges with it; the `cryptography` package (already a kiosk dependency) does the
signing, since the standard library has no Ed25519. Scripted faults for the tests: `overrides`
replace an answer by (INS, P1), `replay` answers every challenge with one fixed old signature.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from devices import staffcard
from kiosk.staff_card import signed_message

SW_OK = b"\x90\x00"


def demo_card_key(number: str) -> Ed25519PrivateKey:
    """The fictitious demo staff's card keys (devices/sim_staff.py): fixed, so the demo can register them."""
    return Ed25519PrivateKey.from_private_bytes(hashlib.sha256(f"kiosk demo staff card {number}".encode()).digest())


class StaffCardApplet:
    """The staff application: SELECT by AID, GET DATA number / public key, INTERNAL AUTHENTICATE."""

    def __init__(self, number: str, key: Ed25519PrivateKey | None = None) -> None:
        self.number = number
        self.key = key or Ed25519PrivateKey.generate()
        self.overrides: dict[tuple[int, int], bytes] = {}
        self.replay: bytes | None = None
        self.signed = 0
        self._selected = False

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def __call__(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return b"\x67\x00"
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if (ins, p1) in self.overrides:
            return self.overrides[(ins, p1)]
        if ins == 0xA4 and p1 == 0x04:
            self._selected = apdu[5 : 5 + apdu[4]] == staffcard.AID if len(apdu) > 5 else False
            return SW_OK if self._selected else b"\x6a\x82"
        if not self._selected:
            return b"\x69\x85"
        if ins == 0xCA and (p1, p2) == (0x01, 0x01):
            return self.number.encode("ascii") + SW_OK
        if ins == 0xCA and (p1, p2) == (0x01, 0x02):
            return self.public_key + SW_OK
        if ins == staffcard.INS_INTERNAL_AUTHENTICATE:
            if len(apdu) < 6 or apdu[4] == 0 or len(apdu) < 5 + apdu[4]:
                return b"\x67\x00"
            challenge = apdu[5 : 5 + apdu[4]]
            self.signed += 1
            if self.replay is not None:
                return self.replay + SW_OK
            return self.key.sign(signed_message(challenge)) + SW_OK
        return b"\x6d\x00"

"""Social security card (社会保障卡) over ISO 7816 APDUs: the commands and the record parsing.

Flow (the only public description found; unconfirmed for every card generation):
SELECT the application by name "sx1.sh.社会保障" (GBK); READ RECORD 7 of SFI 5 = card
number; SELECT EF06; READ RECORD 08..0D = ID number, name (GBK), sex, ethnicity (BCD),
birthplace (BCD), birth date (BCD YYYYMMDD). Every record starts with its tag and a
length byte. Errors are typed; their messages name status words and sizes, never data.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from kiosk.ethnicity import is_ethnicity_code
from kiosk.identity import DocumentType, IdentityDocument

APP_NAME = "sx1.sh.社会保障".encode("gbk")
SELECT_APP = bytes([0x00, 0xA4, 0x04, 0x00, len(APP_NAME)]) + APP_NAME
SELECT_EF06 = bytes.fromhex("00A4020002EF06")
READ_CARD_NUMBER = bytes.fromhex("00B2072C00")  # record 7 of SFI 5 (P2 = 5 << 3 | 4)
RECORD_TAGS = {0x08: "number", 0x09: "name", 0x0A: "sex", 0x0B: "ethnicity", 0x0C: "birthplace", 0x0D: "birth"}

# (data, SW1, SW2): what a transmit function returns after handling 61xx / 6Cxx
Transmit = Callable[[bytes], tuple[bytes, int, int]]


class ApduError(Exception):
    """A card conversation that went wrong. `reason` is a message key."""

    reason = "card_unreadable"


class MalformedResponse(ApduError):
    """A response that is too short, badly tagged or of impossible length."""

    reason = "card_data_invalid"


class StatusWordError(ApduError):
    """The card answered with an error status word."""

    def __init__(self, step: str, sw1: int, sw2: int) -> None:
        super().__init__(f"{step}: status word {sw1:02X}{sw2:02X}")
        self.sw = (sw1 << 8) | sw2


class CardNotSupported(ApduError):
    """The card has no social security application: not a card this kiosk reads."""

    reason = "card_unsupported"


def read_record(record: int) -> bytes:
    return bytes([0x00, 0xB2, record, 0x04, 0x00])


def split_response(response: bytes) -> tuple[bytes, int, int]:
    if len(response) < 2:
        raise MalformedResponse(f"response of {len(response)} bytes has no status word")
    return bytes(response[:-2]), response[-2], response[-1]


def parse_record(data: bytes, tag: int) -> bytes:
    """The value of a tag-length-value record (trailing padding allowed)."""
    if len(data) < 2:
        raise MalformedResponse(f"record of {len(data)} bytes has no tag and length")
    if data[0] != tag:
        raise MalformedResponse(f"record tag {data[0]:02X}, expected {tag:02X}")
    if data[1] > len(data) - 2:
        raise MalformedResponse(f"record length {data[1]} exceeds its {len(data) - 2} bytes")
    return bytes(data[2 : 2 + data[1]])


def bcd_digits(value: bytes, name: str) -> str:
    digits = value.hex()
    if not digits.isdigit():
        raise MalformedResponse(f"{name} is not BCD")
    return digits


def parse_fields(records: dict[int, bytes], card_number_record: bytes) -> IdentityDocument:
    """Build the document from the raw READ RECORD answers."""
    card_number = _ascii(parse_record(card_number_record, 0x07), "card number")
    values = {tag: parse_record(data, tag) for tag, data in records.items()}
    number = _ascii(values[0x08], "ID number")
    try:
        name = values[0x09].rstrip(b"\x00 ").decode("gbk").strip()
    except UnicodeDecodeError:
        raise MalformedResponse("name is not GBK text") from None
    if not name or any(ord(c) < 0x20 for c in name):
        raise MalformedResponse("name is empty or holds control characters")
    sex_raw = values[0x0A][:1]
    sex = {b"1": "M", b"\x01": "M", b"2": "F", b"\x02": "F"}.get(sex_raw)
    if sex is None:
        raise MalformedResponse("sex holds an unknown code")
    ethnicity = bcd_digits(values[0x0B][:1], "ethnicity")
    if not is_ethnicity_code(ethnicity):
        raise MalformedResponse("ethnicity code is not in the GB 3304 table")
    birthplace = bcd_digits(values[0x0C], "birthplace")
    birth_digits = bcd_digits(values[0x0D], "birth date")
    try:
        birth = _dt.date(int(birth_digits[:4]), int(birth_digits[4:6]), int(birth_digits[6:8]))
    except ValueError:
        raise MalformedResponse("birth date is not a real date") from None
    if len(birth_digits) != 8:
        raise MalformedResponse("birth date is not YYYYMMDD")
    return IdentityDocument(
        doc_type=DocumentType.SOCIAL_SECURITY, name=name, sex=sex, birth_date=birth, number=number,
        valid_from=None, valid_to=None, ethnicity=ethnicity, source="pcsc",
        extra={"card_number": card_number, "birthplace": birthplace},
    )


def read_social_security_card(transmit: Transmit) -> IdentityDocument:
    """Run the whole read through `transmit` (which has already handled 61xx and 6Cxx)."""
    _, sw1, sw2 = transmit(SELECT_APP)
    if (sw1, sw2) != (0x90, 0x00):
        raise CardNotSupported(f"SELECT by name: status word {sw1:02X}{sw2:02X}")
    card_number_record = _ok(transmit(READ_CARD_NUMBER), "READ RECORD card number")
    _ok(transmit(SELECT_EF06), "SELECT EF06")
    records = {tag: _ok(transmit(read_record(tag)), f"READ RECORD {tag:02X}") for tag in RECORD_TAGS}
    return parse_fields(records, card_number_record)


def encode_records(doc: IdentityDocument) -> dict[int, bytes]:
    """The records a card holds for a document (used by the virtual card), card number as tag 07."""
    name = doc.name.encode("gbk").ljust(32, b"\x00")
    return {
        0x07: _tlv(0x07, doc.extra.get("card_number", "A00000000").encode("ascii")),
        0x08: _tlv(0x08, doc.number.encode("ascii")),
        0x09: _tlv(0x09, name),
        0x0A: _tlv(0x0A, {"M": b"1", "F": b"2"}[doc.sex]),
        0x0B: _tlv(0x0B, bytes.fromhex(doc.ethnicity or "01")),
        0x0C: _tlv(0x0C, bytes.fromhex(doc.extra.get("birthplace", doc.number[:6]))),
        0x0D: _tlv(0x0D, bytes.fromhex(doc.birth_date.strftime("%Y%m%d"))),
    }


def _tlv(tag: int, value: bytes) -> bytes:
    return bytes([tag, len(value)]) + value


def _ok(answer: tuple[bytes, int, int], step: str) -> bytes:
    data, sw1, sw2 = answer
    if (sw1, sw2) != (0x90, 0x00):
        raise StatusWordError(step, sw1, sw2)
    return data


def _ascii(value: bytes, name: str) -> str:
    text = value.rstrip(b"\x00 ")
    if not text or not text.isascii() or not text.decode("ascii").isalnum():
        raise MalformedResponse(f"{name} is not alphanumeric ASCII")
    return text.decode("ascii")

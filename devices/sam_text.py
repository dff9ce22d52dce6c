"""The 256-byte UCS-2LE card text of the four SAM-read card types, both ways.

decode_text() turns the text (and the raw photo) into an IdentityDocument;
encode_text() builds the text from a document for the emulator and the tests.
The two bytes at offset 248 tell the card type: blank for the resident ID card,
'J' for the HK/Macau/Taiwan residence permit, 'I' for the 2017 and 'Y' for the
2023 foreign permanent resident ID card. Malformed text raises CardTextError,
whose message never holds card data and whose `reason` is a message key.
"""

from __future__ import annotations

import datetime as _dt
import importlib
import logging
from collections.abc import Callable

from kiosk.ethnicity import is_ethnicity_code
from kiosk.identity import DocumentType, IdentityDocument

log = logging.getLogger("kiosk.devices.sam")

TEXT_LEN = 256
TYPE_OFFSET = 248
LONG_TERM = "长期"
FPR_2023_AUTHORITY = "国家移民管理局"  # issuer of every 2023 foreign permanent resident card

PhotoDecoder = Callable[[bytes], bytes]  # WLT bytes -> BMP bytes

# field name -> (byte offset, byte length)
_RESIDENT = {
    "name": (0, 30), "sex": (30, 2), "ethnicity": (32, 4), "birth": (36, 16), "address": (52, 70),
    "number": (122, 36), "authority": (158, 30), "valid_from": (188, 16), "valid_to": (204, 16),
}
_HMT = {**_RESIDENT, "pass_number": (220, 18), "issue_count": (238, 4)}
_FPR_2017 = {
    "name_en": (0, 120), "sex": (120, 2), "number": (122, 30), "nationality": (152, 6), "name": (158, 30),
    "valid_from": (188, 16), "valid_to": (204, 16), "birth": (220, 16), "version": (236, 4),
    "authority_code": (240, 8),
}
_FPR_2023 = {
    "name": (0, 30), "sex": (30, 2), "renewals": (32, 4), "birth": (36, 16), "name_en_1": (52, 70),
    "number": (122, 36), "valid_from": (188, 16), "valid_to": (204, 16), "name_en_2": (220, 22),
    "nationality": (242, 6), "previous_link": (250, 6),
}
LAYOUTS: dict[DocumentType, tuple[str, dict[str, tuple[int, int]]]] = {
    DocumentType.RESIDENT_ID: ("", _RESIDENT),
    DocumentType.HMT_RESIDENCE_PERMIT: ("J", _HMT),
    DocumentType.FOREIGN_PR_2017: ("I", _FPR_2017),
    DocumentType.FOREIGN_PR_2023: ("Y", _FPR_2023),
}
_BY_MARK = {mark: doc_type for doc_type, (mark, _) in LAYOUTS.items()}
_EXTRA_FIELDS = ("pass_number", "issue_count", "version", "renewals", "previous_link")
_SEX = {"1": "M", "2": "F"}


class CardTextError(ValueError):
    """The card text cannot be decoded. `reason` is a message key for the citizen."""

    def __init__(self, message: str, reason: str = "card_data_invalid") -> None:
        super().__init__(message)
        self.reason = reason


def card_type_of(text: bytes) -> DocumentType:
    mark = _field(text, TYPE_OFFSET, 2, "type mark")
    if mark not in _BY_MARK:
        raise CardTextError("unknown card type mark", reason="card_unsupported")
    return _BY_MARK[mark]


def decode_text(text: bytes, photo: bytes = b"", *, photo_decoder: PhotoDecoder | None = None) -> IdentityDocument:
    """Decode the card text (and keep or decode the photo) into an IdentityDocument."""
    if len(text) != TEXT_LEN:
        raise CardTextError(f"card text of {len(text)} bytes, expected {TEXT_LEN}")
    doc_type = card_type_of(text)
    layout = LAYOUTS[doc_type][1]
    f = {name: _field(text, off, length, name) for name, (off, length) in layout.items()}
    if doc_type is DocumentType.FOREIGN_PR_2023:
        raw = text[52:122] + text[220:242]
        f["name_en"] = _field(raw, 0, len(raw), "name_en")
    name = f.get("name", "")
    if not name:
        raise CardTextError("the name field is empty")
    if f["sex"] not in _SEX:
        raise CardTextError("the sex field holds an unknown code")
    number = f["number"]
    if not number or not number.isascii() or not number.isalnum():
        raise CardTextError("the document number is empty or not alphanumeric")
    ethnicity = f.get("ethnicity", "")
    if doc_type is DocumentType.RESIDENT_ID and not is_ethnicity_code(ethnicity):
        raise CardTextError("the ethnicity code is not in the GB 3304 table")
    if doc_type is not DocumentType.RESIDENT_ID and ethnicity:
        raise CardTextError("an ethnicity code on a card type that has none")
    birth = _date(f["birth"], "birth date")
    valid_from = _date(f["valid_from"], "valid-from date")
    valid_to = None if f["valid_to"] == LONG_TERM else _date(f["valid_to"], "valid-to date")
    if birth > valid_from:
        raise CardTextError("the card was issued before its holder's birth date")
    photo_bytes, photo_format, photo_status = _photo(photo, photo_decoder)
    extra = {k: f[k] for k in _EXTRA_FIELDS if f.get(k)}
    if photo_status:
        extra["photo_status"] = photo_status
    authority = f.get("authority", "")
    if doc_type is DocumentType.FOREIGN_PR_2017:
        authority = f.get("authority_code", "")
    elif doc_type is DocumentType.FOREIGN_PR_2023:
        authority = FPR_2023_AUTHORITY
    return IdentityDocument(
        doc_type=doc_type, name=name, sex=_SEX[f["sex"]], birth_date=birth, number=number,
        valid_from=valid_from, valid_to=valid_to, name_en=f.get("name_en", ""), ethnicity=ethnicity,
        address=f.get("address", ""), authority=authority, nationality=f.get("nationality", ""),
        photo=photo_bytes, photo_format=photo_format, source="sam", extra=extra,
    )


def encode_text(doc: IdentityDocument) -> bytes:
    """Build the 256-byte card text for a document (ValueError when a field does not fit)."""
    if doc.doc_type not in LAYOUTS:
        raise ValueError(f"{doc.doc_type.value} is not read through a SAM")
    mark, layout = LAYOUTS[doc.doc_type]
    values = {
        "name": doc.name, "name_en": doc.name_en, "sex": {"M": "1", "F": "2"}.get(doc.sex, ""),
        "ethnicity": doc.ethnicity, "birth": _date_text(doc.birth_date), "address": doc.address,
        "number": doc.number, "authority": doc.authority, "nationality": doc.nationality,
        "valid_from": _date_text(doc.valid_from),
        "valid_to": LONG_TERM if doc.valid_to is None else _date_text(doc.valid_to),
        "authority_code": doc.authority,
    }
    values.update({k: doc.extra.get(k, "") for k in _EXTRA_FIELDS})
    if doc.doc_type is DocumentType.FOREIGN_PR_2023:
        first = _fit(doc.name_en, 35 * 2 + 11 * 2, "name_en")
        values["name_en_1"], values["name_en_2"] = first[:35], first[35:]
    out = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    for name, (off, length) in layout.items():
        out[off : off + length] = _fit(values.get(name, ""), length, name).encode("utf-16-le")
    out[TYPE_OFFSET : TYPE_OFFSET + 2] = _fit(mark, 2, "type mark").encode("utf-16-le")
    return bytes(out)


def load_photo_decoder(dotted: str) -> PhotoDecoder | None:
    """Import a WLT decoder given as 'package.module:function' (or 'package.module.function').

    Returns None for an empty setting. Raises ValueError with a plain message when it cannot
    be loaded, so a configuration mistake shows at start-up rather than at the first card.
    """
    if not dotted:
        return None
    module_name, _, attr = dotted.partition(":") if ":" in dotted else dotted.rpartition(".")
    try:
        func = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ValueError(f"photo decoder '{dotted}' cannot be loaded: {type(exc).__name__}") from None
    if not callable(func):
        raise ValueError(f"photo decoder '{dotted}' is not callable")
    return func


# ---------------------------------------------------------------- helpers


def _field(text: bytes, offset: int, length: int, name: str) -> str:
    try:
        value = text[offset : offset + length].decode("utf-16-le")
    except UnicodeDecodeError:
        raise CardTextError(f"field '{name}' is not UCS-2 text") from None
    value = value.rstrip(" \x00").lstrip(" ")
    if any(ord(c) < 0x20 or 0xD800 <= ord(c) <= 0xDFFF or ord(c) in (0xFFFE, 0xFFFF) for c in value):
        raise CardTextError(f"field '{name}' holds control characters")
    return value


def _date(value: str, name: str) -> _dt.date:
    if len(value) != 8 or not value.isascii() or not value.isdigit():
        raise CardTextError(f"the {name} is not YYYYMMDD")
    try:
        return _dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise CardTextError(f"the {name} is not a real date") from None


def _date_text(day: _dt.date | None) -> str:
    return "" if day is None else day.strftime("%Y%m%d")


def _fit(value: str, length: int, name: str) -> str:
    chars = length // 2
    if len(value) > chars:
        raise ValueError(f"field '{name}' holds {len(value)} characters; it has room for {chars}")
    return value.ljust(chars)


def _photo(photo: bytes, decoder: PhotoDecoder | None) -> tuple[bytes, str, str]:
    """(bytes, format, status): the raw WLT is kept unless a configured decoder turns it into a BMP."""
    if not photo:
        return b"", "", "absent"
    if decoder is None:
        return photo, "wlt", "not_decodable"
    try:
        bmp = decoder(photo)
    except Exception as exc:  # a vendor library may raise anything; the card is still usable
        log.warning("photo decoder failed", extra={"event": "photo_decoder_failed", "error": type(exc).__name__})
        return photo, "wlt", "decoder_failed"
    if not isinstance(bmp, bytes) or not bmp.startswith(b"BM"):
        log.warning("photo decoder returned no BMP", extra={"event": "photo_decoder_failed"})
        return photo, "wlt", "decoder_failed"
    return bmp, "bmp", "decoded"

"""Check digits for Chinese identifiers.

- GB 11643: the 18-character resident ID number (also used by HK/Macau/Taiwan
  residence permits and the 2023 foreign permanent resident card).
- GB 32100: the 18-character unified social credit code (USCC) of a business.
- ISO/IEC 7064 MOD 37,36: the check character of a licence identifier.
"""

from __future__ import annotations

import datetime as _dt

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_MOD3736_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def id_check_digit(first17: str) -> str:
    """Return the GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need exactly 17 digits")
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """True if value is an 18-character ID number with a valid check digit and birth date."""
    if len(value) != 18 or not value[:17].isdigit():
        return False
    if value[17].upper() != id_check_digit(value[:17]):
        return False
    return birth_date_from_id(value) is not None


def birth_date_from_id(value: str) -> _dt.date | None:
    """The birth date encoded at positions 7-14, or None if it is not a real date."""
    try:
        return _dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100 check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        raise ValueError("need 17 characters from the USCC alphabet")
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """True if value is an 18-character USCC with a valid GB 32100 check character."""
    value = value.upper()
    if len(value) != 18 or any(c not in USCC_ALPHABET for c in value):
        return False
    return value[17] == uscc_check_char(value[:17])


def mod37_36_check_char(payload: str) -> str:
    """ISO/IEC 7064 MOD 37,36 (hybrid system) check character over digits and letters."""
    m = 36
    p = m
    for ch in payload.upper():
        if ch not in _MOD3736_ALPHABET:
            raise ValueError("payload may hold only 0-9 and A-Z")
        s = (p % (m + 1)) + _MOD3736_ALPHABET.index(ch)
        p = (s % m or m) * 2
    return _MOD3736_ALPHABET[(m + 1 - p % (m + 1)) % m]


def mask_id_number(value: str) -> str:
    """Mask an ID number for display: 1101**********1234."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(value: str) -> str:
    """Mask a name for display: 张*三, 李*, J*** S****."""
    if not value:
        return ""
    if value.isascii():
        return " ".join(part[:1] + "*" * (len(part) - 1) for part in value.split())
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]

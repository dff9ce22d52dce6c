"""GB/T 36903-style certificate identifiers and holder-code checks (shared by kiosk and platform).

Identifier: 1.2.156.3005.2.<type>.<issuer USCC>.<serial>.<version>.<check>, where the check
character is ISO/IEC 7064 MOD 37,36 over everything after the root with the dots removed.
"""

from __future__ import annotations

from kiosk.idnumbers import is_valid_id_number, is_valid_uscc, mod37_36_check_char

IDENTIFIER_ROOT = "1.2.156.3005.2."
HOLDER_TYPES = ("resident_id", "uscc", "other_document")


def make_identifier(type_code: str, issuer_code: str, serial: str, version: str) -> str:
    """A licence identifier with its MOD 37,36 check character."""
    body = f"{type_code}.{issuer_code}.{serial}.{version}"
    return f"{IDENTIFIER_ROOT}{body}.{mod37_36_check_char(body.replace('.', ''))}"


def is_valid_identifier(identifier: str) -> bool:
    """True if identifier has the root, five parts, a valid issuer USCC and check character."""
    if not isinstance(identifier, str) or not identifier.startswith(IDENTIFIER_ROOT):
        return False
    parts = identifier[len(IDENTIFIER_ROOT):].split(".")
    if len(parts) != 5 or not all(parts) or not is_valid_uscc(parts[1]):
        return False
    try:
        return parts[4] == mod37_36_check_char("".join(parts[:4]))
    except ValueError:
        return False


def identifier_issuer(identifier: str) -> str:
    """The issuer USCC inside a valid identifier ("" when it is not valid)."""
    return identifier[len(IDENTIFIER_ROOT):].split(".")[1] if is_valid_identifier(identifier) else ""


def is_valid_holder_code(holder_type: str, code: str) -> bool:
    """Check a holder code against its type: GB 11643, GB 32100, or a plain document number."""
    if not isinstance(code, str) or not 0 < len(code) <= 64:
        return False
    if holder_type == "resident_id":
        return is_valid_id_number(code)
    if holder_type == "uscc":
        return is_valid_uscc(code)
    if holder_type == "other_document":
        return code.isascii() and code.isalnum()
    return False

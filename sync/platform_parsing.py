"""Parsers for the platform's responses: JSON bodies and signature headers.

Each raises BadData (or SignatureRejected for signature headers) on anything that is not
the documented shape; none echoes the offending value, which may hold personal data.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Mapping
from typing import Any

from kiosk.certificate_ids import identifier_issuer, is_valid_holder_code
from kiosk.identity import HolderCodeType
from kiosk.idnumbers import is_valid_uscc
from kiosk.interfaces import ActingFor, Certificate, Delegation, Grant, ServiceInfo
from sync.signatures import ALGORITHMS, FileSignature, PublicKey, SignatureRejected, decode_signature, parse_time

_CERT_TEXT_FIELDS = ("cert_id", "name", "number", "identifier", "issuer", "issuer_code", "holder_name",
                     "holder_code")
SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PROBLEM_SLUG = re.compile(r"[a-z0-9-]{1,40}")


class BadData(Exception):
    """A response that is not the expected shape (becomes PlatformError BAD_DATA)."""


def _str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise BadData(name)
    return value


def _date(value: Any) -> _dt.date:
    if not isinstance(value, str) or len(value) != 10:
        raise BadData("date")
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise BadData("date") from None


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in value.items()):
        raise BadData("dict")
    return dict(value)


def list_field(body: Any, name: str) -> list[Any]:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, list):
        raise BadData(name)
    return value


def parse_certificate(obj: Any) -> Certificate:
    """One certificate from its JSON form; identifier, issuer USCC and holder code are checked."""
    if not isinstance(obj, dict):
        raise BadData("certificate")
    text = {name: _str(obj, name) for name in _CERT_TEXT_FIELDS}
    if not SAFE_ID.fullmatch(text["cert_id"]):
        raise BadData("cert_id")
    try:
        holder_type = HolderCodeType(obj.get("holder_type"))
    except ValueError:
        raise BadData("holder_type") from None
    if identifier_issuer(text["identifier"]) != text["issuer_code"] or not text["issuer_code"]:
        raise BadData("identifier")
    if not is_valid_holder_code(holder_type.value, text["holder_code"]):
        raise BadData("holder_code")
    valid_until = obj.get("valid_until")
    return Certificate(
        **text,
        issue_date=_date(obj.get("issue_date")),
        valid_until=None if valid_until is None else _date(valid_until),
        holder_type=holder_type,
        fields=_str_dict(obj.get("fields", {})),
    )


_GRANT = re.compile(r"[A-Za-z0-9_-]{16,128}")


def parse_grant(body: Any) -> Grant:
    """A grant answer: token, id, hard expiry, the businesses and delegations the person may act for."""
    if not isinstance(body, dict):
        raise BadData("grant")
    token, grant_id = _str(body, "grant"), _str(body, "grant_id")
    if not _GRANT.fullmatch(token) or not SAFE_ID.fullmatch(grant_id):
        raise BadData("grant")
    try:
        expires = parse_time(_str(body, "expires_at"))
    except (ValueError, TypeError):
        raise BadData("expires_at") from None
    businesses = []
    for b in list_field(body, "businesses"):
        if not (isinstance(b, dict) and is_valid_uscc(_str(b, "uscc")) and b.get("role") in ("legal_rep", "agent")):
            raise BadData("businesses")
        businesses.append(ActingFor(b["uscc"], _str(b, "name")[:100], b["role"]))
    delegations = []
    for d in list_field(body, "delegations"):
        if not (isinstance(d, dict) and SAFE_ID.fullmatch(_str(d, "delegation_id"))):
            raise BadData("delegations")
        delegations.append(Delegation(d["delegation_id"], _str(d, "delegator_masked")[:40],
                                      _str(d, "delegator_code_masked")[:40]))
    return Grant(token, grant_id, expires, tuple(businesses[:20]), tuple(delegations[:20]))


def parse_service(obj: Any) -> ServiceInfo:
    if not isinstance(obj, dict):
        raise BadData("service")
    return ServiceInfo(service_id=_str(obj, "service_id"), kind=_str(obj, "kind"),
                       names=_str_dict(obj.get("names")))


def parse_public_key(obj: Any) -> PublicKey:
    """One entry of GET /v1/keys."""
    if not isinstance(obj, dict):
        raise BadData("key")
    key_id, algorithm, public = _str(obj, "key_id"), _str(obj, "algorithm"), _str(obj, "public_key")
    if algorithm not in ALGORITHMS or not SAFE_ID.fullmatch(key_id) or len(public) > 200:
        raise BadData("key")
    try:
        not_before, not_after = parse_time(obj.get("not_before")), parse_time(obj.get("not_after"))
    except (ValueError, TypeError):
        raise BadData("key_validity") from None
    return PublicKey(key_id, algorithm, public, not_before, not_after)


def parse_file_signature(headers: Mapping[str, str]) -> FileSignature:
    """The detached signature of a file from its response headers."""
    key_id = headers.get("X-File-Signature-Key-Id")
    algorithm = headers.get("X-File-Signature-Algorithm")
    signed_at = headers.get("X-File-Signed-At")
    value = headers.get("X-File-Signature")
    if key_id is None or algorithm is None or signed_at is None or value is None:
        raise SignatureRejected("unsigned")
    if not SAFE_ID.fullmatch(key_id) or algorithm not in ALGORITHMS:
        raise SignatureRejected("malformed")
    try:
        when = parse_time(signed_at)
    except ValueError:
        raise SignatureRejected("malformed") from None
    return FileSignature(key_id, algorithm, when, decode_signature(value))


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given as delta-seconds; None when absent or unusable."""
    if value is None or len(value) > 16:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if 0 <= seconds <= 86400 else None


def problem_slug(body: Any) -> str:
    """The last segment of a problem+json type URI when it is a short plain slug, else ""."""
    kind = body.get("type") if isinstance(body, dict) else None
    slug = kind.rsplit("/", 1)[-1] if isinstance(kind, str) else ""
    return slug if _PROBLEM_SLUG.fullmatch(slug) else ""

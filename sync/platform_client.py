"""HTTP client of the public data platform (kiosk.interfaces.PlatformClient over requests).

Every failure becomes a typed PlatformError whose message is a short key: never the
holder code, a name or a response body. Personal data travels only in request bodies.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import requests

from kiosk.identity import HolderCodeType
from kiosk.interfaces import Certificate, PlatformError, PlatformErrorKind, ServiceInfo, StampedCopy

_CERT_TEXT_FIELDS = ("cert_id", "name", "number", "identifier", "issuer", "issuer_code", "holder_name",
                     "holder_code")


class _BadData(Exception):
    """A response that is not the expected JSON shape (internal; becomes BAD_DATA)."""


def _status_kind(status: int) -> PlatformErrorKind | None:
    if status < 400:
        return None
    if status == 429:
        return PlatformErrorKind.RATE_LIMITED
    if status == 408:
        return PlatformErrorKind.TIMEOUT
    if status >= 500:
        return PlatformErrorKind.SERVER_ERROR
    return PlatformErrorKind.REFUSED


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header given as delta-seconds; None when absent or unusable."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds <= 86400 else None


def _str(obj: dict[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise _BadData(name)
    return value


def _date(value: Any) -> _dt.date:
    if not isinstance(value, str):
        raise _BadData("date")
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        raise _BadData("date") from None


def _str_dict(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in value.items()):
        raise _BadData("dict")
    return dict(value)


def _list(body: Any, name: str) -> list[Any]:
    value = body.get(name) if isinstance(body, dict) else None
    if not isinstance(value, list):
        raise _BadData(name)
    return value


def parse_certificate(obj: Any) -> Certificate:
    """One certificate from its JSON form; raises _BadData when a field is missing or ill-typed."""
    if not isinstance(obj, dict):
        raise _BadData("certificate")
    text = {name: _str(obj, name) for name in _CERT_TEXT_FIELDS}
    try:
        holder_type = HolderCodeType(obj.get("holder_type"))
    except ValueError:
        raise _BadData("holder_type") from None
    valid_until = obj.get("valid_until")
    return Certificate(
        **text,
        issue_date=_date(obj.get("issue_date")),
        valid_until=None if valid_until is None else _date(valid_until),
        holder_type=holder_type,
        fields=_str_dict(obj.get("fields", {})),
    )


def parse_service(obj: Any) -> ServiceInfo:
    if not isinstance(obj, dict):
        raise _BadData("service")
    return ServiceInfo(service_id=_str(obj, "service_id"), kind=_str(obj, "kind"),
                       names=_str_dict(obj.get("names")))


class HttpPlatformClient:
    """PlatformClient over HTTP with one requests.Session. Every call blocks: use a worker."""

    def __init__(self, base_url: str, *, kiosk_id: str, connect_timeout: float = 3.0,
                 read_timeout: float = 10.0, session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = session or requests.Session()
        self.session.headers.update({"X-Kiosk-Id": kiosk_id, "Accept": "application/json",
                                     "User-Agent": "kiosk/0.1"})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """Send one request and return the decoded JSON, or raise a PlatformError."""
        kind: PlatformErrorKind | None = None
        detail = ""
        try:
            resp = self.session.request(method, self.base_url + path, json=body, timeout=self.timeout,
                                        allow_redirects=False)
            content = resp.content
        except requests.Timeout:
            kind, detail = PlatformErrorKind.TIMEOUT, "timeout"
        except requests.ConnectionError:
            kind, detail = PlatformErrorKind.OFFLINE, "connection"
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            kind, detail = PlatformErrorKind.BAD_DATA, "truncated"
        except requests.exceptions.InvalidJSONError:
            kind, detail = PlatformErrorKind.BAD_DATA, "request_not_json"
        except requests.RequestException:
            kind, detail = PlatformErrorKind.OFFLINE, "request"
        if kind is not None:  # raised outside the except block: no chained exception to leak
            raise PlatformError(kind, detail)
        status_kind = _status_kind(resp.status_code)
        if status_kind is not None:
            raise PlatformError(status_kind, f"http_{resp.status_code}",
                                retry_after=_retry_after(resp.headers.get("Retry-After")))
        if not 200 <= resp.status_code < 300:
            raise PlatformError(PlatformErrorKind.BAD_DATA, f"http_{resp.status_code}")
        try:
            return resp.json() if content else None
        except ValueError:
            pass
        raise PlatformError(PlatformErrorKind.BAD_DATA, "invalid_json")

    def catalog(self) -> list[ServiceInfo]:
        """The services the platform offers."""
        body = self._call("GET", "/v1/services")
        try:
            return [parse_service(s) for s in _list(body, "services")]
        except _BadData:
            pass
        raise PlatformError(PlatformErrorKind.BAD_DATA, "services")

    def search_certificates(self, holder_code: str, holder_type: HolderCodeType) -> list[Certificate]:
        """Certificates of one holder; the holder code goes only in the POST body."""
        body = self._call("POST", "/v1/certificates/search",
                          {"holder_code": holder_code, "holder_type": holder_type.value})
        try:
            return [parse_certificate(c) for c in _list(body, "certificates")]
        except _BadData:
            pass
        raise PlatformError(PlatformErrorKind.BAD_DATA, "certificates")

    def download(self, cert: Certificate) -> bytes:
        """Not served by this platform version yet (issue 4 adds files and signatures)."""
        raise PlatformError(PlatformErrorKind.NOT_FOUND, "file")

    def stamped_copy(self, cert: Certificate, purpose: str, valid_days: int) -> StampedCopy:
        """Not served by this platform version yet (issue 4 adds purpose-stamped copies)."""
        raise PlatformError(PlatformErrorKind.NOT_FOUND, "stamped_copy")

    def submit(self, idempotency_key: str, kind: str, payload: dict[str, Any]) -> None:
        """Deliver one transaction; an already-stored key counts as success."""
        body = self._call("POST", "/v1/transactions",
                          {"idempotency_key": idempotency_key, "kind": kind, "payload": payload})
        if not (isinstance(body, dict) and body.get("status") in ("accepted", "duplicate")):
            raise PlatformError(PlatformErrorKind.BAD_DATA, "transaction")

    def submit_batch(self, items: list[tuple[str, str, dict[str, Any]]]) -> dict[str, str]:
        """Deliver up to 100 (key, kind, payload) transactions in one request.

        Returns key -> "accepted" | "duplicate" | "rejected". Accepted and duplicate both
        mean delivered; rejected is permanent (the platform refused that item's content).
        """
        body = self._call("POST", "/v1/transactions/batch", {"transactions": [
            {"idempotency_key": key, "kind": kind, "payload": payload} for key, kind, payload in items]})
        results = body.get("results") if isinstance(body, dict) else None
        keys = {key for key, _, _ in items}
        if not isinstance(results, list):
            raise PlatformError(PlatformErrorKind.BAD_DATA, "batch")
        out: dict[str, str] = {}
        for r in results:
            if not (isinstance(r, dict) and r.get("idempotency_key") in keys
                    and r.get("status") in ("accepted", "duplicate", "rejected")):
                raise PlatformError(PlatformErrorKind.BAD_DATA, "batch")
            out[r["idempotency_key"]] = r["status"]
        if set(out) != keys:
            raise PlatformError(PlatformErrorKind.BAD_DATA, "batch")
        return out

    def ping(self) -> bool:
        """True when the platform answers its health check."""
        try:
            body = self._call("GET", "/v1/health")
        except PlatformError:
            return False
        return isinstance(body, dict) and body.get("status") == "ok"

    def close(self) -> None:
        self.session.close()

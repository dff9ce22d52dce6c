"""HTTP client of the public data platform (kiosk.interfaces.PlatformClient over requests).

One pooled Session; connect and read timeouts; TLS verification always on (optional CA
bundle and client certificate; http:// only to loopback); every request signed with this kiosk's
own device key (sync.request_signing, sync.device_key);
bounded retries with backoff, only for idempotent calls, re-signed on every attempt; every
file's detached signature checked (sync.signatures) before its bytes are returned. Files live
in memory only. Every failure is a typed PlatformError whose message is a short key: never
the holder code, a name or a response body. Personal data travels only in request bodies.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import random
import time
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from kiosk.identity import HolderCodeType
from kiosk.interfaces import Certificate, Grant, PlatformError, PlatformErrorKind, ServiceInfo, StampedCopy
from sync.device_key import DeviceKey
from sync.enrolment import check_platform_url, enrol_proof
from sync.platform_cache import CACHE_FILE, PlatformCache
from sync.platform_parsing import (
    SAFE_ID,
    BadData,
    list_field,
    parse_certificate,
    parse_file_signature,
    parse_grant,
    parse_public_key,
    parse_retry_after,
    parse_service,
    problem_slug,
)
from sync.request_signing import sign_request
from sync.signatures import PublicKey, SignatureRejected, format_time, verify_file
from sync.trust_anchor import REFERENCE_ANCHOR, KeysRefused, anchor_key, check_keys_document

__all__ = ["HttpPlatformClient", "client_from_config", "parse_certificate", "parse_service"]

log = logging.getLogger(__name__)
_BadData = BadData  # older name
_retry_after = parse_retry_after  # older name

MAX_FILE_BYTES = 20 << 20
MAX_JSON_BYTES = 4 << 20
RETRY_KINDS = frozenset({PlatformErrorKind.OFFLINE, PlatformErrorKind.TIMEOUT, PlatformErrorKind.SERVER_ERROR,
                         PlatformErrorKind.RATE_LIMITED})


# Problem types of the trust checks (401/403) that the kiosk reacts to in their own way.
TRUST_KINDS = {"unknown-kiosk": PlatformErrorKind.NOT_ENROLLED, "kiosk-revoked": PlatformErrorKind.KIOSK_REVOKED,
               "grant": PlatformErrorKind.GRANT_EXPIRED, "not-authorised": PlatformErrorKind.NOT_AUTHORISED}


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


def _fail(kind: PlatformErrorKind, detail: str, retry_after: float | None = None) -> PlatformError:
    return PlatformError(kind, detail, retry_after=retry_after)


class HttpPlatformClient:
    """PlatformClient over HTTP(S) with one requests.Session. Every call blocks: use a worker."""

    def __init__(self, base_url: str, *, kiosk_id: str, connect_timeout: float = 3.0, read_timeout: float = 10.0,
                 session: requests.Session | None = None, device_key: DeviceKey | None = None,
                 ca_bundle: str | None = None, client_cert: str | tuple[str, str] | None = None,
                 cache_dir: Path | None = None, retries: int = 2, backoff: float = 0.2,
                 max_retry_wait: float = 2.0, trust_anchor: str = REFERENCE_ANCHOR) -> None:
        check_platform_url(base_url)  # ValueError: http:// to another machine
        self.base_url = base_url.rstrip("/")
        self.kiosk_id = kiosk_id
        self.clock_skew: float | None = None  # platform minus kiosk, seconds, from the last answer's Date
        self.ingest_ticket: str | None = None  # the platform's slot ticket after a paced 429
        self.next_slot = 0.0  # seconds until the slot the platform booked for our next batch (0: none)
        self.timeout = (connect_timeout, read_timeout)
        self.retries, self.backoff, self.max_retry_wait = max(0, retries), backoff, max_retry_wait
        self._device_key = device_key  # None: unsigned (only the public endpoints answer)
        self._anchor = anchor_key(trust_anchor)  # ValueError: not an Ed25519 public key
        self.session = session or requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=4, max_retries=0)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.verify = self._tls_verify = ca_bundle or True  # never False
        self.session.cert = client_cert
        self.session.headers.update({"X-Kiosk-Id": kiosk_id, "Accept": "application/json",
                                     "User-Agent": "kiosk/0.1"})
        self.cache = PlatformCache(cache_dir / CACHE_FILE if cache_dir is not None else None)
        self._keys: dict[str, PublicKey] = {}
        self._load_cached_keys()

    # ------------------------------------------------------------ transport

    def _send_once(self, method: str, path: str, data: bytes | None, accept: str,
                   headers: dict[str, str] | None, limit: int, grant: str = "") -> tuple[requests.Response, bytes]:
        signed = {} if self._device_key is None else sign_request(self._device_key, self.kiosk_id, method, path,
                                                                   data or b"", grant=grant)
        all_headers = {**signed, "Accept": accept, **(headers or {})}
        if data is not None:
            all_headers["Content-Type"] = "application/json"
        kind: PlatformErrorKind | None = None
        detail = ""
        try:
            # verify passed per request: REQUESTS_CA_BUNDLE in the environment would override session.verify
            resp = self.session.request(method, self.base_url + path, data=data, headers=all_headers,
                                        timeout=self.timeout, allow_redirects=False, stream=True,
                                        verify=self._tls_verify, cert=self.session.cert)
            try:
                content = b""
                for chunk in resp.iter_content(65536):
                    content += chunk
                    if len(content) > limit:
                        raise _fail(PlatformErrorKind.BAD_DATA, "too_large")
            finally:
                resp.close()
        except requests.exceptions.SSLError:
            kind, detail = PlatformErrorKind.REFUSED, "tls"
        except requests.Timeout:
            kind, detail = PlatformErrorKind.TIMEOUT, "timeout"
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError):
            kind, detail = PlatformErrorKind.BAD_DATA, "truncated"
        except requests.ConnectionError:
            kind, detail = PlatformErrorKind.OFFLINE, "connection"
        except requests.RequestException:
            kind, detail = PlatformErrorKind.OFFLINE, "request"
        if kind is not None:  # raised outside the except block: no chained exception to leak
            raise _fail(kind, detail)
        self._note_clock(resp.headers.get("Date"))
        if path == "/v1/transactions/batch":  # a 429 with a slot: the ticket to come back with (refplatform.pacing)
            ticket = resp.headers.get("X-Ingest-Ticket") if resp.status_code in (200, 429) else None
            self.ingest_ticket = ticket if ticket and len(ticket) <= 64 and ticket.isascii() else None
            slot = parse_retry_after(resp.headers.get("X-Next-Slot")) if resp.status_code == 200 else None
            self.next_slot = slot if slot and self.ingest_ticket else 0.0
        return resp, content

    def _note_clock(self, date: str | None) -> None:
        """Platform clock minus ours, from the HTTP Date header (1 s resolution): for the skew metric."""
        from email.utils import parsedate_to_datetime

        try:
            self.clock_skew = round(parsedate_to_datetime(date).timestamp() - time.time(), 1) if date else None
        except (TypeError, ValueError, IndexError):
            self.clock_skew = None

    def _request(self, method: str, path: str, body: Any = None, *, idempotent: bool,
                 accept: str = "application/json", headers: dict[str, str] | None = None,
                 not_found: PlatformErrorKind = PlatformErrorKind.REFUSED, retries: int | None = None,
                 limit: int = MAX_JSON_BYTES, grant: Grant | None = None) -> tuple[requests.Response, bytes]:
        """Send a request (retrying idempotent ones) and return a 2xx response, or raise PlatformError."""
        data = None
        if body is not None:
            try:
                data = json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
            except (TypeError, ValueError):
                data = None
            if data is None:
                raise _fail(PlatformErrorKind.BAD_DATA, "request_not_json")
        attempts = 1 + ((self.retries if retries is None else retries) if idempotent else 0)
        for attempt in range(attempts):
            try:
                return self._check_status(*self._send_once(method, path, data, accept, headers, limit,
                                                           grant.token if grant else ""), not_found)
            except PlatformError as e:
                retryable = e.kind in RETRY_KINDS or e.detail == "truncated"
                wait = self.backoff * 2**attempt * (1 + random.random() / 2)
                if e.retry_after is not None:
                    wait = e.retry_after
                if attempt + 1 >= attempts or not retryable or wait > self.max_retry_wait:
                    raise
                log.info("platform retry", extra={"event": "platform_retry", "kind": e.kind.value})
                time.sleep(wait)
        raise AssertionError("unreachable")

    @staticmethod
    def _check_status(resp: requests.Response, content: bytes,
                      not_found: PlatformErrorKind) -> tuple[requests.Response, bytes]:
        status = resp.status_code
        kind = not_found if status in (404, 410) else _status_kind(status)
        if kind is not None:
            detail = f"http_{status}"
            if status in (401, 403):
                try:
                    slug = problem_slug(json.loads(content))
                except ValueError:
                    slug = ""
                if slug:
                    detail += "_" + slug
                kind = TRUST_KINDS.get(slug.split("-")[0] if slug.startswith("grant-") else slug, kind)
            raise _fail(kind, detail, parse_retry_after(resp.headers.get("Retry-After")))
        if not 200 <= status < 300:
            raise _fail(PlatformErrorKind.BAD_DATA, f"http_{status}")
        return resp, content

    def _json(self, method: str, path: str, body: Any = None, *, idempotent: bool, **kw: Any) -> Any:
        _, content = self._request(method, path, body, idempotent=idempotent, **kw)
        try:
            return json.loads(content) if content else None
        except ValueError:
            pass
        raise _fail(PlatformErrorKind.BAD_DATA, "invalid_json")

    # ------------------------------------------------------------ catalog and keys (cached for offline use)

    def catalog(self) -> list[ServiceInfo]:
        """The services the platform offers; the cached list when the platform cannot be reached."""
        try:
            body = self._json("GET", "/v1/services", idempotent=True)
        except PlatformError as e:
            cached = self._cached_catalog()
            if cached is None or e.kind not in RETRY_KINDS:
                raise
            return cached
        try:
            services = [parse_service(s) for s in list_field(body, "services")]
        except BadData:
            services = None
        if services is None:
            raise _fail(PlatformErrorKind.BAD_DATA, "services")
        self.cache.put("catalog", body["services"])
        return services

    def _cached_catalog(self) -> list[ServiceInfo] | None:
        try:
            return [parse_service(s) for s in self.cache.get("catalog") or []] or None
        except BadData:
            return None

    def _load_cached_keys(self) -> None:
        for raw in self.cache.get("keys") or []:
            try:
                key = parse_public_key(raw)
            except BadData:
                continue
            self._keys[key.key_id] = key

    def public_keys(self, *, refresh: bool = True) -> dict[str, PublicKey]:
        """The platform's file-signing keys by id; fetched when refresh, else as cached."""
        if refresh:
            body = self._json("GET", "/v1/keys", idempotent=True)
            try:
                listed = check_keys_document(body, self._anchor)
            except KeysRefused as e:
                reason = str(e)
            else:
                reason = ""
            if reason:  # not signed by the pinned anchor: the keys trusted so far stay
                log.warning("key list refused", extra={"event": "bad_signature", "reason": reason})
                raise _fail(PlatformErrorKind.BAD_SIGNATURE, reason)
            try:
                keys = [parse_public_key(k) for k in listed]
            except BadData:
                raise _fail(PlatformErrorKind.BAD_DATA, "keys") from None
            self._keys = {k.key_id: k for k in keys}
            self.cache.put("keys", listed)
        return dict(self._keys)

    def _verify(self, cert_id: str, data: bytes, headers: Any, **stamp: str) -> None:
        """Check a file's signature; refreshes the key list once for a key id not yet known."""
        try:
            signature = parse_file_signature(headers)
            if signature.key_id not in self._keys:
                try:
                    self.public_keys(refresh=True)
                except PlatformError as e:
                    log.warning("key refresh failed", extra={"event": "platform_error", "kind": e.kind.value})
            verify_file(self._keys, cert_id, data, signature, **stamp)
        except SignatureRejected as e:
            reason = str(e)
        else:
            if data.startswith(b"%PDF-"):
                return
            reason = "not_pdf"
        log.warning("file signature rejected", extra={"event": "bad_signature", "reason": reason})
        raise _fail(PlatformErrorKind.BAD_SIGNATURE, reason)

    # ------------------------------------------------------------ certificates

    def open_grant(self, holder_code: str, holder_type: HolderCodeType, *, method: str, liveness: bool,
                   staff_id: str | None = None) -> Grant:
        """The citizen grant after identity verification; the holder code goes only in the POST body."""
        body = self._json("POST", "/v1/grants", {
            "holder_code": holder_code, "holder_type": holder_type.value, "method": method, "liveness": liveness,
            "staff_id": staff_id, "verified_at": format_time(_dt.datetime.now(_dt.UTC))}, idempotent=False)
        try:
            return parse_grant(body)
        except BadData:
            pass
        raise _fail(PlatformErrorKind.BAD_DATA, "grant")

    def close_grant(self, grant: Grant) -> None:
        """Revoke the grant (the session ended); one already gone counts as closed."""
        try:
            self._request("DELETE", "/v1/grants/current", idempotent=True, grant=grant, retries=0)
        except PlatformError as e:
            if e.kind is not PlatformErrorKind.GRANT_EXPIRED:
                raise

    def search_certificates(self, holder_code: str, holder_type: HolderCodeType, *, grant: Grant | None = None,
                            delegation_id: str = "") -> list[Certificate]:
        """Certificates within the grant: the verified holder's (holder_code ""), a business's (its USCC) or
        a delegator's (delegation_id). Holder codes go only in the POST body."""
        query: dict[str, str] = {}
        if delegation_id:
            query = {"delegation_id": delegation_id}
        elif holder_code:
            query = {"holder_code": holder_code, "holder_type": holder_type.value}
        body = self._json("POST", "/v1/certificates/search", query, idempotent=True, grant=grant)
        try:
            return [parse_certificate(c) for c in list_field(body, "certificates")]
        except BadData:
            pass
        raise _fail(PlatformErrorKind.BAD_DATA, "certificates")

    def download(self, cert: Certificate, *, grant: Grant | None = None) -> bytes:
        """The certificate's PDF, its signature verified; the bytes stay in memory."""
        if not SAFE_ID.fullmatch(cert.cert_id):
            raise _fail(PlatformErrorKind.BAD_DATA, "cert_id")
        resp, data = self._request("GET", f"/v1/certificates/{cert.cert_id}/file", idempotent=True,
                                   accept="application/pdf", not_found=PlatformErrorKind.NOT_FOUND,
                                   limit=MAX_FILE_BYTES, grant=grant)
        self._verify(cert.cert_id, data, resp.headers)
        return data

    def stamped_copy(self, cert: Certificate, purpose: str, valid_days: int, *,
                     grant: Grant | None = None) -> StampedCopy:
        """A purpose-stamped copy (加注件), its signature verified. Retried safely: Idempotency-Key."""
        if not SAFE_ID.fullmatch(cert.cert_id):
            raise _fail(PlatformErrorKind.BAD_DATA, "cert_id")
        if not (isinstance(purpose, str) and 0 < len(purpose.strip()) <= 100):
            raise _fail(PlatformErrorKind.BAD_DATA, "purpose")
        if not (isinstance(valid_days, int) and 1 <= valid_days <= 365):
            raise _fail(PlatformErrorKind.BAD_DATA, "valid_days")
        key = "sc-" + random.randbytes(12).hex()
        resp, data = self._request("POST", f"/v1/certificates/{cert.cert_id}/stamped-copies",
                                   {"purpose": purpose, "valid_days": valid_days}, idempotent=True,
                                   accept="application/pdf", headers={"Idempotency-Key": key},
                                   not_found=PlatformErrorKind.NOT_FOUND, limit=MAX_FILE_BYTES, grant=grant)
        code = resp.headers.get("X-Verify-Code", "")
        url = resp.headers.get("X-Verify-Url", "")
        expires_text = resp.headers.get("X-Expires", "")
        try:
            expires = _dt.date.fromisoformat(expires_text) if len(expires_text) == 10 else None
        except ValueError:
            expires = None
        if not SAFE_ID.fullmatch(code) or not url.endswith("/v1/verify/" + code) or len(url) > 300 or expires is None:
            raise _fail(PlatformErrorKind.BAD_DATA, "stamped_copy")
        self._verify(cert.cert_id, data, resp.headers, verify_code=code, verify_url=url, expires=expires_text)
        return StampedCopy(cert_id=cert.cert_id, pdf=data, verify_code=code, verify_url=url, purpose=purpose,
                           expires=expires)

    def send_to_app(self, cert: Certificate, *, grant: Grant | None = None) -> str:
        """Send the certificate to its holder's app wallet (证照夹); the delivery id. Not retried: a
        repeat would only send it twice."""
        if not SAFE_ID.fullmatch(cert.cert_id):
            raise _fail(PlatformErrorKind.BAD_DATA, "cert_id")
        body = self._json("POST", f"/v1/certificates/{cert.cert_id}/send-to-app", {}, idempotent=False,
                          not_found=PlatformErrorKind.NOT_FOUND, grant=grant)
        if not (isinstance(body, dict) and body.get("status") == "sent" and isinstance(body.get("delivery_id"), str)):
            raise _fail(PlatformErrorKind.BAD_DATA, "send_to_app")
        return body["delivery_id"]

    # ------------------------------------------------------------ transactions and status

    def submit(self, idempotency_key: str, kind: str, payload: dict[str, Any]) -> None:
        """Deliver one transaction; an already-stored key counts as success."""
        body = self._json("POST", "/v1/transactions",
                          {"idempotency_key": idempotency_key, "kind": kind, "payload": payload}, idempotent=True)
        if not (isinstance(body, dict) and body.get("status") in ("accepted", "duplicate")):
            raise _fail(PlatformErrorKind.BAD_DATA, "transaction")

    def submit_batch(self, items: list[tuple[str, str, dict[str, Any]]]) -> dict[str, str]:
        """Deliver up to 100 (key, kind, payload) transactions in one request.

        Returns key -> "accepted" | "duplicate" | "rejected". Accepted and duplicate both
        mean delivered; rejected is permanent (the platform refused that item's content).
        """
        ticket = self.ingest_ticket
        try:
            body = self._json("POST", "/v1/transactions/batch", {"transactions": [
                {"idempotency_key": key, "kind": kind, "payload": payload} for key, kind, payload in items]},
                idempotent=True, headers={"X-Ingest-Ticket": ticket} if ticket else None)
        except PlatformError as e:
            if e.kind is PlatformErrorKind.RATE_LIMITED and self.ingest_ticket:
                raise _fail(e.kind, f"{e.detail}_slot", e.retry_after) from None
            raise
        results = body.get("results") if isinstance(body, dict) else None
        keys = {key for key, _, _ in items}
        if not isinstance(results, list):
            raise _fail(PlatformErrorKind.BAD_DATA, "batch")
        out: dict[str, str] = {}
        for r in results:
            if not (isinstance(r, dict) and r.get("idempotency_key") in keys
                    and r.get("status") in ("accepted", "duplicate", "rejected")):
                raise _fail(PlatformErrorKind.BAD_DATA, "batch")
            out[r["idempotency_key"]] = r["status"]
        if set(out) != keys:
            raise _fail(PlatformErrorKind.BAD_DATA, "batch")
        return out

    def heartbeat(self, status: dict[str, Any]) -> None:
        """Report this terminal's status (self-tests, queue depth, printer); not retried."""
        body = self._json("POST", "/v1/kiosk/heartbeat", {"kiosk_id": self.kiosk_id, **status}, idempotent=False)
        if not (isinstance(body, dict) and body.get("status") == "ok"):
            raise _fail(PlatformErrorKind.BAD_DATA, "heartbeat")

    def enrol(self, code: str) -> None:
        """Enrol this kiosk's device key with a one-time code from the platform (not retried)."""
        if self._device_key is None:
            raise _fail(PlatformErrorKind.BAD_DATA, "no_device_key")
        body = self._json("POST", "/v1/kiosks/enrol", {
            "kiosk_id": self.kiosk_id, "code": code, "public_key": self._device_key.public_text,
            "proof": enrol_proof(self._device_key, self.kiosk_id, code)}, idempotent=False)
        if not (isinstance(body, dict) and body.get("status") == "enrolled"):
            raise _fail(PlatformErrorKind.BAD_DATA, "enrol")

    def ping(self) -> bool:
        """True when the platform answers its health check (one attempt, no retries)."""
        try:
            body = self._json("GET", "/v1/health", idempotent=True, retries=0)
        except PlatformError:
            return False
        return isinstance(body, dict) and body.get("status") == "ok"

    # ------------------------------------------------------------ staff calls and presence (refplatform.hall_api)

    def staff_call(self, call_id: str, action: str = "", body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Place (action "" with a body), read (action "" without), "repeat" or "cancel" a staff call.

        Returns {"state", "staff_id", ...}; raises PlatformError. One attempt: the caller polls anyway.
        """
        if not SAFE_ID.fullmatch(call_id) or action not in ("", "repeat", "cancel"):
            raise _fail(PlatformErrorKind.BAD_DATA, "call_id")
        if action:
            answer = self._json("POST", f"/v1/staff-calls/{call_id}/{action}", {}, idempotent=True, retries=0)
        elif body is not None:
            answer = self._json("POST", "/v1/staff-calls", {**body, "call_id": call_id}, idempotent=True, retries=0)
        else:
            answer = self._json("GET", f"/v1/staff-calls/{call_id}", idempotent=True, retries=0)
        if not (isinstance(answer, dict) and answer.get("state") in ("open", "acknowledged", "cancelled")
                and isinstance(answer.get("staff_id", ""), str)):
            raise _fail(PlatformErrorKind.BAD_DATA, "staff_call")
        return answer

    def presence(self, status: dict[str, Any]) -> bool:
        """The idle probe with this kiosk's presence (hall, place, in session or not): True when answered."""
        try:
            body = self._json("POST", "/v1/kiosk/presence", status, idempotent=True, retries=0)
        except PlatformError:
            return False
        return isinstance(body, dict) and body.get("status") == "ok"

    def close(self) -> None:
        self.session.close()


def client_from_config(url: str, config: Any, *, device_key: DeviceKey | None = None) -> HttpPlatformClient:
    """A client configured from kiosk.config (platform.* keys); url is the resolved base URL. The device
    key is read from platform.device_key_dir unless given; a kiosk without one signs nothing."""
    from sync.enrolment import load_device_key

    cert, key = config["platform.client_cert"], config["platform.client_key"]
    return HttpPlatformClient(
        url, kiosk_id=config["kiosk.id"], connect_timeout=config["platform.connect_timeout"],
        read_timeout=config["platform.read_timeout"], retries=config["platform.retries"],
        device_key=device_key or load_device_key(config), trust_anchor=config["platform.trust_anchor"],
        ca_bundle=str(config.path("platform.ca_bundle")) if config["platform.ca_bundle"] else None,
        client_cert=(str(Path(cert).expanduser()), str(Path(key).expanduser())) if cert and key else (
            str(Path(cert).expanduser()) if cert else None),
        cache_dir=config.path("kiosk.state_dir"))

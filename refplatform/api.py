"""Endpoint handlers of the reference platform (transport-free: Request in, Reply out).

Personal data arrives only in bodies; paths hold opaque ids (certificate ids, verification
codes). Files go out as PDF bodies with a detached signature in X-File-Signature* headers.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kiosk.certificate_ids import HOLDER_TYPES, is_valid_holder_code
from kiosk.idnumbers import mask_id_number, mask_name
from refplatform import keys
from refplatform.grants import Grant, GrantRefused, GrantStore, Scope
from refplatform.seed import SERVICES
from refplatform.store import Store
from refplatform.trust import EnrolmentRefused, TrustRegistry
from refplatform.verify_page import verify_html
from sync.device_key import decode_public_key, verify_signature
from sync.enrolment import enrol_message
from sync.signatures import FileSignature, SigningKey, decode_signature, encode_signature, format_time, parse_time

SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U
MAX_BATCH = 100
PRINTER_STATES = ("ready", "busy", "out_of_paper", "jammed", "offline", "error")
RATING_CHANNELS = ("hall_terminal", "hall_window", "web", "mobile_app", "hotline")


class Problem(Exception):
    """An RFC 9457 problem answer; slug becomes the type URI's last segment."""

    def __init__(self, status: int, slug: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail, self.headers = status, slug, detail, headers or {}


@dataclass
class Request:
    method: str
    params: dict[str, str]
    headers: Callable[[str], str | None]
    body: bytes
    kiosk_id: str = ""  # verified signer; "" on public endpoints

    def json(self) -> dict[str, Any]:
        """The body as a JSON object: strict (no NaN/Infinity, at most MAX_JSON_DEPTH deep); an integral
        number such as 1.0 counts as the integer 1, as JSON Schema says."""
        try:
            body = json.loads(self.body, parse_constant=_no_constant, parse_float=_number) if self.body else None
        except RecursionError:
            raise Problem(400, "too-deep", f"JSON nested deeper than {MAX_JSON_DEPTH}") from None
        except (ValueError, UnicodeDecodeError):
            raise Problem(400, "bad-json", "request body is not JSON (NaN and Infinity are not JSON)") from None
        if not isinstance(body, dict):
            raise Problem(400, "bad-json", "request body must be a JSON object")
        if _depth(body) > MAX_JSON_DEPTH:
            raise Problem(400, "too-deep", f"JSON nested deeper than {MAX_JSON_DEPTH}")
        return body


MAX_JSON_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError("not JSON")


def _number(text: str) -> int | float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("not a finite number")
    return int(value) if value.is_integer() and abs(value) < 2**53 else value


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # A streamed body (Server-Sent Events): called with write(bytes) -> False once the client is gone.
    stream: Callable[[Callable[[bytes], bool]], None] | None = None


def json_reply(status: int, obj: Any, **headers: str) -> Reply:
    return Reply(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json", headers)


@dataclass
class Platform:
    """What the handlers share: the store, where the platform is reachable, and the signature fault."""

    store: Store
    public_url: Callable[[], str]
    signature_fault: Callable[[], str | None]
    trust: TrustRegistry | None = None
    grants: GrantStore | None = None
    rolled_over: bool = False  # the SM2 file-signing key has rolled over to sm2-2026 (roll_keys())
    clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.UTC)
    hall: Any = None  # refplatform.hall.Hall: live kiosk state, staff calls, staff sign-in
    pacer: Any = None  # refplatform.pacing.IngestPacer: per-kiosk slots beyond the ingest rate; None: unpaced
    _files: dict[str, tuple[bytes, FileSignature]] = field(default_factory=dict)
    _files_lock: threading.Lock = field(default_factory=threading.Lock)

    def roll_keys(self) -> None:
        """Roll the SM2 file-signing key over: new files signed by the new key, published in a new signed list."""
        with self._files_lock:
            self.rolled_over = True
            self._files.clear()

    def original(self, cert: dict[str, Any]) -> tuple[bytes, FileSignature]:
        """The rendered and signed original, made on first request and kept (files are deterministic)."""
        with self._files_lock:
            cached = self._files.get(cert["cert_id"])
        if cached is None:
            from refplatform.render import render_certificate  # reportlab: imported on first use

            pdf = render_certificate(cert)
            cached = (pdf, signing_key(self, cert["identifier"]).sign_file(cert["cert_id"], pdf))
            with self._files_lock:
                self._files[cert["cert_id"]] = cached
        return cached

    def file_reply(self, status: int, cert: dict[str, Any], pdf: bytes, sig: FileSignature,
                   extra: dict[str, str] | None = None, **stamp: str) -> Reply:
        """A PDF answer with its signature headers; the signature fault switch bends them."""
        fault = self.signature_fault()
        if fault in ("expired", "unknown_key"):
            key: SigningKey = keys.RETIRED_KEY if fault == "expired" else keys.UNPUBLISHED_KEY
            sig = key.sign_file(cert["cert_id"], pdf, **stamp)
        value = sig.value
        if fault == "invalid":
            value = bytes([value[0] ^ 1]) + value[1:]
        if fault == "tampered":
            middle = len(pdf) // 2
            pdf = pdf[:middle] + bytes([pdf[middle] ^ 1]) + pdf[middle + 1:]
        headers = {"X-File-Signature-Key-Id": sig.key_id, "X-File-Signature-Algorithm": sig.algorithm,
                   "X-File-Signed-At": format_time(sig.signed_at), "X-File-Signature": encode_signature(value)}
        if fault == "missing":
            headers = {}
        return Reply(status, pdf, "application/pdf", {**headers, **(extra or {})})


def granted(platform: Platform, req: Request) -> Grant:
    """The live citizen grant the request carries (X-Kiosk-Grant), or a 401 problem."""
    if platform.grants is None:
        raise Problem(404, "not-found", "this platform has no grants")
    try:
        return platform.grants.use(req.headers("X-Kiosk-Grant"), req.kiosk_id)
    except GrantRefused as e:
        raise Problem(e.status, e.slug, e.detail) from None


def scope_of(platform: Platform, grant: Grant, subject_type: str | None, subject_code: str | None,
             delegation_id: str | None = None) -> Scope:
    """Whose records this grant reaches for that subject, or a 403 problem (nothing personal in it)."""
    assert platform.grants is not None
    try:
        return platform.grants.scope(grant, subject_type, subject_code, delegation_id)
    except GrantRefused as e:
        raise Problem(e.status, e.slug, e.detail) from None


def _cert_or_404(platform: Platform, cert_id: str) -> dict[str, Any]:
    cert = platform.store.certificate(cert_id) if SAFE_ID.fullmatch(cert_id) else None
    if cert is None:
        raise Problem(404, "not-found", "no such certificate")
    return cert


# ------------------------------------------------------------------ catalog, keys, certificates

def health(platform: Platform, req: Request) -> Reply:
    return json_reply(200, {"status": "ok"})


def services(platform: Platform, req: Request) -> Reply:
    return json_reply(200, {"services": list(SERVICES)})


def public_keys(platform: Platform, req: Request) -> Reply:
    """The published file-signing keys, signed by the trust anchor kiosks pin (sync.trust_anchor)."""
    published = keys.PUBLISHED
    if platform.rolled_over:  # the SM2 key rolled over: the new one signs, the old one stays listed
        published = (keys.next_sm2_key(), *published)
    anchor = "foreign" if platform.signature_fault() == "foreign_anchor" else "2024"
    return json_reply(200, keys.signed_keys(published, platform.clock(), anchor))


def signing_key(platform: Platform, identifier: str) -> SigningKey:
    key = keys.key_for_identifier(identifier)
    return keys.next_sm2_key() if platform.rolled_over and key.key_id == "sm2-2024" else key


def enrol(platform: Platform, req: Request) -> Reply:
    """A kiosk enrols its own public key with a one-time code, proving it holds the private key."""
    body = req.json()
    kiosk_id, code, public_key, proof = (body.get(k) for k in ("kiosk_id", "code", "public_key", "proof"))
    if not all(isinstance(v, str) and 0 < len(v) <= 128 for v in (kiosk_id, code, public_key, proof)):
        raise Problem(400, "bad-request", "kiosk_id, code, public_key and proof are required")
    key = decode_public_key(public_key)
    try:
        signature = base64.b64decode(proof, validate=True)
    except ValueError:
        signature = b""
    if key is None or not verify_signature(key, signature, enrol_message(kiosk_id, code, public_key)):
        raise Problem(400, "bad-proof", "public_key must be a base64 Ed25519 key and proof its signature")
    if platform.trust is None:
        raise Problem(404, "not-found", "this platform does not enrol kiosks")
    try:
        platform.trust.enrol(kiosk_id, code, public_key)
    except EnrolmentRefused:
        raise Problem(403, "enrolment-refused", "the code is unknown, used, expired or for another kiosk") from None
    return json_reply(201, {"kiosk_id": kiosk_id, "status": "enrolled"})


def search(platform: Platform, req: Request) -> Reply:
    """Certificates within the grant: the holder's own ({}), a business's or a delegator's."""
    body = req.json()
    grant = granted(platform, req)
    code, kind, delegation = body.get("holder_code"), body.get("holder_type"), body.get("delegation_id")
    if "delegation_id" in body:
        if not (isinstance(delegation, str) and SAFE_ID.fullmatch(delegation)) or "holder_code" in body:
            raise Problem(400, "bad-request", "delegation_id must be an id, without holder_code")
        scope = scope_of(platform, grant, None, None, delegation)
    elif "holder_code" not in body and "holder_type" not in body:
        scope = scope_of(platform, grant, None, None)
    else:
        if not isinstance(code, str) or not code or len(code) > 64 or kind not in HOLDER_TYPES:
            raise Problem(400, "bad-request", "holder_code and a known holder_type are required")
        if not is_valid_holder_code(kind, code):
            raise Problem(422, "invalid-holder-code", "holder_code fails its check")
        scope = scope_of(platform, grant, kind, code)
    certs = [c for c in platform.store.certificates_of(scope.subject_type, scope.subject_code)
             if scope.covers(c["identifier"])]
    assert platform.grants is not None
    platform.grants.record(grant, "search", scope)
    return json_reply(200, {"certificates": certs, "acting_as": scope.acting_as})


def _granted_cert(platform: Platform, req: Request, action: str) -> dict[str, Any]:
    """The certificate of the path, when the request's grant reaches its holder and type."""
    grant = granted(platform, req)
    cert = _cert_or_404(platform, req.params["cert_id"])
    scope = scope_of(platform, grant, cert["holder_type"], cert["holder_code"])
    if not scope.covers(cert["identifier"]):
        raise Problem(403, "not-authorised", "the verified person may not act for this holder")
    assert platform.grants is not None
    platform.grants.record(grant, action, scope, cert["cert_id"])
    return cert


def download(platform: Platform, req: Request) -> Reply:
    cert = _granted_cert(platform, req, "download")
    pdf, sig = platform.original(cert)
    return platform.file_reply(200, cert, pdf, sig)


def stamped_copy(platform: Platform, req: Request) -> Reply:
    body = req.json()
    cert = _granted_cert(platform, req, "stamped_copy")
    purpose, days = body.get("purpose"), body.get("valid_days")
    if not (isinstance(purpose, str) and 0 < len(purpose.strip()) <= 100 and purpose.isprintable()):
        raise Problem(400, "bad-request", "purpose must be 1 to 100 printable characters")
    if not (isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= 365):
        raise Problem(400, "bad-request", "valid_days must be an integer from 1 to 365")
    request_key = req.headers("Idempotency-Key")
    if request_key is not None and not SAFE_ID.fullmatch(request_key):
        raise Problem(400, "bad-request", "Idempotency-Key must be 1 to 64 letters, digits, - or _")
    now = platform.clock()
    expires = now.date() + _dt.timedelta(days=days)
    if cert["valid_until"] is not None:
        expires = min(expires, _dt.date.fromisoformat(cert["valid_until"]))
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    url = f"{platform.public_url()}/v1/verify/{code}"
    stamp = {"verify_code": code, "verify_url": url, "expires": expires.isoformat()}
    from refplatform.render import render_stamped

    pdf = render_stamped(cert, purpose=purpose, **stamp)
    sig = signing_key(platform, cert["identifier"]).sign_file(cert["cert_id"], pdf, **stamp)
    row = platform.store.add_stamped({
        **stamp, "request_key": f"{req.kiosk_id}:{request_key}" if request_key else None,
        "cert_id": cert["cert_id"], "purpose": purpose, "issued_at": format_time(now), "kiosk_id": req.kiosk_id,
        "pdf": pdf, "signature": json.dumps({"key_id": sig.key_id, "algorithm": sig.algorithm,
                                             "signed_at": format_time(sig.signed_at),
                                             "value": encode_signature(sig.value)})})
    return _stamped_reply(platform, cert, row, 201)


def _stamped_reply(platform: Platform, cert: dict[str, Any], row: dict[str, Any], status: int) -> Reply:
    s = json.loads(row["signature"])
    sig = FileSignature(s["key_id"], s["algorithm"], parse_time(s["signed_at"]), decode_signature(s["value"]))
    stamp = {"verify_code": row["verify_code"], "verify_url": row["verify_url"], "expires": row["expires"]}
    extra = {"X-Verify-Code": row["verify_code"], "X-Verify-Url": row["verify_url"], "X-Expires": row["expires"],
             "Location": f"/v1/verify/{row['verify_code']}"}
    return platform.file_reply(status, cert, bytes(row["pdf"]), sig, extra, **stamp)


# ------------------------------------------------------------------ verification (public)

def _verification(platform: Platform, code: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    row = platform.store.stamped(code) if SAFE_ID.fullmatch(code) else None
    cert = platform.store.certificate(row["cert_id"]) if row else None
    if row is None or cert is None:
        raise Problem(404, "unknown-code", "no copy was issued with this verification code")
    expired = _dt.date.fromisoformat(row["expires"]) < platform.clock().date()
    holder_code = cert["holder_code"]
    info = {
        "verify_code": code, "status": "expired" if expired else "valid",
        "certificate": {k: cert[k] for k in ("name", "identifier", "issuer", "issuer_code", "issue_date",
                                             "valid_until")},
        "holder": {"name_masked": mask_name(cert["holder_name"]), "code_masked": mask_id_number(holder_code),
                   "type": cert["holder_type"]},
        "purpose": row["purpose"], "issued_at": row["issued_at"], "expires": row["expires"],
        "file_sha256": hashlib.sha256(bytes(row["pdf"])).hexdigest(),
        "file_url": f"{platform.public_url()}/v1/verify/{code}/file",
    }
    return info, row, cert


def prefers_html(accept: str | None) -> bool:
    """Accept negotiation between application/json (the default) and text/html."""
    best: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        for kind in ("application/json", "text/html"):
            if media in (kind, kind.split("/")[0] + "/*", "*/*"):
                weight = q + (0.001 if media == kind else 0)
                best[kind] = max(best.get(kind, 0.0), weight)
    return best.get("text/html", 0) > best.get("application/json", 0)


def verify(platform: Platform, req: Request) -> Reply:
    html = prefers_html(req.headers("Accept"))
    try:
        info, _, _ = _verification(platform, req.params["code"])
    except Problem:
        if not html:
            raise
        return Reply(404, verify_html(None).encode(), "text/html; charset=utf-8")
    if html:
        return Reply(200, verify_html(info).encode(), "text/html; charset=utf-8")
    return json_reply(200, info)


def verify_file(platform: Platform, req: Request) -> Reply:
    _, row, cert = _verification(platform, req.params["code"])
    return _stamped_reply(platform, cert, row, 200)


# ------------------------------------------------------------------ transactions, heartbeat, rating

def _ingest_one(platform: Platform, body: dict[str, Any], kiosk_id: str) -> tuple[int, dict[str, Any]]:
    key, kind, payload = body.get("idempotency_key"), body.get("kind"), body.get("payload")
    if not (isinstance(key, str) and 0 < len(key) <= 128 and isinstance(kind, str) and 0 < len(kind) <= 64
            and isinstance(payload, dict)):
        raise Problem(400, "bad-transaction", "idempotency_key, kind and an object payload are required")
    if kind == "rating":
        claim_session(platform, payload, kiosk_id, key)
    elif kind == "grant_revoke":  # before storing: a resend after a lost answer revokes (again: no change)
        from refplatform.api_grants import revoke_left_open

        revoke_left_open(platform, payload, kiosk_id)
    stored = platform.store.ingest(key, kind, payload, kiosk_id=kiosk_id)
    if stored and kind == "application":  # fulfilled now: the certificate goes to the holder's app wallet
        from refplatform.api_wallet import fulfil_application

        fulfil_application(platform, payload, kiosk_id)
    if stored and platform.hall is not None and kind in ("staff_call", "heartbeat") and kiosk_id:
        _to_hall(platform.hall, kind, payload, kiosk_id)
    return (201, {"status": "accepted"}) if stored else (200, {"status": "duplicate"})


def claim_session(platform: Platform, payload: dict[str, Any], kiosk_id: str, key: str) -> None:
    """A rating belongs to one finished session of this kiosk (its grant id, or the kiosk's own id for
    a session that had no grant), and each session gets only one. A resend of the same
    transaction passes here and is answered as a duplicate."""
    session = payload.get("session_id")
    if not (isinstance(session, str) and SAFE_ID.fullmatch(session)):
        raise Problem(400, "bad-rating", "session_id of the rated session is required")
    if platform.grants is None or platform.store.has_transaction(key):
        return
    if session.startswith("g-") and not platform.grants.owns(kiosk_id, session):
        raise Problem(403, "not-authorised", "that session did not take place at this kiosk")
    if not platform.grants.first_rating(kiosk_id, session):
        raise Problem(409, "already-rated", "this session has already been rated")


def _to_hall(hall: Any, kind: str, payload: dict[str, Any], kiosk_id: str) -> None:
    """A staff call or heartbeat that came through the outbox reaches the hall like a direct one."""
    try:
        if kind == "staff_call":
            hall.open_call(kiosk_id, payload)
        else:
            hall.heartbeat(kiosk_id, payload)
    except (ValueError, PermissionError):
        pass  # stored as a transaction; a malformed call is not shown


def ingest(platform: Platform, req: Request) -> Reply:
    return json_reply(*_ingest_one(platform, req.json(), req.kiosk_id))


def ingest_batch(platform: Platform, req: Request) -> Reply:
    """Up to MAX_BATCH transactions; each gets its own accepted, duplicate or rejected result."""
    items = req.json().get("transactions")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        raise Problem(400, "bad-batch", f"transactions must be a list of 1 to {MAX_BATCH} objects")
    if platform.pacer is not None:
        wait, ticket = platform.pacer.admit(len(items), req.headers("X-Ingest-Ticket"))
        if wait > 0:
            raise Problem(429, "paced", "come back at your slot", {"Retry-After": f"{wait:.3f}",
                                                                    "X-Ingest-Ticket": ticket})
    results = []
    for item in items:
        key = item.get("idempotency_key") if isinstance(item, dict) else None
        try:
            _, answer = _ingest_one(platform, item if isinstance(item, dict) else {}, req.kiosk_id)
        except Problem as p:
            answer = {"status": "rejected", "detail": p.detail}
        results.append({"idempotency_key": key if isinstance(key, str) else None, **answer})
    slot: dict[str, str] = {}
    if platform.pacer is not None:  # kiosks queue: book this one's next batch now (refplatform.pacing)
        wait, ticket = platform.pacer.next_slot(len(items))
        if wait > 0:
            slot = {"X-Next-Slot": f"{wait:.3f}", "X-Ingest-Ticket": ticket}
    return json_reply(200, {"results": results}, **slot)


def _optional_key(body: dict[str, Any], prefix: str) -> str:
    if "idempotency_key" not in body:
        return f"{prefix}-{secrets.token_hex(12)}"
    key = body["idempotency_key"]
    if not (isinstance(key, str) and 0 < len(key) <= 128):
        raise Problem(400, "bad-request", "idempotency_key must be a string of 1 to 128 characters")
    return key


def _is_time(value: Any) -> bool:
    try:
        parse_time(value)
    except (ValueError, TypeError):
        return False
    return True


def _check_heartbeat(body: dict[str, Any]) -> None:
    depth, printer, tests = body.get("queue_depth"), body.get("printer"), body.get("self_tests")
    uptime = body.get("uptime_seconds", 0)
    ok = (isinstance(depth, int) and not isinstance(depth, bool) and 0 <= depth <= 10**9
          and isinstance(printer, dict) and printer.get("state") in PRINTER_STATES
          and isinstance(printer.get("detail", ""), str)
          and isinstance(tests, list) and len(tests) <= 64
          and all(isinstance(t, dict) and isinstance(t.get("component"), str) and 0 < len(t["component"]) <= 64
                  and isinstance(t.get("ok"), bool) and isinstance(t.get("detail", ""), str)
                  for t in tests)
          and all(isinstance(body.get(k, ""), str) for k in ("kiosk_id", "software_version"))
          and _is_update(body.get("update", {}))
          and ("sent_at" not in body or _is_time(body["sent_at"]))
          and isinstance(uptime, int | float) and not isinstance(uptime, bool) and uptime >= 0)
    if not ok:
        raise Problem(400, "bad-heartbeat", "queue_depth, printer.state and a self_tests list are required")


def _is_update(update: Any) -> bool:
    """The heartbeat's last `kiosk update`: an object whose named fields are strings."""
    return isinstance(update, dict) and all(isinstance(update.get(k, ""), str)
                                            for k in ("result", "version", "attempted", "at"))


def heartbeat(platform: Platform, req: Request) -> Reply:
    body = req.json()
    _check_heartbeat(body)
    payload = {k: v for k, v in body.items() if k != "idempotency_key"}
    payload["kiosk_id"] = req.kiosk_id or str(body.get("kiosk_id", "-"))[:64]
    platform.store.ingest(_optional_key(body, "hb"), "heartbeat", payload, kiosk_id=req.kiosk_id)
    if platform.hall is not None and req.kiosk_id:
        platform.hall.heartbeat(req.kiosk_id, payload)
    return json_reply(200, {"status": "ok", "server_time": format_time(platform.clock())})


def kiosk_status(platform: Platform, req: Request) -> Reply:
    beats = platform.store.heartbeats(req.kiosk_id)
    if not beats:
        raise Problem(404, "no-heartbeat", "this kiosk has not reported yet")
    last = beats[-1]
    return json_reply(200, {"kiosk_id": req.kiosk_id, "last_seen": last["received_at"], "status": last["status"],
                            "heartbeats": len(beats)})


def rating(platform: Platform, req: Request) -> Reply:
    """好差评 (GB/T 39046): one rating of one service, five levels, channel of the evaluation."""
    body = req.json()
    level, service, channel = body.get("level"), body.get("service_id"), body.get("channel")
    comment = body.get("comment", "")
    if not (isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 5
            and isinstance(service, str) and 0 < len(service) <= 64 and channel in RATING_CHANNELS
            and isinstance(comment, str) and len(comment) <= 500 and isinstance(body.get("transaction_id", ""), str)):
        raise Problem(400, "bad-rating", "level 1-5, service_id and a known channel are required")
    key = _optional_key(body, "rt")
    payload = {k: v for k, v in body.items() if k != "idempotency_key"}
    payload["kiosk_id"] = req.kiosk_id or "-"
    claim_session(platform, payload, req.kiosk_id, key)
    stored = platform.store.ingest(key, "rating", payload, kiosk_id=req.kiosk_id)
    return json_reply(201 if stored else 200, {"status": "accepted" if stored else "duplicate",
                                               "idempotency_key": key})

"""Grant endpoints: POST /v1/grants after identity verification, DELETE /v1/grants/current at session end,
and the ``grant_revoke`` transaction (by public grant id) a kiosk sends for a grant its killed session left open."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from kiosk.certificate_ids import HOLDER_TYPES, is_valid_holder_code
from refplatform.api import SAFE_ID, Platform, Problem, Reply, Request, granted, json_reply
from refplatform.grants import IDLE_SECONDS, GrantRefused
from sync.signatures import format_time, parse_time

MAX_VERIFICATION_AGE = 600.0  # seconds between the identity check and the grant request


def open_grant(platform: Platform, req: Request) -> Reply:
    """A short-lived grant for the citizen the kiosk has just verified; lists whom they may act for."""
    body = req.json()
    code, kind, method, liveness = (body.get(k) for k in ("holder_code", "holder_type", "method", "liveness"))
    staff_id, verified_at = body.get("staff_id"), body.get("verified_at")
    if not (isinstance(code, str) and 0 < len(code) <= 64 and kind in HOLDER_TYPES and isinstance(method, str)
            and len(method) <= 16 and isinstance(liveness, bool)
            and (staff_id is None or (isinstance(staff_id, str) and SAFE_ID.fullmatch(staff_id)))
            and (verified_at is None or isinstance(verified_at, str))):
        raise Problem(400, "bad-request", "holder_code, holder_type, method and liveness are required")
    if not is_valid_holder_code(kind, code):
        raise Problem(422, "invalid-holder-code", "holder_code fails its check")
    now = platform.clock()
    if verified_at is not None:
        try:
            age = (now - parse_time(verified_at)).total_seconds()
        except (ValueError, TypeError):
            raise Problem(400, "bad-request", "verified_at must be an RFC 3339 UTC time") from None
        if not -60 <= age <= MAX_VERIFICATION_AGE:
            raise Problem(403, "verification-stale", "the identity check is too old or in the future")
    if platform.grants is None:
        raise Problem(404, "not-found", "this platform has no grants")
    try:
        token, grant, hard = platform.grants.open(req.kiosk_id, kind, code, method=method, liveness=liveness,
                                                  staff_id=staff_id, verified_at=verified_at)
    except GrantRefused as e:
        raise Problem(e.status, e.slug, e.detail) from None
    businesses = platform.grants.businesses(grant.holder_code) if kind == "resident_id" else []
    delegations = platform.grants.delegations(grant.holder_code) if kind == "resident_id" else []
    expires = _dt.datetime.fromtimestamp(hard, _dt.UTC)
    return json_reply(201, {"grant": token, "grant_id": grant.grant_id, "expires_at": format_time(expires),
                            "idle_seconds": int(IDLE_SECONDS), "businesses": businesses,
                            "delegations": delegations})


def close_grant(platform: Platform, req: Request) -> Reply:
    """Revoke the request's grant (the session ended); later calls with it get 401 grant-revoked."""
    granted(platform, req)
    assert platform.grants is not None
    platform.grants.revoke(req.headers("X-Kiosk-Grant"), req.kiosk_id)
    return Reply(204, b"", "application/json")


GRANT_ID = re.compile(r"g-[0-9a-f]{8,64}")


def revoke_left_open(platform: Platform, payload: dict[str, Any], kiosk_id: str) -> None:
    """A ``grant_revoke`` transaction: the kiosk restarted after a session was killed and revokes that
    session's grant by its public id (its token died with the process). Only a grant of the sending
    kiosk; one already revoked or expired stays as it is, so a resent transaction changes nothing."""
    grant_id = payload.get("grant_id")
    if not (isinstance(grant_id, str) and GRANT_ID.fullmatch(grant_id)):
        raise Problem(400, "bad-transaction", "grant_revoke needs the grant_id of one of this kiosk's grants")
    if platform.grants is None:
        raise Problem(404, "not-found", "this platform has no grants")
    try:
        platform.grants.revoke_id(kiosk_id, grant_id)
    except GrantRefused as e:
        raise Problem(e.status, e.slug, e.detail) from None

"""What the outbox keeps of each kind of transaction: the fields the platform needs, no more.

Per kind, ``CLEAR`` fields are stored as they are and ``PERSONAL`` fields are encrypted;
anything else is dropped before the row is written. A kind not listed here is kept whole
but entirely encrypted, so a new kind loses nothing and leaks nothing until it is listed.
"""

from __future__ import annotations

from typing import Any

COMMON = frozenset({"at", "kiosk_id"})

CLEAR: dict[str, frozenset[str]] = {
    "print": frozenset({"ok", "certificate_type", "purpose", "job_id", "reason", "stage", "citizen_present"}),
    # session_id: the grant id, not personal; rated: what was done (printed, queued, sent_to_app, looked_up)
    "rating": frozenset({"level", "service_id", "channel", "session_id", "rated"}),
    "help_request": frozenset({"reason", "screen"}),
    "identity_check": frozenset({"verified", "method", "liveness_passed", "staff_id"}),  # staff_id: pseudonym
    "face_check": frozenset({"verified", "liveness_passed", "score", "reason"}),
    "heartbeat": frozenset({"queue_depth", "oldest_age_s", "dead", "limits_reached", "quarantined", "online",
                            "devices", "disk_free_mb", "hall", "place", "software_version", "update"}),
    "staff_call": frozenset({"call_id", "kind", "reason", "screen", "assisted", "hall", "place"}),
    "application": frozenset({"service_id", "holder_type", "tracking_code", "verified_by", "queued_offline",
                              "certificate_type", "purpose"}),  # what the platform fulfils later
    "counter_ticket": frozenset({"ticket_number", "service_id", "reason", "certificate_type"}),
    # grant_id: the public id of a grant a killed session left open (as a rating's session_id)
    "grant_revoke": frozenset({"grant_id", "reason"}),
}

PERSONAL: dict[str, frozenset[str]] = {
    "print": frozenset({"identifier"}),  # the certificate's identifier points at one holder
    "application": frozenset({"holder_code", "holder_name"}),
}


def split(kind: str, payload: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(clear, personal) parts of a payload; fields the platform does not need are dropped."""
    if kind not in CLEAR:
        return {}, dict(payload)
    clear_names = CLEAR[kind] | COMMON
    personal_names = PERSONAL.get(kind, frozenset())
    clear = {k: v for k, v in payload.items() if k in clear_names}
    personal = {k: v for k, v in payload.items() if k in personal_names}
    return clear, personal

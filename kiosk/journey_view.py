"""A plain snapshot of what the current screen shows, for any front end.

Values are message keys (translated by the front end) or display-safe data:
names are masked on screens other people can read over a shoulder.
"""

from __future__ import annotations

from typing import Any

from kiosk.idnumbers import mask_name
from kiosk.journey import MATTERS, PURPOSES, RATING_GROUPS, RATING_LEVELS, SERVICES, Journey, Screen


def build_view(journey: Journey) -> dict[str, Any]:
    """Everything the current screen needs, as JSON-like data."""
    s = journey.session
    remaining = journey.warning_remaining()
    view: dict[str, Any] = {
        "screen": journey.screen.value,
        "assisted": journey.assisted,
        "language": journey.language,
        "staffCalled": journey.staff_called,
        "staffCall": journey.calls.view(),
        "warning": -1 if remaining is None else remaining,
        "message": s.message if s else "",
        "inputError": s.input_error if s else "",
        "outOfService": journey.out_of_service_reason(),
    }
    screen = journey.screen
    view["cardPresent"] = journey.card_present
    if screen in (Screen.TAKE_CARD, Screen.CARD_PULLED):
        view.update(journey.leaving_view())
    if screen in (Screen.ATTRACT, Screen.SERVICE_MENU):
        view.update(journey.readiness_view())  # what cannot finish now, before anyone starts it
    if s is None:
        return view
    if s.document is not None:
        doc = s.document
        view["greetingName"] = mask_name(doc.name or doc.name_en)
    if screen is Screen.SERVICE_MENU:
        view["services"] = list(SERVICES)
    elif screen is Screen.CERT_LIST:
        size = journey.page_size()
        certs = s.certificates
        view["page"] = s.page
        view["pages"] = max(1, -(-len(certs) // size))
        view["certificates"] = [
            {"id": c.cert_id, "name": c.name, "issuer": c.issuer, "issued": c.issue_date.isoformat()}
            for c in certs[s.page * size:(s.page + 1) * size]
        ]
    elif screen in (Screen.PREVIEW, Screen.PURPOSE, Screen.PRINTING, Screen.PRINT_DONE) and s.selected:
        c = s.selected
        view["certificate"] = {
            "name": c.name,
            "rows": [
                ["field_holder", c.holder_name],
                ["field_holder_code", c.holder_code],
                ["field_number", c.number],
                ["field_issuer", c.issuer],
                ["field_issued", c.issue_date.isoformat()],
                ["field_valid_until", c.valid_until.isoformat() if c.valid_until else "long_term"],
                ["field_identifier", c.identifier],
            ] + [[k, v] for k, v in c.fields.items()],
        }
        view["purposes"] = list(MATTERS if s.asking_matter else PURPOSES)
        view["askingMatter"] = s.asking_matter
        view["printed"] = s.printed
    elif screen is Screen.WHO_FOR:  # at most 2 others: assisted mode shows at most 4 choices
        view["delegations"] = [{"id": d.delegation_id, "name": d.delegator_masked} for d in s.delegations[:2]]
    elif screen is Screen.BUSINESS_CHOICE:
        view["businesses"] = [{"uscc": b.uscc, "name": b.name} for b in s.businesses[:2]]
    elif screen is Screen.NOTICE:
        view["canQueueOffline"] = journey.can_queue_offline()
    elif screen is Screen.QUEUED:
        view["trackingCode"] = s.tracking_code
        view["receipt"] = s.receipt
        view["certificateType"], view["purpose"] = s.queue_cert_type, s.queue_purpose  # what was asked for
    elif screen is Screen.QUEUE_CHOICE:
        view["queueStep"], view["choices"] = s.queue_step, journey.queue_choices()
    elif screen is Screen.COUNTER_TICKET:
        view["counterNumber"], view["receipt"] = s.counter_number, s.receipt
    elif screen is Screen.PRINT_FAILED:
        view.update(journey.fallback_view())  # queue it, a counter, the app (kiosk/journey_fallback.py)
        view["canRetry"] = journey.can_retry_print()
        # Failed before anything reached the printer: say so, and what still works.
        view["nothingPrinted"] = s.print_stage in ("precheck", "fetch", "compose")
    elif screen is Screen.STAFF_CHECK:
        view["staffWait"] = s.staff_wait
        view["staffTriesLeft"] = s.staff_tries_left
    elif screen is Screen.FACE_FAILED:
        view["canRetry"] = s.face_failures < 3
        view["attemptsLeft"] = max(0, 3 - s.face_failures)
    elif screen is Screen.RATING:
        view["ratingSubject"] = journey.rating_subject()  # what is rated: only what was done
        if not journey.assisted:
            view["levels"] = list(RATING_LEVELS)
        elif s.rating_group:
            view["levels"] = list(RATING_GROUPS[s.rating_group])
        else:
            view["groups"] = list(RATING_GROUPS)
    return view

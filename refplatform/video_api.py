"""Handlers for video help: kiosk side (signed requests) and the agent console (staff session).

Kiosks: POST /v1/video-calls (with the offer), GET /v1/video-calls/{id} (the answer when there
is one), POST /v1/video-calls/{id}/end. Agents, signed in as hall staff (the hall dashboard's
session cookie): GET /hall/video (the console), GET /hall/video/queue, POST
/hall/video/calls/{id}/accept | answer | end. State-changing agent requests carry ``X-Hall: 1``
(a custom header no cross-site form can send), as the hall dashboard's do.
"""

from __future__ import annotations

import contextlib
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from refplatform.api import Platform, Problem, Reply, Request, json_reply
from refplatform.video_calls import KIOSK_END_REASONS, OUTCOMES, CallError, VideoCalls

COOKIE = "hall_session"  # the hall dashboard's staff session (refplatform.hall_api)
PAGE = Path(__file__).with_name("agent_console.html")
CSP = ("default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; media-src 'self' blob:; "
       "img-src 'self' data:")


def _calls(platform: Platform) -> VideoCalls:
    calls = getattr(platform, "video", None)
    if calls is None:
        raise Problem(404, "not-found", "no such resource")
    return calls


def _run(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except CallError as e:
        raise Problem(e.status, e.slug, e.detail) from None


def _hall(platform: Platform, method: str, *args: Any) -> None:
    """Mirror the call on the hall dashboard as a staff call of kind "video" (refplatform.hall)."""
    hall = getattr(platform, "hall", None)
    if hall is not None and hasattr(hall, method):
        with contextlib.suppress(ValueError, PermissionError):
            getattr(hall, method)(*args)


# ------------------------------------------------------------------ kiosk side (signed requests)

def _kiosk(req: Request) -> str:
    if not req.kiosk_id:
        raise Problem(401, "unsigned", "video calls need a signed kiosk request")
    return req.kiosk_id


def open_call(platform: Platform, req: Request) -> Reply:
    calls, kiosk_id = _calls(platform), _kiosk(req)
    call = _run(calls.open, kiosk_id, req.json())
    _hall(platform, "open_call", kiosk_id, {"call_id": call.call_id, "kind": "video", "reason": "video_help",
                                            "screen": call.screen, "assisted": call.assisted})
    return json_reply(201, {"call_id": call.call_id, "state": call.state})


def call_status(platform: Platform, req: Request) -> Reply:
    return json_reply(200, _run(_calls(platform).status, req.params["call_id"], _kiosk(req)))


def end_call(platform: Platform, req: Request) -> Reply:
    reason = req.json().get("reason", "citizen") if req.body else "citizen"
    if reason not in KIOSK_END_REASONS:
        raise Problem(400, "bad-reason", "reason must be one of " + ", ".join(KIOSK_END_REASONS))
    call = _run(_calls(platform).end_by_kiosk, req.params["call_id"], _kiosk(req), reason)
    _hall(platform, "cancel_call", call.call_id, call.kiosk_id)
    return json_reply(200, {"call_id": call.call_id, "state": call.state})


# ------------------------------------------------------------------ agent side (staff session)

def _agent(platform: Platform, req: Request, *, changes: bool = False) -> str:
    """The signed-in staff member's id (the hall dashboard's session), or a 401/403."""
    return _agent_session(platform, req, changes=changes)[0]


def _agent_session(platform: Platform, req: Request, *, changes: bool = False) -> tuple[str, str]:
    """(staff id, hall) of the signed-in staff member, or a 401/403."""
    if changes and req.headers("X-Hall") != "1":
        raise Problem(403, "forbidden", "missing X-Hall header")
    hall = getattr(platform, "hall", None)
    try:
        morsel = SimpleCookie(req.headers("Cookie") or "").get(COOKIE)
    except CookieError:
        morsel = None
    found = hall.session(morsel.value if morsel else None) if hall is not None else None
    if found is None:
        raise Problem(401, "not-signed-in", "sign in as staff first")
    return str(found[0]), str(found[1])


def page(platform: Platform, req: Request) -> Reply:
    _calls(platform)
    return Reply(200, PAGE.read_bytes(), "text/html; charset=utf-8",
                 {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"})


def queue(platform: Platform, req: Request) -> Reply:
    agent = _agent(platform, req)
    return json_reply(200, {"agent_id": agent, "calls": _calls(platform).queue(), "outcomes": list(OUTCOMES)})


def accept(platform: Platform, req: Request) -> Reply:
    agent, hall_name = _agent_session(platform, req, changes=True)
    reply = _run(_calls(platform).accept, req.params["call_id"], agent)
    _hall(platform, "acknowledge", req.params["call_id"], agent, hall_name)
    return json_reply(200, reply)


def answer(platform: Platform, req: Request) -> Reply:
    agent = _agent(platform, req, changes=True)
    _run(_calls(platform).answer, req.params["call_id"], agent, req.json().get("sdp"))
    return json_reply(200, {"state": "answered"})


def end(platform: Platform, req: Request) -> Reply:
    agent = _agent(platform, req, changes=True)
    call = _run(_calls(platform).end_by_agent, req.params["call_id"], agent, req.json().get("outcome"))
    _hall(platform, "cancel_call", call.call_id, call.kiosk_id)
    return json_reply(200, {"call_id": call.call_id, "state": call.state, "outcome": call.outcome})

"""Handlers for staff calls (kiosk side, signed) and the hall dashboard (staff side, signed in).

Kiosks: POST /v1/staff-calls, GET /v1/staff-calls/{id}, POST .../repeat, .../cancel,
POST /v1/kiosk/presence. Staff: GET /hall (the page), POST/DELETE /hall/session,
GET /hall/state, GET /hall/events (Server-Sent Events), POST /hall/calls/{id}/ack.

The dashboard's session is an HttpOnly, SameSite=Strict cookie; state-changing staff
requests must also carry ``X-Hall: 1`` (a custom header a cross-site form cannot send).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import Any

from refplatform.api import Platform, Problem, Reply, Request, json_reply
from refplatform.hall import Hall

COOKIE = "hall_session"
PAGE = Path(__file__).with_name("hall.html")
SSE_REFRESH = 5.0  # seconds between snapshots while nothing changes (waiting times, up/down)


def _hall(platform: Platform) -> Hall:
    hall = getattr(platform, "hall", None)
    if hall is None:
        raise Problem(404, "not-found", "no such resource")
    return hall


def _call_view(row: dict[str, Any]) -> dict[str, Any]:
    return {"call_id": row["call_id"], "kind": row["kind"], "state": row["state"], "staff_id": row["staff_id"],
            "repeats": row["repeats"]}


# ------------------------------------------------------------------ kiosk side (signed requests)

def _kiosk(req: Request) -> str:
    if not req.kiosk_id:
        raise Problem(401, "unsigned", "staff calls need a signed kiosk request")
    return req.kiosk_id


_TEXT_FIELDS = ("hall", "place", "screen", "reason")


def _checked(body: dict[str, Any], *, flags: tuple[str, ...]) -> dict[str, Any]:
    """Display fields are short strings, flags booleans, queue_depth a count: or a 400."""
    ok = (all(isinstance(body.get(k, ""), str) and len(body.get(k, "")) <= 64 for k in _TEXT_FIELDS)
          and all(isinstance(body.get(k, False), bool) for k in flags)
          and (isinstance(body.get("queue_depth", 0), int) and not isinstance(body.get("queue_depth", 0), bool)
               and 0 <= body.get("queue_depth", 0) <= 10**9))
    if not ok:
        raise Problem(400, "bad-request", "hall, place, screen and reason are strings of at most 64 characters")
    return body


def place_call(platform: Platform, req: Request) -> Reply:
    hall, kiosk_id = _hall(platform), _kiosk(req)
    body = _checked(req.json(), flags=("assisted",))
    known = hall.call(str(body.get("call_id", "")), kiosk_id) is not None
    try:
        row = hall.open_call(kiosk_id, body)
    except ValueError as e:
        raise Problem(400, "bad-call", str(e)) from None
    except PermissionError:
        raise Problem(409, "call-conflict", "this call id is taken") from None
    return json_reply(200 if known else 201, _call_view(row))


def call_status(platform: Platform, req: Request) -> Reply:
    row = _hall(platform).call(req.params["call_id"], _kiosk(req))
    if row is None:
        raise Problem(404, "no-call", "no such call from this kiosk")
    return json_reply(200, _call_view(row))


def repeat_call(platform: Platform, req: Request) -> Reply:
    row = _hall(platform).repeat_call(req.params["call_id"], _kiosk(req))
    if row is None:
        raise Problem(404, "no-call", "no such call from this kiosk")
    return json_reply(200, _call_view(row))


def cancel_call(platform: Platform, req: Request) -> Reply:
    row = _hall(platform).cancel_call(req.params["call_id"], _kiosk(req))
    if row is None:
        raise Problem(404, "no-call", "no such call from this kiosk")
    return json_reply(200, _call_view(row))


def presence(platform: Platform, req: Request) -> Reply:
    _hall(platform).presence(_kiosk(req), _checked(req.json(), flags=("in_session",)))
    return json_reply(200, {"status": "ok"})


# ------------------------------------------------------------------ staff side (signed in)

def _token(req: Request) -> str | None:
    try:
        jar = SimpleCookie(req.headers("Cookie") or "")
    except CookieError:
        return None
    morsel = jar.get(COOKIE)
    return morsel.value if morsel else None


def _staff(platform: Platform, req: Request, *, changes: bool = False) -> tuple[str, str]:
    if changes and req.headers("X-Hall") != "1":
        raise Problem(403, "forbidden", "missing X-Hall header")
    found = _hall(platform).session(_token(req))
    if found is None:
        raise Problem(401, "not-signed-in", "sign in as staff first")
    return found


def page(platform: Platform, req: Request) -> Reply:
    _hall(platform)
    return Reply(200, PAGE.read_bytes(), "text/html; charset=utf-8",
                 {"Content-Security-Policy": "default-src 'self'; style-src 'unsafe-inline'; "
                                             "script-src 'unsafe-inline'; media-src 'self' data:",
                  "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"})


def sign_in(platform: Platform, req: Request) -> Reply:
    if req.headers("X-Hall") != "1":
        raise Problem(403, "forbidden", "missing X-Hall header")
    body = req.json()
    token = _hall(platform).sign_in(body.get("staff_id"), body.get("password"))
    if token is None:
        raise Problem(401, "sign-in-failed", "staff id or password not accepted")
    cookie = f"{COOKIE}={token}; Path=/hall; HttpOnly; SameSite=Strict; Max-Age=43200"
    return json_reply(200, {"staff_id": body["staff_id"]}, **{"Set-Cookie": cookie})


def sign_out(platform: Platform, req: Request) -> Reply:
    _hall(platform).sign_out(_token(req))
    return json_reply(200, {"status": "signed_out"},
                      **{"Set-Cookie": f"{COOKIE}=; Path=/hall; HttpOnly; SameSite=Strict; Max-Age=0"})


def _day_start() -> str:
    """Local midnight as the platform store's UTC timestamp text."""
    local = _dt.datetime.now().astimezone()
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _snapshot(platform: Platform, staff: tuple[str, str]) -> dict[str, Any]:
    hall = _hall(platform)
    snap = hall.snapshot(staff[1])
    snap["summary"] = platform.store.day_summary([k["kiosk_id"] for k in snap["kiosks"]], _day_start())
    snap["staff_id"] = staff[0]
    return snap


def state(platform: Platform, req: Request) -> Reply:
    return json_reply(200, _snapshot(platform, _staff(platform, req)))


def acknowledge(platform: Platform, req: Request) -> Reply:
    staff_id, hall_name = _staff(platform, req, changes=True)
    row = _hall(platform).acknowledge(req.params["call_id"], staff_id, hall_name)
    if row is None:
        raise Problem(404, "no-call", "no such call in this hall")
    return json_reply(200, _call_view(row))


def events(platform: Platform, req: Request) -> Reply:
    """Server-Sent Events: a "state" event at once, on every change and every few seconds."""
    staff = _staff(platform, req)
    hall = _hall(platform)

    def stream(write: Callable[[bytes], bool]) -> None:
        if not write(b"retry: 2000\n\n"):
            return
        while not hall.closed:
            snap = _snapshot(platform, staff)
            data = json.dumps(snap, ensure_ascii=False, separators=(",", ":"))
            if not write(f"event: state\ndata: {data}\n\n".encode()):
                return
            hall.wait_change(snap["version"], SSE_REFRESH)
            if hall.session(_token(req)) is None:  # signed out or expired: the page asks to sign in again
                write(b"event: signed_out\ndata: {}\n\n")
                return

    return Reply(200, b"", "text/event-stream; charset=utf-8", {"X-Accel-Buffering": "no"}, stream=stream)

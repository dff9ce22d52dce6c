"""Staff calls and the hall dashboard's API on the reference platform over HTTP (issue 15).

Kiosk requests are signed (the real client); staff sign in with their own credential and
hold an HttpOnly session cookie. Garbage and cut-off input gets a plain problem answer.
"""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from kiosk.interfaces import PlatformError
from refplatform.server import PlatformServer
from sync.device_key import DeviceKey
from sync.platform_client import HttpPlatformClient
from tests.signed_requests import enrol, enrolled_client

PASSWORD = "correct horse 15"
_KEYS: dict[str, DeviceKey] = {}


@pytest.fixture
def hall_server(server: PlatformServer) -> PlatformServer:
    server.hall.add_staff("S012", "north-hall", PASSWORD)
    server.hall.add_staff("S900", "south-hall", PASSWORD)
    return server


def _client(server: PlatformServer, kiosk_id: str = "KIOSK-N-01") -> HttpPlatformClient:
    if kiosk_id not in _KEYS:
        _KEYS[kiosk_id] = DeviceKey.generate()
    if server.trust.key_for(kiosk_id) is None:
        enrol(server, kiosk_id, _KEYS[kiosk_id])
    return enrolled_client(server, kiosk_id, _KEYS[kiosk_id], read_timeout=5)


def _staff(server: PlatformServer, staff_id: str = "S012") -> requests.Session:
    s = requests.Session()
    r = s.post(server.url + "/hall/session", json={"staff_id": staff_id, "password": PASSWORD},
               headers={"X-Hall": "1"})
    assert r.status_code == 200, r.text
    assert "HttpOnly" in r.headers["Set-Cookie"] and "SameSite=Strict" in r.headers["Set-Cookie"]
    return s


def test_call_acknowledged_by_staff_of_that_hall(hall_server: PlatformServer) -> None:
    kiosk = _client(hall_server)
    kiosk._json("POST", "/v1/kiosk/presence", {"hall": "north-hall", "place": "一楼 A3", "in_session": True,
                                               "screen": "service_menu"}, idempotent=False)
    body = {"call_id": "call-0001-abcd", "kind": "help", "reason": "citizen_request", "screen": "cert_list",
            "assisted": True, "hall": "north-hall", "place": "一楼 A3"}
    assert kiosk._json("POST", "/v1/staff-calls", body, idempotent=True)["state"] == "open"
    assert kiosk._json("POST", "/v1/staff-calls", body, idempotent=True)["state"] == "open"  # idempotent
    staff = _staff(hall_server)
    state = staff.get(hall_server.url + "/hall/state").json()
    assert [c["call_id"] for c in state["calls"]] == ["call-0001-abcd"]
    assert state["calls"][0]["assisted"] is True and state["kiosks"][0]["in_session"] is True
    other = _staff(hall_server, "S900")  # another hall sees nothing and cannot answer
    assert other.get(hall_server.url + "/hall/state").json()["calls"] == []
    assert other.post(hall_server.url + "/hall/calls/call-0001-abcd/ack", headers={"X-Hall": "1"}).status_code == 404
    assert staff.post(hall_server.url + "/hall/calls/call-0001-abcd/ack").status_code == 403  # no X-Hall header
    r = staff.post(hall_server.url + "/hall/calls/call-0001-abcd/ack", headers={"X-Hall": "1"})
    assert r.json()["state"] == "acknowledged" and r.json()["staff_id"] == "S012"
    seen = kiosk._json("GET", "/v1/staff-calls/call-0001-abcd", idempotent=True)
    assert seen["state"] == "acknowledged" and seen["staff_id"] == "S012"
    with pytest.raises(PlatformError):  # another kiosk cannot read or cancel it
        _client(hall_server, "KIOSK-N-02")._json("GET", "/v1/staff-calls/call-0001-abcd", idempotent=True)
    kiosk.close()


def test_cancel_and_repeat(hall_server: PlatformServer) -> None:
    kiosk = _client(hall_server)
    kiosk._json("POST", "/v1/staff-calls", {"call_id": "call-0002-abcd", "hall": "north-hall"}, idempotent=True)
    assert kiosk._json("POST", "/v1/staff-calls/call-0002-abcd/repeat", {}, idempotent=True)["repeats"] == 1
    assert kiosk._json("POST", "/v1/staff-calls/call-0002-abcd/cancel", {}, idempotent=True)["state"] == "cancelled"
    assert _staff(hall_server).get(hall_server.url + "/hall/state").json()["calls"] == []
    kiosk.close()


def test_sign_in_refuses_wrong_and_locks_after_five(hall_server: PlatformServer) -> None:
    url = hall_server.url + "/hall/session"
    for _ in range(5):
        assert requests.post(url, json={"staff_id": "S012", "password": "wrong one"},
                             headers={"X-Hall": "1"}).status_code == 401
    assert requests.post(url, json={"staff_id": "S012", "password": PASSWORD},
                         headers={"X-Hall": "1"}).status_code == 401  # locked for a minute
    assert requests.get(hall_server.url + "/hall/state").status_code == 401
    assert requests.get(hall_server.url + "/hall/state", cookies={"hall_session": "x" * 40}).status_code == 401


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"staff_id": 5, "password": []}', b"\xff\xfe",
                                  json.dumps({"staff_id": "S012" * 40, "password": "p"}).encode()])
def test_sign_in_garbage_gets_a_plain_problem(hall_server: PlatformServer, body: bytes) -> None:
    r = requests.post(hall_server.url + "/hall/session", data=body, headers={"X-Hall": "1"})
    assert r.status_code in (400, 401) and r.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("body", [{}, {"call_id": "short"}, {"call_id": "call-0003-abcd", "kind": "nonsense"},
                                  {"call_id": "../../etc/passwd"}])
def test_bad_calls_refused(hall_server: PlatformServer, body: dict) -> None:
    kiosk = _client(hall_server)
    with pytest.raises(PlatformError) as info:
        kiosk._json("POST", "/v1/staff-calls", body, idempotent=False)
    assert "http_400" in str(info.value)
    kiosk.close()


def test_unsigned_call_refused(hall_server: PlatformServer) -> None:
    r = requests.post(hall_server.url + "/v1/staff-calls", json={"call_id": "call-0004-abcd"})
    assert r.status_code == 401


def test_event_stream_pushes_a_new_call(hall_server: PlatformServer) -> None:
    staff = _staff(hall_server)
    events: list[dict] = []
    got = threading.Event()

    def listen() -> None:
        with staff.get(hall_server.url + "/hall/events", stream=True, timeout=10) as r:
            assert r.headers["Content-Type"].startswith("text/event-stream")
            for line in iter(r.raw.readline, b""):
                line = line.rstrip(b"\n")
                if line.startswith(b"data: "):
                    events.append(json.loads(line[6:]))
                    if events[-1]["calls"]:
                        got.set()
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    time.sleep(0.3)
    kiosk = _client(hall_server)
    kiosk._json("POST", "/v1/staff-calls", {"call_id": "call-0005-abcd", "hall": "north-hall"}, idempotent=True)
    assert got.wait(5), events
    assert events[0]["calls"] == [] and events[-1]["calls"][0]["call_id"] == "call-0005-abcd"
    kiosk.close()


def test_offline_call_through_the_outbox_reaches_the_hall(hall_server: PlatformServer) -> None:
    kiosk = _client(hall_server)
    kiosk.submit_batch([("tx-1", "staff_call", {"call_id": "call-0006-abcd", "kind": "help", "hall": "north-hall",
                                                "reason": "printer_out_of_paper", "screen": "print_failed"})])
    calls = _staff(hall_server).get(hall_server.url + "/hall/state").json()["calls"]
    assert calls[0]["call_id"] == "call-0006-abcd" and calls[0]["reason"] == "printer_out_of_paper"
    kiosk.close()


def test_staff_add_command_stores_a_hash_not_the_password(tmp_path) -> None:
    import subprocess
    import sys

    db = tmp_path / "platform.db"
    done = subprocess.run([sys.executable, "-m", "refplatform.server", "staff-add", "--db", str(db), "--staff-id",
                           "S077", "--hall", "north-hall"], input="a long password 77\n", capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert b"a long password 77" not in db.read_bytes()
    srv = PlatformServer(db_path=str(db))
    try:
        assert srv.hall.sign_in("S077", "a long password 77") is not None
        assert srv.hall.sign_in("S077", "wrong password") is None
    finally:
        srv.stop()
    short = subprocess.run([sys.executable, "-m", "refplatform.server", "staff-add", "--db", str(db), "--staff-id",
                            "S078", "--hall", "x"], input="short\n", capture_output=True, text=True, timeout=60)
    assert short.returncode == 2 and "Traceback" not in short.stderr


@given(st.dictionaries(
    st.sampled_from(["call_id", "kind", "reason", "screen", "assisted", "hall", "place", "in_session",
                     "queue_depth", "devices", "software_version"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                 max_leaves=6)))
def test_hall_takes_any_garbage_without_crashing(body: dict) -> None:
    """Whatever a kiosk sends, the hall stores display-safe text or refuses with ValueError; the snapshot works."""
    from refplatform.hall import Hall

    hall = Hall()
    try:
        hall.presence("K1", body)
        hall.heartbeat("K1", body)
        try:
            hall.open_call("K1", body)
        except ValueError:
            pass
        snap = hall.snapshot(hall.snapshot("-")["hall"])
        for k in hall._kiosks.values():
            assert all(isinstance(v, str) and len(v) <= 64 and "\n" not in v for v in (k.hall, k.place, k.screen))
        assert isinstance(snap["calls"], list)
    finally:
        hall.close()

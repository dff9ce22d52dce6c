"""Video help without media: the citizen's desk (Qt-free), the platform's call store and its HTTP API."""

from __future__ import annotations

import json

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.journey import Journey, Screen, Timing
from kiosk.video_help import EndVideoCall, RateVideoHelp, SayVideo, StartVideoCall, VideoDesk
from refplatform.server import PlatformServer
from refplatform.video_calls import CallError, VideoCalls
from sync.device_key import DeviceKey
from tests.signed_requests import TEST_KEY, KioskAuth, enrol

OFFER = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def desk(answer_seconds: float = 30.0) -> tuple[VideoDesk, list, Clock]:
    effects: list = []
    clock = Clock()
    return VideoDesk(effects.append, lambda: None, clock, answer_seconds=answer_seconds), effects, clock


# ---------------------------------------------------------------- the desk


def test_consent_first_then_call_connects_and_rating_follows():
    d, effects, clock = desk()
    d.ask()
    assert d.state == "choosing"
    d.choose_video()
    assert d.state == "consent" and effects == []  # nothing starts before consent
    d.consent(True, assisted=True, screen="cert_list")
    start = effects[0]
    assert isinstance(start, StartVideoCall) and start.assisted and start.screen == "cert_list"
    assert d.state == "connecting" and SayVideo("video_connecting") in effects
    d.connected(start.call_id, "no_camera")
    assert d.state == "connected" and d.message() == "video_media_no_camera"
    assert SayVideo("video_connected") in effects
    d.point(start.call_id, 0.5, 0.5)
    assert d.view()["highlight"] == {"x": 0.5, "y": 0.5}
    clock.now += 10
    d.tick()
    assert d.view()["highlight"] is None
    d.ended(start.call_id, "agent")
    assert d.state == "rating"
    d.rate(5)
    assert effects[-1] == RateVideoHelp(start.call_id, 5) and d.state == "idle"
    d.rate(5)  # once per call
    assert sum(isinstance(e, RateVideoHelp) for e in effects) == 1


def test_declining_consent_leaves_the_other_help():
    d, effects, _ = desk()
    d.ask()
    d.choose_video()
    d.consent(False)
    assert d.state == "choosing" and effects == []


def test_no_agent_in_time_says_so_and_ends_the_call():
    d, effects, clock = desk(answer_seconds=30)
    d.ask()
    d.choose_video()
    d.consent(True)
    call_id = effects[0].call_id
    clock.now += 29
    d.tick()
    assert d.state == "connecting" and d.view()["waited"] == 29
    clock.now += 1
    d.tick()
    assert d.state == "no_answer" and EndVideoCall(call_id, "no_answer") in effects
    assert SayVideo("video_no_answer") in effects


def test_network_drop_is_told_and_no_rating_asked():
    d, effects, _ = desk()
    d.ask()
    d.choose_video()
    d.consent(True)
    call_id = effects[0].call_id
    d.connected(call_id, "full")
    d.ended(call_id, "network")
    assert d.state == "ended" and d.message() == "video_ended_network"
    assert not any(isinstance(e, EndVideoCall) for e in effects)  # the driver already knows
    d.close()
    assert d.state == "idle"


def test_stale_and_foreign_reports_are_ignored():
    d, effects, _ = desk()
    d.ask()
    d.choose_video()
    d.consent(True)
    d.connected("vc-other", "full")
    assert d.state == "connecting"
    call_id = effects[0].call_id
    d.connected(call_id, "weird")  # an unknown media mode is shown as the most limited one
    assert d.media == "screen_only"
    for x, y in ((2, 0), (-1, 0), ("0.1", 0.1), (True, 0.5), (float("nan"), 0.5)):
        d.point(call_id, x, y)
        assert d.highlight is None


def test_session_end_takes_the_call_with_it():
    d, effects, _ = desk()
    d.ask()
    d.choose_video()
    d.consent(True)
    d.session_ended()
    assert d.state == "idle" and isinstance(effects[-1], EndVideoCall) and effects[-1].reason == "session"


def test_journey_holds_its_inactivity_clock_during_a_call():
    clock = Clock()
    j = Journey(timing=Timing(idle_seconds=60, face_enabled=False), clock=clock)
    j.start()
    assert j.screen is Screen.INSERT_CARD
    j.hold(True)
    clock.now += 600
    j.tick()
    assert j.warning_deadline is None and j.screen is Screen.INSERT_CARD
    j.hold(False)
    clock.now += 59
    j.tick()
    assert j.warning_deadline is None  # the clock starts afresh when the call ends
    clock.now += 2
    j.tick()
    assert j.warning_deadline is not None


# ---------------------------------------------------------------- the platform's calls


def open_body(call_id: str = "vc-0123456789abcdef", **kw) -> dict:
    return {"call_id": call_id, "offer": OFFER, "assisted": False, "screen": "menu", "media": "full",
            "streams": ["screen", "camera"], **kw}


def test_calls_first_agent_wins_and_sdp_is_dropped_at_the_end():
    clock = Clock()
    calls = VideoCalls(clock=clock)
    calls.open("K1", open_body())
    clock.now += 12
    assert calls.queue()[0]["waited"] == 12
    assert calls.accept("vc-0123456789abcdef", "a1")["offer"] == OFFER
    with pytest.raises(CallError) as e:
        calls.accept("vc-0123456789abcdef", "a2")
    assert e.value.status == 409
    calls.answer("vc-0123456789abcdef", "a1", OFFER)
    assert calls.status("vc-0123456789abcdef", "K1")["answer"] == OFFER
    with pytest.raises(CallError):
        calls.status("vc-0123456789abcdef", "K2")  # another kiosk cannot read it
    with pytest.raises(CallError):
        calls.end_by_agent("vc-0123456789abcdef", "a1", "told them their name")  # free text refused
    calls.end_by_agent("vc-0123456789abcdef", "a1", "explained_steps")
    assert calls.status("vc-0123456789abcdef", "K1") == {"call_id": "vc-0123456789abcdef", "state": "ended",
                                                          "agent_id": "a1", "answer": ""}
    assert all(not c.offer and not c.answer for c in calls._calls.values())


def test_calls_nobody_ends_expire():
    clock = Clock()
    calls = VideoCalls(clock=clock)
    calls.open("K1", open_body())
    clock.now += 3600
    assert calls.queue() == []
    assert calls.ended()[0]["ended_by"] == "timeout"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["call_id", "offer", "assisted", "screen", "media", "streams"]),
                       st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                                 st.lists(st.text(max_size=8), max_size=4))))
def test_open_refuses_garbage_plainly(body):
    calls = VideoCalls()
    try:
        calls.open("K1", body)
    except CallError as e:
        assert e.status == 400
    else:  # only a well-formed call can be accepted
        assert calls.queue()[0]["call_id"].startswith("vc-")


# ---------------------------------------------------------------- over HTTP


@pytest.fixture(scope="module")
def platform():
    srv = PlatformServer()
    enrol(srv, "kiosk-test", TEST_KEY)
    enrol(srv, "kiosk-other", OTHER_KEY)
    srv.start()
    yield srv
    srv.stop()


OTHER_KEY = DeviceKey.generate()


def signed(platform, method: str, path: str, body: bytes = b"", kiosk: str = "kiosk-test") -> requests.Response:
    auth = KioskAuth(kiosk, TEST_KEY if kiosk == "kiosk-test" else OTHER_KEY)
    headers = {"Content-Type": "application/json"} if body else {}
    return requests.request(method, platform.url + path, data=body or None, headers=headers, auth=auth, timeout=5)


def test_http_kiosk_side(platform):
    body = json.dumps(open_body("vc-00000000000000aa")).encode()
    assert signed(platform, "POST", "/v1/video-calls", body).status_code == 201
    r = signed(platform, "GET", "/v1/video-calls/vc-00000000000000aa")
    assert r.json()["state"] == "waiting"
    assert signed(platform, "GET", "/v1/video-calls/vc-00000000000000aa", kiosk="kiosk-other").status_code == 404
    r = signed(platform, "POST", "/v1/video-calls/vc-00000000000000aa/end", b'{"reason": "citizen"}')
    assert r.json()["state"] == "ended"


@pytest.mark.parametrize("body", [b"", b"{", b"[]", b'{"call_id": "x"}', json.dumps(open_body(offer="hello")).encode(),
                                  json.dumps(open_body(offer="v=0" + "a" * 70_000)).encode(),
                                  json.dumps(open_body(streams=["screen", "screen", "camera"])).encode()])
def test_http_garbage_gets_a_plain_400(platform, body):
    r = signed(platform, "POST", "/v1/video-calls", body)
    assert r.status_code in (400, 413)
    assert r.headers["Content-Type"] == "application/problem+json"


def test_http_unsigned_and_agent_without_session_refused(platform):
    assert requests.post(platform.url + "/v1/video-calls", data=b"{}", timeout=5).status_code == 401
    assert requests.get(platform.url + "/hall/video/queue", timeout=5).status_code in (401, 404)
    r = requests.post(platform.url + "/hall/video/calls/vc-00000000000000aa/accept", timeout=5)
    assert r.status_code in (401, 403, 404)

"""Video help on loopback: the kiosk's aiortc session, the platform's signalling, a scripted agent.

Real parts: the reference platform over HTTP on 127.0.0.1 with signed kiosk requests, the
kiosk's WebRTC session on its own thread, an aiortc agent peer. No STUN/TURN (loopback).
"""

from __future__ import annotations

import io
import time

import numpy as np
import pytest

from devices.simulated_camera import SimulatedCamera
from devices.video_call import CallEvent, ScreenMailbox, VideoCallSession, parse_highlight, parse_ice_servers
from sync.video_signalling import PlatformVideoSignalling
from tests.signed_requests import enrolled_client
from tests.video_agent import ScriptedAgent

pytest.importorskip("aiortc")

MARKER = (230, 40, 200)  # magenta: a colour no kiosk screen uses for a large area


def wait_for(predicate, timeout: float = 20.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def screen_picture(marker=MARKER) -> np.ndarray:
    image = np.full((360, 640, 3), 245, np.uint8)
    image[100:260, 200:440] = marker
    return image


@pytest.fixture()
def platform(server):
    return server


@pytest.fixture()
def signalling(server):
    client = enrolled_client(server, retries=0)
    yield PlatformVideoSignalling(client)
    client.close()


class Events:
    def __init__(self) -> None:
        self.items: list[CallEvent] = []

    def __call__(self, event: CallEvent) -> None:
        self.items.append(event)

    def kinds(self) -> list[str]:
        return [e.kind for e in self.items]

    def first(self, kind: str) -> CallEvent | None:
        return next((e for e in self.items if e.kind == kind), None)


def start_call(signalling, *, camera=None, call_id="vc-00112233aabbccdd", agent_frames=None):
    mailbox = ScreenMailbox()
    mailbox.put(screen_picture())
    events = Events()
    session = VideoCallSession(call_id, signalling=signalling, screen=mailbox, listener=events, camera=camera,
                               fps=10, assisted=True, screen_name="service_menu",
                               on_agent_frame=agent_frames, poll_seconds=0.1)
    session.start()
    return session, mailbox, events


def test_call_shares_screen_and_camera_receives_agent_and_highlight(platform, signalling):
    """GIVEN a kiosk with a camera WHEN it calls and an agent answers THEN the agent sees the kiosk's
    screen (marker colour) and camera, the kiosk hears and sees the agent, and a highlight arrives."""
    camera = SimulatedCamera(320, 240, fps=15)
    pictures: list[np.ndarray] = []
    session, mailbox, events = start_call(signalling, camera=camera, agent_frames=pictures.append)
    agent = ScriptedAgent(platform.video)
    try:
        assert wait_for(lambda: platform.video.queue() != [])
        queued = platform.video.queue()[0]
        assert queued["assisted"] is True and queued["screen"] == "service_menu" and queued["media"] == "no_microphone"
        agent.take(queued["call_id"])
        assert wait_for(lambda: "connected" in events.kinds())
        assert events.first("connected").media == "no_microphone"
        assert wait_for(lambda: "screen" in agent.frames and "camera" in agent.frames)
        got = agent.frames["screen"].astype(int)
        h, w = got.shape[:2]
        centre = got[h * 180 // 360, w * 320 // 640]
        corner = got[h * 20 // 360, w * 20 // 640]
        assert np.abs(centre - np.array(MARKER)).max() < 40, centre  # VP8 shifts colours a little
        assert np.abs(corner - 245).max() < 30, corner
        mailbox.put(screen_picture((20, 200, 60)))  # the screen changes: the agent sees the new picture
        assert wait_for(lambda: abs(int(agent.frames["screen"][h // 2, w // 2][1]) - 200) < 40)
        assert wait_for(lambda: session.agent_audio_frames > 10 and session.agent_video_frames > 3)
        assert {"audio", "video"} <= {e.track for e in events.items if e.kind == "remote_track"}
        assert wait_for(lambda: len(pictures) > 0) and pictures[-1].shape[1] == 320
        assert agent.channel_open.wait(10)
        agent.send_raw("not json")  # garbage on the channel is ignored
        agent.send_raw('{"type": "highlight", "x": 7, "y": 0.5}')
        agent.point(0.25, 0.75)
        assert wait_for(lambda: "highlight" in events.kinds())
        points = [(e.x, e.y) for e in events.items if e.kind == "highlight"]
        assert points == [(0.25, 0.75)]
        platform.video.end_by_agent(queued["call_id"], "agent-7", "pointed_on_screen")
        assert wait_for(lambda: "ended" in events.kinds())
        assert events.first("ended").reason == "agent"
        assert wait_for(lambda: not session.running, timeout=10)
        assert camera._open is False  # the camera is free again for a face check
    finally:
        session.stop()
        agent.close()
    kept = platform.video.ended()
    assert kept[0]["outcome"] == "pointed_on_screen" and kept[0]["ended_by"] == "agent"


def test_no_camera_is_screen_only_and_citizen_hangs_up(platform, signalling):
    camera = SimulatedCamera(missing=True)
    session, _, events = start_call(signalling, camera=camera, call_id="vc-0000000000000002")
    agent = ScriptedAgent(platform.video)
    try:
        assert wait_for(lambda: platform.video.queue() != [])
        assert platform.video.queue()[0]["media"] == "screen_only"
        agent.take("vc-0000000000000002")
        assert wait_for(lambda: "connected" in events.kinds())
        assert events.first("connected").media == "screen_only"
        assert wait_for(lambda: "screen" in agent.frames)
        assert "camera" not in agent.frames
        session.stop("citizen")
        assert events.first("ended").reason == "citizen"
        assert wait_for(lambda: platform.video.ended() != [])
        assert platform.video.ended()[0]["ended_by"] == "kiosk:citizen"
    finally:
        session.stop()
        agent.close()


def test_agent_network_drop_ends_call_as_network(platform, signalling):
    session, _, events = start_call(signalling, call_id="vc-0000000000000003")
    agent = ScriptedAgent(platform.video)
    try:
        assert wait_for(lambda: platform.video.queue() != [])
        agent.take("vc-0000000000000003")
        assert wait_for(lambda: "connected" in events.kinds())
        agent.hang_up_media()  # no signalling: the media path just goes away
        assert wait_for(lambda: "ended" in events.kinds(), timeout=60)
        assert events.first("ended").reason in ("network", "agent")
    finally:
        session.stop()
        agent.close()


def test_platform_gone_before_answer_ends_as_network(platform, signalling):
    session, _, events = start_call(signalling, call_id="vc-0000000000000004")
    try:
        assert wait_for(lambda: platform.video.queue() != [])
        platform.faults.offline = True
        assert wait_for(lambda: "ended" in events.kinds(), timeout=30)
        assert events.first("ended").reason == "network"
    finally:
        session.stop()


def test_stop_while_waiting_tells_the_platform(platform, signalling):
    session, _, events = start_call(signalling, call_id="vc-0000000000000005")
    assert wait_for(lambda: platform.video.queue() != [])
    session.stop("no_answer")
    assert events.first("ended").reason == "no_answer"
    assert platform.video.queue() == []
    assert platform.video.ended()[0]["ended_by"] == "kiosk:no_answer"


@pytest.mark.parametrize("message", [None, 3, "", "{", "[]", '{"type":"highlight"}',
                                     '{"type":"highlight","x":"1","y":0}', '{"type":"highlight","x":true,"y":0}',
                                     '{"type":"highlight","x":-0.1,"y":0}',
                                     '{"type":"click","x":0.1,"y":0.1}', "x" * 10_000])
def test_bad_highlight_messages_are_ignored(message):
    assert parse_highlight(message) is None


def test_highlight_message_parsed():
    assert parse_highlight('{"type":"highlight","x":0,"y":1}') == (0.0, 1.0)


def test_ice_servers_from_config():
    assert parse_ice_servers("") == []
    servers = parse_ice_servers("stun:stun.example:3478, turn:turn.example:3478", "kiosk", "pw")
    assert servers == [{"urls": "stun:stun.example:3478"},
                       {"urls": "turn:turn.example:3478", "username": "kiosk", "credential": "pw"}]


class KeptBytes(io.BytesIO):
    def close(self) -> None:  # av closes its output; keep the bytes for the test
        self.kept = self.getvalue()


def test_agent_voice_is_played(platform, signalling):
    """GIVEN a speaker (here PCM into memory; on a kiosk alsa:default) THEN the agent's voice is written to it."""
    from devices.video_tracks import AudioOut

    out = KeptBytes()
    speaker = AudioOut("wav", out)
    mailbox = ScreenMailbox()
    events = Events()
    session = VideoCallSession("vc-0000000000000006", signalling=signalling, screen=mailbox, listener=events,
                               speaker=speaker, poll_seconds=0.1)
    session.start()
    agent = ScriptedAgent(platform.video)
    try:
        assert wait_for(lambda: platform.video.queue() != [])
        agent.take("vc-0000000000000006")
        assert wait_for(lambda: speaker.frames_played > 25)
    finally:
        session.stop()
        agent.close()
    data = getattr(out, "kept", None) or out.getvalue()
    assert data[:4] == b"RIFF" and len(data) > 48_000  # > 0.25 s of 48 kHz stereo 16-bit


def test_missing_sound_device_leaves_the_call_running(platform, signalling):
    import av

    from devices.video_tracks import open_speaker

    speaker = open_speaker("alsa:no-such-device-here")
    frame = av.AudioFrame(format="s16", layout="mono", samples=960)
    frame.sample_rate = 48_000
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    speaker.put(frame)  # the device is opened at the first write, and fails
    assert wait_for(lambda: speaker.failed, timeout=5)
    speaker.put(frame)  # ignored from now on
    speaker.close()
    assert open_speaker("") is None

"""A scripted agent for video-help tests: an aiortc peer on its own thread that answers a kiosk's offer.

It takes the offer from the platform's VideoCalls (as the console does after "accept"), sends a
test pattern and a tone back, keeps the newest received frame of each kiosk stream, and can
point at the kiosk's screen over the "help" data channel.
"""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import numpy as np


class ScriptedAgent:
    def __init__(self, calls: Any, agent_id: str = "agent-7") -> None:
        self.calls, self.agent_id = calls, agent_id
        self.frames: dict[str, np.ndarray] = {}
        self.frame_counts: dict[str, int] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="test-agent", daemon=True)
        self.thread.start()
        self.pc: Any = None
        self.channel: Any = None
        self.channel_open = threading.Event()

    def run(self, coro: Any, timeout: float = 20.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def take(self, call_id: str) -> None:
        """Accept the call, answer it with a test pattern and a tone."""
        offer = self.calls.accept(call_id, self.agent_id)
        sdp = self.run(self._answer(offer))
        self.calls.answer(call_id, self.agent_id, sdp)

    async def _answer(self, offer: dict[str, Any]) -> str:
        from aiortc import RTCPeerConnection, RTCSessionDescription
        from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

        self.pc = pc = RTCPeerConnection()
        streams = list(offer["streams"])

        @pc.on("track")
        def on_track(track: Any) -> None:
            if track.kind == "video":
                videos = [t for t in pc.getTransceivers() if t.kind == "video"]
                index = next((i for i, t in enumerate(videos) if t.receiver.track is track), 0)
                name = streams[index] if index < len(streams) else f"video{index}"
                asyncio.ensure_future(self._keep(track, name))

        @pc.on("datachannel")
        def on_channel(channel: Any) -> None:
            self.channel = channel
            self.channel_open.set()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["offer"], type="offer"))
        for t in pc.getTransceivers():
            if t.kind == "audio":
                t.sender.replaceTrack(AudioStreamTrack())
                t.direction = "sendrecv"
            elif t.kind == "video" and t.mid == pc.getTransceivers()[0].mid:
                t.sender.replaceTrack(VideoStreamTrack())
                t.direction = "sendrecv"
        await pc.setLocalDescription(await pc.createAnswer())
        return pc.localDescription.sdp

    async def _keep(self, track: Any, name: str) -> None:
        try:
            while True:
                frame = await track.recv()
                self.frames[name] = frame.to_ndarray(format="rgb24")
                self.frame_counts[name] = self.frame_counts.get(name, 0) + 1
        except Exception:
            return

    def point(self, x: float, y: float) -> None:
        self.loop.call_soon_threadsafe(self.channel.send, json.dumps({"type": "highlight", "x": x, "y": y}))

    def send_raw(self, text: str) -> None:
        self.loop.call_soon_threadsafe(self.channel.send, text)

    def hang_up_media(self) -> None:
        """The agent's machine drops off the network: media stops without any signalling."""
        self.run(self.pc.close())

    def close(self) -> None:
        if self.pc is not None:
            try:
                self.run(self.pc.close(), 5)
            except Exception:
                pass
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

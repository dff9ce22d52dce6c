"""The kiosk's side of video-help signalling over its signed platform connection.

devices.video_call.CallSignalling over sync.platform_client.HttpPlatformClient: every request
is signed like every other kiosk request. The platform's answers are checked before use; a
malformed one is a PlatformError("bad_data"), never a crash of the call thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from kiosk.interfaces import PlatformError, PlatformErrorKind

CALL_STATES = ("waiting", "accepted", "answered", "ended")


class PlatformVideoSignalling:
    """open_call / poll / end_call through the platform (blocking: the call thread runs them in an executor)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def open_call(self, call_id: str, *, offer: str, assisted: bool, screen: str, media: str,
                  streams: Sequence[str]) -> None:
        body = self._client._json("POST", "/v1/video-calls", {
            "call_id": call_id, "offer": offer, "assisted": assisted, "screen": screen, "media": media,
            "streams": list(streams)}, idempotent=True, retries=1)
        if not (isinstance(body, dict) and body.get("call_id") == call_id):
            raise PlatformError(PlatformErrorKind.BAD_DATA, "video_call")

    def poll(self, call_id: str) -> dict[str, Any]:
        body = self._client._json("GET", f"/v1/video-calls/{call_id}", idempotent=True, retries=0)
        if not (isinstance(body, dict) and body.get("state") in CALL_STATES
                and isinstance(body.get("answer", ""), str) and isinstance(body.get("agent_id", ""), str)):
            raise PlatformError(PlatformErrorKind.BAD_DATA, "video_call")
        return {"state": body["state"], "answer": body.get("answer", ""), "agent_id": body.get("agent_id", "")[:32]}

    def end_call(self, call_id: str, reason: str) -> None:
        self._client._json("POST", f"/v1/video-calls/{call_id}/end", {"reason": reason}, idempotent=True,
                           retries=1)

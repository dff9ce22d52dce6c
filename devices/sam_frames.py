"""GA 467 SAM frames: build requests, assemble and parse responses, name every SW3 status.

A frame is the preamble AA AA AA 96 69, a 2-byte big-endian length counting every
byte after it (checksum included), the body, and an XOR checksum over the length
field and the body. A request body is CMD PARA [DATA]; a response body is
SW1 SW2 SW3 [DATA]. Every malformed input raises a FrameError subclass whose
message carries only sizes and codes, never card data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import reduce

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
HEADER_LEN = len(PREAMBLE) + 2
MAX_LENGTH = 4096  # the largest reply (text + photo + fingerprint) is about 2.3 KB
MAX_GARBAGE = 4096  # bytes skipped while looking for a preamble before giving up


class FrameError(Exception):
    """A frame that cannot be used. The message names sizes and codes only."""


class TruncatedFrame(FrameError):
    """The frame ended (or the exchange timed out) before its last byte."""


class BadChecksum(FrameError):
    """The XOR checksum does not match."""


class BadLength(FrameError):
    """The length field is impossible, or the data does not fit it."""


class NoPreamble(FrameError):
    """Bytes arrived that are not a frame (line noise, a wrong device, a wrong baud rate)."""


class Command(enum.Enum):
    """GA 467 commands as (CMD, PARA)."""

    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_TEXT_PHOTO = (0x30, 0x01)
    READ_TEXT_PHOTO_FINGERPRINT = (0x30, 0x10)
    SAM_ID = (0x12, 0xFF)
    RESET = (0x10, 0xFF)
    STATUS = (0x11, 0xFF)


SW3_OK = 0x90
SW3_CARD_FOUND = 0x9F
SW3_NO_CARD = 0x80

# Every SW3 status: code -> (technician's name, message key shown to the citizen).
SW3_STATUS: dict[int, tuple[str, str]] = {
    0x90: ("ok", ""),
    0x9F: ("card found", ""),
    0x80: ("no card found", "sam_status_80"),
    0x81: ("card select failed", "sam_status_81"),
    0x91: ("no content", "sam_status_91"),
    0x10: ("reader got a bad checksum", "sam_status_10"),
    0x11: ("reader got a bad length", "sam_status_11"),
    0x21: ("command not accepted", "sam_status_21"),
    0x23: ("command not authorised", "sam_status_23"),
    0x24: ("unknown reader error", "sam_status_24"),
    0x31: ("card failed to authenticate the SAM", "sam_status_31"),
    0x32: ("SAM failed to authenticate the card", "sam_status_32"),
    0x33: ("verification error", "sam_status_33"),
    0x40: ("unknown card type", "sam_status_40"),
    0x41: ("card read failed", "sam_status_41"),
    0x47: ("random number failed", "sam_status_47"),
    0x60: ("SAM self-test failed", "sam_status_60"),
    0x66: ("SAM not authorised", "sam_status_66"),
}
SW3_UNKNOWN_KEY = "sam_status_unknown"
# Statuses that concern the card (ask the citizen to re-place it); the others concern the reader.
CARD_STATUSES = frozenset({0x81, 0x91, 0x31, 0x32, 0x33, 0x40, 0x41, 0x47})


def sw3_message_key(sw3: int) -> str:
    """The message key for a SW3 status ('' for success codes)."""
    return SW3_STATUS.get(sw3, ("", SW3_UNKNOWN_KEY))[1]


def sw3_name(sw3: int) -> str:
    return SW3_STATUS.get(sw3, (f"unknown status {sw3:02X}", ""))[0]


def checksum(data: bytes) -> int:
    return reduce(lambda a, b: a ^ b, data, 0)


def build_frame(body: bytes) -> bytes:
    """Wrap a body: preamble, length, body, checksum."""
    if not 0 <= len(body) < MAX_LENGTH:
        raise BadLength(f"body of {len(body)} bytes does not fit a frame")
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes([checksum(length + body)])


def build_request(command: Command, data: bytes = b"") -> bytes:
    cmd, para = command.value
    return build_frame(bytes([cmd, para]) + data)


def build_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    return build_frame(bytes([sw1, sw2, sw3]) + data)


@dataclass(frozen=True, repr=False)
class SamResponse:
    """A parsed reply. repr() shows the status and the data size only."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes

    def __repr__(self) -> str:
        return f"SamResponse(sw3={self.sw3:02X}, {len(self.data)} bytes)"

    @property
    def ok(self) -> bool:
        return self.sw3 in (SW3_OK, SW3_CARD_FOUND)

    @classmethod
    def from_body(cls, body: bytes) -> SamResponse:
        if len(body) < 3:
            raise BadLength(f"reply body of {len(body)} bytes has no status")
        return cls(body[0], body[1], body[2], bytes(body[3:]))


def parse_frame(frame: bytes) -> bytes:
    """Check one complete frame (nothing before or after it) and return its body."""
    if len(frame) < HEADER_LEN:
        if PREAMBLE.startswith(frame[: len(PREAMBLE)]):
            raise TruncatedFrame(f"frame of {len(frame)} bytes is shorter than a header")
        raise NoPreamble("data does not start with the frame preamble")
    if frame[: len(PREAMBLE)] != PREAMBLE:
        raise NoPreamble("data does not start with the frame preamble")
    length = int.from_bytes(frame[5:7], "big")
    if not 2 <= length <= MAX_LENGTH:
        raise BadLength(f"length field {length} is out of range")
    total = HEADER_LEN + length
    if len(frame) < total:
        raise TruncatedFrame(f"frame has {len(frame)} of {total} bytes")
    if len(frame) > total:
        raise BadLength(f"{len(frame) - total} bytes follow the frame")
    if checksum(frame[5 : total - 1]) != frame[total - 1]:
        raise BadChecksum("checksum mismatch")
    return bytes(frame[HEADER_LEN : total - 1])


def parse_response(frame: bytes) -> SamResponse:
    """Parse one complete response frame."""
    return SamResponse.from_body(parse_frame(frame))


class FrameAssembler:
    """Collects bytes as they arrive and cuts them into frames.

    feed() returns the body of each complete frame; garbage before a preamble
    is skipped (and counted) up to MAX_GARBAGE bytes, beyond which NoPreamble is
    raised. A bad length or checksum raises at once; reset() clears the state.
    """

    def __init__(self, max_garbage: int = MAX_GARBAGE) -> None:
        self._buffer = bytearray()
        self._max_garbage = max_garbage
        self.skipped = 0

    def reset(self) -> None:
        self._buffer.clear()
        self.skipped = 0

    @property
    def pending(self) -> int:
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        bodies: list[bytes] = []
        while True:
            body = self._next()
            if body is None:
                return bodies
            bodies.append(body)

    def _next(self) -> bytes | None:
        buf = self._buffer
        start = buf.find(PREAMBLE)
        if start < 0:
            # keep a tail that could be the start of a preamble
            keep = next((k for k in range(min(len(PREAMBLE) - 1, len(buf)), 0, -1)
                         if PREAMBLE.startswith(bytes(buf[-k:]))), 0)
            self._skip(len(buf) - keep)
            return None
        self._skip(start)
        if len(buf) < HEADER_LEN:
            return None
        length = int.from_bytes(buf[5:7], "big")
        if not 2 <= length <= MAX_LENGTH:
            self.reset()
            raise BadLength(f"length field {length} is out of range")
        total = HEADER_LEN + length
        if len(buf) < total:
            return None
        frame = bytes(buf[:total])
        del buf[:total]
        if checksum(frame[5:-1]) != frame[-1]:
            raise BadChecksum("checksum mismatch")
        return frame[HEADER_LEN:-1]

    def _skip(self, count: int) -> None:
        if count <= 0:
            return
        del self._buffer[:count]
        self.skipped += count
        if self.skipped > self._max_garbage:
            self.reset()
            raise NoPreamble(f"more than {self._max_garbage} bytes arrived without a frame preamble")


# ---------------------------------------------------------------- card reply layouts

TEXT_LEN = 256
PHOTO_LEN = 1024


@dataclass(frozen=True, repr=False)
class CardRecord:
    """The raw parts of a read reply. repr() shows sizes only."""

    text: bytes
    photo: bytes
    fingerprint: bytes = b""

    def __repr__(self) -> str:
        return f"CardRecord(text={len(self.text)}, photo={len(self.photo)}, fp={len(self.fingerprint)})"


def split_card_data(data: bytes, *, fingerprint: bool = False) -> CardRecord:
    """Split the data of a read reply: 2-byte lengths (text, photo[, fingerprint]) then the parts."""
    count = 3 if fingerprint else 2
    if len(data) < 2 * count:
        raise BadLength(f"card data of {len(data)} bytes has no length fields")
    lengths = [int.from_bytes(data[2 * i : 2 * i + 2], "big") for i in range(count)]
    if sum(lengths) != len(data) - 2 * count:
        raise BadLength(f"card data lengths {lengths} do not add up to {len(data) - 2 * count} bytes")
    if lengths[0] != TEXT_LEN:
        raise BadLength(f"text of {lengths[0]} bytes, expected {TEXT_LEN}")
    parts, offset = [], 2 * count
    for n in lengths:
        parts.append(bytes(data[offset : offset + n]))
        offset += n
    return CardRecord(parts[0], parts[1], parts[2] if fingerprint else b"")


def join_card_data(record: CardRecord, *, fingerprint: bool = False) -> bytes:
    """The inverse of split_card_data (used by the emulator)."""
    parts = [record.text, record.photo] + ([record.fingerprint] if fingerprint else [])
    return b"".join(len(p).to_bytes(2, "big") for p in parts) + b"".join(parts)

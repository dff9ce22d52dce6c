"""The project's own virtual smart card for the vsmartcard vpcd reader driver (stdlib only).

The card side connects to vpcd on 127.0.0.1 (port 35963 for slot 0, 35964 for slot 1); the
card is "present" while the connection is up. Every message both ways is a 2-byte big-endian
length and the data. From the reader, a 1-byte message is a control code (00 power off,
01 power on, 02 reset, 04 "send ATR"); longer ones are command APDUs, answered with the
response APDU including SW1 SW2. remove() closes the connection: the card is pulled.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from devices import sscard
from kiosk.identity import IdentityDocument

VPCD_PORT = 35963
DEFAULT_ATR = bytes.fromhex("3B8880010000000000000000")  # a plain T=1 ATR for a contact-less-style card
SW_OK = b"\x90\x00"

Applet = Callable[[bytes], bytes]  # command APDU -> response APDU (data + SW1 SW2)


class SocialSecurityApplet:
    """A social security card's file system, with scripted faults.

    overrides: (INS, P1) -> raw response, replacing the normal answer (malformed data, wrong SW).
    """

    def __init__(self, doc: IdentityDocument, *, chained: bool = False) -> None:
        self.records = sscard.encode_records(doc)
        self.overrides: dict[tuple[int, int], bytes] = {}
        self.chained = chained  # answer SELECT by name with 61xx (data waits for GET RESPONSE)
        self._app_selected = False
        self._ef06 = False
        self._pending = b""

    def __call__(self, apdu: bytes) -> bytes:
        if len(apdu) < 4:
            return b"\x67\x00"
        ins, p1, p2 = apdu[1], apdu[2], apdu[3]
        if (ins, p1) in self.overrides:
            return self.overrides[(ins, p1)]
        if ins == 0xA4 and p1 == 0x04:
            if apdu[5 : 5 + apdu[4]] != sscard.APP_NAME:
                return b"\x6a\x82"
            self._app_selected, self._ef06 = True, False
            fci = b"\x6f\x03\x84\x01\x01"
            if self.chained:
                self._pending = fci + SW_OK
                return bytes([0x61, len(fci)])
            return SW_OK
        if ins == 0xC0 and self._pending:
            out, self._pending = self._pending, b""
            return out
        if not self._app_selected:
            return b"\x69\x85"
        if ins == 0xA4 and p1 == 0x02:
            self._ef06 = apdu[5:7] == b"\xef\x06"
            return SW_OK if self._ef06 else b"\x6a\x82"
        if ins == 0xB2:
            if p2 == 0x2C and p1 == 0x07:
                record = self.records[0x07]
            elif p2 == 0x04 and self._ef06 and p1 in self.records and p1 != 0x07:
                record = self.records[p1]
            else:
                return b"\x6a\x83"
            le = apdu[4] if len(apdu) == 5 else 0
            if le and le != len(record):
                return bytes([0x6C, len(record)])
            return record + SW_OK
        return b"\x6d\x00"


def unknown_card_applet(apdu: bytes) -> bytes:
    """A card with nothing this kiosk knows: every SELECT says 'file not found'."""
    return b"\x6a\x82" if len(apdu) > 1 and apdu[1] == 0xA4 else b"\x6d\x00"


class VirtualCard:
    """A card placed in one vpcd slot; remove() pulls it. Runs its own thread while present."""

    def __init__(self, applet: Applet, *, slot: int = 0, host: str = "127.0.0.1", atr: bytes = DEFAULT_ATR,
                 pull_after: int | None = None) -> None:
        self.applet = applet
        self.address = (host, VPCD_PORT + slot)
        self.atr = atr
        self.pull_after = pull_after  # close the connection when this many APDUs have arrived
        self.apdus: list[bytes] = []
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.connected_at = 0.0
        self.powered = threading.Event()

    def insert(self, timeout: float = 10.0) -> VirtualCard:
        """Connect to the reader (retrying while pcscd starts). Raises OSError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection(self.address, timeout=1.0)
                break
            except OSError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(None)
        self._sock = sock
        self.connected_at = time.perf_counter()
        self._thread = threading.Thread(target=self._serve, args=(sock,), name="vpcd-card", daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2)
        self._thread = None

    @property
    def present(self) -> bool:
        return self._sock is not None

    def _serve(self, sock: socket.socket) -> None:
        while True:
            message = _receive(sock)
            if message is None:
                return
            if len(message) == 1:
                if message[0] == 0x04:
                    _send(sock, self.atr)
                elif message[0] == 0x01:
                    self.powered.set()
                continue
            self.apdus.append(message)
            if self.pull_after is not None and len(self.apdus) >= self.pull_after:
                threading.Thread(target=self.remove, daemon=True).start()
                return
            if not _send(sock, self.applet(message)):
                return


def _receive(sock: socket.socket) -> bytes | None:
    header = _exactly(sock, 2)
    if header is None:
        return None
    return _exactly(sock, int.from_bytes(header, "big"))


def _exactly(sock: socket.socket, count: int) -> bytes | None:
    data = bytearray()
    while len(data) < count:
        try:
            # vpcd writes the length and the APDU separately (Nagle): acknowledge at once, or each
            # APDU waits ~40 ms for the delayed ACK
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            chunk = sock.recv(count - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _send(sock: socket.socket, data: bytes) -> bool:
    try:
        sock.sendall(len(data).to_bytes(2, "big") + data)
    except OSError:
        return False
    return True

"""SAM ID-card reader over a serial port (GA 467 frames, pyserial).

SamLink is one open port and the command exchanges; it is not thread-safe.
SamReader runs one worker thread that owns the link: it polls for a card like
real readers do, reads a new card once, reports its removal, and survives
faults (timeouts, damaged frames, a vanished port) without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import serial

from devices import sam_frames as sf
from devices.reader_events import ReaderEventSource, card_digest
from devices.sam_text import CardTextError, PhotoDecoder, decode_text
from kiosk.interfaces import ReaderEvent, ReaderEventKind, ReaderListener

log = logging.getLogger("kiosk.devices.sam")

Trace = Callable[[str, bytes], None]  # ("tx" | "rx", frame bytes)
_READ_SLICE = 0.02  # seconds one serial read may block; the exchange deadline is checked between reads


class SamError(Exception):
    """A failed exchange. `reason` is a message key; the message holds no card data."""

    reason = "reader_fault"


class SamTimeout(SamError):
    reason = "reader_no_reply"


class SamStatusError(SamError):
    """The reader answered with an error status."""

    def __init__(self, command: sf.Command, sw3: int) -> None:
        super().__init__(f"{command.name}: SW3 {sw3:02X} ({sf.sw3_name(sw3)})")
        self.command = command
        self.sw3 = sw3
        self.reason = sf.sw3_message_key(sw3)


class SamLink:
    """One open serial connection to a SAM reader."""

    def __init__(self, port: str, baud: int = 115200, *, timeout: float = 1.0, trace: Trace | None = None,
                 serial_factory: Callable[..., Any] = serial.Serial) -> None:
        self.port, self.baud, self.timeout = port, baud, timeout
        self._trace = trace
        self._factory = serial_factory
        self._serial: Any = None
        self._assembler = sf.FrameAssembler()
        self.last_rx_at = 0.0  # perf_counter() when the last byte of the last reply arrived
        self.bytes_out = 0
        self.bytes_in = 0

    def open(self) -> None:
        self._serial = self._factory(self.port, self.baud, timeout=_READ_SLICE, write_timeout=self.timeout,
                                     exclusive=True)

    def close(self) -> None:
        if self._serial is not None:
            try:
                self._serial.close()
            except (OSError, serial.SerialException):
                pass
            self._serial = None

    @property
    def is_open(self) -> bool:
        return self._serial is not None

    def exchange(self, command: sf.Command, data: bytes = b"", *, timeout: float | None = None) -> sf.SamResponse:
        """Send a command and wait for its reply (SamTimeout, FrameError or a serial error otherwise)."""
        if self._serial is None:
            raise serial.SerialException("port is not open")
        ser = self._serial
        if ser.in_waiting:
            ser.reset_input_buffer()  # bytes of an earlier, abandoned reply
        self._assembler.reset()
        frame = sf.build_request(command, data)
        if self._trace:
            self._trace("tx", frame)
        ser.write(frame)
        self.bytes_out += len(frame)
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        received = bytearray()
        while True:
            chunk = ser.read(ser.in_waiting or 1)
            if chunk:
                self.last_rx_at = time.perf_counter()
                received += chunk
                self.bytes_in += len(chunk)
                try:
                    bodies = self._assembler.feed(chunk)
                except sf.FrameError:
                    self._trace_rx(received)
                    raise
                if bodies:
                    self._trace_rx(received)
                    return sf.SamResponse.from_body(bodies[0])
            if time.monotonic() >= deadline:
                self._trace_rx(received)
                if received:
                    raise sf.TruncatedFrame(f"{command.name}: reply stopped after {len(received)} bytes")
                raise SamTimeout(f"{command.name}: no reply")

    def _trace_rx(self, received: bytes) -> None:
        if self._trace and received:
            self._trace("rx", bytes(received))

    # -------------------------------------------------------------- commands

    def find_card(self) -> bool:
        reply = self.exchange(sf.Command.FIND_CARD)
        if reply.sw3 == sf.SW3_CARD_FOUND:
            return True
        if reply.sw3 == sf.SW3_NO_CARD:
            return False
        raise SamStatusError(sf.Command.FIND_CARD, reply.sw3)

    def select_card(self) -> None:
        self._expect_ok(sf.Command.SELECT_CARD, self.exchange(sf.Command.SELECT_CARD))

    def read_card(self, *, fingerprint: bool = False, timeout: float | None = None) -> sf.CardRecord:
        command = sf.Command.READ_TEXT_PHOTO_FINGERPRINT if fingerprint else sf.Command.READ_TEXT_PHOTO
        reply = self._expect_ok(command, self.exchange(command, timeout=timeout))
        return sf.split_card_data(reply.data, fingerprint=fingerprint)

    def sam_id(self) -> str:
        """The SAM module's id as hex (not personal data)."""
        return self._expect_ok(sf.Command.SAM_ID, self.exchange(sf.Command.SAM_ID)).data.hex()

    def status(self) -> None:
        self._expect_ok(sf.Command.STATUS, self.exchange(sf.Command.STATUS))

    def reset(self) -> None:
        self._expect_ok(sf.Command.RESET, self.exchange(sf.Command.RESET))

    @staticmethod
    def _expect_ok(command: sf.Command, reply: sf.SamResponse) -> sf.SamResponse:
        if reply.sw3 != sf.SW3_OK:
            raise SamStatusError(command, reply.sw3)
        return reply


@dataclass(frozen=True)
class SamSettings:
    port: str
    baud: int = 115200
    exchange_timeout: float = 1.0  # find, select, status
    read_timeout: float = 3.0  # the text+photo read
    poll_interval: float = 0.25
    reconnect_interval: float = 1.0
    removal_polls: int = 2  # consecutive "no card" answers before CARD_REMOVED
    failures_before_lost: int = 3  # consecutive failed polls before READER_LOST
    fingerprint: bool = False
    photo_decoder: PhotoDecoder | None = None
    max_reconnect_interval: float = 30.0  # reconnect waits double up to this while the reader keeps failing
    loss_grace: float = 5.0  # a read card's session ends when the reader stays away (or unsure) this long
    unstable_after: int = 3  # losses in a row (without a stable spell) before the one "reader unstable" warning
    stable_polls: int = 20  # good polls in a row that make a reader stable again


_NO_CARD, _READ, _FAILED, _UNSURE = "none", "read", "failed", "unsure"  # unsure: was there before a drop-out
_PORT_ERRORS = (serial.SerialException, OSError)


class SamReader(ReaderEventSource):
    """A CardReader on a SAM serial reader. Events reach the listener from the worker thread."""

    def __init__(self, settings: SamSettings, *, trace: Trace | None = None,
                 serial_factory: Callable[..., Any] = serial.Serial) -> None:
        self.settings = settings
        self._trace = trace
        self._factory = serial_factory
        self._listener: ReaderListener | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._link: SamLink | None = None
        self._connected: bool | None = None
        self._card = _NO_CARD
        self._card_id = ""  # a digest of the card read, kept in memory to tell a swapped card
        self._unsure_since = 0.0
        self._failures = 0
        self._absent = 0
        self._flaps = 0  # losses in a row without a stable spell in between
        self._good_polls = 0
        self.clock = time.monotonic
        self.reads = 0  # completed card reads (the "no re-read loop" tests count these)
        self.last_rx_at = 0.0

    def start(self, listener: ReaderListener) -> None:
        self._start_worker(listener, "sam-reader")

    def stop(self) -> None:
        self._stop.set()
        self._join_worker()

    # -------------------------------------------------------------- worker

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._check_grace()
                if self._link is None and not self._connect():
                    self._stop.wait(self._reconnect_wait())
                    continue
                self._poll_once()
        finally:
            if self._link is not None:
                self._link.close()
                self._link = None

    def _reconnect_wait(self) -> float:
        """Back off while the reader keeps failing; never past the end of a card's grace."""
        s = self.settings
        wait = min(s.reconnect_interval * 2 ** min(self._flaps, 16), max(s.reconnect_interval,
                                                                           s.max_reconnect_interval))
        if self._card == _UNSURE:
            wait = min(wait, max(0.0, self._unsure_since + s.loss_grace - self.clock()))
        return wait

    def _check_grace(self) -> None:
        """A card read before a drop-out that could not be seen again within the grace: its session ends."""
        if self._card == _UNSURE and self.clock() - self._unsure_since >= self.settings.loss_grace:
            log.info("card not seen again after a reader drop-out", extra={"event": "reader_card_custody_lost"})
            self._forget_card()

    def _forget_card(self) -> None:
        self._card, self._card_id = _NO_CARD, ""
        self._emit(ReaderEvent(ReaderEventKind.CARD_REMOVED))

    def _connect(self) -> bool:
        s = self.settings
        link = SamLink(s.port, s.baud, timeout=s.exchange_timeout, trace=self._trace, serial_factory=self._factory)
        try:
            link.open()
            link.status()
        except (*_PORT_ERRORS, SamError, sf.FrameError) as exc:
            link.close()
            if self._connected is not False:
                log.warning("reader not available", extra={"event": "reader_unavailable", "error": type(exc).__name__})
                self._set_connected(False)
            return False
        self._link = link
        self._failures = 0
        self._absent = 0
        self._good_polls = 0
        return True  # reported connected after its first good poll: a reader that only errors stays "lost"

    def _lose(self, exc: BaseException) -> None:
        self._flaps += 1
        if self._connected:
            log.warning("reader lost", extra={"event": "reader_lost", "error": type(exc).__name__})
        if self._flaps == self.settings.unstable_after:
            log.warning("reader unstable: it keeps failing; retrying less often", extra={
                "event": "reader_unstable", "error": type(exc).__name__, "losses": self._flaps})
        if self._link is not None:
            self._link.close()
            self._link = None
        if self._card in (_READ, _FAILED):  # whatever lies there now must be read again
            self._card, self._unsure_since = _UNSURE, self.clock()
        self._set_connected(False)

    def _poll_once(self) -> None:
        link = self._link
        assert link is not None
        try:
            present = link.find_card()
        except _PORT_ERRORS as exc:
            self._lose(exc)
            return
        except (SamError, sf.FrameError) as exc:
            self._failures += 1
            self._good_polls = 0
            if self._failures == 1:
                log.info("poll failed", extra={"event": "reader_poll_failed", "error": type(exc).__name__})
            if self._failures >= self.settings.failures_before_lost:
                self._lose(exc)
            else:
                self._stop.wait(self.settings.poll_interval)
            return
        self._failures = 0
        self._good_polls += 1
        if self._good_polls >= self.settings.stable_polls:
            self._flaps = 0
        self._set_connected(True)
        if not present:
            self._absent += 1
            if self._card != _NO_CARD and self._absent >= self.settings.removal_polls:
                self._forget_card()
            self._stop.wait(self.settings.poll_interval)
            return
        self._absent = 0
        if self._card in (_READ, _FAILED):  # the same card still lies on the reader: never read it again
            self._stop.wait(self.settings.poll_interval)
            return
        self._read_card(link)

    def _read_card(self, link: SamLink) -> None:
        s = self.settings
        try:
            link.select_card()
            record = link.read_card(fingerprint=s.fingerprint, timeout=s.read_timeout)
            self.last_rx_at = link.last_rx_at
            document = decode_text(record.text, record.photo, photo_decoder=s.photo_decoder)
        except _PORT_ERRORS as exc:
            self._lose(exc)
            return
        except (SamError, CardTextError) as exc:
            self._failed(exc.reason, exc)
            return
        except sf.FrameError as exc:
            self._failed("reader_bad_frame", exc)
            return
        self.reads += 1
        card_id = card_digest(document)
        if self._card == _UNSURE:
            if card_id == self._card_id:  # the same card after a drop-out: the session goes on
                self._card = _READ
                log.info("same card after a reader drop-out", extra={"event": "reader_card_same"})
                return
            log.warning("a different card after a reader drop-out: the old session ends",
                        extra={"event": "reader_card_swapped"})
            self._forget_card()
        self._card, self._card_id = _READ, card_id
        self._emit(ReaderEvent(ReaderEventKind.CARD_PRESENTED, document=document))

    def _failed(self, reason: str, exc: BaseException) -> None:
        log.info("card read failed", extra={"event": "card_read_failed", "reason": reason,
                                            "error": type(exc).__name__})
        if self._card == _UNSURE:  # cannot tell it is the same card: the old session ends
            self._forget_card()
        self._card, self._card_id = _FAILED, ""
        self._emit(ReaderEvent(ReaderEventKind.READ_FAILED, reason=reason or "card_unreadable"))


"""A SAM ID-card reader emulated on a pseudo-terminal, for tests, benchmarks and the demo.

pyserial opens `emulator.path` (a symlink to the pty's slave side, re-pointed when
the device "reappears") exactly as it would open /dev/ttyUSB0. The emulator
answers GA 467 commands for a scripted card and can be told to misbehave: no
reply, a slow reply, a reply cut mid-frame, a bad checksum, a wrong length,
any SW3 error, garbage bytes, or vanishing altogether (pty closed). With `baud`
set it paces its replies at that line rate (8N1: 10 bits a byte).
"""

from __future__ import annotations

import enum
import os
import pty
import random
import select
import shutil
import tempfile
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path

from devices import sam_frames as sf
from devices.sam_text import encode_text
from devices.sim_people import SAMPLE_PEOPLE
from kiosk.identity import IdentityDocument
from kiosk.interfaces import ReaderListener

SAM_ID = bytes.fromhex("0501000020101010000000010000abcd")


class Fault(enum.Enum):
    NO_REPLY = "no_reply"
    SLOW = "slow"  # reply after `delay` seconds
    CUT = "cut"  # the first half of the reply, then silence
    BAD_CHECKSUM = "bad_checksum"
    BAD_LENGTH = "bad_length"  # a length field no reader could send
    GARBAGE = "garbage"  # random bytes instead of the reply
    STATUS = "status"  # the reply carries SW3 = `sw3`
    VANISH = "vanish"  # the device disappears (pty closed) instead of replying


@dataclass
class ScriptedFault:
    kind: Fault
    command: sf.Command | None = None  # None: the next command of any kind
    times: int = 1
    sw3: int = 0x41
    delay: float = 2.0


def fake_wlt_photo(seed: int = 0) -> bytes:
    """1,024 deterministic bytes standing in for a WLT photo (not an image: it is never decoded)."""
    rng = random.Random(seed)
    return bytes(rng.getrandbits(8) for _ in range(sf.PHOTO_LEN))


class SamEmulator:
    """A GA 467 reader on a pty. Thread-safe controls; one serving thread."""

    def __init__(self, *, baud: int | None = None) -> None:
        self.baud = baud
        self._dir = Path(tempfile.mkdtemp(prefix="sam-emu-"))
        self.path = str(self._dir / "ttySAM")
        self._lock = threading.Lock()
        self._pty_lock = threading.Lock()  # the current pty: fds, symlink, serving thread
        self._card: sf.CardRecord | None = None
        self._faults: list[ScriptedFault] = []
        self._master = self._slave = -1
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self.requests: list[sf.Command | None] = []
        self.bytes_in = 0
        self.bytes_out = 0

    # -------------------------------------------------------------- controls

    def start(self) -> SamEmulator:
        self._open_pty()
        return self

    def stop(self) -> None:
        self._close_pty()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> SamEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def place(self, card: IdentityDocument | sf.CardRecord, photo: bytes | None = None) -> None:
        """Put a card on the reader (a document is encoded; a CardRecord is served as is)."""
        if isinstance(card, IdentityDocument):
            card = sf.CardRecord(encode_text(card), photo if photo is not None else fake_wlt_photo(),
                                 b"\x00" * 1024)
        with self._lock:
            self._card = card

    def remove(self) -> None:
        with self._lock:
            self._card = None

    @property
    def card_present(self) -> bool:
        return self._card is not None

    def fail(self, kind: Fault, command: sf.Command | None = None, *, times: int = 1, sw3: int = 0x41,
             delay: float = 2.0) -> None:
        """Script a fault for the next `times` matching commands."""
        with self._lock:
            self._faults.append(ScriptedFault(kind, command, times, sw3, delay))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def vanish(self) -> None:
        """The device disappears: the pty closes and its path goes away."""
        self._close_pty()

    def reappear(self) -> None:
        """The device comes back at the same path (a fresh pty); nothing happens while it is present."""
        self._open_pty()

    @property
    def present(self) -> bool:
        return self._master >= 0

    # -------------------------------------------------------------- pty

    # Each pty's fds belong to its serving thread, which closes them when it ends. The emulator is
    # marked absent (symlink gone, `present` false) before that, so a reader that sees the port die
    # can call reappear() at once and get a fresh device, never a no-op on one still closing.

    def _open_pty(self) -> None:
        with self._pty_lock:
            if self._master >= 0:
                return
            master, slave = pty.openpty()
            tty.setraw(slave)
            tty.setraw(master)
            link = Path(self.path)
            link.unlink(missing_ok=True)
            link.symlink_to(os.ttyname(slave))
            self._master, self._slave = master, slave
            self._halt = threading.Event()
            self._thread = threading.Thread(target=self._serve, args=(master, slave, self._halt),
                                            name="sam-emulator", daemon=True)
            self._thread.start()

    def _close_pty(self) -> None:
        """Take the current pty away and wait until its fds are closed."""
        with self._pty_lock:
            thread, halt = self._thread, self._halt
            self._detach()
            halt.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)

    def _detach(self) -> None:
        """Mark the device absent (caller holds _pty_lock); the serving thread closes the fds."""
        Path(self.path).unlink(missing_ok=True)
        self._master = self._slave = -1
        self._thread = None

    def _serve(self, master: int, slave: int, halt: threading.Event) -> None:
        try:
            self._serve_loop(master, halt)
        finally:
            with self._pty_lock:
                if self._thread is threading.current_thread():  # vanished by itself (Fault.VANISH)
                    self._detach()
            for fd in (master, slave):
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _serve_loop(self, master: int, halt: threading.Event) -> None:
        assembler = sf.FrameAssembler()
        while not halt.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, 4096)
            except (OSError, ValueError):
                return
            self.bytes_in += len(data)
            try:
                bodies = assembler.feed(data)
            except sf.FrameError as exc:
                code = 0x10 if isinstance(exc, sf.BadChecksum) else 0x11
                self._send(master, sf.build_response(code), halt)
                continue
            for body in bodies:
                if not self._answer(master, body, halt):
                    return

    def _answer(self, master: int, body: bytes, halt: threading.Event) -> bool:
        command = next((c for c in sf.Command if bytes(c.value) == body[:2]), None)
        self.requests.append(command)
        with self._lock:
            fault = self._take_fault(command)
            reply = self._reply(command)
        if fault is None:
            return self._send(master, reply, halt)
        kind = fault.kind
        if kind is Fault.VANISH:
            return False  # _serve marks the device absent, then closes the pty
        if kind is Fault.NO_REPLY:
            return True
        if kind is Fault.SLOW:
            if halt.wait(fault.delay):
                return False
            return self._send(master, reply, halt)
        if kind is Fault.CUT:
            return self._send(master, reply[: max(1, len(reply) // 2)], halt)
        if kind is Fault.BAD_CHECKSUM:
            return self._send(master, reply[:-1] + bytes([reply[-1] ^ 0x5A]), halt)
        if kind is Fault.BAD_LENGTH:
            return self._send(master, reply[:5] + b"\xff\xff" + reply[7:], halt)
        if kind is Fault.GARBAGE:
            return self._send(master, bytes(random.Random(len(self.requests)).getrandbits(8) for _ in range(64)), halt)
        return self._send(master, sf.build_response(fault.sw3), halt)  # Fault.STATUS

    def _take_fault(self, command: sf.Command | None) -> ScriptedFault | None:
        for fault in self._faults:
            if fault.command is None or fault.command is command:
                fault.times -= 1
                if fault.times <= 0:
                    self._faults.remove(fault)
                return fault
        return None

    def _reply(self, command: sf.Command | None) -> bytes:
        card = self._card
        C = sf.Command
        if command is C.FIND_CARD:
            return sf.build_response(sf.SW3_CARD_FOUND if card else sf.SW3_NO_CARD, b"\0\0\0\0")
        if command is C.SELECT_CARD:
            return sf.build_response(sf.SW3_OK, b"\0" * 8) if card else sf.build_response(0x81)
        if command in (C.READ_TEXT_PHOTO, C.READ_TEXT_PHOTO_FINGERPRINT):
            if card is None:
                return sf.build_response(0x41)
            fingerprint = command is C.READ_TEXT_PHOTO_FINGERPRINT
            return sf.build_response(sf.SW3_OK, sf.join_card_data(card, fingerprint=fingerprint))
        if command is C.SAM_ID:
            return sf.build_response(sf.SW3_OK, SAM_ID)
        if command in (C.STATUS, C.RESET):
            return sf.build_response(sf.SW3_OK)
        return sf.build_response(0x21)

    def _send(self, master: int, data: bytes, halt: threading.Event) -> bool:
        """Write a reply, paced at the baud rate when one is set. False when the pty is gone."""
        started = time.perf_counter()
        step = 64 if self.baud else len(data)
        for offset in range(0, len(data), step):
            chunk = data[offset : offset + step]
            try:
                os.write(master, chunk)
            except OSError:
                return False
            self.bytes_out += len(chunk)
            if self.baud:
                due = started + (offset + len(chunk)) * 10 / self.baud
                pause = due - time.perf_counter()
                if pause > 0 and halt.wait(pause):
                    return False
        return True


class SamEmulatorReader:
    """The demo's `reader.driver = "sam-emulator"`: the real SamReader driving an emulator.

    It offers the SimulatedReader's demo controls (insert, remove, unplug ...) so the demo
    control window can place cards on the emulated device.
    """

    def __init__(self, reader_factory: object, *, baud: int | None = 115200) -> None:
        self.emulator = SamEmulator(baud=baud).start()
        self.reader = reader_factory(self.emulator.path)  # type: ignore[operator]

    def start(self, listener: ReaderListener) -> None:
        self.reader.start(listener)

    def stop(self) -> None:
        self.reader.stop()
        self.emulator.stop()

    @property
    def card_present(self) -> bool:
        return self.emulator.card_present

    def insert(self, who: int | IdentityDocument) -> None:
        self.emulator.place(SAMPLE_PEOPLE[who] if isinstance(who, int) else who)

    def insert_unreadable(self, reason: str = "card_unreadable") -> None:
        self.emulator.fail(Fault.STATUS, sf.Command.READ_TEXT_PHOTO, sw3=0x41)
        self.emulator.place(SAMPLE_PEOPLE[0])

    def remove(self) -> None:
        self.emulator.remove()

    def unplug(self) -> None:
        self.emulator.vanish()

    def replug(self) -> None:
        self.emulator.reappear()

"""Simulated ID-card reader for the demo and the screen tests.

It delivers the same events as a real reader, from its own thread: a card
placed is read once and reported; a card left on the reader is not read again
until it is removed and placed anew.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from devices.sim_people import SAMPLE_PEOPLE
from kiosk.identity import IdentityDocument
from kiosk.interfaces import ReaderEvent, ReaderEventKind, ReaderListener


class SimulatedReader:
    """A reader whose card is placed and removed by insert()/remove()."""

    def __init__(self, read_delay: float = 0.0) -> None:
        self._events: queue.Queue[ReaderEvent | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._listener: ReaderListener | None = None
        self._read_delay = read_delay
        self._present = False
        self._staff_present = False
        self._lock = threading.Lock()

    def start(self, listener: ReaderListener) -> None:
        self._listener = listener
        self._thread = threading.Thread(target=self._run, name="sim-reader", daemon=True)
        self._thread.start()
        self._events.put(ReaderEvent(ReaderEventKind.READER_CONNECTED))

    def stop(self) -> None:
        if self._thread is not None:
            self._events.put(None)
            self._thread.join(timeout=2)
            self._thread = None

    @property
    def card_present(self) -> bool:
        return self._present

    def insert(self, who: int | IdentityDocument) -> None:
        """Place a card: an index into SAMPLE_PEOPLE or a document."""
        document = SAMPLE_PEOPLE[who] if isinstance(who, int) else who
        with self._lock:
            if self._present:
                return  # a card already lies on the reader
            self._present = True
        self._events.put(ReaderEvent(ReaderEventKind.CARD_PRESENTED, document=document))

    def insert_unreadable(self, reason: str = "card_unreadable") -> None:
        """Place a card that cannot be read (damaged, unknown type)."""
        with self._lock:
            if self._present:
                return
            self._present = True
        self._events.put(ReaderEvent(ReaderEventKind.READ_FAILED, reason=reason))

    def insert_staff_card(self, applet: Callable[[bytes], bytes]) -> None:
        """Place a staff card in the staff slot (beside the citizen's): the real card conversation
        (devices.staffcard) runs against the applet, e.g. devices.vpcd_staff_card.StaffCardApplet."""
        from devices import sscard, staffcard

        with self._lock:
            if self._staff_present:
                return
            self._staff_present = True
        try:
            answer = staffcard.authenticate(lambda apdu: sscard.split_response(applet(apdu)))
            event = ReaderEvent(ReaderEventKind.STAFF_CARD_PRESENTED, staff_card=answer)
        except sscard.ApduError:
            event = ReaderEvent(ReaderEventKind.STAFF_CARD_PRESENTED, reason="staff_card_unreadable")
        self._events.put(event)

    def remove_staff_card(self) -> None:
        with self._lock:
            if not self._staff_present:
                return
            self._staff_present = False
        self._events.put(ReaderEvent(ReaderEventKind.STAFF_CARD_REMOVED))

    @property
    def staff_card_present(self) -> bool:
        return self._staff_present

    def remove(self) -> None:
        with self._lock:
            if not self._present:
                return
            self._present = False
        self._events.put(ReaderEvent(ReaderEventKind.CARD_REMOVED))

    def unplug(self) -> None:
        self._events.put(ReaderEvent(ReaderEventKind.READER_LOST))

    def replug(self) -> None:
        self._events.put(ReaderEvent(ReaderEventKind.READER_CONNECTED))

    def _run(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            if event.kind is ReaderEventKind.CARD_PRESENTED and self._read_delay:
                threading.Event().wait(self._read_delay)  # the time a real read takes
            if self._listener is not None:
                self._listener(event)

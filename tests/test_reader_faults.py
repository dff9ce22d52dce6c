"""Readers that settle: the SAM driver against the pty emulator when the reader keeps erroring,
drops out with a card on it, or comes back with a different card."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator

import pytest

from devices import sam_frames as sf
from devices.sam_emulator import Fault, SamEmulator
from devices.sam_reader import SamReader, SamSettings
from devices.sim_people import SAMPLE_PEOPLE
from kiosk.interfaces import ReaderEventKind as K
from tests.reader_events import EventLog

FAST = dict(exchange_timeout=0.2, read_timeout=0.6, poll_interval=0.01, reconnect_interval=0.01,
            max_reconnect_interval=0.08, removal_polls=2)


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    with SamEmulator() as emu:
        yield emu


def start(emulator: SamEmulator, **settings: float) -> tuple[SamReader, EventLog]:
    reader = SamReader(SamSettings(emulator.path, **{**FAST, **settings}))
    events = EventLog()
    reader.start(events)
    events.wait_for(K.READER_CONNECTED)
    return reader, events


def test_a_reader_that_keeps_erroring_is_reported_once_and_backed_off(emulator: SamEmulator,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """GIVEN find-card answers with an error, again and again (minutes of it on a real clock)
    WHEN the driver keeps trying THEN one READER_LOST, no connected/lost flood, one "reader
    unstable" warning, reconnect waits that grow to their cap; and once the reader answers again
    it is connected once and reads cards."""
    reader, events = start(emulator)
    caplog.set_level(logging.INFO, logger="kiosk.devices")
    emulator.fail(Fault.STATUS, sf.Command.FIND_CARD, times=10_000, sw3=0x24)
    events.wait_for(K.READER_LOST)
    wait_until(lambda: reader._flaps >= 12)  # a dozen reconnects, each failing on its first polls
    assert events.kinds() == [K.READER_CONNECTED, K.READER_LOST]
    assert reader._reconnect_wait() == pytest.approx(FAST["max_reconnect_interval"])
    records = [r for r in caplog.records if r.name.startswith("kiosk.devices")]
    assert [r.__dict__.get("event") for r in records if r.levelno >= logging.WARNING] == \
        ["reader_lost", "reader_unstable"]
    assert sum(1 for r in records if r.__dict__.get("event") == "reader_poll_failed") <= reader._flaps + 1
    emulator.clear_faults()
    events.wait_for(K.READER_CONNECTED)
    emulator.place(SAMPLE_PEOPLE[0])
    assert events.wait_for(K.CARD_PRESENTED).document.number == SAMPLE_PEOPLE[0].number
    reader.stop()


def test_a_card_swapped_during_a_drop_out_ends_the_old_session_at_once(emulator: SamEmulator) -> None:
    """GIVEN card A was read WHEN the reader drops out and card B lies there when it is back
    THEN CARD_REMOVED (A's session ends) and B is read, at once (well within the grace)."""
    reader, events = start(emulator, loss_grace=60.0)
    a, b = SAMPLE_PEOPLE[0], SAMPLE_PEOPLE[1]
    emulator.place(a)
    assert events.wait_for(K.CARD_PRESENTED).document.number == a.number
    emulator.vanish()
    events.wait_for(K.READER_LOST)
    emulator.remove()
    emulator.place(b)
    emulator.reappear()
    events.wait_for(K.CARD_REMOVED)
    assert events.wait_for(K.CARD_PRESENTED).document.number == b.number
    assert [k for k in events.kinds() if k in (K.CARD_PRESENTED, K.CARD_REMOVED)] == \
        [K.CARD_PRESENTED, K.CARD_REMOVED, K.CARD_PRESENTED]
    reader.stop()


def test_reader_loss_during_a_session_ends_it_after_the_grace(emulator: SamEmulator) -> None:
    """GIVEN a card was read WHEN the reader stays away past the grace THEN CARD_REMOVED; when
    it comes back with the card the card starts a new session."""
    reader, events = start(emulator, loss_grace=0.3)
    emulator.place(SAMPLE_PEOPLE[2])
    events.wait_for(K.CARD_PRESENTED)
    emulator.vanish()
    events.wait_for(K.READER_LOST)
    events.wait_for(K.CARD_REMOVED)
    emulator.reappear()
    events.wait_for(K.READER_CONNECTED)
    assert events.wait_for(K.CARD_PRESENTED).document.number == SAMPLE_PEOPLE[2].number
    reader.stop()


def test_card_removed_while_the_reader_is_away_is_reported_when_it_is_back(emulator: SamEmulator) -> None:
    reader, events = start(emulator, loss_grace=60.0)
    emulator.place(SAMPLE_PEOPLE[0])
    events.wait_for(K.CARD_PRESENTED)
    emulator.vanish()
    events.wait_for(K.READER_LOST)
    emulator.remove()
    emulator.reappear()
    events.wait_for(K.READER_CONNECTED)
    events.wait_for(K.CARD_REMOVED)
    assert events.count(K.CARD_PRESENTED) == 1
    reader.stop()

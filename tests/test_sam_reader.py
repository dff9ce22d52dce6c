"""The SAM serial driver against the pty emulator: every card type, every fault, SW3 errors,
a vanishing device, and a card left on the reader read exactly once."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from devices import sam_frames as sf
from devices.sam_emulator import Fault, SamEmulator
from devices.sam_reader import SamLink, SamReader, SamSettings, SamTimeout
from devices.sim_people import SAM_CARD_TYPES, SAMPLE_PEOPLE
from kiosk.interfaces import ReaderEventKind as K
from tests.reader_events import EventLog

FAST = dict(exchange_timeout=0.3, read_timeout=0.6, poll_interval=0.02, reconnect_interval=0.05, removal_polls=2)


@pytest.fixture
def emulator() -> Iterator[SamEmulator]:
    with SamEmulator() as emu:
        yield emu


@pytest.fixture
def running(emulator: SamEmulator) -> Iterator[tuple[SamEmulator, SamReader, EventLog]]:
    reader = SamReader(SamSettings(emulator.path, **FAST))
    events = EventLog()
    reader.start(events)
    events.wait_for(K.READER_CONNECTED)
    yield emulator, reader, events
    reader.stop()


def test_each_card_type_is_read(running) -> None:
    """GIVEN a connected reader WHEN each of the four card types is placed THEN each is delivered once."""
    emulator, reader, events = running
    for person in SAM_CARD_TYPES:
        emulator.place(person)
        doc = events.wait_for(K.CARD_PRESENTED).document
        assert doc is not None and doc.doc_type is person.doc_type
        assert (doc.name, doc.number, doc.birth_date, doc.source) == (person.name, person.number,
                                                                      person.birth_date, "sam")
        assert doc.photo_format == "wlt" and len(doc.photo) == 1024
        assert doc.extra["photo_status"] == "not_decodable"
        emulator.remove()
        events.wait_for(K.CARD_REMOVED)


def test_card_left_on_reader_is_read_once(running) -> None:
    emulator, reader, events = running
    emulator.place(SAMPLE_PEOPLE[0])
    events.wait_for(K.CARD_PRESENTED)
    finds = emulator.requests.count(sf.Command.FIND_CARD)
    deadline = time.monotonic() + 5
    while emulator.requests.count(sf.Command.FIND_CARD) < finds + 20 and time.monotonic() < deadline:
        time.sleep(0.02)  # let the reader poll at least 20 more times
    assert reader.reads == 1
    assert emulator.requests.count(sf.Command.READ_TEXT_PHOTO) == 1
    assert events.count(K.CARD_PRESENTED) == 1 and events.count(K.CARD_REMOVED) == 0
    emulator.remove()
    events.wait_for(K.CARD_REMOVED)
    emulator.place(SAMPLE_PEOPLE[1])  # a new card is read again
    assert events.wait_for(K.CARD_PRESENTED).document.number == SAMPLE_PEOPLE[1].number


@pytest.mark.parametrize("sw3", sorted(set(sf.SW3_STATUS) - {0x90, 0x9F, 0x80}))
def test_every_sw3_error_on_read_gives_its_message_and_recovers(running, sw3: int) -> None:
    emulator, reader, events = running
    emulator.fail(Fault.STATUS, sf.Command.READ_TEXT_PHOTO, sw3=sw3)
    emulator.place(SAMPLE_PEOPLE[0])
    failed = events.wait_for(K.READ_FAILED, K.CARD_PRESENTED)
    assert failed.kind is K.READ_FAILED and failed.reason == sf.sw3_message_key(sw3)
    emulator.remove()
    events.wait_for(K.CARD_REMOVED)
    emulator.place(SAMPLE_PEOPLE[0])
    assert events.wait_for(K.CARD_PRESENTED, K.READ_FAILED).kind is K.CARD_PRESENTED


def test_unknown_sw3_and_select_failure(running) -> None:
    emulator, reader, events = running
    emulator.fail(Fault.STATUS, sf.Command.SELECT_CARD, sw3=0x81)
    emulator.place(SAMPLE_PEOPLE[0])
    assert events.wait_for(K.READ_FAILED).reason == "sam_status_81"
    emulator.remove()
    events.wait_for(K.CARD_REMOVED)
    emulator.fail(Fault.STATUS, sf.Command.READ_TEXT_PHOTO, sw3=0x55)
    emulator.place(SAMPLE_PEOPLE[0])
    assert events.wait_for(K.READ_FAILED).reason == sf.SW3_UNKNOWN_KEY


@pytest.mark.parametrize("fault, reason", [
    (Fault.NO_REPLY, "reader_no_reply"),
    (Fault.SLOW, "reader_no_reply"),
    (Fault.CUT, "reader_bad_frame"),
    (Fault.BAD_CHECKSUM, "reader_bad_frame"),
    (Fault.BAD_LENGTH, "reader_bad_frame"),
    (Fault.GARBAGE, "reader_bad_frame"),
])
def test_faults_during_read_fail_plainly_and_recover(running, fault: Fault, reason: str) -> None:
    """GIVEN a fault on the read reply THEN READ_FAILED with a message key, and the next card reads."""
    emulator, reader, events = running
    emulator.fail(fault, sf.Command.READ_TEXT_PHOTO, delay=1.0)
    emulator.place(SAMPLE_PEOPLE[0])
    failed = events.wait_for(K.READ_FAILED, K.CARD_PRESENTED)
    assert failed.kind is K.READ_FAILED and failed.reason == reason
    emulator.remove()
    events.wait_for(K.CARD_REMOVED)
    emulator.place(SAMPLE_PEOPLE[3])
    assert events.wait_for(K.CARD_PRESENTED, K.READ_FAILED).kind is K.CARD_PRESENTED
    assert K.READER_LOST not in events.kinds()


@pytest.mark.parametrize("fault", [Fault.NO_REPLY, Fault.CUT, Fault.BAD_CHECKSUM, Fault.BAD_LENGTH, Fault.GARBAGE])
def test_transient_poll_faults_are_absorbed(running, fault: Fault) -> None:
    emulator, reader, events = running
    emulator.fail(fault, sf.Command.FIND_CARD, times=2)
    emulator.place(SAMPLE_PEOPLE[0])
    assert events.wait_for(K.CARD_PRESENTED).document is not None
    assert K.READER_LOST not in events.kinds()


def test_a_silent_reader_is_reported_lost_then_back(running) -> None:
    emulator, reader, events = running
    emulator.fail(Fault.NO_REPLY, times=5)
    events.wait_for(K.READER_LOST)
    events.wait_for(K.READER_CONNECTED)
    emulator.place(SAMPLE_PEOPLE[0])
    events.wait_for(K.CARD_PRESENTED)


def test_device_vanishes_and_reappears(running) -> None:
    """GIVEN a card was read WHEN the device vanishes and comes back with the card still on
    THEN lost, connected, and the card is read again to be sure it is the same one, without a
    new session; its removal is then reported."""
    emulator, reader, events = running
    emulator.place(SAMPLE_PEOPLE[0])
    events.wait_for(K.CARD_PRESENTED)
    emulator.vanish()
    events.wait_for(K.READER_LOST)
    time.sleep(0.2)  # a few reconnect attempts against a missing port
    emulator.reappear()
    events.wait_for(K.READER_CONNECTED)
    deadline = time.monotonic() + 10
    while reader.reads < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert reader.reads == 2
    assert events.count(K.CARD_PRESENTED) == 1 and K.CARD_REMOVED not in events.kinds()
    emulator.remove()
    events.wait_for(K.CARD_REMOVED)


def test_vanish_mid_read(running) -> None:
    emulator, reader, events = running
    emulator.fail(Fault.VANISH, sf.Command.READ_TEXT_PHOTO)
    emulator.place(SAMPLE_PEOPLE[0])
    events.wait_for(K.READER_LOST)
    emulator.reappear()
    events.wait_for(K.READER_CONNECTED)
    assert events.wait_for(K.CARD_PRESENTED, K.READ_FAILED).kind is K.CARD_PRESENTED


def test_port_missing_at_start_then_plugged_in() -> None:
    emulator = SamEmulator()
    reader = SamReader(SamSettings(emulator.path, **FAST))
    events = EventLog()
    reader.start(events)
    try:
        events.wait_for(K.READER_LOST)
        emulator.start()
        events.wait_for(K.READER_CONNECTED)
        emulator.place(SAMPLE_PEOPLE[4])
        assert events.wait_for(K.CARD_PRESENTED).document.name_en == SAMPLE_PEOPLE[4].name_en
    finally:
        reader.stop()
        emulator.stop()


def test_bad_card_text_gives_card_data_invalid(running) -> None:
    emulator, reader, events = running
    text = bytearray(256)
    text[0:4] = "张三".encode("utf-16-le")
    emulator.place(sf.CardRecord(bytes(text), b"\x00" * 1024, b""))
    assert events.wait_for(K.READ_FAILED).reason == "card_data_invalid"


def test_link_commands_and_timeout(emulator: SamEmulator) -> None:
    trace: list[tuple[str, bytes]] = []
    link = SamLink(emulator.path, timeout=0.2, trace=lambda d, b: trace.append((d, b)))
    link.open()
    try:
        assert len(link.sam_id()) == 32
        link.status()
        link.reset()
        assert link.find_card() is False
        emulator.place(SAMPLE_PEOPLE[0])
        assert link.find_card() is True
        link.select_card()
        record = link.read_card(fingerprint=True)
        assert len(record.fingerprint) == 1024
        emulator.fail(Fault.NO_REPLY)
        with pytest.raises(SamTimeout):
            link.status()
    finally:
        link.close()
    assert trace[0] == ("tx", sf.build_request(sf.Command.SAM_ID))


def test_paced_emulator_takes_wire_time() -> None:
    with SamEmulator(baud=115200) as emu:
        emu.place(SAMPLE_PEOPLE[0])
        link = SamLink(emu.path)
        link.open()
        try:
            started = time.perf_counter()
            link.read_card()
            elapsed = time.perf_counter() - started
        finally:
            link.close()
    assert elapsed >= 1295 * 10 / 115200 * 0.9  # at least (nearly) the wire time of the reply


def test_driver_logs_hold_no_personal_data(emulator: SamEmulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    reader = SamReader(SamSettings(emulator.path, **FAST))
    events = EventLog()
    reader.start(events)
    try:
        events.wait_for(K.READER_CONNECTED)
        emulator.fail(Fault.CUT, sf.Command.READ_TEXT_PHOTO)
        emulator.place(SAMPLE_PEOPLE[1])
        events.wait_for(K.READ_FAILED)
        emulator.remove()
        events.wait_for(K.CARD_REMOVED)
        emulator.place(SAMPLE_PEOPLE[1])
        doc = events.wait_for(K.CARD_PRESENTED).document
    finally:
        reader.stop()
    person = SAMPLE_PEOPLE[1]
    logged = caplog.text + "".join(repr(r.__dict__) for r in caplog.records) + repr(events.events)
    for secret in (person.name, person.number, person.address):
        assert secret not in logged
    assert person.number not in repr(doc)

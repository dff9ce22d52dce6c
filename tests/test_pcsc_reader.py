"""The PC/SC driver through the real pcscd + vpcd with the project's virtual card: a social
security card, a card pulled mid-read, pcscd restarted, two readers, an unknown card,
malformed responses and wrong status words. Plus property tests of the record parsing."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import sscard
from devices.pcsc_reader import PcscReader
from devices.sim_people import SAMPLE_PEOPLE
from devices.vpcd_card import SocialSecurityApplet, VirtualCard, unknown_card_applet
from kiosk.identity import DocumentType
from kiosk.interfaces import ReaderEventKind as K
from tests import pcscd_harness
from tests.pcscd_harness import pcscd  # noqa: F401
from tests.reader_events import EventLog

reader, cards = pcscd_harness.reader, pcscd_harness.cards  # the shared PC/SC fixtures

PERSON = SAMPLE_PEOPLE[1]


def _social(person=PERSON, **kwargs) -> SocialSecurityApplet:
    import dataclasses
    doc = dataclasses.replace(person, extra={"card_number": "D12345678", "birthplace": person.number[:6]})
    return SocialSecurityApplet(doc, **kwargs)


def _place(cards: list[VirtualCard], applet, slot: int = 0, **kwargs) -> VirtualCard:
    card = VirtualCard(applet, slot=slot, **kwargs).insert()
    cards.append(card)
    return card


def test_social_security_card_is_read_once(reader, cards) -> None:
    r, events = reader
    card = _place(cards, _social(chained=True))
    doc = events.wait_for(K.CARD_PRESENTED, K.READ_FAILED).document
    assert doc is not None and doc.doc_type is DocumentType.SOCIAL_SECURITY and doc.source == "pcsc"
    assert (doc.name, doc.number, doc.sex, doc.birth_date, doc.ethnicity) == (
        PERSON.name, PERSON.number, PERSON.sex, PERSON.birth_date, PERSON.ethnicity)
    assert doc.extra == {"card_number": "D12345678", "birthplace": PERSON.number[:6]}
    assert doc.problems() == []
    apdus = len(card.apdus)
    import time
    time.sleep(0.5)
    assert r.reads == 1 and len(card.apdus) == apdus, "a card left in the reader is not read again"
    card.remove()
    events.wait_for(K.CARD_REMOVED)


def test_unknown_card_is_not_supported(reader, cards) -> None:
    r, events = reader
    card = _place(cards, unknown_card_applet)
    assert events.wait_for(K.READ_FAILED, K.CARD_PRESENTED).reason == "card_unsupported"
    card.remove()
    events.wait_for(K.CARD_REMOVED)


@pytest.mark.parametrize("override, reason", [
    ({(0xB2, 0x08): b"\x90"}, "card_data_invalid"),  # one byte: no status word
    ({(0xB2, 0x08): b"\x08\x30" + b"1" * 4 + b"\x90\x00"}, "card_data_invalid"),  # length beyond the data
    ({(0xB2, 0x09): b"\x07\x02ab\x90\x00"}, "card_data_invalid"),  # wrong tag
    ({(0xB2, 0x0D): b"\x0d\x04\x19\x85\x13\x45\x90\x00"}, "card_data_invalid"),  # month 13
    ({(0xB2, 0x0A): b"\x6a\x83"}, "card_unreadable"),  # wrong status word
    ({(0xA4, 0x02): b"\x6f\x00"}, "card_unreadable"),
])
def test_malformed_responses_and_wrong_status_words(reader, cards, override, reason: str) -> None:
    r, events = reader
    applet = _social()
    applet.overrides.update(override)
    card = _place(cards, applet)
    assert events.wait_for(K.READ_FAILED, K.CARD_PRESENTED).reason == reason
    card.remove()
    events.wait_for(K.CARD_REMOVED)
    _place(cards, _social())
    assert events.wait_for(K.CARD_PRESENTED, K.READ_FAILED).kind is K.CARD_PRESENTED


def test_card_pulled_mid_read(reader, cards) -> None:
    r, events = reader
    _place(cards, _social(), pull_after=4)
    event = events.wait_for(K.READ_FAILED, K.CARD_PRESENTED)
    assert event.kind is K.READ_FAILED and event.reason == "card_removed_mid_read"
    events.wait_for(K.CARD_REMOVED)
    _place(cards, _social())
    assert events.wait_for(K.CARD_PRESENTED, K.READ_FAILED).kind is K.CARD_PRESENTED


def test_two_readers(reader, cards) -> None:
    r, events = reader
    first = _place(cards, _social(SAMPLE_PEOPLE[0]), slot=0)
    second = _place(cards, _social(SAMPLE_PEOPLE[6]), slot=1)
    numbers = {events.wait_for(K.CARD_PRESENTED).document.number for _ in range(2)}
    assert numbers == {SAMPLE_PEOPLE[0].number, SAMPLE_PEOPLE[6].number}
    second.remove()
    events.wait_for(K.CARD_REMOVED)
    first.remove()
    events.wait_for(K.CARD_REMOVED)
    assert r.reads == 2


def test_pcscd_restart_is_survived(pcscd, cards, caplog) -> None:  # noqa: F811
    """GIVEN a card was read WHEN pcscd restarts THEN lost, connected, removal, and the next card reads."""
    caplog.set_level(logging.DEBUG)
    r = PcscReader(poll_interval=0.1, reconnect_interval=0.1)
    events = EventLog()
    r.start(events)
    try:
        events.wait_for(K.READER_CONNECTED)
        _place(cards, _social())
        events.wait_for(K.CARD_PRESENTED)
        pcscd.restart()
        events.wait_for(K.READER_LOST)
        events.wait_for(K.READER_CONNECTED, timeout=15)
        events.wait_for(K.CARD_REMOVED)
        _place(cards, _social(SAMPLE_PEOPLE[0]))
        assert events.wait_for(K.CARD_PRESENTED).document.number == SAMPLE_PEOPLE[0].number
    finally:
        r.stop()
    for secret in (PERSON.name, PERSON.number, SAMPLE_PEOPLE[0].number):
        assert secret not in caplog.text + repr(events.events)


def test_pcscd_down_during_a_session_ends_it_after_the_grace(pcscd, cards) -> None:  # noqa: F811
    """GIVEN a card was read WHEN pcscd goes away and stays away past the grace THEN CARD_REMOVED
    (the session cannot go on with a card nobody can see); when pcscd is back a card reads."""
    r = PcscReader(poll_interval=0.1, reconnect_interval=0.05, max_reconnect_interval=0.2, loss_grace=0.5)
    events = EventLog()
    r.start(events)
    try:
        events.wait_for(K.READER_CONNECTED)
        _place(cards, _social())
        events.wait_for(K.CARD_PRESENTED)
        pcscd.stop()
        events.wait_for(K.READER_LOST)
        events.wait_for(K.CARD_REMOVED)
        assert events.count(K.READER_CONNECTED) == 1
        pcscd.start()
        events.wait_for(K.READER_CONNECTED, timeout=15)
        cards.clear()
        _place(cards, _social(SAMPLE_PEOPLE[0]))
        assert events.wait_for(K.CARD_PRESENTED).document.number == SAMPLE_PEOPLE[0].number
        assert events.count(K.CARD_REMOVED) == 1
    finally:
        r.stop()


def test_reader_filter_without_match_reports_lost(pcscd) -> None:  # noqa: F811
    r = PcscReader(name_filter="No Such Reader", poll_interval=0.1)
    events = EventLog()
    r.start(events)
    try:
        events.wait_for(K.READER_LOST)
    finally:
        r.stop()


# ---------------------------------------------------------------- parsing, no daemon


def _direct(applet):
    def transmit(apdu: bytes) -> tuple[bytes, int, int]:
        data, sw1, sw2 = sscard.split_response(applet(apdu))
        if sw1 == 0x6C:
            data, sw1, sw2 = sscard.split_response(applet(apdu[:4] + bytes([sw2])))
        return data, sw1, sw2
    return transmit


def test_read_flow_without_pcscd() -> None:
    doc = sscard.read_social_security_card(_direct(_social()))
    assert doc.number == PERSON.number and doc.name == PERSON.name
    with pytest.raises(sscard.CardNotSupported):
        sscard.read_social_security_card(_direct(unknown_card_applet))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(sscard.RECORD_TAGS)), st.binary(max_size=40))
def test_any_record_answer_gives_a_document_or_a_typed_error(tag: int, answer: bytes) -> None:
    applet = _social()
    applet.overrides[(0xB2, tag)] = answer
    try:
        sscard.read_social_security_card(_direct(applet))
    except sscard.ApduError as exc:
        assert PERSON.number not in str(exc) and PERSON.name not in str(exc)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(sscard.RECORD_TAGS)), st.integers(0, 40), st.integers(0, 7), st.integers(0, 39))
def test_truncated_or_flipped_records(tag: int, cut: int, bit: int, pos: int) -> None:
    applet = _social()
    record = bytearray(applet.records[tag])
    record = record[:cut] if cut < len(record) else record
    if record and pos < len(record):
        record[pos] ^= 1 << bit
    applet.overrides[(0xB2, tag)] = bytes(record) + b"\x90\x00"
    try:
        sscard.read_social_security_card(_direct(applet))
    except sscard.ApduError:
        pass

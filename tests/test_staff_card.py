"""Staff cards over the real pcscd + vpcd with the project's virtual staff card: the card signs a
kiosk-chosen challenge, the kiosk checks it against the key registered at provisioning. Forged
and replayed answers, an unregistered card, a card pulled mid-authentication and garbage
answers are refused; pulling a staff card never ends a citizen's session. Plus `kiosk staff
card-register` reading the card, and property tests of the card conversation."""

from __future__ import annotations

import io
import secrets
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import sscard, staffcard
from devices.sim_people import SAMPLE_PEOPLE
from devices.vpcd_card import SocialSecurityApplet, VirtualCard
from devices.vpcd_staff_card import StaffCardApplet
from kiosk.interfaces import ReaderEventKind as K
from kiosk.staff import StaffDirectory
from kiosk.staff_card import StaffCardAnswer, verify_answer
from tests import pcscd_harness
from tests.pcscd_harness import pcscd  # noqa: F401

reader, cards = pcscd_harness.reader, pcscd_harness.cards  # the shared PC/SC fixtures

NUMBER, PIN = "20045", "731642"


@pytest.fixture
def directory(tmp_path: Path) -> StaffDirectory:
    d = StaffDirectory(tmp_path / "staff.json")
    d.add(NUMBER, PIN, ["technician"])
    return d


def _place(cards: list[VirtualCard], applet, slot: int = 0, **kwargs) -> VirtualCard:
    card = VirtualCard(applet, slot=slot, **kwargs).insert()
    cards.append(card)
    return card


def test_registered_card_signs_in_and_its_removal_is_reported(reader, cards, directory) -> None:
    r, events = reader
    applet = StaffCardApplet(NUMBER)
    directory.register_card(NUMBER, applet.public_key)
    card = _place(cards, applet)
    event = events.wait_for(K.STAFF_CARD_PRESENTED, K.CARD_PRESENTED, K.READ_FAILED)
    assert event.kind is K.STAFF_CARD_PRESENTED and event.staff_card is not None
    answer = event.staff_card
    assert answer.number == NUMBER and len(answer.challenge) == 32 and NUMBER not in repr(event)
    result = directory.check_card(answer, "maintenance")
    assert result.ok and result.roles == ("technician",)
    assert not directory.check_card(answer, "maintenance").ok, "the same answer twice is a replay"
    assert directory.check_card(answer, "manual_check").reason in ("staff_card_refused", "staff_not_allowed")
    card.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)
    assert K.CARD_REMOVED not in events.kinds()
    again = _place(cards, applet)  # a new insertion: a new challenge
    second = events.wait_for(K.STAFF_CARD_PRESENTED).staff_card
    assert second.challenge != answer.challenge and directory.check_card(second, "maintenance").ok
    again.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)


def test_forged_replayed_and_unregistered_cards_are_refused(reader, cards, directory) -> None:
    r, events = reader
    genuine = StaffCardApplet(NUMBER)
    directory.register_card(NUMBER, genuine.public_key)
    # a copy of the staff number on a card with another key (forged)
    forged = _place(cards, StaffCardApplet(NUMBER))
    answer = events.wait_for(K.STAFF_CARD_PRESENTED).staff_card
    assert directory.check_card(answer, "maintenance").reason == "staff_card_refused"
    forged.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)
    # a card that answers every challenge with a signature recorded earlier (replayed)
    recorded = genuine.key.sign(b"KIOSK-STAFF-AUTH-v1\x00" + secrets.token_bytes(32))
    replayer = StaffCardApplet(NUMBER, genuine.key)
    replayer.replay = recorded
    card = _place(cards, replayer)
    answer = events.wait_for(K.STAFF_CARD_PRESENTED).staff_card
    assert directory.check_card(answer, "maintenance").reason == "staff_card_refused"
    card.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)
    # a staff number nobody registered a card for
    stranger = _place(cards, StaffCardApplet("99999"))
    answer = events.wait_for(K.STAFF_CARD_PRESENTED).staff_card
    assert directory.check_card(answer, "maintenance").reason == "staff_card_unknown"
    stranger.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)


def test_card_pulled_mid_authentication(reader, cards, directory) -> None:
    r, events = reader
    applet = StaffCardApplet(NUMBER)
    directory.register_card(NUMBER, applet.public_key)
    _place(cards, applet, pull_after=4)  # SELECT (citizen), SELECT (staff), GET DATA, INTERNAL AUTHENTICATE
    event = events.wait_for(K.STAFF_CARD_PRESENTED, K.READ_FAILED, K.CARD_PRESENTED)
    assert event.kind is K.STAFF_CARD_PRESENTED and event.staff_card is None
    assert event.reason == "staff_card_pulled"
    events.wait_for(K.STAFF_CARD_REMOVED)
    assert applet.signed == 0


@pytest.mark.parametrize("override", [
    ((0x88, 0x00), b"\x12\x34\x90\x00"),  # a cut-off signature
    ((0x88, 0x00), b"\x69\x82"),  # the card refuses to sign
    ((0xCA, 0x01), b"12\x00ab\x90\x00"),  # a staff number that is no number
    ((0xCA, 0x01), b"\x90"),  # no status word
])
def test_garbage_answers_are_a_plain_refusal(reader, cards, directory, override) -> None:
    r, events = reader
    applet = StaffCardApplet(NUMBER)
    applet.overrides[override[0]] = override[1]
    card = _place(cards, applet)
    event = events.wait_for(K.STAFF_CARD_PRESENTED, K.READ_FAILED, K.CARD_PRESENTED)
    assert event.kind is K.STAFF_CARD_PRESENTED and event.staff_card is None
    assert event.reason == "staff_card_unreadable"
    card.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)


def test_pulling_a_staff_card_leaves_the_citizens_card_alone(reader, cards, directory) -> None:
    r, events = reader
    import dataclasses
    person = SAMPLE_PEOPLE[1]
    doc = dataclasses.replace(person, extra={"card_number": "D12345678", "birthplace": person.number[:6]})
    citizen = _place(cards, SocialSecurityApplet(doc), slot=0)
    assert events.wait_for(K.CARD_PRESENTED).document.number == person.number
    staff = _place(cards, StaffCardApplet(NUMBER), slot=1)
    events.wait_for(K.STAFF_CARD_PRESENTED)
    staff.remove()
    events.wait_for(K.STAFF_CARD_REMOVED)
    assert K.CARD_REMOVED not in events.kinds()
    citizen.remove()
    events.wait_for(K.CARD_REMOVED)


def test_card_register_reads_the_card_in_the_reader(pcscd, cards, tmp_path) -> None:  # noqa: F811
    from kiosk.cli import main

    state = tmp_path / "state"
    conf = tmp_path / "kiosk.toml"
    conf.write_text(f'[kiosk]\nstate_dir = "{state}"\n', encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), _stdin(PIN + "\n"):
        assert main(["staff", "add", NUMBER, "--role", "technician", "--pin-stdin", "--config", str(conf)]) == 0
    applet = StaffCardApplet(NUMBER)
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["staff", "card-register", NUMBER, "--config", str(conf)]) == 2  # no card yet
    assert "no card in the reader" in err.getvalue()
    _place(cards, applet)
    pcscd.wait_until_present("Virtual PCD 00 00")
    with redirect_stdout(out), redirect_stderr(err):
        assert main(["staff", "card-register", "10023", "--config", str(conf)]) == 2  # the card is someone else's
        assert main(["staff", "card-register", NUMBER, "--config", str(conf)]) == 0
        assert main(["staff", "list", "--config", str(conf)]) == 0
    assert "another staff number" in err.getvalue() or "no staff number" in err.getvalue()
    assert "card registered" in out.getvalue() and out.getvalue().rstrip().endswith("card")
    member = StaffDirectory(state / "staff.json").members()[0]
    assert member.card_key and "Traceback" not in err.getvalue()
    challenge = secrets.token_bytes(32)
    answer = StaffCardAnswer(NUMBER, challenge, applet.key.sign(b"KIOSK-STAFF-AUTH-v1\x00" + challenge))
    assert StaffDirectory(state / "staff.json").check_card(answer, "maintenance").ok


class _stdin:
    def __init__(self, text: str) -> None:
        self.text = text

    def __enter__(self) -> None:
        import sys
        self.old, sys.stdin = sys.stdin, io.StringIO(self.text)

    def __exit__(self, *exc: object) -> None:
        import sys
        sys.stdin = self.old


# ---------------------------------------------------------------- no daemons: the conversation itself

def _transmit(applet: StaffCardApplet):
    return lambda apdu: sscard.split_response(applet(apdu))


def test_answer_verifies_only_for_its_challenge_and_key() -> None:
    applet = StaffCardApplet(NUMBER)
    answer = staffcard.authenticate(_transmit(applet))
    assert verify_answer(answer, applet.public_key)
    assert not verify_answer(answer, StaffCardApplet(NUMBER).public_key)
    assert not verify_answer(answer, applet.public_key, expected_challenge=secrets.token_bytes(32))
    assert not verify_answer(StaffCardAnswer(NUMBER, secrets.token_bytes(32), answer.signature), applet.public_key)
    assert not verify_answer(answer, b"short")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=80), st.sampled_from([(0xA4, 0x04), (0xCA, 0x01), (0x88, 0x00)]))
def test_any_garbage_answer_raises_a_typed_error_or_is_refused(garbage: bytes, where: tuple[int, int]) -> None:
    applet = StaffCardApplet(NUMBER)
    applet.overrides[where] = garbage
    try:
        answer = staffcard.authenticate(_transmit(applet))
    except sscard.ApduError:
        return
    assert not verify_answer(answer, applet.public_key) or where != (0x88, 0x00)


def test_directory_refuses_bad_registrations(directory) -> None:
    from kiosk.staff import StaffError

    applet = StaffCardApplet(NUMBER)
    with pytest.raises(StaffError, match="add the person first"):
        directory.register_card("77777", applet.public_key)
    with pytest.raises(StaffError, match="32"):
        directory.register_card(NUMBER, b"\x01" * 5)
    directory.add("10023", "482913", ["helper"])
    directory.register_card(NUMBER, applet.public_key)
    with pytest.raises(StaffError, match="another staff number"):
        directory.register_card("10023", applet.public_key)
    directory.add(NUMBER, "594817", ["technician"])  # a new PIN keeps the card
    assert next(m for m in directory.members() if m.number == NUMBER).card_key

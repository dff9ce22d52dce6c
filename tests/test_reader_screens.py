"""The touch UI on the real SAM driver (emulated device on a pty): a failed read or an unknown
card leads to the card-problem screen with a plain message, an expired card to the card-expired
outcome, and a pulled reader shows in the status and comes back."""

from __future__ import annotations

import pytest

from devices import sam_frames as sf
from devices.sam_emulator import Fault, SamEmulatorReader
from kiosk import i18n
from screens.walkthrough import Walker, items, wait_for


@pytest.fixture
def sam_kiosk(qapp, qml_warnings, kiosk_config):
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    config = kiosk_config.with_overrides(reader__driver="sam-emulator", reader__poll_interval=0.03,
                                         reader__exchange_timeout=0.3, reader__read_timeout=0.6,
                                         reader__reconnect_interval=0.05)
    k = build_kiosk(config, demo_control=True, speaker=RecordingSpeaker())
    yield k
    k.close()


def _shown(kiosk, text: str) -> bool:
    return any(item.property("text") == text for item in items(kiosk.window.contentItem()))


def _problem_shows(kiosk, key: str) -> None:
    w = Walker(kiosk)
    w.expect("card_problem")
    assert kiosk.vm.view["message"] == key
    wait_for(lambda: _shown(kiosk, i18n.text(key, "zh-CN")), 5, f"message {key} on screen")


def test_emulated_sam_reader_drives_the_journey(sam_kiosk) -> None:
    reader = sam_kiosk.reader
    assert isinstance(reader, SamEmulatorReader)
    w = Walker(sam_kiosk)
    reader.insert(0)
    w.expect("face_consent")
    reader.remove()
    w.expect("attract")


@pytest.mark.parametrize("sw3", [0x32, 0x40, 0x41])
def test_read_failure_shows_a_plain_message_and_recovers(sam_kiosk, sw3: int) -> None:
    reader = sam_kiosk.reader
    reader.emulator.fail(Fault.STATUS, sf.Command.READ_TEXT_PHOTO, sw3=sw3)
    reader.insert(0)
    _problem_shows(sam_kiosk, sf.sw3_message_key(sw3))
    reader.remove()
    Walker(sam_kiosk).expect("attract")
    reader.insert(1)
    Walker(sam_kiosk).expect("face_consent")


def test_damaged_frame_and_unknown_card_type(sam_kiosk) -> None:
    reader = sam_kiosk.reader
    reader.emulator.fail(Fault.BAD_CHECKSUM, sf.Command.READ_TEXT_PHOTO)
    reader.insert(0)
    _problem_shows(sam_kiosk, "reader_bad_frame")
    reader.remove()
    Walker(sam_kiosk).expect("attract")
    from devices.sam_text import encode_text
    from devices.sim_people import SAMPLE_PEOPLE
    text = bytearray(encode_text(SAMPLE_PEOPLE[0]))
    text[248:250] = "Q".encode("utf-16-le")
    reader.emulator.place(sf.CardRecord(bytes(text), b"\0" * 1024, b""))
    _problem_shows(sam_kiosk, "card_unsupported")


def test_expired_card_shows_card_expired(sam_kiosk) -> None:
    sam_kiosk.reader.insert(5)  # 王芳: valid until 2024-05-01
    _problem_shows(sam_kiosk, "card_expired")


def test_reader_unplugged_and_back(sam_kiosk) -> None:
    vm = sam_kiosk.vm
    wait_for(lambda: vm.readerOk, 5, "reader connected")
    sam_kiosk.reader.unplug()
    wait_for(lambda: not vm.readerOk, 5, "reader lost shown")
    sam_kiosk.reader.replug()
    wait_for(lambda: vm.readerOk, 5, "reader back")
    sam_kiosk.reader.insert(0)
    Walker(sam_kiosk).expect("face_consent")

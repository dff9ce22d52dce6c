"""`kiosk devices`: doctor in plain words, masked output, traces without card data."""

from __future__ import annotations

import dataclasses

import pytest
import serial

from devices.sam_emulator import SamEmulator
from devices.sim_people import SAMPLE_PEOPLE
from devices.vpcd_card import SocialSecurityApplet, VirtualCard
from kiosk.cli import main
from kiosk.cli_devices import check_pcsc
from tests.pcscd_harness import pcscd  # noqa: F401


def test_doctor_missing_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "doctor", "--driver", "sam", "--port", "/dev/ttyNOPE7"]) == 1
    out = capsys.readouterr().out
    assert "/dev/ttyNOPE7 does not exist" in out and "fix:" in out


def test_doctor_busy_port_and_working_reader(capsys: pytest.CaptureFixture[str]) -> None:
    with SamEmulator() as emu:
        assert main(["devices", "doctor", "--driver", "sam", "--port", emu.path]) == 0
        assert "SAM reader answers" in capsys.readouterr().out
        holder = serial.Serial(emu.path, exclusive=True)
        try:
            assert main(["devices", "doctor", "--driver", "sam", "--port", emu.path]) == 1
            assert "busy" in capsys.readouterr().out
        finally:
            holder.close()


def test_doctor_device_that_does_not_answer(capsys: pytest.CaptureFixture[str]) -> None:
    emu = SamEmulator().start()
    try:
        from devices.sam_emulator import Fault
        emu.fail(Fault.NO_REPLY, times=5)
        assert main(["devices", "doctor", "--driver", "sam", "--port", emu.path]) == 1
        assert "does not answer as a SAM reader" in capsys.readouterr().out
    finally:
        emu.stop()


def test_read_masks_personal_data_unless_asked(capsys: pytest.CaptureFixture[str]) -> None:
    person = SAMPLE_PEOPLE[0]
    assert main(["devices", "read", "--driver", "sam-emulator", "--seconds", "10", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "card_presented" in out and "bytes of card data hidden" in out
    for secret in (person.name, person.number, person.address, person.number.encode().hex(" ")):
        assert secret not in out
    assert "1101**********0033" in out
    assert main(["devices", "read", "--driver", "sam-emulator", "--seconds", "10", "--show-personal-data"]) == 0
    assert person.number in capsys.readouterr().out


def test_watch_for_a_while(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["devices", "watch", "--driver", "sam-emulator", "--seconds", "1"]) == 0
    assert "reader_connected" in capsys.readouterr().out


def test_pcsc_doctor_list_and_read(pcscd, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    assert main(["devices", "doctor", "--driver", "pcsc"]) == 0
    assert "pcscd is running and sees 2 reader(s)" in capsys.readouterr().out
    person = SAMPLE_PEOPLE[6]
    doc = dataclasses.replace(person, extra={"card_number": "E99887766", "birthplace": "150102"})
    card = VirtualCard(SocialSecurityApplet(doc), slot=1).insert()
    try:
        pcscd.wait_until_present("Virtual PCD 00 01")
        assert main(["devices", "list", "--port", "/dev/ttyNOPE7"]) == 0
        assert "Virtual PCD 00 01: card present, ATR" in capsys.readouterr().out
        assert main(["devices", "read", "--driver", "pcsc", "--seconds", "10", "--trace"]) == 0
        out = capsys.readouterr().out
        assert "social_security" in out and person.name not in out and person.number not in out
        assert "E99887766" not in out and "rx 90 00" in out
    finally:
        card.remove()
        pcscd.wait_until_empty()


def test_pcsc_doctor_without_pcscd(pcscd) -> None:  # noqa: F811
    pcscd.stop()
    try:
        finding = check_pcsc()
        assert not finding.ok and "not running" in finding.summary and "systemctl" in finding.fix
    finally:
        pcscd.start()

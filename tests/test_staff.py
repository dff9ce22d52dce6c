"""Staff sign-in: provisioning refuses weak PINs, PINs are kept as scrypt hashes, wrong tries
wait longer each time and lock out at the fifth, roles decide what a person may do, and the
manual identity check needs a signed-in 帮办 (the old shared code no longer works)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.journey import Screen
from kiosk.staff import FIRST_LOCKOUT_SECONDS, StaffDirectory, StaffError, pin_problem
from tests.journey_driver import Harness

HELPER, HELPER_PIN = "10023", "482913"
TECH, TECH_PIN = "20045", "731642"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def staff(tmp_path: Path) -> StaffDirectory:
    d = StaffDirectory(tmp_path / "staff.json", clock=Clock())
    d.add(HELPER, HELPER_PIN, ["helper"])
    d.add(TECH, TECH_PIN, ["technician"])
    return d


@pytest.mark.parametrize("pin", ["", "12345", "111111", "123456", "654321", "12a456", "1234567890123", "１２３４５６"])
def test_weak_pins_are_refused(staff: StaffDirectory, pin: str) -> None:
    with pytest.raises(StaffError):
        staff.add("30001", pin, ["helper"])


def test_pin_inside_staff_number_is_refused() -> None:
    assert pin_problem("300019", "1234000999") == "" and pin_problem("300019", "9300019") != ""


@given(st.text(max_size=20))
def test_pin_policy_never_crashes(pin: str) -> None:
    assert isinstance(pin_problem(pin, "12345"), str)


def test_pins_are_stored_as_scrypt_hashes(staff: StaffDirectory) -> None:
    text = staff.path.read_text()
    assert HELPER_PIN not in text and "scrypt$32768$8$1$" in text
    assert staff.path.stat().st_mode & 0o777 == 0o600
    ids = {m.staff_id for m in staff.members()}
    assert all(i.startswith("st-") for i in ids) and HELPER not in "".join(ids)


def test_right_pin_and_role(staff: StaffDirectory) -> None:
    ok = staff.sign_in(HELPER, HELPER_PIN, "manual_check")
    assert ok.ok and ok.staff_id.startswith("st-")
    assert staff.sign_in(HELPER, HELPER_PIN, "maintenance").reason == "staff_not_allowed"
    assert staff.sign_in(TECH, TECH_PIN, "maintenance").ok
    assert staff.sign_in(TECH, TECH_PIN, "manual_check").reason == "staff_not_allowed"


def test_wrong_tries_wait_longer_each_time_then_lock_out(staff: StaffDirectory) -> None:
    clock = staff._clock
    waits = []
    for _ in range(4):
        r = staff.sign_in(HELPER, "999999", "manual_check")
        assert r.reason == "staff_wrong"
        waits.append(r.wait_seconds)
        assert staff.sign_in(HELPER, HELPER_PIN, "manual_check").reason == "staff_wait"  # even the right PIN waits
        clock.now += r.wait_seconds
    assert waits == [1, 2, 4, 8]
    locked = staff.sign_in(HELPER, "999999", "manual_check")
    assert locked.reason == "staff_locked" and locked.locked_now and locked.wait_seconds == FIRST_LOCKOUT_SECONDS
    clock.now += FIRST_LOCKOUT_SECONDS - 1
    assert staff.sign_in(HELPER, HELPER_PIN, "manual_check").reason == "staff_locked"
    clock.now += 1
    # a restarted kiosk remembers: the counts live on disk
    again = StaffDirectory(staff.path, clock=clock)
    for _ in range(5):
        r = again.sign_in(HELPER, "999999", "manual_check")
        clock.now += r.wait_seconds
    assert r.locked_now and r.wait_seconds == 2 * FIRST_LOCKOUT_SECONDS  # the second lockout is longer
    assert again.sign_in(HELPER, HELPER_PIN, "manual_check").ok
    assert not json.loads(again.tries_path.read_text()).get(HELPER)


def test_unknown_numbers_share_one_count(staff: StaffDirectory) -> None:
    r = staff.sign_in("55555", "482913", "manual_check")
    assert r.reason == "staff_wrong" and r.staff_id == ""
    assert staff.sign_in("55556", "482913", "manual_check").reason == "staff_wait"
    assert staff.sign_in(HELPER, HELPER_PIN, "manual_check").ok  # a real person is not locked by strangers


def test_damaged_staff_list_refuses_sign_in(staff: StaffDirectory) -> None:
    staff.path.write_text("{not json")
    assert staff.sign_in(HELPER, HELPER_PIN, "manual_check").reason == "staff_list_missing"


def test_cli_add_list_remove(tmp_path: Path, capsys, monkeypatch) -> None:
    cfg = tmp_path / "k.toml"
    cfg.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n')
    monkeypatch.setattr("sys.stdin", io.StringIO("123\n"))
    assert main(["staff", "add", "30001", "--role", "helper", "--pin-stdin", "--config", str(cfg)]) == 2
    assert "too short" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("583920\n"))
    assert main(["staff", "add", "30001", "--role", "helper", "--role", "technician", "--pin-stdin",
                 "--config", str(cfg)]) == 0
    assert main(["staff", "list", "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "30001" in out and "helper,technician" in out and "583920" not in out
    assert main(["staff", "remove", "30001", "--config", str(cfg)]) == 0
    assert main(["staff", "remove", "30001", "--config", str(cfg)]) == 1


def test_config_has_no_shared_staff_code(capsys) -> None:
    from kiosk.config import SETTINGS
    assert not [k for k in SETTINGS if "staff_code" in k]
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "staff_code" not in out and "2580" not in out


# ------------------------------------------------------------------ the journey


def _harness(staff: StaffDirectory) -> Harness:
    h = Harness()
    h.services.staff = staff
    h.drive_to(Screen.STAFF_CHECK)
    assert h.journey.screen is Screen.STAFF_CHECK
    return h


def test_manual_check_needs_a_signed_in_helper(staff: StaffDirectory) -> None:
    h = _harness(staff)
    h.journey.staff_confirm(HELPER, HELPER_PIN)
    assert h.journey.screen is Screen.SERVICE_MENU
    record = [p for k, p in h.outbox.rows if k == "identity_check"][-1]
    assert record["method"] == "staff" and record["staff_id"].startswith("st-")
    assert h.journey.session.staff_id == record["staff_id"]  # for the platform grant (issue 12)
    assert HELPER not in json.dumps(h.outbox.rows)


def test_shared_code_bypass_no_longer_works(staff: StaffDirectory) -> None:
    """Decline the face check, type the old shared code: refused, whatever goes in the number field."""
    h = _harness(staff)
    for number, pin in (("", "2580"), ("2580", ""), ("2580", "2580"), ("", "")):
        h.journey.staff_confirm(number, pin)
        assert h.journey.screen is Screen.STAFF_CHECK
        staff._clock.now += 60
    assert not [k for k, _ in h.outbox.rows if k == "identity_check"]


def test_technician_cannot_do_the_manual_check(staff: StaffDirectory) -> None:
    h = _harness(staff)
    h.journey.staff_confirm(TECH, TECH_PIN)
    assert h.journey.screen is Screen.STAFF_CHECK
    assert h.journey.session.input_error == "staff_not_allowed"


def test_staff_check_has_a_way_back(staff: StaffDirectory) -> None:
    h = _harness(staff)
    h.journey.back()
    assert h.journey.screen is Screen.FACE_CONSENT


def test_every_try_is_audited(staff: StaffDirectory, tmp_path: Path) -> None:
    from kiosk.audit_log import AuditLog
    from kiosk.audit_trail import AuditTrail

    h = _harness(staff)
    h.services.audit = AuditTrail(AuditLog(tmp_path / "audit", sync=False))
    for _ in range(5):
        h.journey.staff_confirm(HELPER, "999999")
        staff._clock.now += 60
    events = h.services.audit.log.tail()
    assert [e["event"] for e in events].count("staff_sign_in") == 5
    assert events[-1]["event"] == "staff_lockout" and events[-1]["seconds"] == FIRST_LOCKOUT_SECONDS
    assert HELPER not in json.dumps(events) and "999999" not in json.dumps(events)

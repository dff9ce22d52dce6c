"""Whole journeys with every fictitious citizen leave no personal data in logs,
the data directory or the temp directory; sessions are wiped at their end."""

from __future__ import annotations

import tempfile
from pathlib import Path

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.logs import setup_logging
from screens.walkthrough import Walker


def _secrets() -> list[str]:
    out = []
    for p in SAMPLE_PEOPLE:
        out += [p.number, p.name, p.address]
        if p.name_en:
            out.append(p.name_en)
    return [s for s in out if s]


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_journeys_leave_no_personal_data(kiosk, tmp_path: Path) -> None:
    log_file = setup_logging(tmp_path / "state" / "logs", level="DEBUG", stdout=False)
    temp_before = set(Path(tempfile.gettempdir()).iterdir())
    w = Walker(kiosk)
    for index in range(len(SAMPLE_PEOPLE)):
        kiosk.reader.insert(index)
        if index == 5:  # expired card
            w.expect("card_problem")
            w.remove_card()
            continue
        if index == 2:
            w.expect("assist_offer")
            w.click("btn_assistYes")
        w.to_purpose()
        w.print_and_rate("purpose_other")
        assert kiosk.vm.journey.session is None
        assert "greetingName" not in kiosk.vm.view
    # the business path too
    kiosk.reader.insert(6)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    w.wait_for_grant()
    w.click("service_business_certs")
    w.expect("business_choice")  # he represents it: chosen from the grant's list
    w.click("btn_business:")  # ... or typed
    w.type_keys(SAMPLE_BUSINESSES[0]["uscc"])
    w.click("btn_confirm")
    w.expect("cert_list")
    w.remove_card()

    assert log_file.stat().st_size > 0
    secrets = _secrets() + [b["uscc"] for b in SAMPLE_BUSINESSES] + [b["name"] for b in SAMPLE_BUSINESSES]
    state = tmp_path / "state"
    scanned = _files(state)
    assert any(p.name == "outbox.db" for p in scanned)
    new_temp = [p for p in set(Path(tempfile.gettempdir()).iterdir()) - temp_before]
    for path in scanned + [f for t in new_temp for f in (_files(t) if t.is_dir() else [t])]:
        data = path.read_bytes()
        for secret in secrets:
            for encoding in ("utf-8", "utf-16-le", "gb18030"):
                assert secret.encode(encoding) not in data, f"personal data in {path.name}"
        for secret in secrets:
            assert secret not in path.name
    # print-outs are the citizen's paper: only their file names are checked
    for pdf in kiosk.printer.folder.glob("*"):
        assert not any(secret in pdf.name for secret in secrets)

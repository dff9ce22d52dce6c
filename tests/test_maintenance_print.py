"""Maintenance mode printing through the private real cupsd (pytest-qt, offscreen): the readiness
report goes to the document printer on the citizens' printing path, byte for byte; a stopped
queue gives a plain result and an audited failure, and the report can still be saved."""

from __future__ import annotations

import io

import pytest

from devices.sim_staff import TECHNICIAN, provision_demo_staff
from screens.walkthrough import Walker, wait_for
from tests import cups_harness
from tests.cups_harness import CAPTURE_QUEUE, CupsBench

cups_bench_session = cups_harness.cups_bench_session
cups_bench = cups_harness.cups_bench


@pytest.fixture
def cups_kiosk(qapp, qml_warnings, kiosk_config, cups_bench: CupsBench):
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    config = kiosk_config.with_overrides(printer__driver="cups", printer__queue=CAPTURE_QUEUE,
                                         printer__cups_server=cups_bench.socket)
    k = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    provision_demo_staff(k.vm.services.staff)
    yield k
    k.close()


def _to_actions(kiosk) -> Walker:  # noqa: ANN001
    w = Walker(kiosk)
    w.enter_maintenance()
    w.sign_in_staff(TECHNICIAN.number, TECHNICIAN.pin)
    w.maint_settled("home")
    wait_for(lambda: len(kiosk.maint.state["checks"]) == 10, 30, "the checks")
    w.click("btn_maintActions")
    w.maint_settled("actions")
    return w


def _audit(kiosk, action: str) -> dict:  # noqa: ANN001
    def entry() -> dict | None:
        return next((e for e in reversed(kiosk.vm.services.audit.log.tail())
                     if e["event"] == "maintenance" and e.get("action") == action), None)
    wait_for(lambda: entry() is not None, 10, f"audit {action}")
    return entry()


def test_readiness_report_is_printed(cups_kiosk, cups_bench: CupsBench) -> None:
    from pypdf import PdfReader

    w = _to_actions(cups_kiosk)
    w.click("btn_reportPrint")
    wait_for(lambda: cups_kiosk.maint.state["result"] != "", 30, "printed")
    w.maint_settled("actions")
    assert cups_kiosk.maint.result.startswith("readiness report printed")
    assert cups_kiosk.maint.state["result"].startswith("就绪报告已打印")  # the screen speaks the kiosk's language
    job = cups_bench.wait_captured(1)[0].read_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(job)).pages)
    assert "Readiness report" in text and cups_kiosk.vm.services.kiosk_id in text
    assert _audit(cups_kiosk, "readiness_report_print")["staff"] == cups_kiosk.maint.state["staffId"]


def test_stopped_queue_gives_a_plain_result(cups_kiosk, cups_bench: CupsBench) -> None:
    cups_bench.run("cupsdisable", "-r", "maintenance test", CAPTURE_QUEUE)
    w = _to_actions(cups_kiosk)
    w.click("btn_reportPrint")
    wait_for(lambda: cups_kiosk.maint.state["result"] != "", 60, "refused")
    w.maint_settled("actions")
    assert "not printed" in cups_kiosk.maint.result and "USB" in cups_kiosk.maint.result
    assert _audit(cups_kiosk, "readiness_report_print")["result"].startswith("failed")
    assert cups_bench.captured() == []
    w.click("btn_report")  # saving still works
    wait_for(lambda: cups_kiosk.maint.result.startswith("saved"), 30, "saved")

"""Maintenance mode through the real screens (pytest-qt, offscreen, the demo stack): the hidden
gesture, technician-only sign-in, every part's status and self-test, the readiness report, the
support bundle, out of service, restart, and the staff session's idle limit."""

from __future__ import annotations

import json

import pytest

from devices.sim_people import SAMPLE_PEOPLE
from devices.sim_staff import HELPER, TECHNICIAN
from kiosk.doctor import PARTS
from screens.walkthrough import Walker, find, wait_for


def _events(kiosk) -> list[dict]:  # noqa: ANN001
    return kiosk.vm.services.audit.log.tail()


def test_gesture_needs_a_technician(kiosk) -> None:
    w = Walker(kiosk)
    w.enter_maintenance()
    w.sign_in_staff(HELPER.number, HELPER.pin)  # a 帮办 may check citizens, not maintain the kiosk
    wait_for(lambda: kiosk.maint.state.get("signInError") == "staff_not_allowed", 10, "refused")
    assert w.maint_page == "sign_in"
    kiosk.reader.insert(0)  # a citizen's card while the sign-in shows: no session starts
    w.click("btn_staffBack")
    w.expect("attract")
    assert kiosk.vm.journey.session is None
    kiosk.reader.remove()


def test_gesture_is_dead_during_a_citizen_session(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    corner = find(kiosk.window, "maintenanceCorner")
    assert corner is not None and not corner.isEnabled()
    kiosk.maint.enter()  # even called directly
    assert w.screen == "face_consent" and kiosk.maint.model.page == ""
    w.remove_card()


def test_every_part_has_a_status_and_a_self_test(kiosk, tmp_path) -> None:
    w = Walker(kiosk)
    w.sign_in_technician()
    checks = {c["part"]: c for c in kiosk.maint.state["checks"]}
    assert set(checks) == set(PARTS)
    assert all(c["ok"] for c in checks.values()), checks
    for part in PARTS:
        w.click(f"part_{part}")
        w.maint_settled(f"part:{part}")
        assert find(kiosk.window, "partStatus") is not None
        w.click("btn_selfTest")
        if part == "reader":
            wait_for(lambda: kiosk.maint.state["busy"] == "reader", 5, "waiting for the test card")
            kiosk.reader.insert(0)
        wait_for(lambda: kiosk.maint.state["result"] != "", 30, f"{part} self-test")
        w.maint_settled(f"part:{part}")
        result = kiosk.maint.result  # in English; the screen shows it in the kiosk's language
        assert result and kiosk.maint.state["result"], part
        if part == "reader":
            assert result.startswith("test card read: resident_id")
            assert SAMPLE_PEOPLE[0].name not in result and SAMPLE_PEOPLE[0].number not in result
            kiosk.reader.remove()
        if part == "printer":
            assert "test page printed" in result
        if part == "camera":
            assert "frames" in result
        w.click("btn_maintBack")
        w.maint_settled("home")
    pdfs = list(kiosk.printer.folder.glob("*.pdf"))
    assert pdfs, "the test page reached the printer"
    assert kiosk.speaker.spoken, "the speaker test said something"
    assert w.screen == "maintenance" and kiosk.vm.journey.session is None
    actions = [e.get("action") for e in _events(kiosk) if e["event"] == "maintenance"]
    assert {f"self_test:{p}" for p in PARTS} <= set(actions)
    w.click("btn_maintSignOut")
    w.expect("attract")


def test_failed_self_test_says_what_to_do(kiosk) -> None:
    from kiosk.interfaces import PrinterState

    w = Walker(kiosk)
    w.sign_in_technician()
    kiosk.printer.fail_with = PrinterState.OUT_OF_PAPER
    w.click("part_printer")
    w.maint_settled("part:printer")
    w.click("btn_selfTest")
    wait_for(lambda: kiosk.maint.state["result"] != "", 30, "printer self-test")
    assert "fix:" in kiosk.maint.result
    assert kiosk.vm.texts["maint_fix"].split("%1")[0] in kiosk.maint.state["result"]  # 处理方法：… on screen
    kiosk.printer.fail_with = None
    w.click("btn_maintBack")
    w.click("btn_maintSignOut")
    w.expect("attract")


def test_report_bundle_out_of_service_and_restart(kiosk) -> None:
    w = Walker(kiosk)
    w.sign_in_technician()
    w.click("btn_maintActions")
    w.maint_settled("actions")
    w.click("btn_report")
    wait_for(lambda: kiosk.maint.result.startswith("saved readiness-"), 30, "readiness report")
    export = kiosk.maint.config.path("maintenance.export_dir")
    report = next(export.glob("readiness-*.pdf"))
    assert report.read_bytes().startswith(b"%PDF")
    w.maint_settled("actions")
    w.click("btn_bundle")
    wait_for(lambda: kiosk.maint.result.startswith("saved support-"), 30, "support bundle")
    passphrase = kiosk.maint.result.rsplit(": ", 1)[1]
    from kiosk.cli_queue import open_bundle
    bundle = open_bundle(next(export.glob("support-*.kbundle")), passphrase)
    assert bundle["audit_verify"] == "ok" and any(e["event"] == "staff_sign_in" for e in bundle["audit"])
    w.maint_settled("actions")
    w.click("btn_outOfService")
    w.click("btn_maintSignOut")
    w.expect("out_of_service")
    kiosk.reader.insert(0)  # citizens are not taken
    w.expect("out_of_service")
    assert kiosk.vm.journey.session is None
    kiosk.reader.remove()
    restarted = []
    kiosk.maint.restart = lambda: restarted.append(True)
    w.sign_in_technician()
    w.click("btn_maintActions")
    w.maint_settled("actions")
    w.click("btn_outOfService")
    w.click("btn_restart")
    assert restarted == [True]
    w.expect("attract")
    events = [(e["event"], e.get("action")) for e in _events(kiosk)]
    for action in ("readiness_report", "support_bundle", "out_of_service", "back_in_service", "restart_app"):
        assert ("maintenance", action) in events, action
    assert ("staff_sign_out", None) in events
    text = json.dumps(_events(kiosk), ensure_ascii=False)
    assert TECHNICIAN.number not in text and TECHNICIAN.pin not in text


def test_staff_session_ends_after_idle_time(kiosk) -> None:
    clock = [1000.0]
    kiosk.maint.model._clock = lambda: clock[0]
    w = Walker(kiosk)
    w.sign_in_technician()
    clock[0] += kiosk.maint.model.idle_seconds - 1
    kiosk.maint._tick()
    assert w.screen == "maintenance"
    clock[0] += 1
    kiosk.maint._tick()
    w.expect("attract")
    ends = [e for e in _events(kiosk) if e["event"] == "staff_sign_out"]
    assert ends[-1]["reason"] == "idle"


def test_staff_session_ends_after_eight_hours_even_when_busy(kiosk) -> None:
    clock = [1000.0]
    kiosk.maint.model._clock = lambda: clock[0]
    w = Walker(kiosk)
    w.sign_in_technician()
    for _ in range(8 * 60 // 4):
        clock[0] += 240
        kiosk.maint.touch()
        kiosk.maint._tick()
    w.expect("attract")
    assert [e for e in _events(kiosk) if e["event"] == "staff_sign_out"][-1]["reason"] == "total"


def test_unattended_sign_in_goes_away(kiosk) -> None:
    clock = [1000.0]
    kiosk.maint.model._clock = lambda: clock[0]
    w = Walker(kiosk)
    w.enter_maintenance()
    clock[0] += 61
    kiosk.maint._tick()
    w.expect("attract")


@pytest.mark.parametrize("wrong", [1, 5])
def test_maintenance_lockout(kiosk, wrong: int) -> None:
    clock = [1_000_000.0]
    kiosk.vm.services.staff._clock = lambda: clock[0]
    w = Walker(kiosk)
    w.enter_maintenance()
    for n in range(wrong):
        if n == 0:
            w.sign_in_staff(TECHNICIAN.number, "111000")
        else:
            w.type_keys("111000")
            w.click("btn_confirm")
        wait_for(lambda: kiosk.maint.state.get("signInError") not in (None, "staff_checking"), 10, "answer")
        last = dict(kiosk.maint.state)
        kiosk.maint._sign_in = {}
        clock[0] += last["waitSeconds"]
    assert last["signInError"] == ("staff_locked" if wrong == 5 else "staff_wrong")
    assert last["waitSeconds"] == (300 if wrong == 5 else 1)
    w.click("btn_staffBack")
    w.expect("attract")


def test_full_disk_takes_the_kiosk_out_of_service_until_entries_are_written(kiosk) -> None:
    """/dev/full refuses the audit write as a full disk does: the session ends, citizens see the
    out-of-service screen, and once the disk takes writes again the held entries go in first."""
    import os

    from kiosk.audit_log import verify

    w = Walker(kiosk)
    log = kiosk.vm.services.audit.log
    wait_for(lambda: log.live.exists(), 10, "the first audit entry")
    kept = log.live.read_bytes()
    log.live.unlink()
    os.symlink("/dev/full", log.live)
    kiosk.reader.insert(0)
    w.expect("take_card")  # the session ends at once; the card goes back first
    assert kiosk.vm.journey.session is None
    kiosk.reader.remove()
    w.expect("out_of_service")
    assert kiosk.vm.view["outOfService"] == "audit_unavailable"
    assert kiosk.vm.services.audit.unwritten >= 2  # session start and end, held in memory
    log.live.unlink()
    log.live.write_bytes(kept)
    kiosk.vm.audit("disk_freed")
    w.expect("attract")
    events = [e["event"] for e in log.tail()]
    assert events[-1] == "disk_freed" and "session_start" in events and "session_end" in events
    assert verify(log.directory).ok


def test_findings_are_shown_in_the_kiosk_language(kiosk) -> None:
    """kiosk doctor's findings are English on the command line; the maintenance screen shows them in
    the kiosk's language (strings.tsv, all three)."""
    from kiosk import i18n
    from kiosk.doctor import run_checks

    w = Walker(kiosk)
    w.sign_in_technician()
    shown = {c["part"]: c["summary"] for c in kiosk.maint.state["checks"]}
    english = {c.part: str(c.summary) for c in kiosk.maint.checks.values()}
    assert shown["disk"] != english["disk"] and "MB" in shown["disk"] and "剩余" in shown["disk"]
    assert shown["outbox"].endswith("笔等待发送") and english["outbox"].endswith("waiting to be sent")
    checks = run_checks(kiosk.maint.parts, ("speech", "outbox", "audit", "clock"))
    for check in checks:
        for language in i18n.LANGUAGES:
            text = i18n.localise(check.summary, language)
            assert text and "%" not in text and "doctor_" not in text, (check.part, language, text)
    w.click("btn_maintSignOut")


def test_enrolment_is_shown_with_the_kiosk_enrol_hint(kiosk, tmp_path) -> None:
    w = Walker(kiosk)
    w.sign_in_technician()
    w.click("btn_maintActions")
    w.maint_settled("actions")
    shown = find(kiosk.window, "maintEnrolment")
    assert shown is not None and shown.property("visible")
    assert kiosk.maint.state["enrolment"]["ok"] and "演示平台" in shown.property("text")
    kiosk.maint.config = kiosk.maint.config.with_overrides(platform__url="https://platform.example.gov.cn",
                                                           platform__device_key_dir=str(tmp_path / "no-key"))
    kiosk.maint.refresh()  # a real platform, and this kiosk has no device key yet
    wait_for(lambda: kiosk.maint.state["enrolment"].get("ok") is False, 30, "not enrolled")
    w.maint_settled("actions")
    assert "kiosk enrol" in find(kiosk.window, "maintEnrolment").property("text")
    w.click("btn_maintSignOut")


def test_camera_self_test_shows_a_live_picture_then_drops_it(kiosk) -> None:
    w = Walker(kiosk)
    w.sign_in_technician()
    w.click("part_camera")
    w.maint_settled("part:camera")
    shown = kiosk.vm.camera_feed.frames_shown
    w.click("btn_selfTest")
    wait_for(lambda: kiosk.maint.state["busy"] == "camera", 5, "camera test running")
    preview = find(kiosk.window, "maintCameraPreview")
    assert preview is not None and preview.property("visible")
    wait_for(lambda: kiosk.vm.camera_feed.frames_shown > shown + 5, 10, "live frames")
    wait_for(lambda: kiosk.maint.state["result"] != "", 30, "camera self-test")
    w.maint_settled("part:camera")
    assert "face(s) seen" in kiosk.maint.result or "face detection unavailable" in kiosk.maint.result
    gone = find(kiosk.window, "maintCameraPreview")
    assert gone is None or not gone.property("visible")
    assert kiosk.vm.camera_feed.take() is None  # the frames are gone (memory only)
    w.click("btn_maintBack")
    w.maint_settled("home")
    w.click("btn_maintSignOut")

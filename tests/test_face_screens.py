"""The face screens by touch: consent declined, three failures, no usable photo, the live preview,
and the real dlib check behind the screens."""

from __future__ import annotations

import dataclasses

import pytest

from devices.face import samples
from devices.sim_people import SAMPLE_PEOPLE
from devices.sim_staff import HELPER
from kiosk.interfaces import FaceOutcome
from screens.walkthrough import Walker, find, wait_for

ALLOWED_IDENTITY_KEYS = {"verified", "method", "liveness_passed", "at", "kiosk_id"}


def _record_outbox(kiosk) -> list[tuple[str, dict]]:
    """Everything the journey puts into the outbox from now on, audit entries aside (the real SQLite
    outbox still gets it all)."""
    rows: list[tuple[str, dict]] = []
    outbox = kiosk.vm.services.outbox
    enqueue = outbox.enqueue

    def spy(kind: str, payload: dict) -> str:
        if kind != "audit":
            rows.append((kind, payload))
        return enqueue(kind, payload)
    outbox.enqueue = spy
    return rows


def test_declining_consent_leads_to_staff_and_the_journey_continues(kiosk) -> None:
    w = Walker(kiosk)
    rows = _record_outbox(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    for key in ("face_consent_purpose", "face_consent_kept", "face_consent_duration", "face_consent_optional"):
        assert find(kiosk.window, key) is not None, key
    w.click("btn_faceDecline")
    w.expect("staff_check")
    assert kiosk.vm.view["staffCalled"]
    assert kiosk.face.camera.opened == 0, "the camera never turns on without consent"
    w.sign_in_staff(HELPER.number, HELPER.pin)
    w.expect("service_menu")
    w.personal_certs()
    w.expect("cert_list")
    kinds = [k for k, _ in rows]
    assert kinds[:2] == ["help_request", "identity_check"]
    help_payload = rows[0][1]
    assert help_payload["reason"] == "manual_identity_check" and help_payload["screen"] == "face_consent"
    w.remove_card()


def test_three_failures_offer_only_the_alternative(kiosk) -> None:
    w = Walker(kiosk)
    rows = _record_outbox(kiosk)
    kiosk.reader.insert(1)
    w.expect("face_consent")
    kiosk.face.script.extend([FaceOutcome(False, True, 0.8, "face_no_match")] * 3)
    w.click("btn_faceAgree")
    for attempt in (1, 2, 3):
        w.expect("face_failed")
        retry = find(kiosk.window, "btn_faceAgree")
        if attempt < 3:
            assert retry is not None
            w.click("btn_faceAgree")
        else:
            assert retry is None, "after three failures only the staff check is offered"
    w.click("btn_faceDecline")
    w.expect("staff_check")
    identity = [p for k, p in rows if k == "identity_check"]
    assert len(identity) == 3 and all(set(p) == ALLOWED_IDENTITY_KEYS for p in identity)
    assert all(p["method"] == "face" and p["verified"] is False for p in identity)
    w.remove_card()


def test_undecodable_card_photo_goes_straight_to_the_alternative(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    kiosk.face.script.append(FaceOutcome(False, False, None, "face_photo_unavailable"))
    w.click("btn_faceAgree")
    w.expect("face_failed")
    assert find(kiosk.window, "btn_faceAgree") is None, "trying again cannot decode the photo"
    assert kiosk.vm.texts[kiosk.vm.view["message"]] == kiosk.vm.texts["face_photo_unavailable"]
    w.click("btn_faceDecline")
    w.expect("staff_check")
    w.remove_card()


def test_live_preview_reaches_the_screen_and_is_dropped_at_the_decision(kiosk) -> None:
    w = Walker(kiosk)
    kiosk.face.frames_per_prompt = 15  # about 1.5 s of frames at 30 fps
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("face_check")
    wait_for(lambda: kiosk.vm.camera_feed.frames_shown >= 5, 10, "preview frames painted")
    assert find(kiosk.window, "facePreview") is not None
    w.expect("service_menu")
    assert kiosk.vm.camera_feed.take() is None, "no frame is kept after the decision"
    assert kiosk.vm.camera_feed.frames_in >= kiosk.vm.camera_feed.frames_shown
    w.remove_card()


@pytest.fixture
def dlib_kiosk(qapp, qml_warnings, kiosk_config):
    """The kiosk with the real on-device check (dlib) and the simulated camera replaying a face."""
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    config = kiosk_config.with_overrides(face__driver="dlib", face__capture_timeout=5.0,
                                         face__challenge_timeout=5.0)
    k = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    yield k
    k.close()


def test_real_face_check_behind_the_screens(dlib_kiosk) -> None:
    kiosk = dlib_kiosk
    w = Walker(kiosk)
    rows = _record_outbox(kiosk)
    prompts: list[str] = []
    kiosk.vm.promptChanged.connect(lambda: prompts.append(kiosk.vm.facePrompt))
    holder = dataclasses.replace(SAMPLE_PEOPLE[0], photo=samples.card_photo_bytes(), photo_format="jpeg")
    kiosk.reader.insert(holder)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("face_check")
    w.expect("service_menu", timeout=30)
    assert {"face_turn_left", "face_turn_right"} & set(prompts)
    identity = [p for k, p in rows if k == "identity_check"]
    assert identity[-1]["verified"] is True and identity[-1]["liveness_passed"] is True
    assert set(identity[-1]) == ALLOWED_IDENTITY_KEYS
    w.remove_card()
    # A card whose photo is WLT (no decoder): a plain message, no retry, the staff check
    kiosk.reader.insert(dataclasses.replace(SAMPLE_PEOPLE[1], photo=b"WLT" * 400, photo_format="wlt"))
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("face_failed")
    assert kiosk.vm.view["message"] == "face_photo_unavailable" and not kiosk.vm.view["canRetry"]
    w.remove_card()

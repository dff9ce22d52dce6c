"""The dlib face pipeline on public-domain images (scikit-image): match, non-match, prompts, liveness.

The models load once per module (about 0.3 s); every check runs the real detector,
5-point landmarks and ResNet embedding. Frames are generated in memory.
"""

from __future__ import annotations

import dataclasses
import random

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.face import samples
from devices.face.liveness import Challenge, ChallengeTracker, parse_challenges, pose
from devices.face.models import distance, shared_models
from devices.face.photo import card_photo, decode_image
from devices.face.quality import Gates, check_frame
from devices.face.verifier import DlibFaceVerifier, FaceSettings
from devices.sim_people import SAMPLE_PEOPLE
from devices.simulated_camera import SimulatedCamera

FAST = FaceSettings(capture_timeout=2.0, challenge_timeout=2.0)


@pytest.fixture(scope="module")
def models():
    return shared_models()


def _document(photo: bytes = b"", fmt: str = "jpeg"):
    return dataclasses.replace(SAMPLE_PEOPLE[0], photo=photo or samples.card_photo_bytes(), photo_format=fmt)


def _embed_largest(models, rgb: np.ndarray, upsample: int = 0) -> np.ndarray:
    faces = models.detect(rgb, upsample=upsample, min_score=-0.5)
    assert faces, "no face found"
    return models.embed(rgb, faces[0])


def _run(frames, *, challenge: Challenge = Challenge.TURN_LEFT, document=None, settings: FaceSettings = FAST,
         loop: bool = True):
    camera = SimulatedCamera(fps=0, frames=frames, loop=loop)
    verifier = DlibFaceVerifier(camera, dataclasses.replace(settings, challenges=(challenge,)))
    prompts: list[str] = []
    outcome = verifier.verify(document or _document(), prompt=prompts.append)
    return outcome, prompts, camera


def _turn_frames(direction: str) -> list[np.ndarray]:
    return [samples.live_frame()] * 3 + samples.head_move_sequence(direction)


# ------------------------------------------------------------ matching


@pytest.mark.parametrize("fmt", ["jpeg", "bmp"])
def test_live_face_matches_degraded_card_photo(models, fmt: str) -> None:
    card = decode_image(samples.card_photo_bytes(fmt))
    assert card.shape[:2] == (126, 102)
    live = cv2.cvtColor(samples.live_frame(), cv2.COLOR_BGR2RGB)
    d = distance(_embed_largest(models, live), _embed_largest(models, card, upsample=1))
    assert d < FaceSettings().threshold, d


def test_other_faces_do_not_match(models) -> None:
    live = _embed_largest(models, cv2.cvtColor(samples.live_frame(), cv2.COLOR_BGR2RGB))
    impostors = samples.impostor_faces(100)
    dists = []
    for rgb in impostors:
        faces = models.detect(rgb, upsample=1, min_score=-0.5)
        box = faces[0] if faces else None
        if box is None:
            continue
        dists.append(distance(live, models.embed(rgb, box)))
    assert len(dists) >= 90, "the impostor crops should mostly be found as faces"
    assert min(dists) > FaceSettings().threshold, min(dists)


def test_the_mission_patch_is_not_taken_for_the_face(models) -> None:
    """HOG also fires (weakly) on the badge in the astronaut photo: the score threshold drops it."""
    from skimage import data

    all_boxes = models.detect(data.astronaut(), min_score=-0.5)
    kept = models.detect(data.astronaut(), min_score=0.0)
    assert len(all_boxes) == 2 and len(kept) == 1
    assert kept[0].top < 200  # the face, not the patch on the chest


def test_verifier_accepts_the_holder_after_a_head_turn() -> None:
    outcome, prompts, camera = _run(_turn_frames("left"))
    assert outcome.verified and outcome.liveness_passed, outcome
    assert 0 < outcome.score < 0.45
    assert prompts[-1] == "face_turn_left" and "face_hold_still" in prompts
    assert camera.opened == 1 and not camera._open


def test_verifier_refuses_someone_else() -> None:
    document = _document(samples.impostor_card_bytes(3))
    outcome, _, _ = _run(_turn_frames("right"), challenge=Challenge.TURN_RIGHT, document=document)
    assert not outcome.verified and outcome.liveness_passed
    assert outcome.reason == "face_no_match" and outcome.score > 0.45


def test_threshold_is_configurable() -> None:
    strict = dataclasses.replace(FAST, threshold=0.1)
    outcome, _, _ = _run(_turn_frames("left"), settings=strict)
    assert not outcome.verified and outcome.reason == "face_no_match" and isinstance(outcome.score, float)


# ------------------------------------------------------------ card photo


def test_wlt_photo_means_alternative_without_turning_the_camera_on() -> None:
    outcome, prompts, camera = _run(_turn_frames("left"), document=_document(b"\x57\x4c" * 512, "wlt"))
    assert outcome.reason == "face_photo_unavailable" and not outcome.verified
    assert camera.opened == 0 and prompts == []


def test_plugged_wlt_decoder_is_used() -> None:
    camera = SimulatedCamera(fps=0, frames=_turn_frames("left"))
    verifier = DlibFaceVerifier(camera, dataclasses.replace(FAST, challenges=(Challenge.TURN_LEFT,)),
                                wlt_decoder=lambda raw: samples.card_photo_bytes("bmp"))
    outcome = verifier.verify(_document(b"wlt-bytes", "wlt"), prompt=lambda key: None)
    assert outcome.verified


@pytest.mark.parametrize("photo,fmt", [(b"", "jpeg"), (b"\xff\xd8\xff garbage", "jpeg"), (b"BM\x00\x01", "bmp"),
                                       (b"x" * 100, "gif")])
def test_missing_or_broken_photo_is_not_decodable(photo: bytes, fmt: str) -> None:
    doc = dataclasses.replace(SAMPLE_PEOPLE[0], photo=photo, photo_format=fmt)
    assert card_photo(doc) is None


def test_a_card_photo_without_a_face_is_unavailable() -> None:
    ok, grey = cv2.imencode(".jpg", np.full((126, 102, 3), 128, np.uint8))
    outcome, _, camera = _run(_turn_frames("left"), document=_document(grey.tobytes()))
    assert outcome.reason == "face_photo_unavailable" and camera.opened == 0


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_photo_decoder_never_raises_on_garbage(data: bytes) -> None:
    result = decode_image(data)
    assert result is None or result.ndim == 3


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["jpeg", "bmp"]), st.integers(0, 2000))
def test_truncated_card_photo_never_raises(fmt: str, cut: int) -> None:
    data = samples.card_photo_bytes(fmt)
    doc = dataclasses.replace(SAMPLE_PEOPLE[0], photo=data[:cut], photo_format=fmt)
    card_photo(doc)


# ------------------------------------------------------------ guided capture


@pytest.mark.parametrize("make,prompt", [
    (samples.blank_frame, "face_center"),
    (samples.two_faces_frame, "face_one_person"),
    (samples.blurred_frame, "face_hold_still"),
    (samples.dark_frame, "face_more_light"),
    (samples.small_face_frame, "face_move_closer"),
    (samples.live_frame, None),
])
def test_quality_gates_give_the_right_prompt(models, make, prompt) -> None:
    verifier = DlibFaceVerifier(SimulatedCamera(), FAST)
    grey = cv2.cvtColor(make(), cv2.COLOR_BGR2GRAY)
    assert check_frame(grey, verifier._faces(models, grey), Gates()) == prompt


def test_off_centre_face_is_asked_to_move(models) -> None:
    frame = np.roll(samples.live_frame(), 200, axis=1)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    assert check_frame(grey, models.detect(grey), Gates()) == "face_center"


def test_dark_frames_time_out_with_a_light_prompt() -> None:
    outcome, prompts, camera = _run([samples.dark_frame()], settings=dataclasses.replace(FAST, capture_timeout=0.5))
    assert "face_more_light" in prompts
    assert outcome.reason == "face_capture_timeout" and not outcome.verified and not camera._open


def test_no_face_at_all_says_so() -> None:
    outcome, prompts, _ = _run([samples.blank_frame()], settings=dataclasses.replace(FAST, capture_timeout=0.3))
    assert outcome.reason == "face_no_face" and prompts == ["face_center"]


def test_camera_fault_mid_check_is_a_plain_outcome() -> None:
    camera = SimulatedCamera(fps=0, frames=_turn_frames("left"))
    camera.fail_after = 5
    verifier = DlibFaceVerifier(camera, FAST)
    outcome = verifier.verify(_document(), prompt=lambda key: None)
    assert outcome.reason == "face_camera_lost" and not outcome.verified
    missing = DlibFaceVerifier(SimulatedCamera(missing=True), FAST).verify(_document(), prompt=lambda k: None)
    assert missing.reason == "face_camera_missing"


# ------------------------------------------------------------ liveness


@pytest.mark.parametrize("challenge", [Challenge.TURN_LEFT, Challenge.TURN_RIGHT])
def test_held_up_photo_fails_the_turn_challenge(challenge: Challenge) -> None:
    frames = [samples.live_frame()] * 3 + samples.held_photo_sequence(60)
    outcome, prompts, _ = _run(frames, challenge=challenge, settings=dataclasses.replace(FAST, challenge_timeout=1.5))
    assert not outcome.liveness_passed and not outcome.verified
    assert outcome.reason == "face_liveness_failed" and outcome.score is None
    assert prompts[-1] == challenge.prompt


def test_identical_still_frames_fail_the_turn_challenge() -> None:
    outcome, _, _ = _run([samples.live_frame()], settings=dataclasses.replace(FAST, challenge_timeout=0.5))
    assert outcome.reason == "face_liveness_failed"


def test_turning_the_wrong_way_fails() -> None:
    outcome, _, _ = _run(_turn_frames("right"), challenge=Challenge.TURN_LEFT, loop=False)
    assert not outcome.liveness_passed


def test_synthesized_head_turns_pass(models) -> None:
    """Nose-region warps (the geometry of a turn) seen through the real detector and landmarks."""
    for direction, challenge in (("left", Challenge.TURN_LEFT), ("right", Challenge.TURN_RIGHT)):
        tracker = ChallengeTracker(challenge, turn_ratio=FaceSettings().turn_ratio)
        passed = False
        for frame in samples.head_move_sequence(direction):
            grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
            passed = tracker.feed(models.landmarks(grey, models.detect(grey)[0])) or passed
        assert passed, (direction, tracker.peak)


def test_swapping_the_face_mid_challenge_fails() -> None:
    """The movement must belong to one continuous face: a jump to another place breaks it."""
    moved = np.roll(samples.live_frame(), 150, axis=1)
    frames = [samples.live_frame()] * 5 + [moved] * 3 + samples.head_move_sequence("left")
    outcome, _, _ = _run(frames, loop=False)
    assert outcome.reason in ("face_liveness_failed", "face_camera_ended") and not outcome.verified


def _points(yaw: float, pitch: float, eye: float = 80.0, angle: float = 0.0) -> np.ndarray:
    """5 landmarks with a given nose offset (in eye distances), optionally rotated in the image plane."""
    left, right = np.array([-eye / 2, 0.0]), np.array([eye / 2, 0.0])
    pts = np.array([right + (10, 0), right - (10, 0), left - (10, 0), left + (10, 0), (yaw * eye, pitch * eye)])
    c, s = np.cos(angle), np.sin(angle)
    return pts @ np.array([[c, s], [-s, c]]) + (320, 240)


def test_pose_is_independent_of_size_position_and_roll() -> None:
    for eye, angle in ((40, 0.0), (120, 0.3), (80, -0.5)):
        yaw, pitch = pose(_points(0.12, 0.7, eye, angle))
        assert yaw == pytest.approx(0.12) and pitch == pytest.approx(0.7)


def test_tracker_geometry_on_landmark_sequences() -> None:
    rest = [_points(0.01, 0.7)] * 3
    left = ChallengeTracker(Challenge.TURN_LEFT)
    assert not any(left.feed(p) for p in rest + [_points(0.05, 0.7)])
    assert left.feed(_points(0.13, 0.7))
    right = ChallengeTracker(Challenge.TURN_RIGHT)
    assert not any(right.feed(p) for p in rest + [_points(0.2, 0.7)])  # the wrong way
    assert right.feed(_points(-0.1, 0.7))
    nod = ChallengeTracker(Challenge.NOD)
    assert not any(nod.feed(p) for p in rest + [_points(0.01, 0.65)])
    assert nod.feed(_points(0.01, 0.55))


def test_challenge_is_random_and_parsed_from_config() -> None:
    assert parse_challenges("turn_left, nod") == (Challenge.TURN_LEFT, Challenge.NOD)
    with pytest.raises(ValueError):
        parse_challenges("jump")
    picks = {random.Random(seed).sample(list(Challenge), 1)[0] for seed in range(30)}
    assert picks == set(Challenge)


# ------------------------------------------------------------ config


def test_drivers_are_chosen_by_config() -> None:
    from devices.camera import OpenCVCamera
    from devices.face.factory import build_camera, build_face
    from devices.simulated_face import SimulatedFaceVerifier
    from kiosk.config import Config, ConfigError

    config = Config()
    assert isinstance(build_face(config, build_camera(config)), SimulatedFaceVerifier)  # the demo default
    real = config.with_overrides(camera__driver="opencv", camera__source="/dev/video0", face__driver="dlib",
                                 face__threshold=0.4, face__challenges="nod")
    camera = build_camera(real)
    verifier = build_face(real, camera)
    assert isinstance(camera, OpenCVCamera) and camera.source.kind == "device"
    assert isinstance(verifier, DlibFaceVerifier) and verifier.settings.threshold == 0.4
    assert verifier.settings.challenges == (Challenge.NOD,)
    with pytest.raises(ConfigError, match="platform"):
        build_face(config.with_overrides(face__platform_photo=True), camera)
    with pytest.raises(ConfigError, match="challenges"):
        build_face(config.with_overrides(face__challenges="wink"), camera)


def test_embedding_in_a_helper_process_matches_and_survives_a_crash(models) -> None:
    from devices.face.embed_process import ProcessModels

    rgb = cv2.cvtColor(samples.live_frame(), cv2.COLOR_BGR2RGB)
    face = models.detect(rgb)[0]
    process = ProcessModels(models)
    try:
        process.start()
        assert distance(process.embed(rgb, face), models.embed(rgb, face)) < 1e-6
        process._proc.kill()
        process._proc.join()
        assert distance(process.embed(rgb, face), models.embed(rgb, face)) < 1e-6  # done here this once
        assert distance(process.embed(rgb, face), models.embed(rgb, face)) < 1e-6  # a new child
        assert process._proc.is_alive()
    finally:
        process.close()
    assert process._proc is None

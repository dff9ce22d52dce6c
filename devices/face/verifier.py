"""DlibFaceVerifier: guided capture, challenge-response liveness and matching against the card photo.

One check: decode the card photo (or give up at once with a plain message), open the
camera, guide the person until a few good frontal frames follow each other, embed that
face, ask for one or more random head movements and follow them frame by frame, then
decide. Frames and embeddings stay in local variables of this call and are dropped (the
embeddings zeroed) before it returns; only the FaceOutcome leaves.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np

from devices.face.liveness import Challenge, ChallengeTracker, parse_challenges, pose
from devices.face.models import Detection, FaceModels, distance, shared_models
from devices.face.photo import WltDecoder, card_photo
from devices.face.quality import Gates, check_frame
from kiosk.identity import IdentityDocument
from kiosk.interfaces import Camera, CameraError, FaceOutcome, Frame

log = logging.getLogger("kiosk.face")


@dataclass(frozen=True)
class FaceSettings:
    threshold: float = 0.45  # largest embedding distance accepted as the same person
    gates: Gates = field(default_factory=Gates)
    challenges: tuple[Challenge, ...] = (Challenge.TURN_LEFT, Challenge.TURN_RIGHT)
    challenge_count: int = 1
    turn_ratio: float = 0.10
    nod_ratio: float = 0.12
    steady_frames: int = 3  # good frontal frames in a row before the face is taken
    capture_timeout: float = 20.0  # seconds of guidance before giving up
    challenge_timeout: float = 8.0  # seconds for each head movement
    max_gap: int = 5  # frames without the face tolerated during a movement
    detect_width: int = 640  # larger frames are scaled down for detection
    min_score: float = 0.0  # HOG score below which a detection is ignored


def settings_from(config: object) -> FaceSettings:
    """FaceSettings from the face.* keys of a kiosk Config."""
    return FaceSettings(
        threshold=config["face.threshold"],
        gates=Gates(min_face=config["face.min_face_ratio"], min_brightness=config["face.min_brightness"],
                    min_sharpness=config["face.min_sharpness"]),
        challenges=parse_challenges(config["face.challenges"]),
        challenge_count=config["face.challenge_count"],
        turn_ratio=config["face.turn_ratio"],
        capture_timeout=config["face.capture_timeout"],
        challenge_timeout=config["face.challenge_timeout"],
        min_score=config["face.min_score"],
    )


class _Failed(Exception):
    def __init__(self, reason: str, liveness: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.liveness = liveness


def frame_array(frame: Frame) -> np.ndarray | None:
    """A Frame's BGR bytes as an array (no copy), or None when the sizes do not add up."""
    if frame.width <= 0 or frame.height <= 0 or len(frame.data) != frame.width * frame.height * 3:
        return None
    return np.frombuffer(frame.data, dtype=np.uint8).reshape(frame.height, frame.width, 3)


class DlibFaceVerifier:
    """The FaceVerifier behind face.driver = "dlib"."""

    def __init__(self, camera: Camera, settings: FaceSettings | None = None, *,
                 models: Callable[[], FaceModels] = shared_models, wlt_decoder: WltDecoder | None = None,
                 rng: random.Random | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.camera = camera
        self.settings = settings or FaceSettings()
        self._models = models
        self.wlt_decoder = wlt_decoder
        self._rng = rng or random.SystemRandom()
        self._clock = clock

    def preload(self) -> None:
        """Load the models now (about 0.5 s) so the first check does not wait for them."""
        self._models()

    def close(self) -> None:
        """Stop the embedding helper process, if there is one."""
        close = getattr(self._models, "close", None)
        if close is not None:
            close()

    # ------------------------------------------------------------ the check

    def verify(self, document: IdentityDocument, *, prompt: Callable[[str], None]) -> FaceOutcome:
        reference = card_photo(document, wlt_decoder=self.wlt_decoder)
        if reference is None:
            log.info("face check skipped", extra={"event": "face_check", "reason": "photo_unavailable"})
            return FaceOutcome(verified=False, liveness_passed=False, reason="face_photo_unavailable")
        models = self._models()
        ref_faces = models.detect(reference, upsample=1, min_score=-0.5)
        if not ref_faces:
            return FaceOutcome(verified=False, liveness_passed=False, reason="face_photo_unavailable")
        ref_vec = models.embed(reference, ref_faces[0])
        del reference
        say = _Prompter(prompt)
        try:
            self.camera.open()
            try:
                score = self._capture_and_compare(models, say, ref_vec)
                self._liveness(models, say)
            finally:
                self.camera.close()
        except CameraError as exc:
            log.warning("camera fault", extra={"event": "camera_fault", "kind": exc.kind})
            return FaceOutcome(verified=False, liveness_passed=False, reason=exc.message_key)
        except _Failed as exc:
            return FaceOutcome(verified=False, liveness_passed=exc.liveness, reason=exc.reason)
        finally:
            ref_vec.fill(0.0)
        verified = score <= self.settings.threshold
        return FaceOutcome(verified=verified, liveness_passed=True, score=round(score, 3),
                           reason="" if verified else "face_no_match")

    # ------------------------------------------------------------ frames

    def _next(self) -> np.ndarray | None:
        frame = self.camera.read()
        if frame is None:
            raise CameraError("lost")
        return frame_array(frame)

    def _faces(self, models: FaceModels, grey: np.ndarray) -> list[Detection]:
        """Faces above the score threshold, largest first, in full-frame coordinates."""
        h, w = grey.shape[:2]
        scale = min(1.0, self.settings.detect_width / w)
        small = grey if scale == 1.0 else cv2.resize(grey, (round(w * scale), round(h * scale)),
                                                     interpolation=cv2.INTER_AREA)
        found = models.detect(small, min_score=self.settings.min_score)
        if scale != 1.0:
            found = [Detection(round(d.left / scale), round(d.top / scale), round(d.right / scale),
                               round(d.bottom / scale), d.score) for d in found]
        found.sort(key=lambda d: d.width, reverse=True)
        # Faces much smaller than the main one are people passing behind: ignore them.
        return [d for d in found if d is found[0] or d.width >= 0.6 * found[0].width]

    def _capture_and_compare(self, models: FaceModels, say: _Prompter, ref_vec: np.ndarray) -> float:
        """Guide until steady_frames good frontal frames in a row; embed the last, return its distance."""
        deadline = self._clock() + self.settings.capture_timeout
        good = 0
        seen_face = False
        say("face_center")
        while self._clock() < deadline:
            bgr = self._next()
            if bgr is None:
                continue
            grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            faces = self._faces(models, grey)
            seen_face = seen_face or bool(faces)
            key = check_frame(grey, faces, self.settings.gates)
            if key is None:
                yaw, _ = pose(models.landmarks(grey, faces[0]))
                if abs(yaw) > self.settings.gates.max_yaw:
                    key = "face_look_straight"
            if key is not None:
                good = 0
                say(key)
                continue
            good += 1
            say("face_hold_still")
            if good >= self.settings.steady_frames:
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                live_vec = models.embed(rgb, faces[0])
                del rgb, bgr, grey
                score = distance(live_vec, ref_vec)
                live_vec.fill(0.0)
                return score
        raise _Failed("face_capture_timeout" if seen_face else "face_no_face")

    def _liveness(self, models: FaceModels, say: _Prompter) -> None:
        """Ask for challenge_count different random movements; each must be seen, face continuous."""
        count = max(1, min(self.settings.challenge_count, len(self.settings.challenges)))
        for challenge in self._rng.sample(list(self.settings.challenges), count):
            tracker = ChallengeTracker(challenge, turn_ratio=self.settings.turn_ratio,
                                       nod_ratio=self.settings.nod_ratio)
            say(challenge.prompt)
            if not self._follow(models, tracker):
                log.info("liveness failed", extra={"event": "face_liveness", "challenge": challenge.value,
                                                   "peak": round(tracker.peak, 3)})
                raise _Failed("face_liveness_failed")

    def _follow(self, models: FaceModels, tracker: ChallengeTracker) -> bool:
        deadline = self._clock() + self.settings.challenge_timeout
        previous: Detection | None = None
        gap = 0
        while self._clock() < deadline:
            bgr = self._next()
            if bgr is None:
                continue
            grey = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
            faces = self._faces(models, grey)
            if not faces:
                gap += 1
                if gap > self.settings.max_gap:
                    return False
                continue
            if len(faces) > 1 or (previous is not None and faces[0].iou(previous) < 0.3):
                return False  # someone else, or a different picture: the movement must be one face's
            gap = 0
            previous = faces[0]
            if tracker.feed(models.landmarks(grey, faces[0])):
                return True
        return False


class _Prompter:
    """Passes a prompt key on only when it changes."""

    def __init__(self, prompt: Callable[[str], None]) -> None:
        self._prompt = prompt
        self.last = ""

    def __call__(self, key: str) -> None:
        if key != self.last:
            self.last = key
            self._prompt(key)

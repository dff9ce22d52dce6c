"""Challenge-response liveness from 5-point landmark geometry across frames.

The base of the nose sits in front of the eyes. When a head turns, the nose moves
sideways relative to the midpoint between the eyes; when it nods, the nose-to-eye
distance changes. Both are measured in units of the eye distance, so they do not
depend on how far away the face is.

A flat photo held up to the camera moves as one plane: shifting, rotating, scaling it or
tilting it about its vertical axis keeps the nose offset ratio (``yaw``) unchanged under
weak perspective, so a turn challenge fails. Tilting a photo about its horizontal axis
does change ``pitch`` like a nod, which is why nodding is not in the default challenge set.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class Challenge(enum.Enum):
    TURN_LEFT = "turn_left"  # the person's own left: the nose moves to image right (unmirrored camera)
    TURN_RIGHT = "turn_right"
    NOD = "nod"

    @property
    def prompt(self) -> str:
        return f"face_{self.value}"


def _eyes(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the two eyes, ordered left to right in the image."""
    a = points[0:2].mean(axis=0)
    b = points[2:4].mean(axis=0)
    return (a, b) if a[0] <= b[0] else (b, a)


def pose(points: np.ndarray) -> tuple[float, float]:
    """(yaw, pitch) of a face from its 5 landmarks.

    yaw: nose offset along the eye line from the eye midpoint, over the eye distance
    (0 facing the camera, > 0 the nose towards the image right).
    pitch: nose distance below the eye line, over the eye distance (about 0.7 facing the camera).
    """
    left, right = _eyes(points)
    eye = right - left
    length = float(np.hypot(*eye))
    if length < 1e-6:
        return 0.0, 0.0
    offset = points[4] - (left + right) / 2
    normal = np.array([-eye[1], eye[0]]) / length
    return float(offset @ eye) / length**2, float(offset @ normal) / length


@dataclass
class ChallengeTracker:
    """Follows one challenge frame by frame.

    The first ``baseline_frames`` frames (facing the camera) set the resting pose; the
    challenge passes when the pose moves by at least the threshold in the asked direction.
    """

    challenge: Challenge
    turn_ratio: float = 0.08
    nod_ratio: float = 0.12
    baseline_frames: int = 3
    _rest: list[tuple[float, float]] = field(default_factory=list)
    peak: float = 0.0  # the largest movement seen in the asked direction

    def feed(self, points: np.ndarray) -> bool:
        """Add one frame's landmarks; True once the challenge is met."""
        yaw, pitch = pose(points)
        if len(self._rest) < self.baseline_frames:
            self._rest.append((yaw, pitch))
            return False
        rest_yaw = float(np.median([r[0] for r in self._rest]))
        rest_pitch = float(np.median([r[1] for r in self._rest]))
        if self.challenge is Challenge.TURN_LEFT:
            moved, need = yaw - rest_yaw, self.turn_ratio
        elif self.challenge is Challenge.TURN_RIGHT:
            moved, need = rest_yaw - yaw, self.turn_ratio
        else:
            moved, need = abs(pitch - rest_pitch), self.nod_ratio
        self.peak = max(self.peak, moved)
        return moved >= need

    @property
    def passed(self) -> bool:
        need = self.nod_ratio if self.challenge is Challenge.NOD else self.turn_ratio
        return self.peak >= need


def parse_challenges(text: str) -> tuple[Challenge, ...]:
    """'turn_left,turn_right' -> challenges; unknown names raise ValueError."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ValueError("no liveness challenges configured")
    return tuple(Challenge(n) for n in names)

"""dlib models: HOG face detector, 5-point landmarks, 128-d ResNet embedding.

The model files come with the `face_recognition_models` package (CC0). The 68-point
landmark model in that package is not used (its training data has its own licence).
Models load once per process (about 0.3 s) and are shared; dlib objects are safe to call
from one thread at a time, so each call takes a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

_lock = threading.Lock()
_shared: FaceModels | None = None


@dataclass(frozen=True)
class Detection:
    """A face box in pixel coordinates of the image it was found in, with the HOG score."""

    left: int
    top: int
    right: int
    bottom: int
    score: float

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def centre(self) -> tuple[float, float]:
        return (self.left + self.right) / 2, (self.top + self.bottom) / 2

    def iou(self, other: Detection) -> float:
        w = min(self.right, other.right) - max(self.left, other.left)
        h = min(self.bottom, other.bottom) - max(self.top, other.top)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        area = (self.right - self.left) * (self.bottom - self.top) + (other.right - other.left) * (
            other.bottom - other.top)
        return inter / (area - inter)


class FaceModels:
    """The three dlib models behind one lock."""

    def __init__(self) -> None:
        import dlib
        import face_recognition_models as frm

        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._shape = dlib.shape_predictor(frm.pose_predictor_five_point_model_location())
        self._embedder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())
        self._lock = threading.Lock()

    def detect(self, image: np.ndarray, *, upsample: int = 0, min_score: float = 0.0) -> list[Detection]:
        """Faces in a grey or RGB uint8 image with a HOG score >= min_score, best first."""
        with self._lock:
            rects, scores, _ = self._detector.run(image, upsample, min_score)
        found = [Detection(r.left(), r.top(), r.right(), r.bottom(), float(s))
                 for r, s in zip(rects, scores, strict=True)]
        return sorted(found, key=lambda d: d.score, reverse=True)

    def _rect(self, d: Detection) -> object:
        return self._dlib.rectangle(d.left, d.top, d.right, d.bottom)

    def landmarks(self, image: np.ndarray, face: Detection) -> np.ndarray:
        """The 5 landmarks (two corners of each eye, base of the nose) as a (5, 2) float array."""
        with self._lock:
            shape = self._shape(image, self._rect(face))
        return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)

    def embed(self, rgb: np.ndarray, face: Detection) -> np.ndarray:
        """128-d embedding of the face, aligned with the 5 landmarks. Holds the GIL ~60-75 ms."""
        with self._lock:
            shape = self._shape(rgb, self._rect(face))
            vector = self._embedder.compute_face_descriptor(rgb, shape)
        return np.asarray(vector, dtype=np.float64)


def shared_models() -> FaceModels:
    """The process-wide models, loaded on first use."""
    global _shared
    with _lock:
        if _shared is None:
            _shared = FaceModels()
        return _shared


def distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two embeddings (dlib's measure; same person is usually < 0.6)."""
    return float(np.linalg.norm(a - b))

"""The ResNet embedding in a helper process, so it never stalls the UI.

dlib's compute_face_descriptor holds Python's GIL for its whole ~76 ms forward pass; in the
kiosk process that freezes the UI thread twice per check. Here a spawned child loads the
models once and embeds on request. Frames travel through an OS pipe (memory only, never a
file); the child keeps nothing between requests.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from typing import Any

import numpy as np

from devices.face.models import Detection, FaceModels, shared_models

log = logging.getLogger("kiosk.face")


def _serve(conn: Any) -> None:
    """The child: load the models, then embed (shape, pixels, box) requests until None arrives."""
    models = FaceModels()
    conn.send("ready")
    while True:
        try:
            request = conn.recv()
        except EOFError:
            return
        if request is None:
            return
        shape, pixels, box = request
        rgb = np.frombuffer(pixels, dtype=np.uint8).reshape(shape)
        vector = models.embed(rgb, Detection(*box, score=0.0))
        del rgb, pixels, request
        conn.send_bytes(vector.tobytes())
        vector.fill(0.0)


class ProcessModels:
    """FaceModels with detection and landmarks here (they release the GIL) and embedding in a child."""

    def __init__(self, local: FaceModels | None = None, *, start_timeout: float = 60.0) -> None:
        self.local = local or shared_models()
        self._timeout = start_timeout
        self._lock = threading.Lock()
        self._conn: Any = None
        self._proc: Any = None

    def start(self) -> None:
        with self._lock:
            self._start()

    def _start(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child,), name="kiosk-face-embed", daemon=True)
        proc.start()
        child.close()
        if not parent.poll(self._timeout) or parent.recv() != "ready":
            proc.kill()
            raise RuntimeError("face embedding process did not start")
        self._conn, self._proc = parent, proc

    def detect(self, image: np.ndarray, *, upsample: int = 0, min_score: float = 0.0) -> list[Detection]:
        return self.local.detect(image, upsample=upsample, min_score=min_score)

    def landmarks(self, image: np.ndarray, face: Detection) -> np.ndarray:
        return self.local.landmarks(image, face)

    def embed(self, rgb: np.ndarray, face: Detection) -> np.ndarray:
        with self._lock:
            self._start()
            try:
                self._conn.send((rgb.shape, np.ascontiguousarray(rgb).tobytes(),
                                 (face.left, face.top, face.right, face.bottom)))
                data = self._conn.recv_bytes()
            except (EOFError, OSError):  # the child died: embed here this once, restart next time
                log.warning("face embedding process lost", extra={"event": "face_embed_process"})
                self._proc = None
                return self.local.embed(rgb, face)
        return np.frombuffer(data, dtype=np.float64).copy()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._conn.send(None)
                except OSError:
                    pass
                self._conn.close()
            if self._proc is not None:
                self._proc.join(timeout=2)
                if self._proc.is_alive():
                    self._proc.kill()
            self._conn = self._proc = None


def process_models_loader() -> Any:
    """A `models` callable for DlibFaceVerifier: ProcessModels, started on first use."""
    lock = threading.Lock()
    made: list[ProcessModels] = []

    def load() -> ProcessModels:
        with lock:
            if not made:
                models = ProcessModels()
                models.start()
                made.append(models)
            return made[0]
    load.close = lambda: made[0].close() if made else None  # type: ignore[attr-defined]
    return load

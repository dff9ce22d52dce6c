"""The parts of a terminal the attract screen does not need, built right after the first frame.

The outbox (SQLite, sqlite_utils, numpy), the platform client (requests), the printers
(CUPS, ESC/POS), the camera and face verifier (OpenCV, dlib) and, in the demo, the local
reference platform and the in-process sync engine cost hundreds of milliseconds to import
and open. Each one is a ``Deferred``: the app checks their settings before the first frame,
and ``Backend.warm()`` builds them on a thread of their own once the attract screen is
painted. A part asked for earlier (a test, a fast citizen) is built on the spot.
tests/test_startup_imports.py keeps these imports off the start-up path.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from devices.face.factory import camera_builder, face_builder
from kiosk.config import Config
from kiosk.deferred import Deferred, built
from printing.factory import printer_builder, receipt_builder

log = logging.getLogger("kiosk.backend")


class Backend:
    """Outbox, platform, printers, face verifier and (demo) local platform and sync thread."""

    def __init__(self, config: Config, *, on_face: Callable[[Any], None] | None = None) -> None:
        self.config = config
        self.on_face = on_face  # called once with the built verifier (e.g. to wire the preview)
        build_printer, build_receipts = printer_builder(config), receipt_builder(config)
        build_camera, build_face = camera_builder(config), face_builder(config)
        self.server = None if config["platform.url"] else Deferred(_local_platform, "local platform")
        # The demo enrols itself once against its local platform; a real kiosk was enrolled by `kiosk enrol`.
        self.enrolment = None if self.server is None else Deferred(self._local_enrolment, "enrolment")
        self.outbox = Deferred(self._open_outbox, "outbox")
        self.platform = Deferred(self._client, "platform client")
        self.printer = Deferred(build_printer, "printer")
        self.receipts = None if config["receipt.driver"] == "none" else Deferred(build_receipts, "receipts")
        self.face = Deferred(lambda: self._face(build_face, build_camera), "face verifier")
        self.camera = Deferred(lambda: self.face.get().camera, "camera")  # the face verifier's, shared
        self.sync_thread: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def url(self) -> str:
        """The platform's address: configured, or the local reference platform's (started on demand)."""
        return self.config["platform.url"] or self.server.url

    def device_key(self) -> Any:
        """The demo's key from its local enrolment, or None (the client finds the enrolled key itself)."""
        return self.enrolment.device_key() if self.enrolment is not None else None

    def _local_enrolment(self) -> Any:
        from sync.enrolment import LocalEnrolment

        return LocalEnrolment(self.server.get(), self.config)

    def _open_outbox(self) -> Any:
        from sync.service import limits_from, outbox_path
        from sync.store import ManagedOutbox

        # The GUI only writes; the engine (its own process, or a thread in the demo) delivers.
        return ManagedOutbox(outbox_path(self.config), limits=limits_from(self.config), recover=False)

    def _client(self) -> Any:
        from sync.platform_client import client_from_config  # requests is slow to import

        return client_from_config(self.url(), self.config, device_key=self.device_key())

    def _face(self, build_face: Callable[[Any], Any], build_camera: Callable[[], Any]) -> Any:
        face = build_face(build_camera())
        if self.on_face is not None:
            self.on_face(face)
        return face

    # ------------------------------------------------------------ after the first frame

    @property
    def warming(self) -> bool:
        """True once warm() was called (the first frame is painted)."""
        return self._thread is not None

    def warm(self) -> None:
        """Build every part on a background thread (once); returns at once."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._warm, name="kiosk-warm", daemon=True)
            self._thread.start()

    def _warm(self) -> None:
        steps: list[tuple[str, Callable[[], Any]]] = [
            ("outbox", self.outbox.get), ("printer", self.printer.get),
            ("face", self.face.get), ("platform", self.platform.get)]
        if self.server is not None:
            steps.insert(1, ("local_platform", self.server.get))
        if self.receipts is not None:
            steps.append(("receipts", self.receipts.get))
        steps.append(("face_models", lambda: getattr(self.face.get(), "preload", lambda: None)()))
        if self.config["sync.in_process"]:
            steps.append(("sync", self._start_sync))
        for name, step in steps:
            if self._stop.is_set():
                return
            try:
                step()
            except Exception as exc:  # built again on first use; that use reports it plainly
                log.error("start-up part failed", extra={"event": "warm_error", "part": name,
                                                         "error": type(exc).__name__})

    def _start_sync(self) -> None:
        from sync.service import EngineThread
        from sync.service import make_client as make_sync_client

        thread = EngineThread(self.config, lambda: make_sync_client(self.config, self.url(), self.device_key()))
        if not self._stop.is_set():
            self.sync_thread = thread
            thread.start()

    def close(self) -> None:
        """Stop what was started; never builds a part only to close it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(30.0)
        if self.sync_thread is not None:
            self.sync_thread.stop()
        face = built(self.face)
        if face is not None and hasattr(face, "close"):
            face.close()  # the face-embedding helper process
        for part in (self.platform, self.server, self.outbox):
            obj = built(part) if part is not None else None
            if obj is None:
                continue
            closer = getattr(obj, "stop" if part is self.server else "close", None)
            if closer is not None:
                closer()


def _local_platform() -> Any:
    from refplatform.server import PlatformServer  # the demo's reference platform

    server = PlatformServer("127.0.0.1", 0)
    server.start()
    return server

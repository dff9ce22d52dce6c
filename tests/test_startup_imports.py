"""Structural guard for cold start: nothing heavy is imported before the first frame.

A fresh interpreter builds the kiosk the way `kiosk run` / `kiosk demo` does and stops at
the moment the back end would be warmed (right after the first frame). The modules the
attract screen does not need (the outbox and sqlite_utils, numpy, the face models, the
printing stack, the HTTP client, the reference platform) must not be loaded by then.
This checks which modules are loaded, not how long anything takes (bench/ui_bench.py
measures that).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top-level packages and project modules that belong after the first frame.
HEAVY = ("sqlite_utils", "sqlite3", "numpy", "cv2", "dlib", "face_recognition_models", "requests", "urllib3",
         "cups", "escpos", "reportlab", "pypdf", "PIL", "cryptography", "qrcode", "refplatform",
         "sync.outbox", "sync.engine", "sync.store", "sync.service", "sync.platform_client",
         "devices.face.verifier", "devices.face.models", "devices.camera", "printing.cups_printer",
         "printing.copy_compose", "printing.receipts", "printing.pdf_folder", "PySide6.QtPdf",
         # PySide builds a class (with its Python enums) on first use: these cost ~1-9 ms each
         "PySide6.QtCore.Qt", "PySide6.QtCore.QEvent", "PySide6.QtGui.QPainter", "PySide6.QtGui.QAccessible")
LAZY_QT = {"PySide6.QtCore": ("Qt", "QEvent"), "PySide6.QtGui": ("QPainter", "QAccessible")}

CHILD = """
import json, sys, tempfile
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
from kiosk.config import Config
from screens import backend
from screens.app import build_kiosk
from devices.speech import RecordingSpeaker

def first_frame(self):
    built = [f"{m}.{n}" for m, names in json.loads(sys.argv[2]).items() for n in names if n in vars(sys.modules[m])]
    print(json.dumps(sorted(sys.modules) + built), flush=True)
    app.quit()

backend.Backend.warm = first_frame  # stop where the back end would be built
d = tempfile.mkdtemp()
overrides = json.loads(sys.argv[1])
cfg = Config().with_overrides(kiosk__state_dir=d + "/s", printer__pdf_folder=d + "/p", **overrides)
k = build_kiosk(cfg, demo_control=True, speaker=RecordingSpeaker())
app.exec()
import os
os._exit(0)
"""

PRODUCTION = {"platform__url": "https://127.0.0.1:9/", "printer__driver": "cups", "printer__queue": "KIOSK",
              "face__driver": "dlib", "camera__driver": "opencv", "receipt__driver": "file",
              "receipt__target": "/dev/null", "sync__in_process": False}


def _modules_at_first_frame(overrides: dict) -> set[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", CHILD, json.dumps(overrides), json.dumps(LAZY_QT)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    lines = [line for line in out.stdout.splitlines() if line.startswith("[")]
    assert lines, f"the kiosk did not reach its first frame:\n{out.stderr[-2000:]}"
    return set(json.loads(lines[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize("overrides", [{}, PRODUCTION], ids=["demo", "production"])
def test_nothing_heavy_before_the_first_frame(overrides: dict) -> None:
    modules = _modules_at_first_frame(overrides)
    assert "screens.app" in modules and "PySide6.QtQuick" in modules  # the child really got there
    assert _heavy(modules) == [], "imported before the first frame (import them lazily, see screens/backend.py)"


def test_deferred_builds_once_on_first_use_from_any_thread() -> None:
    import threading

    from kiosk.deferred import Deferred, built

    calls = []

    class Part:
        colour = "red"

    def factory() -> Part:
        calls.append(1)
        return Part()
    part = Deferred(factory, "part")
    assert not part.built and built(part) is None and calls == []  # looking does not build
    threads = [threading.Thread(target=lambda: part.colour) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and part.built
    part.colour = "blue"  # writes reach the real object
    assert part.get().colour == "blue" and built(part) is part.get()


def test_deferred_that_fails_is_built_again_on_next_use() -> None:
    from kiosk.deferred import Deferred

    attempts = []

    def factory() -> object:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("device not ready")
        return "ok"
    part = Deferred(factory)
    with pytest.raises(OSError):
        part.get()
    assert not part.built and part.get() == "ok" and len(attempts) == 2

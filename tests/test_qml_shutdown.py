"""QML stays quiet at shutdown: however the process ends, no binding reads a view-model that is gone.

Each way a process can end runs in a child process (the way `bench/ui_bench.py startup` and
`kiosk run` end); any Qt/QML warning on its stderr fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import sys, tempfile
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
from kiosk.config import Config
from screens.app import build_kiosk
from devices.speech import RecordingSpeaker
d = tempfile.mkdtemp()
cfg = Config().with_overrides(kiosk__state_dir=d + "/s", printer__pdf_folder=d + "/p")
k = build_kiosk(cfg, demo_control=True, speaker=RecordingSpeaker())
how = sys.argv[1]
if how != "no_loop":
    k.window.frameSwapped.connect(app.quit)
    app.exec()
if how == "close":
    k.close()
    k.close()  # twice is harmless
print("ended", flush=True)
"""


@pytest.mark.parametrize("how", ["close", "quit_only", "no_loop"])
def test_no_qml_warning_however_the_app_ends(tmp_path: Path, how: str) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", CHILD, how], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "ended" in done.stdout, done.stderr[-2000:]
    warnings = [line for line in done.stderr.splitlines() if line.strip()]
    assert warnings == [], "\n".join(warnings[:20])

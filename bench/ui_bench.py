"""UI benchmarks (prints numbers; not a test).

  startup  cold start to the first painted attract screen, median of 9, as a ratio to a
           bare PySide6 Qt Quick window started the same way (target <= 2x)
  stall    worst lateness of a 10 ms timer on the UI thread during full journeys (target <= 50 ms)
  rss      RSS growth from journey 1 to journey N (default 200; target <= 10 MB)

Usage: .venv/bin/python bench/ui_bench.py [startup|stall|rss|all] [--journeys N] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BARE = """
import sys, time
from PySide6.QtGui import QGuiApplication
from PySide6.QtQuick import QQuickWindow
app = QGuiApplication([])
w = QQuickWindow(); w.resize(1920, 1080)
w.frameSwapped.connect(lambda: (print("painted", flush=True), app.quit()))
w.show(); app.exec()
"""

# In the order `kiosk run` takes (kiosk.cli, then screens.app.run): the app's modules, then the
# QGuiApplication, then the view-model and the QML.
KIOSK = """
import sys, tempfile
from kiosk.config import Config
from screens.app import build_kiosk
from devices.speech import RecordingSpeaker
from PySide6.QtGui import QGuiApplication
app = QGuiApplication([])
d = tempfile.mkdtemp()
cfg = Config().with_overrides(kiosk__state_dir=d + "/s", printer__pdf_folder=d + "/p")
k = build_kiosk(cfg, demo_control=False, speaker=RecordingSpeaker())
k.window.frameSwapped.connect(lambda: (print("painted", flush=True), app.quit()))
app.exec()
"""


# Byte-code as an installed kiosk has it (the Debian package compiles it at build time): the
# children write and read .pyc files under a private prefix, even where PYTHONDONTWRITEBYTECODE
# is set, and one untimed run of each fills that cache before anything is measured.
PYCACHE = tempfile.mkdtemp(prefix="kiosk-bench-pyc-")


def _spawn(code: str) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), PYTHONPYCACHEPREFIX=PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.kill()
    proc.wait()
    if "painted" not in line:
        raise RuntimeError("child did not paint")
    return elapsed


def startup(runs: int = 9) -> None:
    _spawn(BARE), _spawn(KIOSK)  # fill the byte-code and QML caches; not measured
    bare, kiosk = [], []
    for _ in range(runs):  # interleaved, so machine noise hits both alike
        bare.append(_spawn(BARE))
        kiosk.append(_spawn(KIOSK))
    b, k = statistics.median(bare), statistics.median(kiosk)
    print(f"startup: bare Qt Quick window median {b * 1000:.0f} ms, kiosk attract screen median {k * 1000:.0f} ms, "
          f"ratio {k / b:.2f}x (target <= 2x)")


def _kiosk():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication([])
    from devices.speech import RecordingSpeaker
    from kiosk.config import Config
    from kiosk.logs import setup_logging
    from screens.app import build_kiosk

    d = Path(tempfile.mkdtemp())
    setup_logging(d / "logs", stdout=False)
    cfg = Config().with_overrides(kiosk__state_dir=str(d / "s"), printer__pdf_folder=str(d / "p"))
    k = build_kiosk(cfg, demo_control=False, speaker=RecordingSpeaker())
    k.face.frames_per_prompt = 1
    from devices.sim_staff import provision_demo_staff

    provision_demo_staff(k.vm.services.staff)  # the walkthrough's staff check signs in as the demo's 帮办
    return app, k


def _journey(walker, person: int = 0) -> None:
    walker.place_card(person)
    walker.to_purpose()
    walker.print_and_rate()


def stall(journeys: int = 5) -> None:
    from PySide6.QtCore import QTimer

    from screens.walkthrough import Walker
    app, k = _kiosk()
    lateness: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, now - last[0] - 0.010))
        last[0] = now
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(beat)
    timer.start()
    walker = Walker(k)
    walker.all_screens(False)
    walker.all_screens(True)
    for i in range(journeys):
        _journey(walker, i % 2)
    timer.stop()
    lateness.sort()
    print(f"stall: {len(lateness)} ticks of a 10 ms timer over 2 full walkthroughs + {journeys} journeys: "
          f"worst lateness {lateness[-1] * 1000:.1f} ms, p99 {lateness[int(len(lateness) * 0.99)] * 1000:.1f} ms "
          f"(target <= 50 ms)")
    k.close()


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss(journeys: int = 200) -> None:
    import gc

    from screens.walkthrough import Walker
    app, k = _kiosk()
    walker = Walker(k)
    _journey(walker)
    gc.collect()
    first = _rss_mb()
    start = time.perf_counter()
    for i in range(1, journeys):
        _journey(walker, i % 2)
    gc.collect()
    last = _rss_mb()
    took = time.perf_counter() - start
    print(f"rss: after journey 1 {first:.1f} MB, after journey {journeys} {last:.1f} MB, growth {last - first:+.1f} MB "
          f"(target <= 10 MB); {journeys - 1} journeys in {took:.0f} s")
    k.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("what", nargs="?", default="all", choices=["startup", "stall", "rss", "all"])
    parser.add_argument("--journeys", type=int, default=200)
    parser.add_argument("--runs", type=int, default=9, help="start-up: interleaved runs of each (median)")
    args = parser.parse_args()
    if args.what in ("startup", "all"):
        startup(args.runs)
    if args.what in ("stall", "all"):
        stall()
    if args.what in ("rss", "all"):
        rss(args.journeys)


if __name__ == "__main__":
    main()

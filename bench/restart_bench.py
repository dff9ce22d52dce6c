"""Restart benchmark (prints numbers; not a test): from SIGKILL of the UI to the attract screen
painted again by the restarted process.

The kiosk runs as `kiosk run` does in production (SAM reader on an emulated pty, remote platform
address, CUPS printer, no face check) under tests/supervisor.py, the stand-in for systemd with
``Type=notify``, ``WatchdogSec=10s`` and ``Restart=always`` (``RestartSec`` 100 ms, systemd's
default). Each round kills the UI with SIGKILL and times until the new process sends READY=1,
which it sends once its first frame (the attract screen) is painted. The start record is cleared
before each kill (each kill is one crash, long after the last one: no crash-loop back-off).

Baseline, in the same run and interleaved: the cold start of a bare PySide6 Qt Quick window to its
first painted frame (bench/ui_bench.py's). Target: median restart <= 2 s.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/restart_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.ui_bench import BARE, PYCACHE, _spawn  # noqa: E402
from devices.sam_emulator import SamEmulator  # noqa: E402
from kiosk.crash_loop import clear  # noqa: E402
from tests.supervisor import Supervisor  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(work: Path, port: str) -> Path:
    path = work / "kiosk.toml"
    path.write_text(f"""[kiosk]
id = "BENCH-RESTART-1"
state_dir = "{work / 'state'}"
[reader]
driver = "sam"
port = "{port}"
[platform]
url = "http://127.0.0.1:{_free_port()}"
[printer]
driver = "cups"
queue = "KIOSK_BENCH"
[receipt]
driver = "none"
[face]
enabled = false
[sync]
in_process = false
[maintenance]
export_dir = "{work / 'usb'}"
""")
    return path


def restart(runs: int = 5) -> None:
    work = Path(tempfile.mkdtemp(prefix="kiosk-restart-bench-"))
    env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               QT_QUICK_CONTROLS_STYLE="Basic", HOME=str(work), PYTHONPYCACHEPREFIX=PYCACHE)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("KIOSK_CONFIG", None)
    with SamEmulator() as sam:
        argv = [sys.executable, "-m", "kiosk.cli", "run", "--config", str(_config(work, sam.path))]
        with Supervisor(argv, env=env, watchdog_seconds=10.0, cwd=str(ROOT), log_path=work / "kiosk.out") as sup:
            ready = sup.wait_ready(120)
            _spawn(BARE)  # fill the byte-code cache of the baseline; not measured
            os.kill(ready.pid, signal.SIGKILL)  # one untimed restart: the kiosk's caches are warm too
            ready = sup.wait_ready(120, after=ready.at + 1e-6, pid=None)
            bare, restarts, starts = [], [], []
            for _ in range(runs):  # interleaved, so machine noise hits both alike
                bare.append(_spawn(BARE))
                time.sleep(1.0)  # let the kiosk settle (its back end is built right after the first frame)
                clear(work / "state")
                killed_at = time.monotonic()
                os.kill(ready.pid, signal.SIGKILL)
                new = sup.wait_ready(120, after=killed_at)
                started = next(e for e in sup.events if e.kind == "start" and e.pid == new.pid)
                restarts.append(new.at - killed_at)
                starts.append(new.at - started.at)
                if new.detail != "attract":
                    raise RuntimeError(f"the restarted kiosk showed {new.detail!r}, not the attract screen")
                ready = new
    b, r, s = statistics.median(bare), statistics.median(restarts), statistics.median(starts)
    print(f"restart: SIGKILL to the attract screen painted again, median of {runs}: {r * 1000:.0f} ms "
          f"(of which the new process's start to READY: {s * 1000:.0f} ms); bare Qt Quick window cold start "
          f"median {b * 1000:.0f} ms; ratio {r / b:.2f}x; target <= 2000 ms: {'met' if r <= 2.0 else 'NOT met'}")
    print("  runs (ms): " + ", ".join(f"{x * 1000:.0f}" for x in restarts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    restart(args.runs)


if __name__ == "__main__":
    main()

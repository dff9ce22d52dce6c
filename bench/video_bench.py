"""Video help on loopback: press -> the agent's page shows the kiosk screen, shared fps, UI stall, CPU.

The demo kiosk (offscreen, in this process, with its reference platform) calls; the agent
console runs in headless chromium (fake camera and microphone) and accepts at once. The
time the agent takes to accept is measured and subtracted. CPU is this process's (kiosk +
platform; chromium is a separate process) over the same window of time idle and in a call,
as a ratio.

Command: QT_QPA_PLATFORM=offscreen .venv/bin/python bench/video_bench.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtGui import QGuiApplication  # noqa: E402

from devices.speech import RecordingSpeaker  # noqa: E402
from kiosk.config import Config  # noqa: E402
from screens.app import build_kiosk  # noqa: E402
from screens.walkthrough import Walker, pump, wait_for  # noqa: E402
from tests import webdriver  # noqa: E402
from tests.test_video_console import sign_in_agent  # noqa: E402


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


class StallMeter:
    """A 10 ms timer on the UI thread; its worst lateness is the longest UI-thread stall."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.last = 0.0
        self.worst = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.last, self.worst, self.ticks = time.perf_counter(), 0.0, 0
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, (now - self.last) * 1000 - 10)
        self.last = now
        self.ticks += 1

    def stop(self) -> tuple[float, int]:
        self.timer.stop()
        return self.worst, self.ticks


def measure(seconds: float) -> None:
    app = QGuiApplication.instance() or QGuiApplication([])
    tmp = tempfile.mkdtemp(prefix="video-bench-")
    config = Config().with_overrides(kiosk__state_dir=tmp + "/state", printer__pdf_folder=tmp + "/prints")
    kiosk = build_kiosk(config, demo_control=True, speaker=RecordingSpeaker())
    browser = webdriver.Browser()
    try:
        server = kiosk.platform_server
        token = sign_in_agent(server)
        browser.get(server.url + "/v1/health")
        browser.add_cookie("hall_session", token, "/hall")
        browser.get(server.url + "/hall/video")
        browser.wait("return document.getElementById('who').textContent.length > 0", what="console")
        w = Walker(kiosk)
        w.expect("attract")
        w.place_card(0)
        w.expect("face_consent")
        w.click("btn_faceAgree")
        w.expect("service_menu")

        meter = StallMeter()
        pump(500)
        meter.start()
        cpu0, t0 = cpu_seconds(), time.monotonic()
        pump(int(seconds * 1000))
        idle_cpu, idle_wall = cpu_seconds() - cpu0, time.monotonic() - t0
        idle_stall, idle_ticks = meter.stop()

        w.click("callStaff")
        w.click("helpVideo")
        pump(50)
        pressed = time.monotonic()
        w.click("videoAgree")
        wait_for(lambda: browser.js("return document.querySelector('button.accept') !== null"), 20, "queue")
        queued = time.monotonic()
        browser.js("document.querySelector('button.accept').click()")
        accepted = time.monotonic()
        wait_for(lambda: browser.js("return window.sampleScreen(0.5, 0.5) !== null"), 30, "first screen frame")
        shown = time.monotonic()
        press_to_screen = (queued - pressed) + (shown - accepted)

        pump(1000)
        meter.start()
        frames0 = browser.js("return document.getElementById('screenVideo').getVideoPlaybackQuality()"
                             ".totalVideoFrames")
        sent0 = kiosk.vm.video.session.screen_frames_sent
        grabs0 = len(kiosk.vm.video.grab_ms)
        cpu0, t0 = cpu_seconds(), time.monotonic()
        pump(int(seconds * 1000))
        call_cpu, call_wall = cpu_seconds() - cpu0, time.monotonic() - t0
        frames1 = browser.js("return document.getElementById('screenVideo').getVideoPlaybackQuality()"
                             ".totalVideoFrames")
        sent1 = kiosk.vm.video.session.screen_frames_sent
        call_stall, call_ticks = meter.stop()
        grabs = sorted(kiosk.vm.video.grab_ms[grabs0:])
        kiosk.vm.video.hangUp()
        pump(500)

        print("press -> agent page shows the kiosk screen (agent's acceptance excluded): "
              f"{press_to_screen * 1000:.0f} ms  (press -> in queue {(queued - pressed) * 1000:.0f} ms, "
              f"accept -> first frame {(shown - accepted) * 1000:.0f} ms)")
        print(f"shared screen: sent {(sent1 - sent0) / call_wall:.1f} fps, shown on the agent's page "
              f"{(frames1 - frames0) / call_wall:.1f} fps (target >= 5)")
        if grabs:
            print(f"grab + mask + scale on the UI thread per frame: median {grabs[len(grabs) // 2]:.1f} ms, "
                  f"max {grabs[-1]:.1f} ms ({len(grabs)} frames)")
        print(f"UI-thread stall (worst lateness of a 10 ms timer): idle {idle_stall:.1f} ms ({idle_ticks} ticks), "
              f"in a call {call_stall:.1f} ms ({call_ticks} ticks) (target <= 50)")
        idle_rate, call_rate = idle_cpu / idle_wall, call_cpu / call_wall
        print(f"kiosk process CPU: idle {idle_rate * 100:.1f} % of a core, in a call {call_rate * 100:.1f} %: "
              f"ratio {call_rate / max(idle_rate, 1e-6):.1f}x")
    finally:
        browser.close()
        kiosk.close()
        app.processEvents()


def screenshots(out: Path) -> None:
    """The kiosk in a call (standard and assisted, with the agent's highlight), its consent screen, the console."""
    app = QGuiApplication.instance() or QGuiApplication([])
    tmp = tempfile.mkdtemp(prefix="video-shots-")
    config = Config().with_overrides(kiosk__state_dir=tmp + "/state", printer__pdf_folder=tmp + "/prints")
    kiosk = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    browser = webdriver.Browser()
    out.mkdir(parents=True, exist_ok=True)
    try:
        server = kiosk.platform_server
        token = sign_in_agent(server)
        browser.get(server.url + "/v1/health")
        browser.add_cookie("hall_session", token, "/hall")
        browser.get(server.url + "/hall/video")
        w = Walker(kiosk)
        w.expect("attract")
        w.place_card(0)
        w.expect("face_consent")
        w.click("btn_faceAgree")
        w.expect("service_menu")
        for mode in ("standard", "assisted"):
            kiosk.vm.setAssisted(mode == "assisted")
            pump(200)
            w.click("callStaff")
            pump(200)
            kiosk.window.grabWindow().save(str(out / f"video_choose-{mode}.png"))
            w.click("helpVideo")
            pump(200)
            kiosk.window.grabWindow().save(str(out / f"video_consent-{mode}.png"))
            w.click("videoAgree")
            wait_for(lambda: browser.js("return document.querySelector('button.accept') !== null"), 20, "queue")
            browser.js("document.querySelector('button.accept').click()")
            wait_for(lambda: kiosk.vm.video.view.get("agentVideo"), 30, "the agent's picture")
            wait_for(lambda: browser.js("return agentState.channel && agentState.channel.readyState === 'open'"),
                     20, "channel")
            browser.js("""const v = document.getElementById('screenVideo'); const r = v.getBoundingClientRect();
                document.getElementById('stage').dispatchEvent(new MouseEvent('click',
                    {clientX: r.left + r.width * 0.5, clientY: r.top + r.height * 0.45, bubbles: true}));""")
            pump(1500)
            kiosk.window.grabWindow().save(str(out / f"video_call-{mode}.png"))
            if mode == "standard":
                (out / "agent-console.png").write_bytes(browser.screenshot())
            browser.js("document.getElementById('endCall').click()")
            wait_for(lambda: kiosk.vm.video.desk.state == "rating", 20, "rating")
            pump(300)
            kiosk.window.grabWindow().save(str(out / f"video_rating-{mode}.png"))
            kiosk.vm.video.close()
            pump(1200)
    finally:
        browser.close()
        kiosk.close()
        app.processEvents()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the idle and the call windows")
    parser.add_argument("--screenshots", type=Path, default=None, help="save screenshots to this folder instead")
    args = parser.parse_args()
    if args.screenshots is not None:
        screenshots(args.screenshots)
    else:
        measure(args.seconds)


if __name__ == "__main__":
    main()

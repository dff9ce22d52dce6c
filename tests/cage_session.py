"""The kiosk in a headless cage session, and the check of its grim screenshot.

Used by tests/test_cage_session.py (the checkout's kiosk) and installer/fresh-root-test.sh (the
installed package, inside a fresh Debian root), so it needs only the standard library and PySide6:
``python cage_session.py shoot PYTHON WORKDIR [USER]`` runs one session, writes WORKDIR/attract.png
and prints what is wrong with it (nothing: exit 0).

The session is the production one (kiosk.service) on wlroots' headless backend: cage -d, the
Wayland platform plugin, decorations off, as an unprivileged user with its own 0700
XDG_RUNTIME_DIR (cage refuses root). Two things differ, both said where they are made:
- the app starts through ``screens.app.run(config, demo=False)``, the code `kiosk run` runs once
  its production settings are complete, on the demo's simulators (no reader or printer here);
- cage also gets ``-r -r`` (the output turned 180 degrees, which grim turns back): cage 0.1.4
  hands a full-screen surface straight to the output (direct scan-out), and on the headless
  backend a screenshot of an unchanging scanned-out surface shows a stale frame (measured: the
  1920x1080 frame from before full screen, or black). A turned output is always composited.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

OUTPUT = (1280, 720)  # wlroots' headless output
try:  # the kiosk's own colours (the checkout's, or the installed package's)
    from screens.theme import COLORS
except ImportError:  # pragma: no cover (run by a python without the kiosk)
    COLORS = {"header": "#0a3a70", "background": "#f3f5f8"}
HEADER = COLORS["header"]  # the bar across the top of the attract screen
BACKGROUND = COLORS["background"]  # the page
TOLERANCE = 12  # per channel: pixman's rendering of a flat colour

LAUNCHER = """\
import sys
from kiosk.config import load
from pathlib import Path
from screens.app import run
sys.exit(run(load(Path(sys.argv[1])), demo=False))
"""


def config_text(work: Path) -> str:
    """Simulators, and every folder inside the session's own work folder."""
    return (f'[kiosk]\nstate_dir = "{work}/state"\n[printer]\npdf_folder = "{work}/prints"\n'
            f'[maintenance]\nexport_dir = "{work}/usb"\n[ui]\nspeech = false\n')


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def _near(pixel: tuple[int, int, int], colour: str) -> bool:
    return all(abs(a - b) <= TOLERANCE for a, b in zip(pixel, _rgb(colour), strict=True))


def fullscreen_problems(png: Path, size: tuple[int, int] = OUTPUT) -> list[str]:
    """What shows the attract screen is not full screen and undecorated; [] when it is.

    Full screen: the screenshot is the output's size, the header colour runs along the whole top
    row (a decoration bar or a smaller window would break it), the page colour along the whole
    bottom row, and nothing is the compositor's black.
    """
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    if image.isNull():
        return [f"{png.name} is not a readable image"]
    problems = []
    if (image.width(), image.height()) != size:
        problems.append(f"screenshot is {image.width()}x{image.height()}, the output is {size[0]}x{size[1]}")
    width, height = image.width(), image.height()

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        c = image.pixelColor(x, y)
        return c.red(), c.green(), c.blue()

    xs = range(0, width, 4)
    top = sum(_near(pixel(x, 1), HEADER) for x in xs) / len(xs)
    bottom = sum(_near(pixel(x, height - 2), BACKGROUND) for x in xs) / len(xs)
    grid = [(x, y) for x in xs for y in range(0, height, 4)]
    black = sum(pixel(x, y) == (0, 0, 0) for x, y in grid) / len(grid)
    if top < 0.97:
        problems.append(f"the top row is the header colour for only {top:.0%} of its width (decorations, "
                        "or a window smaller than the screen)")
    if bottom < 0.97:
        problems.append(f"the bottom row is the page colour for only {bottom:.0%} of its width")
    if black > 0.01:
        problems.append(f"{black:.0%} of the screen is the compositor's black (the window does not cover it)")
    for name, (x, y), colour in (("top-left", (0, 0), HEADER), ("top-right", (width - 1, 0), HEADER),
                                 ("bottom-left", (0, height - 1), BACKGROUND),
                                 ("bottom-right", (width - 1, height - 1), BACKGROUND)):
        if not _near(pixel(x, y), colour):
            problems.append(f"the {name} corner is {pixel(x, y)}, not {colour}")
    return problems


class CageSession:
    """cage + the kiosk as `user`, on the headless backend, in `work` (made and owned by `user`)."""

    def __init__(self, python: str, work: Path, user: str = "nobody", pythonpath: str = "",
                 launcher: str = LAUNCHER) -> None:
        self.python, self.work, self.user, self.pythonpath = python, work, user, pythonpath
        self.launcher = launcher  # the script cage starts (argv[1]: the session's kiosk.toml)
        self.runtime = work / "runtime"
        self.proc: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.work), "LANG": "C.UTF-8",
               "XDG_RUNTIME_DIR": str(self.runtime), "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman",
               "WLR_LIBINPUT_NO_DEVICES": "1", "QT_QPA_PLATFORM": "wayland",
               "QT_WAYLAND_DISABLE_WINDOWDECORATION": "1", "XDG_SESSION_TYPE": "wayland"}
        if self.pythonpath:
            env["PYTHONPATH"] = self.pythonpath
        return env

    def start(self) -> None:
        entry = pwd.getpwnam(self.user)
        self.work.mkdir(parents=True, exist_ok=True)
        self.runtime.mkdir(mode=0o700, exist_ok=True)
        (self.work / "launch.py").write_text(self.launcher, encoding="utf-8")
        (self.work / "kiosk.toml").write_text(config_text(self.work), encoding="utf-8")
        for path in (self.work, self.runtime, self.work / "launch.py", self.work / "kiosk.toml"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        os.chmod(self.runtime, 0o700)
        command = ["runuser", "-u", self.user, "--", "env", "-i", *(f"{k}={v}" for k, v in self._env().items()),
                   "cage", "-d", "-r", "-r", "--", self.python, str(self.work / "launch.py"),
                   str(self.work / "kiosk.toml")]
        log = open(self.work / "session.log", "wb")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self._log = log

    def screenshot(self, out: Path) -> bool:
        """grim as the session's user; False while there is no compositor to shoot yet."""
        env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(self.runtime), "WAYLAND_DISPLAY": "wayland-0"}
        tmp = self.runtime / "shot.png"
        done = subprocess.run(["runuser", "-u", self.user, "--", "env", "-i",
                               *(f"{k}={v}" for k, v in env.items()), "grim", str(tmp)],
                              capture_output=True, timeout=30)
        if done.returncode != 0:
            return False
        shutil.copyfile(tmp, out)
        return True

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=15)
        if getattr(self, "_log", None):
            self._log.close()

    def log_tail(self, lines: int = 15) -> str:
        path = self.work / "session.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        noise = ("Basic output test failed", "drmGetDevices2 failed")
        return "\n".join([line for line in text.splitlines() if not any(n in line for n in noise)][-lines:])


def shoot_attract(session: CageSession, out: Path, timeout: float = 90.0) -> list[str]:
    """Start the session and take screenshots until the attract screen fills the output, or the
    time is up; returns the last screenshot's problems ([] = full screen)."""
    session.start()
    problems = ["no screenshot could be taken (cage did not start)"]
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if not session.alive():
                return [f"cage exited ({session.proc.returncode if session.proc else '?'}): {session.log_tail()}"]
            if session.screenshot(out):
                problems = fullscreen_problems(out)
                if not problems:
                    return []
            time.sleep(0.5)
        return problems
    finally:
        session.stop()


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[0] != "shoot":
        print("usage: cage_session.py shoot PYTHON WORKDIR [USER]", file=sys.stderr)
        return 2
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the check reads the PNG only
    work = Path(argv[2])
    problems = shoot_attract(CageSession(argv[1], work, argv[3] if len(argv) > 3 else "nobody"),
                             work / "attract.png")
    for line in problems:
        print(f"not full screen: {line}")
    if not problems:
        print(f"full screen: {work / 'attract.png'} ({OUTPUT[0]}x{OUTPUT[1]}, header and page colours edge to edge)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The kiosk under cage (the production session, headless): full screen, no decorations.

A grim screenshot of the attract screen must be the output's size with the header colour along
the whole top row and the page colour along the whole bottom row (a decoration bar, or the
500x500 window seen once, break both). See tests/cage_session.py for the session itself.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from tests.cage_session import BACKGROUND, HEADER, CageSession, fullscreen_problems, shoot_attract

ROOT = Path(__file__).resolve().parent.parent

needs_cage = pytest.mark.skipif(shutil.which("cage") is None or shutil.which("grim") is None,
                                reason="cage and grim are not installed (installer/install.sh installs them)")


@needs_cage
@pytest.mark.skipif(os.geteuid() != 0, reason="starts the session as the unprivileged user nobody (needs root)")
def test_attract_screen_fills_the_output_under_cage() -> None:
    work = Path(tempfile.mkdtemp(prefix="kiosk-cage-"))
    work.chmod(0o755)  # the session user reaches its own folder inside
    try:
        shot = work / "attract.png"
        session = CageSession(sys.executable, work / "session", pythonpath=str(ROOT))
        problems = shoot_attract(session, shot)
        assert problems == [], "\n".join(problems) + "\n" + session.log_tail()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _png(path: Path, paint) -> Path:
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(1280, 720, QImage.Format.Format_RGB32)
    image.fill(QColor(BACKGROUND))
    painter = QPainter(image)
    painter.fillRect(0, 0, 1280, 120, QColor(HEADER))
    paint(painter, QColor)
    painter.end()
    image.save(str(path))
    return path


def test_the_check_passes_a_full_screen_attract_screen(tmp_path: Path) -> None:
    assert fullscreen_problems(_png(tmp_path / "ok.png", lambda p, c: None)) == []


def test_the_check_sees_a_decoration_bar(tmp_path: Path) -> None:
    png = _png(tmp_path / "deco.png", lambda p, c: p.fillRect(0, 0, 1280, 30, c("#dcdcdc")))
    assert any("top row" in line for line in fullscreen_problems(png))


def test_the_check_sees_a_small_window(tmp_path: Path) -> None:
    def small(p, c) -> None:
        p.fillRect(500, 0, 780, 720, c("#000000"))
        p.fillRect(0, 500, 1280, 220, c("#000000"))
    problems = fullscreen_problems(_png(tmp_path / "small.png", small))
    assert any("black" in line for line in problems) and any("corner" in line for line in problems)


def test_the_check_sees_the_wrong_size(tmp_path: Path) -> None:
    png = _png(tmp_path / "ok.png", lambda p, c: None)
    assert any("the output is 1920x1080" in line for line in fullscreen_problems(png, (1920, 1080)))

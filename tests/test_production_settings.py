"""`kiosk run` refuses the demo's defaults and names each missing production setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kiosk.config import Config
from kiosk.production import missing_production_settings

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {"platform__url": "https://platform.example.gov.cn/", "kiosk__id": "KIOSK-HZ-0107",
              "reader__driver": "pcsc", "printer__driver": "cups", "printer__queue": "KIOSK",
              "receipt__driver": "none", "face__driver": "dlib", "camera__driver": "opencv"}
KEYS = ("platform.url", "kiosk.id", "reader.driver", "printer.driver", "receipt.driver", "face.driver",
        "camera.driver")


def test_demo_defaults_name_every_missing_setting() -> None:
    missing = missing_production_settings(Config())
    assert [line.split(" ", 1)[0] for line in missing] == list(KEYS)


def test_a_production_config_is_accepted() -> None:
    assert missing_production_settings(Config().with_overrides(**PRODUCTION)) == []
    no_face = dict(PRODUCTION, face__enabled=False, face__driver="sim", camera__driver="sim")
    assert missing_production_settings(Config().with_overrides(**no_face)) == []


@given(st.sets(st.sampled_from(sorted(PRODUCTION))))
def test_each_demo_value_left_is_named(left: set[str]) -> None:
    overrides = {k: v for k, v in PRODUCTION.items() if k not in left}
    named = {line.split(" ", 1)[0] for line in missing_production_settings(Config().with_overrides(**overrides))}
    expected = {k.replace("__", ".") for k in left}
    if "printer__driver" in left:  # the demo's PDF folder printer needs no queue
        expected.discard("printer.queue")
    assert named == expected


def test_kiosk_run_refuses_the_demo_defaults_plainly(tmp_path: Path) -> None:
    config = tmp_path / "k.toml"
    config.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kiosk.cli", "run", "--config", str(config)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={"HOME": str(tmp_path), "PATH": "/usr/bin"})
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "kiosk demo" in done.stderr
    for key in KEYS:
        assert key in done.stderr

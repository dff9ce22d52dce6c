"""`kiosk run` refuses the demo's defaults and names each missing production setting."""

from __future__ import annotations

import re
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


TEMPLATE = ROOT / "installer" / "deb" / "kiosk.toml"


def _filled_template() -> str:
    """The package's /etc/kiosk/kiosk.toml with the example lines under each REQUIRED comment
    taken in (uncommented), as a technician would fill it in."""
    out, taking = [], False
    for line in TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# REQUIRED"):
            taking = True
        elif taking and re.match(r"# [a-z_]+ = ", line):
            line = line[2:]
        else:
            taking = False
        out.append(line)
    return "\n".join(out) + "\n"


def test_the_package_template_is_refused_naming_each_required_setting(tmp_path: Path) -> None:
    from kiosk.config import read_file

    template = tmp_path / "kiosk.toml"
    template.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    config = Config(read_file(template))
    named = {line.split(" ", 1)[0] for line in missing_production_settings(config)}
    required = {f"{section}.{key}" for section, key in _required_keys()}
    assert named and named <= required | {"camera.driver"}
    assert config["kiosk.state_dir"] == "/var/lib/kiosk" and config["sync.in_process"] is False
    filled = tmp_path / "filled.toml"
    filled.write_text(_filled_template(), encoding="utf-8")
    assert missing_production_settings(Config(read_file(filled))) == []


def _required_keys() -> list[tuple[str, str]]:
    """(section, key) of the example lines under each REQUIRED comment of the template."""
    keys, section = [], ""
    text = _filled_template().splitlines()
    original = TEMPLATE.read_text(encoding="utf-8").splitlines()
    for before, after in zip(original, text, strict=True):
        if after.startswith("["):
            section = after.strip("[]")
        if before != after:
            keys.append((section, after.split(" = ", 1)[0]))
    return keys

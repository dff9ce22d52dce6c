"""Configuration is validated once, where each key is declared: wrong types and values, files and
folders the settings name. Every problem is one plain message naming the file and the key, with
exit code 2 and never a traceback; Ctrl-C ends commands quietly."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from kiosk import cli, config
from kiosk.config import SETTINGS, Setting

ROOT = Path(__file__).resolve().parent.parent


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(type(value))


def write_config(path: Path, values: dict[str, object]) -> Path:
    sections: dict[str, list[str]] = {}
    for key, value in values.items():
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {toml_value(value)}")
    path.write_text("".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in sections.items()))
    return path


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20)
FINITE = st.floats(allow_nan=False, allow_infinity=False)


def wrong_type(s: Setting) -> st.SearchStrategy[object]:
    others = {
        int: st.one_of(FINITE, TEXT, st.booleans(), st.lists(st.integers(), max_size=2)),
        float: st.one_of(TEXT, st.booleans(), st.lists(FINITE, max_size=2)),
        str: st.one_of(st.integers(), FINITE, st.booleans(), st.lists(TEXT, max_size=2)),
        bool: st.one_of(st.integers(), TEXT, FINITE),
    }
    return others[s.type]


def wrong_value(s: Setting) -> st.SearchStrategy[object] | None:
    if s.choices:
        base = st.integers() if s.type is int else TEXT
        return base.filter(lambda v: v not in s.choices)
    if s.type in (int, float):
        low = s.above if s.above is not None else s.at_least
        numbers = st.integers() if s.type is int else FINITE
        out = numbers.filter(lambda v: v > s.at_most or v < low or (s.above is not None and v == s.above))
        specials = [low - 1, s.at_most + 1]
        if s.type is float:
            specials += [math.inf, -math.inf, math.nan]
        if low > 0 or s.above is not None:
            specials += [0, -1] if s.type is int else [0.0, -1.0]
        return st.one_of(out, st.sampled_from(specials))
    if s.type is str and s.pattern:
        return TEXT.filter(lambda v: not re.fullmatch(s.pattern, v))
    return None


@st.composite
def bad_setting(draw: st.DrawFn) -> tuple[str, object]:
    key = draw(st.sampled_from(sorted(SETTINGS)))
    s = SETTINGS[key]
    bad = wrong_value(s)
    value = draw(wrong_type(s) if bad is None else st.one_of(wrong_type(s), bad))
    return key, value


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def test_every_number_has_a_range_and_every_text_a_pattern_choices_or_path() -> None:
    for s in SETTINGS.values():
        if s.type in (int, float) and not s.choices:
            assert (s.at_least is not None or s.above is not None) and s.at_most is not None, s.key
        if s.type is str:
            assert s.choices or s.pattern or s.path, s.key
    with pytest.raises(ValueError, match="needs at_least"):
        config._declare("test.unbounded", float, 1.0, "no range")
    with pytest.raises(ValueError, match="default is not allowed"):
        config._declare("test.bad_default", int, 0, "zero not allowed", at_least=1, at_most=5)
    assert "test.unbounded" not in SETTINGS and "test.bad_default" not in SETTINGS


def test_every_default_is_allowed() -> None:
    """Text defaults are matched against their patterns here (not on import, which is the start-up path)."""
    for s in SETTINGS.values():
        assert config._problem(s, s.default) == "", s.key


@hsettings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                    HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(bad=bad_setting())
def test_any_wrong_type_or_value_is_one_plain_message_and_exit_2(tmp_path: Path, capsys, bad) -> None:
    key, value = bad
    path = write_config(tmp_path / "bad.toml", {key: value})
    with pytest.raises(config.ConfigError) as caught:
        config.read_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: '{key}' must be"), message
    assert "\n" not in message
    code, err = run_cli(["config", "--config", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"kiosk: configuration problem: {message}"


@pytest.mark.parametrize(("key", "text"), [
    ("platform.connect_timeout", "0"), ("sync.poll_seconds", "inf"), ("sync.poll_seconds", "nan"),
    ("reader.exchange_timeout", "-1"), ("reader.reconnect_interval", "0"), ("face.threshold", "2.0"),
    ("face.threshold", "0.61"), ("sync.batch_size", "101"), ("ui.warning_seconds", "5"),
    ("platform.url", '"ftp://x"'), ("kiosk.id", '"a b"'), ("face.challenges", '"wink"'),
])
def test_the_reported_values_are_refused(tmp_path: Path, key: str, text: str) -> None:
    section, name = key.split(".", 1)
    path = tmp_path / "k.toml"
    path.write_text(f"[{section}]\n{name} = {text}\n")
    with pytest.raises(config.ConfigError, match=re.escape(f"{path}: '{key}' must be")):
        config.read_file(path)


def test_overrides_are_checked_too() -> None:
    with pytest.raises(config.ConfigError, match="override: 'reader.poll_interval'"):
        config.Config().with_overrides(reader__poll_interval=0.0)


# ---------------------------------------------------------------- files and folders, from outside

def kiosk(args: list[str], home: Path, *, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("KIOSK_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


def readonly_folder(tmp_path: Path) -> Path:
    """A folder nobody may write to, root included (a read-only tmpfs); plain mode bits otherwise."""
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(folder)],
                              capture_output=True)
        if done.returncode != 0:
            pytest.skip("cannot mount a read-only tmpfs here")
    else:
        folder.chmod(0o500)
    return folder


@pytest.fixture
def ro_folder(tmp_path: Path):
    folder = readonly_folder(tmp_path)
    yield folder
    if os.geteuid() == 0:
        subprocess.run(["umount", str(folder)], check=False)


def file_cases(tmp_path: Path, ro: Path) -> list[tuple[str, dict[str, object], str]]:
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    loose = tmp_path / "loose-keys"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    return [
        ("kiosk.state_dir", {"kiosk.state_dir": str(a_file)}, "is not a folder"),
        ("kiosk.state_dir", {"kiosk.state_dir": str(ro / "state")}, "cannot be created"),
        ("kiosk.state_dir", {"kiosk.state_dir": str(ro)}, "is not writable"),
        ("platform.device_key_dir", {"platform.device_key_dir": str(a_file)}, "is not a folder"),
        ("platform.device_key_dir", {"platform.device_key_dir": str(loose)}, "can be read by others"),
        ("platform.ca_bundle", {"platform.ca_bundle": str(tmp_path / "missing.pem")}, "does not exist"),
        ("platform.ca_bundle", {"platform.ca_bundle": str(a_file)}, "is not a PEM file"),
        ("platform.client_key", {"platform.client_key": str(a_file)}, "is not a PEM file"),
    ]


def test_files_and_folders_named_by_config_are_checked_at_start_up(tmp_path: Path, ro_folder: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    for key, values, problem in file_cases(tmp_path, ro_folder):
        base = {"kiosk.state_dir": str(tmp_path / "state"), "platform.url": "http://127.0.0.1:9"}
        path = write_config(tmp_path / "k.toml", {**base, **values})
        for command in (["sync", "--once"], ["queue"], ["config"]):
            done = kiosk([*command, "--config", str(path)], home)
            assert done.returncode == 2, (key, command, done.stderr)
            assert "Traceback" not in done.stderr
            assert f"kiosk: configuration problem: {path}: '{key}' names " in done.stderr, done.stderr
            assert problem in done.stderr


def test_a_private_key_folder_passes_and_key_content_is_never_printed(tmp_path: Path) -> None:
    from kiosk.config_checks import file_problems
    from sync.device_key import KEY_FILE, DeviceKey

    folder = tmp_path / "keys"
    DeviceKey.load_or_create(folder)
    cfg = config.Config().with_overrides(kiosk__state_dir=str(tmp_path / "s"), printer__pdf_folder=str(tmp_path),
                                         platform__device_key_dir=str(folder))
    assert file_problems(cfg) == []
    (folder / KEY_FILE).chmod(0o644)
    problems = " ".join(file_problems(cfg))
    assert "others can read" in problems and "PRIVATE KEY" not in problems


# ---------------------------------------------------------------- Ctrl-C

def _wait_for(predicate, timeout: float) -> bool:  # noqa: ANN001
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("command", [["sync"], ["devices", "watch", "--driver", "sam-emulator"]])
def test_ctrl_c_ends_a_command_quietly(tmp_path: Path, command: list[str]) -> None:
    path = write_config(tmp_path / "k.toml", {"kiosk.state_dir": str(tmp_path / "state"),
                                              "platform.url": "http://127.0.0.1:9", "sync.poll_seconds": 0.2})
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", *command, "--config", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    logs = tmp_path / "state" / "logs"
    started = _wait_for(lambda: command[0] != "sync" or any(
        "sync_start" in f.read_text(errors="replace") for f in logs.rglob("*.log*")), 30.0)
    time.sleep(0.5 if command[0] == "sync" else 3.0)  # let the command reach its loop
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert started
    assert proc.returncode in (0, 130), err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_ctrl_c_ends_the_touch_ui_quietly(tmp_path: Path) -> None:
    state = tmp_path / "state"
    path = write_config(tmp_path / "k.toml", {"kiosk.state_dir": str(state),
                                              "printer.pdf_folder": str(tmp_path / "prints")})
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "demo", "--windowed", "--config", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    started = _wait_for(lambda: any('"event": "start"' in f.read_text(errors="replace")
                                    for f in (state / "logs").rglob("*.log*")), 60.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert started, err
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err

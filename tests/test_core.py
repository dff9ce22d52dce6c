"""Config, translations, identifiers and the Qt-free layering of kiosk/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk import config, i18n
from kiosk.idnumbers import (
    USCC_ALPHABET,
    id_check_digit,
    is_valid_id_number,
    is_valid_uscc,
    mask_id_number,
    mask_name,
    mod37_36_check_char,
    uscc_check_char,
)

ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- identifiers

def test_sample_data_is_valid() -> None:
    assert len(SAMPLE_PEOPLE) >= 6
    for person in SAMPLE_PEOPLE:
        assert is_valid_id_number(person.number), person
        assert person.problems() == []
    for business in SAMPLE_BUSINESSES:
        assert is_valid_uscc(business["uscc"])


def test_known_check_digits() -> None:
    assert id_check_digit("11010519491231002") == "X"  # GB 11643 worked example
    assert is_valid_id_number("11010519491231002X")
    assert not is_valid_id_number("110105194912310021")
    assert not is_valid_id_number("110105194913310028")  # month 13


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_breaks_the_id_check(first17: str, pos: int, delta: int) -> None:
    number = first17 + id_check_digit(first17)
    changed = first17[:pos] + str((int(first17[pos]) + delta) % 10) + first17[pos + 1:]
    assert (changed + number[17]) != number
    assert id_check_digit(changed) != number[17]


@given(st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 30))
def test_any_single_character_change_breaks_the_uscc_check(first17: str, pos: int, delta: int) -> None:
    code = first17 + uscc_check_char(first17)
    assert is_valid_uscc(code)
    old = USCC_ALPHABET.index(first17[pos])
    changed = first17[:pos] + USCC_ALPHABET[(old + delta) % 31] + first17[pos + 1:]
    assert not is_valid_uscc(changed + code[17])


@given(st.text(max_size=40))
def test_validators_never_raise_on_garbage(value: str) -> None:
    assert is_valid_id_number(value) in (True, False)
    assert is_valid_uscc(value) in (True, False)


def _mod37_36_valid(full: str) -> bool:
    """ISO/IEC 7064 hybrid-system validation, written independently of the generator."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    p = 36
    for ch in full:
        s = p % 37 + alphabet.index(ch)
        p = (s % 36 or 36) * 2
    return s % 36 == 1


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=40), st.data())
def test_mod37_36_check_validates_and_catches_single_changes(payload: str, data: st.DataObject) -> None:
    full = payload + mod37_36_check_char(payload)
    assert _mod37_36_valid(full)
    pos = data.draw(st.integers(0, len(full) - 1))
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    other = alphabet[(alphabet.index(full[pos]) + data.draw(st.integers(1, 35))) % 36]
    assert not _mod37_36_valid(full[:pos] + other + full[pos + 1:])


def test_masking() -> None:
    assert mask_id_number("110101198503120033") == "1101**********0033"
    assert mask_name("张伟明") == "张*明"
    assert mask_name("李秀") == "李*"
    assert mask_name("SMITH JOHN") == "S**** J***"


# ---------------------------------------------------------------- config

def test_every_setting_has_type_default_and_description() -> None:
    for s in config.SETTINGS.values():
        assert isinstance(s.default, s.type) and s.description


def test_config_layers_and_errors(tmp_path: Path) -> None:
    system = tmp_path / "system.toml"
    local = tmp_path / "local.toml"
    system.write_text('[ui]\nidle_seconds = 90\n[kiosk]\nid = "HALL-7"\n')
    local.write_text("[ui]\nidle_seconds = 45\n")
    cfg = config.load(system=system, local=local)
    assert cfg["ui.idle_seconds"] == 45 and cfg["kiosk.id"] == "HALL-7"
    local.write_text("[ui]\nidle_secs = 45\n")
    with pytest.raises(config.ConfigError, match="unknown setting 'ui.idle_secs'"):
        config.load(system=system, local=local)
    local.write_text('[ui]\nidle_seconds = "soon"\n')
    with pytest.raises(config.ConfigError, match="must be int"):
        config.load(system=system, local=local)
    local.write_text("[ui]\nwarning_seconds = 5\n")
    with pytest.raises(config.ConfigError, match="at least 20"):
        config.load(system=system, local=local)
    local.write_text("[ui\n")
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(system=system, local=local)
    local.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(config.ConfigError, match="not UTF-8"):
        config.load(system=system, local=local)


@given(st.binary(max_size=200))
def test_config_garbage_gives_a_config_error(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("cfg") / "k.toml"
    path.write_bytes(data)
    try:
        config.read_file(path)
    except config.ConfigError:
        pass


def test_describe_is_valid_toml() -> None:
    import tomllib
    parsed = tomllib.loads(config.describe())
    assert parsed["reader"]["baud"] == 115200


# ---------------------------------------------------------------- translations

def test_all_languages_complete() -> None:
    table = i18n.table()
    keys = set(table["zh-CN"])
    for lang in i18n.LANGUAGES:
        assert set(table[lang]) == keys
        for key in keys:
            assert table[lang][key].count("%1") == table["zh-CN"][key].count("%1"), (lang, key)


def test_every_text_used_by_the_screens_exists() -> None:
    used = set()
    for qml in (ROOT / "screens" / "qml").glob("*.qml"):
        used |= set(re.findall(r"\bt\.([a-z_]+)", qml.read_text(encoding="utf-8")))
    from kiosk.journey import PURPOSES, RATING_LEVELS, SERVICES
    used |= set(PURPOSES) | set(SERVICES) | {f"rate_{n}" for n in RATING_LEVELS}
    for keys in i18n.SPOKEN.values():
        used |= set(keys)
    missing = used - set(i18n.table()["en"])
    assert not missing


def test_fmt_and_fallback() -> None:
    assert i18n.fmt("attempts_left", "en", 2) == "2 attempts left"
    assert i18n.text("no_such_key", "en") == "no_such_key"


# ---------------------------------------------------------------- layers

def test_core_imports_no_qt() -> None:
    code = ("import sys, pkgutil, importlib, kiosk\n"
            "for m in pkgutil.iter_modules(kiosk.__path__):\n"
            "    importlib.import_module('kiosk.' + m.name)\n"
            "import sync.outbox, sync.engine, sync.platform_client, devices.simulated_reader\n"
            "assert not any(n.startswith('PySide6') for n in sys.modules), 'Qt imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_only_screens_builds_widgets_and_modules_stay_small() -> None:
    for path in ROOT.glob("*/*.py"):
        if path.parts[-2] in (".venv", "tests", "bench"):
            continue
        text = path.read_text(encoding="utf-8")
        assert len(text.splitlines()) < 600, path
        if path.parts[-2] != "screens":
            assert "QtWidgets" not in text and "QtQuick" not in text, path

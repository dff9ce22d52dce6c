"""Start-up checks of the files and folders that settings name (kiosk.config declares which).

``check_files`` looks at every path setting once, before anything uses it, and gives one plain
message per problem naming the file that set the key and the key itself. Nothing here prints a
file's content: key files and certificates are secrets.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kiosk.config import SETTINGS, Config, ConfigError, Setting
from kiosk.state_access import exposure, shared_group


def _private_dir(path: Path) -> str:
    """A key folder: may not exist yet (not enrolled); else 0700 with every file in it 0600 or stricter
    (in a shared setgid state folder, kiosk.state_access: also its own group)."""
    if not path.exists():
        return ""
    if not path.is_dir():
        return "is not a folder"
    shared = shared_group(path)
    if exposure(path.stat(), shared):
        return "can be read by others (must be 0700)"
    for item in path.iterdir():
        if exposure(item.lstat(), shared):
            return "holds a file others can read (must be 0600)"
    return ""


def _writable_dir(path: Path) -> str:
    if path.exists() and not path.is_dir():
        return "is not a folder"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot be created ({exc.strerror})"
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return f"is not writable ({exc.strerror})"
    return ""


def _readable(path: Path) -> tuple[bytes, str]:
    if not path.exists():
        return b"", "does not exist"
    if path.is_dir():
        return b"", "is a folder, not a file"
    try:
        return path.read_bytes(), ""
    except OSError as exc:
        return b"", f"cannot be read ({exc.strerror})"


def _problem(setting: Setting, path: Path) -> str:
    if setting.path == "dir":
        return _writable_dir(path)
    if setting.path == "key_dir":
        return _private_dir(path)
    data, problem = _readable(path)
    if problem:
        return problem
    if setting.path == "pem" and b"-----BEGIN " not in data:
        return "is not a PEM file"
    return ""


def file_problems(config: Config) -> list[str]:
    """One message per path setting that names something missing, unreadable or of the wrong kind."""
    problems = []
    for key, setting in SETTINGS.items():
        if not setting.path or not config[key]:
            continue
        if setting.when is not None and config[setting.when[0]] != setting.when[1]:
            continue
        path = config.path(key)
        problem = _problem(setting, path)
        if problem:
            problems.append(f"{config.origin(key)}: '{key}' names {path}, which {problem}.")
    cert, key = config["platform.client_cert"], config["platform.client_key"]
    if key and not cert:
        problems.append(f"{config.origin('platform.client_key')}: 'platform.client_key' is set but "
                        "'platform.client_cert' is empty.")
    return problems


def check_files(config: Config) -> None:
    """Raise one ConfigError listing every problem (one line each), or return when all is well."""
    problems = file_problems(config)
    if problems:
        raise ConfigError("\n".join(problems))


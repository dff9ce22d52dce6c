"""Configuration: every key declared once with type, default and description.

Values come from TOML: the embedded defaults, then the system file
(/etc/kiosk/kiosk.toml), then a local override (~/.config/kiosk/kiosk.toml),
then an explicit file (--config or KIOSK_CONFIG). Unknown keys and wrong types
are errors with a plain message naming the file and the key.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEM_FILE = Path("/etc/kiosk/kiosk.toml")
LOCAL_FILE = Path.home() / ".config" / "kiosk" / "kiosk.toml"


class ConfigError(Exception):
    """A configuration problem a technician can fix; the message says how."""


@dataclass(frozen=True)
class Setting:
    key: str
    type: type
    default: Any
    description: str
    choices: tuple[Any, ...] = ()


SETTINGS: dict[str, Setting] = {}


def _declare(key: str, type_: type, default: Any, description: str, choices: tuple[Any, ...] = ()) -> None:
    if key in SETTINGS:
        raise ValueError(f"setting {key} declared twice")
    SETTINGS[key] = Setting(key, type_, default, description, choices)


_declare("kiosk.id", str, "KIOSK-DEMO-001", "This terminal's id, sent with every platform request.")
_declare("kiosk.state_dir", str, "~/.local/state/kiosk", "Where the outbox, logs and keys live.")
_declare("kiosk.fullscreen", bool, True, "Show the touch UI full-screen.")
_declare("kiosk.staff_code", str, "2580", "Code staff enter on the terminal after checking a citizen by hand.")
_declare("kiosk.hall", str, "demo-hall", "The hall this terminal stands in: its staff see it on the hall dashboard.")
_declare("kiosk.place", str, "", "Where in the hall (shown to staff with each call), e.g. '一楼 A3'.")
_declare("staff.answer_seconds", int, 60, "A staff call not acknowledged by then: the kiosk says so and offers "
         "what else works.")
_declare("staff.stuck_seconds", int, 120, "The kiosk working on one screen this long calls staff by itself.")
_declare("ui.default_language", str, "zh-CN", "Language shown at the start of each session.",
         ("zh-CN", "zh-TW", "en"))
_declare("ui.elderly_age", int, 65, "Card holders this old or older are offered assisted mode.")
_declare("ui.idle_seconds", int, 60, "Inactivity before the 'are you still there' warning (doubled in assisted mode).")
_declare("ui.warning_seconds", int, 20, "Countdown of the inactivity warning; at least 20 (doubled in assisted mode).")
_declare("ui.done_seconds", int, 15, "How long the goodbye screen stays before the attract screen returns.")
_declare("ui.speech", bool, True, "Speak guidance in assisted mode.")
_declare("reader.driver", str, "sim", "ID-card reader driver (sam-emulator: the SAM driver on an emulated device).",
         ("sim", "sam", "pcsc", "sam-emulator"))
_declare("reader.port", str, "/dev/ttyUSB0", "Serial port of a SAM reader.")
_declare("reader.baud", int, 115200, "Baud rate of a SAM reader.")
_declare("reader.exchange_timeout", float, 1.0, "Seconds to wait for a SAM reader's answer to find/select/status.")
_declare("reader.read_timeout", float, 3.0, "Seconds to wait for a SAM reader's text+photo reply.")
_declare("reader.poll_interval", float, 0.25, "Seconds between card polls (SAM) or status waits (PC/SC).")
_declare("reader.reconnect_interval", float, 1.0, "Seconds between attempts to reach a lost reader or pcscd.")
_declare("reader.read_fingerprint", bool, False, "Ask a SAM reader for the fingerprint data too (not stored).")
_declare("reader.photo_decoder", str, "", "Licensed WLT photo decoder, 'module:function' (bytes -> BMP); empty: none.")
_declare("reader.pcsc_reader_filter", str, "", "Use only PC/SC readers whose name contains this text; empty: all.")
_declare("camera.driver", str, "sim", "Camera driver.", ("sim", "opencv"))
_declare("camera.source", str, "0", "Camera device index, V4L2 path, video file or RTSP URL.")
_declare("camera.width", int, 640, "Capture width asked of a camera device.")
_declare("camera.height", int, 480, "Capture height asked of a camera device.")
_declare("camera.fps", float, 30.0, "Capture rate asked of a camera device (and the pace of a video file).")
_declare("camera.open_timeout", float, 5.0, "Seconds to wait for the first frame before the camera counts as missing.")
_declare("camera.lost_seconds", float, 2.0, "No new frame for this long: the camera counts as unplugged.")
_declare("camera.frozen_seconds", float, 3.0, "The same picture for this long: the stream counts as frozen.")
_declare("face.enabled", bool, True, "Offer face verification (always with a non-face alternative).")
_declare("face.threshold", float, 0.45, "Largest face distance accepted as a match (strict).")
_declare("face.driver", str, "sim", "Face verifier: scripted simulator or dlib on the device.", ("sim", "dlib"))
_declare("face.min_face_ratio", float, 0.18, "Face narrower than this share of the frame: 'move closer'.")
_declare("face.min_brightness", float, 60.0, "Face darker than this mean grey level (0-255): 'more light'.")
_declare("face.min_sharpness", float, 25.0, "Laplacian variance of the face below this: 'hold still'.")
_declare("face.min_score", float, 0.0, "HOG detections scoring below this are ignored.")
_declare("face.challenges", str, "turn_left,turn_right",
         "Liveness movements to pick from (turn_left, turn_right, nod; nod is weaker against a tilted photo).")
_declare("face.challenge_count", int, 1, "How many different movements each check asks for.")
_declare("face.turn_ratio", float, 0.10, "Nose shift, in eye distances, that counts as a head turn.")
_declare("face.capture_timeout", float, 20.0, "Seconds of guidance before the check gives up.")
_declare("face.challenge_timeout", float, 8.0, "Seconds allowed for each movement.")
_declare("face.embed_process", bool, True,
         "Compute face embeddings in a helper process (dlib holds the GIL ~80 ms per embedding).")
_declare("face.platform_photo", bool, False,
         "Compare with a photo from the platform when the card photo cannot be decoded (needs a platform API).")
_declare("platform.url", str, "", "Platform base URL; empty starts the local reference platform.")
_declare("platform.connect_timeout", float, 3.0, "Seconds to connect to the platform.")
_declare("platform.read_timeout", float, 10.0, "Seconds to wait for a platform answer.")
_declare("platform.retries", int, 2, "Extra attempts for idempotent platform calls (with backoff).")
_declare("platform.ca_bundle", str, "", "PEM CA bundle to verify the platform's TLS certificate; empty: system CAs.")
_declare("platform.client_cert", str, "", "PEM client certificate for mutual TLS (optional).")
_declare("platform.client_key", str, "", "PEM private key of platform.client_cert (optional).")
_declare("platform.hmac_key_file", str, "", "File with this kiosk's request-signing key (hex); empty: demo key.")
_declare("sync.in_process", bool, True, "Run the sync engine inside the kiosk process too (the demo). Production runs "
         "the kiosk-sync service; a lock file makes sure only one engine delivers at a time.")
_declare("sync.batch_size", int, 50, "Transactions sent per request (the platform takes at most 100).")
_declare("sync.poll_seconds", float, 5.0, "Longest pause of the sync engine while nothing is due.")
_declare("sync.max_backoff_seconds", float, 300.0, "Longest wait between retries of one transaction.")
_declare("sync.retention_days", float, 7.0, "Delivered transactions are deleted from the outbox after this long.")
_declare("sync.heartbeat_seconds", float, 300.0, "How often the kiosk reports its queue health to the platform.")
_declare("sync.max_queued", int, 500, "Offline limit: past this many undelivered transactions no offline work "
         "is taken.")
_declare("sync.max_age_hours", float, 72.0, "Offline limit: past this age of the oldest undelivered transaction no "
         "offline work is taken.")
_declare("printer.driver", str, "pdf_folder", "Printer driver.", ("pdf_folder", "cups"))
_declare("printer.pdf_folder", str, "~/kiosk-prints", "Folder the demo printer writes PDFs to.")
_declare("printer.queue", str, "", "CUPS queue name (cups driver).")
_declare("printer.cups_server", str, "", "CUPS server: host name or socket path; empty uses the system default.")
_declare("printer.job_timeout", float, 120.0, "Seconds a print job may take before the kiosk cancels it.")
_declare("printer.copy_valid_days", int, 30, "Days the verification code on a printed copy stays valid.")
_declare("receipt.driver", str, "sim", "Thermal receipt printer transport (ESC/POS); sim writes text files "
         "beside the demo's PDFs.", ("sim", "none", "file", "serial", "network", "usb"))
_declare("receipt.target", str, "",
         "Receipt printer: file/device path, serial port, host:port, or vendor:product (hex).")
_declare("receipt.baud", int, 9600, "Baud rate of a serial receipt printer.")
_declare("log.level", str, "INFO", "Log level.", ("DEBUG", "INFO", "WARNING", "ERROR"))
_declare("log.max_bytes", int, 2_000_000, "Size of one log file before it rotates.")
_declare("log.backups", int, 5, "Rotated log files kept.")


class Config:
    """Resolved settings. Read with config["section.key"]."""

    def __init__(self, values: dict[str, Any] | None = None, sources: list[str] | None = None) -> None:
        self._values = {k: s.default for k, s in SETTINGS.items()}
        self.sources = sources or ["defaults"]
        for key, value in (values or {}).items():
            self._values[key] = _check(key, value, "override")

    def __getitem__(self, key: str) -> Any:
        if key not in SETTINGS:
            raise KeyError(key)
        return self._values[key]

    def path(self, key: str) -> Path:
        return Path(os.path.expanduser(str(self[key])))

    def with_overrides(self, **values: Any) -> Config:
        """A copy with some values changed; keys use '__' for '.' (ui__idle_seconds)."""
        merged = dict(self._values)
        merged.update({k.replace("__", "."): v for k, v in values.items()})
        return Config(merged, self.sources + ["overrides"])

    def items(self) -> list[tuple[str, Any]]:
        return sorted(self._values.items())


def _check(key: str, value: Any, origin: str) -> Any:
    setting = SETTINGS.get(key)
    if setting is None:
        raise ConfigError(f"{origin}: unknown setting '{key}'. Run 'kiosk config' to list valid settings.")
    if setting.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, setting.type) or (setting.type is int and isinstance(value, bool)):
        raise ConfigError(
            f"{origin}: '{key}' must be {setting.type.__name__}, got {type(value).__name__}."
        )
    if setting.choices and value not in setting.choices:
        allowed = ", ".join(map(str, setting.choices))
        raise ConfigError(f"{origin}: '{key}' must be one of {allowed}.")
    if key == "ui.warning_seconds" and value < 20:
        raise ConfigError(f"{origin}: 'ui.warning_seconds' must be at least 20 so people have time to respond.")
    if key == "sync.batch_size" and not 1 <= value <= 100:
        raise ConfigError(f"{origin}: 'sync.batch_size' must be between 1 and 100.")
    if key in ("staff.answer_seconds", "staff.stuck_seconds") and not 10 <= value <= 3600:
        raise ConfigError(f"{origin}: '{key}' must be between 10 and 3600 seconds.")
    return value


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(_flatten(value, key + "."))
        else:
            out[key] = value
    return out


def read_file(path: Path) -> dict[str, Any]:
    """Parse and check one TOML file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text.") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    return {k: _check(k, v, str(path)) for k, v in _flatten(raw).items()}


def load(explicit: Path | None = None, *, system: Path = SYSTEM_FILE, local: Path = LOCAL_FILE) -> Config:
    """Defaults, then the system file, the local override and the explicit file, if present."""
    values: dict[str, Any] = {}
    sources = ["defaults"]
    env = os.environ.get("KIOSK_CONFIG")
    candidates = [system, local, explicit or (Path(env) if env else None)]
    for path in candidates:
        if path is None:
            continue
        if path.exists() or path == explicit:
            values.update(read_file(path))
            sources.append(str(path))
    return Config(values, sources)


def describe() -> str:
    """Every setting as commented TOML, for 'kiosk config'."""
    lines: list[str] = []
    section = ""
    for key, s in SETTINGS.items():
        sec, name = key.split(".", 1)
        if sec != section:
            lines.append(f"\n[{sec}]")
            section = sec
        lines.append(f"# {s.description}" + (f" One of: {', '.join(map(str, s.choices))}." if s.choices else ""))
        lines.append(f"{name} = {_toml_value(s.default)}")
    return "\n".join(lines).strip() + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)

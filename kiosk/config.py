"""Configuration: every key declared once with type, default and description.

Values come from TOML: the embedded defaults, then the system file
(/etc/kiosk/kiosk.toml), then a local override (~/.config/kiosk/kiosk.toml),
then an explicit file (--config or KIOSK_CONFIG). Unknown keys and wrong types
are errors with a plain message naming the file and the key.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SYSTEM_FILE = Path("/etc/kiosk/kiosk.toml")
LOCAL_FILE = Path.home() / ".config" / "kiosk" / "kiosk.toml"


class ConfigError(Exception):
    """A configuration problem a technician can fix; the message says how."""


@dataclass(frozen=True)
class Setting:
    """One key: its type and default, and what values make sense (checked where it is declared).

    Numbers carry bounds: ``at_least``/``at_most`` inclusive, ``above`` exclusive (0 < x); a float
    is never inf or nan. Text carries ``choices``, a ``pattern`` (the whole value must match) or a
    ``path`` kind checked at start-up (kiosk.config_checks): "dir" (a writable folder, created if
    missing), "file" (a readable file), "pem" (a PEM file), "key_dir" (a private key folder: 0700,
    its files 0600). A path setting left empty means "not used". ``when`` limits the path check to one driver choice.
    """

    key: str
    type: type
    default: Any
    description: str
    choices: tuple[Any, ...] = ()
    at_least: float | None = None
    at_most: float | None = None
    above: float | None = None
    pattern: str = ""
    path: str = ""
    when: tuple[str, str] | None = None

    def allowed(self) -> str:
        """The allowed values in words, for messages and `kiosk config`."""
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        if self.type in (int, float):
            low = f"more than {self.above:g}" if self.above is not None else f"at least {self.at_least:g}"
            return f"{low} and at most {self.at_most:g}"
        if self.path:
            return {"dir": "a writable folder", "file": "a readable file", "pem": "a PEM file (or empty)",
                    "key_dir": "a private folder (0700, or empty)"}[self.path]
        if self.type is str:
            return f"text matching {self.pattern}"
        return "true or false"


SETTINGS: dict[str, Setting] = {}
PATH_KINDS = ("dir", "file", "pem", "key_dir")
TEXT = r"[^\x00-\x1f\x7f]*"  # any one-line text
SOME_TEXT = r"[^\x00-\x1f\x7f]+"  # one-line text, not empty
BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 921600)


def _declare(key: str, type_: type, default: Any, description: str, choices: tuple[Any, ...] = (),
             **limits: Any) -> None:
    """Declare one setting. Numbers need a range, text a pattern, choices or path kind (see Setting)."""
    if key in SETTINGS:
        raise ValueError(f"setting {key} declared twice")
    s = Setting(key, type_, default, description, choices, **limits)
    if type_ in (int, float) and not s.choices and (
            (s.at_least is None and s.above is None) or s.at_most is None):
        raise ValueError(f"setting {key}: a number needs at_least= (or above=) and at_most=, or choices=")
    if type_ is str and not (s.choices or s.pattern or s.path in PATH_KINDS):
        raise ValueError(f"setting {key}: text needs choices=, pattern= or path= ({', '.join(PATH_KINDS)})")
    # A text default is matched against its pattern by tests/test_config_validation.py, not here:
    # compiling every pattern on import cost each start ~1.5 ms (docs/benchmarks.md).
    if not (type_ is str and s.pattern) and _problem(s, default):
        raise ValueError(f"setting {key}: the default is not allowed ({_problem(s, default)})")
    SETTINGS[key] = s


def _problem(s: Setting, value: Any) -> str:
    """What is wrong with a value of the right type ("" when it is allowed)."""
    if s.choices:
        return "" if value in s.choices else s.allowed()
    if s.type in (int, float):
        if isinstance(value, float) and not math.isfinite(value):
            return s.allowed() + " (not inf or nan)"
        low_ok = value > s.above if s.above is not None else value >= s.at_least
        return "" if low_ok and value <= s.at_most else s.allowed()
    if s.type is str and s.pattern and not re.fullmatch(s.pattern, value):
        return s.allowed()
    if s.path and "\n" in value:
        return "a single line"
    return ""


_declare("kiosk.id", str, "KIOSK-DEMO-001", "This terminal's id, sent with every platform request.",
         pattern=r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_declare("kiosk.state_dir", str, "~/.local/state/kiosk", "Where the outbox, logs and keys live.", path="dir")
_declare("kiosk.fullscreen", bool, True, "Show the touch UI full-screen.")
_declare("kiosk.hall", str, "demo-hall", "The hall this terminal stands in: its staff see it on the hall dashboard.",
         pattern=r"[^\x00-\x1f\x7f]{1,64}")
_declare("kiosk.place", str, "", "Where in the hall (shown to staff with each call), e.g. '一楼 A3'.",
         pattern=r"[^\x00-\x1f\x7f]{0,64}")
_declare("ui.default_language", str, "zh-CN", "Language shown at the start of each session.",
         ("zh-CN", "zh-TW", "en"))
_declare("ui.elderly_age", int, 65, "Card holders this old or older are offered assisted mode.",
         at_least=50, at_most=100)
_declare("ui.idle_seconds", int, 60, "Inactivity before the 'are you still there' warning (doubled in assisted mode).",
         at_least=10, at_most=3600)
_declare("ui.warning_seconds", int, 20, "Countdown of the inactivity warning; at least 20 (doubled in assisted mode).",
         at_least=20, at_most=600)
_declare("ui.done_seconds", int, 15, "How long the goodbye screen stays before the attract screen returns.",
         at_least=3, at_most=600)
_declare("ui.speech", bool, True, "Speak guidance in assisted mode.")
_declare("ui.take_card_reminder_seconds", int, 8,
         "After a session, while the ID card still lies on the reader: how often the chime and prompt repeat.",
         at_least=3, at_most=120)
_declare("ui.take_card_staff_seconds", int, 30,
         "After a session, staff are called if the ID card still lies on the reader this long.",
         at_least=5, at_most=3600)
_declare("ui.readiness_seconds", int, 15,
         "How often the attract and service screens check the printer and the platform, to mark a service "
         "that cannot finish before a citizen starts it (also checked whenever those screens show).",
         at_least=5, at_most=600)
_declare("reader.driver", str, "sim", "ID-card reader driver (sam-emulator: the SAM driver on an emulated device).",
         ("sim", "sam", "pcsc", "sam-emulator"))
_declare("reader.port", str, "/dev/ttyUSB0", "Serial port of a SAM reader.", pattern=SOME_TEXT)
_declare("reader.baud", int, 115200, "Baud rate of a SAM reader.", BAUDS)
_declare("reader.exchange_timeout", float, 1.0, "Seconds to wait for a SAM reader's answer to find/select/status.",
         at_least=0.05, at_most=60.0)
_declare("reader.read_timeout", float, 3.0, "Seconds to wait for a SAM reader's text+photo reply.",
         at_least=0.1, at_most=120.0)
_declare("reader.poll_interval", float, 0.25, "Seconds between card polls (SAM) or status waits (PC/SC).",
         at_least=0.01, at_most=10.0)
_declare("reader.reconnect_interval", float, 1.0, "Seconds between attempts to reach a lost reader or pcscd.",
         at_least=0.05, at_most=300.0)
_declare("reader.max_reconnect_interval", float, 30.0, "Longest wait between attempts while a reader keeps "
         "failing (the wait doubles from reader.reconnect_interval).", at_least=0.05, at_most=600.0)
_declare("reader.loss_grace_seconds", float, 5.0, "A read card's session ends when the reader drops out and "
         "cannot see the card again within this long.", at_least=0.0, at_most=120.0)
_declare("reader.read_fingerprint", bool, False, "Ask a SAM reader for the fingerprint data too (not stored).")
_declare("reader.photo_decoder", str, "", "Licensed WLT photo decoder, 'module:function' (bytes -> BMP); empty: none.",
         pattern=r"|[A-Za-z_][\w.]*:[A-Za-z_]\w*")
_declare("reader.pcsc_reader_filter", str, "", "Use only PC/SC readers whose name contains this text; empty: all.",
         pattern=TEXT)
_declare("camera.driver", str, "sim", "Camera driver.", ("sim", "opencv"))
_declare("camera.source", str, "0", "Camera device index, V4L2 path, video file or RTSP URL.", pattern=SOME_TEXT)
_declare("camera.width", int, 640, "Capture width asked of a camera device.", at_least=160, at_most=7680)
_declare("camera.height", int, 480, "Capture height asked of a camera device.", at_least=120, at_most=4320)
_declare("camera.fps", float, 30.0, "Capture rate asked of a camera device (and the pace of a video file).",
         at_least=1.0, at_most=240.0)
_declare("camera.open_timeout", float, 5.0, "Seconds to wait for the first frame before the camera counts as missing.",
         at_least=0.5, at_most=120.0)
_declare("camera.lost_seconds", float, 2.0, "No new frame for this long: the camera counts as unplugged.",
         at_least=0.2, at_most=60.0)
_declare("camera.frozen_seconds", float, 3.0, "The same picture for this long: the stream counts as frozen.",
         at_least=0.5, at_most=120.0)
_declare("face.enabled", bool, True, "Offer face verification (always with a non-face alternative).")
_declare("face.threshold", float, 0.45, "Largest face distance accepted as a match (strict; dlib's loosest usual "
         "value is 0.6).", at_least=0.2, at_most=0.6)
_declare("face.driver", str, "sim", "Face verifier: scripted simulator or dlib on the device.", ("sim", "dlib"))
_declare("face.min_face_ratio", float, 0.18, "Face narrower than this share of the frame: 'move closer'.",
         at_least=0.05, at_most=0.9)
_declare("face.min_brightness", float, 60.0, "Face darker than this mean grey level (0-255): 'more light'.",
         at_least=0.0, at_most=254.0)
_declare("face.min_sharpness", float, 25.0, "Laplacian variance of the face below this: 'hold still'.",
         at_least=0.0, at_most=10000.0)
_declare("face.min_score", float, 0.0, "HOG detections scoring below this are ignored.", at_least=-2.0, at_most=5.0)
_declare("face.challenges", str, "turn_left,turn_right",
         "Liveness movements to pick from (turn_left, turn_right, nod; nod is weaker against a tilted photo).",
         pattern=r" *(turn_left|turn_right|nod) *(, *(turn_left|turn_right|nod) *)*")
_declare("face.challenge_count", int, 1, "How many different movements each check asks for.", at_least=1, at_most=3)
_declare("face.turn_ratio", float, 0.10, "Nose shift, in eye distances, that counts as a head turn.",
         at_least=0.02, at_most=1.0)
_declare("face.capture_timeout", float, 20.0, "Seconds of guidance before the check gives up.",
         at_least=2.0, at_most=300.0)
_declare("face.challenge_timeout", float, 8.0, "Seconds allowed for each movement.", at_least=1.0, at_most=120.0)
_declare("face.embed_process", bool, True,
         "Compute face embeddings in a helper process (dlib holds the GIL ~80 ms per embedding).")
_declare("face.platform_photo", bool, False,
         "Compare with a photo from the platform when the card photo cannot be decoded (needs a platform API).")
_declare("platform.url", str, "", "Platform base URL (https://; http:// only to this machine); empty starts the "
         "local reference platform.", pattern=r"|https?://[^\s/?#]+(/[^\s?#]*)?")
_declare("platform.public_url", str, "",
         "Public https:// address of the platform's verification service, printed as the QR code of every copy "
         "(<public_url>/v1/verify/<code>); empty: this kiosk prints no copies.",
         pattern=r"|https://[^\s/?#]+(/[^\s?#]*)?")
_declare("platform.connect_timeout", float, 3.0, "Seconds to connect to the platform.", at_least=0.1, at_most=120.0)
_declare("platform.read_timeout", float, 10.0, "Seconds to wait for a platform answer.", at_least=0.1, at_most=600.0)
_declare("platform.retries", int, 2, "Extra attempts for idempotent platform calls (with backoff).",
         at_least=0, at_most=10)
_declare("platform.ca_bundle", str, "", "PEM CA bundle to verify the platform's TLS certificate; empty: system CAs.",
         path="pem")
_declare("platform.client_cert", str, "", "PEM client certificate for mutual TLS (optional).", path="pem")
_declare("platform.client_key", str, "", "PEM private key of platform.client_cert (optional).", path="pem")
_declare("platform.trust_anchor", str, "3TFKTDvCB5ArQW7TAPJbJ8je80irMcRQrDbV1AuzzC4=",
         "Base64 Ed25519 key that must sign the platform's file-signing key list (GET /v1/keys); the default "
         "is the reference platform's.", pattern=r"[A-Za-z0-9+/]{43}=")
_declare("platform.device_key_dir", str, "", "Folder (0700) of this kiosk's own signing key, made by 'kiosk enrol'; "
         "empty: <kiosk.state_dir>/device-key.", path="key_dir")
_declare("sync.in_process", bool, True, "Run the sync engine inside the kiosk process too (the demo). Production runs "
         "the kiosk-sync service; a lock file makes sure only one engine delivers at a time.")
_declare("sync.batch_size", int, 50, "Transactions sent per request (the platform takes at most 100).",
         at_least=1, at_most=100)
_declare("sync.poll_seconds", float, 5.0, "Longest pause of the sync engine while nothing is due.",
         at_least=0.05, at_most=3600.0)
_declare("sync.max_backoff_seconds", float, 300.0, "Longest wait between retries of one transaction.",
         at_least=1.0, at_most=86400.0)
_declare("sync.retention_days", float, 7.0, "Delivered transactions are deleted from the outbox after this long.",
         at_least=0.0, at_most=3650.0)
_declare("sync.heartbeat_seconds", float, 300.0, "How often the kiosk reports its queue health to the platform.",
         at_least=5.0, at_most=86400.0)
_declare("sync.max_queued", int, 500, "Offline limit: past this many undelivered transactions no offline work "
         "is taken.", at_least=1, at_most=1_000_000)
_declare("sync.max_age_hours", float, 72.0, "Offline limit: past this age of the oldest undelivered transaction no "
         "offline work is taken.", above=0.0, at_most=8760.0)
_declare("storage.min_free_mb", float, 50.0, "Below this much free disk space where the outbox lives, no "
         "offline work is taken (the heartbeat reports disk_low).", at_least=1.0, at_most=1_000_000.0)
_declare("storage.reserve_mb", float, 16.0, "Disk space kept aside in a reserve file, given up when the disk is "
         "full so the transaction at hand and the sync engine's bookkeeping can still be written; 0: none.",
         at_least=0.0, at_most=100_000.0)
_declare("printer.driver", str, "pdf_folder", "Printer driver.", ("pdf_folder", "cups"))
_declare("printer.pdf_folder", str, "~/kiosk-prints", "Folder the demo printer writes PDFs to.", path="dir",
         when=("printer.driver", "pdf_folder"))
_declare("printer.queue", str, "", "CUPS queue name (cups driver).", pattern=r"[A-Za-z0-9_.-]{0,127}")
_declare("printer.device_uri", str, "", "The printer's CUPS device URI (`lpinfo -v`), for the queue `kiosk setup` "
         "creates with lpadmin; empty: the queue is set up by hand.", pattern=r"|[a-z][a-z0-9+.-]*:[^\s]*")
_declare("printer.model", str, "everywhere", "The printer's model for lpadmin -m (`lpinfo -m`; everywhere: a "
         "driverless IPP printer).", pattern=r"[^\s]{1,200}")
_declare("printer.cups_server", str, "", "CUPS server: host name or socket path; empty uses the system default.",
         pattern=r"[^\s]*")
_declare("printer.job_timeout", float, 120.0, "Seconds a print job may take before the kiosk cancels it.",
         at_least=5.0, at_most=3600.0)
_declare("printer.copy_valid_days", int, 30, "Days the verification code on a printed copy stays valid.",
         at_least=1, at_most=3650)
_declare("receipt.driver", str, "sim", "Thermal receipt printer transport (ESC/POS); sim writes text files "
         "beside the demo's PDFs.", ("sim", "none", "file", "serial", "network", "usb"))
_declare("receipt.target", str, "",
         "Receipt printer: file/device path, serial port, host:port, or vendor:product (hex).", pattern=TEXT)
_declare("receipt.baud", int, 9600, "Baud rate of a serial receipt printer.", BAUDS)
_declare("video.enabled", bool, True, "Offer video help (远程帮办) when the platform answers.")
_declare("video.ice_servers", str, "", "STUN/TURN servers for video help, comma separated (stun:host:3478, "
         "turn:host:3478?transport=udp, e.g. Debian's coturn); empty: none (enough on one network).",
         pattern=r"((stun|turns?):[^\s,@]+)?(,\s*(stun|turns?):[^\s,@]+)*")
_declare("video.turn_username", str, "", "User name for the TURN servers (optional).", pattern=r"[^\s:@]{0,64}")
_declare("video.turn_password_file", str, "", "File holding the TURN password (optional; never in this file).",
         path="file")
_declare("video.answer_seconds", float, 60.0, "How long video help waits for an agent before offering a person "
         "at the kiosk instead.", at_least=5.0, at_most=600.0)
_declare("video.screen_fps", float, 8.0, "Frames per second of the kiosk screen shared with the agent.",
         at_least=1.0, at_most=30.0)
_declare("video.screen_width", int, 960, "Width in pixels of the shared screen picture (scaled).",
         at_least=320, at_most=1920)
_declare("video.microphone", str, "", "Microphone for video help as alsa:<device> (alsa:default also reaches "
         "PulseAudio/PipeWire through their ALSA plugin); empty: none.", pattern=r"(alsa:[^\s]+)?")
_declare("video.speaker", str, "", "Where the agent's voice plays, as alsa:<device> (alsa:default); empty: "
         "received but not played.", pattern=r"(alsa:[^\s]+)?")
_declare("audit.max_bytes", int, 1_000_000, "Size of the live audit file before it rotates (the chain runs on).",
         at_least=10_000, at_most=1_000_000_000)
_declare("audit.retention_days", int, 400, "Days rotated audit files are kept; at least 183 (six months, "
         "Cybersecurity Law art. 21).", at_least=183, at_most=36_500)
_declare("audit.ship", bool, True, "Send every audit entry to the platform through the outbox too.")
_declare("metrics.port", int, 0, "Port of the Prometheus exporter (docs/monitoring.md); 0: off.",
         at_least=0, at_most=65535)
_declare("metrics.address", str, "127.0.0.1", "Address the Prometheus exporter listens on.",
         pattern=r"[0-9A-Za-z.:-]{1,64}")
_declare("staff.answer_seconds", int, 60, "A staff call not acknowledged by then: the kiosk says so and offers "
         "what else works.", at_least=10, at_most=3600)
_declare("staff.stuck_seconds", int, 120, "The kiosk working on one screen this long calls staff by itself.",
         at_least=10, at_most=3600)
_declare("staff.idle_seconds", int, 300, "A staff session (maintenance mode) ends after this long without a touch.",
         at_least=30, at_most=3600)
_declare("staff.max_session_seconds", int, 28_800, "A staff session ends after this long in all (8 h).",
         at_least=60, at_most=28_800)
_declare("maintenance.export_dir", str, "~/kiosk-usb", "Where maintenance mode saves the readiness report and "
         "support bundle (the USB stick's mount point).", path="dir")
_declare("log.level", str, "INFO", "Log level.", ("DEBUG", "INFO", "WARNING", "ERROR"))
_declare("log.max_bytes", int, 2_000_000, "Size of one log file before it rotates.",
         at_least=10_000, at_most=1_000_000_000)
_declare("log.backups", int, 5, "Rotated log files kept.", at_least=0, at_most=100)
_declare("service.crash_loop_starts", int, 5, "This many UI starts within service.crash_loop_minutes is a crash "
         "loop: the kiosk stays out of service until a technician puts it back.", at_least=2, at_most=100)
_declare("service.crash_loop_minutes", float, 10.0, "The window in which UI starts are counted.",
         at_least=1.0, at_most=1440.0)
_declare("service.max_backoff_seconds", float, 16.0, "Longest wait before a quick restart of the UI goes on "
         "(1, 2, 4 ... seconds from the third start within the window).", at_least=0.0, at_most=60.0)
_declare("update.package", str, "kiosk", "The Debian package `kiosk update` updates (this kiosk's own).",
         pattern=r"[a-z0-9][a-z0-9+.-]+")
_declare("update.window", str, "02:00-05:00", "Local time window in which `kiosk update` (and its timer) may "
         "install an update; HH:MM-HH:MM, may cross midnight.",
         pattern=r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")
_declare("update.restart_command", str, "systemctl restart kiosk.service kiosk-sync.service",
         "Command that restarts the kiosk's services after an install (run without a shell).", pattern=SOME_TEXT)
_declare("update.reset_command", str, "systemctl reset-failed kiosk.service kiosk-sync.service",
         "Command run before each restart of an update or rollback, so a start limit the broken version "
         "hit does not refuse the restart (run without a shell; its failure is only logged; empty: none).",
         pattern=TEXT)
_declare("update.sync_check_command", str, "systemctl is-active --quiet kiosk-sync.service",
         "Command whose success means the sync service is alive after an update (empty: not checked).",
         pattern=TEXT)
_declare("update.health_seconds", float, 120.0, "How long a new version has to reach the attract screen "
         "(and pass the other checks) before it is rolled back.", at_least=5.0, at_most=3600.0)
_declare("update.keep_dir", str, "", "Where the installed version's .deb is kept for a rollback "
         "(empty: <kiosk.state_dir>/updates).", pattern=TEXT)


class Config:
    """Resolved settings. Read with config["section.key"]; ``origin(key)`` names the file that set it."""

    def __init__(self, values: dict[str, Any] | None = None, sources: list[str] | None = None,
                 origins: dict[str, str] | None = None) -> None:
        self._values = {k: s.default for k, s in SETTINGS.items()}
        self.sources = sources or ["defaults"]
        self._origins = dict(origins or {})
        for key, value in (values or {}).items():
            self._values[key] = _check(key, value, self._origins.get(key, "override"))

    def __getitem__(self, key: str) -> Any:
        if key not in SETTINGS:
            raise KeyError(key)
        return self._values[key]

    def origin(self, key: str) -> str:
        """Where a key's value came from: a file name, "override" or "defaults"."""
        return self._origins.get(key, "defaults")

    def path(self, key: str) -> Path:
        return Path(os.path.expanduser(str(self[key])))

    def with_overrides(self, **values: Any) -> Config:
        """A copy with some values changed; keys use '__' for '.' (ui__idle_seconds)."""
        changed = {k.replace("__", "."): v for k, v in values.items()}
        origins = {**self._origins, **dict.fromkeys(changed, "override")}
        out = Config(changed, self.sources + ["overrides"], origins)  # checks the changed values only
        out._values = {**self._values, **{key: out._values[key] for key in changed}}
        return out

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
    problem = _problem(setting, value)
    if problem:  # the value itself is not repeated: it may be a secret
        raise ConfigError(f"{origin}: '{key}' must be {problem}.")
    if key == "platform.url" and value:
        from kiosk.platform_url import check_platform_url

        try:
            check_platform_url(value)
        except ValueError as exc:
            raise ConfigError(f"{origin}: 'platform.url' {exc}.") from None
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
    import tomllib  # only when a file is read: ~15 ms the attract screen need not wait for

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
    origins: dict[str, str] = {}
    sources = ["defaults"]
    env = os.environ.get("KIOSK_CONFIG")
    candidates = [system, local, explicit or (Path(env) if env else None)]
    for path in candidates:
        if path is None:
            continue
        if path.exists() or path == explicit:
            found = read_file(path)
            values.update(found)
            origins.update(dict.fromkeys(found, str(path)))
            sources.append(str(path))
    return Config(values, sources, origins)


def describe() -> str:
    """Every setting as commented TOML, for 'kiosk config'."""
    lines: list[str] = []
    section = ""
    for key, s in SETTINGS.items():
        sec, name = key.split(".", 1)
        if sec != section:
            lines.append(f"\n[{sec}]")
            section = sec
        allowed = s.allowed() if s.type in (int, float) or s.choices or s.path else ""
        lines.append(f"# {s.description}" + (f" Allowed: {allowed}." if allowed else ""))
        lines.append(f"{name} = {_toml_value(s.default)}")
    return "\n".join(lines).strip() + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)

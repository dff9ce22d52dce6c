"""One set of checks for `kiosk doctor` and the maintenance screen: every configured part,
its state in plain words, and the fix when something is wrong.

The checks take the drivers they look at (typing.Protocol objects) and callables for the
driver-specific ones (reader, camera), so the command line and the running kiosk share
exactly this code. Nothing personal is reported: states, counts, times and file names.
Findings are kiosk.i18n.Said: English on the command line and in the report, the kiosk's
language on the maintenance screen (strings.tsv, keys doctor_*).
"""

from __future__ import annotations

import datetime as _dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.i18n import Said, localise

PARTS = ("reader", "camera", "printer", "receipt", "speech", "platform", "disk", "clock", "outbox", "audit")
MIN_FREE_BYTES = 500 * 1024 * 1024
MIN_FREE_SHARE = 0.05
MAX_CLOCK_SKEW_S = 60
TLS_WARN_DAYS = 30


@dataclass(frozen=True)
class Check:
    """The result of one check: part (one of PARTS), ok, what was found, the fix, when."""

    part: str
    ok: bool
    summary: str
    fix: str = ""
    details: tuple[str, ...] = ()
    at: str = field(default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))

    def as_dict(self, language: str = "en") -> dict[str, Any]:
        """For JSON and the screens; summary and fix in `language` where they are kiosk.i18n.Said."""
        return {"part": self.part, "ok": self.ok, "summary": str(localise(self.summary, language)),
                "fix": str(localise(self.fix, language)), "details": list(self.details), "at": self.at}


@dataclass
class Parts:
    """What the checks look at; None (or a missing callable) means 'not configured'."""

    config: Any
    reader: Callable[[], tuple[bool, str, str]] | None = None  # () -> (ok, summary, fix)
    camera: Callable[[], tuple[bool, str, str]] | None = None
    printer: Any = None  # kiosk.interfaces.Printer
    receipts: Any = None  # kiosk.interfaces.ReceiptPrinter
    speech_engine: str = "espeak-ng"
    platform_url: str = ""  # empty: the local reference platform the kiosk starts itself
    outbox: Any = None  # counts() and health()
    audit_dir: Path | None = None


def _guard(part: str, fn: Callable[[], Check]) -> Check:
    try:
        return fn()
    except Exception as exc:  # a check never takes the doctor down
        return Check(part, False, Said("doctor_check_failed", type(exc).__name__), Said("doctor_fix_check_failed"))


def run_checks(parts: Parts, only: tuple[str, ...] = PARTS) -> list[Check]:
    """Run the checks for the given parts, in PARTS order."""
    probe: dict[str, Any] = {}
    table: dict[str, Callable[[], Check]] = {
        "reader": lambda: _from_callable("reader", parts.reader, Said("doctor_no_reader")),
        "camera": lambda: _from_callable("camera", parts.camera, Said("doctor_no_camera")),
        "printer": lambda: check_printer("printer", parts.printer),
        "receipt": lambda: check_printer("receipt", parts.receipts),
        "speech": lambda: check_speech(parts.speech_engine),
        "platform": lambda: check_platform(parts.platform_url, parts.config, probe),
        "disk": lambda: check_disk(parts.config.path("kiosk.state_dir")),
        "clock": lambda: check_clock(probe if parts.platform_url else None),
        "outbox": lambda: check_outbox(parts.outbox),
        "audit": lambda: check_audit(parts.audit_dir),
    }
    return [_guard(p, table[p]) for p in PARTS if p in only]


def _from_callable(part: str, fn: Callable[[], tuple[bool, str, str]] | None, missing: str) -> Check:
    if fn is None:
        return Check(part, True, missing)
    ok, summary, fix = fn()
    return Check(part, ok, summary, fix)


def check_printer(part: str, printer: Any) -> Check:
    from kiosk.interfaces import PrinterState

    if printer is None:
        return Check(part, True, Said("doctor_none_configured"))
    state = printer.state()
    summary = Said("doctor_device_state", f"@doctor_name_{'printer' if part == 'printer' else 'receipt'}",
                   f"@doctor_state_{state.value}")
    if state in (PrinterState.READY, PrinterState.BUSY):
        return Check(part, True, summary)
    fixes = ("out_of_paper", "jammed", "offline", "stopped")
    return Check(part, False, summary,
                 Said(f"doctor_fix_{state.value}" if state.value in fixes else "doctor_fix_printer_other"))


def check_speech(engine: str) -> Check:
    if shutil.which(engine):
        return Check("speech", True, Said("doctor_speech_ok", engine))
    return Check("speech", False, Said("doctor_speech_missing", engine), Said("doctor_fix_speech", engine))


def probe_platform(url: str, *, ca_bundle: str = "", timeout: float = 3.0) -> dict[str, Any]:
    """GET /v1/health: latency, HTTP status, the server's Date, and for https the certificate's expiry."""
    import email.utils
    import socket
    import ssl
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    out: dict[str, Any] = {}
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as raw:
        sock: Any = raw
        if parts.scheme == "https":
            context = ssl.create_default_context(cafile=ca_bundle or None)
            sock = context.wrap_socket(raw, server_hostname=host)
            cert = sock.getpeercert() or {}
            if cert.get("notAfter"):
                out["cert_expires"] = _dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), _dt.UTC)
        path = (parts.path.rstrip("/") or "") + "/v1/health"
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        sock.settimeout(timeout)
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    out["latency_ms"] = round((time.monotonic() - started) * 1000, 1)
    lines = head.split(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    out["status"] = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "date":
            out["server_time"] = email.utils.parsedate_to_datetime(value.strip())
    out["local_time"] = _dt.datetime.now(_dt.UTC)
    return out


def check_platform(url: str, config: Any, probe: dict[str, Any]) -> Check:
    import ssl

    if not url:
        return Check("platform", True, Said("doctor_platform_local"))
    try:
        probe.update(probe_platform(url, ca_bundle=config["platform.ca_bundle"],
                                    timeout=config["platform.connect_timeout"]))
    except ssl.SSLCertVerificationError as exc:
        return Check("platform", False, Said("doctor_platform_untrusted", exc.verify_message),
                     Said("doctor_fix_platform_untrusted"))
    except (OSError, ValueError) as exc:
        return Check("platform", False, Said("doctor_platform_unreachable", type(exc).__name__),
                     Said("doctor_fix_platform_unreachable"))
    details = [f"latency {probe['latency_ms']} ms", f"HTTP {probe['status']}"]
    expires = probe.get("cert_expires")
    if expires is not None:
        days = (expires - probe["local_time"]).days
        details.append(f"TLS certificate expires {expires.date()} ({days} days)")
        if days < TLS_WARN_DAYS:
            return Check("platform", False, Said("doctor_platform_cert_expiring", days),
                         Said("doctor_fix_platform_cert"), tuple(details))
    if probe["status"] != 200:
        return Check("platform", False, Said("doctor_platform_http", probe["status"]),
                     Said("doctor_fix_platform_http"), tuple(details))
    return Check("platform", True, Said("doctor_platform_ok", probe["latency_ms"]), details=tuple(details))


def check_clock(probe: dict[str, Any] | None) -> Check:
    now = _dt.datetime.now(_dt.UTC)
    if now.year < 2024:
        return Check("clock", False, Said("doctor_clock_wrong", now.date()), Said("doctor_fix_clock_set"))
    if not probe or "server_time" not in probe:
        return Check("clock", True, Said("doctor_clock_local", now.isoformat(timespec="seconds")))
    skew = (probe["local_time"] - probe["server_time"]).total_seconds()
    if abs(skew) > MAX_CLOCK_SKEW_S:
        return Check("clock", False, Said("doctor_clock_skew", f"{skew:+.0f}"), Said("doctor_fix_clock_sync"))
    return Check("clock", True, Said("doctor_clock_ok", f"{abs(skew):.0f}"))


def check_disk(directory: Path) -> Check:
    directory.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(directory)
    share = usage.free / usage.total if usage.total else 0
    summary = Said("doctor_disk", usage.free // (1024 * 1024), f"{share:.0%}", directory)
    if usage.free < MIN_FREE_BYTES or share < MIN_FREE_SHARE:
        return Check("disk", False, summary, Said("doctor_fix_disk"))
    return Check("disk", True, summary)


def check_outbox(outbox: Any) -> Check:
    if outbox is None:
        return Check("outbox", True, Said("doctor_no_outbox"))
    counts = outbox.counts()
    health = outbox.health()
    details = tuple(f"{k}: {v}" for k, v in counts.items())
    if health.get("quarantined"):
        return Check("outbox", False, Said("doctor_outbox_quarantined"), Said("doctor_fix_outbox_quarantined"),
                     details)
    if counts.get("dead"):
        return Check("outbox", False, Said("doctor_outbox_dead", counts["dead"]), Said("doctor_fix_outbox_dead"),
                     details)
    if health.get("limits_reached"):
        return Check("outbox", False, Said("doctor_outbox_limit", ", ".join(health["limits_reached"])),
                     Said("doctor_fix_outbox_limit"), details)
    return Check("outbox", True, Said("doctor_outbox_ok", health.get("queue_depth", 0)), details=details)


def check_audit(directory: Path | None) -> Check:
    from kiosk.audit_log import verify

    if directory is None or not directory.is_dir():
        return Check("audit", True, Said("doctor_audit_none"))
    result = verify(directory)
    if result.ok:
        return Check("audit", True, Said("doctor_audit_ok", result.entries))
    return Check("audit", False, Said("doctor_audit_damaged", len(result.problems)), Said("doctor_fix_audit"),
                 tuple(result.problems[:5]))


def check_enrolment(config: Any, key_state: str, refused: set[str] | frozenset[str] = frozenset()) -> Check:
    """Is this kiosk enrolled with the platform? key_state: sync.enrolment.device_key_state();
    refused: the journey's out-of-service reasons (the platform said revoked or unknown)."""
    fix = Said("doctor_fix_enrol")
    if not config["platform.url"]:
        return Check("enrolment", True, Said("doctor_enrol_demo"))
    if "platform_kiosk_revoked" in refused:
        return Check("enrolment", False, Said("doctor_enrol_revoked"), fix)
    if "platform_not_enrolled" in refused:
        return Check("enrolment", False, Said("doctor_enrol_unknown"), fix)
    if key_state == "missing":
        return Check("enrolment", False, Said("doctor_enrol_no_key"), fix)
    if key_state == "unsafe":
        return Check("enrolment", False, Said("doctor_enrol_key_unsafe"), Said("doctor_fix_enrol_key"))
    return Check("enrolment", True, Said("doctor_enrol_ok", config["kiosk.id"]))

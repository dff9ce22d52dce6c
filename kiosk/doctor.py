"""One set of checks for `kiosk doctor` and the maintenance screen: every configured part,
its state in plain words, and the fix when something is wrong.

The checks take the drivers they look at (typing.Protocol objects) and callables for the
driver-specific ones (reader, camera), so the command line and the running kiosk share
exactly this code. Nothing personal is reported: states, counts, times and file names.
"""

from __future__ import annotations

import datetime as _dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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

    def as_dict(self) -> dict[str, Any]:
        return {"part": self.part, "ok": self.ok, "summary": self.summary, "fix": self.fix,
                "details": list(self.details), "at": self.at}


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
        return Check(part, False, f"the check itself failed ({type(exc).__name__})",
                     "run 'kiosk doctor' on the terminal and send the output to support")


def run_checks(parts: Parts, only: tuple[str, ...] = PARTS) -> list[Check]:
    """Run the checks for the given parts, in PARTS order."""
    probe: dict[str, Any] = {}
    table: dict[str, Callable[[], Check]] = {
        "reader": lambda: _from_callable("reader", parts.reader, "no card reader driver configured"),
        "camera": lambda: _from_callable("camera", parts.camera, "no camera configured"),
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
        return Check(part, True, "none configured")
    state = printer.state()
    name = "document printer" if part == "printer" else "receipt printer"
    if state in (PrinterState.READY, PrinterState.BUSY):
        return Check(part, True, f"{name} {state.value}")
    fixes = {
        "out_of_paper": "load paper, then run the self-test",
        "paper_jam": "open the printer, clear the jam, close it, then run the self-test",
        "offline": "check the printer's power and cable (USB/network); for CUPS run 'lpstat -p'",
        "stopped": "the queue is stopped: 'cupsenable QUEUE' (and 'cupsaccept QUEUE')",
    }
    return Check(part, False, f"{name} {state.value}",
                 fixes.get(state.value, "switch the printer off and on; if it persists, call support"))


def check_speech(engine: str) -> Check:
    if shutil.which(engine):
        return Check("speech", True, f"{engine} is installed")
    return Check("speech", False, f"{engine} is missing: assisted mode cannot speak",
                 f"install it: 'apt install {engine}' (installer/install.sh does)")


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
        return Check("platform", True, "the local reference platform (demo) runs inside the kiosk")
    try:
        probe.update(probe_platform(url, ca_bundle=config["platform.ca_bundle"],
                                    timeout=config["platform.connect_timeout"]))
    except ssl.SSLCertVerificationError as exc:
        return Check("platform", False, f"the platform's TLS certificate is not trusted ({exc.verify_message})",
                     "check platform.ca_bundle and the terminal's clock")
    except (OSError, ValueError) as exc:
        return Check("platform", False, f"the platform cannot be reached ({type(exc).__name__})",
                     "check the network cable and platform.url; the kiosk keeps working offline meanwhile")
    details = [f"latency {probe['latency_ms']} ms", f"HTTP {probe['status']}"]
    expires = probe.get("cert_expires")
    if expires is not None:
        days = (expires - probe["local_time"]).days
        details.append(f"TLS certificate expires {expires.date()} ({days} days)")
        if days < TLS_WARN_DAYS:
            return Check("platform", False, f"the platform's TLS certificate expires in {days} days",
                         "tell the platform operator; the kiosk stops trusting it when it expires", tuple(details))
    if probe["status"] != 200:
        return Check("platform", False, f"the platform answers HTTP {probe['status']}",
                     "the platform has a problem: tell its operator", tuple(details))
    return Check("platform", True, f"the platform answers in {probe['latency_ms']} ms", details=tuple(details))


def check_clock(probe: dict[str, Any] | None) -> Check:
    now = _dt.datetime.now(_dt.UTC)
    if now.year < 2024:
        return Check("clock", False, f"the clock says {now.date()}", "set the time: 'timedatectl set-ntp true'")
    if not probe or "server_time" not in probe:
        return Check("clock", True, f"local time {now.isoformat(timespec='seconds')} (no platform time to compare)")
    skew = (probe["local_time"] - probe["server_time"]).total_seconds()
    if abs(skew) > MAX_CLOCK_SKEW_S:
        return Check("clock", False, f"the clock is {skew:+.0f} s off the platform's",
                     "turn on time sync: 'timedatectl set-ntp true' (signatures and TLS need the right time)")
    return Check("clock", True, f"the clock is within {abs(skew):.0f} s of the platform's")


def check_disk(directory: Path) -> Check:
    directory.mkdir(parents=True, exist_ok=True)
    usage = shutil.disk_usage(directory)
    share = usage.free / usage.total if usage.total else 0
    summary = f"{usage.free // (1024 * 1024)} MB free ({share:.0%}) for {directory}"
    if usage.free < MIN_FREE_BYTES or share < MIN_FREE_SHARE:
        return Check("disk", False, summary, "free space: old prints in the print folder, 'journalctl --vacuum-"
                     "size=100M'; the audit trail stops the kiosk when the disk is full")
    return Check("disk", True, summary)


def check_outbox(outbox: Any) -> Check:
    if outbox is None:
        return Check("outbox", True, "no outbox")
    counts = outbox.counts()
    health = outbox.health()
    details = tuple(f"{k}: {v}" for k, v in counts.items())
    if health.get("quarantined"):
        return Check("outbox", False, "a damaged outbox file was set aside",
                     "export a support bundle, then acknowledge: 'kiosk queue ack'", details)
    if counts.get("dead"):
        return Check("outbox", False, f"{counts['dead']} transaction(s) the platform refused (dead letters)",
                     "retry them (maintenance: outbox, or 'kiosk queue retry'); if they fail again, export a "
                     "support bundle", details)
    if health.get("limits_reached"):
        return Check("outbox", False, f"offline limit reached: {', '.join(health['limits_reached'])}",
                     "bring the platform connection back; no offline applications are taken meanwhile", details)
    return Check("outbox", True, f"{health.get('queue_depth', 0)} waiting to be sent", details=details)


def check_audit(directory: Path | None) -> Check:
    from kiosk.audit_log import verify

    if directory is None or not directory.is_dir():
        return Check("audit", True, "no audit trail yet")
    result = verify(directory)
    if result.ok:
        return Check("audit", True, f"{result.entries} entries, chain intact")
    return Check("audit", False, f"the audit trail was changed or damaged ({len(result.problems)} problem(s))",
                 "keep the files as they are, export a support bundle and report it", tuple(result.problems[:5]))

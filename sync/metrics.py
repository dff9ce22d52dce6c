"""The kiosk's Prometheus exporter (prometheus_client on a local port; see docs/monitoring.md).

Counters (sessions, prints, failures by reason, staff calls, answer time) are counted in the
process that serves citizens, as things happen; the outbox, sync, disk and clock are read
when Prometheus scrapes, so nothing is stale. Labels hold only kiosk id, hall, version,
device names, states and reason keys: never a name, an ID number or certificate content.
prometheus_client is imported here only (start-up path stays light).
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.service import kiosk_state, software_version

PRINT_STATES = ("ok", "low", "out")


class KioskMetrics:
    """One kiosk's metrics registry and its HTTP exporter."""

    def __init__(self, outbox: Any, *, kiosk_id: str, hall: str, state_dir: Path,
                 printer_health: Callable[[], dict[str, Any]] | None = None,
                 call_waiting: Callable[[], float | None] = lambda: None, client_cert: str = "",
                 clock: Callable[[], float] = time.time) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.outbox, self.state_dir, self.clock = outbox, state_dir, clock
        self.kiosk_id, self.hall = kiosk_id, hall
        self.printer_health = printer_health
        self.call_waiting = call_waiting  # seconds the open staff call has waited unanswered, or None
        self.client_cert = client_cert
        self.registry = CollectorRegistry()
        self.sessions = Counter("kiosk_sessions", "Sessions with a verified identity", registry=self.registry)
        self.prints = Counter("kiosk_prints", "Certificate copies printed, by result", ["result"],
                              registry=self.registry)
        self.failures = Counter("kiosk_failures", "Failures by reason key", ["reason"], registry=self.registry)
        self.staff_calls = Counter("kiosk_staff_calls", "Staff calls placed, by kind and reason",
                                   ["kind", "reason"], registry=self.registry)
        self.answer = Histogram("kiosk_staff_call_answer_seconds", "From a staff call to its acknowledgement",
                                buckets=(15, 30, 60, 120, 300, 600), registry=self.registry)
        self.registry.register(_ReadAtScrape(self))
        self._server: Any = None
        self._printer_cache: tuple[float, dict[str, Any]] = (0.0, {})
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ what happened (any thread)

    def record(self, kind: str, payload: dict[str, Any]) -> None:
        """A transaction the kiosk recorded (kiosk.services.record): count what Prometheus needs."""
        if kind == "identity_check" and payload.get("verified"):
            self.sessions.inc()
        elif kind == "print":
            self.prints.labels("ok" if payload.get("ok") else "failed").inc()
            if not payload.get("ok"):
                self.failures.labels(_key(payload.get("reason"), "printer_error")).inc()
        elif kind == "help_request":
            self.staff_calls.labels("help", _key(payload.get("reason"), "citizen_request")).inc()

    def staff_call_answered(self, seconds: float) -> None:
        self.answer.observe(max(0.0, seconds))

    # ------------------------------------------------------------------ serving

    def start(self, port: int = 0, addr: str = "127.0.0.1") -> int:
        """Serve /metrics on addr:port (0: a free port); returns the port."""
        from prometheus_client import start_http_server

        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        self._server = server
        return int(server.server_address[1])

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def printer(self) -> dict[str, Any]:
        """The printer's self-test, at most every 30 s (an IPP round trip is not free)."""
        if self.printer_health is None:
            return {}
        with self._lock:
            at, cached = self._printer_cache
            if self.clock() - at >= 30:
                try:
                    cached = self.printer_health().get("printer", {})
                except Exception:
                    cached = {"state": "error"}
                self._printer_cache = (self.clock(), cached)
            return cached


def _key(value: Any, default: str) -> str:
    """A reason key as a label: short, [a-z0-9_] only (never free text)."""
    text = value if isinstance(value, str) else default
    return "".join(c for c in text.lower() if c.isalnum() or c == "_")[:48] or default


def _cert_expiry(path: str) -> float | None:
    if not path:
        return None
    try:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(Path(path).expanduser().read_bytes())
        return cert.not_valid_after_utc.timestamp()
    except (OSError, ValueError):
        return None


def _update_metrics(state_dir: Path, gauge: Callable[..., Any], now: float) -> Any:
    """The last `kiosk update` (kiosk/updates.py): when, and whether it failed (rolled back or worse;
    an install still running after an hour was cut short and counts as failed)."""
    from kiosk.updates import GOOD, INSTALLING, read_state

    last = read_state(state_dir)
    if "result" not in last:
        return
    result = _key(last["result"], "unknown")
    running = last["result"] == INSTALLING and now - last.get("at", 0.0) < 3600.0
    yield gauge("kiosk_update_failed", "The last update failed (1: rolled back, or worse) or not (0)",
                0 if last["result"] in GOOD or running else 1, {"result": result})
    if "at" in last:
        yield gauge("kiosk_update_timestamp_seconds", "When the last update ran", last["at"])


class _ReadAtScrape:
    """Outbox, sync, devices, disk and clock, read at scrape time."""

    def __init__(self, metrics: KioskMetrics) -> None:
        self.m = metrics

    def describe(self) -> list:
        return []

    def collect(self) -> Any:
        from prometheus_client.core import GaugeMetricFamily

        m, now = self.m, self.m.clock()

        def gauge(name: str, doc: str, value: float, labels: dict[str, str] | None = None) -> GaugeMetricFamily:
            g = GaugeMetricFamily(name, doc, labels=list(labels or {}))
            g.add_metric(list((labels or {}).values()), value)
            return g

        yield gauge("kiosk_info", "This kiosk: id, hall and software version",
                    1, {"kiosk_id": m.kiosk_id, "hall": m.hall, "version": software_version()})
        try:
            health = m.outbox.health(now)
            state = m.outbox.sync_state()
            seen = kiosk_state(m.outbox)
        except Exception:
            health, state, seen = {"queue_depth": 0, "oldest_age_s": 0, "dead": 0, "limits_reached": ["outbox"]}, \
                None, {}
        yield gauge("kiosk_outbox_depth", "Transactions waiting for delivery", health.get("queue_depth", 0))
        yield gauge("kiosk_outbox_oldest_age_seconds", "Age of the oldest waiting transaction",
                    health.get("oldest_age_s", 0))
        yield gauge("kiosk_outbox_dead", "Transactions the platform refused for good", health.get("dead", 0))
        yield gauge("kiosk_outbox_limit_reached", "An offline limit is reached (no more offline work)",
                    1 if health.get("limits_reached") else 0)
        online = state[0] if state else False
        yield gauge("kiosk_sync_online", "The platform answered the last request or probe", 1 if online else 0)
        yield gauge("kiosk_sync_last_contact_timestamp_seconds", "When the sync engine last heard of the platform",
                    state[1] if state else 0)
        status = m.outbox.get_meta("sync_status", {}) if hasattr(m.outbox, "get_meta") else {}
        breaker = (status or {}).get("breaker", "closed") if isinstance(status, dict) else "closed"
        yield gauge("kiosk_sync_breaker_open", "The circuit breaker holds requests back", 1 if breaker == "open" else 0)
        skew = m.outbox.get_meta("clock_skew", None) if hasattr(m.outbox, "get_meta") else None
        if isinstance(skew, int | float):
            yield gauge("kiosk_clock_skew_seconds", "Platform clock minus kiosk clock", float(skew))
        devices = dict(seen.get("devices", {})) if isinstance(seen.get("devices"), dict) else {}
        printer = m.printer()
        if printer:
            devices["printer"] = printer
        ok = GaugeMetricFamily("kiosk_device_ok", "A device works (1) or not (0)", labels=["device", "state"])
        for name, info in sorted(devices.items()):
            st = str(info.get("state", "unknown")) if isinstance(info, dict) else str(info)
            ok.add_metric([_key(name, "device"), _key(st, "unknown")],
                          1 if st in ("ready", "busy", "connected", "on", "ok") else 0)
        yield ok
        if printer:
            from sync.service import supplies

            found = supplies(printer)
            for supply in ("paper", "toner"):
                g = GaugeMetricFamily(f"kiosk_printer_{supply}", f"Printer {supply}: 1 for the level it is at",
                                      labels=["level"])
                for level in PRINT_STATES:
                    g.add_metric([level], 1 if found[supply] == level else 0)
                yield g
        waiting = m.call_waiting()
        yield gauge("kiosk_staff_call_waiting_seconds", "How long the open staff call has waited (0: none)",
                    float(waiting or 0))
        expiry = _cert_expiry(m.client_cert)
        if expiry is not None:
            yield gauge("kiosk_tls_cert_expiry_timestamp_seconds", "When this kiosk's client certificate expires",
                        expiry)
        yield gauge("kiosk_in_session", "A citizen is using the kiosk", 1 if seen.get("in_session") else 0)
        yield from _update_metrics(m.state_dir, gauge, now)
        try:
            usage = shutil.disk_usage(m.state_dir)
            yield gauge("kiosk_disk_free_bytes", "Free space where the outbox lives", usage.free)
            yield gauge("kiosk_disk_size_bytes", "Size of that file system", usage.total)
        except OSError:
            pass

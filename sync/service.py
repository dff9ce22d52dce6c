"""Running the sync engine: as its own process (`kiosk sync`, the kiosk-sync systemd unit) or
on a thread of the demo kiosk. Both share only the SQLite outbox with the GUI.

A lock file (flock) under the state directory lets one engine deliver at a time; the
kernel releases it when the holder dies, even by kill -9. A crash inside the loop is
logged and the loop goes on; the GUI never waits for it.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.config import Config
from kiosk.notify import NullNotifier, ServiceNotifier, notifier_from_env
from kiosk.state_access import file_mode
from kiosk.updates import last_update
from sync.disk_space import MB
from sync.engine import SyncEngine, SyncPolicy
from sync.store import ManagedOutbox, OfflineLimits

log = logging.getLogger("kiosk.sync.service")

EXIT_OK, EXIT_PENDING, EXIT_CONFIG, EXIT_LOCKED = 0, 1, 2, 3
MAX_FAILURE_PAUSE = 60.0  # longest pause after failing steps


def policy_from(config: Config) -> SyncPolicy:
    return SyncPolicy(batch_size=config["sync.batch_size"], poll_interval=config["sync.poll_seconds"],
                      max_delay=config["sync.max_backoff_seconds"],
                      retention_seconds=config["sync.retention_days"] * 86400.0,
                      heartbeat_interval=config["sync.heartbeat_seconds"])


def limits_from(config: Config) -> OfflineLimits:
    return OfflineLimits(max_items=config["sync.max_queued"], max_age_seconds=config["sync.max_age_hours"] * 3600.0,
                         min_free_bytes=int(config["storage.min_free_mb"] * MB),
                         reserve_bytes=int(config["storage.reserve_mb"] * MB))


def outbox_path(config: Config) -> Path:
    return config.path("kiosk.state_dir") / "outbox.db"


def software_version() -> str:
    """The running version: the Debian package's when installed from it (kiosk/version.py)."""
    from kiosk.version import running_version

    return running_version()


def kiosk_state(outbox: ManagedOutbox) -> dict[str, Any]:
    """What the GUI last wrote about itself (screens.app: session, screen, reader, camera, speech)."""
    try:
        state = outbox.get_meta("kiosk_state", {})
    except Exception:  # no outbox (quarantined): nothing known
        return {}
    return state if isinstance(state, dict) else {}


def heartbeat_for(outbox: ManagedOutbox, kiosk_id: str,
                  devices: Callable[[], dict[str, Any]] | None = None, *, hall: str = "",
                  place: str = "", state_dir: Path | None = None) -> Callable[[float], dict[str, Any]]:
    """The engine's heartbeat: the outbox's health, device states (printer with paper and toner from
    its self-test; reader, camera and speech as the GUI last saw them), version, place and the time,
    and the last `kiosk update` (result, version installed, version tried, when: kiosk/updates.py)."""
    def beat(now: float) -> dict[str, Any]:
        at = _dt.datetime.fromtimestamp(now, _dt.UTC).isoformat(timespec="seconds")
        seen = kiosk_state(outbox).get("devices", {})
        found = {**(seen if isinstance(seen, dict) else {}), **(_safe(devices) if devices is not None else {})}
        extra = {"devices": found} if found else {}
        update = last_update(state_dir) if state_dir is not None else {}
        if update:
            extra["update"] = update
        place_info = {"hall": hall, "place": place} if hall else {}
        return {**outbox.health(now), **extra, **place_info, "software_version": software_version(),
                "kiosk_id": kiosk_id, "at": at}
    return beat


def presence_for(outbox: ManagedOutbox, config: Config) -> Callable[[float], dict[str, Any]]:
    """The idle probe's body: where this kiosk stands, whether a session runs, its queue depth."""
    def presence(now: float) -> dict[str, Any]:
        state = kiosk_state(outbox)
        try:
            depth = int(outbox.backlog()[0])
        except Exception:
            depth = 0
        return {"hall": config["kiosk.hall"], "place": config["kiosk.place"],
                "in_session": bool(state.get("in_session", False)), "screen": str(state.get("screen", ""))[:32],
                "queue_depth": depth}
    return presence


def engine_for(outbox: ManagedOutbox, client: Any, config: Config) -> SyncEngine:
    """The engine as the service and the demo run it: heartbeat, presence probe, policy from config."""
    return SyncEngine(outbox, client, policy_from(config),
                      heartbeat=heartbeat_for(outbox, config["kiosk.id"], device_health(config),
                                              hall=config["kiosk.hall"], place=config["kiosk.place"],
                                              state_dir=config.path("kiosk.state_dir")),
                      presence=presence_for(outbox, config))


def _safe(devices: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        return devices()
    except Exception as exc:  # a device self-test must never stop the heartbeat
        return {"error": type(exc).__name__}


def device_health(config: Config) -> Callable[[], dict[str, Any]]:
    """Self-test of the devices this process can ask on its own: the printer (over IPP for CUPS)."""
    def health() -> dict[str, Any]:
        from printing.factory import make_printer

        printer = make_printer(config)
        found = printer.health() if hasattr(printer, "health") else {"state": printer.state().value}
        return {"printer": {**found, **supplies(found)}}
    return health


def supplies(printer: dict[str, Any]) -> dict[str, str]:
    """Paper and toner as ok | low | out, from the printer's state and IPP reasons (toner-low, media-empty...)."""
    reasons = " ".join(str(r) for r in printer.get("reasons", []) or [])
    state = str(printer.get("state", ""))
    paper = "out" if state == "out_of_paper" or "media-empty" in reasons or "media-needed" in reasons else (
        "low" if "media-low" in reasons else "ok")
    toner = "out" if "toner-empty" in reasons or "marker-supply-empty" in reasons else (
        "low" if "toner-low" in reasons or "marker-supply-low" in reasons else "ok")
    return {"paper": paper, "toner": toner}


def make_client(config: Config, url: str, device_key: Any = None) -> Any:
    """The platform client for the engine: signed with the device key and TLS-configured, without
    client-side retries (the engine has its own backoff, jitter and circuit breaker)."""
    from sync.platform_client import client_from_config  # requests is slow to import

    client = client_from_config(url, config, device_key=device_key)
    client.retries = 0
    return client


class SyncLock:
    """An exclusive flock on state_dir/sync.lock: held by the one engine that delivers."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "sync.lock"
        self._fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, file_mode(self.path.parent))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the lock
            self._fd = None


def is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or getattr(exc, "reason", "") == "outbox_full"


def run_loop(engine: SyncEngine, outbox: ManagedOutbox, stop: threading.Event,
             notifier: ServiceNotifier | None = None) -> None:
    """step() until stopped. A failing step is logged once per streak (and counted when it ends) and
    retried after a growing pause, so a full disk or a broken file never becomes a busy crash loop;
    a full disk gives up the space reserve and the loop carries on by itself when space returns.

    The service manager's watchdog is pinged from this loop only (between steps and while it
    waits), so a step stuck in the engine stops the pings and systemd restarts the service."""
    notifier = notifier or NullNotifier()
    failures = 0
    while not stop.is_set():
        notifier.ping()
        try:
            outbox.refresh()
            delay = engine.step()
            if failures:
                log.info("sync steps work again", extra={"event": "sync_recovered", "failed_steps": failures})
            failures = 0
        except Exception as exc:
            failures += 1
            if failures == 1:
                log.error("sync step failed", extra={"event": "sync_crash", "error": type(exc).__name__,
                                                     "sqlite": getattr(exc, "sqlite_errorname", "")})
            if is_disk_full(exc):
                outbox.disk_full()
            delay = min(engine.policy.poll_interval * 2 ** min(failures - 1, 6), MAX_FAILURE_PAUSE)
        _wait_pinging(stop, max(0.0, delay), notifier)


def _wait_pinging(stop: threading.Event, delay: float, notifier: ServiceNotifier) -> None:
    """Wait up to delay (until stop is set), pinging the watchdog every half interval meanwhile."""
    if notifier.watchdog_seconds is None:
        stop.wait(delay)
        return
    slice_ = notifier.watchdog_seconds / 2
    end = time.monotonic() + delay
    while not stop.is_set():
        left = end - time.monotonic()
        if left <= 0 or stop.wait(min(slice_, left)):
            return
        notifier.ping()


def run_service(config: Config, *, once: bool = False, url: str | None = None,
                stop: threading.Event | None = None) -> int:
    """`kiosk sync [--once]`: deliver the outbox of this kiosk; returns an exit code."""
    url = url or config["platform.url"]
    if not url:
        log.error("platform.url is empty: the sync service needs the platform's address",
                  extra={"event": "sync_config"})
        return EXIT_CONFIG
    state_dir = config.path("kiosk.state_dir")
    lock = SyncLock(state_dir)
    if not lock.acquire():
        log.warning("another sync engine is running", extra={"event": "sync_locked"})
        return EXIT_LOCKED
    outbox = ManagedOutbox(outbox_path(config), limits=limits_from(config), recover=True)
    client = make_client(config, url)
    engine = engine_for(outbox, client, config)
    try:
        if once:
            result = engine.drain()
            log.info("sync pass done", extra={"event": "sync_once", "sent": result.sent, "dead": result.dead,
                                              "retry": result.retry})
            print(f"sent {result.sent}, dead {result.dead}, to retry {result.retry}; "
                  f"still waiting {outbox.backlog()[0]}")
            return EXIT_PENDING if result.retry else EXIT_OK
        stop = stop or threading.Event()
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        notifier = notifier_from_env()
        log.info("sync service started", extra={"event": "sync_start"})
        notifier.ready("delivering the outbox")
        run_loop(engine, outbox, stop, notifier)
        notifier.stopping()
        return EXIT_OK
    finally:
        client.close()
        outbox.close()
        lock.release()


class EngineThread:
    """The demo's in-process engine: a daemon thread with its own outbox connection."""

    def __init__(self, config: Config, client_factory: Callable[[], Any]) -> None:
        self.config, self.client_factory = config, client_factory
        self.stop_event = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-sync", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        lock = SyncLock(self.config.path("kiosk.state_dir"))
        while not lock.acquire():  # the kiosk-sync service has it: stand by
            if self.stop_event.wait(30.0):
                return
        outbox = client = None
        try:
            client = self.client_factory()  # created here: importing requests stays off the UI thread
            outbox = ManagedOutbox(outbox_path(self.config), limits=limits_from(self.config), recover=True)
            engine = engine_for(outbox, client, self.config)
            run_loop(engine, outbox, self.stop_event)
        except Exception as exc:  # never let it reach the GUI
            log.error("in-process sync stopped", extra={"event": "sync_crash", "error": type(exc).__name__})
        finally:
            if outbox is not None:
                outbox.close()
            if client is not None:
                client.close()
            lock.release()

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        self._thread.join(timeout)

"""Updates with rollback: what `kiosk update` (and its timer) does, step by step.

1. Only inside the maintenance window (``update.window``, local time), and only between citizens:
   it tells the UI to take no new citizen (kiosk/restart_state.py's updating file: out of service)
   and waits while the UI records a session (the session file).
2. ``apt-get update`` against the configured sources (the project's signed repository, built by
   installer/apt-repo.sh); apt checks the signature, an unsigned or wrongly signed repository fails.
3. The installed version's .deb must be at hand for a way back (``update.keep_dir``; fetched with
   ``apt-get download`` while the repository still has it). Without it nothing is installed.
4. ``apt-get install <package>=<candidate>``, then ``update.restart_command``.
5. The health check decides: the UI painted its attract screen after the restart (its ready
   file, screens/watchdog.py), the sync service is alive (``update.sync_check_command``) and the
   platform answers (``/v1/health``, checked by the command line), all within ``update.health_seconds``.
6. Any failure installs the kept .deb again (``--allow-downgrades``), restarts and checks again.

The result (updated, up_to_date, rolled_back, ...), the version now installed and the time go to
``update-state.json`` in the state directory; the sync engine puts them into the heartbeat.
apt honours ``APT_CONFIG``: the tests point it at a private root, never at the host's packages.
Qt-free; the command line is kiosk/cli_update.py.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import os
import shlex
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kiosk.crash_loop import clear as clear_crash_loop
from kiosk.dpkg_repair import Dpkg
from kiosk.restart_state import mark_updating, read_ready, session_running
from kiosk.state_access import dir_mode, file_mode

log = logging.getLogger("kiosk.update")
STATE_FILE = "update-state.json"
SESSION_POLL_SECONDS = 10.0
FORCED_SESSION_WAIT = 1800.0  # `kiosk update --now` waits this long at most for a citizen to finish
HEALTH_POLL_SECONDS = 0.5
GOOD = ("updated", "up_to_date", "outside_window", "session_running")  # exit code 0
INSTALLING = "installing"  # the state file while apt installs: a run cut short there is finished by the next


@dataclass
class Outcome:
    result: str  # updated | up_to_date | rolled_back | rollback_unhealthy | install_failed | ...
    version: str = ""  # installed now
    previous: str = ""
    attempted: str = ""
    detail: str = ""
    at: float = field(default_factory=time.time)

    @property
    def ok(self) -> bool:
        return self.result in GOOD


def in_window(window: str, now: _dt.time) -> bool:
    """True when ``now`` lies in "HH:MM-HH:MM" (the end excluded; a window may cross midnight)."""
    start_text, end_text = window.split("-")
    start, end = _dt.time.fromisoformat(start_text), _dt.time.fromisoformat(end_text)
    if start <= end:
        return start <= now < end
    return now >= start or now < end


def deb_name(package: str, version: str) -> str:
    """How apt names a package file: an epoch's ':' is written %3a."""
    return f"{package}_{version.replace(':', '%3a')}_"


class Apt:
    """apt-get and apt-cache as child processes; every answer is parsed, never trusted blindly."""

    def __init__(self, run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                 timeout: float = 900.0) -> None:
        self._run = run
        self.timeout = timeout
        self.dpkg = Dpkg(self._exec)

    def _exec(self, argv: list[str], cwd: Path | None = None) -> tuple[int | None, str, str]:
        """(return code, stdout, stderr); None and the error's name when it could not run."""
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive", LC_ALL="C")
        try:
            done = self._run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=self.timeout,
                             stdin=subprocess.DEVNULL)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, "", type(exc).__name__
        return done.returncode, done.stdout or "", done.stderr or ""

    def _call(self, *argv: str, cwd: Path | None = None) -> tuple[bool, str]:
        code, out, err = self._exec(list(argv), cwd)
        if code is None:
            return False, err
        lines = (err + "\n" + out).strip().splitlines()
        said = [line for line in lines if line.startswith(("E:", "W:"))][:2] or lines[-1:] or [""]
        return code == 0, " ".join(said)[:300]

    def refresh(self) -> tuple[bool, str]:
        return self._call("apt-get", "-q", "update", "-o", "APT::Update::Error-Mode=any")

    def policy(self, package: str) -> tuple[str | None, str | None]:
        """(installed, candidate) versions; None for '(none)' or an unknown package."""
        env = dict(os.environ, LC_ALL="C")
        try:
            done = self._run(["apt-cache", "policy", package], env=env, capture_output=True, text=True,
                             timeout=self.timeout)
        except (OSError, subprocess.TimeoutExpired):
            return None, None
        found: dict[str, str | None] = {"Installed": None, "Candidate": None}
        for line in done.stdout.splitlines():
            key, _, value = line.strip().partition(": ")
            if key in found and found[key] is None:
                value = value.strip()
                found[key] = None if value in ("(none)", "") or " " in value else value
        return found["Installed"], found["Candidate"]

    def download(self, package: str, version: str, folder: Path) -> tuple[bool, str]:
        folder.mkdir(parents=True, exist_ok=True)
        return self._call("apt-get", "-q", "download", f"{package}={version}", cwd=folder)

    def _install(self, *what: str) -> tuple[bool, str]:
        return self._call("apt-get", "-y", "-q", "--allow-downgrades", "-o", "Dpkg::Options::=--force-confold",
                          "install", *what)

    def install(self, package: str, version: str) -> tuple[bool, str]:
        return self._install(f"{package}={version}")

    def install_file(self, path: Path) -> tuple[bool, str]:
        return self._install(str(path.resolve()))

    def repair(self) -> tuple[bool, str]:
        """dpkg brought to a consistent state (kiosk/dpkg_repair.py)."""
        return self.dpkg.repair()

    def dpkg_install(self, path: Path) -> tuple[bool, str]:
        """The kept .deb straight through dpkg: for a package apt will not touch (half-installed)."""
        return self.dpkg.install_file(path)

    def package_state(self, package: str) -> tuple[str | None, bool]:
        """(version dpkg records, settled: fully installed with nothing left half done)."""
        state = self.dpkg.state(package)
        if state is None or state.status == "not-installed":
            return None, False
        return state.version or None, state.settled


def run_command(command: str, timeout: float) -> tuple[bool, str]:
    """A configured command, split like a shell would but run without one."""
    if not command.strip():
        return True, "not configured"
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=timeout)
    except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
        return False, type(exc).__name__
    return done.returncode == 0, f"exit {done.returncode}"


class Updater:
    """One `kiosk update` run. Every outside effect is injectable for tests."""

    def __init__(self, config: Any, *, apt: Apt | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 local_now: Callable[[], _dt.datetime] = _dt.datetime.now,
                 ping: Callable[[Any], tuple[bool, str]] | None = None) -> None:
        self.config = config
        self.apt = apt or Apt()
        self.clock, self.sleep, self.local_now = clock, sleep, local_now
        self.ping = ping or (lambda config: (True, "not checked"))  # the CLI checks the platform (kiosk/cli_update.py)
        self.package = config["update.package"]
        self.state_dir = config.path("kiosk.state_dir")
        keep = config["update.keep_dir"]
        self.keep_dir = Path(keep).expanduser() if keep else self.state_dir / "updates"

    # ------------------------------------------------------------------ steps

    def _in_window(self) -> bool:
        return in_window(self.config["update.window"], self.local_now().time())

    def _wait_between_citizens(self, forced: bool) -> bool:
        """Wait while a citizen session runs; False when the window (or the forced wait) ran out first."""
        deadline = self.clock() + FORCED_SESSION_WAIT
        while session_running(self.state_dir):
            if (not forced and not self._in_window()) or (forced and self.clock() > deadline):
                return False
            log.info("waiting for the citizen session to end", extra={"event": "update_wait_session"})
            self.sleep(SESSION_POLL_SECONDS)
        return True

    def kept(self, version: str) -> Path | None:
        matches = sorted(self.keep_dir.glob(deb_name(self.package, version) + "*.deb"))
        return matches[0] if matches else None

    def _keep(self, version: str) -> Path | None:
        """The .deb of ``version`` in the keep folder (fetched now if missing); older copies go."""
        path = self.kept(version)
        if path is None:
            self.keep_dir.mkdir(mode=dir_mode(self.keep_dir.parent), parents=True, exist_ok=True)
            ok, detail = self.apt.download(self.package, version, self.keep_dir)
            path = self.kept(version) if ok else None
            if path is None:
                log.warning("no copy of the installed version kept", extra={"event": "update_keep_failed",
                                                                            "detail": detail})
                return None
        for old in self.keep_dir.glob(f"{self.package}_*.deb"):
            if old != path:
                old.unlink(missing_ok=True)
        return path

    def health(self, since: float) -> tuple[bool, str]:
        """The attract screen painted after ``since``, the sync service alive, the platform reachable."""
        deadline = since + self.config["update.health_seconds"]
        while True:
            ready = read_ready(self.state_dir)
            if ready is not None and ready["at"] >= since:
                if ready.get("screen") == "attract":
                    break
                # Its first painted screen is another one (the standalone out-of-service screen of an
                # app that cannot start, screens/fallback_screen.py): no need to wait any longer.
                screen = ready.get("screen")
                if isinstance(screen, str) and screen.isprintable() and screen:
                    return False, f"the UI came up on its {screen[:32]} screen, not the attract screen"
                return False, "the UI came up on a screen other than the attract screen"
            if self.clock() > deadline:
                return False, "the attract screen was not reached"
            self.sleep(HEALTH_POLL_SECONDS)
        timeout = max(1.0, deadline - self.clock())
        ok, detail = run_command(self.config["update.sync_check_command"], timeout)
        if not ok:
            return False, f"the sync service is not alive ({detail})"
        ok, detail = self.ping(self.config)
        if not ok:
            return False, f"the platform is not reachable ({detail})"
        return True, "attract screen reached, sync alive, platform reachable"

    def _restart_and_check(self) -> tuple[bool, str]:
        mark_updating(self.state_dir, False)  # the new version must come up on its attract screen
        clear_crash_loop(self.state_dir)  # a new version (or the old one back) starts a fresh count
        # A version that crashed in a loop may have hit the unit's start limit: systemd would refuse
        # even this manual restart until StartLimitIntervalSec= has passed.
        ok, detail = run_command(self.config["update.reset_command"], self.config["update.health_seconds"])
        if not ok:  # `systemctl reset-failed` exits 1 for a unit that is not loaded (stopped): nothing to reset
            log.info("units not reset before the restart", extra={"event": "update_reset_skipped", "detail": detail})
        since = self.clock()
        ok, detail = run_command(self.config["update.restart_command"], self.config["update.health_seconds"])
        if not ok:
            return False, f"restart failed ({detail})"
        return self.health(since)

    # ------------------------------------------------------------------ the run

    def run(self, *, now: bool = False) -> Outcome:
        """Update if there is something to update; roll back by itself when the new version is unhealthy."""
        if not now and not self._in_window():
            return Outcome("outside_window", detail=f"the maintenance window is {self.config['update.window']}")
        mark_updating(self.state_dir, True)  # the UI takes no new citizen; the current one finishes
        try:
            if not self._wait_between_citizens(now):
                return Outcome("session_running", detail="a citizen session ran until the window closed")
            return self._update()
        finally:
            mark_updating(self.state_dir, False)

    def _update(self) -> Outcome:
        ok, detail = self.apt.refresh()
        if not ok:
            return self._record(Outcome("repository_unreachable", detail=detail))
        repaired, repair_detail = self._repair("before the update")
        last = read_state(self.state_dir)
        if last.get("result") == INSTALLING:  # the last run was cut short while installing
            resumed = self._resume(last, repaired, repair_detail)
            if resumed is not None:
                return resumed
        installed, candidate = self.apt.policy(self.package)
        if not repaired:
            return self._record(Outcome("dpkg_unrepaired", version=installed or "", attempted=candidate or "",
                                        detail=f"dpkg could not be repaired, nothing installed: {repair_detail}"))
        if installed is None:
            return self._record(Outcome("not_installed", attempted=candidate or "", detail=self.package))
        if candidate is None or candidate == installed:
            self._keep(installed)
            return self._record(Outcome("up_to_date", version=installed))
        way_back = self._keep(installed)
        if way_back is None:
            return self._record(Outcome("no_rollback_copy", version=installed, attempted=candidate,
                                        detail="the installed version's package could not be kept; not updating"))
        log.info("installing", extra={"event": "update_install", "from": installed, "to": candidate})
        mark_updating(self.state_dir, True)  # renewed: the UI honours the flag for an hour at most
        # Written before apt runs: a run cut short here is finished by the next one (_resume).
        write_state(self.state_dir, Outcome(INSTALLING, version=installed, previous=installed, attempted=candidate))
        ok, detail = self.apt.install(self.package, candidate)
        if ok:
            ok, detail = self._restart_and_check()
            if ok:
                self._keep(candidate)
                return self._record(Outcome("updated", version=candidate, previous=installed,
                                            attempted=candidate, detail=detail))
        return self._rollback(way_back, installed, candidate, detail)

    def _repair(self, when: str) -> tuple[bool, str]:
        ok, detail = self.apt.repair()
        if not ok:
            log.error("dpkg could not be repaired", extra={"event": "update_dpkg_unrepaired", "when": when,
                                                           "detail": detail})
        elif detail != "dpkg consistent":
            log.warning("dpkg repaired", extra={"event": "update_dpkg_repaired", "when": when, "detail": detail})
        return ok, detail

    def _resume(self, last: dict[str, Any], repaired: bool, repair_detail: str) -> Outcome | None:
        """Finish an update whose run was cut short (power lost, killed) while installing: a new
        version that dpkg finished gets its health check now; anything else goes back to the kept
        previous version. None: the cut-short run had changed nothing (update as usual)."""
        previous, attempted = last.get("version", ""), last.get("attempted", "")
        now, settled = self.apt.package_state(self.package)
        log.warning("finishing an update that was cut short", extra={
            "event": "update_resume", "from": previous, "to": attempted, "now": now or "", "settled": settled})
        if repaired and settled and now == previous:
            return None
        mark_updating(self.state_dir, True)
        if repaired and settled and now == attempted:
            ok, detail = self._restart_and_check()
            if ok:
                self._keep(attempted)
                return self._record(Outcome("updated", version=attempted, previous=previous, attempted=attempted,
                                            detail=f"an update cut short was finished: {detail}"))
            why = f"an update cut short was finished but is unhealthy: {detail}"
        else:
            why = f"an update cut short left {self.package} {now or 'missing'}" + \
                  ("" if settled else " half done") + ("" if repaired else f" ({repair_detail})")
        way_back = self.kept(previous) if previous else None
        if way_back is None:
            return self._record(Outcome("rollback_unhealthy", version=now or "", previous=previous,
                                        attempted=attempted, detail=f"{why}; no kept package of {previous or '?'}"))
        return self._rollback(way_back, previous, attempted, why)

    def _rollback(self, way_back: Path, installed: str, candidate: str, why: str) -> Outcome:
        """The kept .deb of ``installed`` back in place: dpkg repaired first, apt, or dpkg itself when
        apt will not (a half-installed package); then restarted and checked like an update."""
        log.error("update failed: rolling back", extra={"event": "update_rollback", "to": installed,
                                                        "reason": why})
        mark_updating(self.state_dir, True)
        repaired, repair_detail = self._repair("before the rollback")
        back, back_detail = self.apt.install_file(way_back)
        now_installed, settled = self.apt.package_state(self.package)
        if not back or not settled or now_installed != installed:
            # apt refused (a half-installed package it wants an archive of), or said yes and did not
            # reinstall (it took the half-installed version for installed): dpkg takes the kept file.
            if back:
                back_detail = f"apt left {self.package} {now_installed or 'missing'}" + \
                              ("" if settled else " half installed")
            back, dpkg_detail = self.apt.dpkg_install(way_back)
            back_detail = f"{back_detail}; {dpkg_detail}"
            if back:
                why += f"; put back with dpkg -i ({back_detail})"
                self._repair("after dpkg -i")
        if back:
            back, back_detail = self._restart_and_check()
        now_installed, settled = self.apt.package_state(self.package)
        result = "rolled_back" if back and settled and now_installed == installed else "rollback_unhealthy"
        if not settled:
            back_detail += f"; {self.package} is left half installed"
        detail = f"{why}; after the rollback: {back_detail}"
        if not repaired:
            detail += f"; dpkg repair before the rollback failed: {repair_detail}"
        elif repair_detail != "dpkg consistent":
            detail += f"; dpkg repaired before the rollback: {repair_detail}"
        return self._record(Outcome(result, version=now_installed or "", previous=installed, attempted=candidate,
                                    detail=detail))

    def _record(self, outcome: Outcome) -> Outcome:
        write_state(self.state_dir, outcome)
        level = logging.INFO if outcome.ok else logging.ERROR
        log.log(level, "update finished", extra={"event": "update_result", "result": outcome.result,
                                                 "version": outcome.version})
        return outcome


def write_state(state_dir: Path, outcome: Outcome) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    tmp = state_dir / f".{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(asdict(outcome)), encoding="utf-8")
    os.chmod(tmp, file_mode(state_dir, writable=False))  # the sync service reads it (the state's group)
    os.replace(tmp, state_dir / STATE_FILE)


def read_state(state_dir: Path) -> dict[str, Any]:
    """The last update as written (result, version, attempted: short strings; at: a finite time);
    a missing or garbled file reads as {}."""
    try:
        data = json.loads((state_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    out: dict[str, Any] = {k: data[k][:64] for k in ("result", "version", "attempted") if isinstance(data.get(k), str)}
    at = data.get("at")
    if isinstance(at, (int, float)) and not isinstance(at, bool) and math.isfinite(at) and 0 <= at < 1e11:
        out["at"] = float(at)
    return out


def last_update(state_dir: Path) -> dict[str, Any]:
    """For the heartbeat: the last update's result, version now installed, attempted version and time."""
    out = read_state(state_dir)
    if "at" in out:
        out["at"] = _dt.datetime.fromtimestamp(out["at"], _dt.UTC).isoformat(timespec="seconds")
    return out

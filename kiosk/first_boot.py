"""`kiosk setup`: the first boot of an installed kiosk, safe to run again and again.

Each step looks at what is already there and only changes what is missing or different:

- the state folders (kiosk.state_dir, maintenance.export_dir), owned by the UI's user and the
  shared state group, setgid so the sync engine's user (in that group) shares them;
- the CUPS queue printer.queue for printer.device_uri and printer.model (lpadmin), enabled and
  accepting jobs;
- pcscd, with a PC/SC reader: its socket enabled (systemctl, when systemd runs);
- enrolment with the platform's one-time code (`--enrol CODE`; done once: a second run with the
  same kiosk id and platform says so instead of spending a new code);
- kiosk.service, kiosk-sync.service and kiosk-update.timer enabled once no production setting is missing.

Qt-free. Commands go through a ``Runner`` so tests run them against a private cupsd. Nothing
secret is printed: no code, no key.
"""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SHARED_DIR_MODE = 0o2770  # setgid: files made inside belong to the shared state group
ENROLMENT_MARK = "enrolment.json"  # kiosk id and platform url of the last enrolment (no secret)
UNITS = ("kiosk-sync.service", "kiosk.service", "kiosk-update.timer")  # the timer: nightly `kiosk update`


@dataclass(frozen=True)
class Step:
    """One step's outcome: done (changed something), unchanged, skipped (with why) or failed."""

    name: str
    outcome: str
    detail: str

    def line(self) -> str:
        return f"{self.name}: {self.outcome}" + (f" ({self.detail})" if self.detail else "")


Runner = Callable[[Sequence[str], dict[str, str] | None], tuple[int, str]]


def run_command(command: Sequence[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command; (exit code, its output), 127 when the program is missing."""
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=120,
                              env={**os.environ, **(env or {})})
    except FileNotFoundError:
        return 127, f"{command[0]} is not installed"
    except subprocess.TimeoutExpired:
        return 124, f"{command[0]} did not finish in 120 s"
    return done.returncode, (done.stdout + done.stderr).strip()


def systemd_running() -> bool:
    """sd_booted(): systemd is PID 1 (a chroot or a container without it is not)."""
    return Path("/run/systemd/system").is_dir()


def state_folders(config: Any, user: str, group: str) -> Step:
    """kiosk.state_dir and maintenance.export_dir: user:group, 2770, made if missing."""
    folders = [config.path("kiosk.state_dir"), config.path("maintenance.export_dir")]
    try:
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        return Step("state folders", "failed", f"user {user!r} or group {group!r} does not exist "
                    "(the kiosk package makes them)")
    if os.geteuid() != 0:
        missing = [str(f) for f in folders if not f.is_dir()]
        return Step("state folders", "skipped", "run as root to set owners" + (
            f"; missing: {', '.join(missing)}" if missing else ""))
    changed = []
    for folder in folders:
        if not folder.is_dir():
            folder.mkdir(parents=True, mode=0o770)
            changed.append(f"made {folder}")
        st = folder.stat()
        if (st.st_uid, st.st_gid) != (uid, gid):
            os.chown(folder, uid, gid)
            changed.append(f"{folder} now {user}:{group}")
        if stat.S_IMODE(folder.stat().st_mode) != SHARED_DIR_MODE:
            os.chmod(folder, SHARED_DIR_MODE)
            changed.append(f"{folder} now {SHARED_DIR_MODE:o}")
    if changed:
        return Step("state folders", "done", "; ".join(changed))
    return Step("state folders", "unchanged", ", ".join(map(str, folders)) + f" are {user}:{group} 2770")


def _cups_env(config: Any) -> dict[str, str] | None:
    return {"CUPS_SERVER": config["printer.cups_server"]} if config["printer.cups_server"] else None


def queue_uri(config: Any, run: Runner) -> str | None:
    """The device URI printer.queue has now, or None when CUPS has no such queue."""
    rc, out = run(["lpstat", "-v", config["printer.queue"]], _cups_env(config))
    prefix = f"device for {config['printer.queue']}: "
    for line in out.splitlines() if rc == 0 else []:
        if line.startswith(prefix):
            return line[len(prefix):].strip()
    return None


def printer_queue(config: Any, run: Runner) -> Step:
    """The CUPS queue for the configured printer (lpadmin), enabled and accepting jobs."""
    if config["printer.driver"] != "cups":
        return Step("printer queue", "skipped", f"printer.driver is {config['printer.driver']!r}, not \"cups\"")
    queue, uri, model = config["printer.queue"], config["printer.device_uri"], config["printer.model"]
    if not queue or not uri:
        return Step("printer queue", "skipped", "printer.queue or printer.device_uri is empty "
                    "(set both, or set the queue up by hand)")
    env = _cups_env(config)
    if queue_uri(config, run) == uri:
        outcome, detail = "unchanged", f"queue {queue} is there for its device"
    else:
        driver = ["-P", model] if model.startswith("/") else ["-m", model]
        rc, out = run(["lpadmin", "-p", queue, "-v", uri, *driver, "-o", "printer-error-policy=abort-job"], env)
        if rc != 0:
            return Step("printer queue", "failed", f"lpadmin: {out.splitlines()[-1] if out else rc}")
        outcome, detail = "done", f"queue {queue} set up with lpadmin"
    for command in (["cupsenable", queue], ["cupsaccept", queue]):
        rc, out = run(command, env)
        if rc != 0:
            return Step("printer queue", "failed", f"{command[0]}: {out.splitlines()[-1] if out else rc}")
    return Step("printer queue", outcome, detail)


def _enable(units: Sequence[str], run: Runner) -> tuple[list[str], str]:
    """Enable (and start) units not yet enabled; (the ones changed, a problem or "")."""
    changed = []
    for unit in units:
        rc, _ = run(["systemctl", "is-enabled", "--quiet", unit], None)
        if rc == 0:
            continue
        rc, out = run(["systemctl", "enable", "--now", unit], None)
        if rc != 0:
            return changed, f"systemctl enable {unit}: {out.splitlines()[-1] if out else rc}"
        changed.append(unit)
    return changed, ""


def pcscd(config: Any, run: Runner, *, systemd: bool) -> Step:
    """pcscd's socket enabled, for a PC/SC reader."""
    if config["reader.driver"] != "pcsc":
        return Step("pcscd", "skipped", f"reader.driver is {config['reader.driver']!r}, not \"pcsc\"")
    if not systemd:
        return Step("pcscd", "skipped", "systemd is not running here (a chroot or container): enable it on "
                    "the kiosk with `systemctl enable --now pcscd.socket`, or start `pcscd` by hand")
    changed, problem = _enable(["pcscd.socket"], run)
    if problem:
        return Step("pcscd", "failed", problem)
    return Step("pcscd", "done" if changed else "unchanged", "pcscd.socket enabled")


def _mark_path(config: Any) -> Path:
    return config.path("kiosk.state_dir") / ENROLMENT_MARK


def enrolled_already(config: Any) -> bool:
    """This kiosk id was enrolled with this platform before, and its device key is still there."""
    from sync.device_key import KEY_FILE
    from sync.enrolment import device_key_dir

    try:
        mark = json.loads(_mark_path(config).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    key_there = (device_key_dir(config) / KEY_FILE).exists()
    return (isinstance(mark, dict) and mark.get("kiosk_id") == config["kiosk.id"]
            and mark.get("platform_url") == config["platform.url"] and key_there)


def enrolment(config: Any, code: str | None, enrol: Callable[[str, Any, str], object] | None = None) -> Step:
    """Enrol with the one-time code, once per kiosk id and platform."""
    if enrolled_already(config):
        return Step("enrolment", "unchanged", f"{config['kiosk.id']} was enrolled with this platform before")
    if not code:
        return Step("enrolment", "skipped", "not enrolled yet: run again with --enrol CODE "
                    "(`kiosk-platform enrol-code` issues one)")
    if not config["platform.url"]:
        return Step("enrolment", "failed", "platform.url is empty")
    from kiosk.interfaces import PlatformError
    from sync.enrolment import DeviceKeyError, enrol_kiosk

    try:
        (enrol or enrol_kiosk)(config["platform.url"], config, code)
    except DeviceKeyError as exc:
        return Step("enrolment", "failed", str(exc))
    except PlatformError as exc:
        return Step("enrolment", "failed", "the platform refused the code (unknown, used, expired or for "
                    "another kiosk id)" if exc.detail == "http_403_enrolment-refused" else f"platform error: {exc}")
    mark = _mark_path(config)
    mark.write_text(json.dumps({"kiosk_id": config["kiosk.id"], "platform_url": config["platform.url"]}),
                    encoding="utf-8")
    return Step("enrolment", "done", f"{config['kiosk.id']} enrolled")


def services(config: Any, run: Runner, *, systemd: bool) -> Step:
    """kiosk-sync.service, kiosk.service and the update timer enabled, once `kiosk run` would start."""
    from kiosk.production import missing_production_settings

    missing = missing_production_settings(config)
    if missing:
        return Step("services", "skipped", "production settings missing: "
                    + ", ".join(line.split(" ", 1)[0] for line in missing))
    if not systemd:
        return Step("services", "skipped", "systemd is not running here: on the kiosk, "
                    "`systemctl enable --now " + " ".join(UNITS) + "`")
    changed, problem = _enable(UNITS, run)
    if problem:
        return Step("services", "failed", problem)
    return Step("services", "done" if changed else "unchanged", ", ".join(UNITS) + " enabled")


def own_state(config: Any, user: str, group: str) -> None:
    """Give what root made in the state folder (enrolment) to the kiosk's user and group."""
    if os.geteuid() != 0:
        return
    try:
        uid, gid = pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError:
        return
    top = config.path("kiosk.state_dir")
    for folder, dirs, files in os.walk(top):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            if path.lstat().st_uid == 0 and not path.is_symlink():
                os.chown(path, uid, gid)


def first_boot(config: Any, *, code: str | None = None, user: str = "kiosk", group: str = "kiosk",
               run: Runner = run_command, systemd: bool | None = None,
               enrol: Callable[[str, Any, str], object] | None = None) -> list[Step]:
    """Every step, in order; each one safe to repeat."""
    on_systemd = systemd_running() if systemd is None else systemd
    steps = [state_folders(config, user, group), printer_queue(config, run),
             pcscd(config, run, systemd=on_systemd), enrolment(config, code, enrol)]
    own_state(config, user, group)
    steps.append(services(config, run, systemd=on_systemd))
    return steps

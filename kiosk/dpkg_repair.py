"""Bringing dpkg back to a consistent state before `kiosk update` installs or rolls back.

An install cut short (power lost, apt or dpkg killed, a maintainer script that failed) leaves dpkg
"interrupted": packages half-installed, unpacked or half-configured, and a journal that apt refuses
to work with ("E: dpkg was interrupted, you must manually run 'dpkg --configure -a'"). A rollback
through apt then fails too. Before each install and each rollback, kiosk/updates.py therefore:

1. runs ``dpkg --configure -a`` (cheap when nothing is pending; it also folds dpkg's journal in);
2. reads every package's state with ``dpkg-query`` and, if some are still unfinished, asks apt what
   ``apt-get -f install`` would do (``-s``): it runs it only when no package would be removed;
3. reads the states again: the repair succeeded only if no package is left unfinished.

A kiosk package left half-installed ("reinst-required") is beyond apt: it wants an archive of that
very version. The rollback then hands the kept .deb to ``dpkg -i`` itself (:meth:`Dpkg.install_file`).

dpkg is called with apt's own ``DPkg::Options`` (``apt-config``), so a private root (the tests'
APT_CONFIG) is honoured here as apt honours it. Every answer is parsed; a line that does not fit is
skipped, an answer that cannot be read makes the repair fail, plainly. Qt-free.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# (return code or None when it could not run, stdout, stderr)
Exec = Callable[[list[str]], tuple[int | None, str, str]]

STATUS_FORMAT = "${binary:Package}\\t${Version}\\t${Status}\\n"
WANTS = frozenset({"unknown", "install", "hold", "deinstall", "purge"})
FLAGS = frozenset({"ok", "reinstreq"})
STATUSES = frozenset({"not-installed", "config-files", "half-installed", "unpacked", "half-configured",
                      "triggers-awaited", "triggers-pending", "installed"})
SETTLED = frozenset({"not-installed", "config-files", "installed"})
_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]*(:[a-z0-9-]+)?")
_VERSION = re.compile(r"([0-9]+:)?[A-Za-z0-9.+~:-]*")
CONFIG_OPTIONS = ("--force-confdef", "--force-confold")  # a changed conffile never stops the repair


@dataclass(frozen=True)
class PackageState:
    """One package as dpkg records it (``dpkg-query``'s Status: want, error flag, status)."""

    package: str
    version: str
    want: str
    flag: str
    status: str

    @property
    def settled(self) -> bool:
        """Nothing left half done: installed, removed, or only its configuration files left."""
        return self.flag == "ok" and self.status in SETTLED

    def __str__(self) -> str:
        flag = ", reinstall required" if self.flag == "reinstreq" else ""
        return f"{self.package} {self.version or '-'} ({self.status}{flag})"


def parse_status(text: str) -> dict[str, PackageState]:
    """``dpkg-query -W -f STATUS_FORMAT`` output: package -> state. Lines that do not fit are skipped."""
    found: dict[str, PackageState] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 3:
            continue
        name, version, status = parts
        words = status.split(" ")
        if (len(words) != 3 or not _NAME.fullmatch(name) or not _VERSION.fullmatch(version)
                or words[0] not in WANTS or words[1] not in FLAGS or words[2] not in STATUSES):
            continue
        found[name] = PackageState(name, version, *words)
    return found


def parse_options(text: str) -> list[str]:
    """``apt-config dump --format '%v%n' DPkg::Options``: the options dpkg gets from apt (lines
    starting with '-'; the list node's own empty value and anything else is skipped)."""
    return [line.strip() for line in text.splitlines()
            if line.strip().startswith("-") and line.isprintable() and len(line) < 4096]


def parse_removals(text: str) -> list[str]:
    """The packages ``apt-get -s`` would remove ("Remv NAME [VERSION] ..." lines)."""
    out = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0] == "Remv" and _NAME.fullmatch(words[1]):
            out.append(words[1])
    return out


def said(returncode: int | None, out: str, err: str) -> str:
    """What a tool said, short: its E:/W: lines or its last line (dpkg's own errors included)."""
    if returncode is None:
        return err or "could not run"
    lines = [line.strip() for line in (err + "\n" + out).splitlines() if line.strip()]
    picked = [line for line in lines if line.startswith(("E:", "W:", "dpkg: error", "dpkg: "))][:2] or lines[-1:]
    return " ".join(picked)[:300] or f"exit {returncode}"


class Dpkg:
    """dpkg and dpkg-query with apt's own options; :meth:`repair` is the step kiosk/updates.py runs."""

    def __init__(self, run: Exec) -> None:
        self._run = run

    def options(self) -> list[str] | None:
        """apt's DPkg::Options (a private root's --root/--admindir), or None when apt-config failed."""
        code, out, _ = self._run(["apt-config", "dump", "--format", "%v%n", "DPkg::Options"])
        return parse_options(out) if code == 0 else None

    def packages(self) -> dict[str, PackageState] | None:
        """Every package dpkg knows, or None when its database could not be read."""
        options = self.options()
        if options is None:
            return None
        where = [o for o in options if o.startswith(("--root=", "--admindir="))]
        code, out, _ = self._run(["dpkg-query", *where, "-W", "-f", STATUS_FORMAT])
        if code != 0 and not (code == 1 and not out.strip()):  # 1 with nothing: an empty database
            return None
        found = parse_status(out)
        return found if found or not out.strip() else None  # an answer with no line that fits: unread

    def state(self, package: str) -> PackageState | None:
        known = self.packages() or {}
        return known.get(package)

    def unfinished(self) -> list[PackageState] | None:
        known = self.packages()
        return None if known is None else [s for s in known.values() if not s.settled]

    def _dpkg(self, *argv: str) -> tuple[int | None, str, str]:
        options = self.options()
        if options is None:
            return None, "", "apt-config could not say how dpkg is called"
        return self._run(["dpkg", *options, *CONFIG_OPTIONS, *argv])

    def configure_pending(self) -> tuple[bool, str]:
        code, out, err = self._dpkg("--configure", "-a")
        return code == 0, "" if code == 0 else said(code, out, err)

    def install_file(self, path: Path) -> tuple[bool, str]:
        """``dpkg -i`` of a kept package: for a package apt refuses (half-installed, reinst-required)."""
        code, out, err = self._dpkg("-i", str(path.resolve()))
        return code == 0, "dpkg -i: " + ("installed" if code == 0 else said(code, out, err))

    def repair(self) -> tuple[bool, str]:
        """dpkg --configure -a, then apt-get -f install if something is still unfinished (never one
        that would remove a package). (True, what was done) or (False, what is still wrong)."""
        done: list[str] = []
        ok, detail = self.configure_pending()
        if not ok:
            done.append(f"dpkg --configure -a failed: {detail}")
        left = self.unfinished()
        if left is None:
            return False, "; ".join([*done, "dpkg's package states could not be read"])
        if not left:
            return True, "; ".join(done) or "dpkg consistent"
        code, out, err = self._run(["apt-get", "-s", "-q", "-f", "install"])
        removals = parse_removals(out)
        if code != 0:
            done.append(f"apt-get -f install cannot repair: {said(code, out, err)}")
        elif removals:
            done.append(f"apt-get -f install would remove {', '.join(removals[:5])}: not done")
        else:
            code, out, err = self._run(["apt-get", "-y", "-q", "-o", "Dpkg::Options::=--force-confdef",
                                        "-o", "Dpkg::Options::=--force-confold", "-f", "install"])
            done.append("apt-get -f install " + ("done" if code == 0 else f"failed: {said(code, out, err)}"))
        left = self.unfinished()
        if left is None:
            return False, "; ".join([*done, "dpkg's package states could not be read"])
        if left:
            return False, "; ".join([*done, "still unfinished: " + ", ".join(str(s) for s in left[:3])])
        return True, "; ".join(done)

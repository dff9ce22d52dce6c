"""The project's systemd units: `systemd-analyze verify` passes on each with nothing to say, and
each one's `systemd-analyze security` exposure stays at or below the score docs/install.md records.

PID 1 here need not be systemd: verify and ``security --offline=true`` read the unit files alone.
verify checks that ExecStart's program exists, so it runs in a private mount namespace with a
stand-in for the package's /opt/kiosk (needs root, as CI has).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNIT_DIR = ROOT / "installer" / "systemd"
UNITS = sorted(p for p in UNIT_DIR.iterdir() if p.suffix in (".service", ".timer", ".socket", ".path"))
DOC = ROOT / "docs" / "install.md"

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")


def recorded_scores() -> dict[str, float]:
    """The exposure scores of docs/install.md's table: | `unit` | score | ... |"""
    rows = re.findall(r"^\| `([\w.@-]+\.service)` \| (\d+\.\d) \|", DOC.read_text(encoding="utf-8"), re.M)
    return {name: float(score) for name, score in rows}


def opt_programs() -> set[str]:
    """Every program under /opt the units start (the package puts them there)."""
    found = set()
    for unit in UNITS:
        for line in unit.read_text(encoding="utf-8").splitlines():
            if line.startswith(("ExecStart", "ExecStop", "ExecReload", "ExecCondition")):
                found.update(re.findall(r"(/opt/\S+)", line))
    return found


def test_there_are_units_to_check() -> None:
    names = {u.name for u in UNITS}
    assert {"kiosk.service", "kiosk-sync.service"} <= names


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs root for a private mount namespace (CI runs as root)")
def test_every_unit_verifies_cleanly() -> None:
    stubs = " && ".join(f"mkdir -p {Path(p).parent} && printf '#!/bin/sh\\n' > {p} && chmod 755 {p}"
                        for p in sorted(opt_programs())) or "true"
    script = f"mount -t tmpfs tmpfs /opt && {stubs} && exec systemd-analyze verify \"$@\""
    done = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "verify",
                           *map(str, UNITS)], capture_output=True, text=True, timeout=120)
    said = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and said == "", said


def exposure(unit: Path) -> float:
    done = subprocess.run(["systemd-analyze", "security", "--offline=true", "--no-pager", str(unit)],
                          capture_output=True, text=True, timeout=120)
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d)", done.stdout)
    assert match, done.stdout[-500:] + done.stderr[-500:]
    return float(match.group(1))


@pytest.mark.parametrize("unit", [u for u in UNITS if u.suffix == ".service"], ids=lambda u: u.name)
def test_security_exposure_stays_at_the_recorded_score(unit: Path) -> None:
    scores = recorded_scores()
    assert unit.name in scores, f"docs/install.md records no `systemd-analyze security` score for {unit.name}"
    score = exposure(unit)
    assert score <= scores[unit.name], (
        f"{unit.name}: exposure {score} is above the {scores[unit.name]} docs/install.md records "
        "(harden the unit, or explain the change and record the new score)")


def test_both_services_run_unprivileged_with_a_watchdog() -> None:
    for name, user in (("kiosk.service", "kiosk"), ("kiosk-sync.service", "kiosk-sync")):
        text = (UNIT_DIR / name).read_text(encoding="utf-8")
        for line in (f"User={user}", "Type=notify", "WatchdogSec=10s", "Restart=always", "ProtectSystem=strict",
                     "NoNewPrivileges=yes", "CapabilityBoundingSet=\n", "PrivateTmp=yes",
                     "SystemCallFilter=@system-service"):
            assert line in text + "\n", f"{name} lacks {line.strip()}"

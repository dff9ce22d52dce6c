"""`kiosk setup` (kiosk/first_boot.py): the first boot, run twice, changes nothing the second time.

Real parts: the private test cupsd (tests/cups_harness.py) takes the lpadmin queue, and the
reference platform on 127.0.0.1 takes the enrolment with a one-time code.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.config import Config
from kiosk.first_boot import first_boot, queue_uri, run_command
from tests import cups_harness

cups_bench_session = cups_harness.cups_bench_session
cups_bench = cups_harness.cups_bench

QUEUE = "KIOSK_SETUP"
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="sets owners and runs cupsd (CI runs as root)")


def outcomes(steps) -> dict[str, str]:
    return {step.name: step.outcome for step in steps}


def _config(tmp_path: Path, **overrides) -> Config:
    return Config().with_overrides(kiosk__state_dir=str(tmp_path / "state"),
                                   maintenance__export_dir=str(tmp_path / "export"), **overrides)


def _printer(bench: cups_harness.CupsBench, tmp_path: Path, uri_dir: str = "a") -> dict:
    return {"printer__driver": "cups", "printer__queue": QUEUE, "printer__model": "raw",
            "printer__device_uri": f"kiosk-capture:{tmp_path / uri_dir}", "printer__cups_server": bench.socket}


@as_root
def test_setup_twice_sets_up_once(cups_bench: cups_harness.CupsBench, tmp_path: Path) -> None:
    config = _config(tmp_path, **_printer(cups_bench, tmp_path))
    try:
        first = first_boot(config, user="root", group="root", systemd=False)
        assert outcomes(first) == {"state folders": "done", "printer queue": "done", "pcscd": "skipped",
                                   "enrolment": "skipped", "services": "skipped"}, [s.line() for s in first]
        for folder in (tmp_path / "state", tmp_path / "export"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o2770
        assert queue_uri(config, run_command) == f"kiosk-capture:{tmp_path / 'a'}"
        state = cups_bench.run("lpstat", "-p", QUEUE).stdout
        assert "enabled" in state and "disabled" not in state
        assert "accepting" in cups_bench.run("lpstat", "-a", QUEUE).stdout

        second = first_boot(config, user="root", group="root", systemd=False)
        assert outcomes(second) == {"state folders": "unchanged", "printer queue": "unchanged", "pcscd": "skipped",
                                    "enrolment": "skipped", "services": "skipped"}, [s.line() for s in second]
        # a new printer in the configuration: the queue follows it on the next run
        moved = _config(tmp_path, **_printer(cups_bench, tmp_path, "b"))
        assert outcomes(first_boot(moved, user="root", group="root", systemd=False))["printer queue"] == "done"
        assert queue_uri(moved, run_command) == f"kiosk-capture:{tmp_path / 'b'}"
    finally:
        cups_bench.run("lpadmin", "-x", QUEUE, check=False)


@as_root
def test_a_disabled_queue_is_enabled_again(cups_bench: cups_harness.CupsBench, tmp_path: Path) -> None:
    config = _config(tmp_path, **_printer(cups_bench, tmp_path))
    try:
        first_boot(config, user="root", group="root", systemd=False)
        cups_bench.run("cupsdisable", QUEUE)
        cups_bench.run("cupsreject", QUEUE)
        assert outcomes(first_boot(config, user="root", group="root", systemd=False))["printer queue"] == "unchanged"
        assert "disabled" not in cups_bench.run("lpstat", "-p", QUEUE).stdout
        assert "not accepting" not in cups_bench.run("lpstat", "-a", QUEUE).stdout
    finally:
        cups_bench.run("lpadmin", "-x", QUEUE, check=False)


def test_a_bad_device_uri_fails_plainly(cups_bench: cups_harness.CupsBench, tmp_path: Path) -> None:
    config = _config(tmp_path, **{**_printer(cups_bench, tmp_path), "printer__model": "no/such-model.ppd"})
    step = {s.name: s for s in first_boot(config, user="root", group="root", systemd=False)}["printer queue"]
    assert step.outcome == "failed" and "lpadmin" in step.detail and "Traceback" not in step.detail


def test_enrolment_happens_once_per_kiosk_and_platform(server, tmp_path: Path) -> None:
    config = _config(tmp_path, kiosk__id="KIOSK-FB-1", platform__url=server.url, platform__retries=0)
    code = server.issue_enrolment_code("KIOSK-FB-1")
    first = {s.name: s for s in first_boot(config, code=code, user="root", group="root", systemd=False)}
    assert first["enrolment"].outcome == "done", first["enrolment"].line()
    assert server.trust.status("KIOSK-FB-1") == "active"
    # the same command again (the code is spent): nothing to do, and it says so
    again = {s.name: s for s in first_boot(config, code=code, user="root", group="root", systemd=False)}
    assert again["enrolment"].outcome == "unchanged"
    assert code not in again["enrolment"].line()
    # another kiosk id on this machine needs its own code
    other = config.with_overrides(kiosk__id="KIOSK-FB-2")
    refused = {s.name: s for s in first_boot(other, code=code, user="root", group="root", systemd=False)}
    assert refused["enrolment"].outcome == "failed" and "refused" in refused["enrolment"].detail


def test_without_a_code_enrolment_waits(tmp_path: Path) -> None:
    steps = {s.name: s for s in first_boot(_config(tmp_path), user="root", group="root", systemd=False)}
    assert steps["enrolment"].outcome == "skipped" and "--enrol CODE" in steps["enrolment"].detail


def test_services_wait_for_the_production_settings_and_for_systemd(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_systemctl(command, env=None):
        calls.append(list(command))
        return (1, "") if command[1] == "is-enabled" else (0, "")

    demo = {s.name: s for s in first_boot(_config(tmp_path), user="root", group="root", run=fake_systemctl,
                                          systemd=True)}
    assert demo["services"].outcome == "skipped" and "platform.url" in demo["services"].detail
    production = _config(tmp_path, platform__url="https://platform.example.gov.cn", kiosk__id="KIOSK-HZ-0107",
                         reader__driver="pcsc", printer__driver="cups", printer__queue="KIOSK", receipt__driver="none",
                         face__enabled=False)
    steps = {s.name: s for s in first_boot(production, user="root", group="root", run=fake_systemctl, systemd=True)}
    assert steps["services"].outcome == "done" and steps["pcscd"].outcome == "done"
    assert ["systemctl", "enable", "--now", "kiosk.service"] in calls
    assert ["systemctl", "enable", "--now", "kiosk-update.timer"] in calls  # nightly `kiosk update`
    assert ["systemctl", "enable", "--now", "pcscd.socket"] in calls
    no_systemd = {s.name: s for s in first_boot(production, user="root", group="root", systemd=False)}
    assert no_systemd["services"].outcome == "skipped" and "systemd is not running" in no_systemd["services"].detail
    assert "systemd is not running" in no_systemd["pcscd"].detail


def test_kiosk_setup_command_prints_each_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n[maintenance]\nexport_dir = "{tmp_path / "x"}"\n',
                      encoding="utf-8")
    code = cli.main(["setup", "--user", "root", "--group", "root", "--config", str(config)])
    out = capsys.readouterr().out
    assert code == 0
    for name in ("state folders", "printer queue", "pcscd", "enrolment", "services"):
        assert f"{name}: " in out

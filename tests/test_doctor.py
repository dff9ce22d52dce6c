"""`kiosk doctor`: every configured part, plain words and a fix; a simulator configuration passes
without /dev/ttyUSB0; real faults (full outbox dead letters, a stopped printer, an unreachable
platform, a damaged audit trail) are named with their fix."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from kiosk.cli import main
from kiosk.doctor import PARTS, Parts, check_clock, check_printer, probe_platform, run_checks
from tests.test_platform_tls import _tls_server, pki  # noqa: F401 (the fixture)


def _config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n[printer]\npdf_folder = "{tmp_path / "prints"}"\n'
                    + extra)
    return path


def test_simulator_config_passes_without_a_serial_port(tmp_path: Path, capsys) -> None:
    assert not Path("/dev/ttyUSB0").exists()
    code = main(["doctor", "--config", str(_config_file(tmp_path))])
    out = capsys.readouterr().out
    assert code == 0, out
    for part in PARTS:
        assert f" {part}" in out
    assert "simulated reader (sim)" in out and "PROBLEM" not in out


def test_old_name_checks_the_reader(tmp_path: Path, capsys) -> None:
    assert main(["devices", "doctor", "--config", str(_config_file(tmp_path))]) == 0
    assert "simulated reader" in capsys.readouterr().out


def test_unreachable_platform_and_missing_port_name_their_fix(tmp_path: Path, capsys) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = _config_file(tmp_path, f'[platform]\nurl = "http://127.0.0.1:{port}"\n'
                                 '[reader]\ndriver = "sam"\nport = "/dev/ttyNOPE3"\n')
    assert main(["doctor", "--config", str(cfg)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM reader    serial port /dev/ttyNOPE3 does not exist" in out
    assert "PROBLEM platform  the platform cannot be reached" in out
    assert out.count("fix:") >= 2 and "Traceback" not in out


def test_reference_platform_latency_and_clock(server) -> None:
    probe = probe_platform(server.url)
    assert probe["status"] == 200 and probe["latency_ms"] >= 0
    assert check_clock(probe).ok
    skewed = dict(probe, server_time=probe["server_time"] - _dt.timedelta(minutes=5))
    clock = check_clock(skewed)
    assert not clock.ok and "timedatectl" in clock.fix


def test_tls_expiry_is_reported(pki) -> None:  # noqa: F811
    """The reference platform over real TLS (a certificate valid one day): expiry found, flagged."""
    from kiosk.config import Config

    server = _tls_server(pki, mutual=False)
    try:
        cfg = Config().with_overrides(platform__ca_bundle=pki["ca"])
        checks = {c.part: c for c in run_checks(Parts(config=cfg, platform_url=server.url), ("platform", "clock"))}
    finally:
        server.stop()
    platform = checks["platform"]
    assert not platform.ok and "expires in 0 days" in platform.summary and "platform operator" in platform.fix
    assert any("TLS certificate expires" in d for d in platform.details)
    assert checks["clock"].ok and "of the platform's" in checks["clock"].summary


def test_stopped_printer_and_damaged_audit(tmp_path: Path) -> None:
    from kiosk.audit_log import AuditLog
    from kiosk.config import Config
    from kiosk.interfaces import PrinterState
    from tests.journey_driver import FakePrinter

    printer = FakePrinter(current=PrinterState.OUT_OF_PAPER)
    assert not check_printer("printer", printer).ok and "load paper" in check_printer("printer", printer).fix
    audit = tmp_path / "audit"
    log = AuditLog(audit, sync=False)
    for i in range(3):
        log.append("print", ok=True, n=i)
    lines = (audit / "audit.jsonl").read_text().splitlines(keepends=True)
    (audit / "audit.jsonl").write_text("".join(lines[:1] + lines[2:]))
    cfg = Config().with_overrides(kiosk__state_dir=str(tmp_path / "state"))
    checks = {c.part: c for c in run_checks(Parts(config=cfg, audit_dir=audit, printer=printer))}
    assert not checks["audit"].ok and "missing" in checks["audit"].details[0]
    assert not checks["printer"].ok
    assert checks["reader"].ok and checks["reader"].summary == "no card reader driver configured"


def test_enrolment_names_kiosk_enrol() -> None:
    from kiosk.config import Config
    from kiosk.doctor import check_enrolment

    demo = Config()
    assert check_enrolment(demo, "missing").ok  # the demo's local platform enrols the kiosk itself
    real = Config().with_overrides(platform__url="https://platform.example.gov.cn")
    missing = check_enrolment(real, "missing")
    assert not missing.ok and "kiosk enrol CODE" in missing.fix and "kiosk enrol" in missing.fix.in_language("zh-CN")
    assert check_enrolment(real, "present").ok
    assert not check_enrolment(real, "present", {"platform_kiosk_revoked"}).ok
    assert "revoked" in check_enrolment(real, "present", {"platform_kiosk_revoked"}).summary
    assert not check_enrolment(real, "present", {"platform_not_enrolled"}).ok
    assert "0700" in check_enrolment(real, "unsafe").fix


def test_device_key_state(tmp_path: Path) -> None:
    from kiosk.config import Config
    from sync.device_key import DeviceKey
    from sync.enrolment import device_key_dir, device_key_state

    cfg = Config().with_overrides(kiosk__state_dir=str(tmp_path / "state"))
    assert device_key_state(cfg) == "missing"
    DeviceKey.load_or_create(device_key_dir(cfg))
    assert device_key_state(cfg) == "present"
    (device_key_dir(cfg) / "device-key.pem").chmod(0o644)
    assert device_key_state(cfg) == "unsafe"

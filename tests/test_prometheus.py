"""Prometheus: the alert rules under promtool, and a real Prometheus scraping a kiosk's exporter.

promtool (Debian's prometheus package) checks installer/prometheus/kiosk-alerts.yml and runs its
unit tests. Then the kiosk exporter (sync.metrics, prometheus_client on a free port) serves a
real outbox, a real `prometheus` scrapes it every second, and the query API shows the kiosk up
with its queue; when the exporter dies, Prometheus sees it down (what KioskDown alerts on).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from sync.metrics import KioskMetrics
from sync.store import ManagedOutbox

RULES = Path(__file__).resolve().parent.parent / "installer" / "prometheus"
needs = pytest.mark.skipif(not (shutil.which("prometheus") and shutil.which("promtool")),
                           reason="prometheus is installed by installer/apt-packages.txt")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@needs
def test_alert_rules_check_and_pass_their_unit_tests() -> None:
    check = subprocess.run(["promtool", "check", "rules", "kiosk-alerts.yml"], cwd=RULES, capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    unit = subprocess.run(["promtool", "test", "rules", "kiosk-alerts.test.yml"], cwd=RULES, capture_output=True,
                          text=True, timeout=120)
    assert unit.returncode == 0, unit.stdout + unit.stderr


@pytest.fixture
def exporter(tmp_path: Path):
    box = ManagedOutbox(tmp_path / "outbox.db")
    box.enqueue("application", {"service_id": "personal_certs", "holder_type": "resident_id",
                                "holder_code": "110101198503120033", "holder_name": "张伟明",
                                "tracking_code": "ABCDE-FGHJK7"})
    m = KioskMetrics(box, kiosk_id="KIOSK-T-01", hall="north-hall", state_dir=tmp_path,
                     printer_health=lambda: {"printer": {"state": "out_of_paper", "reasons": ["media-empty-error"]}})
    m.record("identity_check", {"verified": True})
    m.record("print", {"ok": False, "reason": "printer_out_of_paper", "identifier": "1.2.156.3005.2.X.1",
                       "certificate_type": "居民户口簿"})
    m.record("help_request", {"reason": "citizen_request", "screen": "cert_list"})
    m.staff_call_answered(42.0)
    yield m, m.start(0)
    m.stop()
    box.close()


def test_exporter_text_has_the_fleet_metrics_and_nothing_personal(exporter) -> None:
    _, port = exporter
    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    for needle in ('kiosk_outbox_depth 1.0', 'kiosk_sessions_total 1.0', 'kiosk_prints_total{result="failed"} 1.0',
                   'kiosk_failures_total{reason="printer_out_of_paper"} 1.0', 'kiosk_printer_paper{level="out"} 1.0',
                   'kiosk_staff_calls_total{kind="help",reason="citizen_request"} 1.0',
                   'kiosk_staff_call_answer_seconds_count 1.0', 'kiosk_disk_free_bytes', 'kiosk_info{'):
        assert needle in text, needle
    for personal in ("110101198503120033", "张伟明", "ABCDE-FGHJK7", "1.2.156.3005.2.X.1", "居民户口簿"):
        assert personal not in text


@needs
def test_real_prometheus_scrapes_the_kiosk_and_sees_it_die(exporter, tmp_path: Path) -> None:
    metrics, port = exporter
    web = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                      f"rule_files: [{RULES / 'kiosk-alerts.yml'}]\n"
                      "scrape_configs:\n  - job_name: kiosk\n    scrape_timeout: 900ms\n"
                      f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
    proc = subprocess.Popen(["timeout", "120", "prometheus", f"--config.file={config}",
                             f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{web}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{web}/api/v1/query"

    def value(query: str) -> float | None:
        try:
            result = requests.get(api, params={"query": query}, timeout=2).json()["data"]["result"]
        except (requests.RequestException, ValueError, KeyError):
            return None
        return float(result[0]["value"][1]) if result else None

    def wait(query: str, expected: float, timeout: float = 45.0) -> None:
        end = time.monotonic() + timeout
        while value(query) != expected:
            assert time.monotonic() < end, f"{query} never became {expected} (last {value(query)})"
            assert proc.poll() is None, "prometheus exited"
            time.sleep(0.3)

    try:
        wait('up{job="kiosk"}', 1.0)
        wait('kiosk_outbox_depth{job="kiosk"}', 1.0)
        wait('kiosk_printer_paper{job="kiosk", level="out"}', 1.0)
        metrics.stop()  # the exporter dies: Prometheus records the kiosk as down
        wait('up{job="kiosk"}', 0.0)
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


@needs
def test_grafana_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    """Every panel's query parses (promtool checks it as a recording rule) and names our metrics."""
    import json

    import yaml

    dash = json.loads((RULES / "grafana-kiosk-fleet.json").read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    assert len(exprs) >= 10 and all("kiosk" in e for e in exprs)
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:panel{i}", "expr": e}
                                                        for i, e in enumerate(exprs)]}]}
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump(rules), encoding="utf-8")
    check = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr

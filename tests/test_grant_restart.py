"""A killed session's citizen grant, end to end: the real `kiosk demo` process under the stand-in for
systemd (tests/supervisor.py), the real reference platform over HTTPS on 127.0.0.1 (a test CA), a
card on the emulated SAM reader.

The kiosk is enrolled with `kiosk enrol`; a card is placed, the face check is agreed to
(tests/tapping_kiosk.py taps the consent button) and the platform opens a grant. The UI is then
frozen with SIGSTOP; the watchdog aborts and kills it and starts it again. The new process,
after its first frame, revokes the grant its predecessor left open, and the platform refuses the
old token from then on (the test learnt the token on the platform's side). With the platform away
at the restart, the revocation waits in the outbox and the in-process sync engine delivers it,
once, when the platform is back.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest
import requests

from devices.sam_emulator import SamEmulator
from devices.sim_people import SAMPLE_PEOPLE
from kiosk import cli
from kiosk.config import load
from kiosk.grant_ledger import LEDGER_FILE
from refplatform.server import PlatformServer
from sync.enrolment import load_device_key
from tests.signed_requests import KioskAuth
from tests.supervisor import Supervisor
from tests.test_platform_tls import _issue, _write
from tests.test_watchdog_restart import ROOT, audit_events, kiosk_env, wait_until, write_config

KIOSK_ID = "KIOSK-HEAL-1"


@pytest.fixture
def tls_platform(tmp_path: Path):
    """The reference platform over HTTPS with a certificate of a test CA; it keeps every grant token
    it hands out in ``tokens`` (the platform itself stores only their hashes)."""
    import ssl

    ca = _issue("Test platform CA", None, ca=True)
    ca_cert, _ = _write(tmp_path / "ca", *ca)
    server_cert, server_key = _write(tmp_path / "server", *_issue("127.0.0.1", ca, server=True))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(server_cert, server_key)
    server = PlatformServer(ssl_context=context, db_path=str(tmp_path / "platform.db"))
    server.tokens = []
    real_open = server.grants.open

    def open_and_keep(*args: object, **kwargs: object) -> tuple:
        token, grant, hard = real_open(*args, **kwargs)
        server.tokens.append((token, grant.grant_id))
        return token, grant, hard
    server.grants.open = open_and_keep
    server.ca = ca_cert
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sam():
    with SamEmulator() as emulator:
        yield emulator


def _kiosk(tmp_path: Path, server: PlatformServer, sam: SamEmulator) -> tuple[Path, Path]:
    state = tmp_path / "state"
    config = write_config(tmp_path, kiosk={"state_dir": str(state), "id": KIOSK_ID},
                          reader={"driver": "sam", "port": sam.path},
                          platform={"url": server.url, "ca_bundle": server.ca, "connect_timeout": 1.0,
                                    "read_timeout": 3.0, "retries": 0},
                          printer={"pdf_folder": str(tmp_path / "prints")},
                          maintenance={"export_dir": str(tmp_path / "usb")}, ui={"speech": False},
                          sync={"poll_seconds": 0.5, "max_backoff_seconds": 2.0})
    assert cli.main(["enrol", server.issue_enrolment_code(KIOSK_ID), "--config", str(config)]) == 0
    return config, state


def _search(server: PlatformServer, config: Path, token: str) -> tuple[int, str]:
    """A search with the old token, signed with the kiosk's own device key: (status, problem type)."""
    key = load_device_key(load(config))
    resp = requests.post(server.url + "/v1/certificates/search", json={}, verify=server.ca, timeout=5,
                         auth=KioskAuth(KIOSK_ID, key, grant=token))
    return resp.status_code, (resp.json().get("type", "") if resp.status_code >= 400 else "")


def _session_then_freeze(sup: Supervisor, sam: SamEmulator, server: PlatformServer, config: Path,
                         state: Path) -> tuple[int, str, str, float]:
    """A citizen's verified session with a grant; then the UI freezes and the watchdog kills it."""
    first = sup.wait_ready(90)
    assert first.detail == "attract"
    sam.place(SAMPLE_PEOPLE[0])
    sup.wait_for(lambda e: e.kind == "status" and e.detail == "service_menu", 90, after=first.at)
    wait_until(lambda: bool(server.tokens), "the platform opened no grant", 30)
    token, grant_id = server.tokens[-1]
    wait_until(lambda: (state / LEDGER_FILE).exists(), "the open grant was not noted", 10)
    text = (state / LEDGER_FILE).read_text()
    assert json.loads(text) == {"open": [grant_id]}  # the public id only: no token, no number, no name
    assert token not in text and SAMPLE_PEOPLE[0].number not in text
    assert _search(server, config, token)[0] == 200  # the grant is live

    os.kill(first.pid, signal.SIGSTOP)  # the UI freezes mid-session
    sam.remove()  # the citizen walks away
    killed = sup.wait_for(lambda e: e.kind == "watchdog" and e.pid == first.pid, 30)
    sup.wait_for(lambda e: e.kind == "exit" and e.pid == first.pid, 30)
    return first.pid, token, grant_id, killed.at


def test_a_killed_sessions_grant_is_revoked_by_the_restarted_kiosk(tmp_path: Path, tls_platform, sam) -> None:
    server = tls_platform
    config, state = _kiosk(tmp_path, server, sam)
    argv = [sys.executable, "-m", "tests.tapping_kiosk", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=3.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        old_pid, token, grant_id, killed_at = _session_then_freeze(sup, sam, server, config, state)
        assert server.grants.revoked_at(grant_id) is None  # the killed process could not revoke it
        second = sup.wait_ready(90, after=killed_at)
        assert second.pid != old_pid and second.detail == "attract"
        wait_until(lambda: server.grants.revoked_at(grant_id) is not None, "the old grant was not revoked", 30)
        status, kind = _search(server, config, token)
        assert status == 401 and kind.endswith("/grant-revoked")
        wait_until(lambda: not (state / LEDGER_FILE).exists(), "the ledger still lists the grant", 10)
        wait_until(lambda: "grants_left_open_revoked" in audit_events(state), "the revocation was not audited")
        # It went directly, not through the outbox: one transaction, sent by the new process.
        sent = [t for t in server.received() if t["kind"] == "grant_revoke"]
        assert [(t["payload"]["reason"], t["idempotency_key"][:7]) for t in sent] == [("killed_session", "revoke-")]
    log = (tmp_path / "kiosk.out").read_text(errors="replace")
    assert "Traceback" not in log and SAMPLE_PEOPLE[0].number not in log


def test_offline_at_the_restart_the_grant_is_revoked_once_the_platform_is_back(tmp_path: Path, tls_platform,
                                                                                sam) -> None:
    server = tls_platform
    config, state = _kiosk(tmp_path, server, sam)
    argv = [sys.executable, "-m", "tests.tapping_kiosk", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=3.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        old_pid, token, grant_id, killed_at = _session_then_freeze(sup, sam, server, config, state)
        server.faults.offline = True  # the platform cannot be reached when the kiosk comes back
        second = sup.wait_ready(90, after=killed_at)
        assert second.detail == "attract"
        wait_until(lambda: not (state / LEDGER_FILE).exists(), "the revocation was not handed to the outbox", 30)
        time.sleep(2.0)  # the sync engine tries meanwhile, and fails
        assert server.grants.revoked_at(grant_id) is None
        server.faults.offline = False
        wait_until(lambda: server.grants.revoked_at(grant_id) is not None,
                   "the outbox did not deliver the revocation", 90)
        status, kind = _search(server, config, token)
        assert status == 401 and kind.endswith("/grant-revoked")
        time.sleep(3.0)  # a few more sync steps: nothing is sent again
        sent = [t for t in server.received() if t["kind"] == "grant_revoke"]
        assert len(sent) == 1 and sent[0]["payload"]["grant_id"] == grant_id
        assert sent[0]["payload"]["reason"] == "killed_session"
        assert not sent[0]["idempotency_key"].startswith("revoke-")  # the outbox's row, not the direct try
    log = (tmp_path / "kiosk.out").read_text(errors="replace")
    assert "Traceback" not in log and SAMPLE_PEOPLE[0].number not in log


def test_a_damaged_ledger_still_revokes_what_it_holds_and_starts_plainly(tmp_path: Path, tls_platform, sam) -> None:
    """A damaged disk left garbage around a grant id: the kiosk starts, and the grant is revoked."""
    from kiosk.identity import HolderCodeType
    from sync.platform_client import HttpPlatformClient

    server = tls_platform
    config, state = _kiosk(tmp_path, server, sam)
    client = HttpPlatformClient(server.url, kiosk_id=KIOSK_ID, device_key=load_device_key(load(config)),
                                ca_bundle=server.ca, retries=0)
    grant = client.open_grant(SAMPLE_PEOPLE[0].number, HolderCodeType.RESIDENT_ID, method="face", liveness=True)
    client.close()
    (state / LEDGER_FILE).write_bytes(b'\x00\xff{"open": ["g-zz", 12, "' + grant.grant_id.encode() + b'", "g-12')
    argv = [sys.executable, "-m", "kiosk.cli", "demo", "--windowed", "--config", str(config)]
    with Supervisor(argv, env=kiosk_env(tmp_path), watchdog_seconds=3.0, cwd=str(ROOT),
                    log_path=tmp_path / "kiosk.out") as sup:
        assert sup.wait_ready(90).detail == "attract"
        wait_until(lambda: server.grants.revoked_at(grant.grant_id) is not None, "the grant was not revoked", 30)
        assert _search(server, config, grant.token)[1].endswith("/grant-revoked")
        wait_until(lambda: not (state / LEDGER_FILE).exists(), "the damaged file was left behind", 10)
    log = (tmp_path / "kiosk.out").read_text(errors="replace")
    assert "grant_ledger_damaged" in log and "Traceback" not in log

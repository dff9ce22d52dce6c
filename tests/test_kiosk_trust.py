"""Each kiosk its own key: enrolment, unknown and revoked kiosks, durable nonces, the URL rule (real HTTP)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import requests

from kiosk import cli
from kiosk.config import Config, ConfigError, read_file
from kiosk.interfaces import PlatformError, PlatformErrorKind
from refplatform import admin
from refplatform.server import PlatformServer
from sync.device_key import KEY_FILE, DeviceKey, DeviceKeyError
from sync.enrolment import enrol_kiosk, enrol_message, load_device_key
from sync.platform_client import HttpPlatformClient
from tests.signed_requests import TEST_KEY, KioskAuth, enrol, enrolled_client


def _config(tmp_path: Path, url: str = "", kiosk_id: str = "KIOSK-T1") -> Config:
    return Config().with_overrides(kiosk__state_dir=str(tmp_path / "state"), kiosk__id=kiosk_id,
                                   platform__url=url, platform__retries=0)


def _refusal(call) -> PlatformError:
    with pytest.raises(PlatformError) as info:
        call()
    return info.value


def test_enrolment_makes_a_private_key_and_registers_only_its_public_half(server: PlatformServer,
                                                                           tmp_path: Path) -> None:
    config = _config(tmp_path, server.url)
    code = server.issue_enrolment_code("KIOSK-T1")
    key = enrol_kiosk(server.url, config, code)
    folder = tmp_path / "state" / "device-key"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE((folder / KEY_FILE).stat().st_mode) == 0o600
    assert server.trust.status("KIOSK-T1") == "active"
    assert load_device_key(config).public_text == key.public_text
    client = HttpPlatformClient(server.url, kiosk_id="KIOSK-T1", device_key=key, retries=0)
    try:
        assert client.catalog()
        # the code works once
        assert _refusal(lambda: client.enrol(code)).detail == "http_403_enrolment-refused"
    finally:
        client.close()


@pytest.mark.parametrize("case", ["unknown", "other_kiosk", "expired", "bad_proof", "garbage"])
def test_enrolment_refusals(server: PlatformServer, case: str) -> None:
    key = DeviceKey.generate()
    code = {"unknown": "ABCD-EFGH-JKMN", "other_kiosk": server.issue_enrolment_code("KIOSK-OTHER"),
            "expired": server.trust.issue_code("KIOSK-T2", ttl=-1)}.get(case) or server.issue_enrolment_code(
        "KIOSK-T2")
    body: object = {"kiosk_id": "KIOSK-T2", "code": code, "public_key": key.public_text,
                    "proof": __import__("base64").b64encode(key.sign(
                        enrol_message("KIOSK-T2", code, key.public_text))).decode()}
    if case == "bad_proof":
        body["proof"] = __import__("base64").b64encode(DeviceKey.generate().sign(b"x")).decode()
    if case == "garbage":
        body = {"kiosk_id": ["KIOSK-T2"], "code": 7}
    resp = requests.post(server.url + "/v1/kiosks/enrol", json=body, timeout=5)
    expected = {"bad_proof": 400, "garbage": 400}.get(case, 403)
    assert resp.status_code == expected and resp.headers["Content-Type"] == "application/problem+json"
    assert code not in resp.text and key.public_text not in resp.text
    assert server.trust.status("KIOSK-T2") is None


def test_unknown_kiosk_is_refused(server: PlatformServer) -> None:
    stranger = enrolled_client(server, "kiosk-stranger", DeviceKey.generate(), retries=0)  # never enrolled
    try:
        error = _refusal(stranger.catalog)
        assert (error.kind, error.message_key) == (PlatformErrorKind.NOT_ENROLLED, "platform_not_enrolled")
        assert _refusal(lambda: stranger.heartbeat({"queue_depth": 0, "printer": {"state": "ready"},
                                                    "self_tests": []})).kind is PlatformErrorKind.NOT_ENROLLED
    finally:
        stranger.close()
    forged = {"level": 1, "service_id": "personal_certs", "channel": "hall_terminal"}
    for _ in range(5):  # forged one-star ratings under an enrolled kiosk's id, signed with another key
        resp = requests.post(server.url + "/v1/ratings", json=forged, timeout=5,
                             auth=KioskAuth("kiosk-test", DeviceKey.generate()))
        assert resp.status_code == 401
    assert server.ratings() == [] and server.heartbeats() == []


def test_revoked_kiosk_is_refused_until_enrolled_again(server: PlatformServer, client: HttpPlatformClient,
                                                       tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert client.catalog()
    assert server.revoke_kiosk("kiosk-test") and not server.revoke_kiosk("kiosk-never")
    error = _refusal(client.catalog)
    assert (error.kind, error.detail) == (PlatformErrorKind.KIOSK_REVOKED, "http_403_kiosk-revoked")
    assert error.message_key == "platform_kiosk_revoked"
    client.enrol(server.issue_enrolment_code("kiosk-test"))  # a technician re-enrols it
    assert client.catalog()


def test_replay_after_platform_restart_is_refused(tmp_path: Path) -> None:
    db = str(tmp_path / "platform.db")
    first = PlatformServer(db_path=db)
    enrol(first, "kiosk-test", TEST_KEY)
    first.start()
    rating = {"idempotency_key": "r-restart", "level": 1, "service_id": "personal_certs", "channel": "hall_terminal",
              "session_id": "s-restart"}
    captured = requests.Request("POST", first.url + "/v1/ratings", json=rating, auth=KioskAuth()).prepare()
    with requests.Session() as s:
        assert s.send(captured, timeout=5).status_code == 201
    first.stop()
    second = PlatformServer(db_path=db, port=int(first.url.rsplit(":", 1)[1]))
    second.start()
    try:
        with requests.Session() as s:
            replay = s.send(captured, timeout=5)
        assert replay.status_code == 401 and replay.json()["type"].endswith("/replay")
        assert second.trust.status("kiosk-test") == "active"  # enrolment survived too
        assert len(second.ratings()) == 1
    finally:
        second.stop()


def test_platform_admin_commands(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = str(tmp_path / "platform.db")
    assert admin.admin_main(["enrol-code", "--db", db, "--kiosk-id", "KIOSK-A"]) == 0
    code = capsys.readouterr().out.split()[-1]
    server = PlatformServer(db_path=db)
    server.start()
    try:
        config = _config(tmp_path, server.url, "KIOSK-A")
        (tmp_path / "kiosk.toml").write_text(
            f'[kiosk]\nid = "KIOSK-A"\nstate_dir = "{tmp_path / "state"}"\n[platform]\nurl = "{server.url}"\n'
            'retries = 0\n', encoding="utf-8")
        assert cli.main(["enrol", code, "--config", str(tmp_path / "kiosk.toml")]) == 0
        out = capsys.readouterr().out
        assert "KIOSK-A enrolled" in out and "PRIVATE" not in out
        assert cli.main(["enrol", code, "--config", str(tmp_path / "kiosk.toml")]) == 1  # used up
        assert "refused the code" in capsys.readouterr().err
        assert admin.admin_main(["kiosks", "--db", db]) == 0
        assert "KIOSK-A\tactive" in capsys.readouterr().out
        assert admin.admin_main(["revoke", "--db", db, "--kiosk-id", "KIOSK-A"]) == 0
        from sync.enrolment import load_device_key as load

        client = HttpPlatformClient(server.url, kiosk_id="KIOSK-A", device_key=load(config), retries=0)
        assert _refusal(client.catalog).kind is PlatformErrorKind.KIOSK_REVOKED  # the running server sees it
        client.close()
    finally:
        server.stop()


def test_unsafe_key_folder_or_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    DeviceKey.load_or_create(folder)
    os.chmod(folder / KEY_FILE, 0o644)
    with pytest.raises(DeviceKeyError, match="readable by others"):
        DeviceKey.load(folder)
    os.chmod(folder / KEY_FILE, 0o600)
    os.chmod(folder, 0o755)
    with pytest.raises(DeviceKeyError, match="readable by others"):
        DeviceKey.load(folder)
    os.chmod(folder, 0o700)
    (folder / KEY_FILE).write_bytes(b"-----BEGIN PRIVATE KEY-----\ncut")
    with pytest.raises(DeviceKeyError, match="not an Ed25519"):
        DeviceKey.load(folder)
    with pytest.raises(DeviceKeyError, match="enrol this kiosk"):
        DeviceKey.load(tmp_path / "none")
    assert "PRIVATE" not in repr(DeviceKey.generate())


@pytest.mark.parametrize("url", ["http://10.0.0.5:8765", "http://platform.example.gov.cn", "ftp://127.0.0.1",
                                 "http://[::ffff:10.0.0.1]/", "https://", "https://u:p@host", "http://127.0.0.1:x"])
def test_clear_text_or_bad_platform_url_is_a_config_error(tmp_path: Path, url: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[platform]\nurl = "{url}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'platform.url'"):
        read_file(path)
    with pytest.raises(ValueError):
        HttpPlatformClient(url, kiosk_id="k")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:9/",
                                 "https://platform.example.gov.cn"])
def test_loopback_http_and_https_are_accepted(tmp_path: Path, url: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[platform]\nurl = "{url}"\n', encoding="utf-8")
    assert read_file(path) == {"platform.url": url}


def test_demo_enrols_itself_with_its_local_platform(tmp_path: Path) -> None:
    from sync.enrolment import LocalEnrolment

    server = PlatformServer()
    server.start()
    try:
        config = _config(tmp_path, kiosk_id="KIOSK-DEMO-001")
        key = LocalEnrolment(server, config).device_key()
        assert server.trust.status("KIOSK-DEMO-001") == "active"
        client = HttpPlatformClient(server.url, kiosk_id="KIOSK-DEMO-001", device_key=key, retries=0)
        assert client.catalog()
        client.close()
        # the next start (a fresh in-memory platform) enrols the same key again
        again = PlatformServer()
        again.start()
        assert LocalEnrolment(again, config).device_key().public_text == key.public_text
        again.stop()
    finally:
        server.stop()

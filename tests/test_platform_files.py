"""Files, stamped copies, verification and every fault switch: the real client against the real server."""

from __future__ import annotations

import dataclasses
import io
import json
import time

import pypdf
import pytest
import requests

from devices.sim_people import SAMPLE_PEOPLE
from kiosk import i18n
from kiosk.identity import HolderCodeType
from kiosk.interfaces import Certificate, Grant, PlatformError, PlatformErrorKind, StampedCopy
from refplatform.server import PlatformServer
from sync.device_key import DeviceKey
from sync.platform_client import HttpPlatformClient
from tests.signed_requests import GrantedClient, KioskAuth, enrol, enrolled_client, grant_for

PERSON = SAMPLE_PEOPLE[0]  # holds an SM2-signed household proof and an ECDSA-signed tax proof


@pytest.fixture
def client(client: HttpPlatformClient, grant: Grant) -> GrantedClient:
    """These tests are about files: every citizen call carries 张伟明's grant."""
    return GrantedClient(client, grant)


def certs(client: HttpPlatformClient) -> list[Certificate]:
    return client.search_certificates(PERSON.number, HolderCodeType.RESIDENT_ID)


def expect(kind: PlatformErrorKind, call, *args) -> PlatformError:
    with pytest.raises(PlatformError) as info:
        call(*args)
    assert info.value.kind is kind, info.value.detail
    assert PERSON.number not in str(info.value) and PERSON.name not in str(info.value)
    return info.value


def test_download_is_a_signed_pdf_with_embedded_cjk_font(client: HttpPlatformClient) -> None:
    algorithms = set()
    for cert in certs(client):
        pdf = client.download(cert)
        reader = pypdf.PdfReader(io.BytesIO(pdf))
        assert len(reader.pages) == 1
        assert cert.name in reader.pages[0].extract_text()
        fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
        embedded = [f for f in fonts if f["/Subtype"] == "/TrueType" and "/FontFile2" in f["/FontDescriptor"]]
        assert embedded, "the CJK font must be embedded"
        algorithms.add(client.public_keys(refresh=False)[
            requests.get(f"{client.base_url}/v1/certificates/{cert.cert_id}/file",
                         auth=KioskAuth(grant=client.grant.token), timeout=5)
            .headers["X-File-Signature-Key-Id"]].algorithm)
    assert algorithms == {"SM2-SM3", "ECDSA-P256-SHA256"}


def test_stamped_copy_and_verification(client: HttpPlatformClient, server: PlatformServer) -> None:
    cert = certs(client)[0]
    copy = client.stamped_copy(cert, "办理入学", 30)
    assert isinstance(copy, StampedCopy) and copy.pdf.startswith(b"%PDF-") and copy.purpose == "办理入学"
    assert copy.verify_url == f"{server.url}/v1/verify/{copy.verify_code}"
    text = pypdf.PdfReader(io.BytesIO(copy.pdf)).pages[0].extract_text()
    assert cert.number in text and "办理入学" not in text  # the marks are printed once, by the kiosk
    info = requests.get(copy.verify_url, timeout=5).json()  # public: no signature, no kiosk
    assert info["status"] == "valid" and info["purpose"] == "办理入学" and info["expires"] == copy.expires.isoformat()
    assert info["certificate"]["identifier"] == cert.identifier
    assert PERSON.number not in json.dumps(info, ensure_ascii=False) and PERSON.name not in json.dumps(info)
    assert info["holder"]["code_masked"] == PERSON.number[:4] + "*" * 10 + PERSON.number[-4:]
    page = requests.get(copy.verify_url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=5)
    assert page.headers["Content-Type"].startswith("text/html") and "核验通过" in page.text
    assert PERSON.number not in page.text and PERSON.name not in page.text
    issued = requests.get(info["file_url"], timeout=5)
    assert issued.content == copy.pdf
    for accept in ("application/json", "text/html"):
        missing = requests.get(f"{server.url}/v1/verify/ZZZZZZZZZZZZZZZZ", headers={"Accept": accept}, timeout=5)
        assert missing.status_code == 404 and missing.headers["Content-Type"].split(";")[0] in (
            "application/problem+json", "text/html")


def test_stamped_copy_is_idempotent_by_key(server: PlatformServer) -> None:
    cid = server.store.certificates_of("resident_id", PERSON.number)[0]["cert_id"]
    url = f"{server.url}/v1/certificates/{cid}/stamped-copies"
    body = {"purpose": "办理贷款", "valid_days": 10}
    auth = KioskAuth(grant=grant_for(server, PERSON.number))
    first = requests.post(url, json=body, headers={"Idempotency-Key": "key-1"}, auth=auth, timeout=5)
    again = requests.post(url, json=body, headers={"Idempotency-Key": "key-1"}, auth=auth, timeout=5)
    other = requests.post(url, json=body, headers={"Idempotency-Key": "key-2"}, auth=auth, timeout=5)
    assert first.status_code == 201 and again.headers["X-Verify-Code"] == first.headers["X-Verify-Code"]
    assert other.headers["X-Verify-Code"] != first.headers["X-Verify-Code"]
    for bad in ({"purpose": "", "valid_days": 10}, {"purpose": "x", "valid_days": 0}, {"purpose": "x"}):
        assert requests.post(url, json=bad, auth=auth, timeout=5).status_code == 400


@pytest.mark.parametrize("fault", ["invalid", "expired", "unknown_key", "tampered", "missing"])
def test_bad_signatures_are_refused(client: HttpPlatformClient, server: PlatformServer, fault: str) -> None:
    cert = certs(client)[0]
    server.faults.signature = fault
    expect(PlatformErrorKind.BAD_SIGNATURE, client.download, cert)
    expect(PlatformErrorKind.BAD_SIGNATURE, client.stamped_copy, cert, "办理入学", 30)
    server.faults.reset()
    assert client.download(cert).startswith(b"%PDF-")


def test_unknown_certificate_is_not_found(client: HttpPlatformClient) -> None:
    cert = certs(client)[0]
    ghost = dataclasses.replace(cert, cert_id="c0000000000000000000000")
    expect(PlatformErrorKind.NOT_FOUND, client.download, ghost)
    expect(PlatformErrorKind.BAD_DATA, client.download, dataclasses.replace(cert, cert_id="../etc/passwd"))


def test_fault_switches(client: HttpPlatformClient, server: PlatformServer) -> None:
    cert = certs(client)[0]
    server.faults.drop_mid_body = True
    assert expect(PlatformErrorKind.BAD_DATA, client.download, cert).detail == "truncated"
    server.faults.reset()
    server.faults.malformed_json = True
    assert expect(PlatformErrorKind.BAD_DATA, certs, client).detail == "invalid_json"
    server.faults.reset()
    server.faults.error_rate = 1.0
    expect(PlatformErrorKind.SERVER_ERROR, certs, client)
    server.faults.reset()
    server.faults.rate_limit = 30
    started = time.monotonic()
    err = expect(PlatformErrorKind.RATE_LIMITED, certs, client)
    assert err.retry_after == 30 and time.monotonic() - started < 5  # too long to wait: no retry
    server.faults.reset()
    server.faults.flaky = 2  # idempotent calls ride out two 503s
    assert client.download(cert).startswith(b"%PDF-")
    server.faults.flaky = 1  # the heartbeat is not retried
    expect(PlatformErrorKind.SERVER_ERROR, client.heartbeat, {"queue_depth": 0, "printer": {"state": "ready"},
                                                               "self_tests": []})
    server.faults.reset()
    server.faults.error_rate = 0.5
    outcomes = set()
    for _ in range(6):
        try:
            outcomes.add(len(certs(client)))
        except PlatformError as e:
            outcomes.add(e.kind)
    assert outcomes <= {4, PlatformErrorKind.SERVER_ERROR}


def test_replay_and_clock_skew_are_refused(server: PlatformServer) -> None:
    url = server.url + "/v1/services"
    fixed = KioskAuth(nonce="ab" * 16)
    assert requests.get(url, auth=fixed, timeout=5).status_code == 200
    replay = requests.get(url, auth=fixed, timeout=5)
    assert replay.status_code == 401 and replay.json()["type"].endswith("/replay")
    skewed = requests.get(url, auth=KioskAuth(now=time.time() - 900), timeout=5)
    assert skewed.status_code == 401 and skewed.json()["type"].endswith("/clock-skew")
    assert requests.get(url, timeout=5).status_code == 401  # unsigned
    enrol(server, "kiosk-x")
    wrong = enrolled_client(server, "kiosk-x", DeviceKey.generate(), retries=0)  # not the key it enrolled
    try:
        assert expect(PlatformErrorKind.REFUSED, wrong.catalog).detail == "http_401_bad-signature"
    finally:
        wrong.close()


def test_catalog_and_keys_are_cached_for_offline_use(server: PlatformServer, tmp_path) -> None:
    plain = enrolled_client(server, cache_dir=tmp_path, retries=0)
    client = GrantedClient(plain, plain.open_grant(PERSON.number, HolderCodeType.RESIDENT_ID, method="face",
                                                   liveness=True))
    services = client.catalog()
    client.public_keys()
    client.download(certs(client)[0])
    client.close()
    assert [p.name for p in tmp_path.iterdir()] == ["platform-cache.json"]  # no certificate file on disk
    cached = (tmp_path / "platform-cache.json").read_text(encoding="utf-8")
    assert PERSON.number not in cached and PERSON.name not in cached and "%PDF" not in cached
    server.stop()
    offline = enrolled_client(server, cache_dir=tmp_path, retries=0)
    try:
        assert offline.catalog() == services
        assert set(offline.public_keys(refresh=False)) == {"sm2-2024", "p256-2024", "sm2-2019"}
    finally:
        offline.close()


def test_heartbeat_and_rating_land_in_the_same_records(client: HttpPlatformClient, server: PlatformServer) -> None:
    status = {"queue_depth": 3, "printer": {"state": "out_of_paper"},
              "self_tests": [{"component": "reader", "ok": True}, {"component": "camera", "ok": False,
                                                                    "detail": "no frames"}]}
    client.heartbeat(status)
    client.submit("hb-1", "heartbeat", dict(status, queue_depth=4))
    beats = server.heartbeats()
    assert [b["status"]["queue_depth"] for b in beats] == [3, 4] and {b["kiosk_id"] for b in beats} == {"kiosk-test"}
    mine = requests.get(server.url + "/v1/kiosk/status", auth=KioskAuth(), timeout=5).json()
    assert mine["heartbeats"] == 2 and mine["status"]["queue_depth"] == 4
    rating = {"idempotency_key": "r-1", "level": 5, "service_id": "personal_certs", "channel": "hall_terminal",
              "session_id": client.grant.grant_id}
    assert requests.post(server.url + "/v1/ratings", json=rating, auth=KioskAuth(), timeout=5).status_code == 201
    assert requests.post(server.url + "/v1/ratings", json=rating, auth=KioskAuth(), timeout=5).status_code == 200
    second = requests.post(server.url + "/v1/ratings", json=dict(rating, idempotency_key="r-1b", level=1),
                           auth=KioskAuth(), timeout=5)  # the same session rated twice
    assert second.status_code == 409 and second.json()["type"].endswith("/already-rated")
    client.submit("r-2", "rating", {"level": 2, "service_id": "business_certs", "channel": "hall_terminal",
                                    "kiosk_id": "kiosk-test", "session_id": "s-offline-1"})
    with pytest.raises(PlatformError):
        client.submit("r-3", "rating", {"level": 1, "service_id": "business_certs", "channel": "hall_terminal",
                                        "session_id": "s-offline-1"})
    for session in ("g-000000000000000000000000", None):  # another kiosk's (or no) session: refused
        body = dict(rating, idempotency_key="r-4", session_id=session)
        assert requests.post(server.url + "/v1/ratings", json=body, auth=KioskAuth(), timeout=5).status_code in (
            400, 403)
    assert [(r["idempotency_key"], r["level"]) for r in server.ratings()] == [("r-1", 5), ("r-2", 2)]
    bad = dict(rating, idempotency_key="r-3", level=6)
    assert requests.post(server.url + "/v1/ratings", json=bad, auth=KioskAuth(), timeout=5).status_code == 400


def test_every_error_kind_has_a_message_in_three_languages() -> None:
    for kind in PlatformErrorKind:
        key = PlatformError(kind).message_key
        for language in ("zh-CN", "zh-TW", "en"):
            assert i18n.text(key, language) != key, (key, language)

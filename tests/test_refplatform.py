"""The reference platform over real HTTP on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import logging
import re

import pytest
import requests

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.idnumbers import id_check_digit, is_valid_uscc, mod37_36_check_char
from refplatform.seed import IDENTIFIER_ROOT, is_valid_identifier, make_identifier
from refplatform.server import PlatformServer
from tests.signed_requests import AUTH, TEST_KEY, KioskAuth, enrol, grant_for

ALL_CODES = [p.number for p in SAMPLE_PEOPLE] + [b["uscc"] for b in SAMPLE_BUSINESSES]


def post(server: PlatformServer, path: str, body: object, grant: str = "") -> requests.Response:
    return requests.post(server.url + path, json=body, timeout=5, auth=KioskAuth(grant=grant) if grant else AUTH)


def search(server: PlatformServer, code: str, kind: str) -> requests.Response:
    """Search as the holder (a business: as its legal representative) with a grant of that person."""
    reps = {b["uscc"]: b["legal_rep"] for b in SAMPLE_BUSINESSES}
    if kind == "uscc":
        grant = grant_for(server, reps.get(code, SAMPLE_PEOPLE[0].number))
    elif code in ALL_CODES or code.startswith(("H6", "1101011990")):
        grant = grant_for(server, code, kind)
    else:
        grant = grant_for(server, SAMPLE_PEOPLE[0].number)
    return post(server, "/v1/certificates/search", {"holder_code": code, "holder_type": kind}, grant)


def test_health_and_services(server: PlatformServer) -> None:
    assert requests.get(server.url + "/v1/health", timeout=5).json() == {"status": "ok"}
    services = requests.get(server.url + "/v1/services", timeout=5, auth=AUTH).json()["services"]
    by_id = {s["service_id"]: s for s in services}
    assert by_id["personal_certs"]["kind"] == "personal"
    assert by_id["personal_certs"]["names"]["zh-CN"] == "个人电子证照打印"
    assert by_id["business_certs"]["kind"] == "business"
    assert set(by_id["business_certs"]["names"]) >= {"zh-CN", "zh-TW", "en"}


def check_certificate(cert: dict, code: str, kind: str) -> None:
    assert is_valid_identifier(cert["identifier"]), cert["identifier"]
    assert is_valid_uscc(cert["issuer_code"])
    assert cert["identifier"].split(".")[6] == cert["issuer_code"]
    assert code not in cert["cert_id"] and code[:10] not in cert["identifier"]
    assert cert["holder_code"] == code and cert["holder_type"] == kind
    assert cert["name"] and cert["number"] and cert["issuer"] and cert["holder_name"]
    issued = dt.date.fromisoformat(cert["issue_date"])
    if cert["valid_until"] is not None:
        assert dt.date.fromisoformat(cert["valid_until"]) > issued
    assert 2 <= len(cert["fields"]) <= 4
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in cert["fields"].items())


@pytest.mark.parametrize("person", SAMPLE_PEOPLE, ids=lambda p: p.extra["label"])
def test_search_each_sample_person(server: PlatformServer, person) -> None:
    resp = search(server, person.number, "resident_id")
    assert resp.status_code == 200
    certs = resp.json()["certificates"]
    assert 2 <= len(certs) <= 4
    for cert in certs:
        check_certificate(cert, person.number, "resident_id")
        assert cert["holder_name"] == person.name
    assert search(server, person.number, "resident_id").json() == resp.json()  # deterministic


@pytest.mark.parametrize("business", SAMPLE_BUSINESSES, ids=lambda b: b["uscc"][:8])
def test_search_each_business(server: PlatformServer, business: dict[str, str]) -> None:
    certs = search(server, business["uscc"], "uscc").json()["certificates"]
    assert {c["name"] for c in certs} == {"营业执照", "食品经营许可证"}
    for cert in certs:
        check_certificate(cert, business["uscc"], "uscc")


def test_cert_ids_are_unique() -> None:
    from refplatform.seed import CERTIFICATES

    ids = [c["cert_id"] for certs in CERTIFICATES.values() for c in certs]
    assert len(ids) == len(set(ids))


def test_identifier_check_character() -> None:
    issuer = "91330106MA2B3C4D5D"
    ident = make_identifier("01001", issuer, "000000000042", "1")
    assert ident.startswith(IDENTIFIER_ROOT)
    assert ident[-1] == mod37_36_check_char(f"01001{issuer}0000000000421")
    assert not is_valid_identifier(ident[:-1] + ("0" if ident[-1] != "0" else "1"))
    assert not is_valid_identifier("1.2.3." + ident[len(IDENTIFIER_ROOT):])


def test_unknown_holder_is_empty(server: PlatformServer) -> None:
    unknown = "11010119900101001" + id_check_digit("11010119900101001")
    assert search(server, unknown, "resident_id").json()["certificates"] == []
    assert search(server, "H60123456", "other_document").json()["certificates"] == []


@pytest.mark.parametrize(("code", "kind"), [("110101198503120034", "resident_id"),
                                            ("91330106MA2B3C4D5E", "uscc"), ("12345", "resident_id")])
def test_bad_check_digit_is_422_problem(server: PlatformServer, code: str, kind: str) -> None:
    resp = search(server, code, kind)
    assert resp.status_code == 422
    assert resp.headers["Content-Type"] == "application/problem+json"
    problem = resp.json()
    assert set(problem) == {"type", "title", "status", "detail"} and problem["status"] == 422
    assert code not in resp.text


@pytest.mark.parametrize("body", [None, [], {"holder_code": "x"}, {"holder_code": 5, "holder_type": "uscc"},
                                  {"holder_code": "1", "holder_type": "passport"}])
def test_malformed_search_is_400(server: PlatformServer, body: object) -> None:
    resp = post(server, "/v1/certificates/search", body, grant_for(server, SAMPLE_PEOPLE[0].number))
    assert resp.status_code == 400 and resp.headers["Content-Type"] == "application/problem+json"


def test_not_json_and_unknown_paths(server: PlatformServer) -> None:
    resp = requests.post(server.url + "/v1/transactions", data=b"{nope", timeout=5, auth=AUTH)
    assert resp.status_code == 400 and resp.json()["status"] == 400
    assert requests.get(server.url + "/v1/nothing", timeout=5).status_code == 404
    assert requests.get(server.url + "/v1/transactions", timeout=5, auth=AUTH).status_code == 405


def test_ingest_is_idempotent(server: PlatformServer) -> None:
    tx = {"idempotency_key": "k-1", "kind": "print", "payload": {"cert_id": "c1", "pages": 1}}
    first, second = post(server, "/v1/transactions", tx), post(server, "/v1/transactions", tx)
    assert (first.status_code, first.json()) == (201, {"status": "accepted"})
    assert (second.status_code, second.json()) == (200, {"status": "duplicate"})
    assert post(server, "/v1/transactions", dict(tx, idempotency_key="k-2")).status_code == 201
    received = server.received()
    assert [r["idempotency_key"] for r in received] == ["k-1", "k-2"]
    assert received[0]["payload"] == tx["payload"] and received[0]["kind"] == "print"


@pytest.mark.parametrize("body", [{}, {"idempotency_key": "", "kind": "x", "payload": {}},
                                  {"idempotency_key": "k", "kind": "x", "payload": []},
                                  {"idempotency_key": 1, "kind": "x", "payload": {}}])
def test_malformed_transaction_is_400(server: PlatformServer, body: dict) -> None:
    assert post(server, "/v1/transactions", body).status_code == 400
    assert server.received() == []


def test_ingest_survives_restart_with_db_file(tmp_path) -> None:
    db = str(tmp_path / "platform.db")
    tx = {"idempotency_key": "k-9", "kind": "print", "payload": {}}
    first = PlatformServer(db_path=db)
    enrol(first, "kiosk-test", TEST_KEY)
    first.start()
    assert post(first, "/v1/transactions", tx).status_code == 201
    first.stop()
    second = PlatformServer(db_path=db)
    second.start()
    try:
        assert post(second, "/v1/transactions", tx).json() == {"status": "duplicate"}
        assert len(second.received()) == 1
    finally:
        second.stop()


def test_fault_switches(server: PlatformServer) -> None:
    server.faults.status = 503
    resp = requests.get(server.url + "/v1/health", timeout=5)
    assert resp.status_code == 503 and resp.headers["Content-Type"] == "application/problem+json"
    server.faults.reset()
    server.faults.offline = True
    with pytest.raises(requests.ConnectionError):
        requests.get(server.url + "/v1/health", timeout=5)
    server.faults.reset()
    assert requests.get(server.url + "/v1/health", timeout=5).status_code == 200


def test_access_log_has_no_personal_data(server: PlatformServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="refplatform.access")
    for person in SAMPLE_PEOPLE:
        search(server, person.number, "resident_id")
    search(server, "91330106MA2B3C4D5E", "uscc")
    post(server, "/v1/transactions", {"idempotency_key": "k", "kind": "x", "payload": {"id": ALL_CODES[0]}})
    requests.get(server.url + f"/v1/certificates/{ALL_CODES[0]}?holder={ALL_CODES[1]}", timeout=5)
    requests.request("BREW", server.url + f"/{ALL_CODES[2]}", timeout=5)
    lines = [r.getMessage() for r in caplog.records if r.name == "refplatform.access"]
    assert len(lines) >= len(SAMPLE_PEOPLE) + 4
    for line in lines:
        assert re.fullmatch(r"[A-Z]+ (/v1/[a-z/{}_-]+|-) \d{3}", line), line
    for code in ALL_CODES:
        assert code not in caplog.text
    assert not any(p.name in caplog.text for p in SAMPLE_PEOPLE)

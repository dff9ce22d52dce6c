"""Citizen grants, acting for a business and for another person: every refusal over real HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.identity import HolderCodeType
from kiosk.interfaces import Grant, PlatformError, PlatformErrorKind
from refplatform.grants import HARD_SECONDS, IDLE_SECONDS
from refplatform.server import PlatformServer
from sync.platform_client import HttpPlatformClient
from tests.signed_requests import KioskAuth, enrol, enrolled_client, grant_for

ZHANG, AYGUL, LI, CHEN, BATER = (SAMPLE_PEOPLE[i] for i in (0, 1, 2, 3, 6))
HANGZHOU_TECH, BEIJING_FOOD = SAMPLE_BUSINESSES[0], SAMPLE_BUSINESSES[1]
PERSONAL = [p.number for p in SAMPLE_PEOPLE] + [p.name for p in SAMPLE_PEOPLE]


def refusal(call, *args, **kw) -> PlatformError:
    with pytest.raises(PlatformError) as info:
        call(*args, **kw)
    text = str(info.value) + info.value.detail
    assert not any(secret in text for secret in PERSONAL)
    return info.value


def open_for(client: HttpPlatformClient, person) -> Grant:  # noqa: ANN001
    return client.open_grant(person.number, HolderCodeType.RESIDENT_ID, method="face", liveness=True)


def cert_of(server: PlatformServer, holder_type: str, code: str, type_code: str = "") -> str:
    certs = server.store.certificates_of(holder_type, code)
    return next(c["cert_id"] for c in certs if not type_code or c["identifier"].split(".")[5] == type_code)


def problem(resp: requests.Response, status: int, slug: str) -> None:
    assert resp.status_code == status and resp.json()["type"].endswith("/" + slug), resp.text
    assert not any(secret in resp.text for secret in PERSONAL)


# ------------------------------------------------------------------ the grant itself

def test_search_download_and_copy_need_a_grant(server: PlatformServer) -> None:
    cid = cert_of(server, "resident_id", ZHANG.number)
    for method, path, body in (("POST", "/v1/certificates/search", {}),
                               ("GET", f"/v1/certificates/{cid}/file", None),
                               ("POST", f"/v1/certificates/{cid}/stamped-copies", {"purpose": "x", "valid_days": 1})):
        resp = requests.request(method, server.url + path, json=body, auth=KioskAuth(), timeout=5)
        problem(resp, 401, "grant-required")


@pytest.mark.parametrize(("method", "liveness", "staff_id"), [("card", False, None), ("face", False, None),
                                                              ("staff", False, None), ("voice", True, "st-1")])
def test_grant_needs_face_with_liveness_or_a_staff_member(client: HttpPlatformClient, method: str,
                                                         liveness: bool, staff_id: str | None) -> None:
    error = refusal(client.open_grant, ZHANG.number, HolderCodeType.RESIDENT_ID, method=method,
                    liveness=liveness, staff_id=staff_id)
    assert error.detail == "http_403_verification-insufficient"
    assert client.open_grant(ZHANG.number, HolderCodeType.RESIDENT_ID, method="staff", liveness=False,
                             staff_id="st-0a1b2c3d4e5f").grant_id.startswith("g-")


def test_grant_from_another_kiosk_is_worthless(server: PlatformServer, client: HttpPlatformClient) -> None:
    grant = open_for(client, ZHANG)
    other = enrolled_client(server, "kiosk-other", retries=0)
    try:
        error = refusal(other.search_certificates, "", HolderCodeType.RESIDENT_ID, grant=grant)
        assert (error.kind, error.detail) == (PlatformErrorKind.GRANT_EXPIRED, "http_401_grant-unknown")
        assert error.message_key == "platform_grant_expired"
    finally:
        other.close()
    assert client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant)  # still fine at home


@pytest.mark.parametrize("seconds", [IDLE_SECONDS + 1, HARD_SECONDS + 1])
def test_grant_expires_idle_and_hard(server: PlatformServer, client: HttpPlatformClient, seconds: float) -> None:
    grant = open_for(client, ZHANG)
    started = time.time()
    if seconds > HARD_SECONDS:  # kept busy, it still ends at the hard limit
        for step in range(1, 4):
            server.grants.clock = lambda step=step: started + step * 500
            assert client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant)
    server.grants.clock = lambda: started + seconds
    error = refusal(client.search_certificates, "", HolderCodeType.RESIDENT_ID, grant=grant)
    assert (error.kind, error.detail) == (PlatformErrorKind.GRANT_EXPIRED, "http_401_grant-expired")


def test_revoked_grant_is_refused(server: PlatformServer, client: HttpPlatformClient) -> None:
    grant = open_for(client, ZHANG)
    cert = client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant)[0]
    client.close_grant(grant)
    client.close_grant(grant)  # twice is fine
    for call, args in ((client.search_certificates, ("", HolderCodeType.RESIDENT_ID)), (client.download, (cert,)),
                       (client.stamped_copy, (cert, "办理入学", 30))):
        error = refusal(call, *args, grant=grant)
        assert (error.kind, error.detail) == (PlatformErrorKind.GRANT_EXPIRED, "http_401_grant-revoked")


def test_grant_is_refused_for_a_forged_signature(server: PlatformServer) -> None:
    token = grant_for(server, ZHANG.number)
    thief = KioskAuth("kiosk-test", enrol(server, "kiosk-thief"), grant=token)  # key of another kiosk
    resp = requests.post(server.url + "/v1/certificates/search", json={}, auth=thief, timeout=5)
    problem(resp, 401, "bad-signature")


# ------------------------------------------------------------------ acting for a business

def test_business_not_represented_is_refused(server: PlatformServer, client: HttpPlatformClient) -> None:
    """张伟明 types the USCC of 杭州示例科技 (legal representative: 巴特尔), and tries its files by id."""
    grant = open_for(client, ZHANG)
    assert [b.uscc for b in grant.businesses] == [BEIJING_FOOD["uscc"]]
    error = refusal(client.search_certificates, HANGZHOU_TECH["uscc"], HolderCodeType.USCC, grant=grant)
    assert (error.kind, error.message_key) == (PlatformErrorKind.NOT_AUTHORISED, "platform_not_authorised")
    cid = cert_of(server, "uscc", HANGZHOU_TECH["uscc"])
    auth = KioskAuth(grant=grant.token)
    problem(requests.get(f"{server.url}/v1/certificates/{cid}/file", auth=auth, timeout=5), 403, "not-authorised")
    problem(requests.post(f"{server.url}/v1/certificates/{cid}/stamped-copies", json={"purpose": "x", "valid_days": 1},
                          auth=KioskAuth(grant=grant.token), timeout=5), 403, "not-authorised")
    assert server.store.stamped("x") is None and not any(u["cert_id"] == cid for u in server.grants.uses())


def test_legal_representative_and_agents(client: HttpPlatformClient, server: PlatformServer) -> None:
    bater = open_for(client, BATER)
    assert [(b.uscc, b.role) for b in bater.businesses] == [(HANGZHOU_TECH["uscc"], "legal_rep")]
    assert client.search_certificates(HANGZHOU_TECH["uscc"], HolderCodeType.USCC, grant=bater)
    aygul = open_for(client, AYGUL)  # 经办人 of 杭州示例科技, in scope and in date
    assert [(b.uscc, b.role) for b in aygul.businesses] == [(HANGZHOU_TECH["uscc"], "agent")]
    certs = client.search_certificates(HANGZHOU_TECH["uscc"], HolderCodeType.USCC, grant=aygul)
    assert client.download(certs[0], grant=aygul).startswith(b"%PDF-")
    chen = open_for(client, CHEN)  # his agency for 北京示例餐饮 ended in 2025
    assert chen.businesses == ()
    error = refusal(client.search_certificates, BEIJING_FOOD["uscc"], HolderCodeType.USCC, grant=chen)
    assert error.kind is PlatformErrorKind.NOT_AUTHORISED
    roles = {(u["holder_code"], u["acting_as"]) for u in server.grants.uses() if u["subject_code"] == HANGZHOU_TECH[
        "uscc"]}
    assert roles >= {(BATER.number, "legal_rep"), (AYGUL.number, "agent")}  # both identities recorded


# ------------------------------------------------------------------ acting for another person

def test_delegation_reaches_only_its_scope(client: HttpPlatformClient, server: PlatformServer) -> None:
    """李秀英 (75) delegated her household and social-insurance proofs to 张伟明, not her property deed."""
    grant = open_for(client, ZHANG)
    assert [(d.delegation_id, d.delegator_masked) for d in grant.delegations] == [("dlg-li-to-zhang", "李*英")]
    assert LI.number not in repr(grant) + repr(grant.delegations)
    certs = client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant, delegation_id="dlg-li-to-zhang")
    assert {c.name for c in certs} == {"户籍证明", "社会保险参保证明"} and {c.holder_code for c in certs} == {LI.number}
    copy = client.stamped_copy(certs[0], "代办", 10, grant=grant)
    assert copy.pdf.startswith(b"%PDF-")
    deed = cert_of(server, "resident_id", LI.number, "04001")  # 不动产权证书: outside the delegation
    problem(requests.get(f"{server.url}/v1/certificates/{deed}/file", auth=KioskAuth(grant=grant.token), timeout=5),
            403, "not-authorised")
    use = [u for u in server.grants.uses() if u["action"] == "stamped_copy"][-1]
    assert (use["holder_code"], use["subject_code"], use["acting_as"], use["delegation_id"]) == (
        ZHANG.number, LI.number, "delegate", "dlg-li-to-zhang")  # both identities recorded


def test_expired_or_foreign_delegation_is_refused(client: HttpPlatformClient) -> None:
    aygul = open_for(client, AYGUL)  # 巴特尔's delegation to her ended in January 2025
    assert aygul.delegations == ()
    for delegation in ("dlg-bater-to-aygul", "dlg-li-to-zhang"):  # expired; someone else's
        error = refusal(client.search_certificates, "", HolderCodeType.RESIDENT_ID, grant=aygul,
                        delegation_id=delegation)
        assert error.kind is PlatformErrorKind.NOT_AUTHORISED
    error = refusal(client.search_certificates, LI.number, HolderCodeType.RESIDENT_ID, grant=aygul)
    assert error.kind is PlatformErrorKind.NOT_AUTHORISED

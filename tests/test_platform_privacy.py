"""Every platform request of a journey: no ID number, USCC or name in any URL or log line."""

from __future__ import annotations

import logging

import pytest
import requests

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.identity import HolderCodeType
from refplatform.server import PlatformServer
from tests.signed_requests import enrolled_client


def test_journey_requests_keep_personal_data_out_of_urls_and_logs(server: PlatformServer,
                                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # everything: our loggers, urllib3's request lines, the access log
    urls: list[str] = []
    client = enrolled_client(server, "kiosk-privacy")
    client.session.hooks["response"].append(lambda resp, *args, **kwargs: urls.append(resp.request.url))
    try:
        assert client.ping() and client.catalog() and client.public_keys()
        # (who is verified, whose certificates): people themselves, businesses by their legal representative
        holders = [(p.number, p.number, HolderCodeType.RESIDENT_ID) for p in SAMPLE_PEOPLE]
        holders += [(b["legal_rep"], b["uscc"], HolderCodeType.USCC) for b in SAMPLE_BUSINESSES]
        for person, code, kind in holders:
            grant = client.open_grant(person, HolderCodeType.RESIDENT_ID, method="face", liveness=True)
            for cert in client.search_certificates("" if person == code else code, kind, grant=grant):
                client.download(cert, grant=grant)
                copy = client.stamped_copy(cert, "办理入学", 30, grant=grant)
                for accept in ("application/json", "text/html"):
                    urls.append(copy.verify_url)
                    requests.get(copy.verify_url, headers={"Accept": accept}, timeout=5).raise_for_status()
                client.submit(f"print-{cert.cert_id}", "print", {"cert_id": cert.cert_id, "holder": code})
            client.close_grant(grant)
        client.submit_batch([("r-1", "rating", {"level": 5, "service_id": "personal_certs",
                                                "channel": "hall_terminal", "session_id": grant.grant_id})])
        client.heartbeat({"queue_depth": 1, "printer": {"state": "ready"}, "self_tests": []})
    finally:
        client.close()
    secrets = [p.number for p in SAMPLE_PEOPLE] + [p.name for p in SAMPLE_PEOPLE]
    secrets += [b["uscc"] for b in SAMPLE_BUSINESSES] + [b["name"] for b in SAMPLE_BUSINESSES]
    access = [r.getMessage() for r in caplog.records if r.name == "refplatform.access"]
    assert len(urls) > 50 and len(access) > 50
    everything = "\n".join(urls + [r.getMessage() for r in caplog.records])
    for secret in secrets:
        assert secret not in everything
        assert secret.lower() not in everything.lower()

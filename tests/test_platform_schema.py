"""Schema-driven fuzzing: schemathesis runs docs/platform-api.yaml against the real reference server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from devices.sim_people import SAMPLE_PEOPLE
from refplatform.server import PlatformServer
from sync.device_key import DeviceKey
from sync.request_signing import GRANT
from tests.signed_requests import KioskAuth, enrol

SPEC = Path(__file__).resolve().parent.parent / "docs" / "platform-api.yaml"
schema = schemathesis.openapi.from_path(SPEC)
FUZZ_KEY = DeviceKey.generate()
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance, negative_data_rejection]


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[PlatformServer]:
    server = PlatformServer()
    enrol(server, "kiosk-fuzz", FUZZ_KEY)
    server.start()
    yield server
    server.stop()


class FuzzAuth(KioskAuth):
    """Signs each request's final bytes (a fresh nonce every time) when the case carries the signature
    header; cases that leave it out on purpose (negative tests of the security scheme) go unsigned.
    A case with a grant header gets a fresh, real grant of a verified citizen (张伟明) in it."""

    def __init__(self, server: PlatformServer) -> None:
        super().__init__("kiosk-fuzz", FUZZ_KEY)
        self.server = server

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        self.grant = ""
        if GRANT.fullmatch(r.headers.get("X-Kiosk-Grant", "")):  # a malformed one stays, to be refused
            self.grant = self.server.grants.open("kiosk-fuzz", "resident_id", SAMPLE_PEOPLE[0].number, method="face",
                                                 liveness=True, staff_id=None, verified_at=None)[0]
        return super().__call__(r) if "X-Kiosk-Signature" in r.headers else r


@pytest.fixture(scope="module")
def signed_session(fuzz_server: PlatformServer) -> Iterator[requests.Session]:
    session = requests.Session()
    session.auth = FuzzAuth(fuzz_server)
    yield session
    session.close()


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_platform_conforms_to_its_openapi_contract(case, fuzz_server: PlatformServer,
                                                   signed_session: requests.Session) -> None:
    case.call_and_validate(base_url=fuzz_server.url, session=signed_session, checks=CHECKS, timeout=10)


def test_spec_covers_every_route() -> None:
    from refplatform.server import ROUTE_TABLE

    documented = {(method.upper(), path) for path, item in schema.raw_schema["paths"].items()
                  for method in item if method in ("get", "post", "put", "delete", "patch")}
    assert documented == {(method, path) for method, path, _, _ in ROUTE_TABLE}

"""HttpPlatformClient against the real reference server and a raw socket server."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading

import pytest

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.identity import HolderCodeType
from kiosk.interfaces import Certificate, Grant, PlatformClient, PlatformError, PlatformErrorKind, ServiceInfo
from refplatform.seed import certificates_for
from refplatform.server import PlatformServer
from sync.platform_client import HttpPlatformClient

PERSON = SAMPLE_PEOPLE[0]
CODE = PERSON.number


def expect_error(client: HttpPlatformClient, kind: PlatformErrorKind) -> PlatformError:
    with pytest.raises(PlatformError) as info:
        client.search_certificates(CODE, HolderCodeType.RESIDENT_ID)
    err = info.value
    assert err.kind is kind, err.detail
    text = str(err) + repr(err) + err.detail + repr(err.args)
    assert CODE not in text and PERSON.name not in text
    return err


def test_is_a_platform_client(client: HttpPlatformClient) -> None:
    assert isinstance(client, PlatformClient)


def test_catalog(client: HttpPlatformClient) -> None:
    services = client.catalog()
    assert all(isinstance(s, ServiceInfo) for s in services)
    assert {s.service_id: s.kind for s in services} == {"personal_certs": "personal", "business_certs": "business"}


def test_search_person_and_business(client: HttpPlatformClient, grant: Grant) -> None:
    certs = client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant)
    assert 2 <= len(certs) <= 4 and all(isinstance(c, Certificate) for c in certs)
    assert all(isinstance(c.issue_date, dt.date) and c.holder_type is HolderCodeType.RESIDENT_ID for c in certs)
    assert CODE not in repr(certs)
    uscc = SAMPLE_BUSINESSES[1]["uscc"]  # 张伟明 is its legal representative
    biz = client.search_certificates(uscc, HolderCodeType.USCC, grant=grant)
    assert {c.holder_code for c in biz} == {uscc}
    assert any(isinstance(c.valid_until, dt.date) for c in biz)


def test_search_unknown_holder_and_bad_code(client: HttpPlatformClient, grant: Grant) -> None:
    other = client.open_grant("H60123456", HolderCodeType.OTHER, method="face", liveness=True)
    assert client.search_certificates("", HolderCodeType.OTHER, grant=other) == []
    with pytest.raises(PlatformError) as info:
        client.search_certificates(CODE[:-1] + "9", HolderCodeType.RESIDENT_ID, grant=grant)
    assert info.value.kind is PlatformErrorKind.REFUSED and CODE[:-1] not in str(info.value)


def test_submit_duplicate_is_success(client: HttpPlatformClient, server: PlatformServer) -> None:
    client.submit("k-1", "print", {"cert_id": "c1"})
    client.submit("k-1", "print", {"cert_id": "c1"})
    assert [r["idempotency_key"] for r in server.received()] == ["k-1"]


def test_submit_batch_reports_each_item(client: HttpPlatformClient, server: PlatformServer) -> None:
    client.submit("k-1", "print", {"cert_id": "c1"})
    result = client.submit_batch([("k-1", "print", {"cert_id": "c1"}),
                                  ("k-2", "rating", {"level": 5, "session_id": "s-1"}),
                                  ("k-3", "print", "not an object")])  # type: ignore[list-item]
    assert result == {"k-1": "duplicate", "k-2": "accepted", "k-3": "rejected"}
    assert [r["idempotency_key"] for r in server.received()] == ["k-1", "k-2"]


def test_ping(client: HttpPlatformClient, server: PlatformServer) -> None:
    assert client.ping()
    server.faults.status = 500
    assert not client.ping()
    server.stop()
    assert not client.ping()


def test_stopped_server_is_offline(client: HttpPlatformClient, server: PlatformServer) -> None:
    assert client.ping()  # leave a pooled keep-alive connection behind
    server.stop()
    expect_error(client, PlatformErrorKind.OFFLINE)


def test_offline_fault(client: HttpPlatformClient, server: PlatformServer) -> None:
    server.faults.offline = True
    expect_error(client, PlatformErrorKind.OFFLINE)
    server.faults.reset()
    assert client.ping()


@pytest.mark.parametrize(("status", "kind"), [(500, PlatformErrorKind.SERVER_ERROR),
                                              (503, PlatformErrorKind.SERVER_ERROR),
                                              (429, PlatformErrorKind.RATE_LIMITED),
                                              (403, PlatformErrorKind.REFUSED),
                                              (404, PlatformErrorKind.REFUSED)])
def test_status_faults(client: HttpPlatformClient, server: PlatformServer, status: int,
                       kind: PlatformErrorKind) -> None:
    server.faults.status = status
    assert expect_error(client, kind).detail.startswith(f"http_{status}")
    with pytest.raises(PlatformError) as info:
        client.submit("k", "print", {"holder": CODE})
    assert info.value.kind is kind and CODE not in str(info.value)


def test_slow_server_is_timeout(client: HttpPlatformClient, server: PlatformServer) -> None:
    server.faults.latency = 2.0  # read timeout is 0.5 s; stop() cuts the wait short
    expect_error(client, PlatformErrorKind.TIMEOUT)


class RawServer:
    """Answers every connection with one canned HTTP response and records the requests."""

    def __init__(self, response: bytes) -> None:
        self.response = response
        self.requests: list[bytes] = []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(body) < length:
                    body += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + body)
                conn.sendall(self.response)

    def close(self) -> None:
        self.sock.close()


def canned(body: bytes, length: int | None = None) -> bytes:
    return (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: %d\r\n\r\n" % (len(body) if length is None else length)) + body


SECRET = "张伟明-" + CODE  # appears in the bad bodies; must never reach an error message


@pytest.mark.parametrize("response", [
    canned(b"this is not json " + SECRET.encode()),
    canned(b'{"certificates": [{"cert_id": "' + SECRET.encode()),  # truncated JSON
    canned(b'{"certificates": [{"cert_id": "' + SECRET.encode(), length=400),  # body cut short
    canned(b'{"certificates": "' + SECRET.encode() + b'"}'),
    canned(b'{"certificates": [{"cert_id": 5}]}'),
    canned(b'["' + SECRET.encode() + b'"]'),
    canned(b""),
], ids=["garbage", "truncated", "short-body", "not-a-list", "ill-typed", "wrong-shape", "empty"])
def test_bad_data(response: bytes) -> None:
    raw = RawServer(response)
    client = HttpPlatformClient(raw.url, kiosk_id="kiosk-7", connect_timeout=1.0, read_timeout=1.0)
    try:
        err = expect_error(client, PlatformErrorKind.BAD_DATA)
        assert SECRET not in str(err) and "张" not in str(err)
        assert err.__cause__ is None and err.__context__ is None
    finally:
        client.close()
        raw.close()


def test_bad_certificate_fields_are_bad_data() -> None:
    good = certificates_for("resident_id", CODE)[0]
    for broken in ({**good, "issue_date": "2024-13-01"}, {**good, "holder_type": "passport"},
                   {**good, "fields": {"a": 1}}, {k: v for k, v in good.items() if k != "number"}):
        raw = RawServer(canned(json.dumps({"certificates": [broken]}).encode()))
        client = HttpPlatformClient(raw.url, kiosk_id="k")
        try:
            expect_error(client, PlatformErrorKind.BAD_DATA)
        finally:
            client.close()
            raw.close()


def test_holder_code_only_in_body_and_kiosk_header() -> None:
    raw = RawServer(canned(b'{"certificates": []}'))
    client = HttpPlatformClient(raw.url, kiosk_id="kiosk-7")
    try:
        assert client.search_certificates(CODE, HolderCodeType.RESIDENT_ID) == []
    finally:
        client.close()
        raw.close()
    head, _, body = raw.requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /v1/certificates/search HTTP/1.1")
    assert b"\r\nX-Kiosk-Id: kiosk-7" in head and CODE.encode() not in head
    assert CODE.encode() in body

"""The reference server reads every request strictly: raw bytes over a real socket on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from refplatform.server import PlatformServer
from tests.signed_requests import AUTH


def raw(server: PlatformServer, data: bytes) -> bytes:
    """Send bytes, read until the server closes (or 3 s of silence)."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=3) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
    return out


def test_smuggled_second_request_in_a_get_body_is_refused(server: PlatformServer) -> None:
    inner = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    data = (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(inner)).encode() + b"\r\n\r\n"
            + inner)
    out = raw(server, data)
    assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400")
    assert b"body-not-allowed" in out


@pytest.mark.parametrize("method", [b"DELETE", b"OPTIONS", b"HEAD"])
def test_body_on_methods_without_one_is_400(server: PlatformServer, method: bytes) -> None:
    out = raw(server, method + b" /v1/health HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400")


def test_chunked_body_is_411_and_its_content_is_never_a_request(server: PlatformServer) -> None:
    inner = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    chunk = f"{len(inner):x}".encode() + b"\r\n" + inner + b"\r\n0\r\n\r\n"
    out = raw(server, b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
    assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 411")
    out = raw(server, b"GET /v1/health HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk)
    assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 411")


@pytest.mark.parametrize("lengths", [b"Content-Length: 2\r\nContent-Length: 40\r\n", b"Content-Length: -1\r\n",
                                     b"Content-Length: 0x10\r\n", b"Content-Length: 99999999999999999\r\n"])
def test_bad_or_double_content_length_is_400(server: PlatformServer, lengths: bytes) -> None:
    out = raw(server, b"POST /v1/transactions HTTP/1.1\r\nHost: x\r\n" + lengths + b"\r\n{}")
    assert out.count(b"HTTP/1.1 ") == 1 and out.startswith(b"HTTP/1.1 400")


def test_keep_alive_still_works_for_honest_requests(server: PlatformServer) -> None:
    one = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
    out = raw(server, one + one + b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200") == 3


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 40 + b"1" + b"}" * 40,
                                  b'{"idempotency_key":"k","kind":"print","payload":{"x":NaN}}',
                                  b'{"idempotency_key":"k","kind":"print","payload":{"x":Infinity}}',
                                  b'{"idempotency_key":"k","kind":"print","payload":{"x":-Infinity}}',
                                  b'{"idempotency_key":"k","kind":"print","payload":{"x":1e999}}'])
def test_deep_json_and_non_numbers_are_400(server: PlatformServer, body: bytes) -> None:
    resp = requests.post(server.url + "/v1/transactions", data=body, timeout=10, auth=AUTH,
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.headers["Content-Type"] == "application/problem+json"
    assert server.received() == []


def test_405_names_the_allowed_methods(server: PlatformServer) -> None:
    resp = requests.delete(server.url + "/v1/health", timeout=5)
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET"
    out = raw(server, b"BREW /v1/transactions HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 405") and b"\r\nAllow: POST\r\n" in out
    assert raw(server, b"BREW /nowhere HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 404")


def test_integral_numbers_count_as_integers(server: PlatformServer) -> None:
    """JSON Schema's integer includes 1.0: the server agrees with its schema."""
    rating = {"idempotency_key": "r-float", "level": 4.0, "service_id": "personal_certs", "channel": "hall_terminal",
              "session_id": "s-float"}
    resp = requests.post(server.url + "/v1/ratings", data=json.dumps(rating), auth=AUTH, timeout=5,
                         headers={"Content-Type": "application/json"})
    assert resp.status_code == 201 and server.ratings()[0]["level"] == 4
    rating.update(idempotency_key="r-half", level=4.5, session_id="s-half")
    assert requests.post(server.url + "/v1/ratings", json=rating, auth=AUTH, timeout=5).status_code == 400

"""The reference public data platform over HTTP (stdlib ThreadingHTTPServer, SQLite storage).

The stdlib server starts in a few milliseconds (the demo runs it in-process) and gives the
fault switches byte-level control (connections dropped mid-body, silence). Handlers live in
refplatform.api. Errors are RFC 9457 problem+json. Every non-public request must carry a
valid signature by an enrolled kiosk's own device key (sync.request_signing, refplatform.trust);
unknown and revoked kiosks, replays (nonces kept in SQLite) and skewed clocks are refused. Requests
are read strictly: a body where none belongs, chunked bodies, deep JSON and NaN are refused, not
ignored. The access log holds method, route template and status only: never query strings, ids or bodies.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import random
import re
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from refplatform import api, api_grants, api_wallet, hall_api, video_api
from refplatform.admin import ADMIN_COMMANDS, admin_main
from refplatform.api import Platform, Problem, Reply, Request
from refplatform.grants import GrantStore
from refplatform.hall import Hall
from refplatform.seed import CERTIFICATES
from refplatform.store import Store
from refplatform.trust import TrustRegistry
from refplatform.video_calls import VideoCalls
from sync.request_signing import ALL_HEADERS, KioskRevoked, RequestRejected, RequestVerifier

access_log = logging.getLogger("refplatform.access")

MAX_BODY = 1 << 20


@dataclass
class Faults:
    """Switches for failure tests, settable at any time; the handler reads them on every request."""

    offline: bool = False  # close the connection without an answer
    status: int | None = None  # answer every call with this status (problem+json)
    latency: float = 0.0  # seconds to wait before answering
    error_rate: float = 0.0  # share of calls answered 503 (random)
    flaky: int = 0  # the next N calls are answered 503
    rate_limit: float | None = None  # answer 429 with this Retry-After (seconds)
    drop_mid_body: bool = False  # send the headers and half the body, then cut the connection
    malformed_json: bool = False  # JSON answers arrive cut short
    signature: str | None = None  # files signed "invalid" | "expired" | "unknown_key" | "tampered" | "missing";
    # "foreign_anchor": GET /v1/keys signed by another trust anchor than the one kiosks pin

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)


# (method, route template, handler, public: no request signature needed)
ROUTE_TABLE: tuple[tuple[str, str, Callable[[Platform, Request], Reply], bool], ...] = (
    ("GET", "/v1/health", api.health, True),
    ("GET", "/v1/keys", api.public_keys, True),
    ("POST", "/v1/kiosks/enrol", api.enrol, True),
    ("GET", "/v1/services", api.services, False),
    ("POST", "/v1/grants", api_grants.open_grant, False),
    ("DELETE", "/v1/grants/current", api_grants.close_grant, False),
    ("POST", "/v1/certificates/search", api.search, False),
    ("GET", "/v1/certificates/{cert_id}/file", api.download, False),
    ("POST", "/v1/certificates/{cert_id}/stamped-copies", api.stamped_copy, False),
    ("POST", "/v1/certificates/{cert_id}/send-to-app", api_wallet.send_to_app, False),
    ("GET", "/v1/verify/{code}", api.verify, True),
    ("GET", "/v1/verify/{code}/file", api.verify_file, True),
    ("POST", "/v1/transactions", api.ingest, False),
    ("POST", "/v1/transactions/batch", api.ingest_batch, False),
    ("POST", "/v1/kiosk/heartbeat", api.heartbeat, False),
    ("GET", "/v1/kiosk/status", api.kiosk_status, False),
    ("POST", "/v1/ratings", api.rating, False),
    ("POST", "/v1/kiosk/presence", hall_api.presence, False),
    ("POST", "/v1/staff-calls", hall_api.place_call, False),
    ("GET", "/v1/staff-calls/{call_id}", hall_api.call_status, False),
    ("POST", "/v1/staff-calls/{call_id}/repeat", hall_api.repeat_call, False),
    ("POST", "/v1/staff-calls/{call_id}/cancel", hall_api.cancel_call, False),
    # The hall dashboard: public as far as kiosk signatures go; the handlers require a staff session.
    ("GET", "/hall", hall_api.page, True),
    ("POST", "/hall/session", hall_api.sign_in, True),
    ("DELETE", "/hall/session", hall_api.sign_out, True),
    ("GET", "/hall/state", hall_api.state, True),
    ("GET", "/hall/events", hall_api.events, True),
    ("POST", "/hall/calls/{call_id}/ack", hall_api.acknowledge, True),
    # Video help (issue 18): signalling only; media goes peer to peer.
    ("POST", "/v1/video-calls", video_api.open_call, False),
    ("GET", "/v1/video-calls/{call_id}", video_api.call_status, False),
    ("POST", "/v1/video-calls/{call_id}/end", video_api.end_call, False),
    # The agent console: public as far as kiosk signatures go; the handlers require a hall staff session.
    ("GET", "/hall/video", video_api.page, True),
    ("GET", "/hall/video/queue", video_api.queue, True),
    ("POST", "/hall/video/calls/{call_id}/accept", video_api.accept, True),
    ("POST", "/hall/video/calls/{call_id}/answer", video_api.answer, True),
    ("POST", "/hall/video/calls/{call_id}/end", video_api.end, True),
)
_COMPILED = [(m, t, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", t) + "$"), h, p)
             for m, t, h, p in ROUTE_TABLE]
ROUTES = frozenset(t for _, t, _, _ in ROUTE_TABLE)


def _route(path: str) -> tuple[str | None, list[tuple[str, Callable[[Platform, Request], Reply], bool, dict]]]:
    """The route template that matches path, and the (method, handler, public, params) on it."""
    template, found = None, []
    for method, tmpl, pattern, handler, public in _COMPILED:
        match = pattern.match(path)
        if match:
            template = template or tmpl
            if tmpl == template:
                found.append((method, handler, public, match.groupdict()))
    return template, found


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    server_version = "refplatform/0.2"
    sys_version = ""
    timeout = 30
    disable_nagle_algorithm = True  # headers and body go out in separate writes: no 40 ms delayed-ACK stall
    _template: str | None = None
    _started = 0.0

    # -- logging: method, route template and status only; never query strings, ids, bodies or raw lines
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        self.log_message("%s %s %s", getattr(self, "command", None) or "-", self._template or "-",
                         int(code) if isinstance(code, int) else "-")

    def log_error(self, format: str, *args: Any) -> None:
        """Dropped: log_request records the status, and stdlib messages may quote the request line."""

    def log_message(self, format: str, *args: Any) -> None:
        access_log.info(format, *args)

    # -- plumbing
    def setup(self) -> None:
        super().setup()
        self.server.track(self.request, True)

    def finish(self) -> None:
        self.server.track(self.request, False)
        with contextlib.suppress(OSError):
            super().finish()

    def _send(self, reply: Reply) -> None:
        faults = self.server.faults
        data = reply.body
        if faults.malformed_json and reply.content_type.startswith("application/json") and data:
            data = data[: max(1, len(data) // 2)]
        if reply.stream is not None:
            self._stream(reply)
            return
        self.send_response(reply.status)
        elapsed_ms = (time.perf_counter() - self._started) * 1000 if self._started else 0.0
        headers = {"Content-Type": reply.content_type, "Content-Length": str(len(data)), "Cache-Control": "no-store",
                   "Server-Timing": f"app;dur={elapsed_ms:.2f}", **reply.headers}
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command == "HEAD":
            return
        if faults.drop_mid_body and len(data) > 1:
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(data)

    def _stream(self, reply: Reply) -> None:
        """A body of unknown length (Server-Sent Events): headers now, the body until either side stops."""
        self.close_connection = True
        self.send_response(reply.status)
        for name, value in {"Content-Type": reply.content_type, "Cache-Control": "no-store",
                            "Connection": "close", **reply.headers}.items():
            self.send_header(name, value)
        self.end_headers()

        def write(data: bytes) -> bool:
            if self.server.stopping.is_set() or self.server.faults.offline:
                return False
            try:
                self.wfile.write(data)
                self.wfile.flush()
            except OSError:
                return False
            return True

        assert reply.stream is not None
        reply.stream(write)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, unknown method) as problem+json too."""
        self.close_connection = True
        if int(code) == 501:  # a method this server has no handler for at all
            self._template, candidates = _route(urlsplit(self.path).path) if hasattr(self, "path") else (None, [])
            if not candidates:
                self._problem(Problem(404, "not-found", "no such resource"))
                return
            self._problem(Problem(405, "method-not-allowed", "method not allowed on this resource",
                                  {"Allow": ", ".join(c[0] for c in candidates)}))
            return
        self._problem(Problem(int(code), "protocol", "request could not be handled"))

    def _problem(self, p: Problem) -> None:
        title = HTTPStatus(p.status).phrase if p.status in {s.value for s in HTTPStatus} else "Error"
        body = json.dumps({"type": f"https://refplatform.example/problems/{p.slug}", "title": title,
                           "status": p.status, "detail": p.detail}, ensure_ascii=False).encode()
        self._send(Reply(p.status, body, "application/problem+json", p.headers))

    def _read_body(self) -> bytes:
        """Read the body, or refuse it: every byte on the connection is accounted for (no smuggling).

        A body where the method takes none is 400, Transfer-Encoding (chunked) is 411; both close
        the connection, so nothing left unread can be taken for a second request.
        """
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") is not None:
            self.close_connection = True
            raise Problem(411, "length-required", "send a Content-Length; Transfer-Encoding is not accepted")
        if len(lengths) > 1 or (lengths and not (lengths[0].isdigit() and len(lengths[0]) <= 12)):
            self.close_connection = True
            raise Problem(400, "bad-request", "Content-Length must be one number")
        length = int(lengths[0]) if lengths else 0
        if self.command not in ("POST", "PUT", "PATCH"):
            if length > 0:
                self.close_connection = True
                raise Problem(400, "body-not-allowed", "this method takes no request body")
            return b""
        if length > MAX_BODY:
            self.close_connection = True
            raise Problem(413, "too-large", "request body too large")
        body = self.rfile.read(length) if length > 0 else b""
        if len(body) != length:
            self.close_connection = True
            raise ConnectionError("body cut short")
        return body

    def _injected(self) -> Problem | None:
        faults = self.server.faults
        if faults.status is not None:
            return Problem(faults.status, "injected", "fault injected by the test switch")
        if faults.flaky > 0:
            faults.flaky -= 1
            return Problem(503, "injected", "fault injected by the test switch")
        if faults.error_rate > 0 and self.server.rng.random() < faults.error_rate:
            return Problem(503, "injected", "fault injected by the test switch")
        if faults.rate_limit is not None:
            return Problem(429, "rate-limited", "too many requests", {"Retry-After": f"{faults.rate_limit:g}"})
        return None

    def _dispatch(self) -> None:
        faults = self.server.faults
        path = urlsplit(self.path).path
        self._template, candidates = _route(path)
        body = self._read_body()
        if faults.latency > 0 and self.server.stopping.wait(faults.latency):
            faults = Faults(offline=True)
        if faults.offline:
            self.close_connection = True
            return
        injected = self._injected()
        if injected is not None:
            raise injected
        chosen = next((c for c in candidates if c[0] == self.command), None)
        if chosen is None:
            if candidates:
                raise Problem(405, "method-not-allowed", "method not allowed on this resource",
                              {"Allow": ", ".join(c[0] for c in candidates)})
            raise Problem(404, "not-found", "no such resource")
        _, handler, public, params = chosen
        kiosk_id = ""
        if not public and self.server.verifier is not None:
            headers = {name: self.headers.get(name) for name in ALL_HEADERS}
            try:
                kiosk_id = self.server.verifier.verify(self.command, self.path, headers, body)
            except KioskRevoked:
                raise Problem(403, "kiosk-revoked", "this kiosk's enrolment was revoked") from None
            except RequestRejected as e:
                raise Problem(401, str(e).replace("_", "-"), "request signature refused") from None
        request = Request(self.command, params, self.headers.get, body,
                          kiosk_id or (self.headers.get("X-Kiosk-Id") or "")[:64])
        self._send(handler(self.server.platform, request))

    def _handle(self) -> None:
        self._started = time.perf_counter()
        try:
            self._dispatch()
        except Problem as p:
            self._problem(p)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception as e:  # never leak internals, bodies or exception messages
            access_log.error("internal error %s", type(e).__name__)
            self._problem(Problem(500, "internal", "internal error"))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_TRACE = _handle


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], faults: Faults, platform: Platform,
                 verifier: RequestVerifier | None) -> None:
        self.faults, self.platform, self.verifier = faults, platform, verifier
        self.rng = random.Random(4)
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A connection that failed below HTTP (TLS handshake, reset): type only, no traceback or address."""
        access_log.info("connection error %s", type(sys.exc_info()[1]).__name__)

    def track(self, sock: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            (self._open.add if is_open else self._open.discard)(sock)

    def drop_connections(self) -> None:
        with self._open_lock:
            socks, self._open = list(self._open), set()
        for sock in socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class PlatformServer:
    """The reference platform on a background thread: start(), url, received(), faults, stop().

    Only enrolled kiosks get past the signature check: issue_enrolment_code() gives a technician
    the one-time code for `kiosk enrol`, revoke_kiosk() shuts a kiosk out.
    require_signatures=False accepts unsigned requests (for poking at it with curl).
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, db_path: str | None = None,
                 require_signatures: bool = True, max_skew: float = 300.0, public_url: str | None = None,
                 ssl_context: ssl.SSLContext | None = None, ingest_rate: float | None = None) -> None:
        self.faults = Faults()
        self.store = Store(db_path)
        self.store.seed(CERTIFICATES)
        self.trust = TrustRegistry(self.store)
        self.grants = GrantStore(self.store)
        self.hall = Hall(db_path)
        self._public_url = public_url
        self.platform = Platform(self.store, lambda: (self._public_url or self.url).rstrip("/"),
                                 lambda: self.faults.signature, trust=self.trust, grants=self.grants,
                                 hall=self.hall)
        if ingest_rate:
            from refplatform.pacing import IngestPacer

            self.platform.pacer = IngestPacer(ingest_rate)
        self.platform.video = self.video = VideoCalls()  # video help: in memory, no media ever
        verifier = None
        if require_signatures:
            verifier = RequestVerifier(self.trust.key_for, self.trust, max_skew=max_skew)
        self._httpd = _HttpServer((host, port), self.faults, self.platform, verifier)
        self._tls = ssl_context is not None
        if ssl_context is not None:
            self._httpd.socket = ssl_context.wrap_socket(self._httpd.socket, server_side=True,
                                                         do_handshake_on_connect=False)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    def start(self) -> int:
        """Serve on a daemon thread; returns the bound port."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="refplatform",
                                        daemon=True)
        self._thread.start()
        return int(self._httpd.server_address[1])

    def issue_enrolment_code(self, kiosk_id: str) -> str:
        """A one-time code a technician types into `kiosk enrol` on the kiosk with this id."""
        return self.trust.issue_code(kiosk_id)

    def revoke_kiosk(self, kiosk_id: str) -> bool:
        """Refuse this kiosk from now on (until it is enrolled again); False when it was never enrolled."""
        return self.trust.revoke(kiosk_id)

    def received(self) -> list[dict[str, Any]]:
        """Every ingested transaction, in arrival order, each stored once."""
        return self.store.transactions()

    def heartbeats(self) -> list[dict[str, Any]]:
        """Heartbeats from the direct endpoint and from ingested "heartbeat" transactions."""
        return self.store.heartbeats()

    def ratings(self) -> list[dict[str, Any]]:
        """Ratings from the direct endpoint and from ingested "rating" transactions."""
        return self.store.ratings()

    def stop(self) -> None:
        """Stop serving, drop open connections and close the store."""
        self._httpd.stopping.set()
        self.hall.close()  # ends the dashboards' event streams
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()
        self.store.close()


def main(argv: list[str] | None = None) -> None:
    """Console script `kiosk-platform`: run the reference platform until Ctrl-C (or an admin command)."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ADMIN_COMMANDS:
        raise SystemExit(admin_main(argv))
    parser = argparse.ArgumentParser(prog="kiosk-platform", description="Reference public data platform")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", default=None,
                        help="SQLite file for enrolled kiosks, nonces, transactions and issued copies")
    parser.add_argument("--public-url", default=None, help="base URL printed in verification QR codes")
    parser.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve HTTPS")
    parser.add_argument("--tls-key", default=None, help="PEM private key of --tls-cert")
    parser.add_argument("--client-ca", default=None, help="require client certificates signed by this CA")
    parser.add_argument("--ingest-rate", type=float, default=None,
                        help="transactions per second; beyond it kiosks get a slot (429 + Retry-After + ticket)")
    parser.add_argument("--allow-unsigned", action="store_true", help="accept requests without a kiosk signature")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    context = None
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            context.load_verify_locations(args.client_ca)
            context.verify_mode = ssl.CERT_REQUIRED
    server = PlatformServer(args.host, args.port, db_path=args.db, require_signatures=not args.allow_unsigned,
                            public_url=args.public_url, ssl_context=context, ingest_rate=args.ingest_rate)
    server.start()
    access_log.info("serving on %s (Ctrl-C to stop)", server.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


if __name__ == "__main__":
    main()

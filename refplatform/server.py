"""A small, honest HTTP stand-in for the public data platform (stdlib only).

JSON in and out; errors are RFC 9457 problem+json. Personal data travels only in
request bodies, never in URLs, and the access log holds only method, path and status.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import socket
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from kiosk.idnumbers import is_valid_id_number, is_valid_uscc
from refplatform.seed import SERVICES, certificates_for

access_log = logging.getLogger("refplatform.access")

MAX_BODY = 1 << 20
HOLDER_TYPES = ("resident_id", "uscc", "other_document")


@dataclass
class Faults:
    """Switches for failure tests; the handler reads them on every request."""

    offline: bool = False  # close the connection without an answer
    status: int | None = None  # answer every call with this status (problem+json)
    latency: float = 0.0  # seconds to wait before answering

    def reset(self) -> None:
        self.offline, self.status, self.latency = False, None, 0.0


class _Problem(Exception):
    def __init__(self, status: int, slug: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.slug, self.detail = status, slug, detail


class _Store:
    """Ingested transactions in SQLite, one row per idempotency key."""

    def __init__(self, db_path: str | None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(db_path or ":memory:", check_same_thread=False, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS transactions (idempotency_key TEXT PRIMARY KEY, kind TEXT NOT NULL,"
            " payload TEXT NOT NULL, received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ')))"
        )

    def ingest(self, key: str, kind: str, payload: dict[str, Any]) -> bool:
        """Store a transaction; False when the key was already there."""
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO transactions (idempotency_key, kind, payload) VALUES (?, ?, ?)",
                (key, kind, json.dumps(payload, ensure_ascii=False)),
            )
            return cur.rowcount == 1

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT idempotency_key, kind, payload, received_at FROM transactions ORDER BY rowid"
            ).fetchall()
        return [{"idempotency_key": k, "kind": t, "payload": json.loads(p), "received_at": r}
                for k, t, p, r in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _Handler(BaseHTTPRequestHandler):
    server: _HttpServer
    protocol_version = "HTTP/1.1"
    server_version = "refplatform/0.1"
    sys_version = ""
    timeout = 30

    # -- logging: method, known path and status only; never query strings, bodies or raw lines
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        path = urlsplit(getattr(self, "path", "")).path
        self.log_message("%s %s %s", getattr(self, "command", None) or "-", path if path in ROUTES else "-",
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
        super().finish()

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        for name, value in (("Content-Type", content_type), ("Content-Length", str(len(data))),
                            ("Cache-Control", "no-store")):
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (bad request line, unknown method) as problem+json too."""
        self.close_connection = True
        self._problem(_Problem(int(code), "protocol", "request could not be handled"))

    def _problem(self, p: _Problem) -> None:
        title = HTTPStatus(p.status).phrase if p.status in {s.value for s in HTTPStatus} else "Error"
        self._send(p.status, {"type": f"https://refplatform.example/problems/{p.slug}", "title": title,
                              "status": p.status, "detail": p.detail}, "application/problem+json")

    def _read_json(self) -> dict[str, Any]:
        length_text = self.headers.get("Content-Length") or "0"
        if not length_text.isdigit():
            raise _Problem(400, "bad-request", "Content-Length is not a number")
        length = int(length_text)
        if length > MAX_BODY:
            self.close_connection = True
            raise _Problem(413, "too-large", "request body too large")
        raw = self.rfile.read(length) if length > 0 else b""
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise _Problem(400, "bad-json", "request body is not JSON") from None
        if not isinstance(body, dict):
            raise _Problem(400, "bad-json", "request body must be a JSON object")
        return body

    def _dispatch(self) -> None:
        faults = self.server.faults
        body = self._read_json() if self.command == "POST" else {}
        if faults.latency > 0 and self.server.stopping.wait(faults.latency):
            faults = Faults(offline=True)
        if faults.offline:
            self.close_connection = True
            return
        if faults.status is not None:
            raise _Problem(faults.status, "injected", "fault injected by the test switch")
        path = urlsplit(self.path).path
        endpoint = ENDPOINTS.get((self.command, path))
        if endpoint is None:
            if path in ROUTES:
                raise _Problem(405, "method-not-allowed", "method not allowed on this resource")
            raise _Problem(404, "not-found", "no such resource")
        self._send(*endpoint(self.server.store, body))

    def _handle(self) -> None:
        try:
            self._dispatch()
        except _Problem as p:
            self._problem(p)
        except Exception as e:  # never leak internals, bodies or exception messages
            access_log.error("internal error %s", type(e).__name__)
            self._problem(_Problem(500, "internal", "internal error"))

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle


def _search(body: dict[str, Any]) -> list[dict[str, Any]]:
    code, kind = body.get("holder_code"), body.get("holder_type")
    if not isinstance(code, str) or not code or len(code) > 64 or kind not in HOLDER_TYPES:
        raise _Problem(400, "bad-request", "holder_code and a known holder_type are required")
    if (kind == "resident_id" and not is_valid_id_number(code)) or (kind == "uscc" and not is_valid_uscc(code)):
        raise _Problem(422, "invalid-holder-code", "holder_code fails its check digit")
    if kind == "other_document" and not code.isalnum():
        raise _Problem(422, "invalid-holder-code", "holder_code has unexpected characters")
    return certificates_for(kind, code)


def _ingest(store: _Store, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    key, kind, payload = body.get("idempotency_key"), body.get("kind"), body.get("payload")
    if not (isinstance(key, str) and 0 < len(key) <= 128 and isinstance(kind, str) and 0 < len(kind) <= 64
            and isinstance(payload, dict)):
        raise _Problem(400, "bad-transaction", "idempotency_key, kind and an object payload are required")
    stored = store.ingest(key, kind, payload)
    return (201, {"status": "accepted"}) if stored else (200, {"status": "duplicate"})


MAX_BATCH = 100


def _ingest_batch(store: _Store, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """Up to MAX_BATCH transactions; each gets its own accepted, duplicate or rejected result."""
    items = body.get("transactions")
    if not isinstance(items, list) or not 0 < len(items) <= MAX_BATCH:
        raise _Problem(400, "bad-batch", f"transactions must be a list of 1 to {MAX_BATCH} objects")
    results = []
    for item in items:
        key = item.get("idempotency_key") if isinstance(item, dict) else None
        try:
            _, answer = _ingest(store, item if isinstance(item, dict) else {})
        except _Problem as p:
            answer = {"status": "rejected", "detail": p.detail}
        results.append({"idempotency_key": key if isinstance(key, str) else None, **answer})
    return 200, {"results": results}


_Endpoint = Callable[[_Store, dict[str, Any]], tuple[int, Any]]
ENDPOINTS: dict[tuple[str, str], _Endpoint] = {
    ("GET", "/v1/health"): lambda store, body: (200, {"status": "ok"}),
    ("GET", "/v1/services"): lambda store, body: (200, {"services": list(SERVICES)}),
    ("POST", "/v1/certificates/search"): lambda store, body: (200, {"certificates": _search(body)}),
    ("POST", "/v1/transactions"): _ingest,
    ("POST", "/v1/transactions/batch"): _ingest_batch,
}
ROUTES = frozenset(path for _, path in ENDPOINTS)


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], faults: Faults, store: _Store) -> None:
        self.faults, self.store = faults, store
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

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
    """The reference platform on a background thread: start(), url, received(), stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, db_path: str | None = None) -> None:
        self.faults = Faults()
        self._store = _Store(db_path)
        self._httpd = _HttpServer((host, port), self.faults, self._store)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> int:
        """Serve on a daemon thread; returns the bound port."""
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="refplatform",
                                        daemon=True)
        self._thread.start()
        return int(self._httpd.server_address[1])

    def received(self) -> list[dict[str, Any]]:
        """Every ingested transaction, in arrival order, each stored once."""
        return self._store.all()

    def stop(self) -> None:
        """Stop serving, drop open connections and close the store."""
        self._httpd.stopping.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._httpd.server_close()
        self._httpd.drop_connections()
        self._store.close()


def main(argv: list[str] | None = None) -> None:
    """Console script `kiosk-platform`: run the reference platform until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="kiosk-platform", description="Reference public data platform")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--db", default=None, help="SQLite file for ingested transactions")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = PlatformServer(args.host, args.port, db_path=args.db)
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

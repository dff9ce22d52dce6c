"""An HTTP proxy in front of the real reference platform that can spoil answers on purpose.

Modes (set ``proxy.mode``): "pass"; "status" (answer ``status`` with ``retry_after``, without
forwarding); "truncate" / "malformed" / "wrong_shape" / "reset" (forward first, so the platform
has stored the batch, then spoil the answer). Requests that reached the proxy are counted.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = urlsplit(upstream)
        self.mode = "pass"
        self.status = 503
        self.retry_after: float | None = None
        self.requests: list[str] = []  # paths, in arrival order
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self, body: bytes) -> tuple[int, bytes]:
                conn = http.client.HTTPConnection(proxy.upstream.hostname, proxy.upstream.port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower().startswith("x-kiosk-")}
                conn.request(self.command, self.path, body=body or None,
                             headers={"Content-Type": "application/json", **headers})
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                return resp.status, data

            def _reply(self, status: int, data: bytes, *, length: int | None = None,
                       extra: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data) if length is None else length))
                for k, v in (extra or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.requests.append(urlsplit(self.path).path)
                mode = proxy.mode
                if mode == "status":
                    extra = {} if proxy.retry_after is None else {"Retry-After": str(int(proxy.retry_after))}
                    self._reply(proxy.status, json.dumps({"status": proxy.status}).encode(), extra=extra)
                    return
                status, data = self._forward(body)
                if mode == "truncate":
                    self.close_connection = True
                    self._reply(status, data[: len(data) // 2], length=len(data))
                elif mode == "malformed":
                    self._reply(200, b'{"results": [{"idempotency_key": ')
                elif mode == "wrong_shape":
                    self._reply(200, b'{"results": "all good"}')
                elif mode == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self._reply(status, data)

            do_GET = do_POST = _handle

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)

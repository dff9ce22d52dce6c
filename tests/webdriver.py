"""A small W3C WebDriver client for Debian's chromium + chromium-driver (raw HTTP, no selenium).

Headless, no sandbox (tests run as root), fake camera and microphone (a test pattern and a
beep), a fresh profile per browser, no background network traffic.
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from typing import Any

import requests

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--use-fake-device-for-media-stream",
         "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required", "--window-size=1600,1000"]


def available() -> bool:
    return shutil.which(CHROMIUM) is not None and shutil.which(CHROMEDRIVER) is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Browser:
    def __init__(self) -> None:
        self.profile = tempfile.mkdtemp(prefix="kiosk-chromium-")
        port = _free_port()
        self.driver = subprocess.Popen([CHROMEDRIVER, f"--port={port}"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{port}"
        end = time.monotonic() + 20
        while True:
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.base + "/status", timeout=1).json()["value"]["ready"]:
                    break
            if time.monotonic() > end:
                self.close()
                raise RuntimeError("chromedriver did not start")
            time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM, "args": [*FLAGS, f"--user-data-dir={self.profile}"]}}}}
        try:
            self.session = self._call("POST", "/session", caps)["sessionId"]
        except Exception:
            self.close()
            raise

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        r = requests.request(method, self.base + path, json=body, timeout=60)
        value = r.json().get("value")
        if r.status_code >= 400:
            raise RuntimeError(f"webdriver {path}: {value}")
        return value

    def _s(self, method: str, path: str, body: Any = None) -> Any:
        return self._call(method, f"/session/{self.session}{path}", body)

    def get(self, url: str) -> None:
        self._s("POST", "/url", {"url": url})

    def add_cookie(self, name: str, value: str, path: str = "/") -> None:
        self._s("POST", "/cookie", {"cookie": {"name": name, "value": value, "path": path}})

    def js(self, script: str, *args: Any) -> Any:
        return self._s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script: str, timeout: float = 20.0, what: str = "condition") -> Any:
        end = time.monotonic() + timeout
        while True:
            value = self.js(script)
            if value:
                return value
            if time.monotonic() > end:
                raise TimeoutError(f"browser: timed out waiting for {what}")
            time.sleep(0.1)

    def screenshot(self) -> bytes:
        return base64.b64decode(self._s("GET", "/screenshot"))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if getattr(self, "session", None):
                self._s("DELETE", "")
        with contextlib.suppress(Exception):
            self.driver.terminate()
            self.driver.wait(10)
        shutil.rmtree(self.profile, ignore_errors=True)

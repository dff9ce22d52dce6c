"""A small JSON cache of what the kiosk may reuse offline: the service catalog and public keys.

Never certificate contents or anything about a person. Writes are atomic (temp file +
rename); a missing, unreadable or garbled file is an empty cache.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

CACHE_FILE = "platform-cache.json"
CACHED_ENTRIES = ("catalog", "keys")


class PlatformCache:
    """Remembers the raw JSON of the catalog and key list; in memory when path is None."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._data: dict[str, Any] = self._load()

    def _load(self) -> dict[str, Any]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if k in CACHED_ENTRIES} if isinstance(data, dict) else {}

    def get(self, name: str) -> Any:
        with self._lock:
            return self._data.get(name)

    def put(self, name: str, value: Any) -> None:
        if name not in CACHED_ENTRIES:
            raise ValueError("not a cacheable entry")
        with self._lock:
            if self._data.get(name) == value:
                return
            self._data[name] = value
            if self.path is None:
                return
            text = json.dumps(self._data, ensure_ascii=False, sort_keys=True)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix=".platform-cache.", dir=self.path.parent)
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    f.write(text)
                os.replace(tmp, self.path)
            except OSError:
                pass  # the cache is a convenience: the next successful call tries again

"""Structured logging: one JSON object per line, to stdout and a rotating file.

Log calls pass only event names, counts, kinds and ticket numbers as extras;
personal data never goes into a log record (tests check the files).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import sys
from pathlib import Path

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Formats a record as JSON with its extras as fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        data.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            # Only the exception type: messages and tracebacks may carry data.
            data["exc_type"] = record.exc_info[0].__name__
        return json.dumps(data, ensure_ascii=False, default=str)


class FileHandler(logging.handlers.RotatingFileHandler):
    """The rotating log file; a write that fails (a full disk) drops the record quietly instead of
    printing a traceback per record, and says so once on stderr until writes work again."""

    dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        super().emit(record)
        if self.dropped and not self._failed:
            sys.stderr.write(f"kiosk: log writes work again ({self.dropped} record(s) were dropped)\n")
            self.dropped = 0

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's name)
        self._failed = True
        if not self.dropped:
            sys.stderr.write("kiosk: the log file cannot be written (disk full?); records are dropped\n")
        self.dropped += 1

    def shouldRollover(self, record: logging.LogRecord) -> bool:  # noqa: N802
        self._failed = False
        try:
            return bool(super().shouldRollover(record))
        except OSError:
            return False


def setup_logging(log_dir: Path, *, level: str = "INFO", max_bytes: int = 2_000_000, backups: int = 5,
                  stdout: bool = True) -> Path:
    """Send the 'kiosk' loggers to stdout and log_dir/kiosk.log (rotating). Returns the file path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "kiosk.log"
    root = logging.getLogger("kiosk")
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    formatter = JsonFormatter()
    file_handler = FileHandler(path, maxBytes=max_bytes, backupCount=backups,
                                                        encoding="utf-8")
    file_handler.setFormatter(formatter)
    root.addHandler(file_handler)
    if stdout:
        stream = logging.StreamHandler(sys.stdout)
        stream.setFormatter(formatter)
        root.addHandler(stream)
    root.setLevel(level)
    root.propagate = False
    return path

"""A kiosk front end reduced to its outbox writes, for the crash test and the kill storm (run as a process);
Proc is the parent's handle on such a child (and on `kiosk sync`).

python -m tests.outbox_writer OUTBOX_DB FIRST_NUMBER [PAUSE_SECONDS]
Enqueues application transactions numbered from FIRST_NUMBER, printing "number key" after
each enqueue returns (the moment the citizen would be told it is saved), until killed.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk.idnumbers import id_check_digit
from sync.outbox import SqliteOutbox

ROOT = Path(__file__).resolve().parent.parent


class Proc:
    """A child process whose stdout lines are collected on a thread."""

    def __init__(self, args: list[str], sink: list[str] | None = None) -> None:
        self.popen = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
        self.sink = sink
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            if self.sink is not None:
                self.sink.append(line)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill9(self) -> None:
        if self.alive():
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait(10)
        self.reader.join(5)


def main() -> None:
    path, first = sys.argv[1], int(sys.argv[2])
    pause = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    box = SqliteOutbox(path, recover=False)  # only the sync engine recovers in-flight rows
    n = first
    while True:
        body = f"11010519900101{n % 1000:03d}"
        key = box.enqueue("application", {"service_id": "personal_certs", "holder_type": "resident_id",
                                          "holder_code": body + id_check_digit(body), "tracking_code": f"T{n:06d}"})
        sys.stdout.write(f"{n} {key}\n")
        sys.stdout.flush()
        n += 1
        time.sleep(pause)


if __name__ == "__main__":
    main()

"""A kiosk front end reduced to its outbox writes, for the crash test (run as a process).

python -m tests.outbox_writer OUTBOX_DB FIRST_NUMBER [PAUSE_SECONDS]
Enqueues application transactions numbered from FIRST_NUMBER, printing "number key" after
each enqueue returns (the moment the citizen would be told it is saved), until killed.
"""

from __future__ import annotations

import sys
import time

from kiosk.idnumbers import id_check_digit
from sync.outbox import SqliteOutbox


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

"""One pass of outbox delivery: send due rows, then mark them done, retry later, or dead."""

from __future__ import annotations

import logging
import time

from kiosk.interfaces import PlatformClient, PlatformError, PlatformErrorKind
from sync.outbox import SqliteOutbox

log = logging.getLogger(__name__)

RETRYABLE = frozenset({PlatformErrorKind.OFFLINE, PlatformErrorKind.TIMEOUT,
                       PlatformErrorKind.SERVER_ERROR, PlatformErrorKind.RATE_LIMITED})


def backoff_seconds(attempts: int, *, base: float = 2.0, cap: float = 300.0) -> float:
    """Exponential backoff after the given number of attempts: 2, 4, 8 ... up to 5 minutes."""
    return min(cap, base * 2 ** max(0, min(attempts, 32) - 1))


def sync_once(outbox: SqliteOutbox, client: PlatformClient, limit: int = 50, *,
              now: float | None = None) -> tuple[int, int]:
    """Send up to limit due rows; returns (sent, failed).

    A retryable failure (offline, timeout, server error, rate limit) puts the row back to
    pending with a backoff; a refusal or bad data makes it dead with the error key as reason.
    The pass stops at the first retryable failure: the rest stay pending for the next pass.
    """
    now = time.time() if now is None else now
    sent = failed = 0
    rows = outbox.take(limit, now=now)
    for i, row in enumerate(rows):
        try:
            client.submit(row.key, row.kind, row.payload)
        except PlatformError as e:
            failed += 1
            dead = e.kind not in RETRYABLE
            outbox.mark_failed(row.key, str(e), now + backoff_seconds(row.attempts), dead=dead)
            log.warning("outbox seq %d %s: %s", row.seq, "dead" if dead else "retry", e)
            if not dead:
                outbox.release([r.key for r in rows[i + 1:]])  # unreachable: do not hammer it
                break
        except Exception as e:  # a bug, not the platform: keep the row and try again later
            failed += 1
            outbox.mark_failed(row.key, f"unexpected {type(e).__name__}", now + backoff_seconds(row.attempts))
            log.error("outbox seq %d: unexpected %s", row.seq, type(e).__name__)  # no message: may hold data
        else:
            sent += 1
            outbox.mark_done(row.key)
    return sent, failed

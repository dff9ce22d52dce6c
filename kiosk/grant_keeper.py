"""Each session's citizen grant, kept on the worker side by ticket (the journey never holds the token).

The services open the grant when the journey asks (OpenGrant, right after verification), use it
for every search, download and stamped copy of that session, open it again on first use when the
first try failed (the platform was offline), and revoke it when the session ends.

With a ledger (kiosk/grant_ledger.py, set once the first frame is painted) each open grant's public
id is noted on disk until it is revoked, so that the next process revokes what a killed one left
open; a revocation at session end that finds the platform away is handed to the outbox.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kiosk.interfaces import Grant, PlatformClient, PlatformError, PlatformErrorKind
from kiosk.journey_grants import GrantInfo, OpenGrant

log = logging.getLogger("kiosk.grants")
MAX_KEPT = 8  # sessions are sequential; a few late ones at most


class GrantKeeper:
    """Grants by ticket; thread-safe (the network and printer lanes both ask)."""

    def __init__(self, platform: PlatformClient, ledger: Any = None) -> None:
        self._platform = platform
        self.ledger = ledger  # kiosk.grant_ledger.GrantLedger, or None (nothing noted on disk)
        self._asked: dict[int, OpenGrant] = {}
        self._grants: dict[int, Grant] = {}
        self._lock = threading.Lock()

    def open(self, request: OpenGrant) -> GrantInfo:
        """Open the session's grant (PlatformError when the platform refuses or cannot be reached)."""
        with self._lock:
            self._asked[request.ticket] = request
            for old in sorted(self._asked)[:-MAX_KEPT]:
                self._asked.pop(old, None)
            stale = [t for t in self._grants if t not in self._asked]  # left to expire on the platform
            for old in stale:
                self._grants.pop(old, None)
        grant = self._platform.open_grant(request.holder_code, request.holder_type, method=request.method,
                                          liveness=request.liveness, staff_id=request.staff_id or None)
        ledger = self.ledger
        if ledger is not None:  # on disk before anyone may use it: a killed process leaves its id behind
            ledger.opened(grant.grant_id)
        with self._lock:
            if request.ticket in self._asked:
                self._grants[request.ticket] = grant
                return GrantInfo(grant.grant_id, grant.businesses, grant.delegations)
        self._close(grant)  # the session ended while the platform answered
        raise PlatformError(PlatformErrorKind.GRANT_EXPIRED, "session_ended")

    def grant(self, ticket: int) -> Grant | None:
        """The session's grant; opened now when the first try failed; None for a session never verified."""
        with self._lock:
            grant, request = self._grants.get(ticket), self._asked.get(ticket)
        if grant is not None or request is None:
            return grant
        self.open(request)
        with self._lock:
            return self._grants.get(ticket)

    def is_holder(self, ticket: int, holder_code: str) -> bool:
        """True when holder_code is the verified person's own (the platform needs no code then)."""
        with self._lock:
            request = self._asked.get(ticket)
        return request is not None and request.holder_code == holder_code

    def end(self, ticket: int) -> None:
        """The session ended: forget it and revoke its grant (best effort: it expires anyway)."""
        with self._lock:
            self._asked.pop(ticket, None)
            grant = self._grants.pop(ticket, None)
        if grant is not None:
            self._close(grant)

    def _close(self, grant: Grant) -> None:
        ledger = self.ledger
        try:
            self._platform.close_grant(grant)
        except PlatformError as exc:
            log.info("grant not revoked", extra={"event": "grant_close", "kind": exc.kind.value})
            if ledger is not None:
                from kiosk.grant_ledger import refused_for_good

                if refused_for_good(exc):
                    ledger.closed(grant.grant_id)
                else:  # the platform is away: the sync engine revokes it by id once it is back
                    ledger.queue(grant.grant_id, "session_end_offline")
            return
        except Exception as exc:  # never let the end of a session fail
            log.warning("grant close crashed", extra={"event": "grant_close", "error": type(exc).__name__})
            if ledger is not None:
                ledger.queue(grant.grant_id, "session_end_failed")
            return
        if ledger is not None:
            ledger.closed(grant.grant_id)

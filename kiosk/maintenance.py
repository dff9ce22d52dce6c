"""Maintenance mode's pages and the technician's staff session (no Qt).

Reached only from the journey's attract or out-of-service screen by the hidden gesture;
the first page asks for a staff number and PIN, and only the technician or administrator
role gets past it. The staff session ends on sign-out, after ``idle_seconds`` without a
touch, after ``max_seconds`` in all, when the staff card it was opened with is pulled, and the
sign-in page itself gives up after a minute.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.doctor import PARTS

SIGN_IN_SECONDS = 60  # an unattended sign-in page (a citizen who found the gesture) goes away
PAGES = ("sign_in", "home", "actions") + tuple(f"part:{p}" for p in PARTS)


@dataclass
class StaffSession:
    staff_id: str  # pseudonymous
    roles: tuple[str, ...]
    started: float
    last: float
    card: bool = False  # signed in with a staff card: pulling it ends the session

    def expired(self, now: float, idle_seconds: float, max_seconds: float) -> str:
        """'' while the session holds; 'idle' or 'total' once it has run out."""
        if now - self.started >= max_seconds:
            return "total"
        if now - self.last >= idle_seconds:
            return "idle"
        return ""


class Maintenance:
    """Which maintenance page shows, and who is signed in. ``page`` is '' when not in maintenance."""

    def __init__(self, *, idle_seconds: float = 300, max_seconds: float = 8 * 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self._clock = clock
        self.page = ""
        self.session: StaffSession | None = None
        self._opened = 0.0

    def now(self) -> float:
        return self._clock()

    @property
    def active(self) -> bool:
        return bool(self.page)

    def begin(self) -> None:
        self.page = "sign_in"
        self.session = None
        self._opened = self._clock()

    def signed_in(self, staff_id: str, roles: tuple[str, ...], *, card: bool = False) -> None:
        now = self._clock()
        self.session = StaffSession(staff_id, roles, now, now, card)
        self.page = "home"

    def show(self, page: str) -> bool:
        """Go to a page; only a signed-in technician moves past sign-in."""
        if self.session is None or page not in PAGES or page == "sign_in":
            return False
        self.touch()
        self.page = page
        return True

    def touch(self) -> None:
        if self.session is not None:
            self.session.last = self._clock()
        else:
            self._opened = self._clock()

    def tick(self) -> str:
        """Why maintenance must end now ('' while it may go on): idle, total, sign_in_timeout."""
        if not self.page:
            return ""
        now = self._clock()
        if self.session is None:
            return "sign_in_timeout" if now - self._opened >= SIGN_IN_SECONDS else ""
        return self.session.expired(now, self.idle_seconds, self.max_seconds)

    def end(self) -> StaffSession | None:
        """Leave maintenance; returns the session that ended (for the audit trail)."""
        session, self.session, self.page = self.session, None, ""
        return session

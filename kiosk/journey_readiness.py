"""Say early what will not work: the printer's and the platform's state, known before a citizen starts.

The screens layer checks both on a worker (never on the UI thread) when the attract or the
service screen shows, and every ``ui.readiness_seconds`` (``printer_problem`` below asks the
printer driver; the platform's word is the header's: the kiosk's own last request, the sync
engine's probe, or a health ping). The journey keeps the last answer here and marks each service
that cannot finish on its tile, with what the citizen can do instead, before they start it;
in assisted mode the same is spoken.

A mixin of ``kiosk.journey.Journey`` (like kiosk/journey_leaving.py); Qt-free, no driver imports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from kiosk.interfaces import Printer

log = logging.getLogger("kiosk.readiness")

# A print lost because cupsd went away (printing.cups_printer, state/printer-fault.json) counts
# for this long: the queue may come back without its settings. A completed job clears it sooner.
FAULT_FRESH_SECONDS = 300
PRINTABLE_STATES = ("ready", "busy")
# What a citizen can do instead, by the kind of problem (message keys; the tile shows one, speech says it).
ALTERNATIVES = {"platform": "alt_platform", "printer": "alt_printer"}


@dataclass(frozen=True)
class Readiness:
    """The last known state of what the services need. No personal data."""

    printer: str = ""  # "" when a copy can print; else why not (a message key: printer_out_of_paper, ...)
    platform: bool = True  # the platform answered the kiosk's last request or probe


def printer_problem(printer: Printer, public_url: str = "x") -> str:
    """Why a copy cannot be printed now ("" when it can). Blocks (IPP for CUPS): call it on a worker."""
    if not public_url:
        return "print_no_public_url"  # a copy nobody could verify is not printed (kiosk.services)
    try:
        health = printer.health() if hasattr(printer, "health") else {"state": printer.state().value}
    except Exception as exc:  # a driver fault is a printer that cannot print, not a crash
        log.warning("printer check failed", extra={"event": "readiness_error", "error": type(exc).__name__})
        return "printer_error"
    state = str(health.get("state", "error"))
    if state not in PRINTABLE_STATES:
        return f"printer_{state}"
    age = health.get("last_fault_age_s")
    if health.get("last_fault") and isinstance(age, int | float) and age < FAULT_FRESH_SECONDS:
        return "printer_offline"
    return ""


def problem_kind(reason: str) -> str:
    """"platform" or "printer": which alternative fits a reason."""
    return "platform" if reason.startswith("platform_") else "printer"


class ReadinessSteps:
    """Readiness for the Journey: needs its screen, session and emitters."""

    readiness: Readiness

    def _init_readiness(self) -> None:
        self.readiness = Readiness()

    def set_readiness(self, *, printer: str | None = None, platform: bool | None = None) -> None:
        """A check's answer (None: that part was not checked). Marks tiles; speaks a new problem."""
        from kiosk.journey import Screen

        new = replace(self.readiness, **{k: v for k, v in (("printer", printer), ("platform", platform))
                                        if v is not None})
        if new == self.readiness:
            return
        before = self.service_blocked("personal_certs")
        self.readiness = new
        log.info("readiness", extra={"event": "readiness", "printer": new.printer or "ok",
                                     "platform": new.platform})
        if self.screen is Screen.SERVICE_MENU and self.service_blocked("personal_certs") not in ("", before):
            self._speak_readiness()
        self._changed()

    def service_blocked(self, service_id: str) -> str:
        """Why a service cannot finish now (a message key), or "". Every service here ends in a print."""
        if not self.readiness.platform:
            return "platform_offline"
        return self.readiness.printer

    def _speak_readiness(self) -> None:
        """Say which services cannot finish and what else works (spoken in assisted mode)."""
        from kiosk.journey import SERVICES, Speak

        reasons = {self.service_blocked(s) for s in SERVICES} - {""}
        for kind in sorted({problem_kind(r) for r in reasons}):
            self._emit(Speak(f"service_blocked_{kind}"))

    def readiness_view(self) -> dict[str, Any]:
        """For the attract and service screens: per service, why it cannot finish and the alternative."""
        from kiosk.journey import SERVICES

        blocked = {s: self.service_blocked(s) for s in SERVICES}
        note = next((r for r in blocked.values() if r), "")
        return {
            "serviceBlocked": {s: r for s, r in blocked.items() if r},
            "serviceAlternative": {s: ALTERNATIVES[problem_kind(r)] for s, r in blocked.items() if r},
            "readinessNote": note,
            "readinessAlternative": ALTERNATIVES[problem_kind(note)] if note else "",
        }

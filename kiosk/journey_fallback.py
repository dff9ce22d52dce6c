"""What a citizen can do when a service cannot finish here: leave an application, go to a counter, or
have the e-certificate sent to their app; and rating only what was done.

- After a failed print (the printer, or the platform unreachable at print time): try again once,
  queue it for later (an application with the certificate and the purpose, kiosk/offline.py),
  take a counter ticket (a receipt with a number if the receipt printer works, else the number on
  screen), or have the e-certificate sent to the holder's app (证照夹) through the platform.
- The platform unreachable at search time: the application asks which certificate and what for,
  from short lists, so the platform can fulfil it later.
- The rating asks only about what was done (printed, queued, sent), and says which; a session where
  the service failed and nothing was done is not rated.

A mixin of ``kiosk.journey.Journey`` (like kiosk/journey_leaving.py); Qt-free.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.identity import HolderCodeType
from kiosk.idnumbers import mask_id_number, mask_name
from kiosk.interfaces import Certificate, PrintResult

# Certificate types an application may ask for without the platform (message keys; the zh-CN text is
# the platform's certificate name). At most three, with 返回: assisted mode shows four choices at most.
CERT_TYPES = {
    "personal_certs": ("cert_type_household", "cert_type_social", "cert_type_tax"),
    "business_certs": ("cert_type_licence", "cert_type_food_permit"),
}
QUEUE_STEPS = ("certificate", "purpose", "matter")


@dataclass(frozen=True)
class TakeCounterTicket:
    """A number for a staffed counter: printed on a receipt if the receipt printer works."""

    ticket: int
    service_id: str
    reason: str  # why the kiosk could not finish (a message key, no personal data)
    certificate_type: str = ""


@dataclass(frozen=True, repr=False)
class SendToApp:
    """Ask the platform to send the certificate to its holder's app (证照夹), with the session's grant."""

    ticket: int
    certificate: Certificate

    def __repr__(self) -> str:
        return f"SendToApp(ticket={self.ticket})"


def _j() -> Any:
    import kiosk.journey

    return kiosk.journey


class FallbackSteps:
    """Fallback and rating rules for the Journey; uses its screen, session and emitters."""

    # ------------------------------------------------------------ after a failed print

    def fallback_view(self) -> dict[str, Any]:
        """The choices on the print-failed screen."""
        s = self.session
        offline = s.message in _j().OFFLINE_MESSAGES
        app = bool(s.selected) and not offline and not s.app_failed and "sent_to_app" not in s.outcomes
        queue = self.can_queue_offline()
        if self.assisted and app and queue and self.can_retry_print():
            queue = False  # at most four choices in assisted mode; the app does what the application would
        return {"canQueue": queue, "canSendToApp": app, "canTakeTicket": True}

    def go_to_counter(self) -> None:
        """Take a counter ticket instead of finishing here."""
        J = _j()
        if not self._in(J.Screen.PRINT_FAILED, J.Screen.NOTICE):
            return
        s = self.session
        s.counter_number, s.receipt = "", "printing"
        self._go(J.Screen.COUNTER_TICKET)
        self._emit(TakeCounterTicket(self.ticket, s.service_id, s.message or "printer_error",
                                     s.selected.name if s.selected else ""))

    def counter_ticket_taken(self, ticket: int, number: str, printed: bool) -> None:
        if ticket != self.ticket or not self._in(_j().Screen.COUNTER_TICKET):
            return
        self.session.counter_number = number
        self.session.receipt = "printed" if printed else "failed"
        self._touch()
        self._emit(_j().Speak("counter_ticket_printed" if printed else "counter_ticket_screen"))
        self._changed()

    def send_to_app(self) -> None:
        J = _j()
        if self._in(J.Screen.PRINT_FAILED) and self.fallback_view()["canSendToApp"]:
            self._go(J.Screen.SENDING_TO_APP)
            self._emit(SendToApp(self.ticket, self.session.selected))

    def sent_to_app(self, ticket: int, error: str = "") -> None:
        J = _j()
        if ticket != self.ticket or not self._in(J.Screen.SENDING_TO_APP):
            return
        s = self.session
        if not error:
            s.outcomes.append("sent_to_app")
            self._go(J.Screen.SENT_TO_APP)
            return
        if self.platform_ended(error):
            return
        s.app_failed, s.message, s.print_stage = True, error, "fetch"
        self._go(J.Screen.PRINT_FAILED)  # the other ways stay open (queue it when offline)

    # ------------------------------------------------------------ an application without the platform

    def can_queue_offline(self) -> bool:
        """The platform could not be reached for this session's query, or a print failed (printer or
        platform): offer an application instead (kiosk/journey_fallback.py)."""
        J = _j()
        s = self.session
        if not (s and s.holder_code and s.service_id and "queued" not in s.outcomes):
            return False
        if self._in(J.Screen.PRINT_FAILED):
            fixable_later = s.message in J.OFFLINE_MESSAGES or s.message.startswith("printer_")
            return bool(s.selected and s.purpose) and fixable_later
        return self._in(J.Screen.NOTICE) and s.message in J.OFFLINE_MESSAGES

    def queue_offline(self) -> None:
        if self.can_queue_offline():
            if self.session.selected is None:
                self._start_queue_choice()  # which certificate and what for, then the application
            else:
                self._queue_application()

    def _queue_application(self) -> None:
        J = _j()
        s = self.session
        holder_type = HolderCodeType.USCC if s.service_id == "business_certs" else s.document.holder_code_type
        name = "" if s.service_id == "business_certs" or s.document is None else s.document.name or s.document.name_en
        cert_type, purpose = (s.selected.name, s.purpose) if s.selected else (s.queue_cert_type, s.queue_purpose)
        s.queue_cert_type, s.queue_purpose = cert_type, purpose  # for the receipt
        self._go(J.Screen.QUEUEING)
        self._emit(J.QueueApplication(self.ticket, s.service_id, s.holder_code, holder_type, name, s.verified_by,
                                      cert_type, purpose))

    def application_queued(self, ticket: int, tracking_code: str, refusal: str = "") -> None:
        """The outbox has the application (tracking_code), or refused it (refusal: a message key)."""
        J = _j()
        if ticket != self.ticket or not self._in(J.Screen.QUEUEING):
            return
        s = self.session
        if not tracking_code:
            s.message = refusal or "offline_unavailable"
            self._go(J.Screen.NOTICE)
            return
        s.tracking_code, s.receipt = tracking_code, "printing"
        s.outcomes.append("queued")
        self._go(J.Screen.QUEUED)
        doc = s.document
        self._emit(J.PrintReceipt(self.ticket, "offline_application", tracking_code, s.service_id,
                                  mask_name(doc.name or doc.name_en) if doc else "", mask_id_number(s.holder_code),
                                  s.queue_cert_type, s.queue_purpose))

    def receipt_finished(self, ticket: int, result: PrintResult) -> None:
        J = _j()
        if ticket == self.ticket and self._in(J.Screen.QUEUED):
            self.session.receipt = "printed" if result.ok else "failed"
            self._changed()

    def _start_queue_choice(self) -> None:
        """Offline at search time: ask which certificate, then what for."""
        self.session.queue_step, self.session.queue_cert_type = "certificate", ""
        self._go(_j().Screen.QUEUE_CHOICE)

    def queue_choices(self) -> list[str]:
        s = self.session
        if s.queue_step == "certificate":
            return list(CERT_TYPES.get(s.service_id, ()))
        return list(_j().MATTERS if s.queue_step == "matter" else _j().PURPOSES)

    def choose_queue_item(self, key: str) -> None:
        """One choice of the application's certificate, purpose or matter."""
        J = _j()
        if not self._in(J.Screen.QUEUE_CHOICE) or key not in self.queue_choices():
            return
        s = self.session
        if s.queue_step == "certificate":
            s.queue_cert_type, s.queue_step = key, "purpose"
        elif key == "purpose_other":
            s.queue_step = "matter"  # 其他 restricts nothing: which matter
        else:
            s.queue_purpose = key
            self._queue_application()
            return
        self._touch()
        self._emit(J.Speak(f"queue_choice_{s.queue_step}"))
        self._changed()

    def _queue_back(self) -> bool:
        """Back within the application's choices; True when handled."""
        s = self.session
        if not self._in(_j().Screen.QUEUE_CHOICE) or s.queue_step == "certificate":
            return False
        s.queue_step = "purpose" if s.queue_step == "matter" else "certificate"
        self._touch()
        self._changed()
        return True

    # ------------------------------------------------------------ rating only what was done

    def rateable(self) -> bool:
        """A service was used and either something was done, or nothing failed (a look-up)."""
        s = self.session
        return bool(s.service_id) and (bool(s.outcomes) or not s.failed)

    def rating_subject(self) -> str:
        """What the rating is about (a message key)."""
        outcomes = self.session.outcomes
        return f"rating_subject_{outcomes[-1]}" if outcomes else "rating_subject_looked_up"

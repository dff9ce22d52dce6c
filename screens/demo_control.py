"""The demo control window's back end: place/remove fictitious cards, fake device faults."""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal, Slot

from devices.sim_people import SAMPLE_PEOPLE, person_label
from devices.simulated_face import SimulatedFaceVerifier
from devices.simulated_reader import SimulatedReader
from kiosk.interfaces import FaceOutcome, PrinterState


class DemoControl(QObject):
    """Exposed to DemoControl.qml as `demo`."""

    statusChanged = Signal()

    def __init__(self, reader: SimulatedReader, printer: object, face: object) -> None:
        super().__init__()
        self.reader, self.printer, self.face = reader, printer, face
        self._status = "Ready. Place a card to begin."
        self._reader_plugged = True

    staff = Property("QStringList", lambda self: _staff_labels(), constant=True)  # fictitious demo staff
    people = Property("QStringList", lambda self: [person_label(i) for i in range(len(SAMPLE_PEOPLE))],
                      constant=True)
    status = Property(str, lambda self: self._status, notify=statusChanged)

    def _say(self, text: str) -> None:
        self._status = text
        self.statusChanged.emit()

    @Slot(int)
    def insert(self, index: int) -> None:
        if self.reader.card_present:
            self._say("A card is already on the reader: remove it first.")
            return
        self.reader.insert(index)
        self._say(f"Card placed: {person_label(index)}")

    @Slot(str)
    def act(self, name: str) -> None:
        if name == "remove":
            self.reader.remove()
            self._say("Card removed.")
        elif name == "unreadable":
            self.reader.insert_unreadable()
            self._say("An unreadable card was placed.")
        elif name == "paper" and hasattr(self.printer, "fail_with"):
            out = self.printer.fail_with is None
            self.printer.fail_with = PrinterState.OUT_OF_PAPER if out else None
            self._say("Printer is out of paper." if out else "Printer has paper again.")
        elif name == "face_fail" and isinstance(self.face, SimulatedFaceVerifier):
            self.face.script.append(FaceOutcome(verified=False, liveness_passed=True, score=0.8,
                                                reason="face_no_match"))
            self._say("The next face check will not match.")
        elif name.startswith("staff_card:"):  # a demo staff member's card in the staff slot, or out again
            self._staff_card(int(name.split(":", 1)[1]))
        elif name == "reader":
            self._reader_plugged = not self._reader_plugged
            (self.reader.replug if self._reader_plugged else self.reader.unplug)()
            self._say("Reader plugged in." if self._reader_plugged else "Reader unplugged.")


    def _staff_card(self, index: int) -> None:
        from devices.sim_staff import DEMO_STAFF, demo_card

        if self.reader.staff_card_present:
            self.reader.remove_staff_card()
            self._say("Staff card taken out.")
            return
        person = DEMO_STAFF[index]
        self.reader.insert_staff_card(demo_card(person))
        self._say(f"Staff card in: {person.label} (enter PIN {person.pin})")


def _staff_labels() -> list[str]:
    from devices.sim_staff import DEMO_STAFF

    return [f"{p.label}: {p.number} / PIN {p.pin}" for p in DEMO_STAFF]

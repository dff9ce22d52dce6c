"""Drive the running kiosk through every screen with real clicks and card events.

Used by the screen tests, the accessibility audit, the screenshot tool and the
benchmarks, so all of them exercise exactly what a citizen touches.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import QCoreApplication, QPointF, Qt
from PySide6.QtQuick import QQuickItem, QQuickWindow
from PySide6.QtTest import QTest

from devices.sim_staff import HELPER, TECHNICIAN


class WalkError(AssertionError):
    """The kiosk did not reach the expected screen."""


def items(root: QQuickItem) -> Iterator[QQuickItem]:
    """Every visible item under root, depth first."""
    for child in root.childItems():
        if child.isVisible() and child.opacity() > 0:
            yield child
            yield from items(child)


def find(window: QQuickWindow, name: str) -> QQuickItem | None:
    for item in items(window.contentItem()):
        if item.objectName() == name:
            return item
    return None


def pump(ms: int = 0) -> None:
    end = time.monotonic() + ms / 1000
    while True:
        QCoreApplication.processEvents()
        if time.monotonic() >= end:
            return
        time.sleep(0.005)


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            raise WalkError(f"timed out waiting for {what}")
        pump(10)


def click(window: QQuickWindow, name: str, timeout: float = 5.0) -> None:
    """Click the centre of the visible item called name, like a finger would."""
    wait_for(lambda: find(window, name) is not None, timeout, f"item {name}")
    item = find(window, name)
    centre = item.mapToScene(QPointF(item.width() / 2, item.height() / 2)).toPoint()
    QTest.mouseClick(window, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
    pump(0)


class Walker:
    """Walks one kiosk (screens.app.Kiosk) through the journey."""

    def __init__(self, kiosk: object) -> None:
        self.kiosk = kiosk
        self.window: QQuickWindow = kiosk.window
        self.vm = kiosk.vm

    @property
    def screen(self) -> str:
        return self.vm.journey.screen.value

    def expect(self, screen: str, timeout: float = 10.0) -> None:
        wait_for(lambda: self.screen == screen, timeout, f"screen {screen} (now {self.screen})")
        pump(30)

    def click(self, name: str) -> None:
        click(self.window, name)

    def place_card(self, index: int) -> None:
        self.kiosk.reader.insert(index)

    def remove_card(self) -> None:
        self.kiosk.reader.remove()
        self.expect("attract")

    def type_keys(self, text: str) -> None:
        for ch in text:
            self.click(f"key_{ch}")

    def sign_in_staff(self, number: str, pin: str) -> None:
        """On a staff sign-in (StaffSignIn.qml): the staff number, next, the PIN, confirm."""
        self.type_keys(number)
        self.click("btn_confirm")
        self.type_keys(pin)
        self.click("btn_confirm")

    def to_purpose(self) -> None:
        """From face consent (card already read): face check, personal certificates, first one, print."""
        self.expect("face_consent")
        self.click("btn_faceAgree")
        self.expect("service_menu")
        self.personal_certs()
        self.expect("cert_list")
        self.click(f"cert_{self.vm.view['certificates'][0]['id']}")
        self.click("btn_print")
        self.expect("purpose")

    def wait_for_grant(self) -> None:
        """The platform's grant (and with it whom the person may act for) arrives just after verification."""
        wait_for(lambda: self.vm.journey.session is None or self.vm.journey.session.session_id.startswith("g-"),
                 10, "the citizen grant")

    def personal_certs(self, visit: Callable[[str], None] | None = None) -> None:
        """Choose personal certificates; 为谁办理 (someone delegated to this person): oneself."""
        self.wait_for_grant()
        self.click("service_personal_certs")
        wait_for(lambda: self.screen != "service_menu", 10, "the service menu to go")
        if self.screen == "who_for":
            if visit is not None:
                visit("who_for")
            self.click("btn_whoFor:")

    def print_and_rate(self, purpose: str = "purpose_school") -> None:
        """From the purpose screen: print, finish, rate 非常满意, take the card back."""
        self.click(f"btn_{purpose}")
        if purpose == "purpose_other":  # 其他 asks which matter; the list replaces the purposes
            pump(100)
            self.click("btn_matter_household")
        self.expect("print_done")
        self.click("btn_finish")
        self.expect("rating")
        if self.vm.journey.assisted:
            self.click("group_good")
        self.click("rate_5")
        self.expect("take_card")
        self.remove_card()

    def all_screens(self, assisted: bool, visit: Callable[[str], None] = lambda s: None) -> list[str]:
        """Visit every screen once (three sessions), calling visit(screen) at each."""
        seen: list[str] = []

        def at(screen: str) -> None:
            self.expect(screen)
            seen.append(screen)
            visit(screen)

        self.expect("attract")
        if assisted:
            self.click("assistedToggle")
        at("attract")
        self.click("start")
        at("insert_card")
        # 1: expired card, then the elderly citizen (assisted offer) and the staff path
        self.place_card(5)
        at("card_problem")
        self.kiosk.reader.remove()
        self.expect("attract")
        if assisted:
            self.click("assistedToggle")
        self.place_card(2)
        if assisted:
            at("face_consent")
        else:
            at("assist_offer")
            self.click("btn_assistNo")
            at("face_consent")
        self.kiosk.face.script.append(_no_match())
        self.click("btn_faceAgree")
        at("face_check")
        at("face_failed")
        self.click("btn_faceDecline")
        at("staff_check")
        self.sign_in_staff(HELPER.number, HELPER.pin)
        at("service_menu")
        self.wait_for_grant()
        self.click("service_business_certs")
        at("business_choice")  # she runs a shop: chosen, not typed; here she types it anyway
        self.click("btn_business:")
        at("uscc_entry")
        self.type_keys("92330106MA2K8L9M0L")
        self.click("btn_confirm")
        self.expect("cert_list")
        self.remove_card()
        # 2: a citizen prints; the platform goes away for a moment
        if assisted:
            self.click("assistedToggle")
        self.place_card(0)
        self.expect("face_consent")
        self.click("btn_faceAgree")
        self.expect("service_menu")
        server = self.kiosk.platform_server
        self.wait_for_grant()
        self.click("service_personal_certs")
        at("who_for")  # 李秀英 has delegated to him: 为谁办理
        server.faults.status, server.faults.latency = 503, 1.0
        self.click("btn_whoFor:")
        at("loading")
        at("notice")
        server.faults.reset()
        self.click("btn_queueOffline")  # leave an application to be sent later, with a receipt
        at("queue_choice")  # which certificate, then what for (kiosk/journey_fallback.py)
        self.click("btn_queueChoice:cert_type_household")
        wait_for(lambda: self.vm.view.get("queueStep") == "purpose", 5, "the purpose step")
        pump(100)  # the new choices laid out before the next touch
        self.click("btn_queueChoice:purpose_school")
        at("queued")
        self.click("btn_back")
        self.expect("service_menu")
        self.personal_certs()
        at("cert_list")
        first = self.vm.view["certificates"][0]["id"]
        self.click(f"cert_{first}")
        at("preview")
        self.click("btn_print")
        at("purpose")
        self.kiosk.printer.fail_with = _out_of_paper()
        self.click("btn_purpose_school")
        at("print_failed")
        self.click("btn_sendToApp")  # the e-certificate to the app instead (the platform's wallet)
        at("sent_to_app")
        self.kiosk.printer.fail_with = None
        self.click("btn_back")
        self.expect("cert_list")
        self.click(f"cert_{first}")
        self.click("btn_print")
        self.expect("purpose")
        services = self.vm.services
        real = services.printer
        services.printer = _SlowPrinter(real, 1.0)
        self.click("btn_purpose_school")
        at("printing")
        at("print_done")
        services.printer = real
        self.click("btn_printAnother")
        self.expect("cert_list")
        self.click(f"cert_{first}")
        self.click("btn_print")
        self.expect("purpose")
        self.kiosk.printer.fail_with = _out_of_paper()
        self.click("btn_purpose_loan")
        self.expect("print_failed")
        self.click("btn_goToCounter")  # a staffed counter: a number on a slip
        wait_for(lambda: bool(self.vm.view.get("counterNumber")), 10, "the counter number")
        at("counter_ticket")
        self.kiosk.printer.fail_with = None
        self.click("btn_finish")
        at("rating")
        if assisted:
            self.click("group_good")
        self.click("rate_5")
        at("take_card")
        self.remove_card()
        # 3: the card is pulled while a copy prints; the print is finished and its outcome told
        if assisted:
            self.click("assistedToggle")
        self.place_card(0)
        self.to_purpose()
        services.printer = _SlowPrinter(real, 1.0)
        self.click("btn_purpose_loan")
        self.expect("printing")
        self.kiosk.reader.remove()
        self.expect("card_pulled")
        wait_for(lambda: self.vm.view.get("printOutcome") == "printed", 10, "the print's outcome")
        services.printer = real
        at("card_pulled")
        self.click("btn_finish")
        self.expect("attract")
        return seen


    # ------------------------------------------------------------ maintenance mode

    @property
    def maint_page(self) -> str:
        return self.kiosk.maint.model.page

    def enter_maintenance(self) -> None:
        """The hidden gesture: five taps on the top-left corner; the staff sign-in appears."""
        for _ in range(5):
            self.click("maintenanceCorner")
        self.expect("maintenance")
        wait_for(lambda: self.maint_page == "sign_in", 5, "maintenance sign-in")

    def maint_settled(self, page: str) -> None:
        wait_for(lambda: self.maint_page == page and not self.kiosk.maint.state["busy"], 30,
                 f"maintenance page {page} (now {self.maint_page})")
        pump(30)

    def sign_in_technician(self) -> None:
        self.enter_maintenance()
        self.sign_in_staff(TECHNICIAN.number, TECHNICIAN.pin)
        self.maint_settled("home")
        wait_for(lambda: len(self.kiosk.maint.state["checks"]) == 10, 30, "the checks")

    def maintenance_screens(self, assisted: bool, visit: Callable[[str], None] = lambda s: None) -> list[str]:
        """Every maintenance page, then the out-of-service screen, calling visit(name) at each."""
        seen: list[str] = []

        def at(name: str) -> None:
            seen.append(name)
            visit(name)

        self.expect("attract")
        if assisted != self.vm.journey.assisted:
            self.click("assistedToggle")
        self.enter_maintenance()
        at("maintenance_sign_in")
        self.sign_in_staff(TECHNICIAN.number, TECHNICIAN.pin)
        self.maint_settled("home")
        wait_for(lambda: len(self.kiosk.maint.state["checks"]) == 10, 30, "the checks")
        at("maintenance_home")
        self.click("part_printer")
        self.maint_settled("part:printer")
        self.click("btn_selfTest")
        wait_for(lambda: self.kiosk.maint.state["result"] != "", 30, "the printer self-test")
        self.maint_settled("part:printer")
        at("maintenance_part")
        self.click("btn_maintBack")
        self.click("btn_maintActions")
        self.maint_settled("actions")
        at("maintenance_actions")
        self.click("btn_outOfService")
        self.click("btn_maintSignOut")
        self.expect("out_of_service")
        at("out_of_service")
        self.sign_in_technician()
        self.click("btn_maintActions")
        self.maint_settled("actions")
        self.click("btn_outOfService")
        self.click("btn_maintSignOut")
        self.expect("attract")
        if assisted:
            self.click("assistedToggle")
        return seen


def staff_card_screens(walker: Walker, assisted: bool, visit: Callable[[str], None] = lambda s: None) -> list[str]:
    """The staff card's screens: the technician's card asking only the PIN, a 帮办's card ending a
    stuck session. Needs the simulated reader (its staff slot) and the demo staff."""
    from devices.sim_staff import demo_card

    kiosk, seen = walker.kiosk, []

    def at(name: str) -> None:
        seen.append(name)
        visit(name)

    walker.expect("attract")
    if assisted != kiosk.vm.journey.assisted:
        walker.click("assistedToggle")
    kiosk.reader.insert_staff_card(demo_card(TECHNICIAN))
    walker.expect("maintenance")
    wait_for(lambda: kiosk.maint.state.get("cardNumber") == TECHNICIAN.number, 10, "staff card checked")
    pump(50)
    at("staff_card_sign_in")
    kiosk.reader.remove_staff_card()
    walker.expect("attract")
    kiosk.reader.insert(0)
    walker.expect("face_consent")
    kiosk.reader.insert_staff_card(demo_card(HELPER))
    wait_for(lambda: find(kiosk.window, "unlockOverlay") is not None, 10, "unlock prompt")
    pump(50)
    at("staff_unlock")
    walker.type_keys(HELPER.pin)
    walker.click("btn_confirm")
    walker.expect("take_card")
    kiosk.reader.remove_staff_card()
    walker.remove_card()
    if assisted:
        walker.click("assistedToggle")
    return seen


class _SlowPrinter:
    """Delegates to a printer, taking as long as a real page does, so 'printing' shows."""

    def __init__(self, printer: object, seconds: float) -> None:
        self.printer, self.seconds = printer, seconds

    def state(self) -> object:
        return self.printer.state()

    def health(self) -> dict:
        return self.printer.health()

    def print_pdf(self, pdf: bytes, **kwargs: object) -> object:
        time.sleep(self.seconds)
        return self.printer.print_pdf(pdf, **kwargs)


def _no_match() -> object:
    from kiosk.interfaces import FaceOutcome
    return FaceOutcome(verified=False, liveness_passed=True, score=0.8, reason="face_no_match")


def _out_of_paper() -> object:
    from kiosk.interfaces import PrinterState
    return PrinterState.OUT_OF_PAPER

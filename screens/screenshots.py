"""Render every screen in standard and assisted mode to PNG (docs/screenshots)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtGui import QGuiApplication

from devices.sim_staff import provision_demo_staff
from devices.speech import RecordingSpeaker
from kiosk.config import Config
from screens.app import build_kiosk
from screens.walkthrough import Walker, pump, staff_card_screens, wait_for


def render_all(config: Config, out: Path) -> list[Path]:
    """Walk the whole journey twice (standard, assisted) and save each screen."""
    app = QGuiApplication.instance() or QGuiApplication([])
    out.mkdir(parents=True, exist_ok=True)
    kiosk = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    provision_demo_staff(kiosk.vm.services.staff)  # the walk signs in the fictitious 帮办
    files: list[Path] = []
    try:
        kiosk.window.show()
        walker = Walker(kiosk)
        for assisted in (False, True):
            suffix = "assisted" if assisted else "standard"

            def save(screen: str, suffix: str = suffix) -> None:
                if screen == "face_check":  # show the live picture, not the empty frame before it
                    shown = kiosk.vm.camera_feed.frames_shown
                    wait_for(lambda: kiosk.vm.camera_feed.frames_shown > shown + 2, 5, "camera preview")
                if screen in ("preview", "purpose"):  # the rendered PDF, not the loading notice
                    wait_for(lambda: kiosk.vm.preview.status in ("ready", "unavailable"), 10, "certificate file")
                pump(80)
                path = out / f"{screen}-{suffix}.png"
                kiosk.window.grabWindow().save(str(path))
                files.append(path)

            walker.all_screens(assisted, save)
            walker.maintenance_screens(assisted, save)
            staff_card_screens(walker, assisted, save)
        # The inactivity warning, over the service menu.
        kiosk.reader.insert(0)
        walker.expect("face_consent")
        walker.click("btn_faceAgree")
        walker.expect("service_menu")
        for assisted in (False, True):
            kiosk.vm.setAssisted(assisted)
            kiosk.vm.activity()
            kiosk.vm.journey.expire_idle()
            pump(80)
            path = out / f"timeout_warning-{'assisted' if assisted else 'standard'}.png"
            kiosk.window.grabWindow().save(str(path))
            files.append(path)
        # Offline: the header badge and the service menu's note.
        for timer in kiosk.timers:
            timer.stop()  # the sync status poll would put the online flag back
        kiosk.vm.set_online(False)
        for assisted in (False, True):
            kiosk.vm.setAssisted(assisted)
            kiosk.vm.activity()
            pump(80)
            path = out / f"offline_menu-{'assisted' if assisted else 'standard'}.png"
            kiosk.window.grabWindow().save(str(path))
            files.append(path)
        # The platform ends the citizen's grant mid-session (idle too long there): please start again.
        kiosk.vm.set_online(True)
        grants = kiosk.platform_server.grants
        grants.clock = lambda: time.time() + 3600
        walker.personal_certs()
        walker.expect("start_again")
        for assisted in (False, True):
            kiosk.vm.setAssisted(assisted)
            pump(80)
            path = out / f"start_again-{'assisted' if assisted else 'standard'}.png"
            kiosk.window.grabWindow().save(str(path))
            files.append(path)
        grants.clock = time.time
        # Out of paper, said before anyone starts (kiosk/journey_readiness.py): the tiles, then the attract screen.
        from kiosk.interfaces import PrinterState

        kiosk.printer.fail_with = PrinterState.OUT_OF_PAPER
        walker.click("btn_finish")
        kiosk.reader.remove()
        walker.expect("attract")
        _check_readiness(kiosk, "printer_out_of_paper")
        for assisted in (False, True):
            kiosk.vm.setAssisted(assisted)
            pump(80)
            files.append(_grab(kiosk, out, f"attract_blocked-{'assisted' if assisted else 'standard'}"))
        kiosk.vm.setAssisted(False)
        kiosk.reader.insert(0)
        walker.expect("face_consent")
        walker.click("btn_faceAgree")
        walker.expect("service_menu")
        for assisted in (False, True):
            kiosk.vm.setAssisted(assisted)
            pump(80)
            files.append(_grab(kiosk, out, f"service_menu_blocked-{'assisted' if assisted else 'standard'}"))
        kiosk.printer.fail_with = None
    finally:
        kiosk.close()
        app.processEvents()
    from screens.fallback_screen import render  # the screen of a kiosk whose app cannot start

    files += render(out)
    return files


def _grab(kiosk: object, out: Path, name: str) -> Path:
    path = out / f"{name}.png"
    kiosk.window.grabWindow().save(str(path))
    return path


def _check_readiness(kiosk: object, printer: str) -> None:
    """Run the readiness check now (its timer would, every ui.readiness_seconds) and wait for it."""
    watch = kiosk.vm.readiness
    wait_for(lambda: not watch.busy, 20, "a running check")
    watch.check()
    wait_for(lambda: kiosk.vm.journey.readiness.printer == printer, 20, "the readiness check")

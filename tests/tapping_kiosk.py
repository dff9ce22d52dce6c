"""`kiosk` with a robot finger, for process tests: ``python -m tests.tapping_kiosk demo --config F``.

It runs the real command (kiosk/cli.py) in the real process, and only taps where a citizen would:
whenever the face-check consent screen shows, it agrees (the slot the QML button calls), so a card
placed on the emulated reader leads, through the simulated face check, to a verified session with
a citizen grant on the platform. Used by tests/test_grant_restart.py, which kills that process.
"""

from __future__ import annotations

import sys

import screens.app as app

_build_kiosk = app.build_kiosk


def _build_with_finger(*args: object, **kwargs: object) -> app.Kiosk:
    from PySide6.QtCore import QTimer

    kiosk = _build_kiosk(*args, **kwargs)
    vm = kiosk.vm

    def tap() -> None:
        if vm.journey.screen.value == "face_consent":
            QTimer.singleShot(100, lambda: vm.faceConsent(True))
    vm.viewChanged.connect(tap)
    return kiosk


app.build_kiosk = _build_with_finger

if __name__ == "__main__":
    from kiosk import cli

    sys.exit(cli.main(sys.argv[1:]))

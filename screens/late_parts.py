"""The touch UI's parts the attract screen does not show, built right after its first frame.

Video help (screens/video_help.py), maintenance mode (screens/maintenance.py) and the staff desk
(screens/staff_desk.py) cost the start-up ~10 ms (docs/benchmarks.md). Until they are built, QML
sees a ``Pending`` stand-in under each of their names (``videoHelp``, ``maint``, ``desk``): empty
state, and the slots the attract screen can reach, which build the parts and pass the call on.
Python reaches them through ``LateParts.ensure()``, which builds them on the spot when they are
asked for earlier (a test, a staff card already in the reader at start).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Property, QObject, Slot

NAMES = ("videoHelp", "maint", "desk")  # the QML context properties, in the order build() returns them


class Pending(QObject):
    """What QML sees under a part's name until the part is built (then the part replaces it)."""

    def __init__(self, name: str, use: Callable[[str], Any]) -> None:
        super().__init__()
        self._name, self._use = name, use

    view = Property("QVariantMap", lambda self: {}, constant=True)
    state = Property("QVariantMap", lambda self: {}, constant=True)

    @Slot()
    def ask(self) -> None:  # the header's 呼叫 button (videoHelp)
        self._use(self._name).ask()

    @Slot()
    def enter(self) -> None:  # the hidden corner into maintenance (maint)
        self._use(self._name).enter()

    @Slot()
    def checkTyped(self) -> None:  # noqa: N802 (Qt name) the staff check's typed number (desk)
        self._use(self._name).checkTyped()


class LateParts:
    """Builds video help, maintenance and the staff desk once, and hands them to QML."""

    def __init__(self, context: Any, build: Callable[[], tuple[Any, Any, Any]]) -> None:
        self._context, self._build = context, build
        self.video: Any = None  # screens.video_help.VideoHelp
        self.maint: Any = None  # screens.maintenance.MaintenanceViewModel
        self.desk: Any = None  # screens.staff_desk.StaffDesk
        self._pending = [Pending(name, self._use) for name in NAMES]
        for name, stand_in in zip(NAMES, self._pending, strict=True):
            context.setContextProperty(name, stand_in)

    @property
    def built(self) -> bool:
        return self.video is not None

    def ensure(self) -> LateParts:
        """Build the parts (once) and put them where QML looks; returns self."""
        if self.video is None:
            self.video, self.maint, self.desk = self._build()
            for name, part in zip(NAMES, (self.video, self.maint, self.desk), strict=True):
                self._context.setContextProperty(name, part)
        return self

    def _use(self, name: str) -> Any:
        self.ensure()
        return {"videoHelp": self.video, "maint": self.maint, "desk": self.desk}[name]

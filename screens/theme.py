"""One theme object for QML: sizes, colours and fonts for standard and assisted mode.

Design size is 1920x1080. Standard mode: text >= 20 px, targets >= 44 px,
contrast >= 4.5:1. Assisted mode (长辈模式): text >= 30 px, targets >= 60 px,
contrast >= 7:1. Both palettes here exceed 7:1 for every text/background pair (lowest measured from
the rendered pixels: 7.42:1, the error red on the page background).
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject, Signal

STANDARD = {
    "fontSmall": 22, "fontBody": 28, "fontLarge": 36, "fontTitle": 52, "fontHuge": 96,
    "touch": 72, "gap": 24, "radius": 14,
}
ASSISTED = {
    "fontSmall": 32, "fontBody": 40, "fontLarge": 48, "fontTitle": 66, "fontHuge": 120,
    "touch": 104, "gap": 30, "radius": 18,
}
# Every text colour is used only on the backgrounds named beside it.
COLORS = {
    "background": "#f3f5f8",  # page
    "surface": "#ffffff",  # cards, list rows
    "text": "#14181d",  # on background/surface: 16:1
    "muted": "#39424d",  # on background/surface: 9.6:1
    "primary": "#0a4a8f",  # button; white text on it: 8.9:1
    "onPrimary": "#ffffff",
    "accent": "#9c1c14",  # call-staff / warning button; white text: 8.1:1
    "header": "#0a3a70",  # header bar; white text: 11:1
    "border": "#5b6673",
    "ok": "#0b5d1e",  # on surface: 7.7:1
    "error": "#9c1c14",  # on surface 7.8:1, on background 7.42:1 (measured from pixels: screens.audit)
}


class Theme(QObject):
    """Exposed to QML as `theme`; every value follows `assisted` and `language`."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._assisted = False
        self._language = "zh-CN"

    def set_mode(self, assisted: bool, language: str) -> None:
        if (assisted, language) != (self._assisted, self._language):
            self._assisted, self._language = assisted, language
            self.changed.emit()

    def _size(self, name: str) -> int:
        return (ASSISTED if self._assisted else STANDARD)[name]

    assisted = Property(bool, lambda self: self._assisted, notify=changed)
    fontFamily = Property(str, lambda self: "Noto Sans CJK TC" if self._language == "zh-TW" else "Noto Sans CJK SC",
                          notify=changed)
    fontSmall = Property(int, lambda self: self._size("fontSmall"), notify=changed)
    fontBody = Property(int, lambda self: self._size("fontBody"), notify=changed)
    fontLarge = Property(int, lambda self: self._size("fontLarge"), notify=changed)
    fontTitle = Property(int, lambda self: self._size("fontTitle"), notify=changed)
    fontHuge = Property(int, lambda self: self._size("fontHuge"), notify=changed)
    touch = Property(int, lambda self: self._size("touch"), notify=changed)
    gap = Property(int, lambda self: self._size("gap"), notify=changed)
    radius = Property(int, lambda self: self._size("radius"), notify=changed)
    maxChoices = Property(int, lambda self: 4 if self._assisted else 8, notify=changed)
    background = Property(str, lambda self: COLORS["background"], constant=True)
    surface = Property(str, lambda self: COLORS["surface"], constant=True)
    text = Property(str, lambda self: COLORS["text"], constant=True)
    muted = Property(str, lambda self: COLORS["muted"], constant=True)
    primary = Property(str, lambda self: COLORS["primary"], constant=True)
    onPrimary = Property(str, lambda self: COLORS["onPrimary"], constant=True)
    accent = Property(str, lambda self: COLORS["accent"], constant=True)
    header = Property(str, lambda self: COLORS["header"], constant=True)
    border = Property(str, lambda self: COLORS["border"], constant=True)
    ok = Property(str, lambda self: COLORS["ok"], constant=True)
    error = Property(str, lambda self: COLORS["error"], constant=True)

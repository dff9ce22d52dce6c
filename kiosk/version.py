"""The running kiosk's version, as the heartbeat, the exporter and the ready file report it.

Installed from the Debian package, that is the package's version (installer/build-deb.sh writes it
to /opt/kiosk/VERSION beside the venv): two builds of the same source differ there, and it is what
`kiosk update` installs and rolls back. From a source checkout it is the wheel's version.
"""

from __future__ import annotations

import sys
from pathlib import Path

_STAMP = Path(sys.prefix).parent / "VERSION"


def wheel_version() -> str:
    try:
        from importlib.metadata import version

        return version("kiosk")
    except Exception:  # a source checkout that was never installed
        return "0+unknown"


def package_version(stamp: Path = _STAMP) -> str | None:
    """The Debian package's version from its stamp (one printable line, at most 64 characters), or None."""
    try:
        text = stamp.read_text(encoding="utf-8").strip()
    except (OSError, ValueError):
        return None
    return text[:64] if text and text.isprintable() else None


def running_version(stamp: Path = _STAMP) -> str:
    """The package's version when this runs from the package's venv, else the wheel's."""
    return package_version(stamp) or wheel_version()

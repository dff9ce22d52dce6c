"""`kiosk` whose app dies before its first frame, for process tests: ``python -m tests.broken_kiosk demo ...``.

It runs the real command (kiosk/cli.py), with the app's screens failing to load at every start,
as a QML file broken by a bad install would (screens/app.py raises the same RuntimeError then).
Used by tests/test_fallback_screen.py to see a crash loop the app never survives end on the
standalone out-of-service screen.
"""

from __future__ import annotations

import sys

import screens.app as app


def _screens_fail_to_load(*_args: object, **_kwargs: object) -> app.Kiosk:
    raise RuntimeError("the kiosk screens failed to load (see the QML messages above)")


app.build_kiosk = _screens_fail_to_load

if __name__ == "__main__":
    from kiosk import cli

    sys.exit(cli.main(sys.argv[1:]))

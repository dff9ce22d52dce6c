"""Test set-up: Qt offscreen, and a fully wired demo kiosk that fails on any QML warning."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_CONTROLS_STYLE", "Basic")

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

# CI must be repeatable and the machines are shared and slow: the same examples on every run
# (HYPOTHESIS_PROFILE=explore draws fresh ones), and no per-example time limit.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("explore", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def qml_warnings(qapp):
    """Collects Qt warnings; the test fails if any appear."""
    from PySide6.QtCore import qInstallMessageHandler

    from screens.app import qml_message_collector

    messages: list[str] = []
    previous = qInstallMessageHandler(qml_message_collector(messages))
    yield messages
    qInstallMessageHandler(previous)
    assert messages == [], "Qt/QML warnings:\n" + "\n".join(messages)


@pytest.fixture
def kiosk_config(tmp_path: Path):
    from kiosk.config import Config

    return Config().with_overrides(kiosk__state_dir=str(tmp_path / "state"),
                                   printer__pdf_folder=str(tmp_path / "prints"),
                                   maintenance__export_dir=str(tmp_path / "usb"))


@pytest.fixture
def kiosk(qapp, qml_warnings, kiosk_config):
    """The demo kiosk (simulators + reference platform on 127.0.0.1), rendered offscreen."""
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    k = build_kiosk(kiosk_config, demo_control=True, speaker=RecordingSpeaker())
    k.speaker = k.vm.speaker
    yield k
    k.close()


@pytest.fixture
def server():
    """The reference platform on 127.0.0.1, a fresh one per test, with kiosk-test enrolled."""
    from refplatform.server import PlatformServer
    from tests.signed_requests import TEST_KEY, enrol

    srv = PlatformServer()
    enrol(srv, "kiosk-test", TEST_KEY)  # the kiosk of the `client` fixture and of tests.signed_requests.AUTH
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def grant(client):
    """A citizen grant for sample person 1 (张伟明) on the `client` fixture's kiosk."""
    from devices.sim_people import SAMPLE_PEOPLE
    from kiosk.identity import HolderCodeType

    return client.open_grant(SAMPLE_PEOPLE[0].number, HolderCodeType.RESIDENT_ID, method="face", liveness=True)


@pytest.fixture
def client(server):
    """The enrolled kiosk's platform client, with short timeouts, talking to `server`."""
    from tests.signed_requests import enrolled_client

    c = enrolled_client(server, connect_timeout=1.0, read_timeout=0.5)
    yield c
    c.close()

"""Say early what will not work, in the real kiosk UI (issue 17, part 2).

GIVEN the real private cupsd whose queue ran out of paper (the capture backend's media-empty fault
stops it, as a real printer does), or the reference platform over HTTP stopped,
WHEN the attract and service screens show, THEN the kiosk has checked on a worker and each service
tile says what will not work and what else does, spoken in assisted mode, with nothing moved.
"""

from __future__ import annotations

import pytest

from screens.walkthrough import Walker, find, pump, wait_for
from tests import cups_harness
from tests.cups_harness import CAPTURE_QUEUE, CupsBench

cups_bench_session = cups_harness.cups_bench_session
cups_bench = cups_harness.cups_bench


def _positions(window, names: list[str]) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    for name in names:
        item = find(window, name)
        assert item is not None, name
        p = item.mapToScene(item.position() * 0)
        out[name] = (round(p.x()), round(p.y()), round(item.width()), round(item.height()))
    return out


def _checked(kiosk, printer: str | None = None, online: bool | None = None) -> None:
    """Ask for a check now (the timer would, every ui.readiness_seconds) and wait for its answer."""
    watch = kiosk.vm.readiness
    wait_for(lambda: not watch.busy, 20, "a running check")
    rounds = watch.rounds
    watch.check()
    wait_for(lambda: watch.rounds > rounds, 20, "readiness check")
    if printer is not None:
        wait_for(lambda: kiosk.vm.journey.readiness.printer == printer, 20, f"printer {printer}")
    if online is not None:
        wait_for(lambda: kiosk.vm.journey.readiness.platform is online, 20, f"platform online={online}")
    pump(50)


@pytest.fixture
def cups_kiosk(qapp, qml_warnings, kiosk_config, cups_bench: CupsBench):
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    config = kiosk_config.with_overrides(printer__driver="cups", printer__queue=CAPTURE_QUEUE,
                                         printer__cups_server=cups_bench.socket)
    k = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    k.printer.get()
    k.platform.get()
    yield k
    k.close()


def _out_of_paper(bench: CupsBench) -> None:
    """A job meets an empty tray: the backend reports media-empty and CUPS stops the queue."""
    bench.set_fault("media-empty")
    bench.run("lp", "-d", CAPTURE_QUEUE, "-t", "probe", str(bench.capture_dir.parent / "etc" / "cupsd.conf"))
    wait_for(lambda: "media-empty-error" in bench._capture_reasons(), 20, "media-empty reported")
    bench.run("cancel", "-a", "-x", CAPTURE_QUEUE)


TILES = ["service_personal_certs", "service_business_certs", "btn_finish", "serviceStatus_personal_certs"]


@pytest.mark.parametrize("assisted", [False, True])
def test_out_of_paper_is_said_on_attract_and_tiles(cups_kiosk, cups_bench: CupsBench, assisted: bool) -> None:
    k = cups_kiosk
    w = Walker(k)
    k.vm.setAssisted(assisted)
    _checked(k, printer="")
    note = find(w.window, "attractReadiness")
    start_before = _positions(w.window, ["start"])
    assert note.property("text") == ""
    _out_of_paper(cups_bench)
    _checked(k, printer="printer_out_of_paper")
    assert k.vm.texts["printer_out_of_paper"] in note.property("text")
    assert k.vm.texts["alt_printer"] in note.property("text")
    assert _positions(w.window, ["start"]) == start_before  # the note's space was there all along
    k.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    status = find(w.window, "serviceStatus_personal_certs")
    assert k.vm.texts["printer_out_of_paper"] in status.property("text")
    assert k.vm.texts["alt_printer"] in status.property("text")
    spoken = " ".join(text for text, _ in k.vm.speaker.spoken)
    assert (k.vm.texts["service_blocked_printer_spoken"] in spoken) is assisted
    marked = _positions(w.window, TILES)
    cups_bench.reset()  # paper back: the marks go, nothing moves
    _checked(k, printer="")
    assert status.property("text") == ""
    assert _positions(w.window, TILES) == marked


def test_platform_stopped_is_said_on_the_tiles(kiosk, monkeypatch) -> None:
    """The reference platform over HTTP stops: the health ping on the readiness lane finds it."""
    import threading

    import screens.readiness

    threads: set[str] = set()
    real = screens.readiness.printer_problem

    def watched(*args: object) -> str:
        threads.add(threading.current_thread().name)
        return real(*args)
    monkeypatch.setattr(screens.readiness, "printer_problem", watched)
    w = Walker(kiosk)
    kiosk.platform.get()
    kiosk.printer.get()
    kiosk.vm.setAssisted(True)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    _checked(kiosk, online=True)
    before = _positions(w.window, TILES)
    kiosk.platform_server.stop()
    _checked(kiosk, online=False)
    status = find(w.window, "serviceStatus_personal_certs")
    assert kiosk.vm.texts["tile_blocked_platform"] in status.property("text")
    assert kiosk.vm.texts["alt_platform"] in status.property("text")
    assert not kiosk.vm.online  # the header's badge says the same
    assert kiosk.vm.texts["service_blocked_platform_spoken"] in " ".join(t for t, _ in kiosk.vm.speaker.spoken)
    assert _positions(w.window, TILES) == before
    assert threads and all(name.startswith("kiosk-readiness") for name in threads)  # never the UI thread


def test_stopped_queue_is_said_before_starting(cups_kiosk, cups_bench: CupsBench) -> None:
    """A technician stopped the queue (cupsdisable): the tiles say so before anyone starts."""
    k = cups_kiosk
    w = Walker(k)
    cups_bench.run("cupsdisable", "-r", "maintenance", CAPTURE_QUEUE)
    _checked(k, printer="printer_stopped")
    k.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    status = find(w.window, "serviceStatus_business_certs")
    assert k.vm.texts["printer_stopped"] in status.property("text")

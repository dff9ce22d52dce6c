"""Print screens in the real kiosk UI: the PDF preview (QtPdf) and a CUPS fault on screen."""

from __future__ import annotations

import pytest

from kiosk.interfaces import PlatformError, PlatformErrorKind
from screens.walkthrough import Walker, find, items, pump, wait_for
from tests import cups_harness
from tests.cups_harness import CAPTURE_QUEUE, CupsBench

cups_bench_session = cups_harness.cups_bench_session
cups_bench = cups_harness.cups_bench


def _to_preview(kiosk) -> Walker:
    w = Walker(kiosk)
    kiosk.reader.insert(0)
    w.expect("face_consent")
    w.click("btn_faceAgree")
    w.expect("service_menu")
    w.personal_certs()
    w.expect("cert_list")
    w.click(f"cert_{kiosk.vm.view['certificates'][0]['id']}")
    w.expect("preview")
    return w


def test_preview_is_rendered_from_the_pdf(kiosk) -> None:
    w = _to_preview(kiosk)
    preview = kiosk.vm.preview
    wait_for(lambda: preview.status == "ready", 10, "preview ready")
    assert preview.pageCount == 1
    assert find(w.window, "pdfPreview") is not None
    image = preview.render(0, 400)
    dark = sum(1 for x in range(0, image.width(), 4) for y in range(0, image.height(), 4)
               if image.pixelColor(x, y).lightness() < 128)
    assert dark > 50, "the page has text on it"
    assert find(w.window, "certificateFields") is None  # standard mode: the page alone
    kiosk.vm.setAssisted(True)  # 长辈模式: the page beside its fields as large text, measured from the pixels
    wait_for(lambda: find(w.window, "certificateFields") is not None, 5, "the large-text fields")
    pump(100)
    from screens.audit import _line_box
    from screens.ink import grab, measure

    pixels = grab(w.window)
    values = [i for i in items(w.window.contentItem()) if i.objectName() == "fieldValue"]
    assert values
    heights = []
    for item in values[:3]:  # holder, holder code (digits), certificate number
        box = _line_box(item)
        ink = measure(pixels, box.x(), box.y(), box.width(), box.height())
        heights.append(ink.glyph_height)
    print("assisted preview glyph heights (px):", heights)
    assert min(heights) >= 30, heights  # 40 px type: measured 38 (张伟明), 32 (digits), 30.5 (HJ0343...)
    w.click("btn_back")
    w.expect("cert_list")
    assert preview.status == ""  # the file is dropped when the citizen leaves the preview


@pytest.mark.parametrize("kind", [PlatformErrorKind.BAD_SIGNATURE, PlatformErrorKind.OFFLINE])
def test_preview_falls_back_to_the_details(kiosk, monkeypatch, kind: PlatformErrorKind) -> None:
    def refuse(cert: object) -> bytes:
        raise PlatformError(kind)

    monkeypatch.setattr(kiosk.vm.preview, "_platform", type("P", (), {"download": staticmethod(refuse)})())
    w = _to_preview(kiosk)
    wait_for(lambda: kiosk.vm.preview.status == "unavailable", 10, "fallback")
    notice = find(w.window, "previewNotice")
    assert notice is not None and notice.property("text") == kiosk.vm.texts["preview_unavailable"]
    assert find(w.window, "pdfPreview") is None
    w.click("btn_print")  # printing is still offered
    w.expect("purpose")


@pytest.fixture
def cups_kiosk(qapp, qml_warnings, kiosk_config, cups_bench: CupsBench):
    from devices.speech import RecordingSpeaker
    from screens.app import build_kiosk

    config = kiosk_config.with_overrides(printer__driver="cups", printer__queue=CAPTURE_QUEUE,
                                         printer__cups_server=cups_bench.socket)
    k = build_kiosk(config, demo_control=False, speaker=RecordingSpeaker())
    yield k
    k.close()


def test_out_of_paper_mid_job_ends_on_print_failed(cups_kiosk, cups_bench: CupsBench) -> None:
    cups_bench.set_fault("stall-empty")
    cups_kiosk.printer.stall_grace = 0.5
    w = _to_preview(cups_kiosk)
    w.click("btn_print")
    w.expect("purpose")
    w.click("btn_purpose_school")
    w.expect("print_failed", timeout=20)
    assert cups_kiosk.vm.view["message"] == "printer_out_of_paper"
    assert cups_kiosk.vm.view["canRetry"] and not cups_kiosk.vm.view["nothingPrinted"]
    assert cups_bench.captured() == []
    cups_bench.set_fault(None)
    w.click("btn_retryPrint")
    w.expect("print_done", timeout=20)
    assert len(cups_bench.wait_captured(1)) == 1

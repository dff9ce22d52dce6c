"""Composed copies: watermark and purpose as text, fonts embedded, QR decodes to the verify URL."""

from __future__ import annotations

import datetime as _dt
import io
import subprocess
from pathlib import Path

import cv2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from printing.copy_compose import CopyMarks, CopyRefused, compose_copy
from printing.sample_pdf import sample_certificate_pdf
from tests.journey_driver import make_certificate

VERIFY_URL = "https://zwfw.example.gov.cn/v1/verify/K7Q2-99XA"
MARKS = CopyMarks(purpose="入学", kiosk_id="KIOSK-0042", printed_at=_dt.datetime(2026, 11, 21, 10, 30, 5),
                  verify_code="K7Q2-99XA", verify_url=VERIFY_URL, expires=_dt.date(2026, 12, 21))


def decode_qr_codes(pdf: Path | bytes, tmp: Path, dpi: int = 150) -> list[str]:
    """Rasterise every page with pdftoppm and decode the QR code on each with OpenCV."""
    if isinstance(pdf, bytes):
        path = tmp / "in.pdf"
        path.write_bytes(pdf)
        pdf = path
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", str(pdf), str(tmp / "page")], check=True, timeout=60)
    found = []
    for png in sorted(tmp.glob("page*.png")):
        text, points, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(png)))
        found.append(text)
    return found


def embedded_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    """(font name, has a FontFile* stream) for every font the pages use."""
    out = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            desc = descriptor.get_object() if descriptor is not None else {}
            out.append((str(font.get("/BaseFont")), any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return out


def test_copy_carries_marks_as_text(tmp_path: Path) -> None:
    cert = make_certificate(7)
    pdf = compose_copy(sample_certificate_pdf(cert), MARKS)
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
    text = reader.pages[0].extract_text()
    assert "仅供办理入学使用" in text
    for mark in ("2026-11-21 10:30:05", "KIOSK-0042", "K7Q2-99XA", VERIFY_URL, "2026-12-21"):
        assert mark in text
    assert cert.number in text  # the source page keeps its vector text
    assert reader.metadata.title == "kiosk copy"


def test_fonts_are_embedded() -> None:
    pdf = compose_copy(sample_certificate_pdf(make_certificate(1)), MARKS)
    fonts = embedded_fonts(pdf)
    assert fonts and all(embedded for _, embedded in fonts), fonts


def test_qr_decodes_to_the_verification_url(tmp_path: Path) -> None:
    pdf = compose_copy(sample_certificate_pdf(make_certificate(1), pages=2), MARKS)
    assert decode_qr_codes(pdf, tmp_path) == [VERIFY_URL, VERIFY_URL]


def test_each_page_is_numbered_and_marked() -> None:
    pdf = compose_copy(sample_certificate_pdf(make_certificate(1), pages=3), MARKS)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 3
    for number, page in enumerate(pages, 1):
        text = page.extract_text()
        assert f"第 {number} 页 / 共 3 页" in text and "仅供办理入学使用" in text


def test_landscape_and_odd_sizes_are_fitted_to_a4() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(1000, 400))
    c.drawString(50, 200, "LANDSCAPE-SOURCE")
    c.showPage()
    c.save()
    page = PdfReader(io.BytesIO(compose_copy(buf.getvalue(), MARKS))).pages[0]
    assert round(float(page.mediabox.width)) == 595
    assert "LANDSCAPE-SOURCE" in page.extract_text()


@pytest.mark.parametrize("data", [
    b"", b"hello", b"%PDF-1.7\n", b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF",
    b"<html>not a pdf</html>", b"\x00" * 4096,
])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(CopyRefused) as info:
        compose_copy(data, MARKS)
    assert info.value.key == "print_bad_file"


def test_truncated_pdf_is_refused_or_complete() -> None:
    """A cut-off file either parses to whole pages or is refused; it never crashes."""
    source = sample_certificate_pdf(make_certificate(1))
    for cut in (len(source) // 4, len(source) // 2, len(source) - 40):
        try:
            out = compose_copy(source[:cut], MARKS)
        except CopyRefused as exc:
            assert exc.key == "print_bad_file"
        else:
            assert PdfReader(io.BytesIO(out)).pages


def test_encrypted_pdf_is_refused() -> None:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(sample_certificate_pdf(make_certificate(1)))))
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    with pytest.raises(CopyRefused):
        compose_copy(buf.getvalue(), MARKS)


@pytest.mark.parametrize("field,value", [
    ("verify_url", "javascript:alert(1)"), ("verify_url", ""), ("verify_url", "http://127.0.0.1:8765/v1/verify/X"),
    ("verify_code", "no spaces allowed"),
    ("verify_code", ""), ("purpose", ""),
])
def test_bad_marks_are_refused(field: str, value: str) -> None:
    import dataclasses

    with pytest.raises(CopyRefused):
        compose_copy(sample_certificate_pdf(make_certificate(1)), dataclasses.replace(MARKS, **{field: value}))


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=2048))
def test_random_bytes_never_crash(data: bytes) -> None:
    try:
        compose_copy(b"%PDF-1.7\n" + data, MARKS)
    except CopyRefused:
        pass

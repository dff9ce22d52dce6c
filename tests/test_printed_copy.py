"""The printed copy read as a person and a phone read it: rasterised (pdftoppm), its QR decoded (zbarimg),
its watermark read by OCR (tesseract chi_sim) after the page's own text colours are taken out."""

from __future__ import annotations

import datetime as _dt
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from printing.copy_compose import BAND_H, FOOTER_H, CopyMarks, compose_copy, expiry_line
from refplatform.render import render_stamped

TOOLS = ("pdftoppm", "zbarimg", "tesseract")
pytestmark = pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS),
                                reason="installer/install.sh adds poppler-utils, zbar-tools, tesseract-ocr-chi-sim")
DPI = 200
PUBLIC = "https://zwfw.example.gov.cn/v1/verify/K7Q2-99XA"
CERT = {"name": "居民户口簿（示例）", "number": "NO000123", "identifier": "1.2.156.3005.2.X.123",
        "holder_type": "resident_id", "holder_name": "张伟明", "holder_code": "110101198503120033",
        "fields": {"户别": "家庭户", "住址": "北京市东城区示例路1号"}, "issuer": "示例公安局",
        "issuer_code": "11100000000000000X", "issue_date": "2024-01-01", "valid_until": None}


def two_page_source() -> bytes:
    """The reference platform's stamped file, twice: every page must carry the marks."""
    page = render_stamped(CERT, purpose="办理入学", expires="2026-12-21", verify_code="K7Q2-99XA",
                          verify_url="http://127.0.0.1:1/v1/verify/K7Q2-99XA")
    writer = PdfWriter()
    for _ in range(2):
        writer.add_page(PdfReader(io.BytesIO(page)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    tmp = tmp_path_factory.mktemp("copy")
    marks = CopyMarks(purpose="入学", kiosk_id="KIOSK-0042", printed_at=_dt.datetime(2026, 11, 21, 10, 30, 5),
                      verify_code="K7Q2-99XA", verify_url=PUBLIC, expires=_dt.date(2026, 12, 21))
    pdf = tmp / "copy.pdf"
    pdf.write_bytes(compose_copy(two_page_source(), marks))
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", str(pdf), str(tmp / "page")], check=True, timeout=120)
    return sorted(tmp.glob("page*.png"))


def rgb(png: Path) -> np.ndarray:
    return np.asarray(Image.open(png).convert("RGB")).astype(int)


def watermark_only(image: np.ndarray) -> np.ndarray:
    """Black where a pixel is the watermark's blue, white elsewhere: the page's own colours (black, grey,
    the certificate's dark red) are removed, as a forger's scanner would not, but OCR of the mark must."""
    r, g, b = image[..., 0], image[..., 1], image[..., 2]
    blue = (b - r > 60) & (b - g > 40)
    return np.where(blue, 0, 255).astype(np.uint8)


def test_one_qr_per_page_pointing_at_the_public_address(pages: list[Path]) -> None:
    assert len(pages) == 2
    for png in pages:
        out = subprocess.run(["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=60)
        assert out.stdout.split() == [PUBLIC], png.name  # one code, the public https address, no loopback


def test_watermark_is_read_by_ocr_on_every_page(pages: list[Path], tmp_path: Path) -> None:
    for png in pages:
        mask = tmp_path / f"mask-{png.name}"
        Image.fromarray(watermark_only(rgb(png))).save(mask)
        out = subprocess.run(["tesseract", str(mask), "-", "-l", "chi_sim", "--psm", "6"],
                             capture_output=True, text=True, timeout=120)
        text = "".join(out.stdout.split())
        assert "仅供办理入学使用" in text, (png.name, text)


def test_watermark_contrast_and_it_stays_off_the_body(pages: list[Path]) -> None:
    image = rgb(pages[0])
    height = image.shape[0]
    band = int(BAND_H / 72 * DPI)
    footer = int(FOOTER_H / 72 * DPI)
    blue = watermark_only(image) == 0
    rows = np.nonzero(blue.any(axis=1))[0]
    assert rows.size and rows.max() <= band + 3, "the watermark leaves its band at the top"
    # The certificate (its own colours: dark, not blue) starts below the band and ends above the footer.
    dark = (image.sum(axis=2) < 300) & ~blue
    body_rows = np.nonzero(dark[:height - footer].any(axis=1))[0]
    assert body_rows.min() > band
    ink = image[blue].mean(axis=0) / 255

    def lum(c: np.ndarray) -> float:
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return float(0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2])
    ratio = 1.05 / (lum(ink) + 0.05)
    assert ratio >= 4.5, f"watermark contrast {ratio:.2f}:1"


def test_one_expiry_line_with_its_meaning() -> None:
    from pypdf import PdfReader as Reader

    marks = CopyMarks(purpose="入学", kiosk_id="K", printed_at=_dt.datetime(2026, 11, 21), verify_code="ABCD1234",
                      verify_url=PUBLIC, expires=_dt.date(2026, 12, 21))
    text = Reader(io.BytesIO(compose_copy(two_page_source(), marks))).pages[0].extract_text()
    assert text.count("有效期至") == 0 and text.count("可核验至") == 1
    assert expiry_line(marks.expires) in text.replace("\n", "")
    assert "证照有效期" in text  # the certificate's own validity, named differently

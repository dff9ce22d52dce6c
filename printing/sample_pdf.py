"""A small, valid certificate PDF built from metadata: the stand-in for a platform file.

Fakes, tests, benchmarks and the offline demo use it where a real platform would
return the signed certificate file. Qt-free (reportlab), A4, font embedded.
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from kiosk.interfaces import Certificate
from printing.fonts import cjk_font


def sample_certificate_pdf(cert: Certificate, *, pages: int = 1) -> bytes:
    """The certificate's fields laid out on ``pages`` A4 pages."""
    font = cjk_font()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, initialFontName=font, initialFontSize=12, invariant=1)
    c.setTitle("certificate")
    c.setCreator("kiosk sample")
    width, height = A4
    rows = [
        ("持证主体", cert.holder_name),
        ("持证主体代码", cert.holder_code),
        ("证照编号", cert.number),
        ("证照标识", cert.identifier),
        ("颁发机构", cert.issuer),
        ("颁发日期", cert.issue_date.isoformat()),
        ("证照有效期", cert.valid_until.isoformat() if cert.valid_until else "长期"),
        *cert.fields.items(),
    ]
    for page in range(pages):
        c.setFont(font, 22)
        c.drawCentredString(width / 2, height - 80, cert.name)
        c.setLineWidth(1.5)
        c.line(60, height - 95, width - 60, height - 95)
        c.setFont(font, 12)
        y = height - 130
        for label, value in rows:
            c.drawString(70, y, f"{label}：")
            c.drawString(200, y, value)
            y -= 26
        if pages > 1:
            c.drawCentredString(width / 2, 60, f"{page + 1}/{pages}")
        c.showPage()
    c.save()
    return out.getvalue()

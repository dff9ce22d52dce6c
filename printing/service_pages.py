"""Pages a technician prints or saves from maintenance mode: the printer test page (kiosk id
and a calibration pattern) and the readiness report (each check, its result and its time).

Neither holds anything personal: the kiosk id, times, check results and pseudonymous staff ids.
"""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from kiosk.i18n import localise
from printing.fonts import cjk_font


def test_page(kiosk_id: str, now: _dt.datetime | None = None) -> bytes:
    """A4: the kiosk id and time, a 10 mm frame with mm rulers, corner crosses, grey steps, line widths."""
    now = now or _dt.datetime.now(_dt.UTC)
    font = cjk_font()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    width, height = A4
    c.setTitle("kiosk test page")
    c.setFont(font, 20)
    c.drawString(20 * mm, height - 25 * mm, "打印机测试页 · Printer test page")
    c.setFont(font, 12)
    c.drawString(20 * mm, height - 33 * mm, f"Kiosk {kiosk_id}   {now.isoformat(timespec='seconds')}")
    c.setLineWidth(0.5)
    c.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)  # should sit 10 mm from every edge
    for x_mm in range(10, int(width / mm) - 9):  # ruler along the bottom edge
        tick = 4 if x_mm % 10 == 0 else (2.5 if x_mm % 5 == 0 else 1.2)
        c.line(x_mm * mm, 10 * mm, x_mm * mm, (10 + tick) * mm)
    for y_mm in range(10, int(height / mm) - 9):  # and up the left edge
        tick = 4 if y_mm % 10 == 0 else (2.5 if y_mm % 5 == 0 else 1.2)
        c.line(10 * mm, y_mm * mm, (10 + tick) * mm, y_mm * mm)
    for cx, cy in ((25, 25), (width / mm - 25, 25), (25, height / mm - 45), (width / mm - 25, height / mm - 45)):
        c.line((cx - 6) * mm, cy * mm, (cx + 6) * mm, cy * mm)
        c.line(cx * mm, (cy - 6) * mm, cx * mm, (cy + 6) * mm)
        c.circle(cx * mm, cy * mm, 3 * mm)
    c.setFont(font, 9)
    for step in range(11):  # grey steps 0 % .. 100 %
        c.setFillGray(1 - step / 10)
        c.rect((20 + step * 15) * mm, 150 * mm, 15 * mm, 20 * mm, stroke=1, fill=1)
        c.setFillGray(0)
        c.drawString((22 + step * 15) * mm, 145 * mm, f"{step * 10}%")
    for i, weight in enumerate((0.1, 0.25, 0.5, 1, 2, 4)):  # line widths in points
        c.setLineWidth(weight)
        c.line(20 * mm, (120 - i * 8) * mm, 120 * mm, (120 - i * 8) * mm)
        c.drawString(125 * mm, (119 - i * 8) * mm, f"{weight} pt")
    c.setLineWidth(0.5)
    c.setFont(font, 11)
    c.drawString(20 * mm, 60 * mm, "字体 Font: 政务服务自助终端 0123456789 ABCDEFGHIJ abcdefghij")
    c.drawString(20 * mm, 52 * mm, "The frame is 10 mm from each edge; the ruler ticks are 1 mm apart.")
    c.showPage()
    c.save()
    return out.getvalue()


def readiness_report(kiosk_id: str, checks: Sequence[Any], *, staff_id: str = "",
                     now: _dt.datetime | None = None) -> bytes:
    """A4 report: kiosk id, when, who (pseudonymous), then each check (kiosk.doctor.Check) with its time."""
    now = now or _dt.datetime.now(_dt.UTC)
    font = cjk_font()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4, invariant=1)
    c.setTitle("kiosk readiness report")
    width, height = A4
    y = height - 25 * mm

    def line(text: str, size: float = 10, indent: float = 0) -> None:
        """Draw text, wrapped to the page's width (Chinese lines are wide)."""
        nonlocal y
        from reportlab.lib.utils import simpleSplit

        for part in simpleSplit(text, font, size, width - (40 + indent) * mm) or [""]:
            if y < 20 * mm:
                c.showPage()
                y = height - 20 * mm
            c.setFont(font, size)
            c.drawString((20 + indent) * mm, y, part)
            y -= size * 1.5

    ready = all(ch.ok for ch in checks)
    line("就绪报告 · Readiness report", 18)
    line(f"Kiosk {kiosk_id}    {now.isoformat(timespec='seconds')}    staff {staff_id or '-'}", 10)
    line(f"Result: {'READY' if ready else 'NOT READY'}  ({sum(ch.ok for ch in checks)}/{len(checks)} checks ok)", 13)
    y -= 6
    for ch in checks:
        line(f"{'OK     ' if ch.ok else 'PROBLEM'}  {ch.part:9}  {ch.summary}", 10)
        if localise(ch.summary, "zh-CN") != ch.summary:  # the findings in Chinese too (kiosk.i18n.Said)
            line(localise(ch.summary, "zh-CN"), 9, indent=22)
        line(f"checked {ch.at}", 8, indent=22)
        for detail in ch.details:
            line(detail, 8, indent=22)
        if ch.fix:
            line(f"fix: {ch.fix}", 8, indent=22)
            if localise(ch.fix, "zh-CN") != ch.fix:
                line(f"处理方法：{localise(ch.fix, 'zh-CN')}", 8, indent=22)
    c.showPage()
    c.save()
    return out.getvalue()

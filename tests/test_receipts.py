"""ESC/POS receipts: byte-exact against golden files, GB18030 text, masked identity only."""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path

import pytest
from escpos import printer as escpos_printer

from kiosk.config import Config
from kiosk.interfaces import PrinterState, Receipt, ReceiptPrinter
from printing.factory import make_receipt_printer
from printing.receipt_sim import SimulatedReceiptPrinter
from printing.receipts import EscposReceiptPrinter, ReceiptRefused, render, transport_factory

GOLDEN = Path(__file__).parent / "golden"
AT = _dt.datetime(2026, 11, 21, 9, 30, 15)  # fixed clock

RECEIPTS = {
    "offline_application": Receipt(
        kind="offline_application", tracking_code="KQ-20261121-0007", service="个人电子证照打印",
        kiosk_id="KIOSK-0042", issued_at=AT, holder_name_masked="张*三", holder_code_masked="1101**********1234",
        qr_url="http://127.0.0.1:8765/v1/track/KQ-20261121-0007",
        lines=("网络恢复后将自动提交，无需再次办理",)),
    "queue_ticket": Receipt(
        kind="queue_ticket", tracking_code="Q-0023", service="企业电子证照打印", kiosk_id="KIOSK-0042",
        issued_at=AT, ticket_number="A023", holder_name_masked="李*", lines=("请到3号窗口等候叫号",)),
}


@pytest.mark.parametrize("name", sorted(RECEIPTS))
def test_receipt_matches_golden_file(name: str) -> None:
    data = render(RECEIPTS[name])
    golden = GOLDEN / f"receipt_{name}.bin"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert data == golden.read_bytes(), f"ESC/POS output changed; UPDATE_GOLDEN=1 rewrites {golden.name}"


def test_content_is_gb18030_with_chinese_mode() -> None:
    data = render(RECEIPTS["offline_application"])
    assert data.startswith(b"\x1b@\x1c&")  # initialise, Chinese mode on
    for text in ("离线办理凭条", "个人电子证照打印", "张*三", "1101**********1234", "2026-11-21 09:30:15",
                 "KIOSK-0042", "KQ-20261121-0007"):
        assert text.encode("gb18030") in data
    assert b"\x1d(k" in data and b"http://127.0.0.1:8765/v1/track/KQ-20261121-0007" in data  # native QR
    assert data.endswith(b"\x1dV\x00")  # full cut


@pytest.mark.parametrize("field,value", [
    ("holder_code_masked", "110101198503120033"), ("holder_code_masked", "11010119850312003X"),
    ("holder_name_masked", "张伟明"), ("tracking_code", "X" * 60), ("service", "\ud800"),
])
def test_unmasked_or_bad_receipts_are_refused(field: str, value: str) -> None:
    import dataclasses

    with pytest.raises(ReceiptRefused):
        render(dataclasses.replace(RECEIPTS["offline_application"], **{field: value}))


def test_file_transport_writes_the_rendered_bytes(tmp_path: Path) -> None:
    out = tmp_path / "receipt.bin"
    out.touch()
    printer = EscposReceiptPrinter(transport_factory("file", str(out)), name="file")
    assert isinstance(printer, ReceiptPrinter)
    assert printer.state() is PrinterState.READY
    result = printer.print_receipt(RECEIPTS["queue_ticket"])
    assert result.ok and result.job_id == "Q-0023"
    assert out.read_bytes() == render(RECEIPTS["queue_ticket"])


def test_dummy_transport_and_refused_receipt() -> None:
    dummy = escpos_printer.Dummy()
    printer = EscposReceiptPrinter(lambda: dummy, name="dummy")
    import dataclasses

    bad = dataclasses.replace(RECEIPTS["queue_ticket"], holder_code_masked="110101198503120033")
    assert printer.print_receipt(bad).reason == "print_bad_file"
    assert dummy.output == b""


def test_missing_device_is_offline(tmp_path: Path) -> None:
    printer = EscposReceiptPrinter(transport_factory("serial", str(tmp_path / "ttyNOPE")), name="serial")
    assert printer.state() is PrinterState.OFFLINE
    result = printer.print_receipt(RECEIPTS["queue_ticket"])
    assert (result.ok, result.reason) == (False, "printer_offline")


def test_config_chooses_transport(tmp_path: Path) -> None:
    assert isinstance(make_receipt_printer(Config()), SimulatedReceiptPrinter)  # the demo's default
    assert make_receipt_printer(Config().with_overrides(receipt__driver="none")) is None
    cfg = Config().with_overrides(receipt__driver="file", receipt__target=str(tmp_path / "r.bin"))
    assert isinstance(make_receipt_printer(cfg), EscposReceiptPrinter)

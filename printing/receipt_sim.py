"""A simulated receipt printer (kiosk.interfaces.ReceiptPrinter) for the demo and tests.

It keeps every Receipt it was given and, with a folder, writes each as a UTF-8 text file
named after its tracking code (never after a person). The real ESC/POS printer lives
beside it; both take the same Receipt, which holds masked identity only.
"""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.interfaces import PrinterState, PrintResult, Receipt


def render_text(receipt: Receipt) -> str:
    """The receipt as the lines an 80 mm printer would print."""
    lines = ["政务服务自助终端", "离线受理回执" if receipt.kind == "offline_application" else receipt.kind,
             "-" * 32, f"受理编号: {receipt.tracking_code}", f"业务: {receipt.service}"]
    if receipt.holder_name_masked:
        lines.append(f"申请人: {receipt.holder_name_masked}")
    if receipt.holder_code_masked:
        lines.append(f"证件号: {receipt.holder_code_masked}")
    lines += [f"终端: {receipt.kiosk_id}", f"时间: {receipt.issued_at:%Y-%m-%d %H:%M}", "-" * 32, *receipt.lines]
    if receipt.qr_url:
        lines.append(f"查询: {receipt.qr_url}")
    return "\n".join(lines) + "\n"


class SimulatedReceiptPrinter:
    """Records receipts; `state` can be set to test paper-out and the like."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.state_value = PrinterState.READY
        self.receipts: list[Receipt] = []
        self._lock = threading.Lock()

    def state(self) -> PrinterState:
        return self.state_value

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        if self.state_value is not PrinterState.READY:
            return PrintResult(ok=False, job_id="", reason=f"printer_{self.state_value.value}")
        with self._lock:
            self.receipts.append(receipt)
            job = f"receipt-{len(self.receipts)}"
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"receipt-{receipt.tracking_code}.txt").write_text(render_text(receipt), encoding="utf-8")
        return PrintResult(ok=True, job_id=job)

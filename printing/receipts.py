"""80 mm thermal receipts and queue tickets over ESC/POS (python-escpos).

A receipt is rendered once into bytes with python-escpos's Dummy printer (so the
output is the same whatever the transport, and tests compare it byte-exact with
golden files), then written to the configured transport: USB, serial, network
or a file/device node. Chinese text is sent in GB18030 with the printer's
Chinese character mode (FS &) switched on. Receipts carry masked identity only.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from typing import Any

from escpos import printer as escpos_printer
from escpos.escpos import Escpos

from kiosk.idnumbers import is_valid_id_number
from kiosk.interfaces import PrinterState, PrintResult, Receipt

log = logging.getLogger("kiosk.receipts")

CHINESE_MODE_ON = b"\x1c\x26"  # FS &: double-byte (GB18030) characters
TITLES = {"offline_application": "离线办理凭条", "queue_ticket": "排队凭条", "print": "打印凭条"}
LINE_BYTES = 48  # 80 mm paper, font A: 48 single-width columns (24 Chinese characters)
_SEPARATOR = "-" * LINE_BYTES


class ReceiptRefused(ValueError):
    """A receipt that must not be printed (e.g. an unmasked ID number)."""


def render(receipt: Receipt) -> bytes:
    """The receipt as ESC/POS bytes. Deterministic: same receipt, same bytes."""
    _check(receipt)
    p = escpos_printer.Dummy()
    p.hw("INIT")
    p._raw(CHINESE_MODE_ON)
    p.set(align="center", bold=True, double_width=True, double_height=True)
    _line(p, TITLES.get(receipt.kind, "凭条"))
    if receipt.ticket_number:
        p.set(align="center", bold=True, custom_size=True, width=4, height=4)
        _line(p, receipt.ticket_number)
    p.set(align="left", normal_textsize=True, bold=False)
    _line(p, _SEPARATOR)
    rows = [
        ("业务", receipt.service),
        ("办理编号", receipt.tracking_code),
        ("姓名", receipt.holder_name_masked),
        ("证件号码", receipt.holder_code_masked),
        ("时间", f"{receipt.issued_at:%Y-%m-%d %H:%M:%S}"),
        ("终端", receipt.kiosk_id),
    ]
    for label, value in rows:
        if value:
            _line(p, f"{label}：{value}")
    for extra in receipt.lines:
        _line(p, extra)
    if receipt.qr_url:
        _line(p, _SEPARATOR)
        p.set(align="center")
        p.qr(receipt.qr_url, native=True, size=6)
        _line(p, "扫码查询办理进度")
    p.set(align="center", normal_textsize=True)
    _line(p, "请妥善保管本凭条")
    p.cut()
    return bytes(p.output)


def _line(p: Escpos, text: str) -> None:
    p._raw(text.encode("gb18030") + b"\n")


def _check(receipt: Receipt) -> None:
    if receipt.holder_code_masked and (is_valid_id_number(receipt.holder_code_masked)
                                       or re.fullmatch(r"[0-9A-Za-z]{8,}", receipt.holder_code_masked)):
        raise ReceiptRefused("holder code is not masked")
    if receipt.holder_name_masked and "*" not in receipt.holder_name_masked and len(receipt.holder_name_masked) > 1:
        raise ReceiptRefused("holder name is not masked")
    for value in (receipt.tracking_code, receipt.kiosk_id, receipt.ticket_number):
        if len(value) > LINE_BYTES:
            raise ReceiptRefused("field too long")
    try:
        for text in (receipt.service, receipt.holder_name_masked, *receipt.lines):
            text.encode("gb18030")
    except UnicodeEncodeError:
        raise ReceiptRefused("text not representable in GB18030") from None


class EscposReceiptPrinter:
    """kiosk.interfaces.ReceiptPrinter over a python-escpos transport.

    ``open_transport`` returns an opened escpos printer (File, Serial, Network, Usb);
    each receipt opens, writes and closes it, so a replugged printer just works.
    """

    def __init__(self, open_transport: Callable[[], Escpos], *, name: str = "escpos") -> None:
        self._open = open_transport
        self.name = name
        self._lock = threading.Lock()
        self._last_error = ""

    def state(self) -> PrinterState:
        with self._lock:
            try:
                transport = self._open()
            except Exception as exc:
                self._last_error = type(exc).__name__
                return PrinterState.OFFLINE
            try:
                return _query_state(transport)
            finally:
                _close(transport)

    def health(self) -> dict[str, Any]:
        state = self.state()
        return {"driver": self.name, "state": state.value, "reasons": [self._last_error] if self._last_error else []}

    def print_receipt(self, receipt: Receipt) -> PrintResult:
        try:
            data = render(receipt)
        except ReceiptRefused as exc:
            log.error("receipt refused", extra={"event": "receipt_refused", "detail": str(exc)})
            return PrintResult(ok=False, job_id="", reason="print_bad_file", stage="compose")
        with self._lock:
            try:
                transport = self._open()
            except Exception as exc:
                log.warning("receipt printer unavailable", extra={"event": "receipt", "error": type(exc).__name__})
                return PrintResult(ok=False, job_id="", reason="printer_offline", stage="print")
            try:
                transport._raw(data)
                if hasattr(transport, "flush"):
                    transport.flush()
            except Exception as exc:
                log.warning("receipt write failed", extra={"event": "receipt", "error": type(exc).__name__})
                return PrintResult(ok=False, job_id="", reason="printer_error", stage="print")
            finally:
                _close(transport)
        return PrintResult(ok=True, job_id=receipt.tracking_code, stage="print")


def _query_state(transport: Escpos) -> PrinterState:
    """Ask the printer over DLE EOT where the transport can read; files are always ready."""
    if isinstance(transport, escpos_printer.File | escpos_printer.Dummy):
        return PrinterState.READY
    try:
        if not transport.is_online():
            return PrinterState.OFFLINE
        return PrinterState.OUT_OF_PAPER if transport.paper_status() == 0 else PrinterState.READY
    except Exception:  # no answer: many cheap printers never reply
        return PrinterState.READY


def _close(transport: Escpos) -> None:
    try:
        transport.close()
    except Exception as exc:
        log.debug("receipt transport close failed", extra={"event": "receipt", "error": type(exc).__name__})


def transport_factory(driver: str, target: str, *, baud: int = 9600) -> Callable[[], Escpos]:
    """An opener for receipt.driver = file | serial | network | usb (target as in kiosk config)."""
    if driver == "file":
        return lambda: _opened(escpos_printer.File(devfile=target, auto_flush=True))
    if driver == "serial":
        return lambda: _opened(escpos_printer.Serial(devfile=target, baudrate=baud))
    if driver == "network":
        host, _, port = target.partition(":")
        return lambda: _opened(escpos_printer.Network(host=host, port=int(port or 9100), timeout=5))
    if driver == "usb":
        vendor, _, product = target.partition(":")
        return lambda: _opened(escpos_printer.Usb(int(vendor, 16), int(product, 16)))
    raise ValueError(f"unknown receipt transport {driver!r}")


def _opened(transport: Escpos) -> Escpos:
    """Open now, so a missing device shows up as an error here and not on first write."""
    transport.open(raise_not_found=True)
    return transport

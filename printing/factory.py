"""Choose the page printer and the receipt printer from config (printer.driver, receipt.driver).

The ``*_builder`` functions check the settings now and return a function that imports and
builds the driver later, so the app can check its config before the first frame and build
the printers after it (CUPS and ESC/POS imports stay off the start-up path).
"""

from __future__ import annotations

from collections.abc import Callable

from kiosk.config import Config, ConfigError
from kiosk.interfaces import Printer


def printer_builder(config: Config) -> Callable[[], Printer]:
    """Check printer.* now; the returned function builds the page printer."""
    driver = config["printer.driver"]
    if driver == "pdf_folder":
        folder = config.path("printer.pdf_folder")

        def pdf_folder() -> Printer:
            from printing.pdf_folder import PdfFolderPrinter

            return PdfFolderPrinter(folder)
        return pdf_folder
    if driver == "cups":
        queue = config["printer.queue"]
        if not queue:
            raise ConfigError("'printer.queue' must name the CUPS queue when 'printer.driver' is \"cups\" "
                              "(see 'lpstat -p').")
        server, timeout = config["printer.cups_server"] or None, config["printer.job_timeout"]
        fault_file = config.path("kiosk.state_dir") / "printer-fault.json"

        def cups_queue() -> Printer:
            from printing.cups_printer import CupsPrinter

            return CupsPrinter(queue, server=server, job_timeout=timeout, fault_file=fault_file)
        return cups_queue
    raise ConfigError(f"'printer.driver' {driver!r} is not supported.")


def make_printer(config: Config) -> Printer:
    return printer_builder(config)()


def receipt_builder(config: Config) -> Callable[[], object | None]:
    """Check receipt.* now; the returned function builds the receipt printer (or returns None)."""
    driver = config["receipt.driver"]
    if driver == "none":
        return lambda: None
    if driver == "sim":
        folder = config.path("printer.pdf_folder") / "receipts"

        def simulated() -> object:
            from printing.receipt_sim import SimulatedReceiptPrinter

            return SimulatedReceiptPrinter(folder)
        return simulated
    target = config["receipt.target"]
    if not target:
        raise ConfigError("'receipt.target' must be set when 'receipt.driver' is not \"none\" "
                          "(a file or device path, host:port, or vendor:product in hex).")
    baud = config["receipt.baud"]

    def escpos() -> object:
        from printing.receipts import EscposReceiptPrinter, transport_factory

        return EscposReceiptPrinter(transport_factory(driver, target, baud=baud), name=driver)
    return escpos


def make_receipt_printer(config: Config) -> object | None:
    """The thermal receipt printer (kiosk.interfaces.ReceiptPrinter), or None when there is none."""
    return receipt_builder(config)()

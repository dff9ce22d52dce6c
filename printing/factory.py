"""Choose the page printer from config (printer.driver)."""

from __future__ import annotations

from kiosk.config import Config, ConfigError
from kiosk.interfaces import Printer


def make_printer(config: Config) -> Printer:
    driver = config["printer.driver"]
    if driver == "pdf_folder":
        from printing.pdf_folder import PdfFolderPrinter

        return PdfFolderPrinter(config.path("printer.pdf_folder"))
    if driver == "cups":
        from printing.cups_printer import CupsPrinter

        queue = config["printer.queue"]
        if not queue:
            raise ConfigError("'printer.queue' must name the CUPS queue when 'printer.driver' is \"cups\" "
                              "(see 'lpstat -p').")
        return CupsPrinter(queue, server=config["printer.cups_server"] or None,
                           job_timeout=config["printer.job_timeout"],
                           fault_file=config.path("kiosk.state_dir") / "printer-fault.json")
    raise ConfigError(f"'printer.driver' {driver!r} is not supported.")


def make_receipt_printer(config: Config) -> object | None:
    """The thermal receipt printer (kiosk.interfaces.ReceiptPrinter), or None when there is none."""
    driver = config["receipt.driver"]
    if driver == "none":
        return None
    if driver == "sim":
        from printing.receipt_sim import SimulatedReceiptPrinter

        return SimulatedReceiptPrinter(config.path("printer.pdf_folder") / "receipts")
    from printing.receipts import EscposReceiptPrinter, transport_factory

    target = config["receipt.target"]
    if not target:
        raise ConfigError("'receipt.target' must be set when 'receipt.driver' is not \"none\" "
                          "(a file or device path, host:port, or vendor:product in hex).")
    return EscposReceiptPrinter(transport_factory(driver, target, baud=config["receipt.baud"]), name=driver)

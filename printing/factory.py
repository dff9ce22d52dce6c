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
                           job_timeout=config["printer.job_timeout"])
    raise ConfigError(f"'printer.driver' {driver!r} is not supported.")

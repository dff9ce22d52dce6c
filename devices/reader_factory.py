"""Choose the ID-card reader driver from the configuration (`reader.driver`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kiosk.config import Config, ConfigError
from kiosk.interfaces import CardReader

Trace = Callable[[str, bytes], None]


def sam_settings(config: Config, port: str | None = None) -> Any:
    from devices.sam_reader import SamSettings
    from devices.sam_text import load_photo_decoder

    try:
        decoder = load_photo_decoder(config["reader.photo_decoder"])
    except ValueError as exc:
        raise ConfigError(f"'reader.photo_decoder': {exc}. Fix the setting or leave it empty.") from None
    return SamSettings(
        port=port or config["reader.port"], baud=config["reader.baud"],
        exchange_timeout=config["reader.exchange_timeout"], read_timeout=config["reader.read_timeout"],
        poll_interval=config["reader.poll_interval"], reconnect_interval=config["reader.reconnect_interval"],
        fingerprint=config["reader.read_fingerprint"], photo_decoder=decoder,
        max_reconnect_interval=config["reader.max_reconnect_interval"], loss_grace=config["reader.loss_grace_seconds"],
    )


def make_reader(config: Config, *, trace: Trace | None = None) -> CardReader:
    """The configured reader, not yet started. The simulator stays the default."""
    driver = config["reader.driver"]
    if driver == "sim":
        from devices.simulated_reader import SimulatedReader

        return SimulatedReader(read_delay=0.3)
    if driver == "sam":
        from devices.sam_reader import SamReader

        return SamReader(sam_settings(config), trace=trace)
    if driver == "sam-emulator":
        from devices.sam_emulator import SamEmulatorReader
        from devices.sam_reader import SamReader

        settings = sam_settings(config)
        return SamEmulatorReader(lambda path: SamReader(sam_settings(config, path), trace=trace),
                                 baud=settings.baud)
    if driver == "pcsc":
        from devices.pcsc_reader import PcscReader

        return PcscReader(name_filter=config["reader.pcsc_reader_filter"],
                          poll_interval=config["reader.poll_interval"],
                          reconnect_interval=config["reader.reconnect_interval"], trace=trace,
                          max_reconnect_interval=config["reader.max_reconnect_interval"],
                          loss_grace=config["reader.loss_grace_seconds"])
    raise ConfigError(f"'reader.driver = {driver}' is unknown.")

"""What `kiosk run` needs that the demo's defaults do not give: each missing production setting.

`kiosk run` is the production command. On the embedded defaults it would start the local
reference platform with its demo key and data, the simulated reader, camera, face check and
printers, and look healthy. It refuses instead and names every setting to set
(`kiosk demo` is the demo). Qt-free; reads only the resolved configuration.
"""

from __future__ import annotations

from typing import Any

DEMO_KIOSK_ID = "KIOSK-DEMO-001"


def missing_production_settings(config: Any) -> list[str]:
    """One plain line per setting that still has its demo value; empty when production-ready."""
    missing = []
    if not config["platform.url"]:
        missing.append("platform.url is empty: set the platform's https:// address "
                       "(empty starts the demo's local reference platform with its demo key and data)")
    if config["kiosk.id"] == DEMO_KIOSK_ID:
        missing.append(f"kiosk.id is the demo's {DEMO_KIOSK_ID!r}: set this terminal's own id")
    if config["reader.driver"] in ("sim", "sam-emulator"):
        missing.append(f"reader.driver is {config['reader.driver']!r} (a simulator): set \"sam\" or \"pcsc\"")
    if config["printer.driver"] == "pdf_folder":
        missing.append("printer.driver is \"pdf_folder\" (the demo writes PDFs to a folder): "
                       "set \"cups\" and printer.queue")
    elif not config["printer.queue"]:
        missing.append("printer.queue is empty: name the CUPS queue (`kiosk setup` creates it from "
                       "printer.device_uri and printer.model)")
    if config["receipt.driver"] == "sim":
        missing.append("receipt.driver is \"sim\" (text files): set the receipt printer's transport, or \"none\"")
    if config["face.enabled"]:
        if config["face.driver"] == "sim":
            missing.append("face.driver is \"sim\" (scripted outcomes): set \"dlib\", or face.enabled = false")
        if config["camera.driver"] == "sim":
            missing.append("camera.driver is \"sim\" (a replayed sample face): set \"opencv\" and camera.source, "
                           "or face.enabled = false")
    return missing

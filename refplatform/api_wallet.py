"""The citizen's app wallet (证照夹) on the reference platform: certificates sent there from a kiosk.

- ``POST /v1/certificates/{cert_id}/send-to-app``: with the session's grant (authorised like a
  download: the verified person's own certificates, a business they act for, or a delegation),
  the certificate goes to its holder's wallet. Kiosks offer it when a copy cannot be printed.
- An offline application (a transaction of kind "application", sent later by the kiosk's outbox)
  that names a certificate is fulfilled the same way once it arrives: the holder's certificates of
  that name go to the holder's wallet. The application came from an enrolled kiosk (signed request)
  after it verified the person; the certificate goes only to its own holder.

What the kiosk's receipt promises (kiosk/offline.py RECEIPT_LINES) is what happens here.
"""

from __future__ import annotations

from typing import Any

from kiosk.certificate_ids import HOLDER_TYPES
from refplatform.api import Platform, Reply, Request, _granted_cert, json_reply


def send_to_app(platform: Platform, req: Request) -> Reply:
    cert = _granted_cert(platform, req, "send_to_app")
    delivery = platform.store.deliver_to_wallet(cert, source="kiosk", kiosk_id=req.kiosk_id or "-")
    return json_reply(201, {"status": "sent", "delivery_id": delivery})


def fulfil_application(platform: Platform, payload: dict[str, Any], kiosk_id: str) -> int:
    """Send the certificates an arrived application asks for to the holder's wallet; how many went."""
    kind, code, name = payload.get("holder_type"), payload.get("holder_code"), payload.get("certificate_type")
    if not (kind in HOLDER_TYPES and isinstance(code, str) and 0 < len(code) <= 64
            and isinstance(name, str) and 0 < len(name) <= 64):
        return 0  # no certificate named (an older application): staff handle it by its tracking code
    sent = 0
    for cert in platform.store.certificates_of(kind, code):
        if cert["name"] == name:
            platform.store.deliver_to_wallet(cert, source="application", kiosk_id=kiosk_id or "-")
            sent += 1
    return sent

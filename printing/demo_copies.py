"""Demo only: certificate files for a local reference platform that does not serve them yet.

The bundled reference platform gained files and purpose-stamped copies in issue 4.
Until a given platform answers those calls, the *demo* (local reference platform
only, never a configured remote one) builds a sample file from the metadata so
the print path can be shown end to end. Delete once every reference platform
serves /files and stamped copies.
"""

from __future__ import annotations

import datetime as _dt
import secrets
from typing import Any

from kiosk.interfaces import Certificate, PlatformError, PlatformErrorKind, StampedCopy
from printing.sample_pdf import sample_certificate_pdf


class DemoFileFallback:
    """Wraps a PlatformClient; answers NOT_FOUND file calls with a sample file."""

    def __init__(self, platform: Any, base_url: str) -> None:
        self._platform = platform
        self._base_url = base_url.rstrip("/")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._platform, name)

    def download(self, cert: Certificate) -> bytes:
        try:
            return self._platform.download(cert)
        except PlatformError as exc:
            if exc.kind is not PlatformErrorKind.NOT_FOUND:
                raise
        return sample_certificate_pdf(cert)

    def stamped_copy(self, cert: Certificate, purpose: str, valid_days: int) -> StampedCopy:
        try:
            return self._platform.stamped_copy(cert, purpose, valid_days)
        except PlatformError as exc:
            if exc.kind is not PlatformErrorKind.NOT_FOUND:
                raise
        code = "DEMO-" + secrets.token_hex(4).upper()
        return StampedCopy(cert_id=cert.cert_id, pdf=sample_certificate_pdf(cert), verify_code=code,
                           verify_url=f"{self._base_url}/v1/verify/{code}", purpose=purpose,
                           expires=_dt.date.today() + _dt.timedelta(days=valid_days))

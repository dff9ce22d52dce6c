"""The platform's URL rule: https://, or http:// only to this machine (personal data never in clear text)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_platform_url(url: str) -> None:
    """ValueError unless url is https://..., or http:// to this machine (127.0.0.0/8, ::1, localhost)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise ValueError("is not a URL (https://host[:port])") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError("must start with https:// and name a host")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("must not hold a user, password, query or fragment")
    if parts.scheme == "http" and not is_loopback(host):
        raise ValueError("uses http:// to another machine: personal data would travel in clear text; use https://")

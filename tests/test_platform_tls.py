"""TLS to the platform: verification always on, a configurable CA bundle, optional client certificates."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.config import Config
from kiosk.interfaces import PlatformError, PlatformErrorKind
from refplatform.server import PlatformServer
from sync.enrolment import enrol_kiosk
from sync.platform_client import HttpPlatformClient, client_from_config
from tests.signed_requests import enrolled_client


def _issue(subject: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None, *, ca: bool = False,
           server: bool = False) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer[0].subject if issuer else name)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if server:
        loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
        builder = builder.add_extension(x509.SubjectAlternativeName([loopback]), critical=False)
    return builder.sign(issuer[1] if issuer else key, hashes.SHA256()), key


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> tuple[str, str]:
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, str]:
    ca = _issue("Test platform CA", None, ca=True)
    ca_cert, _ = _write(tmp_path / "ca", *ca)
    server_cert, server_key = _write(tmp_path / "server", *_issue("127.0.0.1", ca, server=True))
    client_cert, client_key = _write(tmp_path / "kiosk", *_issue("KIOSK-TLS", ca))
    return {"ca": ca_cert, "server_cert": server_cert, "server_key": server_key, "client_cert": client_cert,
            "client_key": client_key}


def _tls_server(pki: dict[str, str], *, mutual: bool) -> PlatformServer:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki["server_cert"], pki["server_key"])
    if mutual:
        context.load_verify_locations(pki["ca"])
        context.verify_mode = ssl.CERT_REQUIRED
    server = PlatformServer(ssl_context=context)
    server.start()
    return server


def test_tls_with_ca_bundle_and_without(pki: dict[str, str]) -> None:
    server = _tls_server(pki, mutual=False)
    try:
        assert server.url.startswith("https://127.0.0.1:")
        trusted = enrolled_client(server, "k", ca_bundle=pki["ca"], retries=0)
        assert trusted.ping() and trusted.catalog()
        trusted.close()
        system_cas = enrolled_client(server, "k2", retries=0)  # our CA is not a system CA
        with pytest.raises(PlatformError) as info:
            system_cas.catalog()
        assert (info.value.kind, info.value.detail) == (PlatformErrorKind.REFUSED, "tls")
        assert system_cas.session.verify is True
        system_cas.close()
    finally:
        server.stop()


def test_mutual_tls_from_config(pki: dict[str, str], tmp_path: Path) -> None:
    server = _tls_server(pki, mutual=True)
    try:
        config = Config().with_overrides(kiosk__state_dir=str(tmp_path / "state"), platform__ca_bundle=pki["ca"],
                                         platform__client_cert=pki["client_cert"],
                                         platform__client_key=pki["client_key"], platform__retries=0)
        client = client_from_config(server.url, config)  # not enrolled yet: no device key, unsigned
        assert client.ping()  # health is public: the TLS handshake with a client certificate is what counts
        with pytest.raises(PlatformError) as info:
            client.catalog()
        assert info.value.detail == "http_401_unsigned"
        client.close()
        enrol_kiosk(server.url, config, server.issue_enrolment_code(config["kiosk.id"]))  # over mutual TLS
        client = client_from_config(server.url, config)
        assert client.catalog()
        client.close()
        anonymous = HttpPlatformClient(server.url, kiosk_id="k", ca_bundle=pki["ca"], retries=0)
        assert not anonymous.ping()
        anonymous.close()
    finally:
        server.stop()

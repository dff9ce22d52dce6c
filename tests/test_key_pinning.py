"""The platform's file-signing keys are pinned to a trust anchor; key rollover (real HTTP)."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from devices.sim_people import SAMPLE_PEOPLE
from kiosk.config import SETTINGS, ConfigError, read_file
from kiosk.identity import HolderCodeType
from kiosk.interfaces import PlatformError, PlatformErrorKind
from refplatform import keys
from refplatform.server import PlatformServer
from sync.platform_client import HttpPlatformClient
from sync.trust_anchor import REFERENCE_ANCHOR, KeysRefused, check_keys_document, keys_message
from tests.signed_requests import GrantedClient


@pytest.fixture
def granted(client: HttpPlatformClient, grant) -> GrantedClient:  # noqa: ANN001
    return GrantedClient(client, grant)


def sm2_cert(client: GrantedClient):  # noqa: ANN201
    certs = client.search_certificates(SAMPLE_PEOPLE[0].number, HolderCodeType.RESIDENT_ID)
    return next(c for c in certs if c.identifier.split(".")[5] == "01001")  # household proof: SM2-signed


def test_anchor_of_the_reference_platform_is_the_default() -> None:
    public = keys.anchor().public_key().public_bytes_raw()
    assert base64.b64encode(public).decode() == REFERENCE_ANCHOR == SETTINGS["platform.trust_anchor"].default


def test_key_list_from_another_anchor_is_refused_and_old_keys_stay(granted: GrantedClient,
                                                                   server: PlatformServer) -> None:
    trusted = granted.public_keys()
    assert set(trusted) == {"sm2-2024", "p256-2024", "sm2-2019"}
    server.faults.signature = "foreign_anchor"  # an impostor platform publishes its own key list
    error = pytest.raises(PlatformError, granted.public_keys).value
    assert (error.kind, error.detail) == (PlatformErrorKind.BAD_SIGNATURE, "keys_not_anchored")
    assert granted.public_keys(refresh=False) == trusted


def test_pinned_key_mismatch_blocks_a_rolled_key(granted: GrantedClient, server: PlatformServer) -> None:
    cert = sm2_cert(granted)
    assert granted.download(cert).startswith(b"%PDF-")
    server.platform.roll_keys()
    server.faults.signature = "foreign_anchor"  # the new key comes in a list the anchor did not sign
    error = pytest.raises(PlatformError, granted.download, cert).value
    assert (error.kind, error.detail) == (PlatformErrorKind.BAD_SIGNATURE, "unknown_key")
    assert "sm2-2026" not in granted.public_keys(refresh=False)


def test_key_rollover_is_learned_from_a_signed_list(granted: GrantedClient, server: PlatformServer) -> None:
    cert = sm2_cert(granted)
    granted.download(cert)
    server.platform.roll_keys()
    assert granted.download(cert).startswith(b"%PDF-")  # signed by sm2-2026: the kiosk fetched the new list
    assert {"sm2-2026", "sm2-2024"} <= set(granted.public_keys(refresh=False))
    copy = granted.stamped_copy(cert, "办理入学", 30)
    assert copy.pdf.startswith(b"%PDF-")


def test_key_document_checks() -> None:
    import datetime as dt

    doc = keys.signed_keys(keys.PUBLISHED, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    anchor = keys.anchor().public_key()
    assert check_keys_document(doc, anchor) == doc["keys"]
    added = dict(doc, keys=[*doc["keys"], dict(doc["keys"][0], key_id="rogue")])
    for bad, reason in ((dict(doc, signature=None), "keys_unsigned"), (added, "keys_not_anchored"),
                        (dict(doc, signature="!!"), "keys_not_anchored"), ({"keys": 5}, "keys"), ([], "keys")):
        with pytest.raises(KeysRefused, match=reason):
            check_keys_document(bad, anchor)
    assert keys_message([{"b": 1, "a": "证"}]) == 'kiosk-keys/1\n[{"a":"证","b":1}]'.encode()


@pytest.mark.parametrize("value", ["", "abc", "A" * 44, "3TFKTDvCB5ArQW7TAPJbJ8je80irMcRQrDbV1AuzzC4"])
def test_bad_trust_anchor_is_a_config_error(tmp_path: Path, value: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[platform]\ntrust_anchor = "{value}"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'platform.trust_anchor'"):
        read_file(path)


def test_client_refuses_a_malformed_anchor() -> None:
    with pytest.raises(ValueError):
        HttpPlatformClient("http://127.0.0.1:9", kiosk_id="k", trust_anchor="AAAA")

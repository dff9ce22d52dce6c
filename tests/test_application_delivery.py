"""An offline application reaches the platform with what was asked for, and the platform fulfils it.

GIVEN the real encrypted outbox, the real sync delivery and HTTP client, and the reference platform
on 127.0.0.1 that is down when the citizen applies,
WHEN the platform comes back and the outbox is delivered,
THEN the platform holds the application with the certificate type and purpose, and the certificate
is in the holder's app wallet: what the receipt promised (kiosk/offline.py).
"""

from __future__ import annotations

import time
from pathlib import Path

from devices.sim_people import SAMPLE_PEOPLE
from kiosk.identity import HolderCodeType
from kiosk.journey import QueueApplication
from kiosk.offline import queue_application
from sync.engine import sync_once
from sync.store import ManagedOutbox

PERSON = SAMPLE_PEOPLE[0]


class _Journey:
    def __init__(self) -> None:
        self.code = ""

    def application_queued(self, ticket: int, code: str, refusal: str = "") -> None:
        self.code = code


def test_application_waits_offline_then_is_fulfilled(tmp_path: Path, server, client) -> None:
    outbox = ManagedOutbox(tmp_path / "outbox.db")
    journey = _Journey()
    effect = QueueApplication(1, "personal_certs", PERSON.number, HolderCodeType.RESIDENT_ID, PERSON.name, "face",
                              "cert_type_household", "purpose_school")
    queue_application(outbox, effect, "kiosk-test")(journey)
    assert journey.code
    server.faults.offline = True  # the platform is away: nothing goes, nothing is lost
    sent, failed = sync_once(outbox, client)
    assert sent == 0 and outbox.has_waiting("application")
    server.faults.offline = False
    sent, failed = sync_once(outbox, client, now=time.time() + 3600)  # past the row's backoff
    assert sent >= 1 and failed == 0
    (app,) = [r["payload"] for r in server.received() if r["kind"] == "application"]
    assert app["certificate_type"] == "户籍证明" and app["purpose"] == "办理入学"
    assert app["tracking_code"] == journey.code and app["holder_code"] == PERSON.number
    wallet = server.store.wallet_of("resident_id", PERSON.number)
    names = {server.store.certificate(w["cert_id"])["name"] for w in wallet}
    assert names == {"户籍证明"} and {w["source"] for w in wallet} == {"application"}
    outbox.close()


def test_an_application_without_a_certificate_is_kept_not_fulfilled(tmp_path: Path, server, client) -> None:
    """An application queued before this change (no certificate named) is stored for staff, not guessed at."""
    outbox = ManagedOutbox(tmp_path / "outbox.db")
    effect = QueueApplication(1, "personal_certs", PERSON.number, HolderCodeType.RESIDENT_ID, PERSON.name, "face")
    queue_application(outbox, effect, "kiosk-test")(_Journey())
    assert sync_once(outbox, client) == (1, 0)
    assert [r["kind"] for r in server.received()] == ["application"]
    assert server.store.wallet_of("resident_id", PERSON.number) == []
    outbox.close()


def test_send_to_app_needs_the_citizens_grant(server, client, grant) -> None:
    """Authorised like the other citizen calls: with the grant it goes to the holder's wallet; without, refused."""
    import pytest

    from kiosk.interfaces import PlatformError

    cert = client.search_certificates("", HolderCodeType.RESIDENT_ID, grant=grant)[0]
    delivery = client.send_to_app(cert, grant=grant)
    assert delivery.startswith("w-")
    assert [w["cert_id"] for w in server.store.wallet_of("resident_id", PERSON.number)] == [cert.cert_id]
    with pytest.raises(PlatformError):
        client.send_to_app(cert, grant=None)
    other = SAMPLE_PEOPLE[2]
    stranger = client.open_grant(other.number, HolderCodeType.RESIDENT_ID, method="face", liveness=True)
    with pytest.raises(PlatformError) as refused:
        client.send_to_app(cert, grant=stranger)  # someone else's certificate
    assert refused.value.kind.value in ("not_authorised", "refused")
    assert len(server.store.wallet_of("resident_id", PERSON.number)) == 1


def test_garbage_applications_are_stored_never_fulfilled_or_crashing() -> None:
    """Whatever a kiosk sends as an application, the platform neither crashes nor sends anything wrongly."""
    from hypothesis import given
    from hypothesis import strategies as st

    from refplatform.api import Platform
    from refplatform.api_wallet import fulfil_application
    from refplatform.seed import CERTIFICATES
    from refplatform.store import Store

    store = Store(None)
    store.seed(CERTIFICATES)
    platform = Platform(store=store, public_url=lambda: "https://x", signature_fault=lambda: None)
    values = st.one_of(st.none(), st.integers(), st.text(max_size=80), st.lists(st.text(max_size=5), max_size=3),
                       st.just(PERSON.number), st.just("resident_id"), st.just("户籍证明"))

    @given(st.dictionaries(st.sampled_from(["holder_type", "holder_code", "certificate_type", "purpose", "x"]),
                           values, max_size=5))
    def check(payload: dict) -> None:
        before = len(store.wallet_of("resident_id", PERSON.number))
        sent = fulfil_application(platform, payload, "kiosk-test")
        after = len(store.wallet_of("resident_id", PERSON.number))
        assert after - before == sent
        if sent:  # only the named certificate of the named holder, never anyone else's
            assert payload["holder_code"] == PERSON.number and payload["certificate_type"] == "户籍证明"

    check()

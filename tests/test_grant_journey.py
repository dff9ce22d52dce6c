"""The journey with the real platform client over HTTP: grants, acting for others, start again, out of service."""

from __future__ import annotations

import time

import pytest

from devices.sim_people import SAMPLE_BUSINESSES, SAMPLE_PEOPLE
from kiosk.grant_keeper import GrantKeeper
from kiosk.interfaces import FaceOutcome, PlatformError, PlatformErrorKind
from kiosk.journey import Screen
from refplatform.grants import IDLE_SECONDS
from refplatform.server import PlatformServer
from sync.platform_client import HttpPlatformClient
from tests.journey_driver import Harness


@pytest.fixture
def h(client: HttpPlatformClient) -> Harness:
    harness = Harness()
    harness.services.platform = client
    harness.services.grants = GrantKeeper(client)
    return harness


def verify(h: Harness, person: int, *, granted: bool = True) -> None:
    h.journey.start()
    h.journey.card_presented(SAMPLE_PEOPLE[person])
    if h.journey.screen is Screen.ASSIST_OFFER:
        h.journey.accept_assist(False)
    h.journey.face_consent(True)
    assert h.journey.screen is Screen.SERVICE_MENU or not granted


def test_session_gets_a_grant_uses_it_and_revokes_it_at_the_end(h: Harness, server: PlatformServer) -> None:
    verify(h, 0)
    session = h.journey.session
    assert session.session_id.startswith("g-")
    h.journey.choose_service("personal_certs")
    assert h.journey.screen is Screen.WHO_FOR  # 李秀英 delegated to him: 为谁办理
    h.journey.choose_for_whom("")
    assert h.journey.screen is Screen.CERT_LIST
    assert {c.holder_code for c in session.certificates} == {SAMPLE_PEOPLE[0].number}
    h.journey.select_certificate(session.certificates[0].cert_id)
    h.journey.confirm_preview()
    h.journey.choose_purpose("purpose_school")
    assert h.journey.screen is Screen.PRINT_DONE
    h.journey.finish()
    h.journey.rate(5)
    rating = next(p for k, p in h.outbox.rows if k == "rating")
    assert rating["session_id"] == session.session_id
    h.journey.end_session("done")
    h.services.end_session(session.ticket)
    grant_id = session.session_id
    assert any(u["grant_id"] == grant_id and u["action"] == "stamped_copy" for u in server.grants.uses())
    with pytest.raises(PlatformError):  # revoked on the platform: nothing more with it
        h.services.platform.search_certificates("", SAMPLE_PEOPLE[0].holder_code_type,
                                                grant=h.services.grants.grant(session.ticket) or _revoked(h))


def _revoked(h: Harness):  # noqa: ANN202 - the grant the keeper already forgot
    raise PlatformError(PlatformErrorKind.GRANT_EXPIRED, "forgotten")


def test_acting_for_a_delegator(h: Harness, server: PlatformServer) -> None:
    verify(h, 0)
    h.journey.choose_service("personal_certs")
    assert [d.delegator_masked for d in h.journey.session.delegations] == ["李*英"]
    h.journey.choose_for_whom("dlg-li-to-zhang")
    assert h.journey.screen is Screen.CERT_LIST
    assert {c.holder_code for c in h.journey.session.certificates} == {SAMPLE_PEOPLE[2].number}
    assert len(h.journey.session.certificates) == 2  # only what the delegation covers


def test_business_is_chosen_not_typed_and_a_typed_stranger_is_refused(h: Harness) -> None:
    verify(h, 6)  # 巴特尔, legal representative of 杭州示例科技
    h.journey.choose_service("business_certs")
    assert h.journey.screen is Screen.BUSINESS_CHOICE
    h.journey.choose_business(SAMPLE_BUSINESSES[0]["uscc"])
    assert h.journey.screen is Screen.CERT_LIST and h.journey.session.certificates
    h.journey.back()
    h.journey.choose_service("business_certs")
    h.journey.choose_business("")  # type another
    h.journey.enter_uscc(SAMPLE_BUSINESSES[1]["uscc"])  # 北京示例餐饮: not his
    assert h.journey.screen is Screen.NOTICE and h.journey.session.message == "platform_not_authorised"


def test_expired_grant_mid_session_says_start_again_and_wipes(h: Harness, server: PlatformServer) -> None:
    verify(h, 1)
    h.journey.choose_service("personal_certs")
    assert h.journey.screen is Screen.CERT_LIST
    session = h.journey.session
    h.journey.back()
    server.grants.clock = lambda: time.time() + IDLE_SECONDS + 5  # the citizen left it idle on the platform
    h.journey.choose_service("personal_certs")
    assert h.journey.screen is Screen.START_AGAIN and session.message == "platform_grant_expired"
    assert session.document is None and session.certificates == [] and session.holder_code == ""
    h.journey.finish()
    assert h.journey.session is None
    h.journey.card_removed()
    assert h.journey.screen is Screen.ATTRACT
    assert not any(k == "rating" for k, _ in h.outbox.rows)


def test_revoked_kiosk_takes_no_new_sessions(h: Harness, server: PlatformServer) -> None:
    server.revoke_kiosk("kiosk-test")
    verify(h, 0, granted=False)  # the grant request is refused: the kiosk goes out of service
    assert h.journey.session is None
    h.journey.card_removed()
    assert h.journey.screen is Screen.OUT_OF_SERVICE
    assert h.journey.out_of_service_reason() == "platform_kiosk_revoked"
    h.journey.start()
    h.journey.card_presented(SAMPLE_PEOPLE[1])
    assert h.journey.screen is Screen.OUT_OF_SERVICE and h.journey.session is None


def test_staff_checked_session_gets_a_staff_grant(h: Harness, server: PlatformServer) -> None:
    from kiosk.staff import SignInResult

    h.journey.start()
    h.journey.card_presented(SAMPLE_PEOPLE[1])
    h.face.script.append(FaceOutcome(False, True, 0.9, "face_photo_unavailable"))
    h.journey.face_consent(True)
    h.journey.face_consent(False)
    assert h.journey.screen is Screen.STAFF_CHECK
    h.journey.staff_check_finished(h.journey.ticket, SignInResult(True, "", "st-0123456789ab", ("helper",)))
    assert h.journey.screen is Screen.SERVICE_MENU and h.journey.session.session_id.startswith("g-")
    row = server.store.atomic(lambda db: db.execute("SELECT method, staff_id, liveness FROM grants").fetchall())
    assert row == [("staff", "st-0123456789ab", 0)]

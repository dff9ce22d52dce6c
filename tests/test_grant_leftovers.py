"""Grants a killed session left open (kiosk/grant_ledger.py) against the real reference platform.

The grant keeper notes each open grant's public id; a "killed" process is one whose keeper is
dropped without ending its session. The next process revokes what it finds: directly (a signed
grant_revoke transaction), or through the real outbox and sync engine when the platform is away,
and the platform then refuses the old token. The full process version (a real `kiosk demo` killed
mid-session, over TLS) is tests/test_grant_restart.py.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from devices.sim_people import SAMPLE_PEOPLE
from kiosk.grant_keeper import GrantKeeper
from kiosk.grant_ledger import LEDGER_FILE, GrantLedger, revoke_leftovers, valid_ids
from kiosk.identity import HolderCodeType
from kiosk.journey_grants import OpenGrant
from sync.engine import SyncEngine, SyncPolicy
from sync.outbox import SqliteOutbox
from tests.signed_requests import TEST_KEY, KioskAuth, enrol, enrolled_client

PERSON = SAMPLE_PEOPLE[0]


def search_status(server, token: str, kiosk_id: str = "kiosk-test", key=TEST_KEY) -> tuple[int, str]:  # noqa: ANN001
    """What the platform answers a search with this grant token: (status, problem type)."""
    resp = requests.post(server.url + "/v1/certificates/search", json={},
                         auth=KioskAuth(kiosk_id, key, grant=token), timeout=5)
    kind = resp.json().get("type", "") if resp.status_code >= 400 else ""
    return resp.status_code, kind


def open_session(keeper: GrantKeeper, ticket: int = 1) -> str:
    info = keeper.open(OpenGrant(ticket, PERSON.number, HolderCodeType.RESIDENT_ID, "face", True))
    return info.grant_id


def token_of(keeper: GrantKeeper, ticket: int = 1) -> str:
    grant = keeper.grant(ticket)
    assert grant is not None
    return grant.token


@pytest.fixture
def outbox(tmp_path: Path):
    box = SqliteOutbox(tmp_path / "outbox.db")
    yield box
    box.close()


def test_a_killed_sessions_grant_is_revoked_at_the_next_start(tmp_path: Path, server, client) -> None:
    keeper = GrantKeeper(client, ledger=GrantLedger(tmp_path, kiosk_id="kiosk-test"))
    grant_id = open_session(keeper)
    token = token_of(keeper)
    assert search_status(server, token)[0] == 200
    text = (tmp_path / LEDGER_FILE).read_text()
    assert json.loads(text) == {"open": [grant_id]}
    assert token not in text and PERSON.number not in text and PERSON.name not in text  # the id only
    assert stat.S_IMODE(os.stat(tmp_path / LEDGER_FILE).st_mode) == 0o600
    del keeper  # the process is killed: its session never ends

    ledger = GrantLedger(tmp_path, kiosk_id="kiosk-test")  # the next process
    assert ledger.leftovers() == [grant_id]
    report = revoke_leftovers(ledger, client)
    assert (report.revoked, report.queued, report.kept) == (1, 0, 0)
    status, kind = search_status(server, token)
    assert status == 401 and kind.endswith("/grant-revoked")
    assert not (tmp_path / LEDGER_FILE).exists() and ledger.leftovers() == []
    assert revoke_leftovers(ledger, client).any is False  # nothing left for a later start


def test_offline_at_restart_the_outbox_revokes_exactly_once_later(tmp_path: Path, server, client, outbox) -> None:
    keeper = GrantKeeper(client, ledger=GrantLedger(tmp_path, kiosk_id="kiosk-test"))
    grant_id = open_session(keeper)
    token = token_of(keeper)
    del keeper

    server.faults.offline = True  # the platform cannot be reached when the kiosk comes back
    ledger = GrantLedger(tmp_path, outbox, "kiosk-test")
    offline = enrolled_client(server, connect_timeout=0.5, read_timeout=0.5, retries=0)
    report = revoke_leftovers(ledger, offline)
    assert (report.revoked, report.queued) == (0, 1)
    assert ledger.leftovers() == []  # handed to the outbox: a later start does not send it again
    assert outbox.counts().get("pending") == 1
    row = outbox.take(1)[0]
    assert row.kind == "grant_revoke" and row.payload["grant_id"] == grant_id
    outbox.release([row.key])

    engine = SyncEngine(outbox, offline, SyncPolicy(jitter=False))
    assert engine.drain().sent == 0  # still away: kept, not lost
    server.faults.offline = False
    assert server.grants.revoked_at(grant_id) is None  # still live until the outbox delivers
    retry = [r["idempotency_key"] for r in outbox.list_rows("pending")]
    outbox.settle(failed=[(k, "retry now", 0.0, False) for k in retry])  # due now, not after its backoff
    assert SyncEngine(outbox, client, SyncPolicy(jitter=False)).drain().sent == 1
    revoked_at = server.grants.revoked_at(grant_id)
    assert revoked_at is not None
    assert search_status(server, token)[1].endswith("grant-revoked")
    assert SyncEngine(outbox, client, SyncPolicy(jitter=False)).drain().sent == 0  # exactly once
    sent = [t for t in server.received() if t["kind"] == "grant_revoke"]
    assert len(sent) == 1 and sent[0]["payload"]["grant_id"] == grant_id
    assert set(sent[0]["payload"]) <= {"grant_id", "reason", "kiosk_id", "at"}  # nothing personal

    # A repeat (a process killed after queueing, before noting it) changes nothing on the platform.
    GrantLedger(tmp_path, outbox, "kiosk-test").queue(grant_id, "killed_session")
    SyncEngine(outbox, client, SyncPolicy(jitter=False)).drain()
    assert server.grants.revoked_at(grant_id) == revoked_at


def test_a_session_end_while_offline_goes_through_the_outbox(tmp_path: Path, server, client, outbox) -> None:
    keeper = GrantKeeper(client, ledger=GrantLedger(tmp_path, outbox, "kiosk-test"))
    grant_id = open_session(keeper)
    token = token_of(keeper)
    server.faults.offline = True
    keeper.end(1)  # the revocation at session end finds the platform away
    server.faults.offline = False
    assert not (tmp_path / LEDGER_FILE).exists()  # handed over, not left for a restart
    assert search_status(server, token)[0] == 200  # not revoked yet ...
    assert SyncEngine(outbox, client, SyncPolicy(jitter=False)).drain().sent == 1
    assert search_status(server, token)[1].endswith("grant-revoked")  # ... until the outbox is delivered
    assert server.grants.revoked_at(grant_id) is not None


def test_a_normal_session_end_leaves_nothing_to_revoke(tmp_path: Path, server, client) -> None:
    keeper = GrantKeeper(client, ledger=GrantLedger(tmp_path, kiosk_id="kiosk-test"))
    open_session(keeper)
    token = token_of(keeper)
    keeper.end(1)
    assert search_status(server, token)[1].endswith("grant-revoked")
    assert not (tmp_path / LEDGER_FILE).exists()


def test_a_process_never_revokes_its_own_open_grants_as_leftovers(tmp_path: Path, server, client) -> None:
    ledger = GrantLedger(tmp_path, kiosk_id="kiosk-test")
    keeper = GrantKeeper(client, ledger=ledger)
    open_session(keeper)
    assert ledger.leftovers() == []
    assert revoke_leftovers(ledger, client).any is False
    assert search_status(server, token_of(keeper))[0] == 200


def test_the_platform_revokes_only_its_own_kiosks_grants(tmp_path: Path, server, client) -> None:
    keeper = GrantKeeper(client)
    grant_id = open_session(keeper)
    other_key = enrol(server, "kiosk-other")
    other = enrolled_client(server, "kiosk-other", other_key, retries=0)
    (tmp_path / LEDGER_FILE).write_text(json.dumps({"open": [grant_id]}))
    report = revoke_leftovers(GrantLedger(tmp_path, kiosk_id="kiosk-other"), other)
    assert (report.revoked, report.refused) == (0, 1)  # 403: not that kiosk's grant
    assert search_status(server, token_of(keeper))[0] == 200  # still live
    assert not (tmp_path / LEDGER_FILE).exists()  # nothing more to try
    answers = other.submit_batch([("k-bad-1", "grant_revoke", {"grant_id": "not a grant"}),
                                  ("k-bad-2", "grant_revoke", {"grant_id": grant_id})])
    assert answers == {"k-bad-1": "rejected", "k-bad-2": "rejected"}
    other.close()


@given(st.binary(max_size=300))
def test_a_garbled_or_cut_ledger_is_read_plainly(raw: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / LEDGER_FILE
        path.write_bytes(raw)
        ledger = GrantLedger(Path(folder))
        ids = ledger.leftovers()
        assert all(i.startswith("g-") for i in ids)
        if path.exists():  # tidied: what it still holds is clean JSON now
            assert json.loads(path.read_text()) == {"open": ids}
        ledger.opened("g-" + "a" * 24)  # and it is rewritten cleanly
        assert json.loads(path.read_text())["open"][-1] == "g-" + "a" * 24


def test_garbage_around_valid_ids_loses_none_of_them(tmp_path: Path) -> None:
    good = ["g-" + "1" * 24, "g-" + "2" * 24]
    (tmp_path / LEDGER_FILE).write_text(json.dumps({"open": [good[0], 7, "rm -rf /", None, good[1], good[0]],
                                                    "extra": "x"}))
    ledger = GrantLedger(tmp_path)
    assert ledger.leftovers() == good and ledger.damaged
    assert json.loads((tmp_path / LEDGER_FILE).read_text()) == {"open": good}


@given(st.integers(min_value=0, max_value=60))
def test_a_ledger_cut_off_mid_write_loses_no_start(cut: int) -> None:
    import tempfile

    full = json.dumps({"open": ["g-" + "1" * 24, "g-" + "2" * 24]}).encode()
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / LEDGER_FILE).write_bytes(full[:cut])
        ids = GrantLedger(Path(folder)).leftovers()
        whole = [i for i in ("g-" + "1" * 24, "g-" + "2" * 24) if f'"{i}"'.encode() in full[:cut]]
        assert ids == whole  # every id written whole before the cut is kept


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=40),
                    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
                    max_leaves=20))
def test_valid_ids_takes_only_grant_ids(value: object) -> None:
    ids = valid_ids({"open": value} if not isinstance(value, dict) else value)
    assert all(isinstance(i, str) and i.startswith("g-") for i in ids)


def test_an_unwritable_ledger_never_stops_a_session(tmp_path: Path, server, client) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the state folder should be")
    keeper = GrantKeeper(client, ledger=GrantLedger(blocked, kiosk_id="kiosk-test"))
    open_session(keeper)  # noted nowhere, logged; the citizen goes on
    assert search_status(server, token_of(keeper))[0] == 200
    keeper.end(1)
    assert revoke_leftovers(GrantLedger(blocked), client).any is False

"""Offline work: the platform is away, the citizen leaves an application and takes a receipt."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from devices.sim_people import SAMPLE_PEOPLE
from kiosk.interfaces import PlatformError, PlatformErrorKind, PrinterState
from kiosk.journey import Screen
from kiosk.journey_view import build_view
from kiosk.offline import is_tracking_code, new_tracking_code
from printing.receipt_sim import SimulatedReceiptPrinter, render_text
from sync.outbox import OutboxWriteError, SqliteOutbox
from sync.store import ManagedOutbox, OfflineLimits
from tests.journey_driver import Harness

PERSON = SAMPLE_PEOPLE[0]


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    h = Harness(face_enabled=False)
    h.services.outbox = ManagedOutbox(tmp_path / "outbox.db", limits=OfflineLimits(max_items=3))
    h.services.receipts = SimulatedReceiptPrinter(tmp_path / "receipts")
    return h


def _card(h: Harness) -> None:
    h.journey.card_presented(PERSON)


def _queue(h: Harness, cert_type: str = "cert_type_household", purpose: str = "purpose_school") -> None:
    """Leave an application: which certificate, what for (the search found the platform away)."""
    h.journey.queue_offline()
    assert h.journey.screen is Screen.QUEUE_CHOICE and build_view(h.journey)["queueStep"] == "certificate"
    h.journey.choose_queue_item(cert_type)
    h.journey.choose_queue_item(purpose)


def test_tracking_codes() -> None:
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(is_tracking_code(c) for c in codes)
    code = next(iter(codes))
    assert not is_tracking_code(code[:-1] + ("2" if code[-1] != "2" else "3"))


def test_offline_application_and_receipt(harness: Harness, tmp_path: Path) -> None:
    h = harness
    h.platform.error = PlatformError(PlatformErrorKind.OFFLINE, "connection")
    _card(h)
    h.journey.choose_service("personal_certs")
    assert h.journey.screen is Screen.NOTICE and build_view(h.journey)["canQueueOffline"] is True
    _queue(h)
    view = build_view(h.journey)
    assert h.journey.screen is Screen.QUEUED and is_tracking_code(view["trackingCode"])
    assert view["receipt"] == "printed"
    (receipt,) = h.services.receipts.receipts
    assert receipt.tracking_code == view["trackingCode"] and receipt.kind == "offline_application"
    text = render_text(receipt)
    assert PERSON.name not in text and PERSON.number not in text and "*" in receipt.holder_code_masked
    assert "联网后自动提交" in text and "12345" in text and "证照夹" in text
    assert "无需再来" not in text  # not true: a paper copy still needs a visit
    assert "户籍证明" in text and "办理入学" in text  # what was asked for
    (row,) = h.services.outbox.take(5)
    assert row.kind == "application" and row.payload["holder_code"] == PERSON.number
    assert row.payload["tracking_code"] == view["trackingCode"] and row.payload["kiosk_id"] == "KIOSK-TEST"
    assert row.payload["certificate_type"] == "户籍证明" and row.payload["purpose"] == "办理入学"
    assert PERSON.number.encode() not in (tmp_path / "outbox.db").read_bytes()
    h.journey.finish()
    assert h.journey.screen is Screen.RATING


def test_receipt_printer_out_of_paper_still_keeps_the_application(harness: Harness) -> None:
    h = harness
    h.services.receipts.state_value = PrinterState.OUT_OF_PAPER
    h.platform.error = PlatformError(PlatformErrorKind.TIMEOUT, "timeout")
    _card(h)
    h.journey.choose_service("personal_certs")
    _queue(h)
    assert build_view(h.journey)["receipt"] == "failed" and h.services.outbox.backlog()[0] == 1


def test_not_offered_for_refusals(harness: Harness) -> None:
    h = harness
    h.platform.error = PlatformError(PlatformErrorKind.REFUSED, "http_422")
    _card(h)
    h.journey.choose_service("personal_certs")
    assert build_view(h.journey)["canQueueOffline"] is False
    h.journey.queue_offline()
    assert h.journey.screen is Screen.NOTICE


def test_limit_reached_refuses_and_alerts(harness: Harness) -> None:
    h = harness
    for _ in range(3):
        h.services.outbox.enqueue("application", {"tracking_code": "x"})
    h.platform.error = PlatformError(PlatformErrorKind.OFFLINE, "connection")
    _card(h)
    h.journey.choose_service("personal_certs")
    _queue(h)
    assert h.journey.screen is Screen.NOTICE and h.journey.session.message == "offline_limit_items"
    assert build_view(h.journey)["canQueueOffline"] is False
    beats = [r for r in h.services.outbox.take(10) if r.kind == "heartbeat"]
    assert beats and beats[0].payload["limits_reached"] == ["max_items"] and beats[0].payload["kiosk_id"]


def test_disk_full_refuses_with_nothing_half_written(tmp_path: Path) -> None:
    h = Harness(face_enabled=False)
    path = tmp_path / "full.db"
    SqliteOutbox(path).close()
    pages = sqlite3.connect(path).execute("PRAGMA page_count").fetchone()[0]
    h.services.outbox = box = ManagedOutbox(path, max_page_count=pages + 4)
    h.services.receipts = SimulatedReceiptPrinter()
    for size in (1500, 300, 60, 1):  # fill every last byte
        with pytest.raises(OutboxWriteError):
            for _ in range(1000):
                box.enqueue("note", {"filler": "x" * size})
    before = box.counts()
    h.platform.error = PlatformError(PlatformErrorKind.OFFLINE, "connection")
    _card(h)
    h.journey.choose_service("personal_certs")
    _queue(h)
    # The full disk was seen by the earlier writes: the kiosk refuses before trying.
    assert h.journey.screen is Screen.NOTICE and h.journey.session.message == "offline_limit_disk"
    assert box.counts() == before and not box.has_waiting("application")
    assert h.services.receipts.receipts == []  # no receipt for something not stored
    assert box._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

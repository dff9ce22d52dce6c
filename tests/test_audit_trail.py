"""The chained audit trail: written entries verify; edits, removals, reordering and a cut tail
are caught by `kiosk audit verify`; rotation and retention keep the chain; a full disk holds
entries back instead of losing them."""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.audit_log import ANCHOR, AuditLog, AuditWriteError, verify
from kiosk.audit_trail import AuditTrail, JourneyAuditor
from kiosk.cli import main


def _cli(capsys, directory: Path, *args: str) -> tuple[int, str]:
    code = main(["audit", *args, "--dir", str(directory)])
    return code, capsys.readouterr().out


def _filled(directory: Path, count: int = 6) -> AuditLog:
    log = AuditLog(directory, sync=False)
    for i in range(count):
        log.append("print", session=f"s-{i:04x}", ok=True)
    return log


def _lines(directory: Path) -> list[bytes]:
    return (directory / "audit.jsonl").read_bytes().splitlines(keepends=True)


def test_written_trail_verifies(tmp_path: Path, capsys) -> None:
    _filled(tmp_path)
    code, out = _cli(capsys, tmp_path, "verify")
    assert code == 0 and "OK      6 entries, seq 1..6" in out


def test_edited_line_is_found(tmp_path: Path, capsys) -> None:
    _filled(tmp_path)
    lines = _lines(tmp_path)
    lines[2] = lines[2].replace(b'"ok":true', b'"ok":false')
    (tmp_path / "audit.jsonl").write_bytes(b"".join(lines))
    code, out = _cli(capsys, tmp_path, "verify")
    assert code == 1 and "seq 3): the entry was changed" in out


def test_deleted_line_is_found(tmp_path: Path, capsys) -> None:
    _filled(tmp_path)
    lines = _lines(tmp_path)
    del lines[3]
    (tmp_path / "audit.jsonl").write_bytes(b"".join(lines))
    code, out = _cli(capsys, tmp_path, "verify")
    assert code == 1 and "entries 4..4 are missing" in out


def test_reordered_lines_are_found(tmp_path: Path, capsys) -> None:
    _filled(tmp_path)
    lines = _lines(tmp_path)
    lines[1], lines[2] = lines[2], lines[1]
    (tmp_path / "audit.jsonl").write_bytes(b"".join(lines))
    code, out = _cli(capsys, tmp_path, "verify")
    assert code == 1 and "out of order" in out


def test_cut_file_is_found(tmp_path: Path, capsys) -> None:
    _filled(tmp_path)
    raw = (tmp_path / "audit.jsonl").read_bytes()
    (tmp_path / "audit.jsonl").write_bytes(raw[: len(raw) - 40])  # mid-entry
    code, out = _cli(capsys, tmp_path, "verify")
    assert code == 1 and "cut-off entry (truncated tail)" in out and "trail was cut" in out


def test_whole_last_lines_removed_are_found(tmp_path: Path, capsys) -> None:
    _filled(tmp_path)
    lines = _lines(tmp_path)
    (tmp_path / "audit.jsonl").write_bytes(b"".join(lines[:-2]))
    code, out = _cli(capsys, tmp_path, "verify")
    assert code == 1 and "the last 2 entries (up to seq 6) are missing" in out


def test_writing_goes_on_after_a_crash_cut_line(tmp_path: Path) -> None:
    """A crash mid-write leaves half a line: the next entry starts on its own line; verify names the damage."""
    log = _filled(tmp_path, 3)
    with open(tmp_path / "audit.jsonl", "ab") as f:
        f.write(b'{"seq":4,"at":"20')
    log.append("session_start", session="s-1")
    result = verify(tmp_path)
    assert len(result.problems) == 1 and "not a readable entry" in result.problems[0]
    assert result.last_seq == 4


def test_rotation_and_retention_keep_the_chain(tmp_path: Path) -> None:
    now = [_dt.datetime(2026, 1, 1, tzinfo=_dt.UTC)]
    log = AuditLog(tmp_path, max_bytes=600, retention_days=183, clock=lambda: now[0], sync=False)
    for i in range(30):
        now[0] += _dt.timedelta(days=10)
        log.append("maintenance", staff="st-1", action=f"self_test_{i}")
    rotated = sorted(tmp_path.glob("audit-*.jsonl"))
    assert rotated, "the live file rotated"
    assert (tmp_path / ANCHOR).exists(), "files older than the retention were removed, the anchor kept"
    oldest_kept = json.loads(rotated[0].read_text().splitlines()[-1])["at"]
    assert (now[0] - _dt.datetime.fromisoformat(oldest_kept)).days >= 183 - 10  # six months are still there
    result = verify(tmp_path)
    assert result.ok, result.problems
    assert result.last_seq == 30 and result.first_seq > 1
    # a restarted kiosk continues the chain
    AuditLog(tmp_path, retention_days=183, clock=lambda: now[0], sync=False).append("restart")
    assert verify(tmp_path).ok


def test_retention_below_six_months_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        AuditLog(tmp_path, retention_days=90)
    from kiosk.config import Config, ConfigError
    with pytest.raises(ConfigError, match="183"):
        Config({"audit.retention_days": 30})


def test_full_disk_holds_entries_back_and_writes_them_later(tmp_path: Path) -> None:
    """/dev/full refuses every write with ENOSPC, as a full disk does."""
    log = _filled(tmp_path, 2)
    live = tmp_path / "audit.jsonl"
    kept = live.read_bytes()
    live.unlink()
    os.symlink("/dev/full", live)
    trail = AuditTrail(log)
    assert trail.record("session_start", session="s-a") is False
    assert trail.record("session_end", session="s-a", reason="done") is False
    assert trail.failed and trail.unwritten == 2
    with pytest.raises(AuditWriteError):
        log.append("x")
    live.unlink()
    live.write_bytes(kept)  # space again
    assert trail.record("print", session="s-b", ok=True) is True
    assert not trail.failed and trail.unwritten == 0
    events = [e["event"] for e in log.tail()]
    assert events[-3:] == ["session_start", "session_end", "print"]
    assert verify(tmp_path).ok


def test_entries_are_shipped_through_the_outbox(tmp_path: Path) -> None:
    from sync.outbox import SqliteOutbox as Outbox

    outbox = Outbox(tmp_path / "outbox.db")
    try:
        trail = AuditTrail(AuditLog(tmp_path / "audit", sync=False), outbox, kiosk_id="KIOSK-T")
        trail.record("staff_sign_in", staff="st-abc", action="maintenance", result="ok")
        rows = outbox.take(10)
        assert [r.kind for r in rows] == ["audit"]
        assert rows[0].payload["staff"] == "st-abc" and rows[0].payload["kiosk_id"] == "KIOSK-T"
        assert len(rows[0].payload["hash"]) == 64
    finally:
        outbox.close()


def test_journey_events_use_pseudonyms_only() -> None:
    from devices.sim_people import SAMPLE_PEOPLE
    from kiosk.journey import Screen
    from tests.journey_driver import Harness

    h = Harness()
    auditor = JourneyAuditor()
    events: list[tuple[str, dict]] = []
    inner = h.journey._emit
    h.journey._emit = lambda e: (events.extend(auditor.events(e, h.journey)), inner(e))
    h.drive_to(Screen.PRINT_DONE)
    h.journey.end_session("card_removed")
    names = [e for e, _ in events]
    assert names[0] == "session_start" and names[-1] == "session_end"
    assert {"identity_check", "print"} <= set(names)
    text = json.dumps(events, ensure_ascii=False)
    doc = SAMPLE_PEOPLE[0]
    assert doc.number not in text and doc.name not in text
    assert events[0][1]["session"] == events[-1][1]["session"]


@given(st.binary(max_size=400))
def test_verify_never_crashes_on_garbage(tmp_path_factory, data: bytes) -> None:
    directory = tmp_path_factory.mktemp("garbage")
    (directory / "audit.jsonl").write_bytes(data)
    result = verify(directory)
    assert isinstance(result.problems, list)


def test_verify_without_trail_says_so(tmp_path: Path, capsys) -> None:
    code, out = _cli(capsys, tmp_path / "nothing", "verify")
    assert code == 1 and "no audit trail" in out

"""What survives a UI restart (kiosk/restart_state.py): the session file, partial prints, the ready file."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from kiosk.restart_state import (
    READY_FILE,
    SESSION_FILE,
    mark_session,
    mark_updating,
    read_ready,
    session_running,
    updating,
    wipe_leftovers,
    write_ready,
)


def test_a_session_left_behind_and_partial_prints_are_wiped(tmp_path: Path) -> None:
    prints = tmp_path / "prints"
    prints.mkdir()
    (prints / ".job-abc.tmp").write_bytes(b"%PDF-1.7 cut")
    (prints / "done.pdf").write_bytes(b"%PDF-1.7 whole")  # a finished copy is not the session's leftover
    mark_session(tmp_path, True)
    assert session_running(tmp_path)
    assert json.loads((tmp_path / SESSION_FILE).read_text()).keys() == {"since"}  # nothing about the citizen
    left = wipe_leftovers(tmp_path, prints)
    assert left.abandoned_session and left.partial_prints == 1 and left.any
    assert not session_running(tmp_path) and (prints / "done.pdf").exists()
    assert not wipe_leftovers(tmp_path, prints).any  # a clean start finds nothing
    assert not wipe_leftovers(tmp_path, tmp_path / "no-such-folder").any


def test_a_session_that_ended_leaves_nothing(tmp_path: Path) -> None:
    mark_session(tmp_path, True)
    mark_session(tmp_path, False)
    mark_session(tmp_path, False)  # twice is fine
    assert not session_running(tmp_path)


def test_the_ready_file_and_the_updating_flag(tmp_path: Path) -> None:
    write_ready(tmp_path, version="1.2", screen="attract", now=5.0)
    ready = read_ready(tmp_path)
    assert ready["version"] == "1.2" and ready["screen"] == "attract" and ready["at"] == 5.0
    mark_updating(tmp_path, True)
    assert updating(tmp_path)
    mark_updating(tmp_path, False)
    assert not updating(tmp_path)


def test_a_stale_or_garbled_updating_flag_does_not_keep_the_kiosk_out_of_service(tmp_path: Path) -> None:
    from kiosk.restart_state import UPDATING_FILE, UPDATING_MAX_SECONDS

    mark_updating(tmp_path, True)
    since = json.loads((tmp_path / UPDATING_FILE).read_text())["since"]
    assert updating(tmp_path, now=since + UPDATING_MAX_SECONDS - 1)
    assert not updating(tmp_path, now=since + UPDATING_MAX_SECONDS + 1)  # an update killed half-way
    for garbage in (b"", b"{", b"[]", b'{"since": true}', b'{"since": "x"}'):
        (tmp_path / UPDATING_FILE).write_bytes(garbage)
        assert not updating(tmp_path)


@given(st.binary(max_size=200))
def test_a_garbled_ready_file_is_never_trusted(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / READY_FILE).write_bytes(raw)
        ready = read_ready(Path(folder))
        assert ready is None or isinstance(ready["at"], (int, float))

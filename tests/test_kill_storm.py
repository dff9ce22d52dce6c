"""The kill storm of bench/kill_storm.py, short: random SIGKILLs of two writers and the sync
service from a fresh state folder (first boot included) lose and duplicate nothing."""

from __future__ import annotations

import os
from pathlib import Path

from bench.kill_storm import storm


def test_short_kill_storm_from_a_fresh_folder_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    result = storm(tmp_path, float(os.environ.get("STORM_SECONDS", "8")), int(os.environ.get("STORM_SEED", "16")))
    assert result["acknowledged"] > 0 and result["kill_rounds"] >= 5
    assert result["lost"] == 0 and result["duplicated"] == 0
    assert result["dead"] == 0 and result["not_done"] == 0 and result["final_drain_exit"] == 0

"""`kiosk queue` and `kiosk sync --once` against the real reference platform: no personal data shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk import cli
from refplatform.server import PlatformServer
from sync.outbox import SqliteOutbox

ID_NUMBER, NAME = "110101198503120033", "张伟明"


@pytest.fixture
def setup(tmp_path: Path, server: PlatformServer) -> tuple[Path, Path]:
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[kiosk]\nstate_dir = "{tmp_path / "state"}"\n[platform]\nurl = "{server.url}"\n',
                      encoding="utf-8")
    (tmp_path / "state").mkdir()
    box = SqliteOutbox(tmp_path / "state" / "outbox.db")
    box.enqueue("application", {"holder_code": ID_NUMBER, "holder_name": NAME, "service_id": "personal_certs",
                                "tracking_code": "T1"})
    box.enqueue("k" * 70, {"holder_code": ID_NUMBER})  # the platform rejects this kind: a dead letter
    box.close()
    assert cli.main(["enrol", server.issue_enrolment_code("KIOSK-DEMO-001"), "--config", str(config)]) == 0
    return config, tmp_path / "state" / "outbox.db"


def test_queue_commands(setup: tuple[Path, Path], server: PlatformServer, capsys: pytest.CaptureFixture,
                        tmp_path: Path) -> None:
    config, db = setup
    assert cli.main(["queue", "--config", str(config)]) == 0
    assert "pending    2" in capsys.readouterr().out
    assert cli.main(["sync", "--once", "--config", str(config)]) == 0
    assert [r["kind"] for r in server.received()] == ["application"]
    capsys.readouterr()
    assert cli.main(["queue", "list", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert "dead" in listing and "rejected" in listing and ID_NUMBER not in listing and NAME not in listing
    assert cli.main(["queue", "retry", "--config", str(config)]) == 0
    assert "1 dead letter(s) queued again" in capsys.readouterr().out
    assert cli.main(["queue", "rotate-key", "--config", str(config)]) == 0
    assert "1 row(s) re-sealed; 1 old key(s) dropped" in capsys.readouterr().out
    bundle = tmp_path / "support.bundle"
    assert cli.main(["queue", "export", "--out", str(bundle), "--config", str(config)]) == 0
    passphrase = capsys.readouterr().out.strip().rsplit(" ", 1)[-1]
    raw = bundle.read_bytes()
    assert ID_NUMBER.encode() not in raw and b"pending" not in raw  # encrypted
    (tmp_path / "pass").write_text(passphrase)
    assert cli.main(["queue", "open-bundle", str(bundle), "--passphrase-file", str(tmp_path / "pass"),
                     "--config", str(config)]) == 0
    opened = capsys.readouterr().out
    assert '"dead": 0' in opened and ID_NUMBER not in opened and "staff_code" not in opened
    (tmp_path / "wrong").write_text("wrong")
    with pytest.raises(SystemExit):
        cli.main(["queue", "open-bundle", str(bundle), "--passphrase-file", str(tmp_path / "wrong")])
    box = SqliteOutbox(db)
    assert box.counts()["pending"] == 1 and box.counts()["done"] == 1
    box.close()

"""The audit trail on disk: append-only JSON lines, each entry chained to the one before.

Every entry carries ``seq`` (1, 2, 3 ...), ``prev`` (the previous entry's hash) and
``hash`` (SHA-256 of the entry's canonical JSON without ``hash``). Two small side files
anchor the chain: ``audit.head`` names the last entry written (so a cut tail shows) and
``audit.anchor`` the last entry of files removed by retention (so pruning keeps the chain).
The live file ``audit.jsonl`` rotates to ``audit-<last seq>.jsonl``; the chain runs on.

Entries hold pseudonymous ids and event names only, never personal data.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
LIVE = "audit.jsonl"
HEAD = "audit.head"
ANCHOR = "audit.anchor"
MIN_RETENTION_DAYS = 183  # China's Cybersecurity Law art. 21: network logs kept at least six months
RESERVED = frozenset({"seq", "at", "event", "prev", "hash"})


class AuditWriteError(OSError):
    """The disk refused (full, read-only ...). ``written``: the entry itself did reach the file."""

    def __init__(self, errno_: int | None, message: str, *, written: bool = False) -> None:
        super().__init__(errno_, message)
        self.written = written


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 over the entry's canonical JSON, without its own hash."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    import hashlib  # OpenSSL is loaded at the first entry, not before the first frame

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, json.dumps(data).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def chain_files(directory: Path) -> list[Path]:
    """Rotated files oldest first, then the live file."""
    rotated = sorted(directory.glob("audit-*.jsonl"), key=lambda p: p.name)
    live = directory / LIVE
    return rotated + ([live] if live.exists() else [])


class AuditLog:
    """Appends entries; thread-safe. ``append`` raises AuditWriteError when the disk refuses."""

    def __init__(self, directory: Path, *, max_bytes: int = 1_000_000, retention_days: int = 400,
                 clock: Callable[[], _dt.datetime] = lambda: _dt.datetime.now(_dt.UTC),
                 sync: bool = True) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(f"audit entries must be kept at least {MIN_RETENTION_DAYS} days")
        self.directory = directory
        self.max_bytes = max_bytes
        self.retention_days = retention_days
        self._clock = clock
        self._sync = sync
        self._lock = threading.Lock()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.seq, self.last_hash = self._resume()

    @property
    def live(self) -> Path:
        return self.directory / LIVE

    def _resume(self) -> tuple[int, str]:
        """Continue after the last entry: the head's, or a later one on disk if the head lags."""
        head = _read_json(self.directory / HEAD) or {}
        last: tuple[int, str] = (0, GENESIS)
        anchor = _read_json(self.directory / ANCHOR)
        if anchor and isinstance(anchor.get("seq"), int):
            last = (anchor["seq"], str(anchor.get("hash", GENESIS)))
        for path in reversed(chain_files(self.directory)):
            found = [e for e in _entries(path) if isinstance(e, dict) and isinstance(e.get("seq"), int)]
            if found:
                last = (found[-1]["seq"], str(found[-1].get("hash", "")))
                break
        if isinstance(head.get("seq"), int) and isinstance(head.get("hash"), str) and head["seq"] >= last[0]:
            return head["seq"], head["hash"]
        return last

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        """Write one entry durably and return it. Field names must not clash with the chain's."""
        clash = RESERVED & fields.keys()
        if clash:
            raise ValueError(f"reserved audit field(s): {', '.join(sorted(clash))}")
        with self._lock:
            entry: dict[str, Any] = {"seq": self.seq + 1, "at": self._clock().isoformat(timespec="seconds"),
                                     "event": event, **fields, "prev": self.last_hash}
            entry["hash"] = entry_hash(entry)
            line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
            try:
                self._write_line(line)
            except OSError as exc:
                raise AuditWriteError(exc.errno, f"audit entry not written ({exc.strerror})") from None
            self.seq, self.last_hash = entry["seq"], entry["hash"]
            try:
                _write_json_atomic(self.directory / HEAD, {"seq": entry["seq"], "hash": entry["hash"]})
            except OSError as exc:  # the entry is on disk; the disk is failing all the same
                raise AuditWriteError(exc.errno, f"audit head not updated ({exc.strerror})", written=True) from None
            if self.live.stat().st_size >= self.max_bytes:
                self._rotate()
            return entry

    def _write_line(self, line: bytes) -> None:
        fd = os.open(self.live, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size:  # a line cut by a crash stays as it is; the new entry starts on its own line
                with open(self.live, "rb") as f:
                    f.seek(size - 1)
                    if f.read(1) != b"\n":
                        line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(28, "short write")
            if self._sync:
                os.fsync(fd)
        finally:
            os.close(fd)

    def _rotate(self) -> None:
        os.replace(self.live, self.directory / f"audit-{self.seq:010d}.jsonl")
        self.prune()

    def prune(self, now: _dt.datetime | None = None) -> list[Path]:
        """Remove rotated files whose newest entry is older than the retention; the anchor keeps the chain."""
        now = now or self._clock()
        removed: list[Path] = []
        for path in sorted(self.directory.glob("audit-*.jsonl"), key=lambda p: p.name):
            entries = [e for e in _entries(path) if isinstance(e, dict)]
            if not entries:
                break
            try:
                newest = _dt.datetime.fromisoformat(str(entries[-1].get("at")))
            except ValueError:
                break  # a damaged file is kept for the technician to look at
            if (now - newest).days < self.retention_days:
                break
            _write_json_atomic(self.directory / ANCHOR, {"seq": entries[-1].get("seq"),
                                                         "hash": entries[-1].get("hash")})
            path.unlink()
            removed.append(path)
        return removed

    def tail(self, count: int = 1000) -> list[dict[str, Any]]:
        """The newest entries (readable ones), oldest first, for the support bundle."""
        out: list[dict[str, Any]] = []
        for path in reversed(chain_files(self.directory)):
            out = [e for e in _entries(path) if isinstance(e, dict)] + out
            if len(out) >= count:
                break
        return out[-count:]


def _entries(path: Path) -> Iterator[Any]:
    """Parsed lines of one file; a line that does not parse yields None."""
    try:
        raw = path.read_bytes()
    except OSError:
        return
    for line in raw.splitlines():
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except ValueError:
            yield None


@dataclass
class Verification:
    """What `kiosk audit verify` found."""

    entries: int = 0
    first_seq: int = 0
    last_seq: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(directory: Path) -> Verification:
    """Walk the chain over every file; report edited, removed, reordered entries and a cut tail."""
    result = Verification()
    anchor = _read_json(directory / ANCHOR) or {}
    expected_seq = int(anchor.get("seq") or 0) + 1
    prev = str(anchor.get("hash") or GENESIS)
    files = chain_files(directory)
    for index, path in enumerate(files):
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        cut_last = bool(raw) and not raw.endswith(b"\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            last_line = number == len(lines)
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
                seq = entry["seq"]
                if not isinstance(seq, int):
                    raise ValueError("seq")
            except (ValueError, KeyError):
                if last_line and cut_last and index == len(files) - 1:
                    result.problems.append(f"{path.name} line {number}: the file ends in a cut-off entry "
                                           "(truncated tail)")
                else:
                    result.problems.append(f"{path.name} line {number}: not a readable entry (edited or damaged)")
                continue
            where = f"{path.name} line {number} (seq {seq})"
            if entry.get("hash") != entry_hash(entry):
                result.problems.append(f"{where}: the entry was changed after it was written")
            if seq > expected_seq:
                result.problems.append(f"{where}: entries {expected_seq}..{seq - 1} are missing (removed)")
            elif seq < expected_seq:
                result.problems.append(f"{where}: out of order (expected seq {expected_seq}; reordered or repeated)")
            elif entry.get("prev") != prev:
                result.problems.append(f"{where}: does not follow the entry before it (chain broken)")
            result.entries += 1
            result.first_seq = result.first_seq or seq
            result.last_seq = seq
            expected_seq = max(expected_seq, seq + 1)
            prev = str(entry.get("hash"))
    head = _read_json(directory / HEAD)
    if head and isinstance(head.get("seq"), int):
        if head["seq"] > result.last_seq:
            result.problems.append(f"the last {head['seq'] - result.last_seq} entries (up to seq {head['seq']}) "
                                   "are missing: the trail was cut")
        elif head["seq"] == result.last_seq and head.get("hash") != prev:
            result.problems.append(f"the last entry (seq {head['seq']}) is not the one that was written")
    elif result.entries:
        result.problems.append("audit.head is missing: a cut tail cannot be ruled out")
    return result

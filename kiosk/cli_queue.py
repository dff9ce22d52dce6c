"""`kiosk sync` and `kiosk queue`: the outbox for technicians, never showing personal data.

kiosk sync [--once]            deliver the outbox (loop: the kiosk-sync service; --once: one drain)
kiosk queue                    counts, backlog age, limits reached, quarantined files
kiosk queue list [--status S]  rows without payloads (key, kind, status, attempts, last error)
kiosk queue retry [KEY ...]    put dead letters (all, or the given keys) back in the queue
kiosk queue export --out F     an encrypted support bundle (passphrase printed once)
kiosk queue rotate-key         new encryption key; queued rows re-sealed, unused keys dropped
kiosk queue ack                acknowledge quarantine alerts (offline work is taken again)
kiosk queue recover [--again]  salvage readable rows of quarantined files into the outbox
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import gzip
import json
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk import config as kconfig

BUNDLE_MAGIC = b"KIOSK-BUNDLE-1\n"


def register(sub: Any, common: Callable[[argparse.ArgumentParser], None]) -> None:
    """Add the sync and queue subcommands to the `kiosk` parser."""
    p = sub.add_parser("sync", help="deliver the outbox to the platform (the kiosk-sync service)")
    common(p)
    p.add_argument("--once", action="store_true", help="deliver what is due, then exit (1: some must wait)")
    p.add_argument("--url", help="platform URL (default: platform.url)")
    q = sub.add_parser("queue", help="outbox counts, dead letters, support bundle")
    common(q)
    qs = q.add_subparsers(dest="queue_command")
    ql = qs.add_parser("list", help="rows without personal data")
    ql.add_argument("--status", choices=("pending", "in_flight", "done", "dead"))
    ql.add_argument("--limit", type=int, default=50)
    qr = qs.add_parser("retry", help="retry dead letters")
    qr.add_argument("keys", nargs="*", help="idempotency keys (default: every dead letter)")
    qe = qs.add_parser("export", help="write an encrypted support bundle")
    qe.add_argument("--out", required=True)
    qe.add_argument("--passphrase-file", help="read the passphrase from this file instead of making one")
    qo = qs.add_parser("open-bundle", help="decrypt a support bundle (support staff)")
    qo.add_argument("bundle")
    qo.add_argument("--passphrase-file", required=True)
    qs.add_parser("rotate-key", help="rotate the outbox encryption key")
    qs.add_parser("ack", help="acknowledge quarantine alerts")
    qv = qs.add_parser("recover", help="salvage rows from quarantined outbox files (safe to repeat)")
    qv.add_argument("--again", action="store_true", help="also files recovered before")
    for action in qs.choices.values():  # `kiosk queue list --config F` works as well as `kiosk queue --config F list`
        action.add_argument("--config", default=argparse.SUPPRESS, help="TOML file with overrides")


def run(args: argparse.Namespace, cfg: kconfig.Config) -> int:
    """Run `kiosk sync` or `kiosk queue`; a storage failure is one plain line (its SQLite error name,
    never a message that could quote row data) and exit code 1."""
    import sqlite3

    try:
        return _run(args, cfg)
    except (sqlite3.Error, OSError) as exc:
        name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
        print(f"kiosk: the outbox failed ({name}); see the log. 'kiosk queue recover' salvages damaged files.",
              file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, cfg: kconfig.Config) -> int:
    from kiosk.logs import setup_logging

    setup_logging(cfg.path("kiosk.state_dir") / "logs" / args.command, level=cfg["log.level"],
                  max_bytes=cfg["log.max_bytes"], backups=cfg["log.backups"], stdout=args.command == "sync")
    if args.command == "sync":
        from sync.service import run_service

        return run_service(cfg, once=args.once, url=args.url)
    if args.queue_command == "open-bundle":
        print(json.dumps(open_bundle(Path(args.bundle), _passphrase(args.passphrase_file)), indent=2,
                         ensure_ascii=False))
        return 0
    from sync.service import limits_from, outbox_path
    from sync.store import ManagedOutbox

    outbox = ManagedOutbox(outbox_path(cfg), limits=limits_from(cfg), recover=False)
    try:
        if not outbox.available:
            print("kiosk: the outbox cannot be opened; see the log", file=sys.stderr)
            return 1
        return _queue(args, cfg, outbox)
    finally:
        outbox.close()


def _queue(args: argparse.Namespace, cfg: kconfig.Config, outbox: Any) -> int:
    command = args.queue_command
    if command is None:
        for status, count in outbox.counts().items():
            print(f"{status:10} {count}")
        health = outbox.health()
        print(f"waiting    {health['queue_depth']} (oldest {health['oldest_age_s']} s)")
        print(f"limits     {', '.join(health['limits_reached']) or 'none reached'}")
        for name in health["quarantined"]:
            print(f"quarantined {name}  (run 'kiosk queue ack' once handled)")
        return 0
    if command == "list":
        for row in outbox.list_rows(args.status, args.limit):
            print(f"{row['seq']:>6} {row['idempotency_key']} {row['kind']:14} {row['status']:9} "
                  f"attempts={row['attempts']} created={row['created_at']} {row['last_error']}")
        return 0
    if command == "retry":
        print(f"{outbox.retry_dead(args.keys or None)} dead letter(s) queued again")
        return 0
    if command == "export":
        passphrase = _passphrase(args.passphrase_file) if args.passphrase_file else secrets.token_urlsafe(18)
        write_bundle(Path(args.out), support_data(cfg, outbox), passphrase)
        print(f"wrote {args.out}")
        if not args.passphrase_file:
            print(f"passphrase (give it to support separately): {passphrase}")
        return 0
    if command == "rotate-key":
        kid = outbox.keyring.rotate()
        resealed = outbox.reseal()
        dropped = outbox.keyring.retire(outbox.key_ids_in_use()) if not _quarantined_files(outbox) else []
        print(f"new key {kid}; {resealed} row(s) re-sealed; {len(dropped)} old key(s) dropped")
        return 0
    if command == "recover":
        report = outbox.salvage(again=args.again)
        if report is None:
            print("no quarantined outbox file to recover" if not _quarantined_files(outbox) else
                  "recovery failed; see the log")
            return 0 if not _quarantined_files(outbox) else 1
        for name, counts in report.files.items():
            print(f"{name}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
        print(report.summary() if report.files else "every quarantined file was recovered before (--again: redo)")
        return 0
    if command == "ack":
        print(f"acknowledged: {', '.join(outbox.acknowledge()) or 'nothing'}")
        return 0
    return 2


def _quarantined_files(outbox: Any) -> list[Path]:
    """Quarantined databases may still need their keys: no key is dropped while one exists."""
    return list(outbox.path.parent.glob(outbox.path.name + ".corrupt-*"))


def _passphrase(path: str) -> str:
    text = Path(path).read_text(encoding="utf-8").strip()
    if not text:
        raise SystemExit("kiosk: the passphrase file is empty")
    return text


def support_data(cfg: kconfig.Config, outbox: Any) -> dict[str, Any]:
    """What support needs: counts, health, row metadata, settings, log tail, the audit trail and its check."""
    log_dir = cfg.path("kiosk.state_dir") / "logs"
    logs = {}
    for path in sorted(log_dir.rglob("kiosk.log")):
        logs[str(path.relative_to(log_dir))] = path.read_text(encoding="utf-8", errors="replace").splitlines()[-500:]
    return {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "kiosk_id": cfg["kiosk.id"],
        "counts": outbox.counts(),
        "health": outbox.health(),
        "rows": outbox.list_rows(None, 1000),
        "settings": dict(cfg.items()),
        "quarantined_files": [p.name for p in _quarantined_files(outbox)],
        "logs": logs,
        **_audit_data(cfg),
    }


def _audit_data(cfg: kconfig.Config) -> dict[str, Any]:
    """The newest audit entries and whether the chain holds (pseudonymous ids only)."""
    from kiosk.audit_log import AuditLog, verify
    from kiosk.cli_audit import audit_dir

    directory = audit_dir(cfg)
    if not directory.is_dir():
        return {"audit": [], "audit_verify": "no audit trail"}
    result = verify(directory)
    entries = AuditLog(directory, retention_days=cfg["audit.retention_days"]).tail(5000)
    return {"audit": entries, "audit_verify": "ok" if result.ok else result.problems}


def _bundle_key(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=2**15, r=8, p=1).derive(passphrase.encode())


def write_bundle(path: Path, data: dict[str, Any], passphrase: str) -> None:
    """gzip(JSON) sealed with AES-256-GCM under a scrypt key; file mode 0600."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    body = gzip.compress(json.dumps(data, ensure_ascii=False, default=str).encode())
    blob = BUNDLE_MAGIC + base64.b64encode(salt + nonce + AESGCM(_bundle_key(passphrase, salt)).encrypt(
        nonce, body, BUNDLE_MAGIC))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(blob)


def open_bundle(path: Path, passphrase: str) -> dict[str, Any]:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = path.read_bytes()
    if not raw.startswith(BUNDLE_MAGIC):
        raise SystemExit("kiosk: not a support bundle")
    try:
        blob = base64.b64decode(raw[len(BUNDLE_MAGIC):], validate=True)
        salt, nonce, ct = blob[:16], blob[16:28], blob[28:]
        body = AESGCM(_bundle_key(passphrase, salt)).decrypt(nonce, ct, BUNDLE_MAGIC)
    except (InvalidTag, ValueError):
        raise SystemExit("kiosk: wrong passphrase or damaged bundle") from None
    return json.loads(gzip.decompress(body))

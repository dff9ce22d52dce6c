"""`kiosk devices list|watch|read|doctor`: technician tools for the ID-card readers.

Personal fields are masked unless --show-personal-data is given; --trace prints the raw
SAM frames or APDUs (card data inside them hidden likewise). Driver imports happen inside
the commands, so `kiosk --help` stays fast and works without pyscard.
"""

from __future__ import annotations

import argparse
import errno
import os
import queue
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from kiosk import config as kconfig
from kiosk.identity import IdentityDocument
from kiosk.idnumbers import mask_id_number, mask_name
from kiosk.interfaces import ReaderEvent, ReaderEventKind


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register `devices` and its subcommands on the main parser."""
    devices = sub.add_parser("devices", help="card reader tools: list, watch, read, doctor")
    inner = devices.add_subparsers(dest="devices_command", required=True)
    for name, text in (("list", "show the SAM reader and the PC/SC readers"),
                       ("watch", "print reader events until Ctrl-C"),
                       ("read", "wait for one card and show what was read"),
                       ("doctor", "check the reader set-up and say how to fix problems ('kiosk doctor': every part)")):
        p = inner.add_parser(name, help=text)
        p.add_argument("--config", help="TOML file with overrides")
        p.add_argument("--driver", choices=("sam", "pcsc", "sam-emulator"), help="override reader.driver")
        p.add_argument("--port", help="override reader.port (SAM serial port)")
        p.add_argument("--trace", action="store_true", help="print raw SAM frames / APDUs")
        p.add_argument("--show-personal-data", action="store_true", help="do not mask names and numbers")
        p.add_argument("--seconds", type=float, default=0.0, help="stop after this long (watch, read)")
        p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        cfg = kconfig.load(Path(args.config) if args.config else None)
        overrides = {}
        if args.driver:
            overrides["reader__driver"] = args.driver
        if args.port:
            overrides["reader__port"] = args.port
        cfg = cfg.with_overrides(**overrides)
    except kconfig.ConfigError as exc:
        print(f"kiosk: configuration problem: {exc}", file=sys.stderr)
        return 2
    command = {"list": _list, "watch": _watch, "read": _read, "doctor": _doctor}[args.devices_command]
    return command(cfg, args)


# ---------------------------------------------------------------- output


def trace_printer(show_personal: bool, out=None):  # noqa: ANN001, ANN201
    """A trace callback: hex of every frame/APDU; card data hidden unless show_personal."""
    def trace(direction: str, data: bytes) -> None:
        shown = data
        hidden = 0
        if not show_personal and direction == "rx":
            keep = 10 if data[:5] == b"\xaa\xaa\xaa\x96\x69" else 0  # SAM: header and status only
            if len(data) > keep + 2:
                shown = data[:keep] if keep else data[-2:]  # SAM header, or the APDU status word
                hidden = len(data) - len(shown)
        text = shown.hex(" ")
        if hidden:
            text += f"  [{hidden} bytes of card data hidden]"
        print(f"  {direction} {text}", file=out or sys.stdout, flush=True)
    return trace


def describe_document(doc: IdentityDocument, show_personal: bool) -> list[str]:
    def name(value: str) -> str:
        return value if show_personal else mask_name(value)

    def number(value: str) -> str:
        return value if show_personal else mask_id_number(value)

    lines = [f"type: {doc.doc_type.value} (source {doc.source})", f"name: {name(doc.name)}"]
    if doc.name_en:
        lines.append(f"English name: {name(doc.name_en)}")
    lines += [f"number: {number(doc.number)}", f"sex: {doc.sex}",
              f"birth date: {doc.birth_date if show_personal else '(hidden)'}"]
    if doc.ethnicity:
        lines.append(f"ethnicity code: {doc.ethnicity}")
    if doc.address:
        lines.append(f"address: {doc.address if show_personal else '(hidden)'}")
    for label, value in (("authority", doc.authority), ("nationality", doc.nationality)):
        if value:
            lines.append(f"{label}: {value}")
    lines.append(f"valid: {doc.valid_from or '-'} to {doc.valid_to or 'long-term'}")
    lines.append(f"photo: {len(doc.photo)} bytes, format {doc.photo_format or 'none'}, "
                 f"{doc.extra.get('photo_status', '-')}")
    for key, value in sorted(doc.extra.items()):
        if key != "photo_status":
            lines.append(f"{key}: {value if show_personal else number(value)}")
    problems = doc.problems()
    lines.append("checks: " + (", ".join(problems) if problems else "ok"))
    return lines


def _print_event(event: ReaderEvent, show_personal: bool) -> None:
    stamp = time.strftime("%H:%M:%S")
    detail = f" ({event.reason})" if event.reason else ""
    print(f"{stamp} {event.kind.value}{detail}", flush=True)
    if event.document is not None:
        for line in describe_document(event.document, show_personal):
            print(f"    {line}", flush=True)


# ---------------------------------------------------------------- commands


def _reader(cfg: kconfig.Config, args: argparse.Namespace):  # noqa: ANN202
    from devices.reader_factory import make_reader

    if cfg["reader.driver"] == "sim":
        cfg = cfg.with_overrides(reader__driver="sam")
    trace = trace_printer(args.show_personal_data) if args.trace else None
    return make_reader(cfg, trace=trace)


def _events(cfg: kconfig.Config, args: argparse.Namespace, *, until_card: bool) -> int:
    reader = _reader(cfg, args)
    inbox: queue.Queue[ReaderEvent] = queue.Queue()
    reader.start(inbox.put)
    print(f"watching the {cfg['reader.driver'] if cfg['reader.driver'] != 'sim' else 'sam'} reader "
          "(Ctrl-C to stop)", flush=True)
    deadline = time.monotonic() + args.seconds if args.seconds else None
    if until_card and hasattr(reader, "insert"):
        reader.insert(0)  # the emulator: place the first fictitious card
    code = 0
    try:
        while deadline is None or time.monotonic() < deadline:
            try:
                event = inbox.get(timeout=0.2)
            except queue.Empty:
                continue
            _print_event(event, args.show_personal_data)
            if until_card and event.kind in (ReaderEventKind.CARD_PRESENTED, ReaderEventKind.READ_FAILED):
                return 0 if event.kind is ReaderEventKind.CARD_PRESENTED else 1
        code = 1 if until_card else 0
        if until_card:
            print("no card was read in time", flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        reader.stop()
    return code


def _watch(cfg: kconfig.Config, args: argparse.Namespace) -> int:
    return _events(cfg, args, until_card=False)


def _read(cfg: kconfig.Config, args: argparse.Namespace) -> int:
    return _events(cfg, args, until_card=True)


def _list(cfg: kconfig.Config, args: argparse.Namespace) -> int:
    sam = check_serial(cfg["reader.port"], cfg["reader.baud"], cfg["reader.exchange_timeout"],
                       trace=trace_printer(args.show_personal_data) if args.trace else None)
    print(f"SAM serial reader on {cfg['reader.port']}: {sam.summary}")
    pcsc = check_pcsc(cfg["reader.pcsc_reader_filter"])
    print(f"PC/SC: {pcsc.summary}")
    for line in pcsc.details:
        print(f"  {line}")
    return 0


def _doctor(cfg: kconfig.Config, args: argparse.Namespace) -> int:
    """The old name, kept: `kiosk doctor --only reader` (kiosk/cli_doctor.py checks every part)."""
    from devices.diagnostics import reader_check
    from kiosk.cli_doctor import print_checks
    from kiosk.doctor import Parts, run_checks

    print(f"reader.driver = {cfg['reader.driver']}  (every part: 'kiosk doctor')")
    checks = run_checks(Parts(config=cfg, reader=lambda: reader_check(cfg)), ("reader",))
    print_checks(checks)
    return 0 if all(c.ok for c in checks) else 1


# ---------------------------------------------------------------- checks


@dataclass
class Finding:
    ok: bool
    summary: str
    fix: str = ""
    details: tuple[str, ...] = ()


def check_serial(port: str, baud: int, timeout: float, trace=None) -> Finding:  # noqa: ANN001
    """Is there a SAM reader answering on `port`? Plain words and a fix when not."""
    import serial

    from devices.sam_frames import FrameError
    from devices.sam_reader import SamError, SamLink

    if not os.path.exists(port):
        return Finding(False, f"serial port {port} does not exist",
                       "check the reader's USB cable and power; list ports with 'ls /dev/ttyUSB* /dev/ttyACM*' "
                       "and set reader.port to the right one")
    if not os.access(port, os.R_OK | os.W_OK):
        return Finding(False, f"no permission to open {port}",
                       "add the kiosk user to the 'dialout' group (sudo usermod -aG dialout $USER) and log in again")
    link = SamLink(port, baud, timeout=timeout, trace=trace)
    try:
        link.open()
    except (serial.SerialException, OSError) as exc:
        err = getattr(exc, "errno", None)
        if err in (errno.EACCES, errno.EPERM):
            return Finding(False, f"no permission to open {port}",
                           "add the kiosk user to the 'dialout' group (sudo usermod -aG dialout $USER), log in again")
        if err == errno.EBUSY or "lock" in str(exc).lower() or "busy" in str(exc).lower():
            return Finding(False, f"serial port {port} is busy: another program has it open",
                           f"stop the other program (find it with 'fuser -v {port}'); only one program may use it")
        return Finding(False, f"serial port {port} cannot be opened ({type(exc).__name__})",
                       "unplug and re-plug the reader; check 'dmesg | tail' for USB errors")
    try:
        link.status()
        sam_id = link.sam_id()
    except (SamError, FrameError, serial.SerialException, OSError) as exc:
        return Finding(False, f"the device on {port} does not answer as a SAM reader ({type(exc).__name__})",
                       f"check reader.baud (now {baud}; 115200 is usual) and that {port} is the ID-card reader")
    finally:
        link.close()
    return Finding(True, f"SAM reader answers on {port} (SAM id {sam_id})")


def check_pcsc(name_filter: str = "") -> Finding:
    """Is pcscd running, and does it see readers?"""
    try:
        from smartcard import scard as S

        from devices.pcsc_reader import PcscError, list_readers
    except ImportError:
        return Finding(False, "pyscard is not installed", "reinstall the kiosk (installer/install.sh)")
    hresult, context = S.SCardEstablishContext(S.SCARD_SCOPE_USER)
    if hresult != S.SCARD_S_SUCCESS:
        return Finding(False, "pcscd (the smart-card service) is not running",
                       "start it: 'sudo systemctl enable --now pcscd.socket' (or run 'pcscd' once); "
                       "install it with 'apt install pcscd' if missing")
    try:
        try:
            readers = list_readers(context)
        except PcscError as exc:
            return Finding(False, f"pcscd answered with an error ({exc})", "restart it: 'sudo systemctl restart pcscd'")
        if not readers:
            return Finding(False, "pcscd is running but sees no card readers",
                           "plug the reader in (check 'lsusb'); a USB reader also needs its driver (apt install "
                           "libccid); then run 'pcsc_scan' to see it")
        matching = [r for r in readers if name_filter in r]
        hresult, states = S.SCardGetStatusChange(context, 0, [(r, S.SCARD_STATE_UNAWARE) for r in readers])
        details = []
        for name, state, atr in (states if hresult == S.SCARD_S_SUCCESS else []):
            card = f"card present, ATR {bytes(atr).hex(' ')}" if state & S.SCARD_STATE_PRESENT else "no card"
            details.append(f"{name}: {card}" + ("" if name in matching else " (ignored by reader.pcsc_reader_filter)"))
        if not matching:
            return Finding(False, f"no reader name contains '{name_filter}'",
                           "fix reader.pcsc_reader_filter (empty uses every reader)", tuple(details))
        return Finding(True, f"pcscd is running and sees {len(readers)} reader(s)", details=tuple(details))
    finally:
        S.SCardReleaseContext(context)

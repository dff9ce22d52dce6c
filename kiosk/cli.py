"""The `kiosk` command.

kiosk demo          run the touch UI on simulators and the local reference platform
kiosk run           run the touch UI with the configured drivers
kiosk config        list every setting with its description, default and current value
kiosk screenshots   render every screen in standard and assisted mode to PNG files
kiosk devices       card reader tools: list, watch, read, doctor (kiosk/cli_devices.py)
kiosk sync          deliver the outbox to the platform (--once: one drain); see kiosk/cli_queue.py
kiosk queue         outbox counts, dead letters, support bundle, key rotation
kiosk doctor        check every configured part and name the fix (kiosk/cli_doctor.py)
kiosk staff         provision staff numbers, PINs and roles (kiosk/cli_staff.py)
kiosk audit         verify the hash-chained audit trail, show its newest entries (kiosk/cli_audit.py)
kiosk enrol CODE    make this kiosk's device key and enrol it with the platform (kiosk/cli_enrol.py)
kiosk setup         first boot of an installed kiosk, safe to repeat (kiosk/cli_setup.py)
kiosk update        install a new version from the signed apt repository, with rollback (kiosk/cli_update.py)

The GUI commands import the Qt front end (screens/) only when they run, so the
core stays importable and testable without Qt.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from kiosk import cli_audit, cli_devices, cli_doctor, cli_enrol, cli_queue, cli_setup, cli_staff, cli_update
from kiosk import config as kconfig
from kiosk.config_checks import check_files
from kiosk.logs import setup_logging


def config_problem(exc: kconfig.ConfigError) -> int:
    """Print a configuration problem (one line per problem, no traceback); returns exit code 2."""
    for line in str(exc).splitlines():
        print(f"kiosk: configuration problem: {line}", file=sys.stderr)
    return 2


def _load(args: argparse.Namespace, *, files: bool = True) -> kconfig.Config:
    """The configuration, with the files and folders it names checked (exit 2 on any problem)."""
    try:
        cfg = kconfig.load(Path(args.config) if args.config else None)
        if files:
            check_files(cfg)
        return cfg
    except kconfig.ConfigError as exc:
        raise SystemExit(config_problem(exc)) from None


def _gui(args: argparse.Namespace, *, demo: bool) -> int:
    """Run the touch UI. Under a service manager, a kiosk that cannot serve shows the out-of-service
    screen and stays up instead of exiting into a restart loop (kiosk/start_guard.py)."""
    from kiosk import start_guard

    guarded = start_guard.under_service_manager()
    try:
        cfg = _load(args)
    except SystemExit as exc:  # the problems are printed, one line each
        return start_guard.out_of_service(start_guard.CONFIG, windowed=args.windowed, exit_code=2) \
            if guarded else int(exc.code or 2)
    state_dir = cfg.path("kiosk.state_dir")
    if not demo:
        from kiosk.production import missing_production_settings

        missing = missing_production_settings(cfg)
        if missing:  # `kiosk run` never quietly becomes the demo
            print("kiosk run: not starting on the demo's settings ('kiosk demo' runs the demo). "
                  "Set in /etc/kiosk/kiosk.toml (or --config FILE):", file=sys.stderr)
            for line in missing:
                print(f"  {line}", file=sys.stderr)
            return start_guard.out_of_service(start_guard.CONFIG, config=cfg, windowed=args.windowed,
                                              exit_code=2) if guarded else 2
    setup_logging(state_dir / "logs", level=cfg["log.level"],
                  max_bytes=cfg["log.max_bytes"], backups=cfg["log.backups"])
    starts = start_guard.count_start(cfg)  # before the app's imports: a crash in them counts too
    if guarded and start_guard.app_cannot_survive(starts, cfg):
        print("kiosk: crash loop: the app died again even on its own out-of-service screen", file=sys.stderr)
        return start_guard.out_of_service(start_guard.CRASH_LOOP, config=cfg, windowed=args.windowed)
    try:
        from screens.app import run
    except Exception as exc:  # a broken install: say what, then the out-of-service screen
        print(f"kiosk: the app cannot start: {start_guard.describe_failure(exc)}", file=sys.stderr, flush=True)
        if not guarded:
            return 1
        return start_guard.out_of_service(start_guard.START_FAILED, config=cfg, windowed=args.windowed)
    try:
        return run(cfg, demo=demo, windowed=args.windowed, starts=starts)
    except kconfig.ConfigError as exc:
        code = config_problem(exc)
        return start_guard.out_of_service(start_guard.CONFIG, config=cfg, windowed=args.windowed,
                                          exit_code=code) if guarded else code


def _config(args: argparse.Namespace) -> int:
    cfg = _load(args, files=False)
    print(kconfig.describe())
    print("# Resolved from: " + ", ".join(cfg.sources))
    for key, value in cfg.items():
        print(f"# {key} = {value!r}")
    try:
        check_files(cfg)
    except kconfig.ConfigError as exc:
        return config_problem(exc)
    return 0


def _screenshots(args: argparse.Namespace) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from screens.screenshots import render_all

    # The demo's state, prints and logs go to a private temp folder that is always removed:
    # it holds a composed certificate PDF of a fictitious person, and nobody needs it afterwards.
    work = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    try:
        cfg = kconfig.Config().with_overrides(kiosk__state_dir=str(work / "state"),
                                              printer__pdf_folder=str(work / "prints"))
        setup_logging(work / "logs", stdout=False)
        files = render_all(cfg, Path(args.out))
    finally:
        for handler in list(logging.getLogger("kiosk").handlers):
            logging.getLogger("kiosk").removeHandler(handler)
            handler.close()
        shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {len(files)} screenshots to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run one command; Ctrl-C ends any of them quietly (exit 130)."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kiosk queue list | head`
        sys.stderr.close()
        return 1


def version_text() -> str:
    """'kiosk 0.1.0', plus the Debian package's version when this runs from the package's venv
    (installer/build-deb.sh writes it to /opt/kiosk/VERSION, beside the venv)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        text = f"kiosk {version('kiosk')}"
    except PackageNotFoundError:
        text = "kiosk (not installed)"
    from kiosk.version import package_version

    packaged = package_version()
    if packaged:
        text += f" (package {packaged})"
    return text


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(prog="kiosk", description="Self-service government kiosk")
    parser.add_argument("--version", action="version", version=version_text())
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("demo", "run on simulators and the local reference platform"),
                       ("run", "run with the configured drivers")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--config", help="TOML file with overrides")
        p.add_argument("--windowed", action="store_true", help="do not go full-screen")
    p = sub.add_parser("config", help="list settings")
    p.add_argument("--config", help="TOML file with overrides")
    p = sub.add_parser("screenshots", help="render every screen to PNG")
    p.add_argument("--out", default="docs/screenshots")
    cli_devices.add_parser(sub)
    cli_queue.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    cli_doctor.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    cli_audit.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    cli_staff.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    cli_enrol.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    cli_setup.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    cli_update.register(sub, lambda p: p.add_argument("--config", help="TOML file with overrides"))
    args = parser.parse_args(argv)
    if args.command == "doctor":
        return cli_doctor.run(args, _load(args))
    if args.command == "staff":
        return cli_staff.run(args, _load(args))
    if args.command == "audit":
        return cli_audit.run(args, _load(args))
    if args.command == "devices":
        return cli_devices.run(args)
    if args.command in ("sync", "queue"):
        return cli_queue.run(args, _load(args))
    if args.command == "enrol":
        return cli_enrol.run(args, _load(args))
    if args.command == "setup":
        return cli_setup.run(args, _load(args))
    if args.command == "update":
        return cli_update.run(args, _load(args))
    if args.command == "demo":
        return _gui(args, demo=True)
    if args.command == "run":
        return _gui(args, demo=False)
    if args.command == "config":
        return _config(args)
    return _screenshots(args)


if __name__ == "__main__":
    sys.exit(main())

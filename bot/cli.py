"""`python -m bot [MODE ...]`: one code base, four ways to run.

    python -m bot                 console without Slack credentials; Socket Mode with SLACK_APP_TOKEN
                                  and SLACK_BOT_TOKEN
    python -m bot console|socket|serve
    python -m bot tick [--at ISO] one scheduler pass, as if it were that time
    python -m bot backup PATH     online copy of the database
    python -m bot check           settings, database and Slack credentials, in plain words

A wrong setting or configuration file stops the start with one line and exit code 2.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Callable

from bot.errors import StartupError
from bot.settings import Settings, load_settings, require

EXIT_CONFIG = 2
log = logging.getLogger("relais")

# name -> (configure(subparser), run(settings, args) -> exit code)
COMMANDS: dict[str, tuple[Callable, Callable]] = {}


def command(name: str, configure: Callable = lambda p: None):
    def inner(run):
        COMMANDS[name] = (configure, run)
        return run

    return inner


def _language_hint() -> str:
    value = (os.environ.get("BOT_LANGUAGE") or "fr").strip().lower()
    return value if value in ("fr", "en") else "fr"


def _logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("slack_bolt", "slack_sdk", "urllib3", "waitress.queue"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _context(settings: Settings):
    from bot.context import build
    from bot.startup import prepare

    relais = build(settings)
    prepare(relais)
    return relais


# -- run modes --------------------------------------------------------------------------------
@command("console")
def run_console(settings: Settings, args) -> int:
    from bot.console import run

    _logging(logging.WARNING)
    return run(settings, sys.stdin, sys.stdout)


@command("socket")
def run_socket(settings: Settings, args) -> int:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import create_app, learn_identity
    from bot.scheduler import start_in_background

    require(settings, "socket")
    _logging(logging.INFO)
    relais = _context(settings)
    app = create_app(relais, signing_secret="")
    learn_identity(relais)
    start_in_background(relais)
    log.info("Relais in Socket Mode (team channel %s)", settings.team_channel)
    SocketModeHandler(app, settings.app_token).start()
    return 0


@command("serve", lambda p: p.add_argument("--host", default="0.0.0.0"))
def run_serve(settings: Settings, args) -> int:
    import threading

    import waitress

    from bot.app import create_app, learn_identity, remembered_identity
    from bot.scheduler import start_in_background
    from bot.web import create_wsgi

    require(settings, "http")
    _logging(logging.INFO)
    relais = _context(settings)
    remembered_identity(relais)
    app = create_app(relais)
    threading.Thread(target=learn_identity, args=(relais,), daemon=True).start()
    start_in_background(relais)
    log.info("Relais over HTTP on port %s: POST /slack/events, GET /healthz", settings.port)
    waitress.serve(create_wsgi(relais, app), host=args.host, port=settings.port, threads=8, ident="relais",
                   clear_untrusted_proxy_headers=True, channel_timeout=30)
    return 0


# -- one-shot commands ------------------------------------------------------------------------
@command("tick", lambda p: p.add_argument("--at", help="ISO 8601 time; local (TIMEZONE) when it has no offset"))
def run_tick(settings: Settings, args) -> int:
    from bot import jobs
    from bot.clock import parse_instant, to_text

    _logging(logging.WARNING)
    relais = _context(settings)
    if args.at:
        try:
            relais.clock.freeze(parse_instant(args.at, settings.tz))
        except ValueError:
            print(relais.tr("settings.line", variable="--at", expected=relais.tr("settings.instant"),
                            got=relais.tr("settings.got", value=args.at)), file=sys.stderr)
            return EXIT_CONFIG
    for row in jobs.tick(relais, relais.clock.now()):
        print(f"{to_text(relais.clock.now())} sent {row['kind']} {row['key']} -> {row['target']}")
    return 0


@command("backup", lambda p: p.add_argument("path"))
def run_backup(settings: Settings, args) -> int:
    from storage.db import Store, backup

    tr = _translator(settings)
    try:
        pages = backup(Store(settings.database_path).db, args.path)
    except Exception as error:  # noqa: BLE001 - said in one line
        print(tr("backup.failed", error=error), file=sys.stderr)
        return 1
    print(tr("backup.done", path=args.path, pages=pages))
    return 0


@command("check")
def run_check(settings: Settings, args) -> int:
    from bot.check import check

    return check(settings, print)


def _translator(settings: Settings):
    from bot.i18n import translator

    return translator(settings.language)


# -- entry point ------------------------------------------------------------------------------
def _import_features() -> None:
    """Modules that add their own commands (digest, export, import, calendar...)."""
    import importlib

    for name in FEATURE_COMMANDS:
        importlib.import_module(name)


# Modules that add one-shot commands with @command (one a line).
FEATURE_COMMANDS: list[str] = [
]


def main(argv: list[str] | None = None) -> int:
    _import_features()
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="python -m bot", description="Relais, the library's comms metronome.")
    sub = parser.add_subparsers(dest="mode")
    for name, (configure, _run) in COMMANDS.items():
        configure(sub.add_parser(name))
    if argv and not argv[0].startswith("-") and argv[0] not in COMMANDS:
        from bot.i18n import translator

        print(translator(_language_hint())("cli.unexpected_mode", mode=argv[0]), file=sys.stderr)
        return EXIT_CONFIG
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        mode = args.mode or _default_mode(settings)
        return COMMANDS[mode][1](settings, args)
    except StartupError as error:
        print(error.line(_language_hint()), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


def _default_mode(settings: Settings) -> str:
    if settings.app_token and settings.bot_token:
        return "socket"
    if settings.bot_token and not settings.app_token:
        require(settings, "socket")  # says SLACK_APP_TOKEN is missing (HTTP mode is `serve`)
    return "console"

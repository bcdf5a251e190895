"""`python -m bot [MODE ...]`: one code base, four ways to run.

    python -m bot                 console without Slack credentials; Socket Mode with SLACK_APP_TOKEN
                                  and SLACK_BOT_TOKEN
    python -m bot console|socket|serve
    python -m bot tick [--at ISO] one scheduler pass, as if it were that time
    python -m bot backup PATH     online copy of the database
    python -m bot check           settings, database and Slack credentials, in plain words
    python -m bot outbox retry KEY|--all
                                  send failed messages again, once their cause is fixed

A wrong setting or configuration file stops the start with one line and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from collections.abc import Callable

from bot import features, outbox
from bot.clock import parse_instant, to_text
from bot.console import run as run_console_loop
from bot.context import open_store
from bot.errors import EXIT_CONFIG, StartupError, require_token
from bot.feature import Command
from bot.i18n import Translator, translator
from bot.runtime import arguments, cores, jobs, server, socket
from bot.runtime.app import create_app, learn_identity, listener_pool, remembered_identity
from bot.runtime.check import check
from bot.runtime.logs import configure_logging
from bot.runtime.scheduler import start_in_background
from bot.runtime.shutdown import Shutdown
from bot.runtime.startup import open_relais, settle
from bot.runtime.web import create_wsgi
from bot.settings import Settings, SettingsError, load_settings, read_environment, require
from storage.db import backup, checkpoint_in_background

log = logging.getLogger("relais")


def _language_hint() -> str:
    """BOT_LANGUAGE from the environment, else from .env, before (and whatever) the settings load."""
    value = (read_environment().get("BOT_LANGUAGE") or "fr").strip().lower()
    return value if value in ("fr", "en") else "fr"


# -- run modes --------------------------------------------------------------------------------
def run_console(settings: Settings, args) -> int:
    configure_logging(logging.WARNING)
    return run_console_loop(settings, sys.stdin, sys.stdout)


def run_socket(settings: Settings, args) -> int:
    return socket.run(settings)


def run_serve(settings: Settings, args) -> int:
    require(settings, "http")
    configure_logging(logging.INFO)
    shutdown = Shutdown()
    shutdown.install()  # from the start: a SIGTERM while starting stops the server as soon as it serves
    one_core = cores.start(settings.cpu_cores)
    relais = open_relais(settings)
    checkpoint_in_background(settings.database_path)
    remembered_identity(relais)
    listeners = listener_pool()
    app = create_app(relais, listeners=listeners)
    threading.Thread(target=learn_identity, args=(relais,), daemon=True).start()
    scheduler = start_in_background(relais)
    log.info("Relais over HTTP on port %s: POST /slack/events, GET /healthz", settings.port)
    http = server.create(create_wsgi(relais, app), args.host, settings.port)
    settle(one_core)
    http.print_listen("Serving on http://{}:{}")  # as waitress.serve says it, once the port is bound
    unanswered = server.run_until_stopped(http, shutdown, on_stop=lambda: shutdown.begin(scheduler))
    cut = shutdown.finish(scheduler, listeners)
    if unanswered:
        cut.insert(0, f"{unanswered} request(s) not answered")
    return shutdown.exit(cut)


# -- one-shot commands ------------------------------------------------------------------------
def run_tick(settings: Settings, args) -> int:
    """One scheduler pass, as if it were --at (or now); one line per message sent, as it is sent."""
    configure_logging(logging.WARNING)
    at = None
    if args.at:
        try:
            at = parse_instant(args.at, settings.tz)
        except ValueError:
            print(SettingsError("--at", "settings.instant", args.at).line(settings.language), file=sys.stderr)
            return EXIT_CONFIG
    require_token(settings, "tick")  # a tick sends: without a token nothing is tried (the console has its own)
    relais = open_relais(settings, at=at)
    now = relais.clock.now()

    def said(row):
        print(
            relais.tr(
                "tick.sent",
                at=to_text(now),
                kind=row["kind"],
                row=row["key"],
                channel=row.get("slack_channel") or row["target"],
            ),
            flush=True,
        )

    failed: list[str] = []
    jobs.tick(relais, now, on_sent=said, failed=failed)
    return 1 if failed else 0  # each failure is logged on stderr with its traceback


def run_backup(settings: Settings, args) -> int:
    tr = _translator(settings)
    store = open_store(settings)  # a DATABASE_PATH that cannot be used: one line, exit 2 (in main)
    try:
        pages = backup(store.db, args.path)
    except Exception as error:  # noqa: BLE001 - said in one line
        print(tr("backup.failed", error=error), file=sys.stderr)
        return 1
    print(tr("backup.done", path=args.path, pages=pages))
    return 0


def run_check(settings: Settings, args) -> int:
    return check(settings, print)


def _outbox_arguments(parser: argparse.ArgumentParser, tr: Translator) -> None:
    actions = parser.add_subparsers(
        dest="action", required=True, title=tr("cli.outbox.actions"), metavar=tr("cli.metavar.action")
    )
    retry = actions.add_parser(
        "retry", help=tr("cli.arg.retry"), description=tr("cli.arg.retry"), formatter_class=arguments.formatter(tr)
    )
    retry.add_argument("key", nargs="?", metavar=tr("cli.metavar.key"), help=tr("cli.arg.retry_key"))
    retry.add_argument("--all", action="store_true", help=tr("cli.arg.retry_all"))


def run_outbox(settings: Settings, args) -> int:
    """`outbox retry KEY|--all`: failed rows owed again and sent now; one line each. Exit 0 when none is
    refused again (sent, no longer relevant, or waiting for Slack to come back), 1 otherwise."""
    configure_logging(logging.WARNING)
    tr = _translator(settings)
    if bool(args.key) == bool(args.all):
        print(tr("outbox.retry.usage"), file=sys.stderr)
        return EXIT_CONFIG
    relais = open_relais(settings)
    tried = outbox.retry_failed(relais, None if args.all else [args.key])
    if not tried:
        print(tr("outbox.retry.none") if args.all else tr("outbox.retry.unknown", row_key=args.key))
        return 0 if args.all else 1
    refused = 0
    for row in tried:
        words = outbox.describe(tr, row)
        if row["status"] == "sent":
            print(tr("outbox.retry.sent", what=words["what"], channel=row["slack_channel"] or row["target"]))
        elif row["status"] == "skipped":
            print(tr("outbox.retry.skipped", what=words["what"]))
        elif row["status"] == "failed":
            refused += 1
            print(tr("outbox.retry.failed", **words))
        else:
            print(tr("outbox.retry.pending", what=words["what"], error=words["error"]))
    return 1 if refused else 0


def _translator(settings: Settings):
    return translator(settings.language)


def _feature_command(command: Command) -> Callable[[Settings, argparse.Namespace], int]:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        configure_logging(logging.WARNING)
        return command.run(open_relais(settings), args)

    return run


def _at_argument(parser: argparse.ArgumentParser, tr: Translator) -> None:
    parser.add_argument("--at", metavar=tr("cli.metavar.instant"), help=tr("cli.arg.at"))


def _host_argument(parser: argparse.ArgumentParser, tr: Translator) -> None:
    parser.add_argument("--host", default="0.0.0.0", metavar=tr("cli.metavar.address"), help=tr("cli.arg.host"))


def _path_argument(parser: argparse.ArgumentParser, tr: Translator) -> None:
    parser.add_argument("path", metavar=tr("cli.metavar.file"), help=tr("cli.arg.backup_path"))


def _no_arguments(parser: argparse.ArgumentParser, tr: Translator) -> None:
    pass


Configure = Callable[[argparse.ArgumentParser, Translator], object]

# The run modes and one-shot commands of the runtime: name -> (configure(subparser, tr), run(settings, args)).
# Each one's help is the catalog's cli.command.NAME.
MODES: dict[str, tuple[Configure, Callable[[Settings, argparse.Namespace], int]]] = {
    "console": (_no_arguments, run_console),
    "socket": (_no_arguments, run_socket),
    "serve": (_host_argument, run_serve),
    "tick": (_at_argument, run_tick),
    "backup": (_path_argument, run_backup),
    "check": (_no_arguments, run_check),
    "outbox": (_outbox_arguments, run_outbox),
}


def commands() -> dict:
    """The runtime's modes, then each feature's commands (bot.features)."""
    table = dict(MODES)
    for name, command in features.contributions().commands.items():
        if name in table:
            raise ValueError(f"command {name!r} is both a run mode and a feature's command")
        table[name] = (command.configure, _feature_command(command))
    return table


# -- entry point ------------------------------------------------------------------------------
def parser_of(table: dict, tr: Translator) -> argparse.ArgumentParser:
    """`python -m bot`'s parser in tr's language; build it (and use it) inside arguments.speaking(tr)."""
    parser = argparse.ArgumentParser(
        prog="python -m bot",
        description=tr("cli.description"),
        epilog=tr("cli.epilog"),
        formatter_class=arguments.formatter(tr),
    )
    sub = parser.add_subparsers(dest="mode", title=tr("cli.modes"), metavar=tr("cli.metavar.mode"))
    for name, (configure, _run) in table.items():
        words = tr(f"cli.command.{name}")
        configure(sub.add_parser(name, help=words, description=words, formatter_class=arguments.formatter(tr)), tr)
    return parser


def main(argv: list[str] | None = None) -> int:
    table = commands()
    argv = list(sys.argv[1:] if argv is None else argv)
    tr = translator(_language_hint())
    if argv and not argv[0].startswith("-") and argv[0] not in table:
        print(tr("cli.unexpected_mode", mode=argv[0], modes=", ".join(table)), file=sys.stderr)
        return EXIT_CONFIG
    with arguments.speaking(tr):  # argparse's own words ("usage:", its errors) in the team's language
        args = parser_of(table, tr).parse_args(argv)
    try:
        settings = load_settings()
        mode = args.mode or _default_mode(settings)
        return table[mode][1](settings, args)
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

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
    from bot.runtime.startup import prepare

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
    """Socket Mode until SIGTERM (exit 0: the socket is closed, the scheduler stopped) or Ctrl-C (130).

    slack_sdk's built-in client reconnects by itself afterwards (Slack's `disconnect` messages, close
    frames, stale or broken connections); only the first connection is ours to fail: a refused app
    token is one line and exit 2, an unreachable Slack one line and exit 1.
    """
    import signal
    import threading

    from slack_sdk.errors import SlackApiError, SlackRequestError

    from bot.runtime.app import create_app, learn_identity
    from bot.runtime.scheduler import start_in_background

    require(settings, "socket")
    _logging(logging.INFO)
    relais = _context(settings)
    app = create_app(relais, signing_secret="")
    learn_identity(relais)
    tr = _translator(settings)

    def stop(signum, frame):
        raise _Stopping()

    handler = _socket_handler(app, settings.app_token)
    scheduler = None
    signal.signal(signal.SIGTERM, stop)
    try:
        try:
            handler.connect()  # apps.connections.open with the xapp- token, then the WebSocket
        except SlackApiError as error:
            print(tr("settings.line", variable="SLACK_APP_TOKEN", got="",
                     expected=tr("settings.app_token_refused", error=error.response.get("error", "?"))),
                  file=sys.stderr)
            return EXIT_CONFIG
        except (SlackRequestError, OSError) as error:
            print(tr("check.unreachable", url=settings.api_url, error=error), file=sys.stderr)
            return 1
        scheduler = start_in_background(relais)
        log.info("Relais in Socket Mode (team channel %s)", settings.team_channel)
        threading.Event().wait()
    except _Stopping:
        log.info("SIGTERM: closing the Socket Mode connection")
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM must not cut the cleanup short
        if scheduler is not None:
            scheduler.set()
        handler.close()  # waits for the envelopes being handled; Bolt's listener threads finish at exit
    return 0


class _Stopping(Exception):
    """Raised in the main thread by the SIGTERM handler of `socket`."""


def _socket_handler(app, app_token: str):
    """Bolt's Socket Mode handler (slack_sdk's built-in client), with two corrections:

    - an envelope no listener takes is acknowledged anyway (empty payload). Bolt answers it 404 and its
      adapter then sends no ack at all: Slack would retry the event and show users an error.
    - end of stream is a broken connection. The built-in client takes recv() == b"" for "no data yet"
      and spins at 100% CPU until its pings fail (~40 s) when Slack hangs up without a close frame;
      raising instead ends that session and its monitor reconnects within `ping_interval`.
    """
    import errno
    from time import time

    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
    from slack_bolt.response import BoltResponse

    class EndOfStreamIsAnError:
        def __init__(self, sock):
            self._sock = sock

        def recv(self, size, *flags):
            data = self._sock.recv(size, *flags)
            if not data and size:
                raise ConnectionResetError(errno.ECONNRESET, "Slack closed the connection")
            return data

        def __getattr__(self, name):
            return getattr(self._sock, name)

    class Handler(SocketModeHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            client, connect = self.client, self.client.connect

            def connect_and_watch():  # also used by the client's own reconnections
                connect()
                session = client.current_session
                if session is not None and getattr(session, "sock", None) is not None:
                    session.sock = EndOfStreamIsAnError(session.sock)

            client.connect = connect_and_watch

        def handle(self, client, req):
            started = time()
            response = run_bolt_app(self.app, req)
            if response.status == 404:
                log.info("no listener for this %s envelope; acknowledged", req.type)
                response = BoltResponse(status=200, body="")
            send_response(client, req, response, started)

    return Handler(app, app_token)


@command("serve", lambda p: p.add_argument("--host", default="0.0.0.0"))
def run_serve(settings: Settings, args) -> int:
    import threading

    import waitress

    from bot.runtime.app import create_app, learn_identity, remembered_identity
    from bot.runtime.scheduler import start_in_background
    from bot.runtime.web import create_wsgi

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
    """One scheduler pass, as if it were --at (or now); one line per message sent, as it is sent."""
    from bot.runtime import jobs
    from bot.clock import parse_instant, to_text

    _logging(logging.WARNING)
    at = None
    if args.at:
        try:
            at = parse_instant(args.at, settings.tz)
        except ValueError:
            tr = _translator(settings)
            print(tr("settings.line", variable="--at", expected=tr("settings.instant"),
                     got=tr("settings.got", value=args.at)), file=sys.stderr)
            return EXIT_CONFIG
    relais = _context(settings)
    if at is not None:
        relais.clock.freeze(at)
    now = relais.clock.now()

    def said(row):
        print(relais.tr("tick.sent", at=to_text(now), kind=row["kind"], row=row["key"],
                        channel=row.get("slack_channel") or row["target"]), flush=True)

    jobs.tick(relais, now, on_sent=said)
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
    from bot.runtime.check import check

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
    "bot.stats.spreadsheet",
    "bot.calendar.feeds",
    "bot.digest.cli",
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

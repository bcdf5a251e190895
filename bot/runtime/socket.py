"""Socket Mode: the Procfile's `worker` (`python -m bot socket`), and `python -m bot` with an app token.

The scheduler runs in the same process. slack_sdk's built-in client does the connection; two
corrections to it live here (`socket_handler`).
"""

from __future__ import annotations

import errno
import logging
import signal
import sys
import threading
from time import time

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.errors import EXIT_CONFIG
from bot.i18n import translator
from bot.runtime.app import create_app, learn_identity
from bot.runtime.logs import configure_logging
from bot.runtime.scheduler import start_in_background
from bot.runtime.startup import open_relais
from bot.settings import Settings, require

log = logging.getLogger("relais")


def run(settings: Settings) -> int:
    """Socket Mode until SIGTERM (exit 0: the socket is closed, the scheduler stopped) or Ctrl-C (130).

    slack_sdk's built-in client reconnects by itself afterwards (Slack's `disconnect` messages, close
    frames, stale or broken connections); only the first connection is ours to fail: a refused app
    token is one line and exit 2, an unreachable Slack one line and exit 1.
    """
    require(settings, "socket")
    configure_logging(logging.INFO)
    relais = open_relais(settings)
    app = create_app(relais, signing_secret="")
    learn_identity(relais)
    tr = translator(settings.language)

    def stop(signum, frame):
        raise _Stopping()

    handler = socket_handler(app, settings.app_token, settings.ping_interval)
    scheduler = None
    signal.signal(signal.SIGTERM, stop)
    try:
        try:
            handler.connect()  # apps.connections.open with the xapp- token, then the WebSocket
        except SlackApiError as error:
            print(
                tr(
                    "settings.line",
                    variable="SLACK_APP_TOKEN",
                    got="",
                    expected=tr("settings.app_token_refused", error=error.response.get("error", "?")),
                ),
                file=sys.stderr,
            )
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


def socket_handler(app, app_token: str, ping_interval: float = 10.0):
    """Bolt's Socket Mode handler (slack_sdk's built-in client), with two corrections:

    - an envelope no listener takes is acknowledged anyway (empty payload). Bolt answers it 404 and its
      adapter then sends no ack at all: Slack would retry the event and show users an error.
    - end of stream is a broken connection. The built-in client takes recv() == b"" for "no data yet"
      and spins at 100% CPU until its pings fail (~40 s) when Slack hangs up without a close frame;
      raising instead ends that session and its monitor reconnects within `ping_interval`.
    """

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
                    # a duck-typed wrapper of the SSL socket (recv corrected, the rest delegated)
                    session.sock = EndOfStreamIsAnError(session.sock)  # type: ignore[assignment]

            # deliberate: the client's own reconnections call self.connect, so it is replaced on the instance
            client.connect = connect_and_watch  # type: ignore[method-assign]

        def handle(self, client, req):
            started = time()
            response = run_bolt_app(self.app, req)
            if response.status == 404:
                log.info("no listener for this %s envelope; acknowledged", req.type)
                response = BoltResponse(status=200, body="")
            send_response(client, req, response, started)

    return Handler(app, app_token, ping_interval=ping_interval)

"""Socket Mode: the Procfile's `worker` (`python -m bot socket`), and `python -m bot` with an app token.

The scheduler runs in the same process. slack_sdk's built-in client does the connection; two
corrections to it live here (`socket_handler`).
"""

from __future__ import annotations

import errno
import logging
import sys
import threading
from time import monotonic, time

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import run_bolt_app, send_response
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot import outbox
from bot.errors import EXIT_CONFIG
from bot.i18n import translator
from bot.runtime import cores
from bot.runtime.app import create_app, learn_identity, listener_pool
from bot.runtime.logs import configure_logging
from bot.runtime.scheduler import start_in_background
from bot.runtime.shutdown import Shutdown
from bot.runtime.startup import open_relais, settle
from bot.settings import Settings, require

log = logging.getLogger("relais")


def run(settings: Settings) -> int:
    """Socket Mode until SIGTERM or SIGINT (bot.runtime.shutdown): the envelopes being handled are finished and
    acknowledged, the message being posted is recorded, the socket closed, the scheduler stopped; exit 0.

    slack_sdk's built-in client reconnects by itself afterwards (Slack's `disconnect` messages, close
    frames, stale or broken connections); only the first connection is ours to fail: a refused app
    token is one line and exit 2, an unreachable Slack one line and exit 1.
    """
    require(settings, "socket")
    configure_logging(logging.INFO)
    shutdown = Shutdown()
    shutdown.install()  # from the start: a SIGTERM while starting stops the worker once connected
    one_core = cores.start(settings.cpu_cores)
    relais = open_relais(settings)
    listeners = listener_pool()
    app = create_app(relais, signing_secret="", listeners=listeners)
    learn_identity(relais)
    tr = translator(settings.language)
    settle(one_core)

    handler = socket_handler(app, settings.app_token, settings.ping_interval, stopping=shutdown.requested)
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
    shutdown.requested.wait()
    log.info(
        "Relais stopping (%s): no new envelopes; finishing %d envelope(s), %d message(s) being sent (%.0f s at most)",
        shutdown.signal_name,
        handler.under_way(),
        outbox.under_way(),
        shutdown.grace,
    )
    shutdown.begin(scheduler)
    cut = [] if handler.finish(shutdown.remaining()) else ["envelopes not acknowledged"]
    # close() waits for slack_sdk's own workers: in a thread, so that the grace holds whatever they do
    closing = threading.Thread(target=handler.close, name="relais-socket-close", daemon=True)
    closing.start()
    closing.join(shutdown.remaining())
    cut += shutdown.finish(scheduler, listeners)
    if closing.is_alive():
        cut.append("the Socket Mode connection")
    return shutdown.exit(cut)


def socket_handler(app, app_token: str, ping_interval: float = 10.0, stopping: threading.Event | None = None):
    """Bolt's Socket Mode handler (slack_sdk's built-in client), with two corrections and a stop:

    - an envelope no listener takes is acknowledged anyway (empty payload). Bolt answers it 404 and its
      adapter then sends no ack at all: Slack would retry the event and show users an error.
    - end of stream is a broken connection. The built-in client takes recv() == b"" for "no data yet"
      and spins at 100% CPU until its pings fail (~40 s) when Slack hangs up without a close frame;
      raising instead ends that session and its monitor reconnects within `ping_interval`.

    Once `stopping` is set, an envelope that arrives is left unacknowledged (Slack sends it again, events to
    another connection); `finish(timeout)` waits for those being handled to be acknowledged.
    """
    stopped = stopping or threading.Event()

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

            self._under_way = 0
            self._done = threading.Condition()

        def handle(self, client, req):
            if stopped.is_set():
                log.info("stopping: a %s envelope left unacknowledged (Slack sends it again)", req.type)
                return
            with self._done:
                self._under_way += 1
            try:
                started = time()
                response = run_bolt_app(self.app, req)
                if response.status == 404:
                    log.info("no listener for this %s envelope; acknowledged", req.type)
                    response = BoltResponse(status=200, body="")
                send_response(client, req, response, started)
            finally:
                with self._done:
                    self._under_way -= 1
                    self._done.notify_all()

        def under_way(self) -> int:
            return self._under_way

        def finish(self, timeout: float) -> bool:
            """True once no envelope is being handled (within `timeout` seconds)."""
            deadline = monotonic() + timeout
            with self._done:
                while self._under_way and monotonic() < deadline:
                    self._done.wait(deadline - monotonic())
                return not self._under_way

    return Handler(app, app_token, ping_interval=ping_interval)

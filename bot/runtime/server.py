"""The HTTP server of `python -m bot serve`: waitress, tuned so that a crowd of idle or slow clients
cannot starve Slack's requests, and oversized bodies are refused before they are read.

What it withstands alone (tests/test_web_e2e.py measures it):
- CONNECTION_LIMIT open connections (idle, or dribbling a byte now and then) while signed requests
  and /healthz keep answering: waitress reads requests in its event loop (poll(), no select() limit)
  and hands one to a worker thread only once it has arrived whole, so slow clients hold no thread;
  a connection silent for CHANNEL_TIMEOUT seconds is closed (checked every CLEANUP_INTERVAL);
- a body announced or sent over MAX_BODY is answered 413 as soon as its headers (or the first
  megabyte of a chunked body) are in: nothing more is read, nothing is spooled to disk.
Behind a reverse proxy (nginx, Caddy, a platform's router) the proxy holds the slow clients and this
server only sees whole requests: see the README.

On SIGTERM or SIGINT (`run_until_stopped`): the listening socket is closed at once (a new connection is
refused), every request received whole is answered and its answer sent, connections left idle are closed;
bot.runtime.shutdown says the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from waitress import wasyncore
from waitress.channel import HTTPChannel
from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from bot import outbox
from bot.runtime.shutdown import Shutdown
from bot.runtime.web import MAX_BODY

log = logging.getLogger("relais")

THREADS = 8  # requests served at once; Bolt's listeners run in their own pool (bot.runtime.app)
CONNECTION_LIMIT = 1000  # waitress's default (100) is exhausted by a hundred idle sockets
CHANNEL_TIMEOUT = 20  # seconds a connection may stay silent (Slack sends its request at once)
CLEANUP_INTERVAL = 5  # seconds between two sweeps of silent connections
MAX_HEADER = 64 * 1024  # Slack's headers are a few hundred bytes


def adjustments() -> dict:
    """waitress's settings for Relais (see waitress.adjustments.Adjustments)."""
    return {
        "threads": THREADS,
        "ident": "relais",
        "clear_untrusted_proxy_headers": True,
        "connection_limit": CONNECTION_LIMIT,
        "asyncore_use_poll": True,
        "channel_timeout": CHANNEL_TIMEOUT,
        "cleanup_interval": CLEANUP_INTERVAL,
        "max_request_header_size": MAX_HEADER,
        # waitress refuses a body whose length is >= this, before reading it (413)
        "max_request_body_size": MAX_BODY + 1,
        "inbuf_overflow": MAX_BODY + 1,  # a body within the limit stays in memory
    }


def create(app: Callable, host: str, port: int) -> BaseWSGIServer | MultiSocketServer:
    http = create_server(app, host=host, port=port, **adjustments())
    # waitress only calls .warning(message, depth) on it
    http.task_dispatcher.queue_logger = QueueDepth(logging.getLogger("waitress.queue"))  # type: ignore[assignment]
    return http


QUEUE_REPORT_EVERY = 60.0  # seconds between two lines about requests waiting for a thread


class QueueDepth:
    """In place of waitress's queue logger (ThreadedTaskDispatcher.queue_logger), which warns "Task queue depth
    is N" for every request that waits for a thread: under a burst, a line per request, each costing the
    interpreter what a small request does. The first is said as it is; then one line a minute at most, with
    the deepest queue and how many waited since."""

    def __init__(self, logger: logging.Logger, every: float = QUEUE_REPORT_EVERY) -> None:
        self.logger, self.every = logger, every
        self._said_at: float | None = None
        self._deepest = self._waited = 0

    def warning(self, message: str, depth: int, *args) -> None:  # waitress calls it under its queue lock
        now = time.monotonic()
        self._deepest, self._waited = max(self._deepest, depth), self._waited + 1
        if self._said_at is not None and now - self._said_at < self.every:
            return
        if self._said_at is None:
            self.logger.warning(message, depth, *args)
        else:
            self.logger.warning(
                "%d request(s) waited for a thread in the last %.0f s; queue depth up to %d",
                self._waited,
                now - self._said_at,
                self._deepest,
            )
        self._said_at, self._deepest, self._waited = now, 0, 0


def _socket_map(http: BaseWSGIServer | MultiSocketServer) -> dict:
    """The sockets waitress's loop watches (listening sockets, connections, its trigger)."""
    found = http.map if isinstance(http, MultiSocketServer) else getattr(http, "_map", None)
    assert isinstance(found, dict), "waitress keeps its sockets in a dict"
    return found


def run_until_stopped(http: BaseWSGIServer | MultiSocketServer, shutdown: Shutdown, on_stop: Callable[[], None]) -> int:
    """Serve until SIGTERM or SIGINT; then `on_stop()`, refuse new connections and answer the requests received,
    within the grace. Returns how many requests were left unanswered (0 normally)."""
    sockets = _socket_map(http)
    listening = [each for each in sockets.values() if isinstance(each, BaseWSGIServer)]
    shutdown.install(wake=listening[0].pull_trigger)  # a pipe write: the loop's poll() returns at once
    timeout = http.adj.asyncore_loop_timeout
    while not shutdown.requested.is_set():
        wasyncore.loop(timeout=timeout, map=sockets, use_poll=True, count=1)
    wasyncore.loop(timeout=0, map=sockets, use_poll=True, count=1)  # what had arrived before the signal
    for server in listening:
        wasyncore.dispatcher.close(server)  # the listening socket only (the trigger stays): new connections refused
    wasyncore.loop(timeout=0, map=sockets, use_poll=True, count=1)
    busy = _answering(sockets)
    log.info(
        "Relais stopping (%s): no new connections; answering %d request(s), finishing %d message(s) being sent "
        "(%.0f s at most)",
        shutdown.signal_name,
        len(busy),
        outbox.under_way(),
        shutdown.grace,
    )
    on_stop()
    while busy and shutdown.remaining() > 0:
        wasyncore.loop(timeout=min(0.05, shutdown.remaining()), map=sockets, use_poll=True, count=1)
        busy = _answering(sockets)
    http.task_dispatcher.shutdown(cancel_pending=True, timeout=int(shutdown.remaining()))
    wasyncore.close_all(sockets)
    return len(busy)


def _answering(sockets: dict) -> list[HTTPChannel]:
    """The connections with a request received whole and not yet answered, or an answer not yet sent; the
    others (idle, or still sending a request) are closed."""
    busy = []
    for channel in [each for each in list(sockets.values()) if isinstance(each, HTTPChannel)]:
        if channel.requests or channel.total_outbufs_len:
            busy.append(channel)
        elif channel.connected:
            channel.handle_close()
    return busy

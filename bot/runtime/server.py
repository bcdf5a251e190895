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
"""

from __future__ import annotations

from collections.abc import Callable

from waitress.server import BaseWSGIServer, MultiSocketServer, create_server

from bot.runtime.web import MAX_BODY

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
    return create_server(app, host=host, port=port, **adjustments())

"""Servers on 127.0.0.1 in a background thread, for stand-ins of the services Relais talks to: the
console's Slack Web API (bot.console.standin) and, in the tests, an iCalendar feed server and Slack's
Socket Mode endpoint. One way to start and stop them, and stopping is quick: the accept loop looks
for a stop request every POLL seconds (http.server's default, half a second, made every stop wait).

    server = Loopback(Handler, name="feed-server").start()   # Handler: a socketserver request handler
    server.port, server.url                                   # http://127.0.0.1:PORT
    server.stop()                                             # returns within POLL seconds

Each connection is served in its own daemon thread; stopping closes the listening socket and does not
wait for connections still being served (a stand-in told to hang must not hold the caller up).
"""

from __future__ import annotations

import socketserver
import threading
from http.server import ThreadingHTTPServer

POLL = 0.01  # seconds between two looks at a stop request


class _TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    block_on_close = False


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False


class Loopback:
    """A threading TCP server (an HTTP one with `http=True`, for BaseHTTPRequestHandler subclasses)."""

    def __init__(
        self,
        handler: type[socketserver.BaseRequestHandler],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "loopback",
        http: bool = True,
    ):
        self.handler, self.host, self.name = handler, host, name
        self._port = port
        self._http = http
        self.server: socketserver.TCPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped = False

    def start(self) -> Loopback:
        kind = _HTTPServer if self._http else _TCPServer
        self.server = kind((self.host, self._port), self.handler)
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": POLL}, name=self.name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.server is None or self._stopped:
            return
        self._stopped = True
        self.server.shutdown()  # the accept loop ends within POLL seconds
        self.server.server_close()

    def __enter__(self) -> Loopback:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None, "start() first"
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    @property
    def port(self) -> int:
        return self.address[1]

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

"""(Support module, no tests.) A small iCalendar server on 127.0.0.1 for the feed tests: each path answers what the test says
(a body with ETag/Last-Modified and conditional GET, an HTTP error, garbage, silence, a slow drip),
and every request is recorded with its headers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from bot.console.loopback import Loopback


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before answering anything
    drip: float = 0.0  # seconds between bytes of the body
    content_type: str = "text/calendar; charset=utf-8"


def ics(*events: str, name: str = "Calendrier") -> bytes:
    """A VCALENDAR around these VEVENT bodies (each without BEGIN/END lines)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//UdeM//Calendrier test//FR", f"X-WR-CALNAME:{name}"]
    for event in events:
        lines += ["BEGIN:VEVENT", *[line.strip() for line in event.strip().splitlines()], "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


class FeedServer:
    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        self.arrived: list[tuple[str, float]] = []  # (path, time.time()) of each request, on arrival
        self._lock = threading.Lock()
        self.server: Loopback | None = None

    def set(self, path: str, body: bytes = b"", **kw) -> str:
        self.routes[path] = Route(body=body, **kw)
        return self.url(path)

    def url(self, path: str) -> str:
        return self.server.url + path

    def hits(self, path: str) -> list[dict]:
        with self._lock:
            return [headers for p, headers in self.requests if p == path]

    def arrivals(self, path: str) -> list[float]:
        """When each request for `path` arrived (time.time(), comparable with the Slack stand-in's Call.at)."""
        with self._lock:
            return [at for p, at in self.arrived if p == path]

    def start(self) -> FeedServer:
        feeds = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                with feeds._lock:
                    feeds.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                    feeds.arrived.append((self.path, time.time()))
                route = feeds.routes.get(self.path) or Route(status=404, body=b"not found")
                if route.delay:
                    time.sleep(route.delay)
                try:
                    if route.status == 200 and route.etag and self.headers.get("If-None-Match") == route.etag:
                        self.send_response(304)
                        self.send_header("ETag", route.etag)
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(route.body)))
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    if route.last_modified:
                        self.send_header("Last-Modified", route.last_modified)
                    self.end_headers()
                    if route.drip:
                        for i in range(len(route.body)):
                            self.wfile.write(route.body[i : i + 1])
                            self.wfile.flush()
                            time.sleep(route.drip)
                    else:
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.server = Loopback(Handler, name="feed-server").start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

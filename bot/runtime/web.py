"""HTTP mode: a small WSGI app in front of Bolt, served by waitress (a production server).

    POST /slack/events   Slack's requests (signed), handed to Bolt
    GET  /healthz        200 {"status": "ok", ...}
    GET  /calendar.ics   the editorial calendar (with ?key=CALENDAR_FEED_KEY), when available; 304 when the client
                         has it (features' routes answer bytes, an iterable or no body: see _route_reply)

Before Bolt sees a request:
- a body over MAX_BODY is refused (413);
- a missing, non-numeric, stale (over 5 minutes) or badly signed request is answered 401 (Bolt
  itself would answer 500 to a non-numeric timestamp);
- a signed body that is not shaped as Slack's (bot.runtime.payloads: unreadable, a part missing or of another
  type) is answered 400 and no listener runs;
- a request from another workspace than the bot's is answered 403;
- a signed request seen before (a replay within the 5-minute window) is answered 200 with an
  empty body and changes nothing: this process remembers the signatures it saw (no write on the
  ack path: help, lists and refusals never wait for the write lock), and a request's first write
  transaction claims its signature in the database (storage.db.Claim), so a replay that reaches
  another process, or this one after a restart, changes nothing either (storage.db.Replayed).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.signature import SignatureVerifier

from bot import outbox
from bot.clock import to_text
from bot.context import Relais
from bot.runtime import health, payloads
from bot.runtime.app import ACK_PATIENCE
from storage import kv
from storage.db import Claim, set_claim, set_limits

log = logging.getLogger("relais.web")

MAX_BODY = 1024 * 1024  # Slack's own payloads stay far below this
PRUNE_EVERY = 60.0  # seconds between two clean-ups of the replay claims


def _reply(start_response, status: str, body: bytes, content_type: str = "application/json", headers=()) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body))), *headers])
    return [body]


def _route_reply(start_response, status: str, headers: dict, body, head: bool) -> Iterable[bytes]:
    """A feature's route answer: `body` is bytes (sent with its Content-Length), an iterable of bytes (sent as it
    is produced, with the Content-Length the route gives, else chunked) or None (no body: 304, or a HEAD, whose
    Content-Length the route may give). A HEAD never gets a body (waitress would send it): bytes keep their
    Content-Length, an iterable is closed unread."""
    listed = list(headers.items())
    if isinstance(body, bytes):
        if "Content-Type" not in headers:
            listed.insert(0, ("Content-Type", "text/plain"))
        start_response(status, [*listed, ("Content-Length", str(len(body)))])
        return [] if head else [body]
    start_response(status, listed)
    if body is None or head:
        if hasattr(body, "close"):
            body.close()
        return []
    return body


def _json(start_response, status: str, value) -> list[bytes]:
    return _reply(start_response, status, json.dumps(value).encode())


def request_team(data: dict) -> str | None:
    """The workspace a Slack request comes from (slash command, interaction payload or event envelope),
    read from the body as Bolt reads it (bot.runtime.payloads.parse), whatever its Content-Type says."""
    team = data.get("team_id") or data.get("team")
    if isinstance(team, dict):
        team = team.get("id")
    if not team and isinstance(data.get("user"), dict):
        team = data["user"].get("team_id")
    return team if isinstance(team, str) and team else None


def create_wsgi(relais: Relais, app: App) -> Callable:
    verifier = SignatureVerifier(relais.settings.signing_secret)

    def wsgi(environ, start_response) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz" and method in ("GET", "HEAD"):
            problems = health.problems(relais)
            if problems:
                return _json(start_response, "503 Service Unavailable", {"status": "failing", "problems": problems})
            return _json(start_response, "200 OK", {"status": "ok", "service": "relais"})
        if path == "/slack/events":
            if method != "POST":
                return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
            return _slack(environ, start_response)
        routes = relais.contributions.routes
        if method in ("GET", "HEAD") and path in routes:
            status, headers, body = routes[path](relais, environ)
            return _route_reply(start_response, status, headers, body, head=method == "HEAD")
        return _json(start_response, "404 Not Found", {"error": "not found"})

    def _slack(environ, start_response) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            return _json(start_response, "413 Payload Too Large", {"error": "body too large"})
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length else ""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        timestamp = headers.get("x-slack-request-timestamp", "")
        signature = headers.get("x-slack-signature", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or not verifier.is_valid(body, timestamp, signature):
            return _json(start_response, "401 Unauthorized", {"error": "invalid request"})
        try:
            data = payloads.parse(body, headers.get("content-type"))
        except ValueError:
            data = None
        trouble = "not a JSON object nor a form" if data is None else payloads.problem(data)
        if trouble:
            log.warning("refused a signed request not shaped as Slack's (%s)", trouble)
            return _json(start_response, "400 Bad Request", {"error": "malformed request"})
        assert data is not None  # trouble is set otherwise
        team = request_team(data)
        if relais.team_id and team and team != relais.team_id:
            log.warning("refused a request from workspace %s (the bot's is %s)", team, relais.team_id)
            return _json(start_response, "403 Forbidden", {"error": "wrong workspace"})
        if not seen.first_time(signature):
            log.warning("ignored a replayed request (timestamp %s)", timestamp)
            return _reply(start_response, "200 OK", b"", "text/plain")
        set_limits(ACK_PATIENCE)
        set_claim(Claim(lambda db: _claim(db, signature)))
        try:
            with outbox.answering():
                response = app.dispatch(BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers))
        finally:
            set_limits()
            set_claim()
        out_headers = [
            (k, v) for k, values in response.headers.items() for v in values if k.lower() not in ("content-length",)
        ]
        payload = (response.body or "").encode("utf-8")
        start_response(
            f"{response.status} {_REASONS.get(response.status, 'OK')}",
            out_headers + [("Content-Length", str(len(payload)))],
        )
        return [payload]

    seen = Seen()
    pruned = {"at": 0.0}
    prune_lock = threading.Lock()

    def _claim(db, signature: str) -> bool:
        """In the request's first write transaction: one INSERT; claims too old to be replayed are dropped
        once a minute."""

        now = datetime.now(UTC)  # Slack's clock, not the (possibly shifted) business clock
        forget_before = None
        with prune_lock:
            if time.monotonic() - pruned["at"] >= PRUNE_EVERY:
                pruned["at"] = time.monotonic()
                forget_before = to_text(now - timedelta(minutes=10))
        return kv.claim_once(db, "seen:" + signature, to_text(now), forget_before)

    return wsgi


class Seen:
    """The signatures this process saw within REMEMBER seconds (Slack refuses older timestamps anyway)."""

    REMEMBER = 600.0

    def __init__(self) -> None:
        self._at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._pruned = time.monotonic()

    def first_time(self, signature: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._pruned >= PRUNE_EVERY:
                self._pruned = now
                self._at = {s: at for s, at in self._at.items() if now - at < self.REMEMBER}
            if signature in self._at:
                return False
            self._at[signature] = now
            return True


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

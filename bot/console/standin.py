"""A stand-in for Slack's Web API on 127.0.0.1, for the console and the tests.

It answers the methods Relais uses the way Slack does (`ok`, `ts`, `channel`, view ids, file
uploads, response_url posts), records every call, and can be told to misbehave:

    standin = SlackStandIn().start()
    standin.api_url                     # give this to SLACK_API_URL
    standin.response_url()              # a response_url that lands here too
    standin.fail("chat.postMessage", status=429, retry_after=1, times=2)
    standin.fail("*", status=503, times=10**6)   # every method: an outage; standin.heal() ends it
    standin.delay = 2.0                 # answer every call after 2 s
    standin.calls("chat.postMessage")   # what was sent, in order
    standin.wait_for("chat.postMessage", count=1, timeout=5)
    standin.violations                  # payloads Slack would have refused (bot.console.blockkit)

Every message, view and response_url post is checked as Slack checks it (bot.console.blockkit): one
Slack would refuse is answered as Slack answers it (`invalid_blocks`, `invalid_arguments`,
`msg_too_long`; a response_url post gets a 400) and recorded in `violations`, and in
`SlackStandIn.recorded` for every stand-in of the process (the tests fail on any).

Nothing here is Relais logic: it is Slack's side of the wire.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import ClassVar
from urllib.parse import parse_qsl, urlparse

from bot.console import blockkit
from bot.console.loopback import Loopback

BOT_USER = "U0RELAISBOT"
BOT_ID = "B0RELAIS"
TEAM = "T0001"
SCOPES = "commands,chat:write,chat:write.public,im:write,users:read,files:write,channels:read,groups:read"


@dataclass
class Call:
    method: str  # Web API method, or 'response_url', or 'upload'
    args: dict
    token: str | None = None
    at: float = field(default_factory=time.time)
    result: dict | None = None
    violations: list[str] = field(default_factory=list)  # what Slack would refuse in it


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: int | None = None
    error: str | None = None


class SlackStandIn:
    recorded: ClassVar[list[tuple[str, list[str]]]] = []  # (what, problems) of every stand-in of this process

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._host, self._port = host, port
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._ts = itertools.count(1)
        self._ids = itertools.count(1)
        self.delay = 0.0
        self.members_of_team_channel = True
        self.valid_tokens: set[str] | None = None  # None: any xoxb- token is fine
        self.valid_app_tokens: set[str] | None = None  # None: any xapp- token may open a socket
        self.socket_url: str | Callable[[], str] = "ws://127.0.0.1:9/"  # apps.connections.open's answer
        self.scopes = SCOPES
        self.files: dict[str, dict] = {}
        self.on_call: Callable[[Call], None] | None = None
        self.validate = True  # check payloads as Slack does (bot.console.blockkit)
        self.violations: list[Call] = []
        self.server: Loopback | None = None

    # -- life --------------------------------------------------------------------------
    def start(self) -> SlackStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, headers, body = standin._handle(self.path, self.headers, raw)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_PUT = do_POST

        self.server = Loopback(Handler, host=self._host, port=self._port, name="slack-standin").start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def base_url(self) -> str:
        assert self.server is not None, "start() first"
        return self.server.url

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    def response_url(self) -> str:
        return f"{self.base_url}/response/{next(self._ids)}"

    # -- control -----------------------------------------------------------------------
    def fail(
        self, method: str, status: int = 500, times: int = 1, retry_after: int | None = None, error: str | None = None
    ) -> None:
        """The next `times` calls of `method` answer `status` (429 with Retry-After), or ok=false `error`."""
        with self._lock:
            self._faults.setdefault(method, []).append(_Fault(status, times, retry_after, error))

    def heal(self) -> None:
        """Forget every fault still planned: Slack is back."""
        with self._lock:
            self._faults.clear()

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    @classmethod
    def report(cls, what: str, problems: list[str]) -> None:
        """Record payload problems found outside a stand-in (an ack body the tests read)."""
        if problems:
            cls.recorded.append((what, list(problems)))

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        """Wait until at least `count` calls of `method` arrived; returns them (maybe fewer on timeout)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self._calls if c.method == method]
                remaining = deadline - time.monotonic()
                if len(found) >= count or remaining <= 0:
                    return found
                self._lock.wait(min(remaining, 0.1))

    # -- the wire ----------------------------------------------------------------------
    def _handle(self, path: str, headers, raw: bytes) -> tuple[int, dict, bytes]:
        if self.delay:
            time.sleep(self.delay)
        parsed = urlparse(path)
        content_type = headers.get("Content-Type", "")
        args: dict = {}
        if "json" in content_type and raw:
            args = json.loads(raw.decode("utf-8"))
        elif raw and "form" in content_type and not path.startswith("/upload/"):  # uploads are raw bytes (PNG)
            args = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            for key in ("blocks", "view", "attachments", "files"):
                if isinstance(args.get(key), str) and args[key][:1] in "[{":
                    args[key] = json.loads(args[key])
        args.update(dict(parse_qsl(parsed.query)))
        token = (headers.get("Authorization") or "").removeprefix("Bearer ").strip() or args.get("token")

        if parsed.path.startswith("/response/"):
            args = args or {"raw": raw.decode("utf-8", "replace")}
            problems = self._check("response_url", args)
            if problems:
                error = blockkit.slack_error("response_url", problems)
                return self._record(
                    "response_url", args, token, {"ok": False, "error": error}, raw_text=True, problems=problems
                )
            return self._record("response_url", args, token, {"ok": True}, raw_text=True)
        if parsed.path.startswith("/upload/"):
            file_id = parsed.path.rsplit("/", 1)[-1]
            self.files.setdefault(file_id, {})["content"] = raw
            return self._record("upload", {"file_id": file_id, "size": len(raw)}, token, {"ok": True}, raw_text=True)
        if not parsed.path.startswith("/api/"):
            return 404, {"Content-Type": "text/plain"}, b"not found"
        method = parsed.path[len("/api/") :]

        fault = self._take_fault(method)
        if fault is not None:
            if fault.error:
                return self._record(method, args, token, {"ok": False, "error": fault.error})
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            body = {"ok": False, "error": "ratelimited" if fault.status == 429 else "internal_error"}
            _status, hdrs, out = self._record(method, args, token, body)
            return fault.status, {**hdrs, **extra}, out

        if method == "apps.connections.open" and not (token or "").startswith("xapp-"):  # Slack wants an app token
            return self._record(
                method, args, token, {"ok": False, "error": "not_allowed_token_type" if token else "not_authed"}
            )
        if (
            method == "apps.connections.open"
            and self.valid_app_tokens is not None
            and token not in self.valid_app_tokens
        ):
            return self._record(method, args, token, {"ok": False, "error": "invalid_auth"})
        if self.valid_tokens is not None and method != "apps.connections.open" and token not in self.valid_tokens:
            return self._record(method, args, token, {"ok": False, "error": "invalid_auth"})
        problems = self._check(method, args)
        if problems:
            refusal: dict[str, object] = {
                "ok": False,
                "error": blockkit.slack_error(method, problems),
                "errors": problems,
            }
            refusal["response_metadata"] = {"messages": [f"[ERROR] {p}" for p in problems]}
            return self._record(method, args, token, refusal, problems=problems)
        return self._record(method, args, token, self._answer(method, args))

    def _check(self, method: str, args: dict) -> list[str]:
        if not self.validate:
            return []
        try:
            return blockkit.check_call(method, args)
        except Exception as error:  # noqa: BLE001 - a payload the checker cannot read is one Slack refuses
            return [f"{method}: unreadable payload ({error.__class__.__name__}: {error})"]

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            for name in (method, "*"):
                queue = self._faults.get(name) or []
                if queue:
                    fault = queue[0]
                    fault.times -= 1
                    if fault.times <= 0:
                        queue.pop(0)
                    return fault
        return None

    def _record(self, method, args, token, result, raw_text=False, problems=None):
        call = Call(method=method, args=args, token=token, result=result, violations=list(problems or []))
        with self._lock:
            self._calls.append(call)
            if call.violations:
                self.violations.append(call)
                SlackStandIn.recorded.append((method, call.violations))
            self._lock.notify_all()
        if self.on_call:
            self.on_call(call)
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if method == "auth.test":
            headers["x-oauth-scopes"] = self.scopes
        body = b"ok" if raw_text else json.dumps(result).encode("utf-8")
        status = 200
        if raw_text:
            headers["Content-Type"] = "text/plain"
            if not result.get("ok", True):  # a refused response_url post: 400 and the error, as Slack answers
                status, body = 400, str(result.get("error")).encode("utf-8")
        return status, headers, body

    def _next_ts(self) -> str:
        return f"{1795000000 + next(self._ts)}.{next(self._ids):06d}"

    def _answer(self, method: str, args: dict) -> dict:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://bib-udem.slack.com/",
                "team": "Bibliothèques UdeM",
                "user": "relais",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            ts = args.get("ts") if method == "chat.update" else self._next_ts()
            channel = args.get("channel", "")
            message = {
                "type": "message",
                "user": BOT_USER,
                "bot_id": BOT_ID,
                "ts": ts,
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
            }
            if args.get("thread_ts"):
                message["thread_ts"] = args["thread_ts"]
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": ts}
            return {"ok": True, "channel": channel, "ts": ts, "message": message}
        if method == "conversations.open":
            users = args.get("users", "")
            return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("UW")}}
        if method == "conversations.info":
            channel = args.get("channel", "")
            if not channel.startswith(("C", "G", "D")):
                return {"ok": False, "error": "channel_not_found"}
            return {
                "ok": True,
                "channel": {"id": channel, "name": "communications", "is_member": self.members_of_team_channel},
            }
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            view = args.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            view_id = args.get("view_id") or f"V{next(self._ids):08d}"
            return {"ok": True, "view": {**view, "id": view_id, "hash": f"h{next(self._ids)}"}}
        if method == "users.info":
            user = args.get("user", "")
            return {
                "ok": True,
                "user": {
                    "id": user,
                    "name": user.lower(),
                    "real_name": user,
                    "tz": "America/Montreal",
                    "locale": "fr-CA",
                    "profile": {"display_name": user},
                },
            }
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._ids):08d}"
            self.files[file_id] = {"filename": args.get("filename"), "length": args.get("length")}
            return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            files = args.get("files") or []
            if isinstance(files, str):
                files = json.loads(files)
            for f in files:
                self.files.setdefault(f["id"], {}).update(
                    {
                        "title": f.get("title"),
                        "channel": args.get("channel_id"),
                        "initial_comment": args.get("initial_comment"),
                    }
                )
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "apps.connections.open":
            url = self.socket_url  # a callable (tests/socket_standin.py) issues a fresh URL per call
            return {"ok": True, "url": url() if callable(url) else url}
        return {"ok": True}

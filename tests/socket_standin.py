"""Slack's Socket Mode endpoint on 127.0.0.1, for the end-to-end tests of the `worker` process.

A small, strict WebSocket server (RFC 6455, stdlib only) that talks like Slack's Socket Mode
service: the client calls `apps.connections.open` with its xapp- token (answered by SlackStandIn,
which hands out a fresh `ws://127.0.0.1:PORT/link/?ticket=...&app_id=...` for each call), opens
the socket with that one-time ticket, gets `{"type": "hello", ...}`, then receives envelopes and
sends back one acknowledgement per envelope, `{"envelope_id": ..., "payload": {...}}`.
`sockets.slash()`/`sockets.button()` build envelopes whose response_url is the Web API stand-in's
(the module's `*_envelope` builders keep the templates' hooks.slack.com unless told otherwise).

    sockets = SocketModeStandIn().start().attach(standin)   # standin: the Web API stand-in
    conn = sockets.wait_for_connection()                     # a client connected, got its hello
    eid = sockets.push(sockets.slash("/propose", "help"))    # to the newest open connection
    ack = sockets.wait_for_ack(eid, timeout=10)              # {"envelope_id": eid, "payload": {...}}
    sockets.button("placement_submitted", "12:udem-facebook")  # block_actions; events_envelope(event)
    sockets.disconnect("refresh_requested")                  # Slack asks the client to reconnect
    sockets.close(1001) / sockets.hang_up()                  # a close frame / TCP gone without one
    sockets.errors                                           # protocol faults the client made

Nothing here is Relais logic: it is Slack's side of the wire. Client frames must be masked
(unmasked ones are a protocol error, closed with 1002); ours are not, as RFC 6455 requires.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import copy
import hashlib
import itertools
import json
import os
import socket
import socketserver
import struct
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

from bot.console.blockkit import check_ack
from bot.console.loopback import Loopback
from bot.console.standin import SlackStandIn
from tests import slack

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
APP_ID = "A0RELAIS"
MAX_MESSAGE = 16 * 1024 * 1024  # refuse anything bigger (1009), as a real server would

OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONTROL = (OP_CLOSE, OP_PING, OP_PONG)


def accept_key(key: str) -> str:
    """Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2)."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


def encode_frame(opcode: int, payload: bytes = b"", fin: bool = True, mask: bytes | None = None) -> bytes:
    """One frame; servers send unmasked frames, `mask` is there for tests of the reader."""
    head = bytes([(0x80 if fin else 0) | opcode])
    length = len(payload)
    bit = 0x80 if mask is not None else 0
    if length < 126:
        head += bytes([bit | length])
    elif length < 1 << 16:
        head += bytes([bit | 126]) + struct.pack("!H", length)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", length)
    if mask is not None:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


class ProtocolError(Exception):
    def __init__(self, code: int, reason: str):
        super().__init__(f"{code} {reason}")
        self.code, self.reason = code, reason


@dataclass
class Frame:
    fin: bool
    opcode: int
    payload: bytes


@dataclass
class Connection:
    """One WebSocket session as the server sees it."""

    number: int
    sock: socket.socket
    path: str
    query: dict
    headers: dict
    opened_at: float = field(default_factory=time.time)
    closed: bool = False
    close_code: int | None = None  # what the client said in its close frame, if it sent one
    pings: list[bytes] = field(default_factory=list)  # client pings received (each answered with a pong)
    pongs: list[bytes] = field(default_factory=list)  # answers to our pings
    messages: list[dict] = field(default_factory=list)  # every JSON text message received
    _send_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _close_sent: bool = field(default=False, repr=False)

    def send_frame(self, opcode: int, payload: bytes = b"") -> bool:
        with self._send_lock:
            if self.closed or self._close_sent:
                return False
            try:
                self.sock.sendall(encode_frame(opcode, payload))
            except OSError:
                return False
            if opcode == OP_CLOSE:
                self._close_sent = True
            return True

    def send_json(self, message: dict) -> bool:
        return self.send_frame(OP_TEXT, json.dumps(message).encode("utf-8"))


class SocketModeStandIn:
    def __init__(self, host: str = "127.0.0.1", app_id: str = APP_ID):
        self.host, self.app_id = host, app_id
        self.connections: list[Connection] = []
        self.acks: dict[str, dict] = {}
        self.errors: list[str] = []  # protocol faults by clients, for tests to assert on
        self.tickets: dict[str, bool] = {}  # ticket -> used
        self._lock = threading.Condition()
        self._numbers = itertools.count(1)
        self._server: Loopback | None = None
        self._response_url = None  # the Web API stand-in's, once attached

    # -- life ----------------------------------------------------------------------------
    def start(self) -> SocketModeStandIn:
        standin = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                standin._serve(self.request)

        self._server = Loopback(Handler, host=self.host, name="socket-standin", http=False).start()
        return self

    def attach(self, web_api) -> SocketModeStandIn:
        """Make the Web API stand-in answer `apps.connections.open` with a fresh URL of ours."""
        web_api.socket_url = self.issue_url
        self._response_url = web_api.response_url
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
        for conn in list(self.connections):
            self._shutdown(conn)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def port(self) -> int:
        return self._server.port

    def issue_url(self) -> str:
        """What `apps.connections.open` returns: a one-time ticket, like Slack's."""
        ticket = str(uuid.uuid4())
        with self._lock:
            self.tickets[ticket] = False
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={self.app_id}"

    # -- what tests do -------------------------------------------------------------------
    def open_connections(self) -> list[Connection]:
        with self._lock:
            return [c for c in self.connections if not c.closed]

    def wait_for_connection(self, count: int = 1, timeout: float = 20.0, alive=None) -> Connection:
        """Wait until `count` connections have been opened (and greeted); returns the newest open one.

        `alive()` (optional) is checked while waiting, e.g. that the client process is still running.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                opened = [c for c in self.connections if not c.closed]
                if len(self.connections) >= count and opened:
                    return opened[-1]
                if alive is not None and not alive():
                    raise RuntimeError("the client went away before connecting")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"{len(self.connections)} connection(s) after {timeout}s; errors: {self.errors}")
                self._lock.wait(min(remaining, 0.1))

    def push(self, envelope: dict, connection: Connection | None = None) -> str:
        """Send an envelope (see the *_envelope builders) to `connection` or the newest open one."""
        conn = connection or self._newest()
        if not conn.send_json(envelope):
            raise ConnectionError(f"connection {conn.number} is closed")
        return envelope["envelope_id"]

    def wait_for_ack(self, envelope_id: str, timeout: float = 10.0) -> dict | None:
        """The acknowledgement of that envelope (`{"envelope_id", "payload"?}`), or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while envelope_id not in self.acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(min(remaining, 0.1))
            return self.acks[envelope_id]

    def disconnect(self, reason: str = "refresh_requested", connection: Connection | None = None) -> None:
        """Slack's way of asking for a reconnection (reasons: warning, refresh_requested, link_disabled)."""
        conn = connection or self._newest()
        conn.send_json(
            {"type": "disconnect", "reason": reason, "debug_info": {"host": f"applink-standin-{conn.number}"}}
        )

    def close(self, code: int = 1001, reason: str = "going away", connection: Connection | None = None) -> None:
        """Start the closing handshake; the socket is closed when the client answers (or hangs up)."""
        conn = connection or self._newest()
        conn.send_frame(OP_CLOSE, struct.pack("!H", code) + reason.encode("utf-8"))

    def hang_up(self, connection: Connection | None = None) -> Connection:
        """End the TCP connection without a close frame (a crashed front end, a proxy's idle timeout)."""
        conn = connection or self._newest()
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)
        return conn

    def ping(self, payload: bytes = b"standin", connection: Connection | None = None, timeout: float = 10.0) -> bool:
        """Ping a client; True when its pong (with the same payload) came back."""
        conn = connection or self._newest()
        conn.send_frame(OP_PING, payload)
        deadline = time.monotonic() + timeout
        with self._lock:
            while payload not in conn.pongs:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or conn.closed:
                    return False
                self._lock.wait(min(remaining, 0.1))
            return True

    # envelopes whose response_url lands on the attached Web API stand-in (never on slack.com)
    def slash(self, command: str, text: str = "", **kw) -> dict:
        return slash_envelope(command, text, response_url=self._response_url(), **kw)

    def button(self, action_id: str, value: str, **kw) -> dict:
        return interactive_envelope(slack.block_actions(action_id, value, response_url=self._response_url(), **kw))

    def _newest(self) -> Connection:
        opened = self.open_connections()
        if not opened:
            raise ConnectionError("no open Socket Mode connection")
        return opened[-1]

    # -- the wire ------------------------------------------------------------------------
    def _fault(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)
            self._lock.notify_all()

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(None)
        reader = _Reader(sock)
        try:
            conn = self._handshake(sock, reader)
        except (OSError, ProtocolError) as error:
            self._fault(f"handshake: {error}")
            sock.close()
            return
        if conn is None:
            sock.close()
            return
        try:
            self._receive(conn, reader)
        except ProtocolError as error:
            self._fault(f"connection {conn.number}: {error}")
            conn.send_frame(OP_CLOSE, struct.pack("!H", error.code) + error.reason.encode("utf-8"))
        except OSError:
            pass  # the client hung up without a close frame: Slack sees the same
        finally:
            self._shutdown(conn)

    def _handshake(self, sock: socket.socket, reader: _Reader) -> Connection | None:
        head = reader.until(b"\r\n\r\n", limit=16 * 1024)
        lines = head.decode("latin-1").split("\r\n")
        request_line, header_lines = lines[0], [line for line in lines[1:] if line]
        parts = request_line.split(" ")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep:
                return self._refuse(sock, 400, f"malformed header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        if len(parts) != 3 or parts[0] != "GET" or not parts[2].startswith("HTTP/1."):
            return self._refuse(sock, 400, f"bad request line {request_line!r}")
        if parts[2] == "HTTP/1.0":
            return self._refuse(sock, 400, "HTTP/1.1 or newer is required")
        target = urlparse(parts[1])
        query = {k: v[-1] for k, v in parse_qs(target.query).items()}
        if "host" not in headers:
            return self._refuse(sock, 400, "no Host header")
        if headers.get("upgrade", "").lower() != "websocket":
            return self._refuse(sock, 400, "Upgrade: websocket is missing")
        if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
            return self._refuse(sock, 400, "Connection: Upgrade is missing")
        if headers.get("sec-websocket-version") != "13":
            return self._refuse(sock, 426, "Sec-WebSocket-Version must be 13", {"Sec-WebSocket-Version": "13"})
        key = headers.get("sec-websocket-key", "")
        try:
            if len(base64.b64decode(key, validate=True)) != 16:
                raise ValueError(key)
        except (binascii.Error, ValueError):
            return self._refuse(sock, 400, f"bad Sec-WebSocket-Key {key!r}")
        if target.path != "/link/":
            return self._refuse(sock, 404, f"no such endpoint {target.path!r}")
        ticket = query.get("ticket", "")
        with self._lock:
            used = self.tickets.get(ticket)  # None: never issued
            if used is False:
                self.tickets[ticket] = True
        if used is None:
            return self._refuse(sock, 401, "unknown ticket (ask apps.connections.open for a URL)")
        if used:
            return self._refuse(sock, 401, "ticket already used")
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\n"
                "Connection: Upgrade\r\n"
                f"Sec-WebSocket-Accept: {accept_key(key)}\r\n"
                "\r\n"
            ).encode("ascii")
        )
        conn = Connection(number=next(self._numbers), sock=sock, path=target.path, query=query, headers=headers)
        with self._lock:
            count = len([c for c in self.connections if not c.closed]) + 1
        conn.send_json(
            {
                "type": "hello",
                "num_connections": count,
                "debug_info": {
                    "host": f"applink-standin-{conn.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": self.app_id},
            }
        )
        with self._lock:
            self.connections.append(conn)
            self._lock.notify_all()
        return conn

    def _refuse(self, sock: socket.socket, status: int, why: str, extra: dict | None = None) -> None:
        self._fault(f"handshake refused ({status}): {why}")
        body = why.encode("utf-8")
        head = f"HTTP/1.1 {status} Refused\r\nContent-Type: text/plain\r\nContent-Length: {len(body)}\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (extra or {}).items())
        with contextlib.suppress(OSError):
            sock.sendall(head.encode("ascii") + b"Connection: close\r\n\r\n" + body)
        return None

    def _receive(self, conn: Connection, reader: _Reader) -> None:
        parts: list[bytes] = []
        kind: int | None = None
        while True:
            frame = reader.frame()
            if frame is None:
                return  # EOF
            if frame.opcode in CONTROL:
                if not frame.fin or len(frame.payload) > 125:
                    raise ProtocolError(1002, "fragmented or oversized control frame")
                if frame.opcode == OP_PING:
                    with self._lock:
                        conn.pings.append(frame.payload)
                    conn.send_frame(OP_PONG, frame.payload)
                elif frame.opcode == OP_PONG:
                    with self._lock:
                        conn.pongs.append(frame.payload)
                        self._lock.notify_all()
                else:  # close: answer it (unless we started), then hang up
                    if len(frame.payload) == 1:
                        raise ProtocolError(1002, "close frame with a one-byte body")
                    code = struct.unpack("!H", frame.payload[:2])[0] if frame.payload else 1005
                    conn.close_code = code
                    conn.send_frame(OP_CLOSE, frame.payload[:2])
                    return
                continue
            if frame.opcode == OP_CONTINUATION:
                if kind is None:
                    raise ProtocolError(1002, "continuation frame without a message")
            elif frame.opcode in (OP_TEXT, OP_BINARY):
                if kind is not None:
                    raise ProtocolError(1002, "new message inside a fragmented one")
                kind = frame.opcode
            else:
                raise ProtocolError(1002, f"reserved opcode {frame.opcode:#x}")
            parts.append(frame.payload)
            if sum(map(len, parts)) > MAX_MESSAGE:
                raise ProtocolError(1009, "message too big")
            if not frame.fin:
                continue
            data, message_kind, parts, kind = b"".join(parts), kind, [], None
            if message_kind == OP_BINARY:
                raise ProtocolError(1003, "Socket Mode speaks text frames only")
            try:
                message = json.loads(data.decode("utf-8"))
            except UnicodeDecodeError:
                raise ProtocolError(1007, "text frame is not UTF-8") from None
            except ValueError:
                self._fault(f"connection {conn.number}: not JSON: {data[:200]!r}")
                continue
            self._on_message(conn, message)

    def _on_message(self, conn: Connection, message) -> None:
        with self._lock:
            if isinstance(message, dict):
                conn.messages.append(message)
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                if message["envelope_id"] in self.acks:
                    self.errors.append(f"envelope {message['envelope_id']} acknowledged twice")
                else:
                    self.acks[message["envelope_id"]] = message
                    SlackStandIn.report("socket ack", check_ack(message.get("payload")))
            else:
                self.errors.append(f"connection {conn.number}: message without envelope_id: {message!r:.200}")
            self._lock.notify_all()

    def _shutdown(self, conn: Connection) -> None:
        with self._lock:
            if conn.closed:
                return
            conn.closed = True
            self._lock.notify_all()
        with contextlib.suppress(OSError):
            conn.sock.shutdown(socket.SHUT_RDWR)
        conn.sock.close()


class _Reader:
    """Buffered reads off a socket: the handshake's header block, then client frames."""

    def __init__(self, sock: socket.socket):
        self.sock, self.buffer = sock, b""

    def _fill(self) -> bool:
        chunk = self.sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def exactly(self, n: int) -> bytes | None:
        while len(self.buffer) < n:
            if not self._fill():
                return None
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def until(self, marker: bytes, limit: int) -> bytes:
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise ProtocolError(1009, "handshake too long")
            if not self._fill():
                raise ConnectionError("closed during the handshake")
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def frame(self) -> Frame | None:
        head = self.exactly(2)
        if head is None:
            return None
        b1, b2 = head
        if b1 & 0x70:
            raise ProtocolError(1002, "reserved bits set without an extension")
        if not b2 & 0x80:
            raise ProtocolError(1002, "client frames must be masked")
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._need(2))[0]
            if length < 126:
                raise ProtocolError(1002, "length not in its shortest form")
        elif length == 127:
            length = struct.unpack("!Q", self._need(8))[0]
            if length < 1 << 16 or length >> 63:
                raise ProtocolError(1002, "length not in its shortest form")
        if length > MAX_MESSAGE:
            raise ProtocolError(1009, "frame too big")
        mask = self._need(4)
        data = self._need(length)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return Frame(fin=bool(b1 & 0x80), opcode=b1 & 0x0F, payload=data)

    def _need(self, n: int) -> bytes:
        data = self.exactly(n)
        if data is None:
            raise ConnectionError("closed inside a frame")
        return data


# -- envelopes, as Slack wraps its payloads ----------------------------------------------------
def envelope(
    kind: str, payload: dict, *, accepts_response_payload: bool, envelope_id: str | None = None, **extra
) -> dict:
    return {
        "envelope_id": envelope_id or str(uuid.uuid4()),
        "type": kind,
        "payload": payload,
        "accepts_response_payload": accepts_response_payload,
        **extra,
    }


def slash_envelope(
    command: str,
    text: str = "",
    *,
    user: str = "U0JULIETTE",
    channel: str = "C0COMMS",
    response_url: str = "https://hooks.slack.com/commands/T0001/1/x",
    team_id: str = "T0001",
) -> dict:
    """`/command text` as Socket Mode delivers it: the form fields of the HTTP request, as a JSON object."""
    fields = slack.template("slash-command")
    fields.update(
        {
            "command": command,
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "response_url": response_url,
            "team_id": team_id,
            "trigger_id": f"{time.time_ns()}.1.abc",
        }
    )
    return envelope("slash_commands", fields, accepts_response_payload=True)


def interactive_envelope(payload: dict) -> dict:
    """A block_actions / view_submission payload; Slack takes a response payload only for views."""
    accepts = payload.get("type") in ("view_submission", "block_suggestion")
    return envelope("interactive", copy.deepcopy(payload), accepts_response_payload=accepts)


def events_envelope(event: dict, *, team_id: str = "T0001", retry_attempt: int = 0, retry_reason: str = "") -> dict:
    """An Events API callback (`event_callback`) as Socket Mode delivers it."""
    body = json.loads(slack.event_body(event, team_id=team_id))
    return envelope(
        "events_api", body, accepts_response_payload=False, retry_attempt=retry_attempt, retry_reason=retry_reason
    )


def raw_client_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """A masked frame as a client sends it (for tests of this server)."""
    return encode_frame(opcode, payload, fin=fin, mask=os.urandom(4))

"""The Procfile's `worker` (Socket Mode) against Slack stand-ins: the Web API (`apps.connections.open`
with the xapp- token) and a WebSocket endpoint that greets, sends envelopes and collects the acks.

Nothing of Relais is mocked: the worker is the Procfile's command in a shell, slack_sdk's built-in
Socket Mode client does the WebSocket work, and the handlers are the ones HTTP mode uses.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest

from bot.console.standin import SlackStandIn
from tests import slack
from tests.conftest import BOT_TOKEN, procfile_command, run_cli, wait_until
from tests.processes import TWO_CORES, allowed_per_thread
from tests.socket_standin import (
    OP_CLOSE,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    SocketModeStandIn,
    accept_key,
    events_envelope,
    interactive_envelope,
    raw_client_frame,
    slash_envelope,
)

pytestmark = pytest.mark.e2e

APP_TOKEN = "xapp-1-A0RELAIS-1-0123456789-abcdef"
PROXIES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


class WorkerProcess:
    """The Procfile's `worker` process, started as a platform would: its command, in a shell."""

    def __init__(self, env: dict[str, str], cwd: Path, sockets: SocketModeStandIn):
        self.env, self.cwd, self.sockets = env, cwd, sockets
        self.log = cwd / f"worker-{id(self)}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> WorkerProcess:
        before = len(self.sockets.connections)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                ["bash", "-c", "exec " + procfile_command("worker")],
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            self.connection = self.sockets.wait_for_connection(before + 1, timeout, alive=self.running)
        except (RuntimeError, TimeoutError) as error:
            self.kill()
            raise RuntimeError(f"worker did not connect ({error}):\n{self.output()}") from None
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as a platform stops a process; its exit code."""
        self.proc.terminate()
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        if self.running():
            self.proc.kill()
            self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture
def sockets(standin):
    with SocketModeStandIn() as server:
        server.attach(standin)
        yield server


@pytest.fixture
def socket_env(env) -> dict[str, str]:
    """conftest's environment plus the app token; no proxy (slack_sdk's socket client ignores NO_PROXY).
    Pings every second (production: 10), so a lost connection is noticed and replaced within seconds."""
    return {
        **{k: v for k, v in env.items() if k not in PROXIES},
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_PING_INTERVAL_SECONDS": "1",
    }


@pytest.fixture
def worker_with(socket_env, tmp_path, sockets):
    started: list[WorkerProcess] = []

    def start(**overrides: str) -> WorkerProcess:
        process = WorkerProcess({**socket_env, **overrides}, tmp_path, sockets)
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.kill()


@pytest.fixture
def worker(worker_with):
    return worker_with()


def ack_of(sockets: SocketModeStandIn, envelope: dict, timeout: float = 15.0) -> dict:
    envelope_id = sockets.push(envelope)
    ack = sockets.wait_for_ack(envelope_id, timeout)
    assert ack is not None, f"no ack for {envelope['type']} {envelope_id}; faults: {sockets.errors}"
    assert set(ack) <= {"envelope_id", "payload"}
    return ack


def first_text(payload: dict) -> str:
    return payload["blocks"][0]["text"]["text"]


# -- connecting -----------------------------------------------------------------------------------
def test_the_worker_opens_a_socket_with_the_app_token_and_the_bot_token_for_the_rest(worker, standin, sockets):
    opened = standin.calls("apps.connections.open")
    assert [call.token for call in opened] == [APP_TOKEN]
    assert worker.connection.path == "/link/"
    assert worker.connection.query["app_id"] == "A0RELAIS"
    assert sockets.tickets[worker.connection.query["ticket"]] is True
    assert {call.token for call in standin.calls() if call.method != "apps.connections.open"} <= {BOT_TOKEN}
    assert sockets.ping(b"are you there?")  # the client answers our pings with the same payload
    wait_until(lambda: worker.connection.pings)  # and checks the connection with its own
    assert sockets.errors == []


@TWO_CORES
def test_the_worker_keeps_its_threads_on_one_core_the_socket_client_s_too(worker, sockets):
    wait_until(lambda: worker.connection.pings)  # the client's threads are running
    placed = set(allowed_per_thread(worker.proc.pid).values())
    assert len(placed) == 1 and len(next(iter(placed))) == 1, placed
    (core,) = next(iter(placed))
    assert f"Threads on core {core} (of " in worker.output()


# -- the same handlers as HTTP ------------------------------------------------------------------
def test_propose_and_stats_help_come_back_in_the_ack_in_french(worker, sockets):
    propose = ack_of(sockets, sockets.slash("/propose", "help"))["payload"]
    assert propose["response_type"] == "ephemeral"
    assert "/propose TITRE | DATE | CANAL" in first_text(propose)
    stats = ack_of(sockets, sockets.slash("/stats", "help"))["payload"]
    assert stats["response_type"] == "ephemeral"
    assert "noter les résultats après publication" in first_text(stats)
    assert sockets.errors == []


def test_propose_and_stats_help_come_back_in_english_when_asked(worker_with, sockets):
    worker_with(BOT_LANGUAGE="en")
    stats = ack_of(sockets, sockets.slash("/stats", "help"))["payload"]
    assert stats["response_type"] == "ephemeral"
    assert "record results after publication" in first_text(stats)
    propose = ack_of(sockets, sockets.slash("/propose", "help"))["payload"]
    assert "/propose TITLE | DATE | OUTLET" in first_text(propose)
    assert "TITRE" not in json.dumps(propose)


def test_what_users_type_is_escaped_in_socket_mode_too(worker, sockets):
    payload = ack_of(sockets, sockets.slash("/stats", "<!channel> & <https://evil.example|clic>"))["payload"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|clic&gt;" in first_text(payload)
    assert "<!channel>" not in json.dumps(payload)


def test_app_home_opened_and_a_button_press_are_acknowledged(worker, sockets):
    home = ack_of(
        sockets,
        events_envelope(
            {
                "type": "app_home_opened",
                "user": "U0JULIETTE",
                "channel": "D0HOME",
                "tab": "home",
                "event_ts": "1795000060.000100",
            }
        ),
    )
    assert not home.get("payload")
    button = ack_of(sockets, sockets.button("placement_submitted", "12:udem-facebook"))
    assert isinstance(button.get("payload", {}), dict)
    assert sockets.errors == []


def test_envelopes_no_listener_takes_are_acknowledged_all_the_same(worker, sockets):
    """Unacknowledged, Slack would retry the event three times and show the user an error for the button."""
    event = ack_of(
        sockets,
        events_envelope(
            {
                "type": "reaction_added",
                "user": "U0JULIETTE",
                "reaction": "tada",
                "item": {"type": "message", "channel": "C0COMMS", "ts": "1.2"},
                "event_ts": "1795000061.000100",
            }
        ),
    )
    assert not event.get("payload")
    button = ack_of(sockets, sockets.button("no_such_button_anywhere", "x"))
    assert not button.get("payload")
    assert worker.running()


def test_many_envelopes_at_once_get_one_ack_each(worker, sockets):
    envelopes = [sockets.slash("/propose" if n % 2 else "/stats", "help") for n in range(24)]
    for envelope in envelopes:
        sockets.push(envelope)
    for envelope in envelopes:
        ack = sockets.wait_for_ack(envelope["envelope_id"], 20)
        assert ack is not None and ack["payload"]["response_type"] == "ephemeral"
    assert sockets.errors == []  # no double ack, no malformed frame


# -- staying connected ----------------------------------------------------------------------------
def test_a_disconnect_message_makes_the_worker_reconnect_with_a_new_url(worker, standin, sockets):
    first = worker.connection
    sockets.disconnect("refresh_requested")
    second = sockets.wait_for_connection(2, alive=worker.running)
    assert second is not first and second.query["ticket"] != first.query["ticket"]
    assert len(standin.calls("apps.connections.open")) == 2
    assert "/propose TITRE" in first_text(ack_of(sockets, sockets.slash("/propose", "help"), 20)["payload"])
    wait_until(lambda: first.closed)  # the old connection is let go
    assert sockets.errors == []


def test_a_close_frame_makes_the_worker_reconnect(worker, sockets):
    sockets.close(1001, "going away")
    sockets.wait_for_connection(2, timeout=30, alive=worker.running)
    assert ack_of(sockets, sockets.slash("/stats", "help"), 20)["payload"]["response_type"] == "ephemeral"
    assert sockets.errors == []


def test_a_connection_that_drops_without_a_close_frame_is_replaced(worker, sockets):
    sockets.hang_up()
    sockets.wait_for_connection(2, timeout=30, alive=worker.running)
    assert ack_of(sockets, sockets.slash("/stats", "help"), 20)["payload"]["response_type"] == "ephemeral"
    assert worker.running()


# -- starting and stopping --------------------------------------------------------------------------
def test_sigterm_closes_the_socket_and_exits_0(worker, sockets):
    assert ack_of(sockets, sockets.slash("/propose", "help"))
    assert worker.stop() == 0
    wait_until(lambda: worker.connection.closed)
    assert "Traceback" not in worker.output()


def _worker_command(env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", "exec " + procfile_command("worker")],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "variable, value, expected",
    [
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE : attend un fuseau horaire IANA"),
        ("BOT_LANGUAGE", "de", "BOT_LANGUAGE : attend fr ou en"),
        (
            "SLACK_APP_TOKEN",
            "xoxb-not-an-app-token",
            "SLACK_APP_TOKEN : attend un jeton d'application commençant par xapp-",
        ),
        ("TEAM_CHANNEL", "", "TEAM_CHANNEL : est requis dans ce mode"),
    ],
)
def test_a_bad_setting_stops_the_worker_with_one_line(socket_env, tmp_path, standin, variable, value, expected):
    result = _worker_command({**socket_env, variable: value}, tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(expected)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "xoxb-not-an-app-token" not in result.stderr  # never a whole secret
    assert standin.calls("apps.connections.open") == []


def test_socket_mode_without_an_app_token_says_so(socket_env, tmp_path):
    result = run_cli({**socket_env, "SLACK_APP_TOKEN": ""}, tmp_path, "socket")
    assert result.returncode == 2
    assert result.stderr.startswith("SLACK_APP_TOKEN")
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_app_token_slack_refuses_stops_the_start_with_exit_2(socket_env, tmp_path, standin, sockets):
    standin.valid_app_tokens = {"xapp-1-the-real-one"}
    result = _worker_command({**socket_env, "BOT_LANGUAGE": "en"}, tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("SLACK_APP_TOKEN: refused by Slack for Socket Mode (invalid_auth)")
    )
    assert "Traceback" not in result.stderr
    assert sockets.connections == []


# -- the stand-in itself: a WebSocket server that holds clients to RFC 6455 ---------------------------
class RawClient:
    def __init__(self, url: str):
        from urllib.parse import urlparse

        target = urlparse(url)
        self.sock = socket.create_connection((target.hostname, target.port), timeout=10)
        self.key = base64.b64encode(os.urandom(16)).decode()
        self.buffer = b""
        self.sock.sendall(
            (
                f"GET {target.path}?{target.query} HTTP/1.1\r\nHost: {target.hostname}:{target.port}\r\n"
                f"Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Key: {self.key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split(" ")[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            self.buffer += chunk
        out, self.buffer = self.buffer[:n], self.buffer[n:]
        return out

    def frame(self) -> tuple[int, bytes]:
        b1, b2 = self._read(2)
        assert not b2 & 0x80, "server frames are never masked"
        length = b2 & 0x7F
        if length == 126:
            length = struct.unpack("!H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self._read(8))[0]
        return b1 & 0x0F, self._read(length)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)


def test_the_accept_key_is_rfc_6455s():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="  # RFC 6455 §1.3


def test_the_stand_in_greets_answers_pings_reassembles_fragments_and_records_acks(standin, sockets):
    client = RawClient(sockets.issue_url())
    assert client.status == 101
    assert client.headers["sec-websocket-accept"] == accept_key(client.key)
    opcode, hello = client.frame()
    assert opcode == OP_TEXT and json.loads(hello)["type"] == "hello"
    client.send(raw_client_frame(OP_PING, b"p1"))
    assert client.frame() == (OP_PONG, b"p1")
    envelope_id = sockets.push(slash_envelope("/propose", "help"))
    opcode, data = client.frame()
    assert json.loads(data)["envelope_id"] == envelope_id
    ack = json.dumps({"envelope_id": envelope_id, "payload": {"text": "é" * 70000}}).encode()
    client.send(raw_client_frame(OP_TEXT, ack[:10], fin=False))
    client.send(raw_client_frame(OP_PING, b"between fragments"))  # control frames may be interleaved
    client.send(raw_client_frame(0x0, ack[10:]))
    assert client.frame() == (OP_PONG, b"between fragments")
    assert sockets.wait_for_ack(envelope_id, 5)["payload"]["text"] == "é" * 70000
    SlackStandIn.recorded.clear()  # this test's own oversized ack, not one of Relais's: Slack's refusal is not ours
    client.send(raw_client_frame(OP_CLOSE, struct.pack("!H", 1000)))
    assert client.frame() == (OP_CLOSE, struct.pack("!H", 1000))
    wait_until(lambda: sockets.connections[0].closed)
    assert sockets.connections[0].close_code == 1000
    assert sockets.errors == []


def test_the_stand_in_refuses_unmasked_frames_with_1002(sockets):
    client = RawClient(sockets.issue_url())
    client.frame()  # hello
    client.send(bytes([0x81, 2]) + b"{}")
    opcode, data = client.frame()
    assert opcode == OP_CLOSE and struct.unpack("!H", data[:2])[0] == 1002
    wait_until(lambda: sockets.errors)
    assert "masked" in sockets.errors[0]


def test_the_stand_in_takes_each_ticket_once_and_only_its_own(sockets):
    url = sockets.issue_url()
    assert RawClient(url).status == 101
    assert RawClient(url).status == 401
    assert RawClient(url.replace("ticket=", "ticket=x")).status == 401


def test_apps_connections_open_wants_an_app_token(standin, sockets):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(base_url=standin.api_url)
    with pytest.raises(SlackApiError) as refused:
        client.apps_connections_open(app_token=BOT_TOKEN)
    assert refused.value.response["error"] == "not_allowed_token_type"
    url = client.apps_connections_open(app_token=APP_TOKEN)["url"]
    assert url.startswith(f"ws://127.0.0.1:{sockets.port}/link/?ticket=")
    assert url != client.apps_connections_open(app_token=APP_TOKEN)["url"]


# -- plans change, over Socket Mode too (issue 12) ---------------------------------------------------
def test_a_proposal_moved_and_withdrawn_over_socket_mode(worker_with, standin, sockets, socket_env):
    """`/propose move` and a placement's "Retirer" button travel through the worker as over HTTP: the
    deadline follows the new date, the card is updated in place, the other placement goes on."""
    worker_with(RELAIS_NOW="2026-12-01T10:00", COMMS_TEAM="U0COMMS")
    database = socket_env["DATABASE_PATH"]

    def rows(sql: str) -> list[tuple]:
        conn = sqlite3.connect(database)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    created = ack_of(sockets, slash_envelope("/propose", "Zooanimation | 2026-12-14 | udem-facebook, udem-linkedin"))
    assert "Zooanimation" in json.dumps(created["payload"], ensure_ascii=False)
    standin.wait_for("chat.postMessage")  # the card
    wait_until(lambda: rows("SELECT card_ts FROM proposals WHERE card_ts IS NOT NULL"))  # recorded: updates follow
    assert rows("SELECT outlet_slug, deadline FROM placements ORDER BY id") == [
        ("udem-facebook", "2026-12-07"),
        ("udem-linkedin", "2026-12-07"),
    ]

    moved = ack_of(sockets, slash_envelope("/propose", "move 1 2026-12-17"))["payload"]
    assert moved["response_type"] == "ephemeral"
    wait_until(lambda: rows("SELECT deadline FROM placements WHERE outlet_slug = 'udem-facebook'") == [("2026-12-10",)])
    wait_until(lambda: standin.calls("chat.update"))

    facebook = rows("SELECT id FROM placements WHERE outlet_slug = 'udem-facebook'")[0][0]
    ack_of(sockets, interactive_envelope(slack.block_actions("placement_withdraw", f"{facebook}:planned")))
    wait_until(lambda: rows("SELECT status FROM placements ORDER BY id") == [("withdrawn",), ("planned",)])
    history = rows("SELECT action, from_value, to_value FROM history WHERE placement_id IS NOT NULL ORDER BY id")
    assert ("deadline", "2026-12-07", "2026-12-10") in history
    assert ("status", "planned", "withdrawn") in history

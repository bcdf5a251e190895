"""Relais processes as a platform runs them, for the tests and the benchmark: the Procfile's web
process on a free port, the CLI as a subprocess, the environment they get (never the developer's
.env: they run in a temporary folder)."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import requests

from bot.console.blockkit import check_ack as check_ack_body
from bot.console.standin import SlackStandIn
from bot.runtime.cores import usable_cores
from tests import slack

ROOT = Path(__file__).resolve().parent.parent
SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_TOKEN = "xoxb-test-token"
TEAM_CHANNEL = "C0COMMS"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(tmp_path: Path, api_url: str, **overrides: str) -> dict[str, str]:
    """The environment of a Relais process under test (never the developer's .env: cwd is tmp_path)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RELAIS_"))}
    for name in (
        "TEAM_CHANNEL",
        "COMMS_TEAM",
        "TIMEZONE",
        "BOT_LANGUAGE",
        "DATABASE_PATH",
        "OUTLETS_FILE",
        "CALENDAR_FILE",
        "CALENDAR_ICS_URLS",
        "CALENDAR_FEED_KEY",
        "CALENDAR_FEED_WINDOW",
        "DIGEST_AT",
        "STATS_CHECKPOINTS",
        "CPU_CORES",
        "PORT",
    ):
        env.pop(name, None)
    env.update(
        {
            "PATH": str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
            "TEAM_CHANNEL": TEAM_CHANNEL,
            "DATABASE_PATH": str(tmp_path / "relais.db"),
            "OUTLETS_FILE": str(ROOT / "config" / "outlets.toml"),
            "CALENDAR_FILE": str(ROOT / "config" / "calendar.toml"),
            "TIMEZONE": "America/Montreal",
            "SLACK_PACE_SECONDS": "0",  # no second between two posts in a channel (tests of pacing set it back)
        }
    )
    env.update(overrides)
    return env


# Tests of CPU_CORES=one that need somewhere to move threads to (Linux, two usable cores; CI has them).
TWO_CORES = pytest.mark.skipif(
    len(usable_cores()) < 2 or not Path("/proc/self/task").is_dir(), reason="needs Linux and two usable cores"
)


def allowed_per_thread(pid: int) -> dict[int, frozenset[int]]:
    """The cores each thread of a process may run on (CPU_CORES), by thread id."""
    allowed = {}
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):  # the thread ended meanwhile
            allowed[int(task)] = frozenset(os.sched_getaffinity(int(task)))
    return allowed


def procfile_command(process: str) -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process:
            return command.strip()
    raise LookupError(f"no {process} process in the Procfile")


class PortTaken(RuntimeError):
    """The port chosen for a process was taken before the process could bind it."""


class WebProcess:
    """The Procfile's `web` process, started as a platform would: its command, in a shell, with $PORT."""

    def __init__(self, env: dict[str, str], cwd: Path):
        self.cwd = cwd
        self.proc: subprocess.Popen | None = None
        self._on_port(env, free_port())

    def _on_port(self, env: dict[str, str], port: int) -> None:
        self.port = port
        self.env = {**env, "PORT": str(port)}
        self.url = f"http://127.0.0.1:{port}"
        self.log = self.cwd / f"web-{port}.log"

    def start(self, timeout: float = 20.0, tries: int = 3) -> WebProcess:
        """Start it and wait for /healthz. A free port can be taken by another process (tests running in
        parallel, other programs) before ours binds it: then it starts again on another one, and until it
        has bound its port, an answer on that port is not its."""
        for _ in range(tries - 1):
            try:
                return self._start(timeout)
            except PortTaken:
                self._on_port(self.env, free_port())
        return self._start(timeout)

    def _start(self, timeout: float) -> WebProcess:
        command = procfile_command("web")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                ["bash", "-c", "exec " + command], cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "Address already in use" in self.output():
                    raise PortTaken(self.port)
                raise RuntimeError(f"web process exited {self.proc.returncode}:\n{self.output()}")
            if self._listening():  # before that, whoever answers on the port is not this process
                try:
                    if requests.get(self.url + "/healthz", timeout=0.5).status_code == 200:
                        return self
                except requests.RequestException:
                    pass
            time.sleep(0.05)
        raise RuntimeError(f"web process did not answer /healthz in {timeout}s:\n{self.output()}")

    def _listening(self) -> bool:
        """Waitress says so once it has bound the port (then no other process can listen there)."""
        return f"Serving on http://0.0.0.0:{self.port}" in self.output()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    # -- requests as Slack sends them ------------------------------------------------------------
    def post(
        self,
        body: str,
        headers: dict | None = None,
        content_type="application/x-www-form-urlencoded",
        secret: str = SECRET,
        timestamp=None,
    ) -> requests.Response:
        if headers is None:
            headers = slack.sign(secret, body, timestamp, content_type)
        response = requests.post(self.url + "/slack/events", data=body.encode("utf-8"), headers=headers, timeout=10)
        check_ack(response, body)
        return response

    def slash(self, command: str, text: str = "", **kw) -> requests.Response:
        return self.post(slack.slash_body(command, text, **kw))

    def interact(self, payload: dict) -> requests.Response:
        return self.post(slack.interaction_body(payload))

    def event(self, event: dict, **kw) -> requests.Response:
        return self.post(slack.event_body(event, **kw), content_type="application/json")


def check_ack(response: requests.Response, request: str = "") -> None:
    """An ack Slack would refuse (a message or view out of Block Kit's bounds) is recorded as a violation,
    with what it answered (a command and its text, or an interaction's type)."""
    if response.status_code != 200 or "json" not in response.headers.get("Content-Type", ""):
        return
    try:
        body = response.json()
    except ValueError:
        return
    fields = dict(parse_qsl(request))
    if "command" in fields:
        what = f"ack of {fields['command']} {fields.get('text', '')[:60]}"
    else:
        what = "ack of " + (json.loads(fields["payload"]).get("type", "?") if "payload" in fields else "an event")
    SlackStandIn.report(what, check_ack_body(body))


def run_cli(
    env: dict[str, str], cwd: Path, *args: str, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` as an operator (or cron) runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    # the console's own stand-in logs each payload Slack would refuse (bot.console): a violation here too
    SlackStandIn.report("console", [line for line in (done.stderr or "").splitlines() if "Slack would refuse" in line])
    return done

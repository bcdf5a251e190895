"""Fixtures: a Slack stand-in on 127.0.0.1, the real `web` process from the Procfile, the CLI as
a subprocess, and a Relais context on a temporary database for tests of plain functions.

Nothing of Relais is mocked: the processes are the ones the Procfile runs, the database is a
real SQLite file, time comes from RELAIS_NOW or `tick --at`.
"""

from __future__ import annotations

import compileall
import shlex
import subprocess
import time

import pytest

from bot.console.standin import SlackStandIn
from tests.processes import (  # noqa: F401 - re-exported for the tests
    BOT_TOKEN,
    ROOT,
    SECRET,
    TEAM_CHANNEL,
    WebProcess,
    base_env,
    free_port,
    procfile_command,
    run_cli,
)


def pytest_sessionstart(session):
    """Byte-compile Relais once, so that each of the many processes the tests start (web, worker, CLI,
    ticks) does not compile it again: with PYTHONDONTWRITEBYTECODE set, none of them would save its work."""
    for package in ("bot", "handlers", "storage"):
        compileall.compile_dir(ROOT / package, quiet=1)


@pytest.fixture(autouse=True)
def slack_would_take_every_payload():
    """Every payload a test makes Relais send (messages, views, response_url posts, the acks the tests
    read) is checked as Slack checks it (bot.console.blockkit); a test whose payloads Slack would refuse
    fails, whatever it asserts. A test that sends a bad payload on purpose clears SlackStandIn.recorded."""
    SlackStandIn.recorded.clear()
    yield
    recorded = list(SlackStandIn.recorded)
    SlackStandIn.recorded.clear()
    if recorded:
        lines = [f"{what}: {problem}" for what, problems in recorded for problem in problems]
        pytest.fail("Slack would refuse these payloads:\n" + "\n".join(lines[:40]), pytrace=False)


@pytest.fixture
def standin():
    with SlackStandIn() as server:
        yield server


@pytest.fixture
def env(tmp_path, standin) -> dict[str, str]:
    return base_env(tmp_path, standin.api_url)


@pytest.fixture
def web(env, tmp_path):
    """The real web process, fresh database, pointed at the stand-in. Extra env: web_with(**env)."""
    process = WebProcess(env, tmp_path).start()
    yield process
    process.stop()


@pytest.fixture
def web_with(env, tmp_path):
    started: list[WebProcess] = []

    def start(**overrides: str) -> WebProcess:
        process = WebProcess({**env, **overrides}, tmp_path).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
def cli(env, tmp_path):
    def run(*args: str, stdin: str | None = None, **overrides: str) -> subprocess.CompletedProcess:
        return run_cli({**env, **overrides}, tmp_path, *args, stdin=stdin)

    return run


@pytest.fixture
def relais(tmp_path, standin):
    """A Relais context in this process on a temporary database, for tests of plain functions and storage.

    Its clock is frozen at 2026-12-01 09:00 Montréal (a Tuesday) unless the test moves it.
    """
    from bot import features
    from bot.clock import parse_instant
    from bot.context import build
    from bot.runtime.startup import prepare
    from bot.settings import load_settings

    settings = load_settings(base_env(tmp_path, standin.api_url), env_file=tmp_path / "none.env")
    context = build(settings, contributions=features.contributions())
    context.clock.freeze(parse_instant("2026-12-01T09:00", settings.tz))
    prepare(context)
    yield context
    context.store.close()


@pytest.fixture
def empty(relais, tmp_path):
    """A second Relais context on its own empty database (same settings, same clock)."""
    from dataclasses import replace

    from bot.context import build
    from bot.runtime.startup import prepare

    other = build(replace(relais.settings, database_path=tmp_path / "empty.db"))
    other.clock.freeze(relais.clock.now())
    prepare(other)
    yield other
    other.store.close()


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; returns that, or fails the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


def shell_quote(args) -> str:
    return " ".join(shlex.quote(a) for a in args)

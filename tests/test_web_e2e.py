"""The real `web` process from the Procfile, over HTTP, signed exactly as Slack signs.

One web process (and one stand-in) serves the whole module: these tests store nothing a later one
reads, and none of them makes Slack calls of its own (the only ones are the start-up's auth.test).
"""

import json
import time

import pytest
import requests

from bot.console.standin import SlackStandIn
from tests import slack
from tests.conftest import SECRET, wait_until
from tests.processes import WebProcess, base_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def standin():
    with SlackStandIn() as server:
        yield server


@pytest.fixture(scope="module")
def web(standin, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    process = WebProcess(base_env(tmp, standin.api_url), tmp).start()
    yield process
    process.stop()


def test_healthz_answers_ok(web):
    response = requests.get(web.url + "/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_procfile_runs_a_production_server_not_bolts_dev_server(web):
    response = requests.get(web.url + "/healthz", timeout=5)
    assert response.headers.get("Server") == "relais"  # waitress, with our ident


def test_signed_propose_help_is_answered_ephemerally(web):
    started = time.monotonic()
    response = web.slash("/propose", "help")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert "/propose TITRE | DATE | CANAL" in body["blocks"][0]["text"]["text"]
    assert elapsed < 3.0  # Slack's limit; the benchmark measures the real figures


def test_signed_stats_help_is_answered_in_english_when_asked(web_with):
    web = web_with(BOT_LANGUAGE="en")
    body = web.slash("/stats", "help").json()
    assert body["response_type"] == "ephemeral"
    assert "record results after publication" in body["blocks"][0]["text"]["text"]


def test_unknown_subcommand_is_escaped_and_answered_with_help(web):
    body = web.slash("/stats", "<!channel> & <https://evil.example|clic>").json()
    text = body["blocks"][0]["text"]["text"]
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|clic&gt;" in text
    assert "<!channel>" not in json.dumps(body)


def _help_body():
    return slack.slash_body("/propose", "help")


@pytest.mark.parametrize(
    "case",
    ["unsigned", "wrong signature", "old timestamp", "future timestamp", "non-numeric timestamp", "wrong secret"],
)
def test_bad_signatures_are_refused_401(web, standin, case):
    body = _help_body()
    now = int(time.time())
    headers = {
        "unsigned": {"Content-Type": "application/x-www-form-urlencoded"},
        "wrong signature": {**slack.sign(SECRET, body), "X-Slack-Signature": "v0=" + "0" * 64},
        "old timestamp": slack.sign(SECRET, body, now - 6 * 60),
        "future timestamp": slack.sign(SECRET, body, now + 6 * 60),
        "non-numeric timestamp": {**slack.sign(SECRET, body), "X-Slack-Request-Timestamp": "soon"},
        "wrong secret": slack.sign("not-the-secret", body),
    }[case]
    response = web.post(body, headers=headers)
    assert response.status_code == 401
    assert "TITRE" not in response.text
    assert standin.calls() == [] or all(c.method == "auth.test" for c in standin.calls())


def test_an_oversized_body_is_refused(web):
    body = "x=" + "a" * (1024 * 1024 + 10)
    assert web.post(body).status_code == 413


def test_unknown_paths_are_404(web):
    assert requests.get(web.url + "/nope", timeout=5).status_code == 404
    assert requests.get(web.url + "/slack/events", timeout=5).status_code == 405


def test_the_bot_learns_who_it_is_from_slack_off_the_request_path(web, standin):
    calls = standin.wait_for("auth.test", timeout=10)
    assert calls and calls[0].token.startswith("xoxb-")


def test_a_replayed_request_is_answered_once(web):
    body = _help_body()
    headers = slack.sign(SECRET, body)
    first = web.post(body, headers=headers)
    again = web.post(body, headers=headers)
    assert first.status_code == 200 and first.json()["response_type"] == "ephemeral"
    assert again.status_code == 200 and again.text == ""


def test_a_request_from_another_workspace_is_refused(web, standin):
    standin.wait_for("auth.test")  # the bot learns its workspace (T0001) from Slack, in the background
    wait_until(lambda: web.post(slack.slash_body("/propose", "help", team_id="T0OTHER")).status_code == 403)
    assert web.post(slack.slash_body("/propose", "help", team_id="T0001")).status_code == 200

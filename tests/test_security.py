"""Security, against the real processes: a replayed signed request changes state once, another
workspace is refused, oversized bodies are refused, no message the bot sends carries a user's text
unescaped (a broad scenario with hostile titles, summaries, links, figures, reports, the digest, the
App Home and the reminders), and no token or secret ever reaches a log or the CLI's output.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import threading
import time

import pytest
import requests

from tests import slack
from tests.conftest import SECRET, wait_until

pytestmark = pytest.mark.e2e

HOSTILE_TITLE = "<!channel> & <https://evil.example|clic ici> *gras*"
HOSTILE_SUMMARY = "<!here> lisez & <@U0VICTIM> <!subteam^S0TEAM> <#C0OTHER>"
HOSTILE_NOTES = "fichiers <https://evil.example/x.zip|photos.zip> & légendes"
LINK_WITH_AMPERSAND = "https://evil.example/page?a=1&b=2"


def count(database, sql: str, params=()) -> int:
    with sqlite3.connect(database) as conn:
        return conn.execute(sql, params).fetchone()[0]


# -- replays, workspaces, sizes ---------------------------------------------------------------
def test_a_signed_request_replayed_within_five_minutes_changes_state_once(web, env, standin):
    body = slack.slash_body("/propose", "Rejouée | 2026-12-18 | udem-facebook", response_url=standin.response_url())
    headers = slack.sign(SECRET, body)  # one signature, sent again and again (also all at once)
    answers = [web.post(body, headers=headers)]
    threads = [threading.Thread(target=lambda: answers.append(web.post(body, headers=headers))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    answers.append(web.post(body, headers=headers))
    assert all(a.status_code == 200 for a in answers)
    assert sum(1 for a in answers if a.text) == 1  # one answer; the replays get an empty 200
    assert count(env["DATABASE_PATH"], "SELECT COUNT(*) FROM proposals WHERE title = 'Rejouée'") == 1

    # A status click replayed: one change, one history row.
    placement = count(env["DATABASE_PATH"], "SELECT id FROM placements")
    click = slack.interaction_body(
        slack.block_actions("placement_submitted", f"{placement}:planned", response_url=standin.response_url())
    )
    click_headers = slack.sign(SECRET, click)
    for _ in range(3):
        assert web.post(click, headers=click_headers).status_code == 200
    wait_until(lambda: count(env["DATABASE_PATH"], "SELECT COUNT(*) FROM history WHERE action = 'status'") >= 1)
    time.sleep(0.5)
    assert count(env["DATABASE_PATH"], "SELECT COUNT(*) FROM history WHERE action = 'status'") == 1


def test_requests_from_another_workspace_are_refused_and_change_nothing(web, env, standin):
    standin.wait_for("auth.test")  # the bot learns its own workspace (T0001) in the background
    wait_until(lambda: web.post(slack.slash_body("/propose", "help", team_id="T0EVIL")).status_code == 403)
    intruders = [
        (
            slack.slash_body("/propose", "Intruse | 2026-12-18 | bib-facebook", team_id="T0EVIL"),
            "application/x-www-form-urlencoded",
        ),
        (
            slack.interaction_body(slack.block_actions("placement_submitted", "1:planned", team_id="T0EVIL")),
            "application/x-www-form-urlencoded",
        ),
        (
            slack.event_body({"type": "app_home_opened", "user": "U0JULIETTE", "tab": "home"}, team_id="T0EVIL"),
            "application/json",
        ),
    ]
    for body, content_type in intruders:
        assert web.post(body, content_type=content_type).status_code == 403
    assert count(env["DATABASE_PATH"], "SELECT COUNT(*) FROM proposals") == 0
    assert not standin.calls("views.publish")


def test_oversized_bodies_are_refused_before_anything_reads_them(web):
    big = slack.slash_body("/propose", "x" * (1024 * 1024 + 10))
    assert web.post(big).status_code == 413  # signed, and still refused
    # A Content-Length smaller than the body: only that much is read, and the signature no longer matches.
    small = slack.slash_body("/propose", "help")
    full = small + "&extra=1"
    head = "".join(f"{k}: {v}\r\n" for k, v in slack.sign(SECRET, full).items())
    with socket.create_connection(("127.0.0.1", web.port), timeout=10) as raw:
        raw.sendall(
            f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(small)}\r\n"
            f"Connection: close\r\n\r\n{full}".encode()
        )
        answer = raw.recv(65536).decode("latin-1")
    assert answer.startswith("HTTP/1.1 401"), answer[:80]
    # Chunked, without a length: nothing is read, nothing is dispatched.
    chunks = (part.encode() for part in [big[:1000], big[1000:]])
    response = requests.post(web.url + "/slack/events", data=chunks, headers=slack.sign(SECRET, big), timeout=30)
    assert response.status_code in (401, 413)
    assert "Traceback" not in web.output()


def test_a_timestamp_that_is_not_ascii_digits_is_a_401_not_a_crash(web):
    body = slack.slash_body("/propose", "help")
    for stamp in ("\u00b2\u00b3", "\u00b9", "12 3"):  # superscripts are "digits" to str.isdigit()
        headers = {**slack.sign(SECRET, body), "X-Slack-Request-Timestamp": stamp}  # sent as latin-1 bytes
        assert web.post(body, headers=headers).status_code == 401
    assert "Traceback" not in web.output()


# -- no unescaped user input, anywhere ----------------------------------------------------------
OURS = re.compile(r"<@[UW][A-Z0-9_]+>|<#[CGD][A-Z0-9_]+(?:\|[^<>&]*)?>|<!date\^[^<>]*>")


def mrkdwn_texts(value, inside_mrkdwn: bool = False):
    """Every text Slack renders as mrkdwn in a message, modal or answer: mrkdwn objects (sections,
    fields, context, confirmations) and the notification `text` of a message."""
    if isinstance(value, dict):
        if value.get("type") == "mrkdwn" and isinstance(value.get("text"), str):
            yield value["text"]
        for key, inner in value.items():
            if key in ("text",) and isinstance(inner, str) and value.get("type") not in ("plain_text", "mrkdwn"):
                if "blocks" in value or "response_type" in value or "channel" in value:
                    yield inner  # a message's own text
            elif isinstance(inner, (dict, list)):
                yield from mrkdwn_texts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from mrkdwn_texts(inner)


def unescaped(text: str) -> str | None:
    """What in `text` is a user's text left unescaped, if anything."""
    rest = OURS.sub("", text)
    if "<" in rest or ">" in rest:
        return rest[max(0, rest.find("<") - 30) : rest.find("<") + 40] if "<" in rest else rest
    bad = re.search(r"&(?!(?:amp|lt|gt);)", rest)
    if bad:
        return rest[max(0, bad.start() - 30) : bad.start() + 30]
    return None


def sent_by_the_bot(standin) -> list[tuple[str, object]]:
    out = []
    for call in standin.calls():
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            out.append(
                (
                    call.method,
                    {
                        "text": call.args.get("text", ""),
                        "blocks": call.args.get("blocks") or [],
                        "channel": call.args.get("channel"),
                    },
                )
            )
        elif call.method in ("views.open", "views.publish", "views.update", "views.push"):
            out.append((call.method, call.args.get("view")))
        elif call.method == "response_url":
            out.append((call.method, call.args))
        elif call.method == "files.completeUploadExternal" and call.args.get("initial_comment"):
            out.append((call.method, {"text": call.args["initial_comment"], "blocks": [], "channel": "x"}))
    return out


def test_no_message_the_bot_sends_carries_user_input_unescaped(web_with, standin, env, cli):
    web = web_with(RELAIS_NOW="2026-12-01T10:00")
    database = env["DATABASE_PATH"]
    answers: list[dict] = []

    def slash(command, text):
        response = web.slash(command, text, response_url=standin.response_url(), trigger_id=f"{time.time_ns()}.1.x")
        assert response.status_code == 200, response.text
        if response.text:
            answers.append(response.json())
        return response

    def interact(payload):
        response = web.interact(payload)
        assert response.status_code == 200, response.text
        if response.text:
            answers.append(response.json())
        return response

    # Proposals with hostile text: in one line (as typed, and as Slack escapes it), and through the form.
    slash("/propose", f"{HOSTILE_TITLE} | 2026-12-18 | udem-facebook, bib-facebook | cyclique")
    escaped = HOSTILE_TITLE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    slash("/propose", f"{escaped} bis | 2026-12-17 | udem-x, bib-x")
    slash("/propose", "Mauvais canal | demain | <!channel>, <https://evil.example|x>")  # echoed in the refusal
    slash("/propose", "")
    form = standin.wait_for("views.open")[-1].args["view"]
    interact(
        slack.view_submission(
            form,
            {
                "title": {"value": {"type": "plain_text_input", "value": HOSTILE_TITLE + " (form)"}},
                "summary": {"value": {"type": "plain_text_input", "value": HOSTILE_SUMMARY}},
                "link": {"value": {"type": "plain_text_input", "value": LINK_WITH_AMPERSAND}},
                "notes": {"value": {"type": "plain_text_input", "value": HOSTILE_NOTES}},
                "outlets": {
                    "value": {
                        "type": "multi_static_select",
                        "selected_options": [{"value": "udem-linkedin"}, {"value": "bib-instagram"}],
                    }
                },
                "category": {"value": {"type": "static_select", "selected_option": {"value": "collections"}}},
                "publish_on": {"value": {"type": "datepicker", "selected_date": "2026-12-21"}},
            },
        )
    )
    wait_until(lambda: count(database, "SELECT COUNT(*) FROM proposals WHERE card_ts IS NOT NULL") >= 3, timeout=20)
    first = count(database, "SELECT MIN(id) FROM proposals")

    # Its workflow, all the way to publication with an address holding an ampersand.
    def placement(slug):
        return count(database, "SELECT id FROM placements WHERE proposal_id = ? AND outlet_slug = ?", (first, slug))

    fb, lib = placement("udem-facebook"), placement("bib-facebook")
    for to, status in (("submitted", "planned"), ("accepted", "submitted")):
        interact(slack.block_actions(f"placement_{to}", f"{fb}:{status}", response_url=standin.response_url()))
        wait_until(
            lambda to=to: count(database, "SELECT COUNT(*) FROM placements WHERE id = ? AND status = ?", (fb, to))
        )
    interact(slack.block_actions("placement_submitted", f"{fb}:planned", response_url=standin.response_url()))
    standin.wait_for("response_url")  # a stale button: refused, naming the proposal, by response_url
    for pid, status in ((fb, "accepted"), (lib, "planned")):
        before = len(standin.calls("views.open"))
        interact(slack.block_actions("placement_published", f"{pid}:{status}", response_url=standin.response_url()))
        view = standin.wait_for("views.open", count=before + 1)[-1].args["view"]
        interact(
            slack.view_submission(
                view,
                {
                    "published_on": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}},
                    "url": {"value": {"type": "plain_text_input", "value": "https://example.org/p?x=<b>&y=2"}},
                },
            )
        )  # refused
        interact(
            slack.view_submission(
                view,
                {
                    "published_on": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}},
                    "url": {"value": {"type": "plain_text_input", "value": LINK_WITH_AMPERSAND}},
                },
            )
        )
        wait_until(
            lambda pid=pid: count(
                database, "SELECT COUNT(*) FROM placements WHERE id = ? AND status = 'published'", (pid,)
            )
        )

    # Figures, reports, lists, the home tab, the export.
    slash("/stats", f"{first} udem-facebook vues=19 279 interactions=996 temps=2:30")
    slash("/stats", f"{first} bib-facebook views=821 interactions=40")
    slash("/stats", f"{first} <!here> vues=1 interactions=1")
    slash("/stats", "report all")
    slash("/stats", "report <!channel>")
    slash("/propose", "list")
    slash("/propose", f"show {first}")
    slash("/propose", "<!channel> & co")
    web.event({"type": "app_home_opened", "user": "U0JULIETTE", "tab": "home", "channel": "D0HOME"})
    standin.wait_for("views.publish")
    slash("/stats", "export")
    standin.wait_for("files.completeUploadExternal", timeout=20)
    web.stop()

    # Time passes: reminders in the cards' threads, stats reminders by DM, two weekly digests.
    for when in ("2026-12-03T09:05", "2026-12-07T09:05", "2026-12-08T09:05", "2026-12-14T09:05", "2026-12-16T09:05"):
        done = cli("tick", "--at", when)
        assert done.returncode == 0, done.stderr

    sent = sent_by_the_bot(standin)
    methods = {method for method, _ in sent}
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish", "response_url"} <= methods, methods
    digests = [
        m
        for method, m in sent
        if method == "chat.postMessage" and "semaine du lundi" in json.dumps(m, ensure_ascii=False).lower()
    ]
    assert len(digests) >= 2, "the two weekly digests were sent"
    seen_titles = 0
    problems = []
    for origin, message in [*sent, *(("ack", a) for a in answers)]:
        for text in mrkdwn_texts(message):
            seen_titles += "&lt;!channel&gt;" in text
            wrong = unescaped(text)
            if wrong is not None:
                problems.append((origin, wrong, text[:200]))
    assert not problems, problems[:5]
    assert seen_titles >= 10  # the hostile title did travel: it was shown, escaped, in many places


# -- secrets ---------------------------------------------------------------------------------------
BOT_TOKEN_SECRET = "xoxb-1234-SECRET-bot-token-5678"
FEED_SECRET = "feedtoken-SECRET-9012"
FEED_KEY_SECRET = "feedkey-SECRET-3456"


def test_tokens_and_secrets_never_reach_a_log_or_the_cli_output(web_with, standin, cli, env):
    secrets = {BOT_TOKEN_SECRET, FEED_SECRET, FEED_KEY_SECRET, SECRET}
    feed = f"http://127.0.0.1:9/private/cal.ics?token={FEED_SECRET}"  # nothing listens there: it fails
    extra = {
        "SLACK_BOT_TOKEN": BOT_TOKEN_SECRET,
        "CALENDAR_ICS_URLS": feed,
        "CALENDAR_FEED_KEY": FEED_KEY_SECRET,
        "RELAIS_NOW": "2026-12-01T10:00",
    }
    standin.fail("chat.postMessage", error="invalid_auth", times=2)  # Slack refuses: the refusal is logged
    standin.fail("views.open", status=500, times=1)
    web = web_with(**extra)
    web.slash("/propose", "Secrète | 2026-12-18 | bib-facebook")
    web.slash("/propose", "")
    web.post(slack.slash_body("/propose", "help"), secret="not-the-secret")  # 401, logged or not
    requests.get(web.url + f"/calendar.ics?key={FEED_KEY_SECRET}", timeout=10)
    requests.get(web.url + "/calendar.ics?key=wrong", timeout=10)
    wait_until(lambda: standin.calls("chat.postMessage"), timeout=20)
    time.sleep(1.0)
    web.stop()
    outputs = {"web log": web.output()}
    for args in (
        ("check",),
        ("tick", "--at", "2026-12-07T09:05"),
        ("calendar", "refresh"),
        ("digest", "--dry-run", "--at", "2026-12-07T09:00"),
        ("export", "--format", "csv"),  # text: the workbook (the default) is binary
        ("backup", str(env["DATABASE_PATH"]) + ".bak"),
    ):
        done = cli(*args, **extra)
        outputs[" ".join(args)] = done.stdout + done.stderr
    bad = cli("check", **{**extra, "SLACK_BOT_TOKEN": "xoxp-USER-SECRET-0000"})  # a wrong kind of token
    outputs["check with a user token"] = bad.stdout + bad.stderr
    assert "USER-SECRET" not in outputs["check with a user token"]
    assert "refused" in outputs["web log"] or "invalid_auth" in outputs["web log"]  # there was something to log
    assert "calendar feed" in outputs["web log"] or "cal.ics" in outputs["calendar refresh"]
    for name, text in outputs.items():
        for secret in secrets:
            assert secret not in text, f"{secret[:8]}… in {name}"

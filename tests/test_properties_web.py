"""Signed garbage, generated (Hypothesis), POSTed to the Procfile's real web process: interaction
payloads, slash commands and event envelopes shaped like Slack's but holding anything (unknown ids,
huge numbers, wrong types, missing parts, hostile text), and bodies that are not Slack's at all.

Whatever arrives: never a 500, never a traceback in the process's log, and nothing changes (the
sender is not in the comms team and owns nothing, so no request of theirs may move anything).
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests import slack
from tests.conftest import TEAM_CHANNEL

pytestmark = pytest.mark.e2e

SCALE = float(os.environ.get("RELAIS_PROPERTY_SCALE", "1"))
MALLORY = "U0MALLORY"  # neither in COMMS_TEAM nor the owner of anything
ACTION_IDS = [
    "placement_submitted",
    "placement_accepted",
    "placement_declined",
    "placement_published",
    "proposal_cancel",
    "stats_open",
    "stats_force",
    "reminder_submitted",
    "reminder_snooze",
    "cycle_propose",
    "home_propose",
    "placement_bogus",
    "",
    "x" * 300,
]
CALLBACKS = ["propose", "placement_published", "stats_record", "bogus", ""]
HOSTILE = ["<!channel>", "&", "<https://evil.example|x>", "\u0000", "²", "١٢", "💥", "{}", "null"]


def _scalar():
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**20), 10**20),
        st.floats(allow_nan=False),
        st.text(max_size=12),
        st.sampled_from(HOSTILE + ["1", "1:planned", "12:published", "all", "new"]),
    )


def _json(depth: int = 2):
    return st.recursive(
        _scalar(),
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
        max_leaves=8,
    )


values = st.one_of(
    _scalar(),
    st.builds(
        lambda a, b: f"{a}:{b}",
        st.one_of(st.integers(-5, 10**22), st.text(max_size=4)),
        st.sampled_from(["planned", "submitted", "accepted", "published", "", "x"]),
    ),
    st.builds(
        json.dumps,
        st.fixed_dictionaries(
            {}, optional={"placement": _scalar(), "views": _scalar(), "interactions": _scalar(), "avg": _scalar()}
        ),
    ),
    st.builds(lambda c, e: f"{c}|{e}", st.text(max_size=8), st.text(max_size=8)),
)
maybe = st.one_of(_json(), st.just(None))


@st.composite
def interaction(draw, response_url: str) -> dict:
    kind = draw(
        st.sampled_from(
            [
                "block_actions",
                "view_submission",
                "view_closed",
                "shortcut",
                "message_action",
                "block_suggestion",
                "interactive_message",
                "bogus",
            ]
        )
    )
    payload: dict = {
        "type": kind,
        "team": {"id": "T0001", "domain": "bib-udem"},
        "api_app_id": "A0RELAIS",
        "user": {"id": MALLORY, "team_id": "T0001"},
        "trigger_id": f"{time.time_ns()}.9.x",
        "response_url": response_url,
    }
    action = {
        "type": draw(st.sampled_from(["button", "static_select", "datepicker", "overflow"])),
        "action_id": draw(st.sampled_from(ACTION_IDS)),
        "block_id": draw(st.text(max_size=8)),
        "value": draw(values),
        "action_ts": "1795000042.1",
    }
    if draw(st.booleans()):
        action["selected_option"] = draw(maybe)
    payload["actions"] = [action]
    payload["container"] = {"type": "message", "message_ts": "1795000000.000200", "channel_id": TEAM_CHANNEL}
    payload["channel"] = {"id": TEAM_CHANNEL, "name": "communications"}
    payload["message"] = {
        "ts": "1795000000.000200",
        "text": draw(st.text(max_size=10)),
        "blocks": draw(st.one_of(st.just([]), st.lists(_json(), max_size=2))),
    }
    payload["view"] = {
        "id": "V0X",
        "type": draw(st.sampled_from(["modal", "home"])),
        "callback_id": draw(st.sampled_from(CALLBACKS)),
        "private_metadata": draw(st.one_of(st.text(max_size=20), st.builds(json.dumps, _json()))),
        "state": {
            "values": draw(
                st.dictionaries(
                    st.sampled_from(
                        [
                            "title",
                            "publish_on",
                            "outlets",
                            "category",
                            "summary",
                            "link",
                            "url",
                            "published_on",
                            "views-1",
                            "interactions-1",
                            "time-1",
                            "force",
                            "x",
                        ]
                    ),
                    st.dictionaries(st.sampled_from(["value", "x"]), _json(), max_size=2),
                    max_size=6,
                )
            )
        },
    }
    # Then break its shape here and there: a part missing, or of another type.
    for key in draw(st.lists(st.sampled_from(sorted(payload)), max_size=2, unique=True)):
        if draw(st.booleans()):
            del payload[key]
        else:
            payload[key] = draw(_json())
    return payload


@st.composite
def requests_(draw, response_url: str) -> tuple[str, str]:
    """(body, content type) of a request Slack might send, or might not."""
    shape = draw(st.sampled_from(["interaction", "interaction", "interaction", "slash", "event", "raw"]))
    if shape == "interaction":
        return slack.interaction_body(draw(interaction(response_url))), "application/x-www-form-urlencoded"
    if shape == "slash":
        fields = {
            "command": draw(st.sampled_from(["/propose", "/stats", "/nope", ""])),
            "text": draw(st.text(max_size=40)),
            "user_id": MALLORY,
            "team_id": "T0001",
            "channel_id": TEAM_CHANNEL,
            "trigger_id": f"{time.time_ns()}.8.x",
            "response_url": response_url,
        }
        for key in draw(st.lists(st.sampled_from(sorted(fields)), max_size=2, unique=True)):
            del fields[key]
        return urlencode(fields), "application/x-www-form-urlencoded"
    if shape == "event":
        event = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {"type": st.sampled_from(["app_home_opened", "message", "bogus"])},
                    optional={"user": st.one_of(st.just(MALLORY), _scalar()), "tab": _scalar(), "channel": _scalar()},
                ),
                _json(),
            )
        )
        envelope = {
            "type": draw(st.sampled_from(["event_callback", "url_verification", "bogus"])),
            "team_id": "T0001",
            "api_app_id": "A0RELAIS",
            "event": event,
            "event_id": f"Ev{time.time_ns()}",
            "challenge": draw(st.text(max_size=10)),
        }
        return json.dumps(envelope), "application/json"
    body = draw(
        st.one_of(
            st.text(max_size=80),
            st.builds(lambda p: "payload=" + p, st.text(max_size=40)),
            st.builds(lambda v: urlencode({"payload": json.dumps(v)}), _json()),
            st.builds(json.dumps, _json()),
        )
    )
    return body, draw(st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", ""]))


TABLES = ("proposals", "placements", "history", "stats_snapshots", "calendar_events", "outlets")


def state(database) -> dict:
    """Everything a request could change, as data (the outbox without its delivery bookkeeping)."""
    with sqlite3.connect(database) as conn:
        out = {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall() for table in TABLES}
        out["outbox"] = conn.execute("SELECT key, kind, payload FROM outbox ORDER BY key").fetchall()
    return out


@pytest.fixture(scope="module")
def garbage_target(tmp_path_factory):
    """One web process for every example: a seeded proposal (card posted, one placement published),
    COMMS_TEAM set to someone else than the sender."""
    from bench.generate import seed_scenarios
    from bot.console.standin import SlackStandIn
    from tests.processes import WebProcess, base_env

    tmp = tmp_path_factory.mktemp("garbage")
    with SlackStandIn() as standin:
        env = base_env(tmp, standin.api_url, COMMS_TEAM="U0COMMS", RELAIS_NOW="2026-12-01T10:00")
        database = tmp / "relais.db"
        from bot.context import build
        from bot.runtime.startup import prepare
        from bot.settings import load_settings

        relais = build(load_settings(env, env_file=tmp / "none.env"))
        prepare(relais)
        relais.store.close()
        seed_scenarios(database, env, stats_placements=2, buttons=3)
        web = WebProcess(env, tmp).start()
        try:
            standin.wait_for("auth.test")  # the bot knows its workspace: other teams get 403
            time.sleep(2.0)  # the start-up catch-up tick
            yield web, standin, database
        finally:
            web.stop()


@settings(
    max_examples=int(150 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
@example(data=None)
def test_signed_garbage_is_never_a_500_nor_a_traceback_and_changes_nothing(garbage_target, data):
    web, standin, database = garbage_target
    if data is None:  # the explicit cases first: each known id with impossible values
        cases = [
            slack.interaction_body(
                {**slack.block_actions(action, value, user=MALLORY, response_url=standin.response_url())}
            )
            for action in ACTION_IDS[:11]
            for value in (
                "99999999999999999999:planned",
                "²",
                "1:planned",
                "-1",
                '{"placement": 1e999}',
                json.dumps({"placement": 1, "views": -5, "interactions": 10**30}),
                "",
            )
        ]
        cases += [
            "payload=%7Bnot+json",
            "payload=" + "%5B1%2C2%5D",
            "payload=null",
            "command=/propose&text=help",
            slack.slash_body(
                "/propose", "show 99999999999999999999", user=MALLORY, response_url=standin.response_url()
            ),
        ]
        bodies = [(body, "application/x-www-form-urlencoded") for body in cases]
        bodies += [
            (
                json.dumps({"type": "event_callback", "team_id": "T0001", "event": {"type": "app_home_opened"}}),
                "application/json",
            ),
            ("[1, 2]", "application/json"),
            ("null", "application/json"),
        ]
    else:
        bodies = [data.draw(requests_(standin.response_url()))]
    before = state(database)
    for body, content_type in bodies:
        response = web.post(body, content_type=content_type)
        assert response.status_code in (200, 400, 403, 404), (response.status_code, body[:300])
    time.sleep(0.05)  # listeners run after the ack
    log = web.output()
    assert "Traceback" not in log, log[-4000:]
    assert " ERROR " not in log, log[-4000:]
    assert state(database) == before


def test_after_the_garbage_the_bot_still_works(garbage_target):
    web, _standin, _database = garbage_target
    body = web.slash("/propose", "help").json()
    assert body["response_type"] == "ephemeral"
    log = web.output()
    assert "Traceback" not in log

"""The Block Kit checker the Slack stand-in runs on every payload (bot.console.blockkit): each limit,
a payload at the limit passes and one over it fails; and the stand-in answers as Slack does."""

from __future__ import annotations

import json

import pytest
import requests

from bot.console import blockkit
from bot.console.blockkit import LIMITS, check_ack, check_call, check_message, check_view
from bot.console.standin import SlackStandIn


def plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "x") -> dict:
    return {"type": "section", "text": mrkdwn(text)}


def message(*blocks: dict, text: str = "x") -> dict:
    return {"text": text, "blocks": list(blocks)}


def button(**extra) -> dict:
    return {"type": "button", "text": plain("Ok"), "action_id": "a", **extra}


def actions(*elements: dict) -> dict:
    return {"type": "actions", "elements": list(elements)}


def select(options: list[dict], **extra) -> dict:
    return {"type": "static_select", "action_id": "s", "options": options, **extra}


def opt(text: str = "o", value: str = "v") -> dict:
    return {"text": plain(text), "value": value}


def modal(blocks: list[dict] | None = None, **extra) -> dict:
    return {
        "type": "modal",
        "title": plain("Titre"),
        "close": plain("Fermer"),
        "blocks": blocks or [section()],
        **extra,
    }


def text_input(**extra) -> dict:
    return {"type": "plain_text_input", "action_id": "value", **extra}


def input_block(element: dict | None = None, **extra) -> dict:
    return {"type": "input", "block_id": "b", "label": plain("Libellé"), "element": element or text_input(), **extra}


def confirm(**parts: str) -> dict:
    texts = {"title": "T", "text": "Sûr ?", "confirm": "Oui", "deny": "Non", **parts}
    return {
        "title": plain(texts["title"]),
        "text": mrkdwn(texts["text"]),
        "confirm": plain(texts["confirm"]),
        "deny": plain(texts["deny"]),
    }


# Each limit: a payload of size n and how to check it.
CASES = {
    "message.blocks": lambda n: check_message(message(*[section() for _ in range(n)])),
    "message.text": lambda n: check_message({"text": "x" * n}),
    "message.chars": lambda n: check_message(
        message(*[section("y" * 2000) for _ in range(5)], section("y" * (n - 10_000 - 1)), text="x")
    ),
    "view.blocks": lambda n: check_view(modal([section() for _ in range(n)])),
    "view.title": lambda n: check_view(modal(title=plain("x" * n))),
    "view.submit": lambda n: check_view(modal(submit=plain("x" * n))),
    "view.close": lambda n: check_view(modal(close=plain("x" * n))),
    "view.private_metadata": lambda n: check_view(modal(private_metadata="x" * n)),
    "view.callback_id": lambda n: check_view(modal(callback_id="x" * n)),
    "view.external_id": lambda n: check_view(modal(external_id="x" * n)),
    "block_id": lambda n: check_message(message({**section(), "block_id": "x" * n})),
    "action_id": lambda n: check_message(message(actions({**button(), "action_id": "x" * n}))),
    "section.text": lambda n: check_message(message(section("x" * n))),
    "section.fields": lambda n: check_message(message({"type": "section", "fields": [mrkdwn("f") for _ in range(n)]})),
    "section.field": lambda n: check_message(message({"type": "section", "fields": [mrkdwn("x" * n)]})),
    "header.text": lambda n: check_message(message({"type": "header", "text": plain("x" * n)})),
    "context.elements": lambda n: check_message(
        message({"type": "context", "elements": [mrkdwn("c") for _ in range(n)]})
    ),
    "actions.elements": lambda n: check_message(
        message(actions(*[{**button(), "action_id": f"a{i}"} for i in range(n)]))
    ),
    "input.label": lambda n: check_view(modal([input_block(label=plain("x" * n))], submit=plain("Ok"))),
    "input.hint": lambda n: check_view(modal([input_block(hint=plain("x" * n))], submit=plain("Ok"))),
    "button.text": lambda n: check_message(message(actions(button(text=plain("x" * n))))),
    "button.value": lambda n: check_message(message(actions(button(value="x" * n)))),
    "button.url": lambda n: check_message(message(actions(button(url="https://e.org/" + "x" * (n - 14))))),
    "confirm.title": lambda n: check_message(message(actions(button(confirm=confirm(title="x" * n))))),
    "confirm.text": lambda n: check_message(message(actions(button(confirm=confirm(text="x" * n))))),
    "confirm.confirm": lambda n: check_message(message(actions(button(confirm=confirm(confirm="x" * n))))),
    "confirm.deny": lambda n: check_message(message(actions(button(confirm=confirm(deny="x" * n))))),
    "option.text": lambda n: check_message(message(actions(select([opt(text="x" * n)])))),
    "option.value": lambda n: check_message(message(actions(select([opt(value="x" * n)])))),
    "option.description": lambda n: check_message(
        message(
            actions({"type": "checkboxes", "action_id": "c", "options": [{**opt(), "description": plain("x" * n)}]})
        )
    ),
    "select.options": lambda n: check_message(message(actions(select([opt(value=f"v{i}") for i in range(n)])))),
    "select.option_groups": lambda n: check_message(
        message(
            actions(
                {
                    "type": "static_select",
                    "action_id": "s",
                    "option_groups": [{"label": plain(f"g{i}"), "options": [opt(value=f"v{i}")]} for i in range(n)],
                }
            )
        )
    ),
    "choices.options": lambda n: check_message(
        message(actions({"type": "radio_buttons", "action_id": "r", "options": [opt(value=f"v{i}") for i in range(n)]}))
    ),
    "overflow.options": lambda n: check_message(
        message(actions({"type": "overflow", "action_id": "o", "options": [opt(value=f"v{i}") for i in range(n)]}))
    ),
    "placeholder": lambda n: check_view(
        modal([input_block(text_input(placeholder=plain("x" * n)))], submit=plain("Ok"))
    ),
    "text_input.initial_value": lambda n: check_view(
        modal([input_block(text_input(initial_value="x" * n, multiline=True))], submit=plain("Ok"))
    ),
    "text_input.max_length": lambda n: check_view(modal([input_block(text_input(max_length=n))], submit=plain("Ok"))),
}

# Limits whose minimum makes "at the limit" the only meaningful size below (a group needs options, etc.)
MINIMUM = {"overflow.options": 2}


def test_every_limit_has_its_case():
    assert set(CASES) == set(LIMITS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_at_the_limit_passes_and_one_over_fails(name):
    limit = LIMITS[name]
    assert CASES[name](limit) == [], name
    problems = CASES[name](limit + 1)
    assert problems, f"{name}: {limit + 1} was not refused"


def test_the_message_size_counts_every_text_and_the_fallback():
    blocks = [
        {"type": "header", "text": plain("h" * 150)},
        {"type": "section", "text": mrkdwn("s" * 3000), "fields": [mrkdwn("f" * 2000)] * 2},
        {"type": "context", "elements": [mrkdwn("c" * 1000)]},
        section("s" * 2850),
    ]
    assert check_message({"text": "", "blocks": blocks}) == []  # 150 + 3000 + 4000 + 1000 + 2850 = 11,000
    assert check_message({"text": "!", "blocks": blocks})  # the fallback text counts too
    assert "message.chars" in check_message({"text": "!", "blocks": blocks})[0]


def test_what_slack_sdk_refuses_is_refused_too():
    assert check_message(message({"type": "nonsense"}))
    assert check_message(message({"type": "section", "text": {"type": "mrkdwn"}}))
    assert check_message(message({"type": "section"}))  # neither text nor fields
    assert check_view({"type": "modal", "blocks": [section()]})  # no title
    assert check_view(modal([input_block()]))  # inputs and no submit button
    assert check_view({"type": "sheet", "blocks": [section()]})


def test_acks_and_calls_are_checked_by_what_they_carry():
    assert check_ack({"response_action": "update", "view": modal(title=plain("x" * 25))})
    assert check_ack({"response_action": "errors", "errors": {"b": "Non."}}) == []
    assert check_ack({"text": "x", "blocks": [section("x" * 3001)]})
    assert check_ack(None) == [] and check_ack({}) == []
    assert check_call("chat.postMessage", {"channel": "C1"})  # no_text
    assert check_call("chat.update", {"channel": "C1", "ts": "1", "blocks": [section()]}) == []
    assert check_call("views.publish", {"user_id": "U1", "view": {"type": "home", "blocks": [section()]}}) == []
    assert check_call("conversations.open", {"users": "U1"}) == []
    assert blockkit.slack_error("chat.postMessage", check_call("chat.postMessage", message(section("x" * 3001))))
    assert blockkit.slack_error("chat.postMessage", ["message: message.text is 40001 (max 40000)"]) == "msg_too_long"


def test_the_standin_answers_like_slack_and_records_what_it_refused(standin):
    url = standin.api_url
    headers = {"Authorization": "Bearer xoxb-t", "Content-Type": "application/json; charset=utf-8"}
    ok = requests.post(
        url + "chat.postMessage", data=json.dumps({"channel": "C1", **message(section())}), headers=headers
    )
    assert ok.json()["ok"] is True
    too_long = json.dumps({"channel": "C1", **message(section("x" * 3001))})
    refused = requests.post(url + "chat.postMessage", data=too_long, headers=headers).json()
    assert refused["ok"] is False and refused["error"] == "invalid_blocks"
    assert any("section.text is 3001" in m for m in refused["response_metadata"]["messages"])
    view = requests.post(
        url + "views.open", data=json.dumps({"trigger_id": "t", "view": modal(title=plain("x" * 30))}), headers=headers
    )
    assert view.json()["error"] == "invalid_arguments"
    response = requests.post(standin.response_url(), json={"text": "x" * 40_001})
    assert response.status_code == 400 and response.text == "msg_too_long"
    assert [c.method for c in standin.violations] == ["chat.postMessage", "views.open", "response_url"]
    assert len(SlackStandIn.recorded) == 3
    SlackStandIn.recorded.clear()  # refused on purpose: not a failure of this test

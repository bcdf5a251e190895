"""Slack's side of the wire for tests: request bodies shaped like Slack's, signed as Slack signs them.

    headers = sign(secret, body)                        # X-Slack-Request-Timestamp + X-Slack-Signature
    body = slash_body("/propose", "help", user="U0JULIETTE")
    body = interaction_body(block_actions(...))         # payload=<json>, as Slack posts it

Templates come from tests/payloads/ (copies of shared/slack-payloads/).
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import time
from pathlib import Path
from urllib.parse import urlencode

PAYLOADS = Path(__file__).parent / "payloads"


def template(name: str) -> dict:
    return json.loads((PAYLOADS / f"{name}.json").read_text(encoding="utf-8"))


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def sign(
    secret: str, body: str, timestamp: int | str | None = None, content_type: str = "application/x-www-form-urlencoded"
) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": signature(secret, timestamp, body),
    }


def slash_body(
    command: str,
    text: str,
    *,
    user: str = "U0JULIETTE",
    channel: str = "C0COMMS",
    response_url: str = "https://hooks.slack.com/commands/T0001/1/x",
    trigger_id: str | None = None,
    team_id: str = "T0001",
) -> str:
    fields = template("slash-command")
    fields.update(
        {
            "command": command,
            "text": text,
            "user_id": user,
            "channel_id": channel,
            "response_url": response_url,
            "team_id": team_id,
            "trigger_id": trigger_id or f"{time.time_ns()}.1.abc",
        }
    )
    return urlencode(fields)


def interaction_body(payload: dict) -> str:
    return urlencode({"payload": json.dumps(payload)})


def block_actions(
    action_id: str,
    value: str,
    *,
    user: str = "U0JULIETTE",
    channel: str = "C0COMMS",
    message_ts: str = "1795000000.000200",
    response_url: str | None = None,
    block_id: str = "b",
    message: dict | None = None,
    view: dict | None = None,
    team_id: str = "T0001",
) -> dict:
    payload = copy.deepcopy(template("block-actions"))
    payload["user"]["id"] = user
    payload["team"]["id"] = team_id
    payload["user"]["team_id"] = team_id
    payload["trigger_id"] = f"{time.time_ns()}.2.abc"
    payload["actions"] = [
        {
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "text": {"type": "plain_text", "text": action_id},
            "action_ts": str(time.time()),
        }
    ]
    if view is not None:
        payload.pop("message", None)
        payload.pop("channel", None)
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0")}
        payload["view"] = view
    else:
        payload["container"] = {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel, "name": "communications"}
        payload["message"] = message or {"type": "message", "ts": message_ts, "text": "", "blocks": []}
    if response_url:
        payload["response_url"] = response_url
    return payload


def view_submission(view: dict, values: dict, *, user: str = "U0JULIETTE", team_id: str = "T0001") -> dict:
    """A submission of `view` (as the bot opened it) with `values` as state.values."""
    payload = copy.deepcopy(template("view-submission"))
    payload["user"]["id"] = user
    payload["team"]["id"] = team_id
    payload["trigger_id"] = f"{time.time_ns()}.3.abc"
    payload["view"] = {**payload["view"], **view, "state": {"values": values}}
    return payload


def event_body(event: dict, *, team_id: str = "T0001") -> str:
    envelope = copy.deepcopy(template("app-home-opened"))
    envelope["event"] = event
    envelope["team_id"] = team_id
    envelope["event_id"] = f"Ev{time.time_ns()}"
    return json.dumps(envelope)

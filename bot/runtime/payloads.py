"""What Slack sends, checked before Bolt sees it (HTTP front, bot.runtime.web).

A signed request is Slack's, but its body is still input: Bolt and the handlers read fields by
name and type (`body["user"]["id"]`, `action["value"]`, a view's state), and a body of another
shape would end in a traceback instead of an answer. So the front parses the body the way Bolt
does and checks the shape of every part Slack always sends with each kind of request; a request
that fails is answered 400 with one log line, and no listener runs.

    data = parse(body, content_type)       # ValueError when it is no JSON object / form
    problem(data)                          # None, or a short description of what is wrong

Values stay the handlers' business (an unknown placement, a date that is no date): only shapes here.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qsl


def parse(body: str, content_type: str | None) -> dict:
    """The body as Bolt reads it (slack_bolt.request.internals.parse_body), as a dict or ValueError."""
    if not body:
        return {}
    if (content_type or "").split(";")[0].strip() == "application/json" or body.startswith("{"):
        data = json.loads(body)
    elif "payload" in body:
        payload = dict(parse_qsl(body, keep_blank_values=True)).get("payload")
        data = {} if payload is None else json.loads(payload)
    else:
        data = dict(parse_qsl(body, keep_blank_values=True))
    if not isinstance(data, dict):
        raise ValueError("not an object")
    return data


class _Bad(Exception):
    pass


def _text(data: dict, key: str, required: bool = False, nullable: bool = False) -> None:
    value = data.get(key)
    if value is None:
        if required and not (nullable and key in data):
            raise _Bad(f"{key} missing")
        return
    if not isinstance(value, str):
        raise _Bad(f"{key} is not a text")


def _object(data: dict, key: str, required: bool = False) -> dict | None:
    """An object, or absent: Bolt reads `body.get(key, {}).get(...)`, so an explicit null will not do."""
    value = data.get(key)
    if value is None:
        if required or key in data:
            raise _Bad(f"{key} missing" if key not in data else f"{key} is null")
        return None
    if not isinstance(value, dict):
        raise _Bad(f"{key} is not an object")
    return value


def _id_or_object(data: dict, key: str, required_id: bool = False) -> None:
    """`team`, `user`, `channel`, `enterprise`: a text, or an object whose `id` is a text."""
    value = data.get(key)
    if value is None or isinstance(value, str):
        if required_id and value is None:
            raise _Bad(f"{key} missing")
        return
    if not isinstance(value, dict):
        raise _Bad(f"{key} is neither an id nor an object")
    _text(value, "id", required=required_id)
    for name in ("team_id", "enterprise_id", "name", "username", "domain"):
        _text(value, name)


IDENTITY_TEXTS = (
    "type",
    "team_id",
    "user_id",
    "channel_id",
    "enterprise_id",
    "api_app_id",
    "trigger_id",
    "response_url",
    "thread_ts",
    "token",
    "callback_id",
    "action_ts",
    "event_id",
    "context_team_id",
    "context_enterprise_id",
)


def _identity(data: dict) -> None:
    """The parts Bolt reads from every request to build its context."""
    for key in IDENTITY_TEXTS:
        _text(data, key)
    for key in ("team", "user", "channel", "enterprise"):
        _id_or_object(data, key)
    for key in (
        "event",
        "message",
        "previous_message",
        "view",
        "item",
        "assistant_thread",
        "function_data",
        "container",
        "state",
    ):
        _object(data, key)
    if "is_ext_shared_channel" in data and not isinstance(data["is_ext_shared_channel"], (bool, type(None))):
        raise _Bad("is_ext_shared_channel is not a boolean")
    if "is_enterprise_install" in data and not isinstance(data["is_enterprise_install"], (bool, str, type(None))):
        raise _Bad("is_enterprise_install is not a boolean")
    for key in ("authorizations", "response_urls"):
        items = data.get(key)
        if items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _Bad(f"{key} is not a list of objects")
        for item in items:
            for name in ("team_id", "enterprise_id", "user_id", "response_url", "channel_id"):
                _text(item, name)
    event = data.get("event")
    if isinstance(event, dict):
        for key in (
            "type",
            "team",
            "user_team",
            "channel",
            "thread_ts",
            "tab",
            "user_id",
            "channel_id",
            "function_execution_id",
        ):
            _text(event, key)
        _id_or_object(event, "user")
    for key in ("message", "previous_message"):
        message = data.get(key)
        if isinstance(message, dict):
            for name in ("ts", "text", "thread_ts", "user", "bot_id", "type"):
                _text(message, name)
            blocks = message.get("blocks")
            if blocks is not None and (not isinstance(blocks, list) or not all(isinstance(b, dict) for b in blocks)):
                raise _Bad(f"{key}.blocks is not a list of objects")
    container = data.get("container")
    if isinstance(container, dict):
        for name in ("type", "message_ts", "channel_id", "view_id", "thread_ts"):
            _text(container, name)


def _selection(holder: dict, where: str) -> None:
    """The parts of an action or of an input's state the handlers read."""
    for name in (
        "value",
        "selected_date",
        "selected_time",
        "selected_user",
        "selected_channel",
        "selected_conversation",
        "type",
        "action_id",
        "block_id",
    ):
        _text(holder, name)
    option = holder.get("selected_option")
    if option is not None and (not isinstance(option, dict) or not isinstance(option.get("value", ""), str)):
        raise _Bad(f"{where}.selected_option is not an option")
    options = holder.get("selected_options")
    if options is not None and (
        not isinstance(options, list)
        or not all(isinstance(o, dict) and isinstance(o.get("value", ""), str) for o in options)
    ):
        raise _Bad(f"{where}.selected_options is not a list of options")
    for name in ("selected_users", "selected_channels", "selected_conversations"):
        items = holder.get(name)
        if items is not None and (not isinstance(items, list) or not all(isinstance(i, str) for i in items)):
            raise _Bad(f"{where}.{name} is not a list of ids")


def _view(view: dict) -> None:
    for name in (
        "id",
        "type",
        "callback_id",
        "hash",
        "root_view_id",
        "previous_view_id",
        "team_id",
        "app_installed_team_id",
        "external_id",
    ):
        _text(view, name)
    metadata = view.get("private_metadata")
    if metadata not in (None, ""):  # ours: always a JSON object (bot.blocks.modal)
        if not isinstance(metadata, str):
            raise _Bad("view.private_metadata is not a text")
        try:
            meta = json.loads(metadata)
        except ValueError:
            raise _Bad("view.private_metadata is not ours") from None
        if not isinstance(meta, dict):
            raise _Bad("view.private_metadata is not ours")
        _metadata(meta)
    state = _object(view, "state")
    if state is not None:
        values = _object(state, "values")
        for block_id, inputs in (values or {}).items():
            if not isinstance(inputs, dict):
                raise _Bad("view.state.values is not an object of objects")
            for action_id, holder in inputs.items():
                if not isinstance(holder, dict):
                    raise _Bad("view.state.values is not an object of objects")
                _selection(holder, f"state.{block_id}.{action_id}")


# What our modals keep in private_metadata (bot.blocks.modal), by key: a view submitted with anything
# else there was not built by Relais.
METADATA_IDS = ("placement_id", "proposal_id")
METADATA_TEXTS = ("expected", "channel", "cycle_key", "event_uid", "origin")
MAX_ROW_ID = 2**62


def _row_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < MAX_ROW_ID


def _metadata(meta: dict) -> None:
    for key in METADATA_IDS:
        if meta.get(key) is not None and not _row_id(meta[key]):
            raise _Bad(f"view.private_metadata.{key} is not an id")
    for key in METADATA_TEXTS:
        _text(meta, key)
    listed = meta.get("placements")
    if listed is not None and (not isinstance(listed, list) or not all(_row_id(p) for p in listed)):
        raise _Bad("view.private_metadata.placements is not a list of ids")


def _interaction(data: dict) -> None:
    kind = data.get("type")
    if kind in (
        "block_actions",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
        "block_suggestion",
        "interactive_message",
    ):
        _id_or_object(data, "user", required_id=True)
        if not isinstance(data["user"], dict):
            raise _Bad("user is not an object")
    if kind in ("block_actions", "interactive_message"):
        actions = data.get("actions")
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            raise _Bad("actions is not a list of objects")
        for action in actions:
            _text(action, "action_id", required=kind == "block_actions")
            _selection(action, "action")
        _text(data, "trigger_id", required=True)
    if kind in ("view_submission", "view_closed"):
        view = _object(data, "view", required=True)
        assert view is not None  # required: _object raised otherwise
        _view(view)
        _text(view, "callback_id", required=True)
    elif isinstance(data.get("view"), dict):
        _view(data["view"])
    if kind in ("shortcut", "message_action"):
        _text(data, "callback_id", required=True)
        _text(data, "trigger_id", required=True)
    if kind == "block_suggestion":
        _text(data, "action_id", required=True)
        _text(data, "value", required=True)
    if kind == "event_callback":
        event = _object(data, "event", required=True)
        assert event is not None  # required: _object raised otherwise
        _text(event, "type", required=True)
        if event.get("type") == "app_home_opened":
            _text(event, "user", required=True)
    if kind == "url_verification":
        _text(data, "challenge", required=True)


def _command(data: dict) -> None:
    for name in ("command", "user_id"):
        _text(data, name, required=True)
    for name in ("text", "channel_name", "user_name", "team_domain", "enterprise_name", "is_enterprise_install"):
        _text(data, name)


def problem(data: dict) -> str | None:
    """What makes `data` no request Slack sends, in a few words; None when its shape is fine."""
    try:
        if not isinstance(data, dict):
            raise _Bad("not an object")
        _identity(data)
        if "command" in data and "type" not in data:
            _command(data)
        else:
            _interaction(data)
    except _Bad as bad:
        return str(bad)
    return None

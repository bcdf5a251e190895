"""What Slack refuses in a payload, checked the way Slack checks it: the stand-in (bot.console.standin)
runs every message, view and response the bot sends through here, and answers like Slack
(`invalid_blocks`, `invalid_arguments`, `msg_too_long`) when something is out of bounds.

    problems = check_call("chat.postMessage", args)   # [] when Slack would take it
    problems = check_message({"text": ..., "blocks": [...]})
    problems = check_view(view)                       # a modal or the Home tab
    problems = check_ack(body)                        # what the web process answered Slack

Two layers: slack_sdk's own Block Kit models (`Block.parse(...).to_dict()` and `View(...).to_dict()`
validate what they know), then the documented limits slack_sdk does not check (LIMITS below) and the
size of a whole message (every text together ≤ bot.blocks.MAX_MESSAGE_CHARS, a margin under the
~12,000 characters Slack refuses in practice). Each problem is one line saying where and what.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.blocks import MAX_MESSAGE_CHARS, message_chars

MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "chat.scheduleMessage")
VIEW_METHODS = ("views.open", "views.update", "views.publish", "views.push")

LIMITS = {
    "message.blocks": 50,
    "message.text": 40_000,
    "message.chars": MAX_MESSAGE_CHARS,
    "view.blocks": 100,
    "view.title": 24,
    "view.submit": 24,
    "view.close": 24,
    "view.private_metadata": 3000,
    "view.callback_id": 255,
    "view.external_id": 255,
    "block_id": 255,
    "action_id": 255,
    "section.text": 3000,
    "section.fields": 10,
    "section.field": 2000,
    "header.text": 150,
    "context.elements": 10,
    "actions.elements": 25,
    "input.label": 2000,
    "input.hint": 2000,
    "button.text": 75,
    "button.value": 2000,
    "button.url": 3000,
    "confirm.title": 100,
    "confirm.text": 300,
    "confirm.confirm": 30,
    "confirm.deny": 30,
    "option.text": 75,
    "option.value": 150,
    "option.description": 75,
    "select.options": 100,
    "select.option_groups": 100,
    "choices.options": 10,  # checkboxes, radio buttons
    "overflow.options": 5,
    "placeholder": 150,
    "text_input.initial_value": 3000,
    "text_input.max_length": 3000,
}

SELECTS = ("static_select", "multi_static_select")
CHOICES = ("checkboxes", "radio_buttons")


def _text(obj: Any) -> str:
    if isinstance(obj, dict):
        text = obj.get("text")
        return text if isinstance(text, str) else ""
    return obj if isinstance(obj, str) else ""


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def over(self, where: str, name: str, size: int) -> None:
        limit = LIMITS[name]
        if size > limit:
            self.problems.append(f"{where}: {name} is {size} (max {limit})")

    def text(self, where: str, name: str, obj: Any) -> None:
        if obj is not None:
            self.over(where, name, len(_text(obj)))

    # -- blocks ------------------------------------------------------------------------------
    def blocks(self, where: str, blocks: Any, limit_name: str) -> None:
        if not isinstance(blocks, list):
            self.problems.append(f"{where}: blocks must be a list")
            return
        self.over(where, limit_name, len(blocks))
        for index, block in enumerate(blocks):
            self.block(f"{where}[{index}]", block)

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, dict):
            self.problems.append(f"{where}: a block must be an object")
            return
        kind = block.get("type")
        where = f"{where} ({kind})"
        try:
            parsed = Block.parse(block)
            if parsed is None:
                self.problems.append(f"{where}: unknown block type")
            else:
                parsed.to_dict()  # validates the block and every object in it
        except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as error:
            self.problems.append(f"{where}: {error}")
        if block.get("block_id") is not None:
            self.over(where, "block_id", len(str(block["block_id"])))
        if kind == "section":
            if block.get("text") is None and not block.get("fields"):
                self.problems.append(f"{where}: a section needs text or fields")
            self.text(where, "section.text", block.get("text"))
            fields = block.get("fields") or []
            self.over(where, "section.fields", len(fields))
            for number, field in enumerate(fields):
                self.text(f"{where}.fields[{number}]", "section.field", field)
        elif kind == "header":
            self.text(where, "header.text", block.get("text"))
        elif kind == "context":
            self.over(where, "context.elements", len(block.get("elements") or []))
        elif kind == "actions":
            self.over(where, "actions.elements", len(block.get("elements") or []))
        elif kind == "input":
            self.text(where, "input.label", block.get("label"))
            self.text(where, "input.hint", block.get("hint"))
        for key in ("accessory", "element"):
            if isinstance(block.get(key), dict):
                self.element(f"{where}.{key}", block[key])
        if kind in ("actions", "context"):
            for number, element in enumerate(block.get("elements") or []):
                if isinstance(element, dict):
                    self.element(f"{where}.elements[{number}]", element)

    # -- elements ----------------------------------------------------------------------------
    def element(self, where: str, element: dict) -> None:
        kind = element.get("type")
        where = f"{where} ({kind})"
        if element.get("action_id") is not None:
            self.over(where, "action_id", len(str(element["action_id"])))
        if "placeholder" in element:
            self.text(where, "placeholder", element["placeholder"])
        if isinstance(element.get("confirm"), dict):
            self.confirm(f"{where}.confirm", element["confirm"])
        if kind == "button":
            self.text(where, "button.text", element.get("text"))
            self.over(where, "button.value", len(element.get("value") or ""))
            self.over(where, "button.url", len(element.get("url") or ""))
        elif kind == "plain_text_input":
            self.over(where, "text_input.initial_value", len(element.get("initial_value") or ""))
            for key in ("max_length", "min_length"):
                if isinstance(element.get(key), int):
                    self.over(where, "text_input.max_length", element[key])
        options = element.get("options") or []
        if kind in SELECTS:
            self.over(where, "select.options", len(options))
            self.over(where, "select.option_groups", len(element.get("option_groups") or []))
        elif kind in CHOICES:
            self.over(where, "choices.options", len(options))
        elif kind == "overflow":
            self.over(where, "overflow.options", len(options))
        every = list(options)
        for group in element.get("option_groups") or []:
            every.extend(group.get("options") or [])
        for key in ("initial_option",):
            if isinstance(element.get(key), dict):
                every.append(element[key])
        every.extend(element.get("initial_options") or [])
        for number, item in enumerate(every):
            if isinstance(item, dict):
                self.option(f"{where}.options[{number}]", item)

    def option(self, where: str, item: dict) -> None:
        self.text(where, "option.text", item.get("text"))
        self.over(where, "option.value", len(item.get("value") or ""))
        if "description" in item:
            self.text(where, "option.description", item["description"])

    def confirm(self, where: str, dialog: dict) -> None:
        for part in ("title", "text", "confirm", "deny"):
            self.text(where, f"confirm.{part}", dialog.get(part))


# -- what is checked ---------------------------------------------------------------------------
def check_blocks(blocks: Any, *, limit_name: str = "message.blocks", where: str = "blocks") -> list[str]:
    checker = _Checker()
    checker.blocks(where, blocks, limit_name)
    return checker.problems


def check_message(payload: dict) -> list[str]:
    """A message (chat.*, a response_url post, an ack that answers with a message)."""
    checker = _Checker()
    text = payload.get("text") or ""
    if not isinstance(text, str):
        return ["text must be a string"]
    checker.over("message", "message.text", len(text))
    blocks = payload.get("blocks")
    if blocks is not None:
        checker.blocks("blocks", blocks, "message.blocks")
        if isinstance(blocks, list):
            checker.over("message", "message.chars", message_chars(blocks, text))
    return checker.problems


def check_view(view: Any) -> list[str]:
    """A modal or the Home tab (views.open/update/push/publish, an ack's response_action)."""
    if not isinstance(view, dict):
        return ["view must be an object"]
    checker = _Checker()
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError, ValueError, KeyError, AttributeError) as error:
        checker.problems.append(f"view: {error}")
    if view.get("type") not in ("modal", "home"):
        checker.problems.append(f"view: type must be modal or home, not {view.get('type')!r}")
    if view.get("type") == "modal":
        if view.get("title") is None:
            checker.problems.append("view: a modal needs a title")
        for part in ("title", "submit", "close"):
            checker.text("view", f"view.{part}", view.get(part))
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and view.get("submit") is None:
            checker.problems.append("view: a modal with inputs needs a submit button")
    for part in ("private_metadata", "callback_id", "external_id"):
        checker.over("view", f"view.{part}", len(str(view.get(part) or "")))
    checker.blocks("view.blocks", view.get("blocks") or [], "view.blocks")
    return checker.problems


def check_ack(body: Any) -> list[str]:
    """What the web process answers Slack within 3 s: nothing, a message, or a response_action."""
    if not isinstance(body, dict):
        return []
    if body.get("response_action") in ("update", "push"):
        return check_view(body.get("view"))
    if body.get("response_action") == "errors":
        errors = body.get("errors")
        return [] if isinstance(errors, dict) else ["response_action errors needs an object of block_id: text"]
    if "text" in body or "blocks" in body:
        return check_message(body)
    return []


def check_call(method: str, args: dict) -> list[str]:
    """The problems Slack would find in this Web API call (or response_url post); [] for other methods."""
    if method in MESSAGE_METHODS:
        problems = check_message(args)
        if method != "chat.update" and not (args.get("text") or args.get("blocks") or args.get("attachments")):
            problems.append("message: no_text (neither text nor blocks)")
        return problems
    if method == "response_url":
        return check_message(args)
    if method in VIEW_METHODS:
        return check_view(args.get("view"))
    return []


def slack_error(method: str, problems: list[str]) -> str:
    """The error code Slack answers for these problems."""
    if any(p.startswith("message: message.text") for p in problems):
        return "msg_too_long"
    if any("no_text" in p for p in problems):
        return "no_text"
    return "invalid_arguments" if method in VIEW_METHODS else "invalid_blocks"

"""Block Kit, built by small functions. Every text a user typed goes through `escape()` first.

Slack's mrkdwn treats `&`, `<` and `>` as control characters: `<!channel>` pings, `<url|text>`
links. Escaping them makes user text show as typed and do nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
MAX_BUTTON_TEXT = 75


def escape(text: str | None) -> str:
    """Make user text inert in mrkdwn and plain text: & < > become entities."""
    if not text:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plain(text: str, emoji: bool = True) -> dict:
    return {"type": "plain_text", "text": text[:MAX_SECTION_TEXT], "emoji": emoji}


def mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text[:MAX_SECTION_TEXT]}


def section(text: str, block_id: str | None = None, accessory: dict | None = None) -> dict:
    block: dict[str, Any] = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(items: Iterable[str]) -> dict:
    return {"type": "section", "fields": [mrkdwn(i) for i in list(items)[:10]]}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text[:150])}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def divider() -> dict:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None, confirm: dict | None = None) -> dict:
    element: dict[str, Any] = {"type": "button", "text": plain(text[:MAX_BUTTON_TEXT]), "action_id": action_id}
    if value:
        element["value"] = value
    if style in ("primary", "danger"):
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm(title: str, text: str, yes: str, no: str) -> dict:
    return {"title": plain(title), "text": mrkdwn(text), "confirm": plain(yes), "deny": plain(no)}


def actions(elements: list[dict], block_id: str | None = None) -> dict:
    block: dict[str, Any] = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict:
    return {"text": plain(text[:75]), "value": value}


def input_block(block_id: str, label: str, element: dict, optional: bool = False, hint: str | None = None) -> dict:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint)
    return block


def text_input(
    action_id: str = "value",
    initial: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
    placeholder: str | None = None,
) -> dict:
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id, "multiline": multiline}
    if initial:
        element["initial_value"] = initial
    if max_length:
        element["max_length"] = max_length
    if placeholder:
        element["placeholder"] = plain(placeholder)
    return element


def modal(
    callback_id: str,
    title: str,
    blocks: list[dict],
    submit: str | None,
    close: str,
    private_metadata: dict | None = None,
) -> dict:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(title[:24]),
        "close": plain(close[:24]),
        "blocks": blocks[:100],
    }
    if submit:
        view["submit"] = plain(submit[:24])
    if private_metadata is not None:
        view["private_metadata"] = json.dumps(private_metadata)
    return view


def fallback_text(blocks: list[dict]) -> str:
    """The notification text of a message: its first text block, trimmed."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return text["text"][:300]
    return ""

"""Block Kit, built by small functions. Every text a user typed goes through `escape()` first.

Slack's mrkdwn treats `&`, `<` and `>` as control characters: `<!channel>` pings, `<url|text>`
links. Escaping them makes user text show as typed and do nothing else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

MAX_SECTION_TEXT = 3000
MAX_BLOCKS = 50
MAX_BUTTON_TEXT = 75
MAX_CONFIRM_TEXT = 300  # a confirmation dialog's text (Slack refuses the whole message beyond)
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_BUTTON = 30
MAX_MESSAGE_CHARS = 11_000  # every text of a message together (Slack refuses from about 12,000: a margin)
MAX_FALLBACK = 300  # a message's notification text (fallback_text), which counts in its size too
# What a cut must never split: an entity of escaped text, or Slack's own <…> (a mention <@U1>, a channel
# <#C1>, a link <https://…|text>, a date <!date^…>); user text has no raw < (escape() made it &lt;).
_TOKEN = re.compile(r"&(?:amp|lt|gt);|<[^<>\n]+>")


def escape(text: str | None) -> str:
    """Make user text inert in mrkdwn and plain text: & < > become entities."""
    if not text:
        return ""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_end(text: str, end: int) -> int:
    """`end`, moved back to the start of the entity or <…> token it falls inside, if any: text[:end] then
    never ends with half of `&amp;` or of `<@U123>`."""
    for token in _TOKEN.finditer(text):
        if token.start() >= end:
            break
        if token.end() > end:
            return token.start()
    return end


def _break_at(text: str, limit: int, near: float) -> int:
    """Where to break `text` to keep at most `limit` characters: at a space after `near`×limit when
    there is one, never inside an entity or a <…> token (a token longer than the limit is broken anyway)."""
    end = safe_end(text, limit)
    space = text.rfind(" ", 0, end)
    if space > limit * near:
        end = safe_end(text, space)
    return end if end > 0 else limit


def cut(text: str, limit: int) -> str:
    """Escaped (or any) text in at most `limit` characters: cut after the escaping, never inside an
    entity (&amp; &lt; &gt;) nor a mention or link (<@U1>, <url|text>), at a space when one is near,
    "…" at the end when something was cut."""
    if len(text) <= limit:
        return text
    return text[: _break_at(text, limit - 1, 0.8)].rstrip() + "…"


def escape_cut(text: str | None, limit: int) -> str:
    """What a user typed, escaped, in at most `limit` characters once escaped."""
    return cut(escape(text), limit)


def wrap(line: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """One line longer than `limit` in pieces of at most `limit` characters, broken at spaces (never
    inside an entity or a mention): nothing is lost."""
    pieces = []
    while len(line) > limit:
        end = _break_at(line, limit, 0.5)
        pieces.append(line[:end].rstrip())
        line = line[end:].lstrip()
    return [*pieces, line]


def split_lines(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Text in pieces of at most `limit` characters, split at line boundaries (a line longer than that
    is itself broken at spaces, `wrap`): a long section becomes several blocks, none of its text lost."""
    pieces: list[str] = []
    current = ""
    for whole in text.split("\n"):
        for line in wrap(whole, limit):
            if current and len(current) + 1 + len(line) > limit:
                pieces.append(current)
                current = line
            else:
                current = f"{current}\n{line}" if current else line
    if current or not pieces:
        pieces.append(current)
    return pieces


def fit_lines(lines: list[str], room: int, more: Callable[[int], str]) -> list[str]:
    """The first lines that fit in `room` characters (line breaks counted); when some do not, the ones
    that do, then `more(left)`, a line saying how many were left out and where to see them (room is kept
    for it). Nothing is dropped silently."""
    if sum(len(line) + 1 for line in lines) <= room:
        return lines
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        tail = more(len(lines) - index)
        if used + len(line) + 1 + len(tail) > room:
            return [*kept, tail]
        kept.append(line)
        used += len(line) + 1
    return kept


def fit_blocks(
    items: list[dict],
    more: Callable[[int], dict],
    room: int = MAX_MESSAGE_CHARS - MAX_FALLBACK,
    max_blocks: int = MAX_BLOCKS,
) -> list[dict]:
    """The first blocks that fit in one message (`max_blocks` blocks, `room` characters of text); when
    some do not, the ones that do, then `more(left)`, a block saying how many were left out and where
    to see them (room is kept for it). Nothing is dropped silently."""
    if len(items) <= max_blocks and message_chars(items) <= room:
        return items
    kept: list[dict] = []
    used = 0
    for index, item in enumerate(items):
        tail = more(len(items) - index)
        size = message_chars([item])
        if len(kept) + 2 > max_blocks or used + size + message_chars([tail]) > room:
            return [*kept, tail]
        kept.append(item)
        used += size
    return kept


def sections(text: str, block_id: str | None = None) -> list[dict]:
    """One section per piece of `split_lines(text)`; the first one gets `block_id`."""
    return [section(piece, block_id if i == 0 else None) for i, piece in enumerate(split_lines(text))]


def plain(text: str, emoji: bool = True, limit: int = MAX_SECTION_TEXT) -> dict:
    return {"type": "plain_text", "text": cut(text, limit), "emoji": emoji}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict:
    return {"type": "mrkdwn", "text": cut(text, limit)}


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
    return {"type": "header", "text": plain(text, limit=150)}


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:10]]}


def divider() -> dict:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str = "", style: str | None = None, confirm: dict | None = None) -> dict:
    element: dict[str, Any] = {"type": "button", "text": plain(text, limit=MAX_BUTTON_TEXT), "action_id": action_id}
    if value:
        element["value"] = value
    if style in ("primary", "danger"):
        element["style"] = style
    if confirm:
        element["confirm"] = confirm
    return element


def confirm(title: str, text: str, yes: str, no: str) -> dict:
    """A confirmation dialog, within Slack's limits whatever the texts hold (text ≤ 300 characters)."""
    return {
        "title": plain(title, limit=MAX_CONFIRM_TITLE),
        "text": mrkdwn(text, limit=MAX_CONFIRM_TEXT),
        "confirm": plain(yes, limit=MAX_CONFIRM_BUTTON),
        "deny": plain(no, limit=MAX_CONFIRM_BUTTON),
    }


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


def texts(value: Any) -> Iterable[str]:
    """Every text of blocks (or of any part of a payload): each text object's `text`, wherever it is."""
    if isinstance(value, dict):
        if value.get("type") in ("plain_text", "mrkdwn") and isinstance(value.get("text"), str):
            yield value["text"]
            return
        for item in value.values():
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def message_chars(blocks: list[dict] | None, text: str = "") -> int:
    """What Slack counts against a message's size: every text in its blocks plus its top-level `text`."""
    return sum(len(t) for t in texts(blocks or [])) + len(text or "")


def fallback_text(blocks: list[dict]) -> str:
    """The notification text of a message: its first text block, trimmed."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return cut(text["text"], MAX_FALLBACK)
    return ""

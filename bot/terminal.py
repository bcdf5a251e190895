"""Block Kit as terminal text: sections, fields, context, headers, buttons as `[N] label`, checkboxes as
one numbered toggle per option (`[N] ☐ label`, `[N] ☑ label`), numbered in the same sequence as buttons.

The console shows Slack's side with it, and commands that print a message (`digest --dry-run`) too. Like
Slack's client, the screen remembers which boxes are ticked on each message (from `initial_options`, again
whenever the message is updated) so that a click sends what is selected now.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any, Protocol


class Call(Protocol):
    """One Web API call as the console's Slack stand-in records it."""

    method: str
    args: dict[str, Any]
    result: dict[str, Any] | None


_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_MENTION = re.compile(r"<@([A-Z0-9_]+)>")
_CHANNEL = re.compile(r"<#([A-Z0-9_]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(\w+)(?:\|([^>]*))?>")


def unmrkdwn(text: str, names: Mapping[str, str] | None = None) -> str:
    """What Slack would show: links as 'label (url)', mentions as @name (the person's name when `names`
    has it, as Slack shows it; else the user ID), entities decoded."""
    names = names or {}
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text or "")
    text = _MENTION.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)  # <!channel> as Slack shows it
    return html.unescape(text)


class Screen:
    def __init__(self, tr, write, names: Mapping[str, str] | None = None):
        self.tr, self.write = tr, write
        self.names = dict(names or {})  # user ID -> the name shown for that person (the console's own)
        self.direct: dict[str, str] = {}  # direct message channel -> its person's user ID (conversations.open)
        # number -> (element, block_id, where, option): option is the checkbox's option, None for a button
        self.buttons: dict[int, tuple[dict, str | None, dict, dict | None]] = {}
        self.checked: dict[tuple, list[str]] = {}  # (message, block_id, action_id) -> values ticked now
        self._next = 1

    def call(self, call: Call) -> None:
        args, result = call.args, call.result or {}
        if call.method == "chat.postMessage":
            where = {
                "channel": result.get("channel"),
                "ts": result.get("ts"),
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
            }
            prefix = self.tr("console.in_thread") if args.get("thread_ts") else ""
            if str(args.get("channel", "")).startswith("D"):
                prefix = (prefix + " " + self.tr("console.dm", user=self.person(args["channel"]))).strip()
            self.message(args, where=where, prefix=prefix)
        elif call.method == "conversations.open":
            channel = (result.get("channel") or {}).get("id")
            user = str(args.get("users") or "").split(",")[0].strip()
            if channel and user:
                self.direct[channel] = user
        elif call.method == "chat.update":
            where = {
                "channel": args.get("channel"),
                "ts": args.get("ts"),
                "text": args.get("text", ""),
                "blocks": args.get("blocks") or [],
            }
            self.message(args, where=where, prefix=self.tr("console.updated"))
        elif call.method == "chat.postEphemeral":
            self.message(args, ephemeral=True)
        elif call.method == "response_url":
            self.message(args, ephemeral=args.get("response_type") != "in_channel")
        elif call.method in ("views.publish", "views.update"):
            view = args.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            view = {**view, "id": result.get("view", {}).get("id")}
            self.message(
                {"blocks": view.get("blocks", [])},
                where={"view": view},
                prefix="🏠" if call.method == "views.publish" else "",
            )
        elif call.method == "files.completeUploadExternal":
            for f in args.get("files") or []:
                self.write(self.tr("console.file", name=f.get("title") or f.get("id"), size="?"))
        elif call.method == "upload":
            self.write(self.tr("console.file", name=args.get("file_id"), size=args.get("size")))

    def person(self, channel: str) -> str:
        """Who a direct message channel is with: '@' and the person's name ('@console'), their user ID when
        the screen has no name for them, the channel when it never saw it opened."""
        user = self.direct.get(channel)
        if user is None:
            return channel
        return "@" + self.names.get(user, user)

    def message(self, message: dict, *, where: dict | None = None, ephemeral: bool = False, prefix: str = "") -> None:
        where = where or {}
        lines = []
        if prefix:
            lines.append(prefix)
        if ephemeral:
            lines.append(self.tr("console.ephemeral"))
        blocks = message.get("blocks") or []
        if not blocks and message.get("text"):
            lines.append(unmrkdwn(message["text"], self.names))
        for block in blocks:
            lines.extend(self._block(block, where))
        self.write("\n".join(lines))
        self.write("")

    def _block(self, block: dict, where: dict) -> list[str]:
        kind = block.get("type")
        if kind == "header":
            return ["══ " + block["text"]["text"] + " ══"]
        if kind == "divider":
            return ["──────────"]
        if kind == "section":
            out = []
            if block.get("text"):
                out.append(unmrkdwn(block["text"].get("text", ""), self.names))
            for f in block.get("fields") or []:
                out.append("  " + unmrkdwn(f.get("text", ""), self.names))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                out.append(self._button(accessory, block.get("block_id"), where))
            if accessory and accessory.get("type") == "checkboxes":
                out += self._checkboxes(accessory, block.get("block_id"), where)
            return out
        if kind == "context":
            return [
                "  "
                + " · ".join(
                    unmrkdwn(e.get("text", ""), self.names) for e in block.get("elements", []) if e.get("text")
                )
            ]
        if kind == "actions":
            out, row = [], []  # buttons side by side; checkboxes one option a line
            for e in block.get("elements", []):
                if e.get("type") == "button":
                    row.append(self._button(e, block.get("block_id"), where))
                elif e.get("type") == "checkboxes":
                    if row:
                        out.append("  ".join(row))
                        row = []
                    out += self._checkboxes(e, block.get("block_id"), where)
            if row:
                out.append("  ".join(row))
            return out or [""]
        if kind == "image":
            return [f"[image: {block.get('alt_text', '')}]"]
        return []

    def _button(self, element: dict, block_id: str | None, where: dict) -> str:
        number = self._next
        self._next += 1
        self.buttons[number] = (element, block_id, where, None)
        return f"[{number}] {element.get('text', {}).get('text', '?')}"

    def _checkboxes(self, element: dict, block_id: str | None, where: dict) -> list[str]:
        key = (_scope(where), block_id, element.get("action_id"))
        self.checked[key] = [o.get("value") for o in element.get("initial_options") or []]
        lines = []
        for option in element.get("options") or []:
            number = self._next
            self._next += 1
            self.buttons[number] = (element, block_id, where, option)
            lines.append(self._box(number, option, option.get("value") in self.checked[key]))
        return lines

    def _box(self, number: int, option: dict, ticked: bool) -> str:
        return f"[{number}] {'☑' if ticked else '☐'} {unmrkdwn(option.get('text', {}).get('text', '?'), self.names)}"

    def toggle(self, number: int) -> list[dict]:
        """Tick or untick checkbox [number] as Slack's client does, show it, and return the element's options
        selected now (in the element's order): the `selected_options` of the block_actions Slack sends."""
        element, block_id, where, option = self.buttons[number]
        assert option is not None, "a checkbox's number"  # Console.click calls this for checkboxes only
        key = (_scope(where), block_id, element.get("action_id"))
        ticked = set(self.checked.get(key, [])) ^ {option.get("value")}
        selected = [o for o in element.get("options") or [] if o.get("value") in ticked]
        self.checked[key] = [o.get("value") for o in selected]
        self.write(self._box(number, option, option.get("value") in ticked))
        return selected

    def state_values(self, where: dict) -> dict:
        """The `state.values` Slack sends with a block action: every checkboxes element of that message or
        view, with the options ticked now."""
        blocks = (where.get("view") or {}).get("blocks") if where.get("view") else where.get("blocks")
        values: dict = {}
        for block in blocks or []:
            elements = list(block.get("elements") or []) if block.get("type") == "actions" else []
            if block.get("type") == "section" and block.get("accessory"):
                elements.append(block["accessory"])
            for element in elements:
                if element.get("type") != "checkboxes" or not block.get("block_id"):
                    continue
                chosen = self.checked.get((_scope(where), block["block_id"], element.get("action_id")), [])
                values.setdefault(block["block_id"], {})[element.get("action_id")] = {
                    "type": "checkboxes",
                    "selected_options": [o for o in element.get("options") or [] if o.get("value") in chosen],
                }
        return values


def _scope(where: dict) -> tuple:
    """Which message or view a checkbox is on: the state of its boxes belongs to it."""
    if where.get("view"):
        return ("view", where["view"].get("id"))
    if where.get("ts"):
        return (where.get("channel"), where["ts"])
    return ("shown", id(where))

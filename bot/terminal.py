"""Block Kit as terminal text: sections, fields, context, headers, buttons as `[N] label`.

The console shows Slack's side with it, and commands that print a message (`digest --dry-run`) too.
"""

from __future__ import annotations

import html
import json
import re
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


def unmrkdwn(text: str) -> str:
    """What Slack would show: links as 'label (url)', mentions as @U…, entities decoded."""
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text or "")
    text = _MENTION.sub(lambda m: "@" + m.group(1), text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)  # <!channel> as Slack shows it
    return html.unescape(text)


class Screen:
    def __init__(self, tr, write):
        self.tr, self.write = tr, write
        self.buttons: dict[int, tuple[dict, str | None, dict]] = {}
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
                prefix = (prefix + " " + self.tr("console.dm", user="@" + args["channel"][1:])).strip()
            self.message(args, where=where, prefix=prefix)
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

    def message(self, message: dict, *, where: dict | None = None, ephemeral: bool = False, prefix: str = "") -> None:
        where = where or {}
        lines = []
        if prefix:
            lines.append(prefix)
        if ephemeral:
            lines.append(self.tr("console.ephemeral"))
        blocks = message.get("blocks") or []
        if not blocks and message.get("text"):
            lines.append(unmrkdwn(message["text"]))
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
                out.append(unmrkdwn(block["text"].get("text", "")))
            for f in block.get("fields") or []:
                out.append("  " + unmrkdwn(f.get("text", "")))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                out.append(self._button(accessory, block.get("block_id"), where))
            return out
        if kind == "context":
            return ["  " + " · ".join(unmrkdwn(e.get("text", "")) for e in block.get("elements", []) if e.get("text"))]
        if kind == "actions":
            return [
                "  ".join(
                    self._button(e, block.get("block_id"), where)
                    for e in block.get("elements", [])
                    if e.get("type") == "button"
                )
            ]
        if kind == "image":
            return [f"[image: {block.get('alt_text', '')}]"]
        return []

    def _button(self, element: dict, block_id: str | None, where: dict) -> str:
        number = self._next
        self._next += 1
        self.buttons[number] = (element, block_id, where)
        return f"[{number}] {element.get('text', {}).get('text', '?')}"

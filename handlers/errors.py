"""The last line of defence: an unexpected error is logged with its traceback and the user gets
a short ephemeral apology in their language; nothing half-done is left (writes are transactions).

A database that is busy (the write lock not free within the request's patience, storage.db.Busy) or
cannot be written (disk full, read-only) is no bug: one log line, and the person is told so in the
answer itself when nothing was acknowledged yet (a slash command's ephemeral, the form's error),
else where they acted."""

from __future__ import annotations

import json
import logging

from slack_bolt import App, BoltResponse

from handlers.common import ephemeral, tell
from storage.db import Replayed, kind_of

log = logging.getLogger("relais.handlers")

TEXTS = {"busy": "common.busy", "unwritable": "common.unwritable"}


def register(app: App) -> None:
    app.error(on_error)


def on_error(error, body, context, respond, client, response):
    if isinstance(error, Replayed):  # seen before: nothing changed, nothing to say (an empty 200)
        log.warning("ignored a replayed request: %s", error)
        return BoltResponse(status=200, body="") if response is not None else None
    kind = kind_of(error)
    if kind:
        log.warning("a request could not write (%s): %s", kind, error)
    else:
        log.exception("unhandled error in a listener", exc_info=error)
    relais = context.get("relais")
    if relais is None:
        return None
    text = relais.tr(TEXTS.get(kind or "", "common.internal_error"))
    if response is not None:  # not acknowledged yet: the answer itself says it, within Slack's 3 s
        if body.get("command"):
            return _answer(ephemeral(text))
        if body.get("type") == "view_submission":
            block = _first_input((body.get("view") or {}).get("blocks"))
            if block:
                return _answer({"response_action": "errors", "errors": {block: text}})
    try:
        tell(body, respond, client, text)
    except Exception:
        log.warning("could not tell the user about the error", exc_info=True)
    return BoltResponse(status=200, body="") if response is not None else None


def _answer(payload: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(payload), headers={"content-type": "application/json"})


def _first_input(blocks) -> str | None:
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "input" and isinstance(block.get("block_id"), str):
            return block["block_id"]
    return None

"""Sending what the outbox owes.

Each kind of message registers a renderer that turns a row into a `Post` at send time, from the
database as it is then, or returns None when the message stopped being relevant (the row is
then `skipped`, with the reason). The sender claims due rows, posts them oldest first, paces
them to one message a second per channel, and records the Slack ts.

    @kind("card")
    def render_card(relais, row) -> Post | None: ...

    outbox.plan(db, key=..., kind="card", due_at=now, target=channel, now=now)   # storage.outbox
    deliver(relais)                       # everything due now
    deliver(relais, keys=[key])           # just these, right after the transaction that planned them

Failures: a 429 waits Retry-After and the row stays pending (no attempt counted); a 5xx, a
timeout or a connection error retries with exponential backoff up to MAX_ATTEMPTS, then the
row is `failed`, logged, and listed by `python -m bot check`. An error Slack gives for the
request itself (channel_not_found, invalid_blocks...) fails the row at once.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable, Iterable

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.blocks import fallback_text
from storage import outbox as rows

log = logging.getLogger("relais.outbox")

MAX_ATTEMPTS = 6
BACKOFF = (30, 120, 600, 1800, 3600)  # seconds after attempt 1, 2, ...
PACE_SECONDS = 1.0  # Slack allows about one message a second per channel


@dataclass
class Post:
    """One Web API write. `channel` is a channel ID, or a user ID with dm=True (conversations.open)."""

    channel: str
    text: str = ""
    blocks: list[dict] | None = None
    thread_ts: str | None = None
    update_ts: str | None = None  # chat.update this message instead of posting a new one
    dm: bool = False
    file: tuple[str, bytes] | None = None  # (filename, content) uploaded with files_upload_v2
    unfurl: bool = False
    on_sent: Callable[[object, str, str | None], None] | None = field(default=None, repr=False)
    # on_sent(db, channel, ts) runs in the transaction that marks the row sent

    def fallback(self) -> str:
        return self.text or (fallback_text(self.blocks) if self.blocks else "")


Renderer = Callable[[object, dict], "Post | None"]
KINDS: dict[str, Renderer] = {}


def kind(name: str) -> Callable[[Renderer], Renderer]:
    def inner(fn: Renderer) -> Renderer:
        KINDS[name] = fn
        return fn

    return inner


def payload(row: dict) -> dict:
    return json.loads(row.get("payload") or "{}")


class _Pacer:
    """At most one post a second per channel, shared by every sender in the process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}

    def wait(self, channel: str) -> None:
        with self._lock:
            now = time.monotonic()
            at = max(now, self._next.get(channel, 0.0))
            self._next[channel] = at + PACE_SECONDS
        if at > now:
            time.sleep(at - now)


PACER = _Pacer()
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def deliver(relais, *, now: datetime | None = None, keys: Iterable[str] | None = None, limit: int = 200) -> list[dict]:
    """Send what is due (or the rows with these keys, when due). Returns the rows it sent."""
    from bot import features

    features.load()
    db = relais.db
    now = now or relais.clock.now()
    sent = []
    for row in rows.claim_due(db, now, f"{WORKER}:{threading.get_ident()}", limit=limit, keys=keys):
        if _send_one(relais, row, now):
            sent.append(row)
    return sent


def deliver_in_background(relais, keys: Iterable[str]) -> None:
    """After an ack: send these rows now without holding up the request (the scheduler retries)."""
    keys = list(keys)
    if relais.inline_delivery:
        deliver(relais, keys=keys)
        return
    threading.Thread(target=_safe_deliver, args=(relais, keys), name="relais-deliver", daemon=True).start()


def _safe_deliver(relais, keys):
    try:
        deliver(relais, keys=keys)
    except Exception:  # noqa: BLE001 - the scheduler will try again
        log.exception("background delivery failed")
    finally:
        relais.store.close()


def _send_one(relais, row: dict, now: datetime) -> bool:
    db = relais.db
    renderer = KINDS.get(row["kind"])
    if renderer is None:
        with db.atomic():
            rows.mark_failed(db, row["id"], now, f"no renderer for kind {row['kind']!r}")
        log.error("outbox row %s: no renderer for kind %r", row["id"], row["kind"])
        return False
    try:
        post = renderer(relais, row)
    except Exception as error:  # noqa: BLE001 - a rendering bug must not block the queue
        log.exception("outbox row %s (%s): rendering failed", row["id"], row["kind"])
        with db.atomic():
            rows.mark_failed(db, row["id"], now, f"render: {error}")
        return False
    if post is None:
        with db.atomic():
            rows.mark_skipped(db, row["id"], now, "no longer relevant")
        return False
    try:
        channel, ts = _call_slack(relais, post)
    except SlackApiError as error:
        return _after_error(relais, row, now, error)
    except (SlackRequestError, OSError, TimeoutError) as error:
        return _retry_later(relais, row, now, f"connection: {error}")
    with db.atomic():
        rows.mark_sent(db, row["id"], relais.clock.now(), channel, ts)
        if post.on_sent:
            post.on_sent(db, channel, ts)
    log.info("sent %s %s to %s", row["kind"], row["key"], channel)
    return True


def _call_slack(relais, post: Post) -> tuple[str, str | None]:
    client = relais.client
    channel = post.channel
    if post.dm:
        channel = client.conversations_open(users=post.channel)["channel"]["id"]
    PACER.wait(channel)
    if post.file is not None:
        name, content = post.file
        response = client.files_upload_v2(channel=channel, filename=name, content=content, title=name,
                                          initial_comment=post.text or None, thread_ts=post.thread_ts)
        return channel, None
    if post.update_ts:
        response = client.chat_update(channel=channel, ts=post.update_ts, text=post.fallback(), blocks=post.blocks)
        return channel, response.get("ts") or post.update_ts
    response = client.chat_postMessage(channel=channel, text=post.fallback(), blocks=post.blocks,
                                       thread_ts=post.thread_ts, unfurl_links=post.unfurl, unfurl_media=post.unfurl)
    return response.get("channel") or channel, response.get("ts")


def _after_error(relais, row: dict, now: datetime, error: SlackApiError) -> bool:
    response = error.response
    status = getattr(response, "status_code", 0) or 0
    if status == 429:
        retry_after = int((response.headers or {}).get("Retry-After", (response.headers or {}).get("retry-after", 30)) or 30)
        with relais.db.atomic():
            rows.mark_retry(relais.db, row["id"], now, now + timedelta(seconds=retry_after), "ratelimited",
                            count_attempt=False)
        log.warning("outbox row %s: rate limited, retry in %ss", row["id"], retry_after)
        return False
    if status >= 500:
        return _retry_later(relais, row, now, f"http {status}")
    reason = (response.data or {}).get("error", str(error)) if hasattr(response, "data") else str(error)
    with relais.db.atomic():
        rows.mark_failed(relais.db, row["id"], now, f"slack: {reason}")
    log.error("outbox row %s (%s): Slack refused it: %s", row["id"], row["kind"], reason)
    return False


def _retry_later(relais, row: dict, now: datetime, error: str) -> bool:
    attempts = row["attempts"]
    with relais.db.atomic():
        if attempts >= MAX_ATTEMPTS:
            rows.mark_failed(relais.db, row["id"], now, error)
            log.error("outbox row %s (%s) failed after %s attempts: %s", row["id"], row["kind"], attempts, error)
        else:
            delay = BACKOFF[min(attempts - 1, len(BACKOFF) - 1)]
            rows.mark_retry(relais.db, row["id"], now, now + timedelta(seconds=delay), error)
            log.warning("outbox row %s: %s; retry in %ss", row["id"], error, delay)
    return False

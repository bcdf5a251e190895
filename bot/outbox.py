"""Sending what the outbox owes.

Each kind of message has a renderer, contributed by its feature (`bot.feature.Feature.renderers`,
reached through `relais.contributions`), that turns a row into a `Post` at send time, from the
database as it is then, or returns None when the message stopped being relevant (the row is
then `skipped`; `raise Skip(reason)` says why). A renderer takes (relais, row, now), `now`
being the pass's time (`tick --at`'s, the console's `:tick`'s). The sender claims due rows,
posts them oldest first, paces them to one message a second per channel, and records the Slack ts.

    def render_card(relais, row, now) -> Post | None: ...
    Feature("proposals", renderers={"card": render_card}, ...)

    outbox.plan(db, key=..., kind="card", due_at=now, target=channel, now=now)   # storage.outbox
    deliver(relais)                       # everything due now
    deliver(relais, keys=[key])           # just these, right after the transaction that planned them

Failures: a 429 waits Retry-After (within the pass when it is short, otherwise a later tick) and
the row stays pending (no attempt counted). A transient failure (a 5xx, a timeout, a connection
error, `service_unavailable`, `fatal_error`...) is retried with backoff (30 s, doubling, capped at
an hour) for as long as the message is still relevant: there is no attempt limit, the renderer
decides at each try, so an outage of any length delays messages without losing them. An error Slack
gives for the request itself (channel_not_found, not_in_channel, invalid_blocks, invalid_auth...)
fails the row at once: it is logged, `python -m bot check` says what, where, why and how to fix it,
and `python -m bot outbox retry KEY|--all` sends it again once the cause is fixed.

Stopping (SIGTERM, `stop`): the process claims nothing more and starts no new post; the posts under way
are answered by Slack and recorded before it exits; rows it had claimed but not started are given back
(pending, their attempt refunded), so the next pass, here or after the restart, sends each of them once.

Exactly once, as far as Slack allows: a row is claimed by one worker (one UPDATE ... RETURNING), the
claim is renewed right before the post and the post is skipped if the claim was lost. A worker that
died while posting (same host, its process gone) gives its rows back at the next pass, so only the
message that was in flight can be repeated.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import secrets
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.blocks import fallback_text
from bot.i18n import CATALOGS
from storage import outbox as rows

log = logging.getLogger("relais.outbox")

MAX_INTERRUPTIONS = 3  # deaths of the sender with the message in flight before the row is failed
BACKOFF = (30, 60, 120, 300, 600, 1200, 1800, 3600)  # seconds after attempt 1, 2, ...; then the last, for ever
MAX_INLINE_WAIT = 60  # a Retry-After up to this many seconds is waited out within the pass
MAX_ROUNDS = 20  # claim rounds per pass (each takes up to BATCH rows)
BATCH = 50
RETRYABLE_ERRORS = {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}


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


def payload(row: dict) -> dict:
    return json.loads(row.get("payload") or "{}")


class Skip(Exception):
    """Raised by a renderer instead of returning None, to say why the message is not sent."""


# -- who is sending ---------------------------------------------------------------------------
HOST = socket.gethostname()
PID = os.getpid()
INCARNATION = secrets.token_hex(4)  # tells this process from an earlier one that had the same pid
WORKER = f"{HOST}:{PID}:{INCARNATION}"


def worker_id() -> str:
    """The claim of this thread of this process (claimed_by)."""
    return f"{WORKER}:{threading.get_ident()}"


def _claimer_dead(claimed_by: str | None) -> bool:
    """True when the claimer is known to be gone: same host, and its process no longer runs (or is
    an earlier process with our pid). Another host's claims wait for the lease (STALE_CLAIM)."""
    if not claimed_by:
        return True
    parts = claimed_by.rsplit(":", 3)
    if len(parts) != 4 or parts[0] != HOST or not (parts[1].isascii() and parts[1].isdigit()):
        return False
    pid, incarnation = int(parts[1]), parts[2]
    if pid == PID:
        return incarnation != INCARNATION
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def release_dead_claims(relais, now: datetime) -> int:
    """Rows left `sending` by a process that died go back to pending; the next claim sends them.
    Returns how many were released.

    Only a death with the message in flight (after `still_mine`, during the post) counts, as an
    interruption, and MAX_INTERRUPTIONS of those fail the row (a message that keeps killing its sender). A
    sender killed while the row waited its turn in a batch or the channel's pace gives the attempt
    back: a restart during a long catch-up loses nothing."""
    db = relais.db
    released = 0
    for claim in rows.claims(db):
        if not _claimer_dead(claim["claimed_by"]):
            continue
        in_flight = bool(claim.get("posting_at"))
        with db.atomic():
            if in_flight and claim["interruptions"] + 1 >= MAX_INTERRUPTIONS:
                current = rows.by_id(db, claim["id"])
                if current and current["status"] == "sending" and current["claimed_by"] == claim["claimed_by"]:
                    rows.mark_failed(db, claim["id"], now, "interrupted while sending, too many times")
                    log.error(
                        "outbox row %s (%s) failed: its sender died %s times",
                        claim["id"],
                        claim["key"],
                        claim["interruptions"] + 1,
                    )
                continue
            reason = "sender died while sending" if in_flight else "sender died before sending"
            if rows.release(db, claim["id"], claim["claimed_by"], now, reason, refund=not in_flight):
                released += 1
                log.warning("outbox row %s (%s): its sender died; it will be sent again", claim["id"], claim["key"])
    return released


# -- stopping ---------------------------------------------------------------------------------
_stopping = threading.Event()
# rows this process is rendering, posting or recording right now; of those, rows Slack answered and not yet marked
_under_way = {"sending": 0, "recording": 0}
_under_way_changed = threading.Condition()
RECORDING_PATIENCE = 1.5  # seconds a stop waits beyond its timeout for a row Slack answered to be marked sent


def stop(timeout: float) -> bool:
    """This process stops sending: nothing more is claimed, no new post is started (a pacing wait is cut
    short), and the sends under way finish: Slack's answer, then the row marked. Waits `timeout` seconds at
    most (and RECORDING_PATIENCE more for a row Slack has answered: a post is never cut from its record);
    True when none is left under way."""
    _stopping.set()
    deadline = time.monotonic() + timeout
    with _under_way_changed:
        while _under_way["sending"] and time.monotonic() < deadline:
            _under_way_changed.wait(deadline - time.monotonic())
        deadline += RECORDING_PATIENCE
        while _under_way["recording"] and time.monotonic() < deadline:
            _under_way_changed.wait(deadline - time.monotonic())
        return not _under_way["sending"]


def stopping() -> bool:
    return _stopping.is_set()


def under_way() -> int:
    """How many rows this process is sending right now (rendering, posting or recording)."""
    return _under_way["sending"]


def _give_back(relais, row: dict, worker: str, now: datetime) -> None:
    """A claimed row this process will not send after all (it is stopping): pending again, attempt refunded."""
    try:
        with relais.db.atomic():
            rows.release(relais.db, row["id"], worker, now, "not sent: its sender stopped", refund=True)
    except sqlite3.Error:  # left claimed: the next pass takes it back once this process is gone
        log.exception("outbox row %s: could not be given back", row["id"])


# -- sending ----------------------------------------------------------------------------------
@dataclass
class _Result:
    status: str  # sent | limited | skipped | failed | retry | lost | returned
    row: dict
    retry_after: float = 0.0


def deliver(
    relais,
    *,
    now: datetime | None = None,
    keys: Iterable[str] | None = None,
    limit: int = BATCH,
    on_sent: Callable[[dict], None] | None = None,
    acks_first_until: float | None = None,
) -> list[dict]:
    """Send what is due (or the rows with these keys, when due). Returns the rows it sent (as sent);
    `on_sent(row)` is told of each one as it goes.

    `now` is the pass's business time; it runs on with the wall clock while the pass lasts (pacing,
    Retry-After waits), so a rate-limited row is tried again as soon as Slack allows. Each row lets the acks
    under way go first (`answering`), until `acks_first_until` (time.monotonic()) at most, by default
    YIELD_TO_ACKS after the pass began: a tick is background work too.
    """
    db = relais.db
    start = now or relais.clock.now()
    started = time.monotonic()
    latest = started + YIELD_TO_ACKS if acks_first_until is None else acks_first_until

    def current() -> datetime:
        return start + timedelta(seconds=time.monotonic() - started)

    worker = worker_id()
    release_dead_claims(relais, start)
    only = list(keys) if keys is not None else None
    sent: list[dict] = []
    waited = 0.0
    for _round in range(MAX_ROUNDS):
        if _stopping.is_set():
            break
        batch = rows.claim_due(db, current(), worker, limit=limit, keys=only)
        limited: list[_Result] = []
        for row in batch:
            if _stopping.is_set():
                _give_back(relais, row, worker, current())
                continue
            _after_the_acks(latest)
            result = _send_counted(relais, row, current(), worker)
            if result.status == "sent":
                sent.append(result.row)
                if on_sent:
                    try:
                        on_sent(result.row)
                    except Exception:
                        log.exception("on_sent observer failed for %s", result.row["key"])
            elif result.status == "limited":
                limited.append(result)
        if limited:
            pause = min(r.retry_after for r in limited)
            if pause <= MAX_INLINE_WAIT and waited + pause <= 2 * MAX_INLINE_WAIT:
                if _stopping.wait(pause):
                    break
                waited += pause
                if keys is not None:
                    only = [r.row["key"] for r in limited]
                continue
        if len(batch) < limit:
            break
    return sent


DELIVERY_THREADS = 4  # background senders per process: a burst of requests queues, it does not fan out
_queue: queue.SimpleQueue | None = None
_queue_lock = threading.Lock()

YIELD_TO_ACKS = 2.0  # seconds after its ack a background delivery starts at the latest while requests are answered
_answering = 0
_quiet = threading.Condition()


@contextlib.contextmanager
def answering() -> Iterator[None]:
    """A request is being answered (the web front, around Bolt's dispatch, until the ack): background
    deliveries let the acks under way go first, rather than compete with them for the CPU (one interpreter
    lock for every thread) and the write lock. A card posted a moment later is no news; an ack later than
    Slack's patience is an error shown to the person. Under a burst of requests, each delivery starts once
    no request is being answered, or YIELD_TO_ACKS after it was queued, whichever comes first: a burst
    that lasts never holds the cards back longer than that."""
    global _answering
    with _quiet:
        _answering += 1
    try:
        yield
    finally:
        with _quiet:
            _answering -= 1
            if not _answering:
                _quiet.notify_all()


def _after_the_acks(deadline: float) -> None:
    """Until no request is being answered, or time.monotonic() reaches `deadline`."""
    with _quiet:
        while _answering:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            _quiet.wait(remaining)


def deliver_in_background(relais, keys: Iterable[str]) -> None:
    """After an ack: send these rows now without holding up the request (the scheduler retries).

    A few sender threads take the work in turn: a burst of proposals while Slack is slow (or pacing
    holds a channel) waits in their queue instead of starting a thread, and a database connection,
    per request."""
    global _queue
    keys = list(keys)
    if not keys:
        return
    if relais.inline_delivery:
        deliver(relais, keys=keys)
        return
    with _queue_lock:
        if _queue is None:
            _queue = queue.SimpleQueue()
            for number in range(DELIVERY_THREADS):  # daemons: an exit never waits for Slack (rows stay owed)
                threading.Thread(target=_sender, args=(_queue,), name=f"relais-deliver-{number}", daemon=True).start()
    _queue.put((relais, keys, time.monotonic() + YIELD_TO_ACKS))


def _sender(work: queue.SimpleQueue) -> None:
    while True:
        relais, keys, latest = work.get()
        _after_the_acks(latest)  # before its claims, which write: then each row, until the same deadline
        _safe_deliver(relais, keys, latest)


def _safe_deliver(relais, keys, latest: float):
    """On a sender thread, which keeps its database connection from one delivery to the next (opening one
    costs its pragmas, the schema read again and every statement prepared anew, beside the acks)."""
    try:
        deliver(relais, keys=keys, acks_first_until=latest)
    except Exception:
        log.exception("background delivery failed")


def _send_counted(relais, row: dict, now: datetime, worker: str) -> _Result:
    """_send_guarded, counted as under way (`stop` waits for it)."""
    with _under_way_changed:
        _under_way["sending"] += 1
    try:
        return _send_guarded(relais, row, now, worker)
    finally:
        with _under_way_changed:
            _under_way["sending"] -= 1
            _under_way_changed.notify_all()


def _send_guarded(relais, row: dict, now: datetime, worker: str) -> _Result:
    """One row; whatever goes wrong, the row ends in a state a later pass can act on."""
    try:
        return _send_one(relais, row, now, worker)
    except Exception as error:
        log.exception("outbox row %s (%s): unexpected error", row["id"], row["kind"])
        try:
            if rows.still_mine(relais.db, row["id"], worker):
                return _retry_later(relais, row, now, f"error: {error}")
        except Exception:
            log.exception("outbox row %s: could not schedule a retry", row["id"])
        return _Result("retry", row)


def _render(relais, row: dict, now: datetime):
    return relais.contributions.renderers[row["kind"]](relais, row, now)


def _send_one(relais, row: dict, now: datetime, worker: str) -> _Result:
    db = relais.db
    current = rows.by_id(db, row["id"])
    if current is None or current["status"] != "sending" or current["claimed_by"] != worker:
        return _Result("lost", row)  # merged into another message, or taken back: not ours any more
    row = current
    if row["kind"] not in relais.contributions.renderers:
        with db.atomic():
            rows.mark_failed(db, row["id"], now, f"no renderer for kind {row['kind']!r}")
        log.error("outbox row %s: no renderer for kind %r", row["id"], row["kind"])
        return _Result("failed", row)
    try:
        post = _render(relais, row, now)
    except Skip as skip:
        with db.atomic():
            rows.mark_skipped(db, row["id"], now, str(skip) or "no longer relevant")
        return _Result("skipped", row)
    except sqlite3.OperationalError as error:  # a locked or busy database: try again later
        return _retry_later(relais, row, now, f"render: {error}")
    except Exception as error:
        log.exception("outbox row %s (%s): rendering failed", row["id"], row["kind"])
        with db.atomic():
            rows.mark_failed(db, row["id"], now, f"render: {error}")
        return _Result("failed", row)
    if post is None:
        with db.atomic():
            rows.mark_skipped(db, row["id"], now, "no longer relevant")
        return _Result("skipped", row)

    client = relais.client
    channel = post.channel
    try:
        if post.dm:
            channel = client.conversations_open(users=post.channel)["channel"]["id"]
        if not post.update_ts:
            _pace(relais, channel)
        if _stopping.is_set():  # not posted yet: the next pass (after the restart) sends it
            _give_back(relais, row, worker, now)
            return _Result("returned", row)
        if not rows.still_mine(db, row["id"], worker):
            log.warning("outbox row %s: claim lost before posting; left to its new owner", row["id"])
            return _Result("lost", row)
        channel, ts = _call_slack(client, post, channel)
    except SlackApiError as error:
        return _after_error(relais, row, now, error, channel)
    except (SlackRequestError, OSError, TimeoutError) as error:
        return _retry_later(relais, row, now, f"connection: {error}")

    with _under_way_changed:
        _under_way["recording"] += 1
    try:
        _record_sent(relais, row, post, now, channel, ts)
    finally:
        with _under_way_changed:
            _under_way["recording"] -= 1
            _under_way_changed.notify_all()
    log.info("sent %s %s to %s", row["kind"], row["key"], channel)
    return _Result("sent", {**row, "status": "sent", "slack_channel": channel, "slack_ts": ts})


def _record_sent(relais, row: dict, post: Post, now: datetime, channel: str, ts: str | None) -> None:
    """Posted: record it. The post cannot be undone, so a busy database is waited for, not given up on."""
    db = relais.db
    for attempt in range(5):
        try:
            with db.atomic():
                rows.mark_sent(db, row["id"], now, channel, ts)
                if post.on_sent:
                    post.on_sent(db, channel, ts)
            return
        except sqlite3.OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5 * (attempt + 1))


def _pace(relais, channel: str) -> None:
    """At most one new message a second (SLACK_PACE_SECONDS) in a channel, across every process on this database.
    Slack allows about one message a second per channel."""
    slot = rows.reserve_slot(relais.db, channel, time.time(), relais.settings.pace_seconds)
    wait = slot - time.time()
    if wait > 0:
        _stopping.wait(wait)  # cut short when the process stops (the row is then given back)


def _call_slack(client, post: Post, channel: str) -> tuple[str, str | None]:
    if post.file is not None:
        name, content = post.file
        client.files_upload_v2(
            channel=channel,
            filename=name,
            content=content,
            title=name,
            initial_comment=post.text or None,
            thread_ts=post.thread_ts,
        )
        return channel, None
    if post.update_ts:
        response = client.chat_update(channel=channel, ts=post.update_ts, text=post.fallback(), blocks=post.blocks)
        return channel, response.get("ts") or post.update_ts
    response = client.chat_postMessage(
        channel=channel,
        text=post.fallback(),
        blocks=post.blocks,
        thread_ts=post.thread_ts,
        unfurl_links=post.unfurl,
        unfurl_media=post.unfurl,
    )
    return response.get("channel") or channel, response.get("ts")


def _retry_after(response) -> float:
    headers = getattr(response, "headers", None) or {}
    value = None
    for name, text in headers.items():
        if name.lower() == "retry-after":
            value = text[0] if isinstance(text, list) else text
    try:
        return max(float(value), 0.0) if value is not None else 30.0
    except ValueError:
        return 30.0


def _after_error(relais, row: dict, now: datetime, error: SlackApiError, channel: str) -> _Result:
    response = error.response
    status = getattr(response, "status_code", 0) or 0
    data = getattr(response, "data", None)
    reason = (data.get("error") if isinstance(data, dict) else None) or str(error)
    if status == 429 or reason == "ratelimited":
        seconds = _retry_after(response)
        if channel and not channel.startswith(("U", "W")):
            rows.hold_channel(relais.db, channel, time.time() + seconds)
        with relais.db.atomic():
            rows.mark_retry(
                relais.db, row["id"], now, now + timedelta(seconds=seconds), "ratelimited", count_attempt=False
            )
        log.warning("outbox row %s: rate limited, retry in %ss", row["id"], seconds)
        return _Result("limited", row, seconds)
    if status >= 500 or reason in RETRYABLE_ERRORS:
        return _retry_later(relais, row, now, f"http {status}: {reason}")
    with relais.db.atomic():
        rows.mark_failed(relais.db, row["id"], now, f"slack: {reason}")
    log.error("outbox row %s (%s): Slack refused it: %s", row["id"], row["kind"], reason)
    return _Result("failed", row)


def backoff(attempts: int) -> int:
    """Seconds before trying again after `attempts` transient failures: 30 s, doubling, an hour at most."""
    return BACKOFF[min(max(attempts, 1) - 1, len(BACKOFF) - 1)]


def _retry_later(relais, row: dict, now: datetime, error: str) -> _Result:
    """A transient failure: pending again after the backoff, however many tries it took so far."""
    delay = backoff(row["attempts"])
    with relais.db.atomic():
        rows.mark_retry(relais.db, row["id"], now, now + timedelta(seconds=delay), error)
        log.warning("outbox row %s (%s): %s; retry in %ss", row["id"], row["kind"], error, delay)
    return _Result("retry", row)


# -- failed rows, in plain words, and sending them again ---------------------------------------
# Slack's refusals of the request itself, and what fixes them (outbox.fix.*); anything else is "unknown".
FIXES = {
    "channel_not_found": "channel",
    "not_in_channel": "channel",
    "is_archived": "channel",
    "invalid_blocks": "content",
    "msg_too_long": "content",
    "no_text": "content",
    "invalid_auth": "token",
    "account_inactive": "token",
    "token_revoked": "token",
    "missing_scope": "scope",
    "user_not_found": "user",
    "render": "content",
    "interrupted": "content",
}


def failure_code(last_error: str | None) -> str:
    """What made a row fail, as a code: Slack's error (`channel_not_found`...), `render`, `interrupted`."""
    error = last_error or ""
    if error.startswith("slack: "):
        return error.removeprefix("slack: ").strip()
    if error.startswith(("render:", "no renderer")):
        return "render"
    if error.startswith("interrupted"):
        return "interrupted"
    return "other"


def describe(tr, row: dict) -> dict[str, str]:
    """A failed (or any) row in plain words: what it is, why it failed, what to do (for check and retry)."""
    catalog = CATALOGS[tr.language]
    kind = row["kind"]
    what_key = f"outbox.what.{kind}" if f"outbox.what.{kind}" in catalog else "outbox.what.unknown"
    code = failure_code(row.get("last_error"))
    why_key = f"outbox.why.{code}" if f"outbox.why.{code}" in catalog else "outbox.why.unknown"
    return {
        "what": tr(what_key, proposal=row.get("proposal_id") or "?", kind=kind),
        "why": tr(why_key),
        "fix": tr(f"outbox.fix.{FIXES.get(code, 'unknown')}"),
        "error": row.get("last_error") or "?",
    }


def retry_failed(relais, keys: Iterable[str] | None = None) -> list[dict]:
    """Failed rows (these keys, or all) owed again, and sent now: the renderer decides again whether each
    is still relevant. Returns each row as it stands after the try (status sent, skipped, pending
    when Slack is still unavailable, or failed again)."""
    now = relais.clock.now()
    with relais.db.atomic():
        revived = rows.retry_failed(relais.db, now, keys)
    if not revived:
        return []
    for row in revived:
        log.warning(
            "outbox row %s (%s): sent again on request (it had failed: %s)", row["id"], row["key"], row["last_error"]
        )
    deliver(relais, now=now, keys=[r["key"] for r in revived])
    after = []
    for revived_row in revived:
        now_row = rows.by_id(relais.db, revived_row["id"])
        assert now_row is not None  # outbox rows are never deleted
        after.append(now_row)
    return after

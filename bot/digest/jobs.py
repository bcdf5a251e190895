"""Planning and sending the weekly digest, like every message Relais owes: outbox rows.

- `plan_digest` (a @planner, every tick) plans `digest:{ISO week}` due at that week's DIGEST_AT
  instant (local time, so 09:00 stays 09:00 across clock changes). It plans the *next* digest as
  soon as the previous one is due, so a bot that is down at 09:00 on Monday finds the row waiting
  when it comes back and sends it then.
- The `digest` renderer builds the content when it is sent, from the database as it is then. A
  digest sent late is still sent on any day of its week (the seven days from its own day: Monday to
  Sunday by default) and skipped from the next digest's day on: a digest whose week has passed is
  not posted as if current.
- When the digest is posted (`on_sent`, same transaction), its continuations (`digest_part`, when
  it had to be split) and its chart (`digest_chart`, when there are figures to draw) are planned
  in its thread, and delivered right after the commit.

Catch-up: a bot that was running when a digest was planned sends it late within its week; a new
installation starts with the next digest (or with the current one within CATCH_UP of its time).
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import date, datetime, timedelta

from bot import blocks as bk
from bot import outbox, workdays
from bot.clock import to_text
from bot.digest.render import render
from bot.digest.rules import (
    CHART_WEEKS,
    build,
    build_chart_series,
    current_day,
    digest_day,
    instant,
    week_label,
)
from bot.outbox import Post
from bot.stats.chart import views_chart
from bot.workdays import horizon_gaps, horizon_texts
from storage import digest as store
from storage import outbox as rows
from storage.db import wait_for_writers

log = logging.getLogger("relais.digest")

CATCH_UP = timedelta(minutes=10)
_followups: list[threading.Thread] = []


def key_of(day: date) -> str:
    return f"digest:{week_label(day)}"


def due_of(relais, day: date) -> datetime:
    """When the digest of `day` goes out: DIGEST_AT that day, or the next business day at the same hour
    when that day is not one (a holiday Monday's digest comes on Tuesday and covers the same week)."""
    settings = relais.settings
    return workdays.for_db(relais.db).next_business_moment(instant(day, settings.digest_time, settings.tz), settings.tz)


def _payload(day: date) -> dict:
    return {"day": day.isoformat(), "week": week_label(day)}


def plan_week(relais, day: date, now: datetime, due: datetime | None = None) -> str:
    """Plan the digest of `day` (call inside a transaction); a pending one is moved to `due` if it differs."""
    db, settings = relais.db, relais.settings
    key = key_of(day)
    due = due or due_of(relais, day)
    payload = _payload(day)
    if (
        rows.plan(db, key=key, kind="digest", due_at=due, target=settings.team_channel, now=now, payload=payload)
        is None
    ):
        store.retime_pending(db, key, to_text(due), json.dumps(payload), to_text(now))
    return key


def plan_digest(relais, now: datetime) -> None:
    settings = relais.settings
    if not settings.team_channel:
        return
    current = current_day(now, settings.digest_weekday, settings.digest_time, settings.tz)
    due = due_of(relais, current)
    db = relais.db
    with db.atomic():
        plan_week(relais, current + timedelta(days=7), now)
        if superseded(settings, current, now):
            return  # Monday before 09:00: last week's digest is over, this week's is not due yet
        if now - due <= CATCH_UP or store.digest_planned_before(db, to_text(due)):
            plan_week(relais, current, now)


def superseded(settings, day: date, now: datetime) -> bool:
    """The digest's week is over (its seven days, from its own day): it is no longer current. On the
    next digest's day it is not sent, even before the next one's time."""
    return now.astimezone(settings.tz).date() >= day + timedelta(days=7)


def horizon(relais, now: datetime) -> list[dict]:
    """The main message's last block: a warning when the calendar knows no closure or exam period beyond
    the next 90 days (bot.workdays.horizon_gaps); none otherwise. render() keeps room for it."""
    texts = horizon_texts(relais.tr, horizon_gaps(relais.db, now.astimezone(relais.settings.tz).date()))
    return [bk.context("\n".join(f":warning: {t}" for t in texts))] if texts else []


# -- renderers ----------------------------------------------------------------------------------
def render_digest(relais, row: dict, now: datetime) -> Post | None:
    """`now` is the delivery pass's time (`tick --at`'s, the console's `:tick`'s, the scheduler's)."""
    data = outbox.payload(row)
    day = date.fromisoformat(data["day"])
    if superseded(relais.settings, day, now):
        log.warning("digest %s not sent: its week is over", row["key"])
        raise outbox.Skip("its week is over")
    messages = render(build(relais, day, now), relais.tr, footer=horizon(relais, now))
    with_chart = not build_chart_series(relais, day).empty

    def on_sent(db, channel: str, ts: str | None) -> None:
        keys = plan_thread(db, row, channel, ts, messages[1:], with_chart, now)
        if keys:
            deliver_after_commit(relais, keys, now)

    return Post(channel=row["target"], blocks=messages[0], on_sent=on_sent)


def plan_thread(
    db, row: dict, channel: str, ts: str | None, continuations: list[list[dict]], with_chart: bool, now: datetime
) -> list[str]:
    """Continuations then the chart, in the digest's thread; returns their keys."""
    if not ts:
        return []
    data = outbox.payload(row)
    keys = []
    for number, blocks in enumerate(continuations, 2):
        key = f"{row['key']}:part:{number}"
        rows.plan(
            db,
            key=key,
            kind="digest_part",
            due_at=now,
            target=channel,
            now=now,
            payload={**data, "thread_ts": ts, "blocks": blocks},
        )
        keys.append(key)
    if with_chart:
        key = f"{row['key']}:chart"
        rows.plan(
            db, key=key, kind="digest_chart", due_at=now, target=channel, now=now, payload={**data, "thread_ts": ts}
        )
        keys.append(key)
    return keys


def render_part(relais, row: dict, now: datetime) -> Post | None:
    data = outbox.payload(row)
    return Post(channel=row["target"], blocks=data["blocks"], thread_ts=data["thread_ts"])


def render_chart(relais, row: dict, now: datetime) -> Post | None:
    data = outbox.payload(row)
    day = date.fromisoformat(data["day"])
    png = views_chart(build_chart_series(relais, day), relais.tr)
    if png is None:
        return None
    return Post(
        channel=row["target"],
        file=(f"relais-{data['week']}.png", png),
        thread_ts=data["thread_ts"],
        text=relais.tr("chart.digest.comment", weeks=CHART_WEEKS),
    )


def deliver_after_commit(relais, keys: list[str], now: datetime) -> threading.Thread:
    """Send the thread's rows as soon as the transaction that planned them commits (not a daemon: a
    one-shot `tick` waits for it before exiting). The scheduler retries whatever fails."""

    def run() -> None:
        try:
            wait_for_writers(relais.db)  # until the digest's transaction commits
            outbox.deliver(relais, now=now, keys=keys)
        except Exception:
            log.exception("digest thread delivery failed")
        finally:
            relais.store.close()

    thread = threading.Thread(target=run, name="relais-digest-thread", daemon=False)
    _followups.append(thread)
    thread.start()
    return thread


def wait_followups(timeout: float = 30.0) -> None:
    """Wait for the thread deliveries started by this process (CLI, tests)."""
    while _followups:
        _followups.pop(0).join(timeout)


# -- console ------------------------------------------------------------------------------------
def preview(relais, now: datetime) -> list[dict]:
    """`:digest` in the console: the digest of the current week as it would be posted now."""
    settings, tr = relais.settings, relais.tr
    day = digest_day(now.astimezone(settings.tz).date(), settings.digest_weekday)
    messages = [{"blocks": blocks} for blocks in render(build(relais, day, now), tr, footer=horizon(relais, now))]
    if not build_chart_series(relais, day).empty:
        messages.append({"blocks": [bk.context(tr("digest.preview_chart", weeks=CHART_WEEKS))]})
    return messages

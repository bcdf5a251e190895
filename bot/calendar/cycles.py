"""Cyclic contents that come back every term (`[[cycle]]` in CALENDAR_FILE).

At 09:00 local, `days_before` days ahead of each active calendar event of the kind a cycle follows
(from the file or a feed), the team channel is asked whether to propose the content again, with
a button that opens the /propose modal prefilled (handlers/cycles.py). One prompt per cycle per
event, ever: the outbox row's key is `cycle:<cycle key>:<event uid>`, so neither a second tick,
a second process nor a restart repeats it.

    plan_prompts(relais, now)          # @planner: rows for the prompts whose moment has come
    render_prompt(relais, row, now)    # outbox kind "cycle_prompt": the message, or None when stale
    prefill(relais, value)             # the button's value -> (initial fields, private_metadata)

After downtime a prompt still goes out while it is useful: until the event starts (or, for a cycle
with `days_before = 0`, during its first day). It is skipped when the event has started, was
removed or changed kind, when the cycle left the file, or when a proposal of this cycle is already
planned for this return. Prompts whose moment came before Relais first planned cycles (a new
install, a new database) are not sent: a first start does not flood the channel with old prompts.

The publication date prefilled: a week before the event starts (PUBLISH_DAYS_BEFORE), but never
so soon that a deadline of the cycle's outlets (their lead time in business days, from the next
business day) would already be passed, and never after the event's last day.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from bot import outbox, workdays
from bot.blocks import actions, button, context, escape, section
from bot.calendar.config import Cycle
from bot.clock import local_at, to_text
from storage import calendar, kv
from storage import cycles as cycle_rows
from storage import outbox as outbox_rows
from storage import outlets as outlet_rows

log = logging.getLogger("relais.cycles")

KIND = "cycle_prompt"
ACTION = "cycle_propose"
PROMPT_AT = (9, 0)
PUBLISH_DAYS_BEFORE = 7
SINCE_KEY = "cycles:since"  # the local day Relais first planned cycle prompts


def prompt_key(cycle: Cycle, event_uid: str) -> str:
    return f"cycle:{cycle.key}:{event_uid}"


def cycles_of(relais) -> tuple[Cycle, ...]:
    parsed = relais.calendar_file
    return tuple(getattr(parsed, "cycles", ()) or ())


def find_cycle(relais, key: str) -> Cycle | None:
    return next((c for c in cycles_of(relais) if c.key == key), None)


def prompt_day(cycle: Cycle, start: date) -> date:
    return start - timedelta(days=cycle.days_before)


def is_stale(cycle: Cycle, start: date, today: date) -> bool:
    """The event has started (the prompt's own day excepted, for days_before = 0)."""
    return today >= start and today > prompt_day(cycle, start)


def _since(relais, now: datetime) -> date:
    value = kv.get(relais.db, SINCE_KEY)
    if value:
        return date.fromisoformat(value)
    today = now.astimezone(relais.settings.tz).date()
    return date.fromisoformat(kv.put_if_absent(relais.db, SINCE_KEY, today.isoformat(), to_text(now)))


def plan_prompts(relais, now: datetime) -> list[str]:
    """Plan the prompts whose moment (09:00, days_before ahead of the event) has come; returns new keys."""
    cycles, channel = cycles_of(relais), relais.settings.team_channel
    if not cycles or not channel:
        return []
    tz, db = relais.settings.tz, relais.db
    today = now.astimezone(tz).date()
    planned = []
    with db.atomic():
        since = _since(relais, now)
        for cycle in cycles:
            first, last = since + timedelta(days=cycle.days_before), today + timedelta(days=cycle.days_before)
            for event in calendar.events(db, kind=cycle.follows, start=first, until=last):
                start = date.fromisoformat(event["start"])
                if start < first:
                    continue
                due = local_at(prompt_day(cycle, start), *PROMPT_AT, tz)
                if due > now:
                    continue
                key = prompt_key(cycle, event["uid"])
                if outbox_rows.plan(
                    db,
                    key=key,
                    kind=KIND,
                    due_at=due,
                    target=channel,
                    now=now,
                    payload={"cycle": cycle.key, "event": event["uid"]},
                ):
                    planned.append(key)
    return planned


def suggested_publication(relais, cycle: Cycle, start: date, end: date, today: date) -> date:
    """A week before the event, not before the outlets' lead times allow, not after the event."""
    leads = [o["lead_days"] for o in (outlet_rows.get(relais.db, slug) for slug in cycle.outlets) if o]
    days = workdays.for_relais(relais)
    earliest = days.add(days.next_business_day(today), max(leads, default=0) + 1) if leads else today
    wanted = start - timedelta(days=PUBLISH_DAYS_BEFORE)
    return min(max(wanted, earliest, today), max(end, today))


def _event_and_cycle(relais, cycle_key: str, event_uid: str):
    cycle = find_cycle(relais, cycle_key)
    event = calendar.event(relais.db, event_uid)
    if cycle is None or event is None or not event["active"] or event["kind"] != cycle.follows:
        return None, None
    return cycle, event


def render_prompt(relais, row: dict, now: datetime) -> outbox.Post | None:
    data = outbox.payload(row)
    cycle, event = _event_and_cycle(relais, data.get("cycle", ""), data.get("event", ""))
    if cycle is None or not row["target"]:
        return None
    start, end = date.fromisoformat(event["start"]), date.fromisoformat(event["end"])
    today = now.astimezone(relais.settings.tz).date()  # the pass's instant (a `:tick ISO` too), not the wall clock
    if is_stale(cycle, start, today):
        return None
    if cycle_rows.open_proposals(relais.db, cycle.key, prompt_day(cycle, start), end):
        return None  # someone already proposed it for this return
    tr = relais.tr
    names = [escape((outlet_rows.get(relais.db, s) or {}).get("name", s)) for s in cycle.outlets]
    text = tr("cycles.prompt", title=escape(cycle.title), event=escape(event["name"]), date=tr.date(start))
    blocks = [section(text)]
    if cycle.summary:
        blocks.append(context(escape(cycle.summary)))
    blocks.append(
        context(
            tr(
                "cycles.details",
                outlets=", ".join(names),
                date=tr.date(suggested_publication(relais, cycle, start, end, today)),
            )
        )
    )
    blocks.append(
        actions(
            [button(tr("cycles.propose"), ACTION, value=f"{cycle.key}|{event['uid']}", style="primary")],
            block_id="cycle",
        )
    )
    return outbox.Post(channel=row["target"], blocks=blocks)


def prefill(relais, value: str) -> tuple[dict, dict] | None:
    """The /propose modal's initial fields and private_metadata for a prompt's button, or None when the
    cycle or the event is gone."""
    cycle_key, _, event_uid = (value or "").partition("|")
    cycle, event = _event_and_cycle(relais, cycle_key, event_uid)
    if cycle is None:
        return None
    start, end = date.fromisoformat(event["start"]), date.fromisoformat(event["end"])
    initial = {
        "title": cycle.title,
        "summary": cycle.summary,
        "category": cycle.category,
        "outlets": list(cycle.outlets),
        "publish_on": suggested_publication(relais, cycle, start, end, relais.clock.today()),
    }
    return initial, {"cycle_key": cycle.key, "event_uid": event["uid"]}

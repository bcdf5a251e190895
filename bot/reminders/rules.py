"""Reminders owed because of proposals and placements: planned in the same transaction as the
change that causes them, withdrawn when they stop being relevant, rendered at send time from the
database as it is then.

Deadline reminders (outbox kind "deadline"), in the card's thread with the owner mentioned, while
the placement is `planned`; one row per placement, deadline and stage:

    deadline:{placement}:{YYYY-MM-DD}:heads_up        09:00 two business days before the deadline
    deadline:{placement}:{YYYY-MM-DD}:due             09:00 on the deadline
    deadline:{placement}:{YYYY-MM-DD}:missed          09:00 the next business day: one "deadline missed"
    deadline:{placement}:{YYYY-MM-DD}:snoozed:{day}   09:00 on `day` (the reminder's snooze button)

A reminder is sent only while it is the right one for the moment (`stage_at`): after a downtime,
a heads-up whose deadline came is skipped in favour of the deadline-day reminder, and both in
favour of the "deadline missed" notice once the deadline has passed. Only moments still ahead are
planned: a proposal registered the day before its deadline gets no heads-up after the fact.

Stats reminders (outbox kind "stats"), by direct message: one row per person and day,

    stats:{user}:{YYYY-MM-DD}      09:00 that day; payload {"items": [[placement, checkpoint], ...]}

planned when a placement is published, for each STATS_CHECKPOINTS day still ahead. At send time
the message lists each of the person's placements whose latest checkpoint has come and that has
no figures recorded since that checkpoint, each with a button that opens the /stats modal. The
person's other rows already due (a downtime) are merged into it; a row whose day already had its
message, or that a later row of the same day will carry, hands its items over: one message per
person per day, nothing lost.
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta

from bot import outbox as sender
from bot.blocks import actions, button, context, escape, section
from bot.clock import from_text, local_at, to_text
from bot.outbox import Post, Skip, payload
from bot.outcome import Outcome, refused
from bot.workdays import BusinessDays, for_db
from storage import outbox as rows
from storage import outlets as outlet_rows
from storage import proposals as store
from storage import reminders as facts

log = logging.getLogger("relais.reminders")

DEADLINE = "deadline"
STATS = "stats"
FOLLOW_UP = "follow_up"
AT = (9, 0)  # every reminder is at 09:00 in TIMEZONE
STAGES = ("heads_up", "due", "missed")
MAX_LISTED = 20  # placements shown in one stats message (the rest are counted)


# -- when --------------------------------------------------------------------------------------
def business_days(db) -> BusinessDays:
    return for_db(db)


def deadline_moments(days: BusinessDays, deadline: date, tz) -> dict[str, datetime]:
    """The UTC instants of a deadline's three reminders, each on a business day."""
    return {
        "heads_up": days.next_business_moment(local_at(days.subtract(deadline, 2), *AT, tz), tz),
        "due": days.next_business_moment(local_at(deadline, *AT, tz), tz),
        "missed": days.next_business_moment(local_at(days.add(deadline, 1), *AT, tz), tz),
    }


def stage_at(deadline: date, now: datetime, tz) -> str:
    """Which deadline reminder is right at `now`: a heads-up before the deadline day's 09:00, the
    deadline-day reminder that day, the missed notice once the day is over."""
    if now.astimezone(tz).date() > deadline:
        return "missed"
    if now >= local_at(deadline, *AT, tz):
        return "due"
    return "heads_up"


def checkpoint_reached(published_on: date, checkpoint: int, tz) -> datetime:
    """When a checkpoint is reached: 09:00 `checkpoint` calendar days after publication (figures recorded
    since then answer it)."""
    return local_at(published_on + timedelta(days=checkpoint), *AT, tz)


def checkpoint_moment(days: BusinessDays, published_on: date, checkpoint: int, tz) -> datetime:
    """When its reminder goes out: when it is reached, or the next business day at 09:00 when that day is
    not one (a Friday publication's day-2 checkpoint, Sunday, comes on Monday)."""
    return days.next_business_moment(checkpoint_reached(published_on, checkpoint, tz), tz)


def deadline_key(placement_id: int, deadline: date, stage: str, day: date | None = None) -> str:
    key = f"deadline:{placement_id}:{deadline.isoformat()}:{stage}"
    return f"{key}:{day.isoformat()}" if day else key


def stats_key(user: str, day: date) -> str:
    return f"stats:{user}:{day.isoformat()}"


# -- the hooks the workflow calls inside its transactions ---------------------------------------
def on_proposal_created(
    relais, proposal_id: int, placements: list[tuple[int, date, bool]], now: datetime, days: BusinessDays
) -> list[rows.Planned]:
    """A new proposal, whose placements are (id, deadline, on one of the library's own outlets): the deadline
    reminders to plan with it (no read: the caller writes them in its transaction)."""
    target = relais.settings.team_channel or "team"
    return [
        planned
        for placement_id, deadline, library in placements
        if not library
        for planned in deadline_reminders(days, relais.settings.tz, target, proposal_id, placement_id, deadline, now)
    ]


def plan_created(relais, db, proposal_id: int, now: datetime) -> list[str]:
    """on_proposal_created for a proposal already stored (its placements read back): what stores proposals
    by other paths than the workflow (bench data) plans with them, inside its transaction."""
    placed = [
        (p["id"], date.fromisoformat(p["deadline"]), p["outlet_owner"] == "library")
        for p in store.placements_of(db, proposal_id)
    ]
    return rows.plan_keys(db, on_proposal_created(relais, proposal_id, placed, now, business_days(db)), now)


def on_placement_changed(relais, db, placement_id: int, old: str, new: str, now: datetime) -> None:
    """A placement changed status: withdraw what no longer applies, plan stats reminders once published."""
    if new == "planned":
        plan_deadline_reminders(relais, db, placement_id, now)
    else:
        rows.cancel(db, now, placement_id=placement_id, kinds=[DEADLINE], reason=f"placement {new}")
    if new == "submitted":
        plan_follow_up(relais, db, placement_id, now)
    else:
        rows.cancel(db, now, placement_id=placement_id, kinds=[FOLLOW_UP], reason=f"placement {new}")
    if new == "published":
        plan_stats_reminders(relais, db, placement_id, now)


def on_proposal_cancelled(relais, db, proposal_id: int, now: datetime) -> None:
    """A proposal was cancelled: withdraw every reminder still pending for it (stats messages, shared
    by a person's placements, leave its placements out when they are sent)."""
    rows.cancel(db, now, proposal_id=proposal_id, kinds=[DEADLINE, FOLLOW_UP], reason="proposal cancelled")


# -- planning ----------------------------------------------------------------------------------
def plan_deadline_reminders(relais, db, placement_id: int, now: datetime) -> list[str]:
    """Bring a placement's deadline reminders in line with it: the moments still ahead for its
    current deadline while it is planned (a cancelled one comes back), nothing otherwise. The library's
    own outlets have nothing to submit: no deadline reminders."""
    placement = store.placement(db, placement_id)
    if placement is None or placement["status"] != "planned" or placement["proposal_status"] != "open":
        rows.cancel(db, now, placement_id=placement_id, kinds=[DEADLINE], reason="not planned")
        return []
    if placement["outlet_owner"] == "library":
        rows.cancel(db, now, placement_id=placement_id, kinds=[DEADLINE], reason="library outlet: nothing to submit")
        return []
    deadline = date.fromisoformat(placement["deadline"])
    prefix = f"deadline:{placement_id}:{deadline.isoformat()}:"
    rows.cancel_keys(
        db,
        [
            r["key"]
            for r in rows.rows(db, kind=DEADLINE, status="pending", placement_id=placement_id)
            if not r["key"].startswith(prefix)
        ],
        now,
        "deadline changed",
    )
    target = relais.settings.team_channel or "team"
    owed = deadline_reminders(
        business_days(db), relais.settings.tz, target, placement["proposal_id"], placement_id, deadline, now
    )
    for row in owed:
        if rows.plan_all(db, [row], now) == 0:
            rows.revive(db, row.key, now)
    return [row.key for row in owed]


def deadline_reminders(
    days: BusinessDays, tz, target: str, proposal_id: int, placement_id: int, deadline: date, now: datetime
) -> list[rows.Planned]:
    """A planned placement's deadline reminders still ahead of `now` (one per stage, see deadline_moments)."""
    return [
        rows.Planned(
            key=deadline_key(placement_id, deadline, stage),
            kind=DEADLINE,
            due_at=at,
            target=target,
            proposal_id=proposal_id,
            placement_id=placement_id,
            payload={"stage": stage, "deadline": deadline.isoformat()},
        )
        for stage, at in deadline_moments(days, deadline, tz).items()
        if at > now
    ]


def plan_stats_reminders(relais, db, placement_id: int, now: datetime) -> list[str]:
    """A published placement: its owner's message on each checkpoint day still ahead carries it."""
    placement = store.placement(db, placement_id)
    if placement is None or placement["status"] != "published" or not placement["published_on"]:
        return []
    owner = placement["proposal_owner"]
    published_on = date.fromisoformat(placement["published_on"])
    tz = relais.settings.tz
    days = business_days(db)
    keys = []
    for checkpoint in relais.settings.stats_checkpoints:
        at = checkpoint_moment(days, published_on, checkpoint, tz)
        if at <= now:
            continue
        day = at.astimezone(tz).date()
        keys.append(_fold(db, owner, day, [[placement_id, checkpoint]], tz, now))
    return keys


def _fold(db, user: str, day: date, items: list, tz, now: datetime) -> str:
    """Put `items` in the person's message of `day` (09:00), creating it when needed."""
    key = stats_key(user, day)
    if (
        rows.plan(
            db, key=key, kind=STATS, due_at=local_at(day, *AT, tz), target=user, now=now, payload={"items": items}
        )
        is None
    ):
        for item in items:
            if not rows.add_item(db, key, item, now):
                log.warning("stats reminder %s is no longer pending; %s not added", key, item)
    return key


# -- snooze ------------------------------------------------------------------------------------
def snooze(relais, placement_id: int, actor: str, now: datetime | None = None) -> Outcome:
    """'Remind me the next business day at 09:00' — unless a reminder already comes by then."""
    db = relais.db
    now = now or relais.clock.now()
    tz = relais.settings.tz
    with db.atomic():
        placement = store.placement(db, placement_id)
        if placement is None:
            return refused("reminders.refused.gone")
        params = {"title": escape(placement["proposal_title"]), "outlet": escape(placement["outlet_name"])}
        if actor != placement["proposal_owner"] and not relais.settings.is_comms(actor):
            return refused("reminders.refused.not_owner", **params)
        if placement["proposal_status"] != "open" or placement["status"] != "planned":
            return refused("reminders.refused.not_planned", **params)
        deadline = date.fromisoformat(placement["deadline"])
        days = business_days(db)
        day = days.add(now.astimezone(tz).date(), 1)
        if day > deadline:  # nothing to snooze to: by then the deadline will have passed
            return refused("reminders.refused.after_deadline", **params, date=relais.tr.date(deadline))
        at = local_at(day, *AT, tz)
        prefix = f"deadline:{placement_id}:{deadline.isoformat()}:"
        coming = [
            from_text(r["due_at"])
            for r in rows.rows(db, kind=DEADLINE, status="pending", placement_id=placement_id)
            if r["key"].startswith(prefix) and now < from_text(r["due_at"]) <= at
        ]
        if coming:  # a reminder already comes by then
            return Outcome(True, "reminders.done.snoozed", params, placement_id=placement_id, at=min(coming))
        rows.plan(
            db,
            key=deadline_key(placement_id, deadline, "snoozed", day),
            kind=DEADLINE,
            due_at=at,
            target=relais.settings.team_channel or "team",
            now=now,
            proposal_id=placement["proposal_id"],
            placement_id=placement_id,
            payload={"stage": "snoozed", "deadline": deadline.isoformat()},
        )
    return Outcome(True, "reminders.done.snoozed", params, placement_id=placement_id, at=at)


# -- rendering: deadline reminders ---------------------------------------------------------------
def _days_left_text(tr, count: int) -> str:
    return tr.plural("reminders.days_left", count)


def render_deadline(relais, row: dict, now: datetime) -> Post:
    db = relais.db
    tz = relais.settings.tz
    data = payload(row)
    stage = data["stage"]
    deadline = date.fromisoformat(data["deadline"])
    placement = store.placement(db, row["placement_id"])
    if placement is None:
        raise Skip("placement gone")
    if placement["proposal_status"] != "open":
        raise Skip("proposal cancelled")
    if placement["status"] != "planned":
        raise Skip(f"placement {placement['status']}")
    if placement["outlet_owner"] == "library":
        raise Skip("library outlet: nothing to submit")
    if placement["deadline"] != deadline.isoformat():
        raise Skip("deadline changed")
    if date.fromisoformat(placement["proposal_publish_on"]) < now.astimezone(tz).date():
        raise Skip("publication date passed: the placement ends not published")  # a catch-up after downtime
    right = stage_at(deadline, now, tz)
    if stage == "snoozed":
        if right == "missed":
            raise Skip("deadline passed: the missed notice says it")
        if _another_reminder_today(db, row, now, tz):
            raise Skip("another reminder of this deadline today")
        shown = right
    elif stage != right:
        raise Skip(f"superseded by {right}")
    else:
        shown = stage

    tr = relais.tr
    proposal = store.get(db, placement["proposal_id"])
    assert proposal is not None  # a placement's proposal (foreign key)
    today = now.astimezone(tz).date()
    params = {
        "owner": f"<@{placement['proposal_owner']}>",
        "title": escape(placement["proposal_title"]),
        "outlet": escape(placement["outlet_name"]),
        "date": tr.date(deadline),
    }
    if shown == "heads_up":
        params["left"] = _days_left_text(tr, max(business_days(db).between(today, deadline), 1))
    text = tr(f"reminders.deadline.{shown}", **params)
    if stage == "snoozed":
        text = tr("reminders.deadline.snoozed_prefix") + " " + text
    text += still_missing(tr, db, placement)
    blocks = [
        section(text, block_id=f"reminder-text-{placement['id']}"),
        proposal_context(tr, proposal),
        actions(
            _deadline_buttons(tr, placement["id"], snooze=shown != "missed"), block_id=f"reminder-{placement['id']}"
        ),
    ]
    fallback = tr(
        "reminders.deadline.fallback",
        title=escape(placement["proposal_title"]),
        outlet=escape(placement["outlet_name"]),
        date=tr.date(deadline),
    )
    channel = proposal.get("card_channel") or relais.settings.team_channel
    thread = proposal.get("card_ts") if proposal.get("card_channel") else None
    return Post(channel=channel, thread_ts=thread, blocks=blocks, text=fallback)


def still_missing(tr, db, placement: dict) -> str:
    """Issue 17: the outlet's checklist items not ticked on the submission package yet ("" when none)."""
    outlet = outlet_rows.get(db, placement["outlet_slug"]) or {}
    ticked = store.checklist_ticks(db, placement["id"])
    missing = [item for item in json.loads(outlet.get("checklist") or "[]") if item not in ticked]
    if not missing:
        return ""
    names = ", ".join(missing)
    return "\n" + tr("reminders.deadline.missing", items=escape(names if len(names) <= 1500 else names[:1499] + "…"))


def _deadline_buttons(tr, placement_id: int, snooze: bool) -> list[dict]:
    buttons = [button(tr("reminders.button.submitted"), "reminder_submitted", value=str(placement_id), style="primary")]
    if snooze:
        buttons.append(button(tr("reminders.button.snooze"), "reminder_snooze", value=str(placement_id)))
    return buttons


def _another_reminder_today(db, row: dict, now: datetime, tz) -> bool:
    """A snoozed reminder gives way to a regular one of the same deadline due today (sent or not)."""
    midnight = local_at(now.astimezone(tz).date(), 0, 0, tz)
    prefix = row["key"].rsplit(":", 2)[0] + ":"
    for other in rows.rows(db, kind=DEADLINE, placement_id=row["placement_id"]):
        if other["id"] == row["id"] or not other["key"].startswith(prefix):
            continue
        if (
            other["status"] in ("pending", "sending", "sent")
            and midnight <= from_text(other["due_at"]) <= now
            and payload(other).get("stage") != "snoozed"
        ):
            return True
        if other["status"] == "sent" and other["sent_at"] and from_text(other["sent_at"]) >= midnight:
            return True
    return False


# -- follow-up of a submission without an answer (issue 13) ----------------------------------------
def follow_up_key(placement_id: int, submitted_at: str) -> str:
    return f"follow-up:{placement_id}:{submitted_at}"


def plan_follow_up(relais, db, placement_id: int, now: datetime) -> str | None:
    """A placement just submitted to the university: one follow-up in the card's thread at 09:00 after the
    outlet's `follow_up_days` business days without an answer (after that, only the digest lists it). One
    per submission (the key carries its instant): a placement submitted again gets a new one."""
    placement = store.placement(db, placement_id)
    if placement is None or placement["status"] != "submitted" or not placement["submitted_at"]:
        return None
    tz = relais.settings.tz
    submitted_on = from_text(placement["submitted_at"]).astimezone(tz).date()
    waiting = placement["outlet_follow_up_days"] or 3
    at = local_at(business_days(db).add(submitted_on, waiting), *AT, tz)
    key = follow_up_key(placement_id, placement["submitted_at"])
    rows.plan(
        db,
        key=key,
        kind=FOLLOW_UP,
        due_at=max(at, now),
        target=relais.settings.team_channel or "team",
        now=now,
        proposal_id=placement["proposal_id"],
        placement_id=placement_id,
        payload={"submitted_at": placement["submitted_at"], "days": waiting},
    )
    return key


def render_follow_up(relais, row: dict, now: datetime) -> Post:
    db = relais.db
    tz = relais.settings.tz
    data = payload(row)
    placement = store.placement(db, row["placement_id"])
    if placement is None:
        raise Skip("placement gone")
    if placement["proposal_status"] != "open":
        raise Skip("proposal cancelled")
    if placement["status"] != "submitted":
        raise Skip(f"placement {placement['status']}")
    if placement["submitted_at"] != data.get("submitted_at"):
        raise Skip("submitted again since")
    today = now.astimezone(tz).date()
    if date.fromisoformat(placement["proposal_publish_on"]) < today:
        raise Skip("publication date passed: the placement ends not published")
    proposal = store.get(db, placement["proposal_id"])
    assert proposal is not None  # a placement's proposal (foreign key)
    tr = relais.tr
    submitted_on = from_text(placement["submitted_at"]).astimezone(tz).date()
    waited = max(business_days(db).between(submitted_on, today), 1)
    text = tr(
        "reminders.follow_up.text",
        owner=f"<@{placement['proposal_owner']}>",
        title=escape(placement["proposal_title"]),
        outlet=escape(placement["outlet_name"]),
        date=tr.date(submitted_on),
        waited=_days_left_text(tr, waited),
    )
    value = f"{placement['id']}:submitted"
    blocks = [
        section(text, block_id=f"follow-up-text-{placement['id']}"),
        proposal_context(tr, proposal),
        actions(
            [
                button(tr("propose.button.accepted"), "placement_accepted", value=value, style="primary"),
                button(tr("propose.button.declined"), "placement_declined", value=value, style="danger"),
            ],
            block_id=f"follow-up-{placement['id']}",
        ),
    ]
    fallback = tr(
        "reminders.follow_up.fallback",
        title=escape(placement["proposal_title"]),
        outlet=escape(placement["outlet_name"]),
    )
    channel = proposal.get("card_channel") or relais.settings.team_channel
    thread = proposal.get("card_ts") if proposal.get("card_channel") else None
    return Post(channel=channel, thread_ts=thread, blocks=blocks, text=fallback)


# -- rendering: stats reminders ------------------------------------------------------------------
def render_stats(relais, row: dict, now: datetime) -> Post:
    db = relais.db
    tz = relais.settings.tz
    user = row["target"]
    worker = sender.worker_id()
    today = now.astimezone(tz).date()
    day_start, day_end = local_at(today, 0, 0, tz), local_at(today + timedelta(days=1), 0, 0, tz)

    group = rows.open_for(db, STATS, user, now, worker)
    if not any(g["id"] == row["id"] for g in group):
        group.insert(0, row)
    items = []
    for g in group:
        for item in payload(g).get("items", []):
            if item not in items:
                items.append(item)
    ids = [g["id"] for g in group]

    later = rows.pending_between(db, STATS, user, now, day_end)
    if later:  # a message later today carries them all
        with db.atomic():
            for item in items:
                rows.add_item(db, later[0]["key"], item, now)
            rows.merge(db, ids, worker, now, f"merged into {later[0]['key']}")
        raise Skip(f"merged into {later[0]['key']}")
    days = business_days(db)
    if rows.sent_between(db, STATS, user, day_start, day_end):  # one message a day: the next one carries them
        tomorrow = days.add(today, 1)
        with db.atomic():
            key = _fold(db, user, tomorrow, items, tz, now)
            rows.merge(db, ids, worker, now, f"today's message was sent: deferred to {key}")
        raise Skip(f"deferred to {key}")

    due: dict[int, tuple[int, datetime]] = {}
    ahead: list[tuple[list, datetime]] = []
    for placement_id, checkpoint in items:
        placement = store.placement(db, placement_id)
        if placement is None or not placement["published_on"]:
            continue
        published_on = date.fromisoformat(placement["published_on"])
        moment = checkpoint_moment(days, published_on, checkpoint, tz)
        reached = checkpoint_reached(published_on, checkpoint, tz)
        if moment > now:  # its publication date moved: its own day will carry it
            ahead.append(([placement_id, checkpoint], moment))
        elif placement_id not in due or due[placement_id][1] < reached:
            due[placement_id] = (checkpoint, reached)

    entries = []
    for placement_id, (checkpoint, moment) in due.items():
        placement = store.placement(db, placement_id)
        if (
            placement is None  # read just above; placements are never deleted
            or placement["status"] != "published"
            or placement["proposal_status"] != "open"
            or placement["proposal_owner"] != user
        ):
            continue
        recorded = facts.latest_figures_at(db, placement_id)
        if recorded is not None and recorded >= to_text(moment):
            continue
        entries.append((placement, checkpoint))
    entries.sort(key=lambda e: (e[0]["published_on"], e[0]["proposal_id"], e[0]["id"]))
    others = [i for i in ids if i != row["id"]]

    if ahead:
        with db.atomic():
            for item, moment in ahead:
                _fold(db, user, moment.astimezone(tz).date(), [item], tz, now)
    if not entries:
        with db.atomic():
            rows.merge(db, others, worker, now, "no figures owed")
        raise Skip("no figures owed")

    listed = [[p["id"], c] for p, c in entries]

    def on_sent(db, channel, ts):
        rows.merge(db, others, worker, now, f"merged into {row['key']}")
        sent = rows.by_id(db, row["id"])
        assert sent is not None  # the row being sent
        data = payload(sent)
        data["listed"] = listed
        rows.set_payload(db, row["id"], data, now)

    blocks = stats_blocks(relais.tr, user, entries)
    return Post(channel=user, dm=True, blocks=blocks, text=_stats_fallback(relais.tr, len(entries)), on_sent=on_sent)


def _stats_fallback(tr, count: int) -> str:
    return tr.plural("reminders.stats.fallback", count)


def stats_blocks(tr, user: str, entries: list[tuple[dict, int]]) -> list[dict]:
    count = len(entries)
    intro = tr.plural("reminders.stats.intro", count, owner=f"<@{user}>")
    blocks = [section(intro)]
    for placement, checkpoint in entries[:MAX_LISTED]:
        after = tr.plural("reminders.stats.after", checkpoint)
        text = tr(
            "reminders.stats.item",
            id=str(placement["proposal_id"]),
            title=escape(placement["proposal_title"]),
            outlet=escape(placement["outlet_name"]),
            published_on=tr.date(date.fromisoformat(placement["published_on"])),
            after=after,
        )
        blocks.append(
            section(
                text,
                block_id=f"stats-reminder-{placement['id']}",
                accessory=button(tr("reminders.button.stats"), "stats_open", value=str(placement["id"])),
            )
        )
    if count > MAX_LISTED:
        blocks.append(context(tr("common.and_more", count=tr.number(count - MAX_LISTED))))
    blocks.append(context(tr("reminders.stats.hint")))
    return blocks


def proposal_context(tr, proposal: dict) -> dict:
    """The line under a reminder in the card's thread: which proposal, published when."""
    return context(
        tr(
            "reminders.deadline.context",
            id=str(proposal["id"]),
            publish_on=tr.date(date.fromisoformat(proposal["publish_on"])),
        )
    )

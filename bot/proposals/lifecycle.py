"""Closing the loop: a placement whose publication date passed without being published ends "non publié".

    mark_overdue(relais, now)       # planner: every tick, from the first tick of the next business day
    render_not_published(...)       # the note in the card's thread (outbox kind "not_published_note")

A placement still planned, submitted or accepted when its proposal's publication date is over becomes
`not_published` at the first tick of the first business day after that date (bot.proposals.workflow.
mark_not_published: reminders withdrawn, card updated, one note owed at 09:00). The note offers
"Publié…": publishing it is still allowed from `not_published`. A proposal whose placements have all
ended is closed (bot.proposals.rules.is_closed): its card shows its final state without buttons.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.blocks import actions, button, escape, section
from bot.clock import local_at
from bot.outbox import Post, Skip, payload
from bot.proposals.workflow import NOT_PUBLISHED, mark_not_published
from bot.reminders.rules import proposal_context
from bot.workdays import for_relais
from storage import proposals as store


def mark_overdue(relais, now: datetime) -> list[str]:
    """Plan the end of every open placement whose publication date is over: from 00:00 local on the first
    business day after that date (after a downtime, at the first tick). Idempotent: a placement already
    ended is not touched again."""
    tz = relais.settings.tz
    today = now.astimezone(tz).date()
    db = relais.db
    rows = store.open_placements_before(db, today)
    if not rows:
        return []
    days = for_relais(relais)
    keys: list[str] = []
    for row in rows:
        publish_on = date.fromisoformat(row["publish_on"])
        if now < local_at(days.add(publish_on, 1), 0, 0, tz):
            continue  # a weekend or holiday after the date: the next business day it is
        with db.atomic():
            keys += mark_not_published(relais, db, row["id"], now)
    return keys


def render_not_published(relais, row: dict, now: datetime) -> Post:
    """The note in the card's thread: the date passed with no publication recorded; "Publié…" if it did."""
    db = relais.db
    placement = store.placement(db, row["placement_id"])
    if placement is None:
        raise Skip("placement gone")
    if placement["status"] != NOT_PUBLISHED:
        raise Skip(f"placement {placement['status']} since")
    proposal = store.get(db, placement["proposal_id"])
    assert proposal is not None  # a placement's proposal (foreign key)
    if not proposal.get("card_ts"):
        raise Skip("the card is not posted: nothing to thread the note under")
    tr = relais.tr
    day = date.fromisoformat(payload(row).get("publish_on") or proposal["publish_on"])
    params = {
        "owner": f"<@{proposal['owner_id']}>",
        "title": escape(placement["proposal_title"]),
        "outlet": escape(placement["outlet_name"]),
        "date": tr.date(day),
    }
    blocks = [
        section(tr("lifecycle.not_published.text", **params), block_id=f"not-published-text-{placement['id']}"),
        proposal_context(tr, proposal),
        actions(
            [
                button(
                    tr("propose.button.published"),
                    "placement_published",
                    value=f"{placement['id']}:{NOT_PUBLISHED}",
                    style="primary",
                )
            ],
            block_id=f"not-published-{placement['id']}",
        ),
    ]
    fallback = tr(
        "lifecycle.not_published.fallback",
        title=escape(placement["proposal_title"]),
        outlet=escape(placement["outlet_name"]),
        date=tr.date(day),
    )
    return Post(channel=proposal["card_channel"], thread_ts=proposal["card_ts"], blocks=blocks, text=fallback)

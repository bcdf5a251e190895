"""What happens to a proposal after it is registered: creation, each placement's status, cancellation.

    proposal_id, keys = create_proposal(relais, draft, checked, owner="U123")    # then deliver keys
    outcome = change_status(relais, placement_id=7, to="submitted", actor="U123")
    outcome = cancel_proposal(relais, proposal_id=3, actor="U123")
    outcome = withdraw_placement(relais, placement_id=7, actor="U123")     # the others go on
    outcome = undo_last_change(relais, placement_id=7, actor="U123")       # back to the previous status
    outcome.ok, say(relais.tr, outcome.key, **outcome.params)

Each is one transaction: the permission and validity checks, the change with its history row, the
card update owed (an outbox row of kind "card_update"), and the reminder hooks (bot.reminders.rules).
A refusal changes nothing and says why (`outcome.key`, a catalog key). The acting user is always
the one of the signed Slack payload, passed in by the caller.
"""

from __future__ import annotations

import secrets
from datetime import date

from bot import outbox as sender
from bot.clock import to_text
from bot.outcome import Outcome, refused
from bot.proposals.rules import (
    OPEN,
    Checked,
    Clash,
    Draft,
    next_statuses,
    undo_target,
    valid_link,
    week_of,
)
from bot.reminders import rules as reminders
from storage import outbox
from storage import proposals as store


def _lock(db, placement_id: int | None = None, proposal_id: int | None = None) -> None:
    """Take SQLite's write lock first, so two clicks at once are decided one after the other."""
    if placement_id is not None:
        store.lock_placement(db, placement_id)
    elif proposal_id is not None:
        store.lock_proposal(db, proposal_id)


def plan_card(relais, db, proposal_id: int, now) -> str:
    """The card's first post (kind "card"): its channel and ts are stored when it is sent."""
    key = f"card:{proposal_id}"
    outbox.plan(
        db, key=key, kind="card", due_at=now, target=relais.settings.team_channel, now=now, proposal_id=proposal_id
    )
    return key


def plan_card_update(relais, db, proposal_id: int, now) -> str:
    """A chat.update of the card, rendered from the database at send time (skipped while it has no ts)."""
    proposal = store.get(db, proposal_id)
    key = f"card-update:{proposal_id}:{to_text(now)}:{secrets.token_hex(4)}"
    outbox.plan(
        db,
        key=key,
        kind="card_update",
        due_at=now,
        target=(proposal or {}).get("card_channel") or relais.settings.team_channel,
        now=now,
        proposal_id=proposal_id,
    )
    return key


def plan_neighbour_updates(relais, db, proposal_id: int, now) -> list[str]:
    """Card updates for the other proposals sharing a limited outlet's week with this one: their
    weekly-quota warning may have appeared or gone with this change."""
    proposal = store.get(db, proposal_id)
    weeks: set[tuple[str, date]] = set()
    for p in store.placements_of(db, proposal_id):
        if p["outlet_per_week"] is None:
            continue
        for day in (proposal["publish_on"], p["published_on"]):
            if day:
                weeks.add((p["outlet_slug"], week_of(date.fromisoformat(day))))
    others = {
        r["proposal_id"]
        for slug, monday in weeks
        for r in store.week_placements(db, slug, monday, exclude_proposal=proposal_id)
    }
    return [
        plan_card_update(relais, db, other, now)
        for other in sorted(others)
        if (store.get(db, other) or {}).get("card_ts")
    ]


def create_proposal(relais, draft: Draft, checked: Checked, *, owner: str) -> tuple[int, list[str]]:
    """Store a checked draft: the proposal, one planned placement per outlet, the card owed, the reminders."""
    if not checked.ok:
        raise ValueError("a draft with problems is never stored")
    db = relais.db
    now = relais.clock.now()
    with db.atomic():
        proposal_id = store.create(
            db,
            title=draft.title.strip(),
            publish_on=draft.publish_on,
            owner_id=owner,
            outlets=[(p.slug, p.deadline) for p in checked.placements],
            now=to_text(now),
            summary=(draft.summary or "").strip(),
            category=draft.category,
            audiences=list(draft.audiences),
            link=(draft.link or "").strip(),
            notes=(draft.notes or "").strip(),
            cycle_key=draft.cycle_key,
        )
        keys = [plan_card(relais, db, proposal_id, now)] + plan_neighbour_updates(relais, db, proposal_id, now)
        reminders.on_proposal_created(relais, db, proposal_id, now)
    return proposal_id, keys


def clashes_for(db, slugs, publish_on: date | None, exclude_proposal: int | None = None) -> dict[str, list[Clash]]:
    """Other live placements on each outlet in the week of `publish_on` (for the weekly-quota warning)."""
    if publish_on is None:
        return {}
    monday = week_of(publish_on)
    return {
        slug: [
            Clash(r["proposal_id"], r["proposal_title"], date.fromisoformat(r["goes_out"]))
            for r in store.week_placements(db, slug, monday, exclude_proposal=exclude_proposal)
        ]
        for slug in slugs
    }


def verdict(relais, current: dict | None, to: str, actor: str, expected: str | None = None) -> Outcome | None:
    """Why `actor` may not move this placement (a placement row with its proposal) to `to`; None when allowed."""
    if not relais.settings.is_comms(actor):
        return refused("propose.refused.not_comms")
    if current is None:
        return refused("propose.refused.no_placement")
    base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
    status = current["status"]
    if current["proposal_status"] == "cancelled":
        return Outcome(False, "propose.refused.cancelled", base, current["proposal_id"], current["id"])
    if expected is not None and status != expected:
        return Outcome(
            False, "propose.refused.stale", {**base, "current": status}, current["proposal_id"], current["id"]
        )
    if to not in next_statuses(status, current["outlet_owner"]):
        return Outcome(
            False,
            "propose.refused.transition",
            {**base, "current": status, "to": to},
            current["proposal_id"],
            current["id"],
        )
    return None


def check_status_change(
    relais, *, placement_id: int, to: str, actor: str, expected: str | None = None
) -> Outcome | None:
    """The refusal change_status would give now (before opening the "published" form), or None."""
    return verdict(relais, store.placement(relais.db, placement_id), to, actor, expected)


def change_status(
    relais,
    *,
    placement_id: int,
    to: str,
    actor: str,
    published_on: date | None = None,
    url: str | None = None,
    expected: str | None = None,
    deliver: bool = True,
    note: str = "",
) -> Outcome:
    """Move one placement to `to` on behalf of `actor` (a Slack user ID from a signed payload); `note`
    (a decline's reason) goes in the history row.

    Refused (nothing changes) when the actor is not in COMMS_TEAM, the placement is unknown or its
    proposal cancelled, the placement is no longer in `expected` (a stale button), or the move is
    not a step of the workflow (planned → submitted → accepted | declined; accepted → published; a
    library outlet goes from planned to published). `published` needs `published_on` (not in the
    future); `url` is optional. With `deliver`, the card update is sent right away in the background.
    """
    db = relais.db
    now = relais.clock.now()
    if not relais.settings.is_comms(actor):
        return refused("propose.refused.not_comms")
    if to == "published":
        if published_on is None:
            return refused("propose.refused.published_date")
        if published_on > relais.clock.today():
            return refused("propose.refused.published_future", date=published_on)
        if url and not valid_link(url):
            return refused("propose.problem.link", link=url[:80])
    with db.atomic():
        _lock(db, placement_id=placement_id)
        current = store.placement(db, placement_id)
        refusal = verdict(relais, current, to, actor, expected)
        if refusal is not None:
            return refusal
        old = store.set_placement_status(
            db,
            placement_id,
            to,
            actor=actor,
            now=to_text(now),
            published_on=published_on if to == "published" else None,
            published_url=(url or None) if to == "published" else None,
            note=(note or "").strip(),
        )
        keys = [plan_card_update(relais, db, current["proposal_id"], now)]
        keys += plan_neighbour_updates(relais, db, current["proposal_id"], now)
        reminders.on_placement_changed(relais, db, placement_id, old, to, now)
    base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
    result = Outcome(
        True, "propose.changed", {**base, "from": old, "to": to}, current["proposal_id"], placement_id, old, to, keys
    )
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result


def cancel_proposal(relais, *, proposal_id: int, actor: str, deliver: bool = True) -> Outcome:
    """Cancel a proposal and its placements not yet published (history kept): its owner or the comms team."""
    db = relais.db
    now = relais.clock.now()
    with db.atomic():
        _lock(db, proposal_id=proposal_id)
        proposal = store.get(db, proposal_id)
        if proposal is None:
            return refused("propose.refused.no_proposal", id=str(proposal_id))
        base = {"id": str(proposal_id), "title": proposal["title"]}
        if proposal["owner_id"] != actor and not relais.settings.is_comms(actor):
            return Outcome(False, "propose.refused.not_owner", base, proposal_id)
        if proposal["status"] == "cancelled":
            return Outcome(False, "propose.refused.already_cancelled", base, proposal_id)
        neighbours = plan_neighbour_updates(relais, db, proposal_id, now)  # while its placements still count
        store.cancel(db, proposal_id, actor=actor, now=to_text(now))
        keys = [plan_card_update(relais, db, proposal_id, now)] + neighbours
        reminders.on_proposal_cancelled(relais, db, proposal_id, now)
    result = Outcome(True, "propose.cancelled", base, proposal_id, keys=keys)
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result


def _placement_changed(relais, db, current: dict, old: str, new: str, now) -> list[str]:
    """What any status change owes: the card update, the neighbours' quota warnings, the reminders."""
    keys = [plan_card_update(relais, db, current["proposal_id"], now)]
    keys += plan_neighbour_updates(relais, db, current["proposal_id"], now)
    reminders.on_placement_changed(relais, db, current["id"], old, new, now)
    return keys


def withdraw_placement(
    relais, *, placement_id: int, actor: str, expected: str | None = None, deliver: bool = True
) -> Outcome:
    """Withdraw one open placement (planned, submitted or accepted): status `withdrawn`, the proposal's
    other placements go on, its pending deadline reminders are skipped. Its proposal's owner or the comms
    team; refused for a placement already ended, of a cancelled proposal, or no longer in `expected`."""
    db = relais.db
    now = relais.clock.now()
    with db.atomic():
        _lock(db, placement_id=placement_id)
        current = store.placement(db, placement_id)
        if current is None:
            return refused("propose.refused.no_placement")
        base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
        ids = (current["proposal_id"], placement_id)
        if current["proposal_owner"] != actor and not relais.settings.is_comms(actor):
            return Outcome(False, "propose.refused.withdraw_not_owner", base, *ids)
        if current["proposal_status"] == "cancelled":
            return Outcome(False, "propose.refused.cancelled", base, *ids)
        status = current["status"]
        if expected is not None and status != expected:
            return Outcome(False, "propose.refused.stale", {**base, "current": status}, *ids)
        if status not in OPEN:
            return Outcome(False, "propose.refused.withdraw_ended", {**base, "current": status}, *ids)
        old = store.set_placement_status(db, placement_id, "withdrawn", actor=actor, now=to_text(now))
        keys = _placement_changed(relais, db, current, old, "withdrawn", now)
    result = Outcome(True, "propose.withdrawn", base, *ids, old, "withdrawn", keys)
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result


def undo_last_change(
    relais, *, placement_id: int, actor: str, expected: str | None = None, deliver: bool = True
) -> Outcome:
    """The comms team takes back a placement's last status change: it goes back to the status it was in
    (from the history), its reminders follow (a placement planned again gets its deadline reminders back),
    and the history keeps both the change and its undo. Undoing again walks further back."""
    db = relais.db
    now = relais.clock.now()
    if not relais.settings.is_comms(actor):
        return refused("propose.refused.not_comms")
    with db.atomic():
        _lock(db, placement_id=placement_id)
        current = store.placement(db, placement_id)
        if current is None:
            return refused("propose.refused.no_placement")
        base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
        ids = (current["proposal_id"], placement_id)
        if current["proposal_status"] == "cancelled":
            return Outcome(False, "propose.refused.cancelled", base, *ids)
        status = current["status"]
        if expected is not None and status != expected:
            return Outcome(False, "propose.refused.stale", {**base, "current": status}, *ids)
        change = undo_target(store.status_changes(db, placement_id))
        if change is None or change["to_value"] != status or not change["from_value"]:
            return Outcome(False, "propose.refused.nothing_to_undo", {**base, "current": status}, *ids)
        back = change["from_value"]
        old = store.revert_placement_status(db, placement_id, back, actor=actor, now=to_text(now))
        keys = _placement_changed(relais, db, current, old, back, now)
    result = Outcome(True, "propose.undone", {**base, "from": old, "to": back}, *ids, old, back, keys)
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result

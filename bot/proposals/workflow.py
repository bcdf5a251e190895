"""What happens to a proposal after it is registered: creation, each placement's status, cancellation.

    proposal_id, keys = create_proposal(relais, draft, checked, owner="U123")    # then deliver keys
    outcome = change_status(relais, placement_id=7, to="submitted", actor="U123")
    outcome = cancel_proposal(relais, proposal_id=3, actor="U123")
    outcome = edit_proposal(relais, proposal_id=3, draft=Draft(...), actor="U123")   # the form, move, owner
    keys = replan_placement(relais, db, placement_id=7, deadline=date(2026, 12, 7), actor="U123", now=now)
    outcome = withdraw_placement(relais, placement_id=7, actor="U123")     # the others go on
    outcome = undo_last_change(relais, placement_id=7, actor="U123")       # back to the previous status
    keys = mark_not_published(relais, db, placement_id=7, now=now)         # its date passed unpublished
    outcome.ok, say(relais.tr, outcome.key, **outcome.params)

Each is one transaction: the permission and validity checks, the change with its history row, the
card update owed (an outbox row of kind "card_update"), and the reminder hooks (bot.reminders.rules).
A refusal changes nothing and says why (`outcome.key`, a catalog key). The acting user is always
the one of the signed Slack payload, passed in by the caller.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from datetime import date

from bot import outbox as sender
from bot.clock import local_at, to_text
from bot.outcome import Outcome, refused
from bot.proposals.outlets import Outlet, active, by_slug
from bot.proposals.rules import (
    OPEN,
    Checked,
    Clash,
    Draft,
    Problem,
    check,
    clean_text,
    deadline_for,
    free_dates,
    next_statuses,
    outlet_texts,
    undo_target,
    valid_link,
    week_of,
)
from bot.reminders import rules as reminders
from bot.text import clean, one_line
from bot.workdays import BusinessDays, for_relais
from storage import outbox
from storage import proposals as store


def _lock(db, placement_id: int | None = None, proposal_id: int | None = None) -> None:
    """Take SQLite's write lock first, so two clicks at once are decided one after the other."""
    if placement_id is not None:
        store.lock_placement(db, placement_id)
    elif proposal_id is not None:
        store.lock_proposal(db, proposal_id)


def card_row(relais, proposal_id: int, now) -> outbox.Planned:
    """The card's first post (kind "card"): its channel and ts are stored when it is sent."""
    return outbox.Planned(f"card:{proposal_id}", "card", now, relais.settings.team_channel, proposal_id)


def card_update_row(relais, proposal_id: int, channel: str | None, now) -> outbox.Planned:
    """A chat.update of the card in `channel` (where it was posted), rendered from the database at send time
    (skipped while it has no ts)."""
    key = f"card-update:{proposal_id}:{to_text(now)}:{secrets.token_hex(4)}"
    return outbox.Planned(key, "card_update", now, channel or relais.settings.team_channel, proposal_id)


def plan_card_update(relais, db, proposal_id: int, now) -> str:
    channel = (store.get(db, proposal_id) or {}).get("card_channel")
    return outbox.plan_keys(db, [card_update_row(relais, proposal_id, channel, now)], now)[0]


CYCLE_PROMPT_USED = "cycle_prompt_used"  # rendered by bot.calendar.cycles.render_used


def prompt_used_row(relais, proposal_id: int, now) -> outbox.Planned:
    """Issue 15, item 6: the prompt of the cycle's return this proposal is for, updated in place so that its
    button becomes a line naming the proposal (skipped when no prompt was sent)."""
    return outbox.Planned(
        f"cycle-used:{proposal_id}", CYCLE_PROMPT_USED, now, relais.settings.team_channel, proposal_id
    )


def plan_neighbour_updates(relais, db, proposal_id: int, now) -> list[str]:
    """Card updates for the other proposals sharing a limited outlet's week with this one: their
    weekly-quota warning may have appeared or gone with this change."""
    return outbox.plan_keys(db, neighbour_update_rows(relais, neighbours_of(db, proposal_id), now), now)


def neighbour_update_rows(relais, neighbours: dict[int, str | None], now) -> list[outbox.Planned]:
    return [card_update_row(relais, other, neighbours[other], now) for other in sorted(neighbours)]


def neighbours_of(db, proposal_id: int) -> dict[int, str | None]:
    """The other proposals with a card sharing a limited outlet's week with this one (as it is now), with
    their card's channel."""
    proposal = store.get(db, proposal_id)
    assert proposal is not None, proposal_id  # callers hold the proposal
    weeks: set[tuple[str, date]] = set()
    for p in store.placements_of(db, proposal_id):
        if p["outlet_per_week"] is None:
            continue
        for day in (proposal["publish_on"], p["published_on"]):
            if day:
                weeks.add((p["outlet_slug"], week_of(date.fromisoformat(day))))
    return neighbours_in(db, weeks, proposal_id)


def neighbours_in(db, weeks: set[tuple[str, date]], proposal_id: int) -> dict[int, str | None]:
    """The proposals other than this one with a card and a live placement on one of these (outlet, week)."""
    return {
        r["proposal_id"]: r["proposal_card_channel"]
        for slug, monday in sorted(weeks)
        for r in store.week_placements(db, slug, monday, exclude_proposal=proposal_id)
        if r["proposal_card_ts"]
    }


def create_proposal(
    relais,
    draft: Draft,
    checked: Checked,
    *,
    owner: str,
    outlets: Mapping[str, Outlet] | None = None,
    days: BusinessDays | None = None,
) -> tuple[int, list[str]]:
    """Store a checked draft: the proposal, one planned placement per outlet, the card owed, the reminders.

    `outlets` and `days`: the active outlets and business days the draft was checked against (read again
    when not given). Everything that can be is worked out before the write lock is taken: inside it, the
    inserts and the one read of the weeks the proposal shares (whose cards must show the quota warning)."""
    if not checked.ok:
        raise ValueError("a draft with problems is never stored")
    assert draft.publish_on is not None  # a missing date is a problem
    db = relais.db
    now = relais.clock.now()
    outlets = outlets if outlets is not None else by_slug(db, include_inactive=False)
    days = days or for_relais(relais)
    slugs = [p.slug for p in checked.placements]
    monday = week_of(draft.publish_on)
    weeks = {(slug, monday) for slug in slugs if outlets[slug].per_week is not None}
    texts = outlet_texts(draft.texts, slugs, outlets)
    ids: dict[str, int] = {}  # each outlet's placement, once inserted
    with db.atomic():
        proposal_id = store.create(
            db,
            title=one_line(draft.title),
            publish_on=draft.publish_on,
            owner_id=owner,
            outlets=[(p.slug, p.deadline) for p in checked.placements],
            now=to_text(now),
            summary=clean(draft.summary, multiline=True),
            category=draft.category,
            audiences=list(draft.audiences),
            link=one_line(draft.link),
            notes=clean(draft.notes, multiline=True),
            cycle_key=draft.cycle_key,
            texts=texts,
            cycle_period=draft.cycle_period,
            placement_ids=ids,
        )
        owed = [card_row(relais, proposal_id, now)]
        owed += neighbour_update_rows(relais, neighbours_in(db, weeks, proposal_id), now)
        if draft.cycle_key and draft.cycle_period:
            owed.append(prompt_used_row(relais, proposal_id, now))
        placed = [(ids[p.slug], p.deadline, outlets[p.slug].owner == "library") for p in checked.placements]
        reminded = reminders.on_proposal_created(relais, proposal_id, placed, now, days)
        outbox.plan_all(db, owed + reminded, now)  # one statement for every row owed
    keys = [row.key for row in owed]  # sent now; the reminders when they are due
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


def free_dates_for(
    relais, db, proposal_id: int, slug: str, today: date | None = None
) -> tuple[date | None, date | None]:
    """Issue 17: where the proposal could move for `slug`'s weekly quota to have room (the nearest dates
    before and after; see rules.free_dates), its planned university placements' deadlines still ahead."""
    proposal = store.get(db, proposal_id)
    placements = store.placements_of(db, proposal_id)
    limit = next((p["outlet_per_week"] for p in placements if p["outlet_slug"] == slug), None)
    if proposal is None or not limit:
        return None, None
    leads = [p["outlet_lead_days"] for p in placements if p["status"] == "planned" and p["outlet_owner"] != "library"]

    def has_room(day: date) -> bool:
        return len(store.week_placements(db, slug, week_of(day), exclude_proposal=proposal_id)) < limit

    return free_dates(
        date.fromisoformat(proposal["publish_on"]), leads, today or relais.clock.today(), for_relais(relais), has_room
    )


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
    refusal = check_status_change(relais, placement_id=placement_id, to=to, actor=actor, expected=expected)
    if refusal is not None:  # refused as things stand: said without waiting for the write lock
        return refusal
    with db.atomic():
        _lock(db, placement_id=placement_id)
        current = store.placement(db, placement_id)
        refusal = verdict(relais, current, to, actor, expected)  # again: it may have changed meanwhile
        if refusal is not None:
            return refusal
        assert current is not None  # verdict refuses a missing placement
        old = store.set_placement_status(
            db,
            placement_id,
            to,
            actor=actor,
            now=to_text(now),
            published_on=published_on if to == "published" else None,
            published_url=(url or None) if to == "published" else None,
            note=one_line(note),
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


# -- edits (issue 12, "Plans change") ----------------------------------------------------------------
EDIT_NOTE = "edit_note"
NOT_LIVE = ("withdrawn", "cancelled")  # placements an edit no longer counts as the proposal's outlets


def replan_placement(relais, db, placement_id: int, deadline: date, *, actor: str, now) -> list[str]:
    """Give a placement a new deadline (a moved publication date, an outlet's or the calendar's new rules)
    and bring its deadline reminders in line: the pending ones of the old deadline are cancelled
    ("deadline changed"), the moments still ahead of the new one planned (only while it is planned).
    A history row when the deadline changed. Call inside `db.atomic()`; planning the card update is the
    caller's (one per proposal). Returns the outbox keys of the reminders planned."""
    store.set_deadline(db, placement_id, deadline, actor=actor, now=to_text(now))
    return reminders.plan_deadline_reminders(relais, db, placement_id, now)


def may_edit(relais, proposal: dict | None, actor: str) -> Outcome | None:
    """Why `actor` may not edit this proposal (its owner and the comms team may); None when allowed."""
    if proposal is None:
        return refused("propose.refused.no_proposal", id="?")
    base = {"id": str(proposal["id"]), "title": proposal["title"]}
    if proposal["status"] == "cancelled":
        return Outcome(False, "edit.refused.cancelled", base, proposal["id"])
    if proposal["owner_id"] != actor and not relais.settings.is_comms(actor):
        return Outcome(False, "edit.refused.not_allowed", {**base, "owner": proposal["owner_id"]}, proposal["id"])
    return None


def draft_of(db, proposal: dict) -> Draft:
    """The proposal as a draft (what the edit form and the one-line shortcuts start from): its outlets are
    its placements still live on active outlets."""
    slugs = {o.slug for o in active(db)}
    return Draft(
        title=proposal["title"],
        publish_on=date.fromisoformat(proposal["publish_on"]),
        outlets=tuple(
            p["outlet_slug"]
            for p in store.placements_of(db, proposal["id"])
            if p["status"] not in NOT_LIVE and p["outlet_slug"] in slugs
        ),
        category=proposal["category"],
        summary=proposal["summary"] or "",
        audiences=tuple(json.loads(proposal["audiences"] or "[]")),
        link=proposal["link"] or "",
        notes=proposal["notes"] or "",
        cycle_key=proposal["cycle_key"],
        owner=proposal["owner_id"],
        texts={
            p["outlet_slug"]: p["outlet_text"]
            for p in store.placements_of(db, proposal["id"])
            if p["status"] not in NOT_LIVE and p.get("outlet_text")
        },
    )


def edit_proposal(relais, *, proposal_id: int, draft: Draft, actor: str, deliver: bool = True) -> Outcome:
    """Apply an edited draft to a proposal, all or nothing, on behalf of `actor` (its owner or the comms
    team; only the comms team gives it another owner).

    The same checks as a new proposal, per outlet: an outlet added, or still planned when the date moves,
    whose deadline has passed for the new date is refused with the earliest workable date (outcome key
    "edit.refused.problems", params["problems"] a list of Problem). Outlets already submitted, accepted,
    declined or published keep their state (a published one cannot be removed). Then, in one transaction:
    the changed fields (history rows), each kept placement replanned for the new date (replan_placement),
    removed outlets' placements `withdrawn` (their reminders cancelled), added outlets planned (a withdrawn
    placement of the same outlet comes back), the stats reminders of published placements planned for a
    new owner, the card updated, the cards of the proposals sharing an outlet's week (before and after)
    updated, and one note in the card's thread saying what changed and who changed it (kind "edit_note")."""
    db = relais.db
    now = relais.clock.now()
    today = relais.clock.today()
    outlets = by_slug(db, include_inactive=False)
    days = for_relais(relais)
    with db.atomic():
        _lock(db, proposal_id=proposal_id)
        proposal = store.get(db, proposal_id)
        if proposal is None:
            return refused("propose.refused.no_proposal", id=str(proposal_id))
        refusal = may_edit(relais, proposal, actor)
        if refusal is not None:
            return refusal
        base = {"id": str(proposal_id), "title": proposal["title"]}
        owner = draft.owner or proposal["owner_id"]
        if owner != proposal["owner_id"] and not relais.settings.is_comms(actor):
            return Outcome(False, "edit.refused.owner_comms", base, proposal_id)

        current = {p["outlet_slug"]: p for p in store.placements_of(db, proposal_id)}
        live = [s for s, p in current.items() if p["status"] not in NOT_LIVE]
        wanted = list(dict.fromkeys(draft.outlets))
        removed = [s for s in live if s not in wanted and s in outlets]  # inactive outlets: left as they are
        added = [s for s in wanted if s not in live]
        kept = [s for s in wanted if s in live]
        old_day = date.fromisoformat(proposal["publish_on"])
        moved = draft.publish_on != old_day
        checked = check(draft, outlets, days, today, clashes_for(db, wanted, draft.publish_on, proposal_id))
        # Deadlines only matter for what is still to be submitted: added outlets, and planned ones when the
        # date moves. Fixing a typo in an old proposal's title is not refused for its past deadlines.
        exempt = {outlets[s].name for s in kept if s in outlets and (current[s]["status"] != "planned" or not moved)}
        problems = [
            p
            for p in checked.problems
            if not (p.key == "propose.problem.deadline_passed" and p.params.get("outlet") in exempt)
            and not (p.key == "propose.problem.date_past" and not moved and not added)
        ]
        problems += [
            Problem("outlets", "edit.problem.published", {"outlet": outlets[s].name})
            for s in removed
            if current[s]["status"] == "published"
        ]
        if problems:
            return Outcome(False, "edit.refused.problems", {**base, "problems": problems}, proposal_id)
        assert draft.publish_on is not None  # a missing date is a problem, refused above

        changes: dict = {}
        fields = {
            "title": clean_text(draft.title),
            "summary": clean(draft.summary, multiline=True),
            "category": draft.category,
            "link": one_line(draft.link),
            "notes": clean(draft.notes, multiline=True),
            "owner_id": owner,
        }
        for column, value in fields.items():
            if value != (proposal[column] or ""):
                changes[column] = value
        if list(draft.audiences) != json.loads(proposal["audiences"] or "[]"):
            changes["audiences"] = list(draft.audiences)
        if moved:
            changes["publish_on"] = draft.publish_on
        texts = _text_changes(draft, wanted, outlets, current)
        if not changes and not added and not removed and not texts:
            return Outcome(True, "edit.unchanged", base, proposal_id)

        stamp = to_text(now)
        neighbours = neighbours_of(db, proposal_id)  # the weeks it leaves
        store.update_fields(db, proposal_id, changes, actor=actor, now=stamp)
        planned = {p.slug: p.deadline for p in checked.placements}
        for slug in removed:
            placement = current[slug]
            old = store.set_placement_status(db, placement["id"], "withdrawn", actor=actor, now=stamp, note="edit")
            reminders.on_placement_changed(relais, db, placement["id"], old, "withdrawn", now)
        for slug in added:
            placement_id = store.add_placement(db, proposal_id, slug, planned[slug], actor=actor, now=stamp)
            reminders.plan_deadline_reminders(relais, db, placement_id, now)
        for slug in kept:
            if slug in outlets:
                deadline = planned.get(slug) or deadline_for(draft.publish_on, outlets[slug].lead_days, days)
                replan_placement(relais, db, current[slug]["id"], deadline, actor=actor, now=now)
        for slug, text in texts.items():
            with_text = store.placement_by_outlet(db, proposal_id, slug)
            assert with_text is not None  # texts are for the outlets kept or added above
            store.set_outlet_text(db, with_text["id"], text, actor=actor, now=stamp)
        if "owner_id" in changes:  # the stats messages go to the new owner from now on
            for placement in store.placements_of(db, proposal_id):
                reminders.plan_stats_reminders(relais, db, placement["id"], now)
        neighbours |= neighbours_of(db, proposal_id)  # the weeks it joins
        keys = [plan_card_update(relais, db, proposal_id, now)]
        keys += outbox.plan_keys(db, neighbour_update_rows(relais, neighbours, now), now)
        summary = [[column, _plain(proposal[column]), _plain(value)] for column, value in changes.items()]
        summary += [["outlets_added", None, slug] for slug in added]
        summary += [["outlets_removed", slug, None] for slug in removed]
        summary += [["outlet_text", slug, text] for slug, text in texts.items()]
        keys.append(plan_edit_note(relais, db, proposal_id, actor, summary, now))
    result = Outcome(
        True, "edit.done", {**base, "title": fields["title"], "count": len(summary)}, proposal_id, keys=keys
    )
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result


def _text_changes(draft: Draft, wanted: list[str], outlets: dict, current: dict) -> dict[str, str]:
    """Issue 17: {slug: new text} of the outlets (declaring max_chars, chosen) whose own text the edit changes."""
    texts = outlet_texts(draft.texts, wanted, outlets)
    return {
        slug: texts.get(slug, "")
        for slug in wanted
        if slug in outlets
        and outlets[slug].max_chars
        and texts.get(slug, "") != (current.get(slug) or {}).get("outlet_text", "")
    }


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


NOT_PUBLISHED = "not_published"
NOT_PUBLISHED_NOTE = "not_published_note"


def mark_not_published(relais, db, placement_id: int, now) -> list[str]:
    """A placement whose publication date passed while it was still planned, submitted or accepted ends
    `not_published` (Relais acting): its pending reminders are withdrawn, the card updated (a proposal whose
    last open placement this was closes), and one note is owed in the card's thread at 09:00 on a business
    day, with a "Publié…" button in case it did go out. Call inside `db.atomic()`; a placement no longer open,
    or of a cancelled proposal, is left as it is (returns [])."""
    _lock(db, placement_id=placement_id)
    current = store.placement(db, placement_id)
    if current is None or current["status"] not in OPEN or current["proposal_status"] == "cancelled":
        return []
    old = store.set_placement_status(db, placement_id, NOT_PUBLISHED, actor="relais", now=to_text(now))
    keys = _placement_changed(relais, db, current, old, NOT_PUBLISHED, now)
    proposal = store.get(db, current["proposal_id"])
    assert proposal is not None  # a placement's proposal (foreign key)
    days = for_relais(relais)
    tz = relais.settings.tz
    note_at = local_at(days.next_business_day(now.astimezone(tz).date()), *reminders.AT, tz)
    key = f"not-published:{placement_id}:{proposal['publish_on']}"
    outbox.plan(
        db,
        key=key,
        kind=NOT_PUBLISHED_NOTE,
        due_at=max(now, note_at),
        target=proposal.get("card_channel") or relais.settings.team_channel,
        now=now,
        proposal_id=current["proposal_id"],
        placement_id=placement_id,
        payload={"publish_on": proposal["publish_on"]},
    )
    return [*keys, key]


def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def plan_edit_note(relais, db, proposal_id: int, actor: str, changes: list, now) -> str:
    """The note in the card's thread: who changed what (rendered at send time, bot.proposals.card)."""
    key = f"edit-note:{proposal_id}:{to_text(now)}:{secrets.token_hex(4)}"
    outbox.plan(
        db,
        key=key,
        kind=EDIT_NOTE,
        due_at=now,
        target=(store.get(db, proposal_id) or {}).get("card_channel") or relais.settings.team_channel,
        now=now,
        proposal_id=proposal_id,
        payload={"actor": actor, "changes": changes},
    )
    return key


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
        if change is None or change["to_value"] != status or not change["from_value"] or status == NOT_PUBLISHED:
            return Outcome(False, "propose.refused.nothing_to_undo", {**base, "current": status}, *ids)
        back = change["from_value"]
        old = store.revert_placement_status(db, placement_id, back, actor=actor, now=to_text(now))
        keys = _placement_changed(relais, db, current, old, back, now)
    result = Outcome(True, "propose.undone", {**base, "from": old, "to": back}, *ids, old, back, keys)
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result

"""The proposal card in the team channel: posted once (outbox kind "card"), then updated in place
(kind "card_update", chat.update) whenever anything changes. Both render the proposal as it is in
the database at send time.

    state = card_state(relais, proposal_id)         # plain data: proposal, placements, warnings
    blocks = card_blocks(relais.tr, state)          # Block Kit, buttons for each next step

Buttons: `placement_<status>` (value "<placement id>:<status it was in>", so a stale button is
recognised), `placement_published` opens the date-and-address form, `placement_declined` a small form
for the reason, `placement_withdraw` and `placement_undo` (same value) ask for confirmation first, as
does `proposal_cancel` (value the proposal id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.blocks import (
    MAX_BLOCKS,
    MAX_FALLBACK,
    MAX_MESSAGE_CHARS,
    actions,
    button,
    confirm,
    context,
    divider,
    escape,
    escape_cut,
    fields,
    message_chars,
    section,
)
from bot.clock import local_at, to_text
from bot.outbox import Post, Skip, payload
from bot.proposals.outlets import Outlet, by_slug
from bot.proposals.rules import (
    FREE_WEEKS,
    OPEN,
    Note,
    days_left,
    is_closed,
    next_statuses,
    placement_notes,
    undo_target,
)
from bot.proposals.views import (
    audience_label,
    business_days,
    category_label,
    local_day,
    note_lines,
    say,
    status_label,
)
from bot.proposals.workflow import clashes_for, free_dates_for, plan_card_update
from bot.workdays import for_relais
from storage import outbox as outbox_rows
from storage import proposals as store

STATUS_EMOJI = {
    "planned": ":spiral_calendar_pad:",
    "submitted": ":outbox_tray:",
    "accepted": ":white_check_mark:",
    "declined": ":x:",
    "published": ":mega:",
    "cancelled": ":no_entry_sign:",
    "withdrawn": ":heavy_minus_sign:",
    "not_published": ":hourglass:",
}
BUTTON_STYLE = {"submitted": "primary", "accepted": "primary", "published": "primary", "declined": "danger"}


@dataclass
class PlacementState:
    row: dict
    outlet: Outlet
    deadline: date
    days_left: int
    notes: list[Note] = field(default_factory=list)
    next: tuple[str, ...] = ()
    undo: dict | None = None  # the status change "Annuler le dernier changement" would take back
    reason: str = ""  # why the university declined it (when declined)
    ticked: frozenset = frozenset()  # issue 17: the outlet's checklist items supplied (ticked on the package)
    free: tuple = ()  # issue 17: the nearest dates before and after whose week has room (weekly quota taken)


@dataclass
class CardState:
    proposal: dict
    placements: list[PlacementState]
    today: date
    tz: object

    @property
    def cancelled(self) -> bool:
        return self.proposal["status"] == "cancelled"

    @property
    def closed(self) -> bool:
        """Every placement has ended (published, declined, withdrawn, cancelled or not published): the card
        shows its final state, with no buttons but "Publié…" on a placement not published."""
        return not self.cancelled and is_closed([pl.row["status"] for pl in self.placements])


def card_state(relais, proposal_id: int, db=None, today: date | None = None) -> CardState | None:
    """Everything the card shows, read now: deadlines and warnings are as of today (or `today`)."""

    db = db or relais.db
    proposal = store.get(db, proposal_id)
    if proposal is None:
        return None
    today = today or relais.clock.today()
    days = for_relais(relais)
    outlets = by_slug(db)
    placements = []
    audiences = json.loads(proposal.get("audiences") or "[]")
    changes: dict[int, list[dict]] = {}
    for change in store.status_changes_of(db, proposal_id):
        changes.setdefault(change["placement_id"], []).append(change)
    ticks = store.ticked_items_of(db, proposal_id)
    for row in store.placements_of(db, proposal_id):
        outlet = outlets[row["outlet_slug"]]
        deadline = date.fromisoformat(row["deadline"])
        goes_out = date.fromisoformat(row["published_on"] or proposal["publish_on"])
        clashes = clashes_for(db, [outlet.slug], goes_out, exclude_proposal=proposal_id)[outlet.slug]
        notes = (
            []
            if proposal["status"] == "cancelled"
            else placement_notes(
                status=row["status"],
                deadline=deadline,
                today=today,
                days=days,
                outlet=outlet,
                clashes=clashes,
                publish_on=goes_out,
                audiences=audiences,
            )
        )
        undo = undo_target(changes.get(row["id"], []))
        if undo is not None and (
            undo["to_value"] != row["status"] or not undo["from_value"] or row["status"] == "not_published"
        ):
            undo = None
        reason = ""
        if row["status"] == "declined":
            declines = [c for c in changes.get(row["id"], []) if c["to_value"] == "declined"]
            reason = declines[-1]["note"] if declines else ""
        allowed = () if proposal["status"] == "cancelled" else next_statuses(row["status"], outlet.owner)
        placements.append(
            PlacementState(
                row=row,
                outlet=outlet,
                deadline=deadline,
                days_left=days_left(deadline, today, days),
                notes=notes,
                next=allowed,
                undo=None if proposal["status"] == "cancelled" else undo,
                reason=reason or "",
                ticked=frozenset(ticks.get(row["id"], ())),
                free=_free(relais, db, proposal, row, notes, today),
            )
        )
    state = CardState(proposal=proposal, placements=placements, today=today, tz=relais.settings.tz)
    if state.closed:  # its final state: nothing to withdraw or take back
        for pl in state.placements:
            pl.undo = None
    return state


def _free(relais, db, proposal: dict, row: dict, notes: list[Note], today: date) -> tuple:
    """Issue 17: where a planned placement whose week is full could move (dates before and after)."""
    if row["status"] != "planned" or not any(n.key == "propose.warn.quota" for n in notes):
        return ()
    return free_dates_for(relais, db, proposal["id"], row["outlet_slug"], today)


def when_text(tr, state: PlacementState, today: date) -> str:
    """'dans 3 jours ouvrables', "aujourd'hui", 'dépassée de 2 jours ouvrables'."""
    if state.deadline == today:
        return tr("propose.when.today")
    if state.days_left > 0:
        return tr("propose.when.in", left=business_days(tr, state.days_left))
    if state.deadline > today:
        return tr("propose.when.before_next")
    return tr("propose.when.late", late=business_days(tr, -state.days_left))


def title_line(tr, proposal: dict) -> str:
    title = escape(proposal["title"])
    if proposal["status"] == "cancelled":
        title = f"~{title}~"
    return tr("propose.card.title", id=str(proposal["id"]), title=title)


def card_blocks(tr, state: CardState, *, buttons: bool = True) -> list[dict]:
    p = state.proposal
    blocks = [section(title_line(tr, p))]
    facts = [
        tr("propose.card.owner", owner=f"<@{p['owner_id']}>"),
        tr("propose.card.category", category=category_label(tr, p["category"])),
        tr("propose.card.date", date=tr.date(date.fromisoformat(p["publish_on"]))),
    ]
    audiences = json.loads(p.get("audiences") or "[]")
    if audiences:
        facts.append(tr("propose.card.audiences", audiences=", ".join(audience_label(tr, a) for a in audiences)))
    blocks.append(fields(facts))
    if p.get("summary"):
        blocks.append(section(escape_cut(p["summary"], SUMMARY_SHOWN)))
    extra = []
    if p.get("link"):
        extra.append(tr("propose.card.link", link=escape(p["link"])))
    if p.get("notes"):
        extra.append(tr("propose.card.notes", notes=escape_cut(p["notes"], NOTES_SHOWN)))
    if extra:
        blocks.append(context(*extra))
    if state.cancelled:
        blocks.append(section(tr("propose.card.cancelled_banner", id=str(p["id"]))))
    elif state.closed:
        blocks.append(section(tr("propose.card.closed_banner", id=str(p["id"]))))
    blocks.append(divider())
    groups: list[list[dict]] = []  # each placement's blocks
    for pl in state.placements:
        group: list[dict] = []
        row = pl.row
        status = row["status"]
        head = tr(
            "propose.card.placement",
            emoji=STATUS_EMOJI.get(status, ""),
            outlet=escape(pl.outlet.name),
            status=status_label(tr, status),
        )
        if not pl.outlet.active:
            head += " " + tr("propose.card.outlet_inactive")
        lines = [head]
        if status == "planned" and pl.outlet.owner == "library":  # nothing to submit: the day it goes out
            lines.append(tr("propose.card.to_publish", date=tr.date(date.fromisoformat(p["publish_on"]))))
        elif status == "planned":
            lines.append(
                tr("propose.card.deadline_planned", deadline=tr.date(pl.deadline), when=when_text(tr, pl, state.today))
            )
        elif status == "not_published":
            lines.append(tr("propose.card.not_published", date=tr.date(date.fromisoformat(p["publish_on"]))))
        elif pl.outlet.owner != "library":
            lines.append(tr("propose.card.deadline", deadline=tr.date(pl.deadline)))
        if status == "published":
            day = date.fromisoformat(row["published_on"]) if row.get("published_on") else None
            lines.append(
                tr(
                    "propose.card.published",
                    date=tr.date(day) if day else "?",
                    url=escape(row.get("published_url") or ""),
                ).rstrip(" ·")
            )
        elif status in ("submitted", "accepted", "declined"):
            day = local_day(row.get("decided_at") if status != "submitted" else row.get("submitted_at"), state.tz)
            if day:
                label = status_label(tr, status)
                lines.append(tr("propose.card.since", status=label[:1].upper() + label[1:], date=tr.date(day)))
            if status == "declined" and pl.reason:
                lines.append(tr("propose.card.reason", reason=escape_cut(pl.reason, 500)))
        lines += submission_lines(tr, pl)
        group.append(section("\n".join(lines), block_id=f"pl-{row['id']}-text"))
        if pl.notes:
            group.append(
                context(
                    *[
                        ":warning: " + say(tr, n.key, **n.params)
                        if n.key != "propose.warn.checklist"
                        else ":clipboard: " + say(tr, n.key, **n.params)
                        for n in pl.notes
                    ][:10]
                )
            )
        if buttons and not state.cancelled:
            blocks += free_week_blocks(tr, p, pl)
        row_buttons = placement_buttons(tr, pl) if buttons and not state.cancelled else []
        if row_buttons:
            group.append(actions(row_buttons, block_id=f"pl-{row['id']}"))
        groups.append(group)
    tail: list[dict] = []
    if buttons and not state.cancelled and not state.closed:
        tail.append(
            actions(
                [
                    button(tr("edit.button"), "proposal_edit", value=str(p["id"])),
                    button(
                        tr("propose.button.cancel"),
                        "proposal_cancel",
                        value=str(p["id"]),
                        style="danger",
                        confirm=confirm(
                            tr("propose.confirm.title"),
                            tr("propose.confirm.text", id=str(p["id"]), title=escape_cut(p["title"], 80)),
                            tr("propose.confirm.yes"),
                            tr("propose.confirm.no"),
                        ),
                    ),
                ],
                block_id=f"proposal-{p['id']}",
            )
        )
    if buttons and not state.cancelled:
        tail += package_buttons(tr, state)
    return _paginated(tr, p["id"], blocks, groups, tail)


def _paginated(tr, proposal_id: int, head: list[dict], groups: list[list[dict]], tail: list[dict]) -> list[dict]:
    """Within Slack's 50 blocks and MAX_MESSAGE_CHARS of text (its notification text included): every
    placement that fits, then a line saying how many more and where to see them all (`/propose show N`),
    then the proposal's own buttons. Nothing is dropped silently."""
    blocks = list(head)
    room = MAX_BLOCKS - len(head) - len(tail)
    chars = MAX_MESSAGE_CHARS - MAX_FALLBACK - message_chars(head) - message_chars(tail)
    for shown, group in enumerate(groups):
        rest = len(groups) - shown
        more = context(tr.plural("propose.card.more", rest, id=str(proposal_id)))
        last = rest == 1
        if len(group) > room - (0 if last else 1) or message_chars(group) > chars - (
            0 if last else message_chars([more])
        ):
            blocks.append(more)
            break
        blocks.extend(group)
        room -= len(group)
        chars -= message_chars(group)
    return blocks + tail


# -- issue 17: the submission package on the card (own blocks, kept apart from the rest) -----------------
SUMMARY_SHOWN = 2000  # characters of the summary on the card, once escaped (the form takes 3,000)
NOTES_SHOWN = 1000  # likewise, the notes
TEXT_FOLD = 100  # characters of a placement's own text shown on the card


def submission_lines(tr, pl: PlacementState) -> list[str]:
    """The placement's own text, folded, and its checklist's progress ("3/4 fournis") while planned."""
    lines = []
    text = (pl.row.get("outlet_text") or "").strip()
    if text:
        folded = " ".join(text.split())
        lines.append(tr("propose.card.outlet_text", text=escape(_cut(folded, TEXT_FOLD + 1))))
    if pl.row["status"] == "planned" and pl.outlet.is_university and pl.outlet.checklist:
        done = len([item for item in pl.outlet.checklist if item in pl.ticked])
        lines.append(
            tr("propose.card.checklist_progress", done=tr.number(done), total=tr.number(len(pl.outlet.checklist)))
        )
    return lines


def free_week_buttons(tr, proposal: dict, free) -> list[dict]:
    """ "Déplacer au …": the proposal moved to the nearest date before / after whose week has room (value
    "<proposal id>:<new date>:<its date now>", so a button of a moved proposal is recognised as stale)."""
    out = []
    for side, day in zip(("before", "after"), free or (None, None), strict=True):
        if day is not None:
            value = f"{proposal['id']}:{day.isoformat()}:{proposal['publish_on']}"
            out.append(button(tr("propose.free.button", date=tr.date(day)), f"proposal_move_free_{side}", value=value))
    return out


def free_week_blocks(tr, proposal: dict, pl: PlacementState) -> list[dict]:
    if not pl.free:
        return []
    row = free_week_buttons(tr, proposal, pl.free)
    if not row:
        return [context(tr("propose.free.none", outlet=escape(pl.outlet.name), weeks=tr.number(FREE_WEEKS)))]
    return [actions(row, block_id=f"pl-{pl.row['id']}-free")]


def missing_checklist(pl: PlacementState) -> list[str]:
    return [item for item in pl.outlet.checklist if item not in pl.ticked]


def package_buttons(tr, state: CardState) -> list[dict]:
    """ "Préparer la soumission", one per university placement still planned, in a row of their own at the
    card's end (the workflow's buttons keep their places)."""
    out = [
        button(
            tr("propose.button.package", outlet=_cut(pl.outlet.name, 40)),
            "placement_package",
            value=str(pl.row["id"]),
        )
        for pl in state.placements
        if pl.row["status"] == "planned" and pl.outlet.is_university
    ]
    return [actions(out, block_id=f"package-buttons-{state.proposal['id']}")] if out else []


def submitted_confirm(tr, pl: PlacementState) -> dict | None:
    """ "Soumis" on an incomplete checklist asks first, naming what is missing."""
    missing = missing_checklist(pl)
    if pl.row["status"] != "planned" or not missing:
        return None
    text = tr("propose.submit_incomplete.text", outlet=escape(_cut(pl.outlet.name, 60)), missing="\u0000")
    room = 290 - len(text)
    names = escape(", ".join(missing))
    names = names if len(names) <= room else names[: max(room - 1, 0)] + "…"
    return confirm(
        tr("propose.submit_incomplete.title"),
        text.replace("\u0000", names),
        tr("propose.submit_incomplete.yes"),
        tr("propose.confirm.no"),
    )


def placement_buttons(tr, pl: PlacementState) -> list[dict]:
    """A placement's buttons: its next steps, "Retirer" while open, "Annuler le dernier changement" when a
    status change can be taken back (the last two confirmed first)."""
    row, status = pl.row, pl.row["status"]
    value = f"{row['id']}:{status}"
    outlet = escape(_cut(pl.outlet.name, 80))
    out = [
        button(
            tr("propose.button." + to),
            f"placement_{to}",
            value=value,
            style=BUTTON_STYLE.get(to),
            confirm=submitted_confirm(tr, pl) if to == "submitted" else None,
        )
        for to in pl.next
    ]
    if status in OPEN:
        out.append(
            button(
                tr("propose.button.withdraw"),
                "placement_withdraw",
                value=value,
                confirm=confirm(
                    tr("propose.withdraw.title"),
                    tr("propose.withdraw.text", outlet=outlet, id=str(row["proposal_id"])),
                    tr("propose.withdraw.yes"),
                    tr("propose.confirm.no"),
                ),
            )
        )
    if pl.undo is not None:
        out.append(
            button(
                tr("propose.button.undo"),
                "placement_undo",
                value=value,
                confirm=confirm(
                    tr("propose.undo.title"),
                    tr(
                        "propose.undo.text",
                        outlet=outlet,
                        **{"from": status_label(tr, status), "to": status_label(tr, pl.undo["from_value"])},
                    ),
                    tr("propose.undo.yes"),
                    tr("propose.confirm.no"),
                ),
            )
        )
    return out


def _cut(text: str, length: int) -> str:
    """At most `length` characters of what was typed (cut before escaping, so no entity is split)."""
    return text if len(text) <= length else text[: length - 1] + "…"


def card_text(tr, proposal: dict) -> str:
    """The notification text of the card."""
    return tr("propose.card.fallback", id=str(proposal["id"]), title=escape(proposal["title"]))


# -- outbox renderers ---------------------------------------------------------------------------
def _today(relais, now) -> date | None:
    return now.astimezone(relais.settings.tz).date() if now is not None else None


def render_card(relais, row: dict, now: datetime) -> Post | None:
    proposal_id = row["proposal_id"]
    state = card_state(relais, proposal_id, today=_today(relais, now))
    if state is None:
        return None
    tr = relais.tr
    blocks = card_blocks(tr, state)
    if state.proposal.get("card_ts"):  # already posted (a repeated send after a crash): update it
        return Post(
            channel=state.proposal["card_channel"],
            update_ts=state.proposal["card_ts"],
            blocks=blocks,
            text=card_text(tr, state.proposal),
        )

    seen = store.history_count(relais.db, proposal_id)

    def remember(db, channel, ts):
        if not ts:
            return
        store.set_card(db, proposal_id, channel, ts)
        if store.history_count(db, proposal_id) != seen:  # changed while the card was on its way: show it
            plan_card_update(relais, db, proposal_id, relais.clock.now())

    return Post(channel=row["target"], blocks=blocks, text=card_text(tr, state.proposal), on_sent=remember)


def render_card_update(relais, row: dict, now: datetime) -> Post | None:
    """The card as it is now; skipped while the card has not been posted (it will show this state then),
    and when a newer update of the same card is already owed (that one shows at least as much)."""
    proposal_id = row["proposal_id"]
    if outbox_rows.newer_pending(relais.db, "card_update", proposal_id, row["id"]):
        return None
    state = card_state(relais, proposal_id, today=_today(relais, now))
    if state is None or not state.proposal.get("card_ts"):
        return None
    tr = relais.tr
    return Post(
        channel=state.proposal["card_channel"],
        update_ts=state.proposal["card_ts"],
        blocks=card_blocks(tr, state),
        text=card_text(tr, state.proposal),
    )


def render_edit_note(relais, row: dict, now: datetime) -> Post:
    """The note in the card's thread saying what an edit changed and who changed it (kind "edit_note")."""
    proposal = store.get(relais.db, row["proposal_id"])
    if proposal is None or not proposal.get("card_ts"):
        raise Skip("the card is not posted: nothing to thread the note under")
    data = payload(row)
    tr = relais.tr
    names = {s: o.name for s, o in by_slug(relais.db).items()}
    actor = f"<@{data.get('actor')}>"
    lines = note_lines(tr, data.get("changes") or [], names)
    text = "\n".join([tr("edit.note.header", actor=actor), *lines])
    if len(text) > 2900:
        text = text[:2899] + "…"
    return Post(
        channel=proposal["card_channel"],
        thread_ts=proposal["card_ts"],
        blocks=[section(text)],
        text=tr("edit.note.fallback", id=str(proposal["id"]), actor=actor),
    )


# -- the daily refresh --------------------------------------------------------------------------
REFRESH_AT = (6, 0)  # local time: "dans N jours ouvrables" and the deadline warnings move on each day
REFRESH_SINCE = 5  # days: cards whose planned deadlines passed longer ago stop being refreshed


def refresh_cards(relais, now) -> list[str]:
    """Once a day (06:00 local), re-render the cards that count business days down to a deadline.

    One outbox row per card and day (unique key), so several processes or ticks plan it once."""
    tz = relais.settings.tz
    today = now.astimezone(tz).date()
    due = local_at(today, *REFRESH_AT, tz)
    if now < due:
        return []
    db = relais.db
    # Only the cards whose refresh of the day is not planned yet: after the first tick past 06:00, a
    # tick reads a few index entries and writes nothing (planners run every minute).
    rows = store.cards_to_refresh(
        db, deadlines_since=today - timedelta(days=REFRESH_SINCE), created_before=to_text(due), key_day=today
    )
    planned: list[str] = []
    if not rows:
        return planned
    with db.atomic():
        for proposal_id, channel in rows:
            key = f"card-refresh:{proposal_id}:{today.isoformat()}"
            if outbox_rows.plan(
                db, key=key, kind="card_update", due_at=due, target=channel, now=now, proposal_id=proposal_id
            ):
                planned.append(key)
    return planned

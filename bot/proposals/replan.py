"""Deadlines follow the rules: when the calendar's closures or an outlet's lead time change, the
deadline of every open placement (`planned`, proposal open) is recomputed, and where it moves its
reminders are re-planned, its card updated, and one note goes in the card's thread saying why.

    rules = current_rules(db)                                  # lead times and closures, as plain data
    moves = deadline_moves(placements, before, after)          # pure: which deadlines move, and why
    keys = follow_rules(relais)                                # applies them, one transaction per proposal
    keys = move_deadline(relais, db, placement_id, new, reason_key, reason_params, now)   # one placement

The rules last applied are kept in `kv` (key RULES_KEY): a start or a feed refresh with no change
reads them, compares and plans nothing; the first start ever records them and moves nothing. A
change is applied once: each placement is moved only while its deadline is still the one the move
was computed from (two processes starting together move it once), and the note's key is unique.

Outbox kind DEADLINE_MOVED (key `deadline-moved:<proposal>:<history count>`), rendered at send time
in the card's thread: skipped while the card has not been posted (it shows the new deadline when it
is) or once the proposal was cancelled.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.blocks import MAX_FALLBACK, MAX_MESSAGE_CHARS, context, escape, fit_lines, message_chars, sections
from bot.clock import to_text
from bot.outbox import Post, Skip, payload
from bot.proposals.outlets import by_slug
from bot.proposals.rules import deadline_for
from bot.proposals.views import business_days as bdays_text
from bot.proposals.views import say
from bot.proposals.workflow import plan_card_update
from bot.reminders import rules as reminders
from bot.workdays import BusinessDays
from storage import calendar as calendar_store
from storage import kv
from storage import outbox as rows
from storage import proposals as store

log = logging.getLogger("relais.replan")

DEADLINE_MOVED = "deadline_moved"
RULES_KEY = "rules:deadlines"
ACTOR = "relais"  # history rows written by the bot itself

REASON_LEAD = "replan.reason.lead_days"  # params: old, new (business days)
REASON_CLOSURE_ADDED = "replan.reason.closure_added"  # params: name, start, end (ISO days)
REASON_CLOSURE_REMOVED = "replan.reason.closure_removed"  # params: name
REASON_CALENDAR = "replan.reason.calendar"  # no params: the calendar changed, no single closure explains it


# -- the pure part --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rules:
    """What deadlines are computed from: each outlet's lead time (removed outlets too, with their last
    one), the closures (first day, last day, name; ISO days) and the holidays the calendar file declares."""

    lead_days: dict[str, int] = field(default_factory=dict)
    closures: tuple[tuple[str, str, str], ...] = ()
    holidays: tuple[str, ...] = ()

    def business_days(self) -> BusinessDays:
        return BusinessDays(
            closures=[(date.fromisoformat(s), date.fromisoformat(e)) for s, e, _ in self.closures],
            holidays=self.holidays,
        )

    def to_text(self) -> str:
        data = {"lead_days": dict(sorted(self.lead_days.items())), "closures": [list(c) for c in self.closures]}
        if self.holidays:  # left out when none: rules recorded before holidays existed read the same
            data["holidays"] = list(self.holidays)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_text(cls, text: str) -> Rules:
        data = json.loads(text)
        return cls(
            lead_days={k: int(v) for k, v in data.get("lead_days", {}).items()},
            closures=tuple(tuple(c) for c in data.get("closures", [])),
            holidays=tuple(data.get("holidays", [])),
        )


@dataclass(frozen=True)
class Move:
    placement_id: int
    proposal_id: int
    old: date
    new: date
    reason: str  # catalog key (REASON_*)
    params: dict = field(default_factory=dict)


def _overlaps(closure: tuple[str, str, str], first: date, last: date) -> bool:
    return date.fromisoformat(closure[0]) <= last and date.fromisoformat(closure[1]) >= first


def why(slug: str, old: date, new: date, publish_on: date, before: Rules, after: Rules) -> tuple[str, dict]:
    """The reason a deadline moved from `old` to `new`: the outlet's new lead time first, else the closure
    added (or removed) between the deadlines and the publication, else the calendar in general."""
    if slug in before.lead_days and before.lead_days[slug] != after.lead_days.get(slug):
        return REASON_LEAD, {"old": before.lead_days[slug], "new": after.lead_days[slug]}
    first, last = min(old, new), max(publish_on, old, new)
    added = [c for c in after.closures if c not in before.closures and _overlaps(c, first, last)]
    if added:
        name, start, end = added[0][2], added[0][0], added[0][1]
        return REASON_CLOSURE_ADDED, {"name": name, "start": start, "end": end}
    removed = [c for c in before.closures if c not in after.closures and _overlaps(c, first, last)]
    if removed:
        return REASON_CLOSURE_REMOVED, {"name": removed[0][2]}
    return REASON_CALENDAR, {}


def deadline_moves(placements: list[dict], before: Rules, after: Rules) -> list[Move]:
    """Which open placements' deadlines the rules `after` move, and why (compared with `before`).

    `placements`: dicts with id, proposal_id, outlet_slug, deadline and publish_on (ISO days or dates).
    A placement whose outlet has no known lead time is left alone."""
    days = after.business_days()
    moves = []
    for p in placements:
        lead = after.lead_days.get(p["outlet_slug"])
        if lead is None:
            continue
        publish_on, old = _day(p["publish_on"]), _day(p["deadline"])
        new = deadline_for(publish_on, lead, days)
        if new != old:
            reason, params = why(p["outlet_slug"], old, new, publish_on, before, after)
            moves.append(Move(p["id"], p["proposal_id"], old, new, reason, params))
    return moves


def _day(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


# -- the applying part ----------------------------------------------------------------------------
def current_rules(db) -> Rules:
    return Rules(
        lead_days={slug: o.lead_days for slug, o in by_slug(db).items()},
        closures=tuple(calendar_store.named_closures(db)),
        holidays=tuple(calendar_store.declared_holidays(db)),
    )


def reason_text(tr, reason: str, params: dict, outlet: str = "") -> str:
    """The reason in words (mrkdwn, escaped). A key other than REASON_* is said with its params
    (bot.proposals.views.say: dates and numbers formatted, texts escaped)."""
    if reason == REASON_LEAD:
        return tr(reason, outlet=escape(outlet), old=bdays_text(tr, params["old"]), new=bdays_text(tr, params["new"]))
    if reason == REASON_CLOSURE_ADDED:
        start, end = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])
        span = tr.date(start) if start == end else tr("replan.span", start=tr.date(start), end=tr.date(end))
        return tr(reason, name=escape(params["name"]), span=span)
    if reason == REASON_CLOSURE_REMOVED:
        return tr(reason, name=escape(params["name"]))
    if reason == REASON_CALENDAR:
        return tr(REASON_CALENDAR)
    return say(tr, reason, **params)  # another caller's reason (an edit...): its own catalog key


def move_deadline(
    relais,
    db,
    placement_id: int,
    new_deadline: date,
    reason_key: str,
    reason_params: dict,
    now: datetime,
    actor: str = ACTOR,
) -> list[str]:
    """Inside the caller's transaction: set the placement's deadline (history written, the reason as its
    note), withdraw its pending reminders of the old deadline (snoozed ones too) with the reason, and
    plan the reminders of the new one still ahead. Returns the reminder keys planned; [] when the
    deadline is already `new_deadline`. The card update and the thread note are the caller's
    (plan_card_update, plan_moved_note), once per proposal."""
    placement = store.placement(db, placement_id)
    if placement is None or placement["deadline"] == new_deadline.isoformat():
        return []
    note = reason_text(relais.tr, reason_key, reason_params, placement["outlet_name"])
    old = store.set_deadline(db, placement_id, new_deadline, actor=actor, now=to_text(now), note=note)
    rows.cancel(  # with the reason, for `check` and the outbox's history; the rest is an edit's path
        db,
        now,
        placement_id=placement_id,
        kinds=[reminders.DEADLINE],
        reason=f"deadline moved {old} -> {new_deadline.isoformat()} ({reason_key})",
    )
    return reminders.plan_deadline_reminders(relais, db, placement_id, now)


def plan_moved_note(relais, db, proposal_id: int, moves: list[Move], now: datetime) -> str | None:
    """One note in the card's thread for the moves of one proposal (already applied in this transaction)."""
    if not moves:
        return None
    proposal = store.get(db, proposal_id)
    key = f"deadline-moved:{proposal_id}:{store.history_count(db, proposal_id)}"
    rows.plan(
        db,
        key=key,
        kind=DEADLINE_MOVED,
        due_at=now,
        target=(proposal or {}).get("card_channel") or relais.settings.team_channel or "team",
        now=now,
        proposal_id=proposal_id,
        payload={
            "moves": [
                {
                    "placement": m.placement_id,
                    "old": m.old.isoformat(),
                    "new": m.new.isoformat(),
                    "reason": m.reason,
                    "params": m.params,
                }
                for m in moves
            ]
        },
    )
    return key


def apply_moves(relais, moves: list[Move], now: datetime) -> list[str]:
    """One transaction per proposal: each move still valid (placement planned, proposal open, deadline
    unchanged since it was computed) is applied; then the card update and one thread note."""
    db = relais.db
    keys: list[str] = []
    by_proposal: dict[int, list[Move]] = {}
    for m in moves:
        by_proposal.setdefault(m.proposal_id, []).append(m)
    for proposal_id, group in by_proposal.items():
        with db.atomic():
            store.lock_proposal(db, proposal_id)
            applied = []
            for m in group:
                current = store.placement(db, m.placement_id)
                if (
                    current is None
                    or current["status"] != "planned"
                    or current["proposal_status"] != "open"
                    or current["deadline"] != m.old.isoformat()
                ):
                    continue
                keys += move_deadline(relais, db, m.placement_id, m.new, m.reason, m.params, now)
                applied.append(m)
            if applied:
                keys.append(plan_card_update(relais, db, proposal_id, now))
                note = plan_moved_note(relais, db, proposal_id, applied, now)
                assert note is not None  # there are moves
                keys.append(note)
                log.info("proposal %s: %d deadline(s) moved", proposal_id, len(applied))
    return keys


def follow_rules(relais, now: datetime | None = None) -> list[str]:
    """After the configuration files are synced and after each feed refresh: move the deadlines the
    current rules move. Returns the outbox keys planned (reminders, card updates, notes)."""
    db = relais.db
    now = now or relais.clock.now()
    after = current_rules(db)
    text = after.to_text()
    known = kv.get(db, RULES_KEY)
    if known == text:
        return []
    if known is None:  # the first start: today's deadlines were computed with today's rules
        with db.atomic():
            kv.put(db, RULES_KEY, text, to_text(now))
        return []
    before = Rules.from_text(known)
    keys = apply_moves(relais, deadline_moves(store.open_planned_placements(db), before, after), now)
    with db.atomic():
        kv.put(db, RULES_KEY, text, to_text(now))
    return keys


# -- the note in the card's thread ----------------------------------------------------------------
def render_deadline_moved(relais, row: dict, now: datetime) -> Post | None:
    db, tr = relais.db, relais.tr
    proposal = store.get(db, row["proposal_id"])
    if proposal is None:
        raise Skip("proposal gone")
    if proposal["status"] != "open":
        raise Skip("proposal cancelled")
    if not proposal.get("card_ts"):
        raise Skip("card not posted: it shows the new deadline")
    lines = []
    for m in payload(row)["moves"]:
        placement = store.placement(db, m["placement"])
        outlet = placement["outlet_name"] if placement else "?"
        lines.append(
            tr(
                "replan.note.line",
                outlet=escape(outlet),
                old=tr.date(date.fromisoformat(m["old"])),
                new=tr.date(date.fromisoformat(m["new"])),
                reason=reason_text(tr, m["reason"], m.get("params") or {}, outlet),
            )
        )
    head = tr("replan.note.header", id=str(proposal["id"]), title=escape(proposal["title"]))
    tail = context(tr("replan.note.context"))
    room = MAX_MESSAGE_CHARS - MAX_FALLBACK - message_chars([tail]) - len(head) - 1
    lines = fit_lines(lines, room, lambda left: tr("common.and_more", count=tr.number(left)))
    return Post(
        channel=proposal["card_channel"],
        thread_ts=proposal["card_ts"],
        blocks=[*sections(head + "\n" + "\n".join(lines)), tail],
        text=tr("replan.note.fallback", id=str(proposal["id"]), title=escape(proposal["title"])),
    )

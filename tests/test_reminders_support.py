"""Helpers shared by the reminder, outbox and scheduler tests (no tests here).

Proposals are created as the /propose surface creates them: storage.proposals.create, the card
owed (bot.proposals.workflow.card_row) and the reminder hook, in one transaction, on the SQLite file that
the processes under test use. Status changes go through bot.proposals.workflow.change_status.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from bot.clock import parse_instant, to_text
from bot.proposals import workflow
from bot.reminders import rules as reminders
from storage import outbox as rows
from storage import proposals as store

OWNER = "U0JULIETTE"
MY_KINDS = ("deadline", "stats")
_LINE = re.compile(r"^(\S+) \S+ ?: (\S+) (\S+) → (\S+)$")


def at(relais, text: str) -> datetime:
    """An instant: local (TIMEZONE) unless the text has an offset."""
    return parse_instant(text, relais.settings.tz)


def propose(
    relais,
    *,
    publish_on: date,
    outlets: dict[str, date],
    title: str = "Zooanimation aux examens",
    owner: str = OWNER,
    when: str | None = None,
    card: bool = False,
) -> tuple[int, dict[str, int]]:
    """A proposal registered at `when` (default: the relais clock); returns its id and {slug: placement id}."""
    now = at(relais, when) if when else relais.clock.now()
    db = relais.db
    with db.atomic():
        proposal_id = store.create(
            db, title=title, publish_on=publish_on, owner_id=owner, outlets=list(outlets.items()), now=to_text(now)
        )
        if card:
            rows.plan_keys(db, [workflow.card_row(relais, proposal_id, now)], now)
        reminders.plan_created(relais, db, proposal_id, now)
    return proposal_id, {p["outlet_slug"]: p["id"] for p in store.placements_of(db, proposal_id)}


def move(
    relais, placement_id: int, *statuses: str, when: str, published_on: date | None = None, actor: str = "U0COMMS"
) -> None:
    """Walk a placement through `statuses` at `when`, as the comms team does with the card's buttons."""
    relais.clock.freeze(at(relais, when))
    for status in statuses:
        outcome = workflow.change_status(
            relais,
            placement_id=placement_id,
            to=status,
            actor=actor,
            published_on=published_on if status == "published" else None,
            deliver=False,
        )
        assert outcome.ok, outcome.key


def record_figures(relais, placement_id: int, when: str, views: int = 1200, interactions: int = 80) -> None:
    from storage import stats

    with relais.db.atomic():
        stats.record(
            relais.db,
            placement_id,
            views=views,
            interactions=interactions,
            avg_seconds=None,
            recorded_by=OWNER,
            recorded_at=to_text(at(relais, when)),
        )


def mine(db, **filters) -> list[dict]:
    return [r for r in rows.rows(db, **filters) if r["kind"] in MY_KINDS]


def keys_by_status(db) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in mine(db):
        out.setdefault(row["status"], []).append(row["key"])
    return out


def sent_lines(stdout: str, kinds=MY_KINDS) -> list[tuple[str, str, str]]:
    """`tick` output as (kind, key, channel), reminders only (other features tick too)."""
    out = []
    for line in stdout.splitlines():
        match = _LINE.match(line.strip())
        if match and match.group(2) in kinds:
            out.append((match.group(2), match.group(3), match.group(4)))
    return out


def reminder_posts(standin) -> list:
    """chat.postMessage calls that are reminders (deadline or stats), in order."""
    out = []
    for call in standin.calls("chat.postMessage"):
        ids = [b.get("block_id") or "" for b in call.args.get("blocks") or []]
        if any(i.startswith(("reminder-", "stats-reminder-")) for i in ids):
            out.append(call)
    return out


def placement_of(call) -> int | None:
    for block in call.args.get("blocks") or []:
        if (block.get("block_id") or "").startswith("reminder-text-"):
            return int(block["block_id"].rsplit("-", 1)[1])
    return None


def buttons(call) -> list[dict]:
    found = []
    for block in call.args.get("blocks") or []:
        if block.get("type") == "actions":
            found.extend(block["elements"])
        if block.get("accessory", {}).get("type") == "button":
            found.append(block["accessory"])
    return found

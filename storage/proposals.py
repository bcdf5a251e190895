"""Proposals, their placements (proposal x outlet) and their history.

Nothing is deleted: a proposal is cancelled, a placement moves through its statuses, and every
change is a history row (who, when, from, to). Callers wrap writes in `db.atomic()` together
with the outbox rows the change plans.
"""

from __future__ import annotations

import json
from datetime import date

from sqlite_utils import Database

from storage.db import inserted_id
from storage.rows import HistoryRow, PlacementRow, ProposalRow

PLACEMENT_STATUSES = (
    "planned",
    "submitted",
    "accepted",
    "declined",
    "published",
    "cancelled",
    "withdrawn",
    "not_published",
)
ACTIVE_PLACEMENT = ("planned", "submitted", "accepted", "published")  # what counts against a weekly quota


def create(
    db: Database,
    *,
    title: str,
    publish_on: date,
    owner_id: str,
    outlets: list[tuple[str, date]],
    now: str,
    summary: str = "",
    category: str = "one-off",
    audiences: list[str] | None = None,
    link: str = "",
    notes: str = "",
    cycle_key: str | None = None,
    texts: dict[str, str] | None = None,
    cycle_period: tuple[date, date] | None = None,
    placement_ids: dict[str, int] | None = None,
) -> int:
    """A proposal and one planned placement per (outlet slug, deadline), with its text for that outlet from
    `texts` (slug -> text); returns the proposal id. `cycle_period`: the first and last day of the return of
    its cycle it is for. `placement_ids`, when given, receives each outlet's placement id."""
    cursor = db.execute(
        """INSERT INTO proposals (title, summary, category, audiences, publish_on, link, notes, owner_id, status,
                                  cycle_key, cycle_start, cycle_end, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)""",
        [
            title,
            summary,
            category,
            json.dumps(audiences or [], ensure_ascii=False),
            publish_on.isoformat(),
            link,
            notes,
            owner_id,
            cycle_key,
            cycle_period[0].isoformat() if cycle_key and cycle_period else None,
            cycle_period[1].isoformat() if cycle_key and cycle_period else None,
            now,
            now,
        ],
    )
    proposal_id = inserted_id(cursor)
    ids = placement_ids if placement_ids is not None else {}
    for slug, deadline in outlets:
        ids[slug] = inserted_id(
            db.execute(
                """INSERT INTO placements (proposal_id, outlet_slug, deadline, status, updated_at, outlet_text)
                   VALUES (?, ?, ?, 'planned', ?, ?)""",
                [proposal_id, slug, deadline.isoformat(), now, (texts or {}).get(slug, "")],
            )
        )
    add_history(db, proposal_id, None, owner_id, now, "created", None, "open")
    return proposal_id


def get(db: Database, proposal_id: int) -> ProposalRow | None:
    rows = list(db.query("SELECT * FROM proposals WHERE id = ?", [proposal_id]))
    return rows[0] if rows else None


def placements_of(db: Database, proposal_id: int) -> list[PlacementRow]:
    """The proposal's placements with their outlet's name, owner and platform, in the outlets' order."""
    return list(
        db.query(
            """SELECT p.*, o.name AS outlet_name, o.owner AS outlet_owner, o.platform AS outlet_platform,
                  o.lead_days AS outlet_lead_days, o.per_week AS outlet_per_week, o.checklist AS outlet_checklist
           FROM placements p JOIN outlets o ON o.slug = p.outlet_slug
           WHERE p.proposal_id = ? ORDER BY o.position, o.slug""",
            [proposal_id],
        )
    )


_PLACEMENT = """SELECT p.*, o.name AS outlet_name, o.owner AS outlet_owner, o.platform AS outlet_platform,
                  o.follow_up_days AS outlet_follow_up_days,
                  r.title AS proposal_title, r.owner_id AS proposal_owner, r.status AS proposal_status,
                  r.publish_on AS proposal_publish_on
           FROM placements p JOIN outlets o ON o.slug = p.outlet_slug JOIN proposals r ON r.id = p.proposal_id"""


def placement(db: Database, placement_id: int) -> PlacementRow | None:
    """The placement with its outlet's and its proposal's columns."""
    return next(db.query(_PLACEMENT + " WHERE p.id = ?", [placement_id]), None)


def placement_by_outlet(db: Database, proposal_id: int, slug: str) -> PlacementRow | None:
    """As placement(), found by its proposal and outlet."""
    return next(db.query(_PLACEMENT + " WHERE p.proposal_id = ? AND p.outlet_slug = ?", [proposal_id, slug]), None)


EDITABLE = ("title", "summary", "category", "audiences", "publish_on", "link", "notes", "owner_id")


def update_fields(db: Database, proposal_id: int, changes: dict, *, actor: str, now: str) -> None:
    """Set the proposal's `changes` ({column: new value}, columns of EDITABLE; audiences a list, publish_on a
    date) with one history row per column ("edited", old, new; note the column name)."""
    current = get(db, proposal_id)
    assert current is not None, proposal_id  # callers edit a proposal they have read
    for column, value in changes.items():
        if column not in EDITABLE:
            raise ValueError(column)
        if column == "audiences":
            value = json.dumps(list(value), ensure_ascii=False)
        elif column == "publish_on":
            value = value.isoformat()
        db.execute(f"UPDATE proposals SET {column} = ?, updated_at = ? WHERE id = ?", [value, now, proposal_id])
        add_history(db, proposal_id, None, actor, now, "edited", str(current[column]), str(value), column)
    db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [now, proposal_id])


def add_placement(db: Database, proposal_id: int, slug: str, deadline: date, *, actor: str, now: str) -> int:
    """An outlet added to a proposal: a new planned placement, or its withdrawn one planned again (one row
    per proposal and outlet); history written. Returns the placement id."""
    row = db.execute(
        "SELECT id, status FROM placements WHERE proposal_id = ? AND outlet_slug = ?", [proposal_id, slug]
    ).fetchone()
    if row is None:
        cursor = db.execute(
            """INSERT INTO placements (proposal_id, outlet_slug, deadline, status, updated_at)
               VALUES (?, ?, ?, 'planned', ?)""",
            [proposal_id, slug, deadline.isoformat(), now],
        )
        placement_id = cursor.lastrowid
        assert placement_id is not None  # set by the INSERT
        add_history(db, proposal_id, placement_id, actor, now, "added", None, "planned")
        return placement_id
    placement_id, _status = row
    db.execute(
        "UPDATE placements SET deadline = ?, submitted_at = NULL, decided_at = NULL WHERE id = ?",
        [deadline.isoformat(), placement_id],
    )
    set_placement_status(db, placement_id, "planned", actor=actor, now=now)
    return placement_id


def set_card(db: Database, proposal_id: int, channel: str, ts: str) -> None:
    db.execute("UPDATE proposals SET card_channel = ?, card_ts = ? WHERE id = ?", [channel, ts, proposal_id])


def set_placement_status(
    db: Database,
    placement_id: int,
    status: str,
    *,
    actor: str,
    now: str,
    published_on: date | None = None,
    published_url: str | None = None,
    note: str = "",
) -> str:
    """Move a placement to `status`, stamping the matching column, and write the history; returns the old status."""
    if status not in PLACEMENT_STATUSES:
        raise ValueError(status)
    row = db.execute("SELECT status, proposal_id FROM placements WHERE id = ?", [placement_id]).fetchone()
    old, proposal_id = row
    stamp = {"submitted": "submitted_at", "accepted": "decided_at", "declined": "decided_at"}.get(status)
    sets: list[str] = ["status = ?", "updated_at = ?"]
    params: list[str | None] = [status, now]
    if stamp:
        sets.append(f"{stamp} = ?")
        params.append(now)
    if status == "published":
        sets += ["published_on = ?", "published_url = ?"]
        params += [published_on.isoformat() if published_on else None, published_url]
    db.execute(f"UPDATE placements SET {', '.join(sets)} WHERE id = ?", [*params, placement_id])
    db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [now, proposal_id])
    add_history(db, proposal_id, placement_id, actor, now, "status", old, status, note)
    return old


def revert_placement_status(
    db: Database, placement_id: int, status: str, *, actor: str, now: str, note: str = ""
) -> str:
    """Put a placement back in `status` (an undo): the stamps of the statuses it keeps are left as they
    were, a publication it leaves is forgotten; history row `undo`. Returns the status it was in."""
    if status not in PLACEMENT_STATUSES:
        raise ValueError(status)
    old, proposal_id = db.execute("SELECT status, proposal_id FROM placements WHERE id = ?", [placement_id]).fetchone()
    sets = ["status = ?", "updated_at = ?"]
    if status != "published":
        sets += ["published_on = NULL", "published_url = NULL"]
    db.execute(f"UPDATE placements SET {', '.join(sets)} WHERE id = ?", [status, now, placement_id])
    db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [now, proposal_id])
    add_history(db, proposal_id, placement_id, actor, now, "undo", old, status, note)
    return old


def status_changes(db: Database, placement_id: int) -> list[dict]:
    """A placement's status changes and undos (history rows `status` and `undo`), oldest first."""
    return list(
        db.query(
            "SELECT * FROM history WHERE placement_id = ? AND action IN ('status', 'undo') ORDER BY id", [placement_id]
        )
    )


def status_changes_of(db: Database, proposal_id: int) -> list[dict]:
    """The status changes and undos of all a proposal's placements, oldest first (for its card)."""
    return list(
        db.query(
            """SELECT * FROM history WHERE proposal_id = ? AND placement_id IS NOT NULL
               AND action IN ('status', 'undo') ORDER BY id""",
            [proposal_id],
        )
    )


def cancel(db: Database, proposal_id: int, *, actor: str, now: str, note: str = "") -> None:
    """Cancel the proposal and every placement not yet published (a withdrawn one stays withdrawn); history kept."""
    for p in db.query(
        """SELECT id FROM placements WHERE proposal_id = ?
           AND status NOT IN ('published', 'cancelled', 'withdrawn')""",
        [proposal_id],
    ):
        set_placement_status(db, p["id"], "cancelled", actor=actor, now=now, note=note)
    db.execute("UPDATE proposals SET status = 'cancelled', updated_at = ? WHERE id = ?", [now, proposal_id])
    add_history(db, proposal_id, None, actor, now, "cancelled", "open", "cancelled", note)


def add_history(
    db: Database,
    proposal_id: int,
    placement_id: int | None,
    actor: str,
    at: str,
    action: str,
    from_value: str | None,
    to_value: str | None,
    note: str = "",
) -> None:
    db.execute(
        """INSERT INTO history (proposal_id, placement_id, actor, at, action, from_value, to_value, note)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        [proposal_id, placement_id, actor, at, action, from_value, to_value, note],
    )


def history(db: Database, proposal_id: int) -> list[HistoryRow]:
    return list(
        db.query(
            """SELECT h.*, p.outlet_slug FROM history h LEFT JOIN placements p ON p.id = h.placement_id
           WHERE h.proposal_id = ? ORDER BY h.id""",
            [proposal_id],
        )
    )


def open_proposals(db: Database, owner_id: str | None = None, limit: int = 50) -> list[ProposalRow]:
    """Open proposals still under way (a placement not settled yet: planned, submitted or accepted), soonest
    publication first (optionally one owner's). One whose placements have all ended (published, declined,
    withdrawn...) is done, as an imported one is: not listed."""
    where, params = (
        [
            "status = 'open'",
            """EXISTS (SELECT 1 FROM placements p WHERE p.proposal_id = proposals.id
                   AND p.status IN ('planned', 'submitted', 'accepted'))""",
        ],
        [],
    )
    if owner_id:
        where.append("owner_id = ?")
        params.append(owner_id)
    return list(
        db.query(
            f"SELECT * FROM proposals WHERE {' AND '.join(where)} ORDER BY publish_on, id LIMIT ?", [*params, limit]
        )
    )


CARD = "r.card_channel AS proposal_card_channel, r.card_ts AS proposal_card_ts"  # where its proposal's card is


def week_placements(db: Database, slug: str, monday: date, exclude_proposal: int | None = None) -> list[PlacementRow]:
    """Live placements on `slug` whose publication falls in the week starting `monday` (weekly quota)."""
    sunday = date.fromordinal(min(monday.toordinal() + 6, date.max.toordinal()))  # the week of 9999-12-31 too
    # A placement goes out on its publication day once published, else on its proposal's wanted day:
    # two disjoint searches, each on an index of that day (proposals_publish_on, placements_published;
    # `+p.outlet_slug` keeps SQLite off the outlet's index), so the cost is that week's rows, not every
    # placement the outlet ever had.
    live = ", ".join("?" for _ in ACTIVE_PLACEMENT)
    week = [monday.isoformat(), sunday.isoformat()]
    return list(
        db.query(
            f"""SELECT p.*, r.title AS proposal_title, r.publish_on AS goes_out, {CARD}
            FROM proposals r CROSS JOIN placements p ON p.proposal_id = r.id
            WHERE r.status = 'open' AND r.publish_on BETWEEN ? AND ? AND r.id IS NOT ?
              AND p.outlet_slug = ? AND p.published_on IS NULL AND p.status IN ({live})
            UNION ALL
            SELECT p.*, r.title AS proposal_title, p.published_on AS goes_out, {CARD}
            FROM placements p CROSS JOIN proposals r ON r.id = p.proposal_id
            WHERE p.status IN ({live}) AND p.published_on BETWEEN ? AND ? AND +p.outlet_slug = ?
              AND r.status = 'open' AND r.id IS NOT ?
            ORDER BY goes_out, id""",
            [*week, exclude_proposal, slug, *ACTIVE_PLACEMENT, *ACTIVE_PLACEMENT, *week, slug, exclude_proposal],
        )
    )


def history_count(db: Database, proposal_id: int) -> int:
    """How many history rows the proposal has: a change counter for the card."""
    return db.execute("SELECT COUNT(*) FROM history WHERE proposal_id = ?", [proposal_id]).fetchone()[0]


def proposal_id_of(db: Database, placement_id: int) -> int:
    return db.execute("SELECT proposal_id FROM placements WHERE id = ?", [placement_id]).fetchone()[0]


def lock_placement(db: Database, placement_id: int) -> None:
    """Take SQLite's write lock first (a no-op write), so two clicks at once are decided one after the other."""
    db.execute("UPDATE placements SET updated_at = updated_at WHERE id = ?", [placement_id])


def lock_proposal(db: Database, proposal_id: int) -> None:
    db.execute("UPDATE proposals SET updated_at = updated_at WHERE id = ?", [proposal_id])


def cards_to_refresh(
    db: Database, *, deadlines_since: date, created_before: str, key_day: date
) -> list[tuple[int, str]]:
    """(proposal id, card channel) of the open, posted cards with a planned placement whose deadline is on
    or after `deadlines_since`, created before `created_before`, whose refresh of `key_day` is not planned
    yet (`card-refresh:<id>:<day>` in the outbox)."""
    return db.execute(
        """SELECT DISTINCT r.id, r.card_channel FROM proposals r JOIN placements p ON p.proposal_id = r.id
           WHERE r.status = 'open' AND r.card_ts IS NOT NULL AND p.status = 'planned' AND p.deadline >= ?
             AND r.created_at < ?
             AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = 'card-refresh:' || r.id || ':' || ?)""",
        [deadlines_since.isoformat(), created_before, key_day.isoformat()],
    ).fetchall()


def open_planned_placements(db: Database) -> list[dict]:
    """The placements whose deadline still matters: `planned`, of an open proposal, with its publication day."""
    return list(
        db.query(
            """SELECT p.id, p.proposal_id, p.outlet_slug, p.deadline, r.publish_on
           FROM placements p JOIN proposals r ON r.id = p.proposal_id
           WHERE p.status = 'planned' AND r.status = 'open' ORDER BY p.proposal_id, p.id"""
        )
    )


def set_deadline(
    db: Database, placement_id: int, deadline: date, *, actor: str, now: str, note: str = ""
) -> str | None:
    """Move a placement's deadline and write the history (action `deadline`, `note` saying why); returns
    the old deadline, or None when it was already that day (nothing written)."""
    old, proposal_id = db.execute(
        "SELECT deadline, proposal_id FROM placements WHERE id = ?", [placement_id]
    ).fetchone()
    if old == deadline.isoformat():
        return None
    db.execute(
        "UPDATE placements SET deadline = ?, updated_at = ? WHERE id = ?", [deadline.isoformat(), now, placement_id]
    )
    db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [now, proposal_id])
    add_history(db, proposal_id, placement_id, actor, now, "deadline", old, deadline.isoformat(), note)
    return old


def open_placements_before(db: Database, day: date) -> list[dict]:
    """Placements still open (planned, submitted or accepted) of proposals not cancelled whose publication
    date is before `day` (the "not published" candidates), oldest first. Read from the open placements
    (an index search by status) and their proposals: as many rows as work under way, whatever the years of
    history (every past proposal stays `open`; starting from proposals_publish_on read them all, each tick)."""
    return list(
        db.query(
            """SELECT p.id, p.proposal_id, p.status, r.publish_on
           FROM placements p CROSS JOIN proposals r ON r.id = p.proposal_id
           WHERE p.status IN ('planned', 'submitted', 'accepted') AND r.status = 'open' AND r.publish_on < ?
           ORDER BY r.publish_on, p.proposal_id, p.id""",
            [day.isoformat()],
        )
    )


def all_proposals(db: Database, limit: int = 50) -> list[ProposalRow]:
    """Every proposal, open, closed or cancelled, newest publication first, with `open_count` (its
    placements still planned, submitted or accepted) to tell a closed one."""
    return list(
        db.query(
            """SELECT r.*, (SELECT COUNT(*) FROM placements p WHERE p.proposal_id = r.id
                              AND p.status IN ('planned', 'submitted', 'accepted')) AS open_count
           FROM proposals r ORDER BY r.publish_on DESC, r.id DESC LIMIT ?""",
            [limit],
        )
    )


def count_proposals(db: Database) -> int:
    return db.execute("SELECT COUNT(*) FROM proposals").fetchone()[0]


# -- issue 17: per-outlet texts and the submission checklist -----------------------------------------------
def set_outlet_text(db: Database, placement_id: int, text: str, *, actor: str, now: str) -> bool:
    """The placement's own text for its outlet; history row `text` (old, new) when it changed. True if changed."""
    old, proposal_id = db.execute(
        "SELECT outlet_text, proposal_id FROM placements WHERE id = ?", [placement_id]
    ).fetchone()
    if (old or "") == text:
        return False
    db.execute("UPDATE placements SET outlet_text = ?, updated_at = ? WHERE id = ?", [text, now, placement_id])
    db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [now, proposal_id])
    add_history(db, proposal_id, placement_id, actor, now, "text", old or "", text)
    return True


def checklist_ticks(db: Database, placement_id: int) -> dict[str, dict]:
    """The placement's checklist items ticked: {item: {"ticked_by", "ticked_at"}}."""
    return {
        r["item"]: r
        for r in db.query(
            """SELECT item, ticked_by, ticked_at FROM checklist_ticks WHERE placement_id = ? AND ticked = 1
               ORDER BY ticked_at, item""",
            [placement_id],
        )
    }


def ticked_items_of(db: Database, proposal_id: int) -> dict[int, set[str]]:
    """{placement id: items ticked} for every placement of a proposal (for its card)."""
    out: dict[int, set[str]] = {}
    for placement_id, item in db.execute(
        """SELECT t.placement_id, t.item FROM checklist_ticks t JOIN placements p ON p.id = t.placement_id
           WHERE p.proposal_id = ? AND t.ticked = 1""",
        [proposal_id],
    ):
        out.setdefault(placement_id, set()).add(item)
    return out


def set_ticks(
    db: Database, placement_id: int, ticked: list[str], untouched: list[str], *, actor: str, now: str
) -> list:
    """Make the ticked items exactly `ticked` among the items not in `untouched` (items the package did not
    show): new ticks and unticks stored (an unticked item keeps its row, ticked = 0), one history row each (`checklist`, from/to "0"/"1", note the item).
    Returns [(item, ticked: bool)] of what changed."""
    current = checklist_ticks(db, placement_id)
    proposal_id = proposal_id_of(db, placement_id)
    changed = []
    for item in ticked:
        if item not in current:
            db.execute(
                """INSERT INTO checklist_ticks (placement_id, item, ticked, ticked_by, ticked_at) VALUES (?, ?, 1, ?, ?)
                   ON CONFLICT (placement_id, item) DO UPDATE SET ticked = 1, ticked_by = excluded.ticked_by,
                       ticked_at = excluded.ticked_at""",
                [placement_id, item, actor, now],
            )
            add_history(db, proposal_id, placement_id, actor, now, "checklist", "0", "1", item)
            changed.append((item, True))
    for item in current:
        if item not in ticked and item not in untouched:
            db.execute(
                "UPDATE checklist_ticks SET ticked = 0, ticked_by = ?, ticked_at = ? WHERE placement_id = ? AND item = ?",
                [actor, now, placement_id, item],
            )
            add_history(db, proposal_id, placement_id, actor, now, "checklist", "1", "0", item)
            changed.append((item, False))
    if changed:
        db.execute("UPDATE proposals SET updated_at = ? WHERE id = ?", [now, proposal_id])
    return changed

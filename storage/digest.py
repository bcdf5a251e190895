"""What the weekly digest reads: plain rows, no rules (bot.digest.rules computes the digest from them).

    going_out(db, first, last)     live placements of open proposals going out between two days
    deadlines(db, first, last)     placements still `planned` whose submission deadline falls between two days
    submitted(db)                  placements of open proposals waiting for the university's answer
    overdue(db, today)             placements still `planned` whose deadline has passed
    not_published_since(db, since) placements that became `not_published` since an instant
    published(db)                  published placements with their latest stats snapshot (or none)
    term_starts(db, until)         the first days of the `term-start` events up to a day
    events_starting(db, kinds, first, last)   active calendar events of these kinds starting between two days
    cycle_proposals(db, keys)      open proposals made from these cycles
    digest_planned_before(db, due) whether any digest row was planned for before `due` (catch-up rule)
    retime_pending(db, key, ...)   move a pending digest to another instant (DIGEST_AT changed, CLI)

Days are ISO dates ('YYYY-MM-DD'), instants UTC text (bot.clock.to_text).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlite_utils import Database

from storage.rows import Row
from storage.stats import known

LIVE = ("planned", "submitted", "accepted", "published")  # a placement that still goes out

_PLACEMENT_COLUMNS = """
    p.id AS placement_id, p.proposal_id, p.outlet_slug, p.status, p.deadline, p.submitted_at,
    p.published_on, COALESCE(p.published_on, r.publish_on) AS goes_out,
    r.title, r.owner_id, r.category, r.publish_on, r.status AS proposal_status,
    o.name AS outlet_name, o.owner AS outlet_owner, o.position AS outlet_position,
    o.follow_up_days AS outlet_follow_up_days
"""
_PLACEMENT_JOINS = """
    FROM placements p
    JOIN proposals r ON r.id = p.proposal_id
    JOIN outlets o ON o.slug = p.outlet_slug
"""


def _marks(values: Iterable[object]) -> str:
    return ", ".join("?" for _ in values)


def going_out(db: Database, first: date, last: date) -> list[Row]:
    """Placements (planned, submitted, accepted or published) of open proposals whose publication day
    (the day it was published, else the wanted day) is between `first` and `last`, inclusive."""
    # Two searches on an index of the day (published: placements_published; not yet: proposals_publish_on).
    live = ", ".join(f":s{i}" for i in range(len(LIVE)))
    return list(
        db.query(
            f"""SELECT {_PLACEMENT_COLUMNS} {_PLACEMENT_JOINS}
            WHERE p.status IN ({live}) AND p.published_on BETWEEN :first AND :last AND r.status = 'open'
            UNION ALL
            SELECT {_PLACEMENT_COLUMNS}
            FROM proposals r CROSS JOIN placements p ON p.proposal_id = r.id JOIN outlets o ON o.slug = p.outlet_slug
            WHERE r.status = 'open' AND r.publish_on BETWEEN :first AND :last AND p.published_on IS NULL
              AND p.status IN ({live})
            ORDER BY goes_out, proposal_id, outlet_position, outlet_slug""",
            {**{f"s{i}": s for i, s in enumerate(LIVE)}, "first": first.isoformat(), "last": last.isoformat()},
        )
    )


def deadlines(db: Database, first: date, last: date) -> list[Row]:
    """Placements of open proposals not yet submitted (`planned`) whose deadline is between `first` and `last`."""
    return list(
        db.query(
            f"""SELECT {_PLACEMENT_COLUMNS} {_PLACEMENT_JOINS}
            WHERE r.status = 'open' AND p.status = 'planned' AND p.deadline BETWEEN ? AND ?
            ORDER BY p.deadline, r.id, o.position, o.slug""",
            [first.isoformat(), last.isoformat()],
        )
    )


def submitted(db: Database) -> list[Row]:
    """Placements of open proposals submitted to the outlet and still waiting for its answer."""
    return list(
        db.query(
            f"""SELECT {_PLACEMENT_COLUMNS} {_PLACEMENT_JOINS}
            WHERE r.status = 'open' AND p.status = 'submitted'
            ORDER BY p.submitted_at, r.id, o.position, o.slug""",
        )
    )


def overdue(db: Database, today: date) -> list[Row]:
    """Placements of open proposals still `planned` on a university outlet whose deadline is before `today`."""
    return list(
        db.query(
            f"""SELECT {_PLACEMENT_COLUMNS} {_PLACEMENT_JOINS}
            WHERE p.status = 'planned' AND p.deadline < ? AND r.status = 'open' AND o.owner = 'university'
            ORDER BY p.deadline, r.id, o.position, o.slug""",
            [today.isoformat()],
        )
    )


def not_published_since(db: Database, since: str) -> list[Row]:
    """Placements now `not_published` whose change to it (a history row) is at or after `since` (UTC text)."""
    return list(
        db.query(
            f"""SELECT {_PLACEMENT_COLUMNS}, h.at AS ended_at {_PLACEMENT_JOINS}
            JOIN history h ON h.placement_id = p.id AND h.action = 'status' AND h.to_value = 'not_published'
            WHERE p.status = 'not_published' AND h.at >= ? AND r.status = 'open'
            ORDER BY r.publish_on, r.id, o.position, o.slug""",
            [since],
        )
    )


def published(db: Database, since: date | None = None) -> list[Row]:
    """Published placements (optionally published on or after `since`) with their latest snapshot:
    `views`, `interactions`, `recorded_at` (all None when no figures were ever recorded; `interactions`, the
    latest known value, None while unknown)."""
    select = f"""SELECT {_PLACEMENT_COLUMNS}, s.views, {known("interactions")} AS interactions, s.recorded_at
            {_PLACEMENT_JOINS}
            LEFT JOIN stats_snapshots s ON s.id = (
                SELECT s2.id FROM stats_snapshots s2 WHERE s2.placement_id = p.id
                ORDER BY s2.recorded_at DESC, s2.id DESC LIMIT 1)"""
    if since is None:
        return list(db.query(f"{select} WHERE p.status = 'published' ORDER BY goes_out, r.id, o.position, o.slug"))
    # "Published on or after `since`" as two searches of placements_published (status, published_on),
    # so the digest reads the weeks it shows, not years of history.
    return list(
        db.query(
            f"""{select} WHERE p.status = 'published' AND p.published_on >= :since
            UNION ALL
            {select} WHERE p.status = 'published' AND p.published_on IS NULL AND r.publish_on >= :since
            ORDER BY goes_out, proposal_id, outlet_position, outlet_slug""",
            {"since": since.isoformat()},
        )
    )


def term_starts(db: Database, until: date) -> list[date]:
    """The first days of the active `term-start` events on or before `until`, oldest first."""
    return [
        date.fromisoformat(row[0])
        for row in db.execute(
            "SELECT DISTINCT start FROM calendar_events WHERE active = 1 AND kind = 'term-start' AND start <= ? ORDER BY start",
            [until.isoformat()],
        )
    ]


def events_starting(db: Database, kinds: Iterable[str], first: date, last: date) -> list[Row]:
    """Active calendar events of these kinds whose first day is between `first` and `last`, inclusive."""
    kinds = sorted(set(kinds))
    if not kinds:
        return []
    return list(
        db.query(
            f"""SELECT uid, name, kind, start, end FROM calendar_events
            WHERE active = 1 AND kind IN ({_marks(kinds)}) AND start BETWEEN ? AND ?
            ORDER BY start, id""",
            [*kinds, first.isoformat(), last.isoformat()],
        )
    )


def cycle_proposals(db: Database, keys: Iterable[str]) -> list[Row]:
    """Open proposals made from these cycles (proposals.cycle_key)."""
    keys = sorted(set(keys))
    if not keys:
        return []
    return list(
        db.query(
            f"""SELECT id, cycle_key, cycle_start, cycle_end, publish_on, title FROM proposals
            WHERE status = 'open' AND cycle_key IN ({_marks(keys)}) ORDER BY publish_on, id""",
            keys,
        )
    )


def digest_planned_before(db: Database, due_at: str) -> bool:
    """Whether a digest was ever planned for an instant before `due_at` (UTC text)."""
    row = db.execute("SELECT 1 FROM outbox WHERE kind = 'digest' AND due_at < ? LIMIT 1", [due_at]).fetchone()
    return row is not None


def retime_pending(db: Database, key: str, due_at: str, payload: str, now: str) -> bool:
    """Move a digest still pending to another instant and day (DIGEST_AT changed, or sent now by the CLI)."""
    cursor = db.execute(
        """UPDATE outbox SET due_at = ?, payload = ?, next_attempt_at = NULL, updated_at = ?
           WHERE key = ? AND status = 'pending' AND (due_at IS NOT ? OR payload IS NOT ?)""",
        [due_at, payload, now, key, due_at, payload],
    )
    return cursor.rowcount > 0

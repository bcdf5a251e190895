"""The editorial calendar (bot.calendar.ics): the placements that are not cancelled (nor their proposal), with
their proposal and outlet, for one publication event and one deadline event each.

    entries(db)                      # every one, by placement id (rows read as they are iterated)
    entries(db, start, end)          # those with an event in the window: published, wanted or due in [start, end]
    fingerprint(db, start, end)      # changes whenever the window's calendar may change, read cheaply (ETag)

The window is read through indexes (migration 0015): proposals by wanted date, placements by deadline and by
publication day; at ten years of history it reads the window's rows only."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlite_utils import Database

from storage.rows import Row

_COLUMNS = """p.id, p.status, p.deadline, p.published_on, p.published_url, p.updated_at, p.outlet_text,
              r.id AS proposal_id, r.title, r.category, r.publish_on, r.link, r.owner_id,
              r.updated_at AS proposal_updated_at,
              o.slug AS outlet_slug, o.name AS outlet_name"""

# The placements with a day in [:start, :end]: wanted (an open proposal's date), due, or published.
_IN_WINDOW = """SELECT w.id FROM proposals wr JOIN placements w ON w.proposal_id = wr.id
                 WHERE wr.status = 'open' AND wr.publish_on BETWEEN :start AND :end
                UNION SELECT id FROM placements WHERE deadline BETWEEN :start AND :end
                UNION SELECT id FROM placements WHERE published_on BETWEEN :start AND :end"""


def entries(db: Database, start: date | None = None, end: date | None = None) -> Iterator[Row]:
    """The calendar's placements (columns of _COLUMNS), by id (the order they were made in: SQLite sorts
    nothing, reading the window's ids in order); with `start` and `end`, only
    those with a day in that window (the caller keeps the events whose own day is in it). Rows are read from
    SQLite as they are iterated, never all at once."""
    window = "" if start is None or end is None else f"AND p.id IN ({_IN_WINDOW})"
    params = {} if start is None or end is None else {"start": start.isoformat(), "end": end.isoformat()}
    return db.query(
        f"""SELECT {_COLUMNS}
           FROM placements p JOIN proposals r ON r.id = p.proposal_id JOIN outlets o ON o.slug = p.outlet_slug
           WHERE p.status != 'cancelled' AND r.status != 'cancelled' {window}
           ORDER BY p.id""",  # the window's ids come sorted: nothing to sort
        params,
    )


def fingerprint(db: Database, start: date, end: date) -> Row:
    """What the window's calendar is made of, read from indexes and a few rows: `placements` (how many have a day
    in [start, end]), `placements_changed` and `proposals_changed` (their latest updated_at), `outlets` and
    `outlets_changed` (how many, the latest change), `history` and `history_at` (the latest history row: every
    change of a proposal or placement writes one, in or out of the window). Any change to what the calendar
    shows changes one of them."""
    return next(
        db.query(
            f"""SELECT COUNT(*) AS placements, MAX(p.updated_at) AS placements_changed,
                      MAX(r.updated_at) AS proposals_changed,
                      (SELECT COUNT(*) FROM outlets) AS outlets, (SELECT MAX(updated_at) FROM outlets) AS outlets_changed,
                      (SELECT MAX(id) FROM history) AS history,
                      (SELECT at FROM history ORDER BY id DESC LIMIT 1) AS history_at
               FROM placements p JOIN proposals r ON r.id = p.proposal_id
               WHERE p.id IN ({_IN_WINDOW})""",
            {"start": start.isoformat(), "end": end.isoformat()},
        )
    )

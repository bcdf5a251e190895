"""Queries of the cyclic contents (bot.calendar.cycles): proposals already made for one return of a cycle."""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from storage.rows import ProposalRow


def return_proposals(db: Database, cycle_key: str, start: date, end: date, first: date) -> list[ProposalRow]:
    """Open proposals made for the return of this cycle whose period is [start, end]: linked to a period
    overlapping it (cycle_start, cycle_end), or, made before proposals named their period, published
    between `first` (the return's prompt day) and `end`. Oldest first."""
    return list(
        db.query(
            """SELECT * FROM proposals WHERE cycle_key = ? AND status = 'open'
               AND ((cycle_start IS NOT NULL AND cycle_start <= ? AND cycle_end >= ?)
                    OR (cycle_start IS NULL AND publish_on BETWEEN ? AND ?))
               ORDER BY id""",
            [cycle_key, end.isoformat(), start.isoformat(), first.isoformat(), end.isoformat()],
        )
    )

"""Queries of the cyclic contents (bot.calendar.cycles): proposals already made for one return of a cycle."""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from storage.rows import ProposalRow


def open_proposals(db: Database, cycle_key: str, first: date, last: date) -> list[ProposalRow]:
    """Open proposals of this cycle whose publication falls in [first, last]."""
    return list(
        db.query(
            """SELECT * FROM proposals WHERE cycle_key = ? AND status = 'open' AND publish_on BETWEEN ? AND ?
           ORDER BY publish_on, id""",
            [cycle_key, first.isoformat(), last.isoformat()],
        )
    )

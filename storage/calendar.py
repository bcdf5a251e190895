"""University calendar events and iCalendar feed state."""
from __future__ import annotations

from datetime import date

from sqlite_utils import Database


def replace_source(db: Database, source: str, events: list[dict], now: str) -> None:
    """Make `source`'s active events exactly `events` (uid, name, kind, start, end); others become inactive."""
    uids = []
    for e in events:
        uids.append(e["uid"])
        db.execute(
            """INSERT INTO calendar_events (uid, source, name, kind, start, end, active, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, 1, ?)
               ON CONFLICT (uid) DO UPDATE SET source = excluded.source, name = excluded.name, kind = excluded.kind,
                   start = excluded.start, end = excluded.end, active = 1, updated_at = excluded.updated_at
               WHERE (calendar_events.name, calendar_events.kind, calendar_events.start, calendar_events.end,
                      calendar_events.active, calendar_events.source)
                     IS NOT (excluded.name, excluded.kind, excluded.start, excluded.end, 1, excluded.source)""",
            [e["uid"], source, e["name"], e["kind"], str(e["start"]), str(e["end"]), now],
        )
    placeholders = ", ".join("?" for _ in uids) or "NULL"
    db.execute(
        f"UPDATE calendar_events SET active = 0, updated_at = ? WHERE source = ? AND active = 1 AND uid NOT IN ({placeholders})",
        [now, source, *uids],
    )


def closures(db: Database) -> list[tuple[date, date]]:
    """Every active closure, as (first day, last day) inclusive."""
    return [(date.fromisoformat(s), date.fromisoformat(e)) for s, e in
            db.execute("SELECT start, end FROM calendar_events WHERE active = 1 AND kind = 'closure' ORDER BY start")]


def events(db: Database, *, kind: str | None = None, start: date | None = None, until: date | None = None) -> list[dict]:
    """Active events (optionally of a kind) that overlap [start, until]."""
    where, params = ["active = 1"], []
    if kind:
        where.append("kind = ?")
        params.append(kind)
    if start:
        where.append("end >= ?")
        params.append(start.isoformat())
    if until:
        where.append("start <= ?")
        params.append(until.isoformat())
    return list(db.query(f"SELECT * FROM calendar_events WHERE {' AND '.join(where)} ORDER BY start, id", params))


def closures_version(db: Database) -> str:
    """Changes whenever closures change (cache key for business-day calendars)."""
    row = db.execute("SELECT COUNT(*), MAX(updated_at) FROM calendar_events WHERE kind = 'closure'").fetchone()
    return f"{row[0]}:{row[1]}"

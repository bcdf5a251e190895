"""University calendar events and iCalendar feed state."""

from __future__ import annotations

import json
from datetime import date

from sqlite_utils import Database

from storage.db import date_range
from storage.rows import EventRow, FeedRow


def replace_source(db: Database, source: str, events: list[dict], now: str) -> None:
    """Make `source`'s active events exactly `events` (uid, name, kind, start, end); others become inactive."""
    upsert_events(db, source, events, now)
    deactivate_other_events(db, source, [e["uid"] for e in events], now)


def upsert_events(db: Database, source: str, events: list[dict], now: str) -> None:
    """Add or update these events of `source` (uid, name, kind, start, end), active; a row already so is not written."""
    db.conn.executemany(
        """INSERT INTO calendar_events (uid, source, name, kind, start, end, active, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, 1, ?)
               ON CONFLICT (uid) DO UPDATE SET source = excluded.source, name = excluded.name, kind = excluded.kind,
                   start = excluded.start, end = excluded.end, active = 1, updated_at = excluded.updated_at
               WHERE (calendar_events.name, calendar_events.kind, calendar_events.start, calendar_events.end,
                      calendar_events.active, calendar_events.source)
                     IS NOT (excluded.name, excluded.kind, excluded.start, excluded.end, 1, excluded.source)""",
        ([e["uid"], source, e["name"], e["kind"], str(e["start"]), str(e["end"]), now] for e in events),
    )


def deactivate_events(db: Database, source: str, uids: list[str], now: str) -> None:
    """These active events of `source` become inactive."""
    db.conn.executemany(
        "UPDATE calendar_events SET active = 0, updated_at = ? WHERE uid = ? AND source = ? AND active = 1",
        ([now, uid, source] for uid in uids),
    )


def deactivate_other_events(db: Database, source: str, uids: list[str], now: str) -> None:
    """The active events of `source` whose uid is not in `uids` become inactive."""
    placeholders = ", ".join("?" for _ in uids) or "SELECT NULL WHERE 0"  # NOT IN (NULL) would match nothing
    db.execute(
        f"UPDATE calendar_events SET active = 0, updated_at = ? WHERE source = ? AND active = 1 AND uid NOT IN ({placeholders})",
        [now, source, *uids],
    )


def closures(db: Database) -> list[tuple[date, date]]:
    """Every active closure, as (first day, last day) inclusive."""
    return [
        (date.fromisoformat(s), date.fromisoformat(e))
        for s, e in db.execute(
            "SELECT start, end FROM calendar_events WHERE active = 1 AND kind = 'closure' ORDER BY start"
        )
    ]


def events(
    db: Database, *, kind: str | None = None, start: date | None = None, until: date | None = None
) -> list[EventRow]:
    """Active events (optionally of a kind) that overlap [start, until]."""
    dated, params = date_range("start", "end", start, until)
    where = ["active = 1", *dated]
    if kind:
        where.append("kind = ?")
        params.append(kind)
    return list(db.query(f"SELECT * FROM calendar_events WHERE {' AND '.join(where)} ORDER BY start, id", params))


HOLIDAYS_KEY = "calendar:holidays"  # kv: the holidays CALENDAR_FILE declares (JSON list of names)


def declared_holidays(db: Database) -> list[str]:
    """The extra holidays the calendar file declares (bot.workdays.EXTRA_HOLIDAYS names)."""
    row = db.execute("SELECT value FROM kv WHERE key = ?", [HOLIDAYS_KEY]).fetchone()
    return list(json.loads(row[0])) if row else []


def set_declared_holidays(db: Database, names: list[str], now: str) -> None:
    db.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
        "WHERE kv.value IS NOT excluded.value",
        [HOLIDAYS_KEY, json.dumps(sorted(set(names))), now],
    )


def last_day(db: Database, kind: str) -> date | None:
    """The last day of the latest active event of `kind`, or None when there is none."""
    row = db.execute("SELECT MAX(end) FROM calendar_events WHERE active = 1 AND kind = ?", [kind]).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def closures_version(db: Database) -> str:
    """Changes whenever closures change (cache key for business-day calendars)."""
    row = db.execute("SELECT COUNT(*), MAX(updated_at) FROM calendar_events WHERE kind = 'closure'").fetchone()
    return f"{row[0]}:{row[1]}"


def event(db: Database, uid: str) -> EventRow | None:
    """One event by its uid, active or not."""
    rows = list(db.query("SELECT * FROM calendar_events WHERE uid = ?", [uid]))
    return rows[0] if rows else None


def source_events(db: Database, source: str) -> list[EventRow]:
    """The active events of one source (the file, or a feed's URL)."""
    return list(db.query("SELECT * FROM calendar_events WHERE source = ? AND active = 1 ORDER BY start, id", [source]))


def active_sources(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT source FROM calendar_events WHERE active = 1 ORDER BY source")]


# -- iCalendar feeds (bot.calendar.feeds) ------------------------------------------------------------------
def feed(db: Database, url: str) -> FeedRow | None:
    rows = list(db.query("SELECT * FROM calendar_feeds WHERE url = ?", [url]))
    return rows[0] if rows else None


def ensure_feed(db: Database, url: str, now: str) -> None:
    db.execute("INSERT INTO calendar_feeds (url, updated_at) VALUES (?, ?) ON CONFLICT (url) DO NOTHING", [url, now])


def claim_feed(db: Database, url: str, now: str, ok_before: str, failing_before: str) -> bool:
    """Take the feed's next fetch when it is due: never tried, last tried before `ok_before` (a healthy feed),
    or before `failing_before` (a failing one). True for exactly one caller; the attempt is stamped."""
    cursor = db.execute(
        """UPDATE calendar_feeds SET last_attempt_at = ?, updated_at = ?
           WHERE url = ? AND (last_attempt_at IS NULL
                              OR (failing_since IS NULL AND last_attempt_at <= ?)
                              OR (failing_since IS NOT NULL AND last_attempt_at <= ?))""",
        [now, now, url, ok_before, failing_before],
    )
    return cursor.rowcount == 1


def stamp_attempt(db: Database, url: str, now: str) -> None:
    db.execute("UPDATE calendar_feeds SET last_attempt_at = ?, updated_at = ? WHERE url = ?", [now, now, url])


def feed_ok(
    db: Database,
    url: str,
    now: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    parsed: bool = False,
    kind: str | None = None,
    skipped: int = 0,
    skipped_problem: str | None = None,
) -> None:
    """A successful fetch (200 parsed, or 304): the failure episode, if any, is over. A full read also records
    the feed's default kind it was read with and the events it skipped (how many, the first one's problem)."""
    sets = ["last_ok_at = ?", "last_error = NULL", "failing_since = NULL", "error_reported = 0", "updated_at = ?"]
    params: list[str | int | None] = [now, now]
    if parsed:
        sets += ["etag = ?", "last_modified = ?", "parsed_at = ?", "kind = ?", "skipped = ?", "skipped_problem = ?"]
        params += [etag, last_modified, now, kind, skipped, skipped_problem]
    db.execute(f"UPDATE calendar_feeds SET {', '.join(sets)} WHERE url = ?", [*params, url])


def feed_failed(db: Database, url: str, now: str, error: str) -> str:
    """A failed fetch: keeps what is known, records the error; returns when this failure episode began."""
    db.execute(
        """UPDATE calendar_feeds SET last_error = ?, failing_since = COALESCE(failing_since, ?), updated_at = ?
           WHERE url = ?""",
        [error, now, now, url],
    )
    return db.execute("SELECT failing_since FROM calendar_feeds WHERE url = ?", [url]).fetchone()[0]


def mark_failure_reported(db: Database, url: str) -> None:
    db.execute("UPDATE calendar_feeds SET error_reported = 1 WHERE url = ?", [url])


def forget_feed_cache(db: Database, url: str, now: str) -> None:
    """A feed taken out of the settings: if it comes back, it is fetched at once and in full."""
    db.execute(
        """UPDATE calendar_feeds SET etag = NULL, last_modified = NULL, parsed_at = NULL, last_attempt_at = NULL,
                  updated_at = ? WHERE url = ?""",
        [now, url],
    )


def named_closures(db: Database) -> list[tuple[str, str, str]]:
    """Every active closure as (first day, last day, name), ISO days, in a stable order."""
    return [
        (s, e, n)
        for s, e, n in db.execute(
            "SELECT start, end, name FROM calendar_events WHERE active = 1 AND kind = 'closure'"
            " ORDER BY start, end, name"
        )
    ]

"""The university calendar file (CALENDAR_FILE, TOML): dated events and the cycles that follow them.

    cal = load_calendar_file(path, outlet_slugs, today)   # validated; ConfigFileError names file, entry, field
    sync_file(relais)                              # startup step: the file's events into the database

An event with `every_year = true` takes its `start` and `end` as month-days ("12-24", "01-03"; an end
before the start is in the next year) and is expanded for YEARS_BEFORE years before `today`'s year to
YEARS_AHEAD after: each occurrence is an event of its own (the same uid as the same event written
with full dates). `holidays = ["easter-monday"]` declares days off on top of Québec's statutory
holidays (bot.workdays.EXTRA_HOLIDAYS); they are kept in the database for bot.workdays.

iCalendar feeds add their events under their own source (bot.calendar.feeds).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.clock import to_text
from bot.errors import ConfigFileError, read_config_file
from bot.settings import EVENT_KINDS
from bot.workdays import EXTRA_HOLIDAYS
from storage import calendar, outlets

CATEGORIES = ("cyclic", "one-off", "collections")
FILE_SOURCE = "file"
YEARS_BEFORE = 1  # a yearly event is expanded from last year...
YEARS_AHEAD = 3  # ...to three years ahead (re-expanded at each start)


@dataclass(frozen=True)
class Event:
    uid: str
    name: str
    kind: str
    start: date
    end: date


@dataclass(frozen=True)
class Cycle:
    key: str  # stable: derived from the title, so prompts stay unique across restarts
    title: str
    summary: str
    category: str
    outlets: tuple[str, ...]
    follows: str
    days_before: int
    audiences: tuple[str, ...] = ()  # who it is for (outlets.toml's audience names); the form comes with them


@dataclass(frozen=True)
class CalendarFile:
    events: tuple[Event, ...]
    cycles: tuple[Cycle, ...]
    holidays: tuple[str, ...] = ()


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = "".join(c if c.isalnum() else "-" for c in ascii_text).split("-")
    return "-".join(w for w in words if w)[:60]


def load_calendar_file(
    path: str | Path, outlet_slugs: set[str] | None = None, today: date | None = None
) -> CalendarFile:
    """`today` places the yearly events' expansion (the caller's clock; the system's date by default)."""
    path = Path(path)
    data = read_config_file(path)
    year = (today or date.today()).year
    years = range(year - YEARS_BEFORE, year + YEARS_AHEAD + 1)
    events = tuple(e for i, entry in enumerate(_tables(path, data, "event"), 1) for e in _events(path, i, entry, years))
    cycles = tuple(_cycle(path, i, c, outlet_slugs) for i, c in enumerate(_tables(path, data, "cycle"), 1))
    keys = [c.key for c in cycles]
    for i, key in enumerate(keys):
        if key in keys[:i]:
            raise ConfigFileError(path, f"[[cycle]] #{i + 1}", "duplicate", field="title")
    return CalendarFile(events=events, cycles=cycles, holidays=_holidays(path, data))


def _holidays(path, data: dict) -> tuple[str, ...]:
    names = data.get("holidays", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigFileError(path, "holidays", "strings")
    for name in names:
        if name not in EXTRA_HOLIDAYS:
            raise ConfigFileError(path, "holidays", "holiday", name=name, known=", ".join(EXTRA_HOLIDAYS))
    return tuple(dict.fromkeys(names))


def _tables(path, data: dict, table: str) -> list[dict]:
    """The file's [[table]] entries (none is fine); anything else under that name is refused."""
    entries = data.get(table, [])
    if not isinstance(entries, list):
        raise ConfigFileError(path, f"[[{table}]]", "tables", table=table)
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ConfigFileError(path, f"[[{table}]] #{number}", "tables", table=table)
    return entries


def _need(path, where, entry, name, kind):
    value = entry.get(name)
    if value is None:
        raise ConfigFileError(path, where, "missing", field=name)
    if kind is date:
        if not isinstance(value, date) or hasattr(value, "hour"):
            raise ConfigFileError(path, where, "type_date", field=name)
    elif not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigFileError(path, where, {str: "type_text", int: "type_int", list: "type_list"}[kind], field=name)
    return value


def _month_day(path, where, entry, name) -> tuple[int, int]:
    """A yearly event's "MM-DD" (a TOML date's month and day are taken too); 02-29 is refused."""
    value = entry.get(name)
    if value is None:
        raise ConfigFileError(path, where, "missing", field=name)
    if isinstance(value, date) and not hasattr(value, "hour"):
        month, day = value.month, value.day
    else:
        text = value.strip() if isinstance(value, str) else ""
        month_text, _, day_text = text.partition("-")
        if not (len(month_text) == 2 and len(day_text) == 2 and month_text.isdigit() and day_text.isdigit()):
            raise ConfigFileError(path, where, "month_day", field=name)
        month, day = int(month_text), int(day_text)
    try:
        date(2027, month, day)  # a year without 29 February: the day must exist every year
    except ValueError:
        raise ConfigFileError(path, where, "month_day", field=name) from None
    return month, day


def _events(path: Path, number: int, entry: dict, years: range) -> list[Event]:
    where = f"[[event]] #{number}" + (f" ({entry['name']})" if isinstance(entry.get("name"), str) else "")
    name = _need(path, where, entry, "name", str).strip()
    kind = _need(path, where, entry, "kind", str)
    if kind not in EVENT_KINDS:
        raise ConfigFileError(path, where, "kind", field="kind")
    every_year = entry.get("every_year", False)
    if not isinstance(every_year, bool):
        raise ConfigFileError(path, where, "type_bool", field="every_year")
    if not every_year:
        start = _need(path, where, entry, "start", date)
        end = _need(path, where, entry, "end", date) if "end" in entry else start
        if end < start:
            raise ConfigFileError(path, where, "end_before_start", field="end")
        return [_event(name, kind, start, end)]
    first = _month_day(path, where, entry, "start")
    last = _month_day(path, where, entry, "end") if "end" in entry else first
    occurrences = []
    for year in years:
        start = date(year, *first)
        end = date(year if last >= first else year + 1, *last)
        occurrences.append(_event(name, kind, start, end))
    return occurrences


def _event(name: str, kind: str, start: date, end: date) -> Event:
    uid = "file:" + hashlib.sha1(f"{kind}|{start}|{name}".encode()).hexdigest()[:16]
    return Event(uid=uid, name=name, kind=kind, start=start, end=end)


def _cycle(path: Path, number: int, entry: dict, outlet_slugs: set[str] | None) -> Cycle:
    where = f"[[cycle]] #{number}" + (f" ({entry['title']})" if isinstance(entry.get("title"), str) else "")
    title = _need(path, where, entry, "title", str).strip()
    summary = str(entry.get("summary") or "").strip()
    category = entry.get("category", "cyclic")
    if category not in CATEGORIES:
        raise ConfigFileError(path, where, "category", field="category")
    outlets = _need(path, where, entry, "outlets", list)
    if not outlets or not all(isinstance(o, str) for o in outlets):
        raise ConfigFileError(path, where, "strings", field="outlets")
    for slug in outlets:
        if outlet_slugs is not None and slug not in outlet_slugs:
            raise ConfigFileError(path, where, "unknown_outlet", field="outlets", slug=slug)
    audiences = entry.get("audiences", [])
    if not isinstance(audiences, list) or not all(isinstance(a, str) and a.strip() for a in audiences):
        raise ConfigFileError(path, where, "strings", field="audiences")
    follows = _need(path, where, entry, "follows", str)
    if follows not in EVENT_KINDS:
        raise ConfigFileError(path, where, "kind", field="follows")
    days_before = _need(path, where, entry, "days_before", int)
    if not 0 <= days_before <= 365:
        raise ConfigFileError(path, where, "range", field="days_before", low=0, high=365)
    return Cycle(
        key=_slugify(title),
        title=title,
        summary=summary,
        category=category,
        outlets=tuple(outlets),
        follows=follows,
        days_before=days_before,
        audiences=tuple(dict.fromkeys(a.strip() for a in audiences)),
    )


def sync_file(relais) -> CalendarFile:
    """Startup step: CALENDAR_FILE's events into the database (source 'file'); returns the parsed file."""

    slugs = {o["slug"] for o in outlets.all(relais.db)}
    now = relais.clock.now()
    parsed = load_calendar_file(relais.settings.calendar_file, slugs, now.astimezone(relais.settings.tz).date())
    with relais.db.atomic():
        calendar.replace_source(relais.db, FILE_SOURCE, [e.__dict__ for e in parsed.events], to_text(now))
        calendar.set_declared_holidays(relais.db, list(parsed.holidays), to_text(now))
    relais.calendar_file = parsed
    return parsed

"""The university calendar's iCalendar feeds (CALENDAR_ICS_URLS): fetched, parsed, stored.

    fetch(url, etag, last_modified)       # requests, with timeouts and a conditional GET; FeedError
    parse(body, feed, today, tz)          # icalendar + recurring-ical-events: occurrences in the window
    refresh(relais, now, feeds)           # fetch (in parallel), then store each feed's events; [Outcome]
    refresh_due_feeds(relais, now)        # the job, apart from the tick: the feeds whose daily refresh is due
    follow_feeds(relais, now)             # @planner: after a refresh changed events, deadlines follow the
                                          # closures (bot.proposals.replan) at the next tick
    python -m bot calendar refresh        # every feed now, printing what changed per feed
    python -m bot calendar export -o FILE # the editorial calendar (bot.calendar.ics)

Each feed is its own source in `calendar_events` (source = its URL). An event's kind comes from its
CATEGORIES when one names a known kind (English or French words: "exams", "Examens", "Fermeture"...),
else from the feed's default (`kind=URL`), else `other`. Every occurrence of a recurring event
(RRULE, RDATE, EXDATE, overridden occurrences, RANGE=THISANDFUTURE) from WINDOW_BACK before today to
WINDOW_AHEAD after is one event with a stable uid: feed URL + UID (title, start and end for an event
without UID) + recurrence date, with its own start and end added when another occurrence has that
already — every occurrence recurring-ical-events expands is kept; an exact repeat is kept once.

A feed is read event by event (a series with its overrides together): an event that cannot be read
is skipped, counted and its problem told in plain words (CLI, and the team channel once per distinct
problem, outbox key `calendar-feed-skipped:<feed>:<problem>`); the others are kept. The charset is the
response's, unless the bytes say otherwise (a feed that is not UTF-8 is read as Windows-1252/Latin-1).
Several VCALENDARs in one stream are all read. A whole feed is refused (feeds.error.*) only when it is
empty, a web page, not iCalendar, cut short, too big, or has no readable event. A feed whose kind
changes in CALENDAR_ICS_URLS is read again at once, in full (never answered by a 304).

A feed that is down, slow, too big or malformed changes nothing that is known: its events stay as
they were, the error is recorded in `calendar_feeds`, and the team channel is told once per
failure episode (outbox key `calendar-feed:<feed>:<episode start>`); a successful fetch ends the
episode. A healthy feed is fetched once a day, a failing one retried every hour; each fetch is
claimed in the database, so two processes never fetch the same feed at once.

A refresh runs apart from the tick (the calendar's job: its own thread and database connection in `serve` and
`socket`, bot.runtime.scheduler), so a slow or huge feed never delays a reminder. It downloads and parses
outside any transaction, writes each feed in one short one (only the events added, changed or removed), and
keeps nothing of a feed once stored. The transaction that changes a feed's events also bumps the counter
CHANGED_KEY; the next tick's planner `follow_feeds` sees it and moves the deadlines the closures move (once per
change, whichever process ticks; the scheduler ticks at once after such a refresh).
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
import requests
import urllib3

from bot import outbox
from bot.blocks import escape, section
from bot.calendar import ics as ics_export
from bot.clock import from_text, to_text
from bot.errors import require_token
from bot.proposals import replan
from bot.settings import EVENT_KINDS, Feed
from bot.text import one_line, redact_url
from storage import calendar, kv
from storage import outbox as outbox_rows

log = logging.getLogger("relais.feeds")

WINDOW_BACK = timedelta(days=365)
WINDOW_AHEAD = timedelta(days=730)
CONNECT_TIMEOUT = 5.0  # seconds to reach the server
READ_TIMEOUT = 10.0  # seconds of silence while reading
TOTAL_TIMEOUT = 20.0  # seconds for the whole download, however slowly it drips
MAX_BYTES = 10 * 1024 * 1024
MAX_OCCURRENCES = 10_000
REFRESH_EVERY = timedelta(days=1)
RETRY_FAILING_EVERY = timedelta(hours=1)
FULL_FETCH_EVERY = timedelta(days=7)  # conditional GET only while the last full parse is this recent:
#                                       the window moves on, so an endless RRULE needs a fresh expansion
USER_AGENT = "Relais (university library comms bot; calendar refresh)"
FAILED_KIND = "calendar_feed_failed"
SKIPPED_KIND = "calendar_feed_skipped"
CHANGED_KEY = "calendar:feeds-changed"  # kv counter: bumped by each transaction that changes a feed's events
FOLLOWED_KEY = "calendar:feeds-followed"  # kv: the counter's value the deadlines last followed

# Words and phrases that name each kind, in a CATEGORIES value or an event's title (compared without
# accents, case or punctuation, as whole words: "Jour férié", "Fermeture des bibliothèques", "Final
# Examinations", "Reading Break", "Company Holidays"...).
KIND_WORDS = {
    "closure": (
        "closure",
        "closures",
        "closed",
        "closing",
        "fermeture",
        "fermetures",
        "ferme",
        "fermee",
        "fermes",
        "fermees",
        "conge",
        "conges",
        "ferie",
        "feriee",
        "feries",
        "holiday",
        "holidays",
        "statutory holiday",
        "bank holiday",
        "public holiday",
        "university closed",
        "office closed",
    ),
    "exams": (
        "exams",
        "exam",
        "examens",
        "examen",
        "examination",
        "examinations",
        "finals",
        "final exams",
        "periode d examens",
        "periode des examens",
        "intra",
        "intras",
        "mid term exams",
        "midterm",
        "midterms",
    ),
    "term-start": (
        "term start",
        "term begins",
        "start of term",
        "first day of classes",
        "classes begin",
        "rentree",
        "debut de session",
        "debut des cours",
        "debut du trimestre",
    ),
    "reading-week": (
        "reading week",
        "reading break",
        "study break",
        "semaine de lecture",
        "semaine d activites libres",
        "activites libres",
        "relache",
        "semaine de relache",
    ),
    "other": ("other", "autre", "autres"),
}
_PHRASES = sorted(
    ((tuple(_phrase.split()), kind) for kind, words in KIND_WORDS.items() for _phrase in words),
    key=lambda item: -len(item[0]),
)
_TIME_PROPS = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")


class FeedError(Exception):
    """Why a feed could not be used: `reason` is one of ERROR_REASONS (catalog keys feeds.error.*); `detail` is
    short technical text (for all_bad: "events|code|PROPERTY|title" of the first unreadable event)."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason, self.detail = reason, str(detail)[:200]
        super().__init__(f"{reason}: {self.detail}" if detail else reason)

    @property
    def stored(self) -> str:
        return f"{self.reason}|{self.detail}"


@dataclass
class Fetched:
    status: int  # 200 or 304
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    charset: str | None = None  # as the response declared it
    events: list[dict] = field(default_factory=list, repr=False)  # parsed (200 only)
    skipped: int = 0  # events that could not be read (200 only)
    problem: str | None = None  # the first one's problem, "code|PROPERTY|title"


@dataclass
class Outcome:
    """What a refresh did to one feed."""

    url: str
    status: str  # updated | unchanged | failed | removed
    total: int = 0  # active events of the feed afterwards
    added: int = 0
    changed: int = 0
    removed: int = 0
    error: FeedError | None = None
    reported: str | None = None  # outbox key of the failure notice planned now
    replanned: list[str] = field(default_factory=list)  # outbox keys of the deadlines moved (CLI refresh)
    skipped: int = 0  # events of the feed that could not be read, left out
    problem: str | None = None  # the first one's problem, "code|PROPERTY|title"


# -- fetching ---------------------------------------------------------------------------------------
def fetch(
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    *,
    session: requests.Session | None = None,
    total_timeout: float | None = None,
) -> Fetched:
    """GET the feed (conditional when `etag`/`last_modified` are given). Raises FeedError.
    The timeouts are read when called: CONNECT_TIMEOUT, READ_TIMEOUT and TOTAL_TIMEOUT (or `total_timeout`)."""
    if total_timeout is None:
        total_timeout = TOTAL_TIMEOUT
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    get = (session or requests).get
    try:
        with get(url, headers=headers, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), stream=True) as response:
            if response.status_code == 304:
                return Fetched(304, etag=etag, last_modified=last_modified)
            if response.status_code != 200:
                raise FeedError("http", str(response.status_code))
            chunks, size = [], 0
            while True:
                # read1: whatever has arrived (one read from the socket, READ_TIMEOUT at most), so a
                # server that drips its answer cannot hold us past total_timeout
                chunk = response.raw.read1(64 * 1024, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > MAX_BYTES:
                    raise FeedError("too_large", f"> {MAX_BYTES} bytes")
                if time.monotonic() - started > total_timeout:
                    raise FeedError("timeout", f"> {total_timeout:g} s")
                chunks.append(chunk)
            return Fetched(
                200,
                b"".join(chunks),
                response.headers.get("ETag"),
                response.headers.get("Last-Modified"),
                charset_of(response.headers.get("Content-Type")),
            )
    except FeedError:
        raise
    except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as error:
        raise FeedError("timeout", type(error).__name__) from None
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
        if "timed out" in str(error).lower():
            raise FeedError("timeout", type(error).__name__) from None
        raise FeedError("connection", type(error).__name__) from None


# -- parsing ----------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    return "-".join(w for w in "".join(c if c.isalnum() else "-" for c in ascii_text).split("-") if w)


def _kind_in(text: str, *, other: bool) -> str | None:
    """The kind the words of `text` name: the phrase found first in it (the longest at one place)."""
    words = _norm(text).split("-")
    for i in range(len(words)):
        for phrase, kind in _PHRASES:
            if tuple(words[i : i + len(phrase)]) == phrase and (other or kind != "other"):
                return kind
    return None


def kind_of(categories: list[str], default: str | None, title: str = "") -> str:
    """The first category that names a known kind, else the feed's default (`kind=URL`, which wins over the
    title), else the kind the title's words name ("Jour férié", "Examens finaux"...), else `other`."""
    for category in categories:
        kind = _kind_in(category, other=True)
        if kind:
            return kind
    if default in EVENT_KINDS:
        return default
    return _kind_in(title, other=False) or "other"


def _categories(component) -> list[str]:
    value = component.get("CATEGORIES")
    if value is None:
        return []
    out: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        cats = getattr(item, "cats", None)
        if cats is None:
            out.extend(part.strip() for part in str(item).split(","))
        else:
            out.extend(str(c) for c in cats)
    return [c for c in out if c]


def _day(value, tz: ZoneInfo) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the team's wall clock
            value = value.replace(tzinfo=tz)
        return value.astimezone(tz).date()
    if isinstance(value, date):
        return value
    raise FeedError("malformed", f"not a date: {value!r}")


def _span(component, tz: ZoneInfo) -> tuple[date, date]:
    """First and last day (inclusive, local) of an occurrence."""
    start_value = component["DTSTART"].dt
    end_prop = component.get("DTEND")
    if end_prop is not None:
        end_value = end_prop.dt
    elif component.get("DURATION") is not None:
        end_value = start_value + component["DURATION"].dt
    else:
        end_value = start_value
    start = _day(start_value, tz)
    if isinstance(end_value, datetime):
        if not isinstance(start_value, datetime) or end_value <= start_value:
            return start, start
        last = _day(end_value - timedelta(microseconds=1), tz)
    else:  # all-day: DTEND is the day after the last one
        last = end_value - timedelta(days=1)
    return start, max(start, last)


def _recurrence_text(value) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return to_text(value)
        return value.isoformat()
    return value.isoformat()


def event_uid(url: str, uid: str, recurrence: str = "") -> str:
    """Stable across refreshes: the same occurrence of the same feed always has the same uid."""
    return "feed:" + hashlib.sha1(f"{url}|{uid}|{recurrence}".encode()).hexdigest()[:24]


# Encodings a server declares for text by default (HTTP's ISO-8859-1) or by habit: a body that is valid
# UTF-8 is read as UTF-8 whatever they say (valid UTF-8 by chance in Latin-1 text is all but impossible).
_LATIN = {
    "iso-8859-1",
    "latin-1",
    "latin1",
    "iso8859-1",
    "windows-1252",
    "cp1252",
    "us-ascii",
    "ascii",
    "utf-8",
    "utf8",
}


def decode(body: bytes, charset: str | None = None) -> str:
    """The feed's text: a byte-order mark first, then a charset the response declared (unless it is UTF-8 or a
    Latin one, which the content decides), then UTF-8, then Windows-1252 / Latin-1 (older exports)."""
    if body.startswith(codecs.BOM_UTF8):
        return body[len(codecs.BOM_UTF8) :].decode("utf-8", "replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", "replace")
    declared = (charset or "").strip().strip('"').lower()
    candidates = ([declared] if declared and declared not in _LATIN else []) + ["utf-8"]
    candidates += [declared] if declared in _LATIN else []
    for encoding in [*candidates, "cp1252"]:
        try:
            return body.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("latin-1")


def charset_of(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, if any."""
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return None


@dataclass
class _Block:
    name: str  # VEVENT, VTIMEZONE...
    lines: list[str]

    def value(self, prop: str) -> str:
        """The first top-level value of `prop` (not one of a nested VALARM), unfolded."""
        depth, found = 0, None
        for line in self.lines[1:-1]:
            upper = line.upper()
            if upper.startswith("BEGIN:"):
                depth += 1
            elif upper.startswith("END:"):
                depth -= 1
            elif depth == 0 and found is None and upper.split(":", 1)[0].split(";", 1)[0] == prop:
                found = [line.split(":", 1)[1] if ":" in line else ""]
            elif found is not None and len(found) == 1 and line[:1] in (" ", "\t"):
                found[0] += line[1:]
            elif found is not None:
                break
        return found[0].strip() if found else ""


@dataclass
class _VCalendar:
    head: list[str] = field(default_factory=list)  # its own properties (VERSION, PRODID, X-WR-TIMEZONE...)
    timezones: list[_Block] = field(default_factory=list)
    events: list[_Block] = field(default_factory=list)


def _split(text: str) -> list[_VCalendar]:
    """Every VCALENDAR of the stream (RFC 5545 allows several), its VEVENT and VTIMEZONE blocks as text.
    Raises FeedError for a whole feed that cannot be used, saying why."""
    lines = [line for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n") if line.strip()]
    if not lines:
        raise FeedError("empty")
    calendars: list[_VCalendar] = []
    stack: list[str] = []
    block: list[str] | None = None
    outside = 0
    for line in lines:
        upper = line.rstrip().upper()
        if upper.startswith("BEGIN:"):
            name = upper[6:].strip()
            if not stack:
                if name == "VCALENDAR":
                    calendars.append(_VCalendar())
                    stack.append(name)
                else:
                    outside += 1
                continue
            stack.append(name)
            if len(stack) == 2:
                block = [line]
            elif block is not None:
                block.append(line)
        elif upper.startswith("END:") and stack:
            name = upper[4:].strip()
            if name not in stack:
                if block is not None:
                    block.append(line)
                continue
            while stack and stack[-1] != name:  # a component left open inside: closed with its parent
                stack.pop()
            stack.pop()
            if block is not None:
                block.append(line)
                if len(stack) == 1:
                    kind = block[0].strip().upper()[6:]
                    if kind == "VEVENT":
                        calendars[-1].events.append(_Block(kind, block))
                    elif kind == "VTIMEZONE":
                        calendars[-1].timezones.append(_Block(kind, block))
                    block = None
        elif block is not None:
            block.append(line)
        elif stack:
            calendars[-1].head.append(line)
        else:
            outside += 1
    if not calendars:
        sample = text.lstrip()[:200].lower()
        if sample.startswith(("<!doctype", "<html", "<?xml", "<")) or "<html" in sample:
            raise FeedError("html")
        if sample.startswith(("{", "[")):
            raise FeedError("json")
        raise FeedError("not_ics")
    if stack:
        raise FeedError("truncated")
    return calendars


def _problem_of(blocks: list[_Block]) -> tuple[str, str]:
    """(code, property) of what the parser or the expansion disliked in an event, for feeds.problem.* (plain
    words, never the exception's text)."""
    text = "\n".join(line.upper() for b in blocks for line in b.lines)
    if "RSCALE=" in text:
        return "rscale", "RRULE"
    for prop in ("RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"):
        if f"\n{prop}:" in text or f"\n{prop};" in text:
            return "bad_rule" if prop == "RRULE" else "bad_value", prop
    return "unreadable", ""


def _check(component) -> tuple[str, str] | None:
    """What makes one parsed VEVENT unusable, if anything."""
    for prop, _problem in getattr(component, "errors", []) or []:
        if prop in _TIME_PROPS:
            return ("bad_rule" if prop == "RRULE" else "bad_value"), prop
    if "DTSTART" not in component:
        return "no_start", "DTSTART"
    for prop in ("DTSTART", "DTEND", "DURATION", "RECURRENCE-ID"):
        value = component.get(prop)
        if isinstance(value, list):
            return "duplicate", prop
        if value is not None and not hasattr(value, "dt"):
            return "bad_value", prop
    if isinstance(component.get("RRULE"), list):
        return "duplicate", "RRULE"
    return None


@dataclass
class Reading:
    """What was read from a feed: its occurrences, and the events skipped (how many, the first one's problem:
    code, property, title)."""

    events: list[dict]
    skipped: int = 0
    problem: tuple[str, str, str] | None = None

    @property
    def stored_problem(self) -> str | None:
        return "|".join(self.problem) if self.problem else None


def _groups(vcal: _VCalendar) -> list[list[_Block]]:
    """The calendar's VEVENTs grouped by UID (a series and its overrides together); an event without UID alone."""
    by_uid: dict[str, list[_Block]] = {}
    groups: list[list[_Block]] = []
    for block in vcal.events:
        uid = block.value("UID")
        if not uid:
            groups.append([block])
        elif uid in by_uid:
            by_uid[uid].append(block)
        else:
            by_uid[uid] = [block]
            groups.append(by_uid[uid])
    return groups


def _mini_calendar(vcal: _VCalendar, group: list[_Block]) -> str:
    """One group of events as a calendar of its own, with the time zones it names."""
    body = "\r\n".join(line for b in group for line in b.lines)
    zones = [z for z in vcal.timezones if (tzid := z.value("TZID")) and tzid in body]
    return "\r\n".join(
        ["BEGIN:VCALENDAR", *vcal.head, *(line for z in zones for line in z.lines), body, "END:VCALENDAR", ""]
    )


def read(body: bytes, feed: Feed, today: date, tz: ZoneInfo, untitled: str = "", charset: str | None = None) -> Reading:
    """The feed's occurrences overlapping [today - WINDOW_BACK, today + WINDOW_AHEAD], read event by event: an
    event (with its overrides) that cannot be read is skipped and counted, the others kept. Raises FeedError
    when the whole feed is unusable (empty, a web page, cut short, too many occurrences, no readable event)."""
    calendars = _split(decode(body, charset))
    window = (today - WINDOW_BACK, today + WINDOW_AHEAD)
    events: dict[str, dict] = {}
    skipped, problem, total, count = 0, None, 0, 0
    for vcal in calendars:
        for group in _groups(vcal):
            total += 1
            try:
                occurrences, master_categories, recurring = _expand(vcal, group, window, tz)
            except _Unreadable as error:
                skipped += 1
                if problem is None:
                    code, prop = error.args[0]
                    title = " ".join(group[0].value("SUMMARY").replace("\\,", ",").split())[:80]
                    problem = (code, prop, title)
                continue
            for component, start, end in occurrences:
                count += 1
                if count > MAX_OCCURRENCES:
                    raise FeedError("too_many", f"> {MAX_OCCURRENCES}")
                _add(events, feed, component, start, end, master_categories, recurring, untitled)
    if total and skipped == total:
        assert problem is not None  # set by the first event skipped
        code, prop, title = problem
        raise FeedError("all_bad", f"{total}|{code}|{prop}|{title}")
    return Reading(sorted(events.values(), key=lambda e: (e["start"], e["uid"])), skipped, problem)


class _Unreadable(Exception):
    """One event (with its overrides) that cannot be read: args[0] = (code, property)."""


def _expand(vcal: _VCalendar, group: list[_Block], window: tuple[date, date], tz: ZoneInfo):
    """The group's occurrences in the window as (component, first day, last day); raises _Unreadable."""
    try:
        cal = icalendar.Calendar.from_ical(_mini_calendar(vcal, group))
        components = list(cal.walk("VEVENT"))
    except Exception:  # noqa: BLE001 - whatever the parser dislikes in this event
        raise _Unreadable(_problem_of(group)) from None
    if not components:
        raise _Unreadable(("unreadable", ""))
    master_categories = []
    for component in components:
        problem = _check(component)
        if problem:
            raise _Unreadable(problem)
        if "RECURRENCE-ID" not in component and _categories(component):
            master_categories = _categories(component)
    recurring = any(p in c for c in components for p in ("RRULE", "RDATE", "RECURRENCE-ID"))
    try:
        out = []
        for component in recurring_ical_events.of(cal).between(*window):
            start, end = _span(component, tz)
            out.append((component, start, end))
            if len(out) > MAX_OCCURRENCES:
                break
    except FeedError:
        raise _Unreadable(("bad_value", "DTSTART")) from None
    except Exception:  # noqa: BLE001 - a series the library cannot expand
        raise _Unreadable(_problem_of(group)) from None
    return out, master_categories, recurring


def _add(events: dict, feed: Feed, component, start: date, end: date, master_categories, recurring, untitled):
    """One occurrence into `events`, under a uid that keeps every real occurrence apart: feed URL + UID (or, for an
    event without UID, its title, start and end) + its RECURRENCE-ID (or start); when that is taken by another
    occurrence (a RANGE=THISANDFUTURE override gives its RECURRENCE-ID to every later one), its start and end
    are added. The very same occurrence twice (a feed that repeats an event) is kept once."""
    name = one_line(str(component.get("SUMMARY") or ""))
    raw_uid = str(component.get("UID") or "")
    if not raw_uid:
        ends = component.get("DTEND") or component.get("DURATION")
        raw_uid = "|".join([name, component["DTSTART"].to_ical().decode(), ends.to_ical().decode() if ends else ""])
    recurrence = ""
    if recurring and component.get("RECURRENCE-ID") is not None:
        recurrence = _recurrence_text(component["RECURRENCE-ID"].dt)
    elif recurring:
        recurrence = _recurrence_text(component["DTSTART"].dt)
    event = {
        "name": (name or untitled or raw_uid)[:300],
        "kind": kind_of(_categories(component) or master_categories, feed.kind, name),
        "start": start,
        "end": end,
    }
    candidates = [recurrence, f"{recurrence}|{_recurrence_text(component['DTSTART'].dt)}|{end}"]
    for candidate in candidates + [f"{candidates[-1]}|{i}" for i in range(2, 100)]:
        uid = event_uid(feed.url, raw_uid, candidate)
        known = events.get(uid)
        if known is None:
            events[uid] = {"uid": uid, **event}
            return
        if (known["start"], known["end"], known["name"]) == (start, end, event["name"]):
            return  # the same occurrence repeated


def parse(
    body: bytes, feed: Feed, today: date, tz: ZoneInfo, untitled: str = "", charset: str | None = None
) -> list[dict]:
    """The feed's occurrences (see read()), skipped events left out. Raises FeedError."""
    return read(body, feed, today, tz, untitled, charset).events


# -- storing ----------------------------------------------------------------------------------------
def feed_label(url: str) -> str:
    """How a feed is named in the team channel: its host and file name, never its query (private
    calendar addresses often carry a secret)."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    name = segments[-1] if segments else ""
    if not (name.lower().endswith(".ics") and len(name) <= 40):  # a last segment that may be the key itself
        return f"{parts.hostname}/…" if segments else str(parts.hostname)
    return f"{parts.hostname}/…/{name}" if len(segments) > 1 else f"{parts.hostname}/{name}"


def redacted(url: str) -> str:
    """A feed's address for logs and the terminal: scheme and host, the rest "…" (bot.text.redact_url):
    Google and Outlook keep a private calendar's key in the path, others in the query or a password.
    A short fingerprint of the whole address (6 hex digits of its SHA-256, nothing to guess the key
    from) tells two feeds of one host apart."""
    shown = redact_url(url)
    return f"{shown} ({hashlib.sha256(url.encode()).hexdigest()[:6]})" if shown.endswith("…") else shown


def failure_key(url: str, since: str) -> str:
    return f"calendar-feed:{hashlib.sha1(url.encode()).hexdigest()[:12]}:{since}"


def _same(old: dict, new: dict) -> bool:
    return (old["name"], old["kind"], old["start"], old["end"]) == (
        new["name"],
        new["kind"],
        str(new["start"]),
        str(new["end"]),
    )


def _full_fetch_due(state: dict | None, now: datetime) -> bool:
    parsed_at = (state or {}).get("parsed_at")
    return not parsed_at or from_text(parsed_at) <= now - FULL_FETCH_EVERY


def _download_and_parse(feed: Feed, state: dict | None, now: datetime, tz: ZoneInfo, untitled: str):
    """Network and parsing only (runs in a worker thread): a Fetched with .events, or a FeedError."""
    # a conditional GET only while the stored events were read recently and with the feed's present kind
    conditional = not _full_fetch_due(state, now) and (state or {}).get("kind") == feed.kind
    try:
        fetched = fetch(
            feed.url,
            state.get("etag") if state and conditional else None,
            state.get("last_modified") if state and conditional else None,
        )
        if fetched.status == 200:
            reading = read(fetched.body, feed, now.astimezone(tz).date(), tz, untitled, fetched.charset)
            fetched.events, fetched.skipped, fetched.problem = reading.events, reading.skipped, reading.stored_problem
            fetched.body = b""  # read: only the events are kept, until they are stored
        return fetched
    except FeedError as error:
        return error
    except Exception as error:
        log.exception("feed %s: unexpected error", redacted(feed.url))
        return FeedError("internal", type(error).__name__)


def _store(relais, feed: Feed, result, now: datetime) -> Outcome:
    """One feed's result in one short transaction: what changed is worked out before it (the events known,
    read outside the write lock, against the events read), so it writes only the events added or changed."""
    db, stamp = relais.db, to_text(now)
    known = {e["uid"]: e for e in calendar.source_events(db, feed.url)}
    with db.atomic():
        calendar.ensure_feed(db, feed.url, stamp)
        if isinstance(result, FeedError):
            since = calendar.feed_failed(db, feed.url, stamp, result.stored)
            outcome = Outcome(feed.url, "failed", total=len(known), error=result)
            state = calendar.feed(db, feed.url)
            assert state is not None  # ensured above
            if not state["error_reported"]:
                key = failure_key(feed.url, since)
                if relais.settings.team_channel:
                    outbox_rows.plan(
                        db,
                        key=key,
                        kind=FAILED_KIND,
                        due_at=now,
                        target=relais.settings.team_channel,
                        now=now,
                        payload={"url": feed.url, "since": since},
                    )
                    outcome.reported = key
                calendar.mark_failure_reported(db, feed.url)
            log.warning("calendar feed %s failed: %s (known events kept)", redacted(feed.url), result)
            return outcome
        if result.status == 304:
            calendar.feed_ok(db, feed.url, stamp)
            return Outcome(feed.url, "unchanged", total=len(known))
        fresh = {e["uid"]: e for e in result.events}
        added = [e for uid, e in fresh.items() if uid not in known]
        changed = [e for uid, e in fresh.items() if uid in known and not _same(known[uid], e)]
        removed = [uid for uid in known if uid not in fresh]
        outcome = Outcome(
            feed.url, "updated", total=len(fresh), added=len(added), changed=len(changed), removed=len(removed)
        )
        outcome.skipped, outcome.problem = result.skipped, result.problem
        calendar.upsert_events(db, feed.url, added + changed, stamp)
        calendar.deactivate_events(db, feed.url, removed, stamp)
        if outcome.added or outcome.changed or outcome.removed:
            kv.bump(db, CHANGED_KEY, stamp)  # deadlines follow at the next tick (follow_feeds)
        calendar.feed_ok(
            db,
            feed.url,
            stamp,
            etag=result.etag,
            last_modified=result.last_modified,
            parsed=True,
            kind=feed.kind,
            skipped=result.skipped,
            skipped_problem=result.problem,
        )
        if result.skipped and relais.settings.team_channel:
            signature = hashlib.sha1(f"{result.skipped}|{result.problem}".encode()).hexdigest()[:12]
            key = f"calendar-feed-skipped:{hashlib.sha1(feed.url.encode()).hexdigest()[:12]}:{signature}"
            if outbox_rows.plan(
                db,
                key=key,
                kind=SKIPPED_KIND,
                due_at=now,
                target=relais.settings.team_channel,
                now=now,
                payload={"url": feed.url, "skipped": result.skipped, "problem": result.problem},
            ):
                outcome.reported = key
    return outcome


def forget_removed_feeds(relais, now: datetime) -> list[Outcome]:
    """Events of feeds no longer in CALENDAR_ICS_URLS become inactive (a feed put back is fetched in full)."""
    db, stamp = relais.db, to_text(now)
    configured = {f.url for f in relais.settings.calendar_feeds}
    outcomes = []
    for source in calendar.active_sources(db):
        if source in configured or not source.startswith(("http://", "https://")):
            continue
        with db.atomic():
            count = len(calendar.source_events(db, source))
            calendar.replace_source(db, source, [], stamp)
            calendar.ensure_feed(db, source, stamp)
            calendar.forget_feed_cache(db, source, stamp)
            kv.bump(db, CHANGED_KEY, stamp)  # its closures are gone: deadlines follow at the next tick
        outcomes.append(Outcome(source, "removed", removed=count))
    return outcomes


def follow_feeds(relais, now: datetime) -> list[str]:
    """@planner, every tick: when a refresh changed a feed's events since the deadlines last followed them
    (CHANGED_KEY), move the deadlines the closures move (bot.proposals.replan.follow_rules: nothing when the
    closures are those already applied). One kv read when nothing changed. Returns the outbox keys planned."""
    db = relais.db
    changed = kv.get(db, CHANGED_KEY)
    if changed is None or changed == kv.get(db, FOLLOWED_KEY):
        return []
    keys = replan.follow_rules(relais, now)
    with db.atomic():  # the value read before following: a change meanwhile is followed at the next tick
        kv.put(db, FOLLOWED_KEY, changed, to_text(now))
    return keys


def refresh(relais, now: datetime, feeds: list[Feed] | tuple[Feed, ...] | None = None) -> list[Outcome]:
    """Fetch these feeds (all configured ones by default) in parallel, then store each one's events.
    Bounded by the timeouts: a dead server costs at most TOTAL_TIMEOUT, whatever the number of feeds."""
    feeds = list(relais.settings.calendar_feeds if feeds is None else feeds)
    if not feeds:
        return []
    db, tz = relais.db, relais.settings.tz
    untitled = relais.tr("feeds.untitled")
    states = {f.url: calendar.feed(db, f.url) for f in feeds}
    outcomes: dict[int, Outcome] = {}
    with ThreadPoolExecutor(max_workers=min(8, len(feeds)), thread_name_prefix="relais-feed") as pool:
        pending = {
            pool.submit(_download_and_parse, feed, states[feed.url], now, tz, untitled): n
            for n, feed in enumerate(feeds)
        }
        # each feed stored as soon as it is read, by this thread (its database connection); nothing read is
        # kept once the refresh returns (the outcomes say what changed, not the events)
        for future in as_completed(pending):
            n = pending[future]
            outcomes[n] = _store(relais, feeds[n], future.result(), now)
    # Deadlines follow the calendar at the next tick (follow_feeds), not here: a refresh runs apart from it.
    return [outcomes[n] for n in range(len(feeds))]


def refresh_due_feeds(relais, now: datetime) -> bool:
    """The job (bot.feature.Job, every minute apart from the tick): refresh each feed whose daily refresh (or
    hourly retry, when failing) is due. True when a feed was read or dropped (the tick has work: failure
    notices, deadlines to move)."""
    removed = forget_removed_feeds(relais, now)
    feeds = relais.settings.calendar_feeds
    if not feeds:
        return bool(removed)
    db, stamp = relais.db, to_text(now)
    due = []
    with db.atomic():
        for feed in feeds:
            calendar.ensure_feed(db, feed.url, stamp)
            state = calendar.feed(db, feed.url)
            assert state is not None  # ensured above
            if state["parsed_at"] and state["kind"] != feed.kind:  # its kind changed in the settings: read it now
                calendar.stamp_attempt(db, feed.url, stamp)
                due.append(feed)
            elif calendar.claim_feed(
                db, feed.url, stamp, to_text(now - REFRESH_EVERY), to_text(now - RETRY_FAILING_EVERY)
            ):
                due.append(feed)
    if due:
        refresh(relais, now, due)  # the tick delivers any failure notice
    return bool(removed or due)


def render_failure(relais, row: dict, now: datetime) -> outbox.Post | None:
    """The notice of a failure episode, unless the feed recovered (or failed anew) in the meantime."""

    data = outbox.payload(row)
    state = calendar.feed(relais.db, data["url"])
    if not state or state["failing_since"] != data["since"] or not row["target"]:
        return None
    tr = relais.tr
    reason, _, detail = (state["last_error"] or "malformed|").partition("|")
    count = len(calendar.source_events(relais.db, data["url"]))
    since = from_text(state["failing_since"]).astimezone(relais.settings.tz)
    text = tr(
        "feeds.failed",
        feed=escape(feed_label(data["url"])),
        reason=escape(error_text(tr, reason, detail)),
        count=tr.plural("feeds.events", count),
        since=tr.datetime(since),
    )
    return outbox.Post(channel=row["target"], blocks=[section(text)])


ERROR_REASONS = (
    "timeout",
    "connection",
    "http",
    "too_large",
    "malformed",
    "too_many",
    "empty",
    "html",
    "json",
    "not_ics",
    "truncated",
    "all_bad",
    "internal",
)
PROBLEMS = ("no_start", "bad_value", "duplicate", "bad_rule", "rscale", "unreadable")


def problem_text(tr, stored: str | None) -> str:
    """An unreadable event's problem ("code|PROPERTY|title") in plain words: « title » : what is wrong."""
    code, _, rest = (stored or "unreadable||").partition("|")
    prop, _, title = rest.partition("|")
    what = tr(f"feeds.problem.{code if code in PROBLEMS else 'unreadable'}", prop=prop or "?")
    return tr("feeds.problem.event", title=title or tr("feeds.untitled"), problem=what)


def error_text(tr, reason: str, detail: str) -> str:
    if reason == "all_bad":
        count, _, problem = detail.partition("|")
        return tr("feeds.error.all_bad", count=tr.number(int(count or 0)), problem=problem_text(tr, problem))
    return tr(f"feeds.error.{reason if reason in ERROR_REASONS else 'malformed'}", detail=detail)


def render_skipped(relais, row: dict, now: datetime) -> outbox.Post | None:
    """The notice of events a feed's read skipped, unless a later read no longer skips them."""
    data = outbox.payload(row)
    state = calendar.feed(relais.db, data["url"])
    if not state or not row["target"] or state["skipped_problem"] != data["problem"]:
        return None
    tr = relais.tr
    text = tr(
        "feeds.skipped",
        feed=escape(feed_label(data["url"])),
        count=tr.number(state["skipped"]),
        problem=escape(problem_text(tr, state["skipped_problem"])),
        total=tr.number(len(calendar.source_events(relais.db, data["url"]))),
    )
    return outbox.Post(channel=row["target"], blocks=[section(text)])


# -- python -m bot calendar refresh | export -------------------------------------------------------
def configure(parser, tr) -> None:
    parser.add_argument(
        "action", choices=("refresh", "export"), metavar=tr("cli.metavar.action"), help=tr("cli.arg.calendar_action")
    )
    parser.add_argument("-o", "--output", metavar=tr("cli.metavar.file"), help=tr("cli.arg.calendar_output"))
    parser.add_argument("--all", action="store_true", help=tr("cli.arg.calendar_all"))


def run_calendar(relais, args) -> int:
    tr = relais.tr
    if args.action == "export":
        body, count = ics_export.build(relais, everything=args.all)
        if args.output:
            Path(args.output).parent.mkdir(parents=True, exist_ok=True)
            Path(args.output).write_bytes(body)
            print(tr.plural("ics.written", count, path=args.output))
        else:
            sys.stdout.write(body.decode("utf-8"))
        return 0

    if relais.settings.team_channel:  # failure notices and moved deadlines would be posted there
        require_token(relais.settings, "calendar refresh")
    now = relais.clock.now()
    outcomes = forget_removed_feeds(relais, now)
    feeds = relais.settings.calendar_feeds
    if feeds:
        with relais.db.atomic():
            for feed in feeds:
                calendar.ensure_feed(relais.db, feed.url, to_text(now))
                calendar.stamp_attempt(relais.db, feed.url, to_text(now))
        outcomes += refresh(relais, now, feeds)
    elif not outcomes:
        print(tr("feeds.none"))
        return 0
    outcomes[-1].replanned = follow_feeds(relais, now)  # the deadlines the closures move, now: sent below
    for outcome in outcomes:
        print(describe(tr, outcome))
    keys = [o.reported for o in outcomes if o.reported] + [k for o in outcomes for k in o.replanned]
    if keys and relais.settings.bot_token:
        outbox.deliver(relais, keys=keys)
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def describe(tr, outcome: Outcome) -> str:
    """One line per feed for the operator (its address without its secret: terminals get copied around)."""
    numbers = {k: tr.number(getattr(outcome, k)) for k in ("added", "changed", "removed")}
    numbers["total"] = tr.plural("feeds.events", outcome.total)
    if outcome.status == "failed":
        assert outcome.error is not None  # a failed outcome carries its error
        line = tr(
            "feeds.cli.failed",
            url=redacted(outcome.url),
            total=numbers["total"],
            reason=error_text(tr, outcome.error.reason, outcome.error.detail),
        )
        return line + ("\n" + tr("feeds.cli.reported") if outcome.reported else "")
    line = tr(f"feeds.cli.{outcome.status}", url=redacted(outcome.url), **numbers)
    if outcome.skipped:
        line += "\n" + tr(
            "feeds.cli.skipped", count=tr.number(outcome.skipped), problem=problem_text(tr, outcome.problem)
        )
    return line

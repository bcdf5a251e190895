"""The university calendar's iCalendar feeds (CALENDAR_ICS_URLS): fetched, parsed, stored.

    fetch(url, etag, last_modified)       # requests, with timeouts and a conditional GET; FeedError
    parse(body, feed, today, tz)          # icalendar + recurring-ical-events: occurrences in the window
    refresh(relais, now, feeds)           # fetch (in parallel), then store each feed's events; [Outcome]
                                          # then deadlines follow the closures (bot.proposals.replan)
    refresh_due_feeds(relais, now)        # @planner: the feeds whose daily refresh is due
    python -m bot calendar refresh        # every feed now, printing what changed per feed
    python -m bot calendar export -o FILE # the editorial calendar (bot.calendar.ics)

Each feed is its own source in `calendar_events` (source = its URL). An event's kind comes from its
CATEGORIES when one names a known kind (English or French words: "exams", "Examens", "Fermeture"...),
else from the feed's default (`kind=URL`), else `other`. Every occurrence of a recurring event
(RRULE, RDATE, EXDATE, overridden occurrences) from WINDOW_BACK before today to WINDOW_AHEAD after
is one event with a stable uid: feed URL + UID + recurrence date.

A feed that is down, slow, too big or malformed changes nothing that is known: its events stay as
they were, the error is recorded in `calendar_feeds`, and the team channel is told once per
failure episode (outbox key `calendar-feed:<feed>:<episode start>`); a successful fetch ends the
episode. A healthy feed is fetched once a day, a failing one retried every hour; each fetch is
claimed in the database, so two processes never fetch the same feed at once.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
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
from storage import calendar
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

# Words a feed's CATEGORIES may use for each kind (compared without accents, case or punctuation).
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
        "conge",
        "conges",
        "holiday",
        "holidays",
    ),
    "exams": (
        "exams",
        "exam",
        "examens",
        "examen",
        "examinations",
        "finals",
        "final-exams",
        "periode-d-examens",
        "periode-des-examens",
        "intra",
        "intras",
    ),
    "term-start": (
        "term-start",
        "term-begins",
        "start-of-term",
        "first-day-of-classes",
        "classes-begin",
        "rentree",
        "debut-de-session",
        "debut-des-cours",
    ),
    "reading-week": (
        "reading-week",
        "study-break",
        "semaine-de-lecture",
        "semaine-d-activites-libres",
        "activites-libres",
        "relache",
        "semaine-de-relache",
    ),
    "other": ("other", "autre", "autres"),
}
_WORD_KIND = {word: kind for kind, words in KIND_WORDS.items() for word in words}
_TIME_PROPS = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")


class FeedError(Exception):
    """Why a feed could not be used: `reason` is one of timeout, connection, http, too_large, malformed,
    too_many (catalog keys feeds.error.*); `detail` is short technical text."""

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
    events: list[dict] = field(default_factory=list, repr=False)  # parsed (200 only)


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
    replanned: list[str] = field(default_factory=list)  # outbox keys of the deadlines this refresh moved
    events: list[dict] = field(default_factory=list, repr=False)


# -- fetching ---------------------------------------------------------------------------------------
def fetch(
    url: str,
    etag: str | None = None,
    last_modified: str | None = None,
    *,
    session: requests.Session | None = None,
    total_timeout: float = TOTAL_TIMEOUT,
) -> Fetched:
    """GET the feed (conditional when `etag`/`last_modified` are given). Raises FeedError."""
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
            return Fetched(200, b"".join(chunks), response.headers.get("ETag"), response.headers.get("Last-Modified"))
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


def kind_of(categories: list[str], default: str | None) -> str:
    """The first category that names a known kind, else the feed's default, else `other`."""
    for category in categories:
        kind = _WORD_KIND.get(_norm(category))
        if kind:
            return kind
    return default if default in EVENT_KINDS else "other"


def _categories(component) -> list[str]:
    value = component.get("CATEGORIES")
    if value is None:
        return []
    out = []
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


def parse(body: bytes, feed: Feed, today: date, tz: ZoneInfo, untitled: str = "") -> list[dict]:
    """The feed's occurrences overlapping [today - WINDOW_BACK, today + WINDOW_AHEAD], as event dicts
    (uid, name, kind, start, end). Raises FeedError('malformed' | 'too_many')."""

    try:
        cal = icalendar.Calendar.from_ical(body)
    except Exception as error:  # noqa: BLE001 - whatever the parser dislikes, the feed is malformed
        raise FeedError("malformed", str(error).splitlines()[0] if str(error) else type(error).__name__) from None
    if getattr(cal, "name", None) != "VCALENDAR":
        raise FeedError("malformed", "no VCALENDAR")
    recurring, master_categories = set(), {}
    for component in cal.walk("VEVENT"):
        for prop, problem in getattr(component, "errors", []) or []:
            if prop in _TIME_PROPS:
                raise FeedError("malformed", f"{prop}: {problem}")
        if "DTSTART" not in component:
            raise FeedError("malformed", "VEVENT without DTSTART")
        uid = str(component.get("UID", ""))
        if any(p in component for p in ("RRULE", "RDATE", "RECURRENCE-ID")):
            recurring.add(uid)
        if "RECURRENCE-ID" not in component and _categories(component):
            master_categories[uid] = _categories(component)
    try:
        occurrences = recurring_ical_events.of(cal).between(today - WINDOW_BACK, today + WINDOW_AHEAD)
    except Exception as error:  # noqa: BLE001 - a series the library cannot expand
        raise FeedError("malformed", f"{type(error).__name__}: {error}") from None
    events: dict[str, dict] = {}
    for count, component in enumerate(occurrences, 1):
        if count > MAX_OCCURRENCES:
            raise FeedError("too_many", f"> {MAX_OCCURRENCES}")
        name = one_line(component.get("SUMMARY"))
        raw_uid = str(component.get("UID") or "") or f"{name}|{component['DTSTART'].to_ical().decode()}"
        recurrence = ""
        if raw_uid in recurring and component.get("RECURRENCE-ID") is not None:
            recurrence = _recurrence_text(component["RECURRENCE-ID"].dt)
        elif raw_uid in recurring:
            recurrence = _recurrence_text(component["DTSTART"].dt)
        try:
            start, end = _span(component, tz)
        except (KeyError, TypeError, AttributeError) as error:
            raise FeedError("malformed", f"{type(error).__name__}: {error}") from None
        categories = _categories(component) or master_categories.get(raw_uid, [])
        uid = event_uid(feed.url, raw_uid, recurrence)
        events[uid] = {
            "uid": uid,
            "name": (name or untitled or raw_uid)[:300],
            "kind": kind_of(categories, feed.kind),
            "start": start,
            "end": end,
        }
    return sorted(events.values(), key=lambda e: (e["start"], e["uid"]))


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
    conditional = not _full_fetch_due(state, now)
    try:
        fetched = fetch(
            feed.url,
            state.get("etag") if state and conditional else None,
            state.get("last_modified") if state and conditional else None,
        )
        fetched.events = (
            [] if fetched.status == 304 else parse(fetched.body, feed, now.astimezone(tz).date(), tz, untitled)
        )
        return fetched
    except FeedError as error:
        return error
    except Exception as error:
        log.exception("feed %s: unexpected error", redacted(feed.url))
        return FeedError("malformed", type(error).__name__)


def _store(relais, feed: Feed, result, now: datetime) -> Outcome:
    db, stamp = relais.db, to_text(now)
    with db.atomic():
        calendar.ensure_feed(db, feed.url, stamp)
        known = {e["uid"]: e for e in calendar.source_events(db, feed.url)}
        if isinstance(result, FeedError):
            since = calendar.feed_failed(db, feed.url, stamp, result.stored)
            outcome = Outcome(feed.url, "failed", total=len(known), error=result)
            if not calendar.feed(db, feed.url)["error_reported"]:
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
        outcome = Outcome(
            feed.url,
            "updated",
            total=len(fresh),
            events=result.events,
            added=sum(1 for uid in fresh if uid not in known),
            changed=sum(1 for uid, e in fresh.items() if uid in known and not _same(known[uid], e)),
            removed=sum(1 for uid in known if uid not in fresh),
        )
        calendar.replace_source(db, feed.url, result.events, stamp)
        calendar.feed_ok(db, feed.url, stamp, etag=result.etag, last_modified=result.last_modified, parsed=True)
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
        outcomes.append(Outcome(source, "removed", removed=count))
    if outcomes:  # its closures are gone: deadlines follow
        outcomes[-1].replanned = replan.follow_rules(relais, now)
    return outcomes


def refresh(relais, now: datetime, feeds: list[Feed] | tuple[Feed, ...] | None = None) -> list[Outcome]:
    """Fetch these feeds (all configured ones by default) in parallel, then store each one's events.
    Bounded by the timeouts: a dead server costs at most TOTAL_TIMEOUT, whatever the number of feeds."""
    feeds = list(relais.settings.calendar_feeds if feeds is None else feeds)
    if not feeds:
        return []
    db, tz = relais.db, relais.settings.tz
    untitled = relais.tr("feeds.untitled")
    states = {f.url: calendar.feed(db, f.url) for f in feeds}
    with ThreadPoolExecutor(max_workers=min(8, len(feeds)), thread_name_prefix="relais-feed") as pool:
        results = list(pool.map(lambda f: _download_and_parse(f, states[f.url], now, tz, untitled), feeds))
    outcomes = [_store(relais, feed, result, now) for feed, result in zip(feeds, results, strict=False)]
    # Deadlines follow the calendar: a closure added, moved or removed by a feed moves them (a no-op
    # when the closures are those already applied).
    outcomes[-1].replanned = replan.follow_rules(relais, now)
    return outcomes


def refresh_due_feeds(relais, now: datetime) -> None:
    """Scheduler: refresh each feed whose daily refresh (or hourly retry, when failing) is due."""
    forget_removed_feeds(relais, now)
    feeds = relais.settings.calendar_feeds
    if not feeds:
        return
    db, stamp = relais.db, to_text(now)
    due = []
    with db.atomic():
        for feed in feeds:
            calendar.ensure_feed(db, feed.url, stamp)
            if calendar.claim_feed(
                db, feed.url, stamp, to_text(now - REFRESH_EVERY), to_text(now - RETRY_FAILING_EVERY)
            ):
                due.append(feed)
    if due:
        refresh(relais, now, due)  # the tick delivers any failure notice right after the planners


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


ERROR_REASONS = ("timeout", "connection", "http", "too_large", "malformed", "too_many")


def error_text(tr, reason: str, detail: str) -> str:
    return tr(f"feeds.error.{reason if reason in ERROR_REASONS else 'malformed'}", detail=detail)


# -- python -m bot calendar refresh | export -------------------------------------------------------
def configure(parser) -> None:
    parser.add_argument("action", choices=("refresh", "export"))
    parser.add_argument("-o", "--output", help="export: the .ics file to write (default: standard output)")


def run_calendar(relais, args) -> int:
    tr = relais.tr
    if args.action == "export":
        body, count = ics_export.build(relais)
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
        line = tr(
            "feeds.cli.failed",
            url=redacted(outcome.url),
            total=numbers["total"],
            reason=error_text(tr, outcome.error.reason, outcome.error.detail),
        )
        return line + ("\n" + tr("feeds.cli.reported") if outcome.reported else "")
    return tr(f"feeds.cli.{outcome.status}", url=redacted(outcome.url), **numbers)

"""The editorial calendar as iCalendar, for the team's calendar apps.

    body, count = build(relais)                      # bytes of a VCALENDAR, number of VEVENTs, of the window
    body, count = build(relais, everything=True)     # of every day of the history
    python -m bot calendar export -o FILE [--all]    # (bot.calendar.feeds registers the `calendar` command)
    GET /calendar.ics?key=CALENDAR_FEED_KEY          # HTTP mode (and HEAD); 404 when the key is absent, wrong or unset;
                                                     # ETag and Last-Modified: 304 to If-None-Match / If-Modified-Since

One all-day event per placement's publication (its published date once published, else the
proposal's date) and one per submission deadline, for every placement that is not cancelled (nor
its proposal), whose day is in the window: CALENDAR_FEED_WINDOW's months before and after today, a year
back to two years ahead by default (storage.editorial reads only the placements with a day in it). UIDs
are stable (`placement-<id>-publication@relais`, `placement-<id>-deadline@relais`), so a subscribed
calendar updates its events instead of duplicating them. STATUS follows the
placement: TENTATIVE until accepted, CONFIRMED once accepted or published, CANCELLED when declined.
An editorial calendar with nothing in it still has one component, as RFC 5545 requires: the VTIMEZONE of
TIMEZONE (the calendar's X-WR-TIMEZONE), which every calendar application accepts.

Served over HTTP, each answer carries an ETag (a hash of storage.editorial.fingerprint, the window, the
language, the time zone, the catalog and FORMAT) and a Last-Modified: a poll that has the current version
gets 304 without anything rendered. One thread (_RENDERER) renders the calendars, one after the other, into a
temporary file they are sent from: at ten years of history, about half a second and a few MB.

The key is compared as given in the address, percent-decoded or not: a key with "+" or "/" (base64) works
pasted as is or URL-encoded; .env.example recommends a URL-safe one (secrets.token_urlsafe).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import tempfile
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import BinaryIO
from urllib.parse import unquote, unquote_plus

from icalendar import Timezone

from bot.clock import from_text
from bot.i18n import CATALOGS, DATE_PATTERNS
from storage import editorial

UID_DOMAIN = "relais"
ICAL_STATUS = {
    "planned": "TENTATIVE",
    "submitted": "TENTATIVE",
    "accepted": "CONFIRMED",
    "published": "CONFIRMED",
    "declined": "CANCELLED",
    "withdrawn": "CANCELLED",
}
LINE_OCTETS = 75  # RFC 5545 3.1: longer content lines are folded (CRLF and a space), never inside a character
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # TEXT has no control character but HTAB (and \n)
_SPECIAL = re.compile(r"[\\;,\n\r\x00-\x08\x0b-\x1f\x7f]")  # what _text changes
_URI = re.compile(r"https?://[^\s\x00-\x1f\x7f]+")
FORMAT = "relais-ics-2"  # change it when the rendering changes: every calendar's ETag changes with it
CHUNK = 64 * 1024  # bytes of the calendar written to its spool file at once
# Bytes read from the spool and handed to the server at once: at least waitress's outbuf_overflow (1 MiB, its
# default), so each goes straight to the server's own spool file. Smaller writes (or waitress's file_wrapper)
# go through in-memory buffers that leave about 6 MB behind in each server thread that sent a calendar, 50 MB
# once all eight have; 1 MiB reads leave about 2 MB (measured at ten years of bench data: `make bench`, e).
SEND = 1024 * 1024
# One thread renders the calendars the web process serves, one after the other: twenty clients polling at
# once queue instead of rendering twenty calendars side by side, and the rendering's memory (its rows, its
# SQLite connection's page cache) stays in that thread's allocator instead of in each server thread's.
_RENDERER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relais-calendar")


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as \\n."""
    if not _SPECIAL.search(value):
        return value
    value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _line(name: str, value: str) -> bytes:
    """One content line, folded at 75 octets without cutting a UTF-8 character, ended by CRLF."""
    data = f"{name}:{value}".encode()
    if len(data) <= LINE_OCTETS:
        return data + b"\r\n"
    parts, start, limit = [], 0, LINE_OCTETS
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and data[end] & 0xC0 == 0x80:  # a continuation byte: cut before its character
            end -= 1
        parts.append(data[start:end])
        start, limit = end, LINE_OCTETS - 1  # a folded line starts with a space
    return b"\r\n ".join(parts) + b"\r\n"


def _stamp(text: str) -> str:
    """A stored instant ('2026-12-01T14:00:00Z', bot.clock.to_text) as a DATE-TIME in UTC ('20261201T140000Z')."""
    return from_text(text).strftime("%Y%m%dT%H%M%SZ") if len(text) != 20 else text.replace("-", "").replace(":", "")


@dataclass(frozen=True)
class _Day:
    """A day as the calendar writes it: in words (the description), as DTSTART and DTEND values."""

    words: str
    start: str
    end: str


def _event(
    uid: str, day: _Day, summary: str, description: bytes, status: str, stamp: str, url: str | None, categories: str
) -> bytes:
    """One all-day VEVENT; `description` is its folded DESCRIPTION line (the same in a placement's two events)."""
    fixed = (  # short ASCII lines: nothing to escape nor fold
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:{stamp}\r\nLAST-MODIFIED:{stamp}\r\n"
        f"DTSTART;VALUE=DATE:{day.start}\r\nDTEND;VALUE=DATE:{day.end}\r\n"
        f"STATUS:{status}\r\nTRANSP:TRANSPARENT\r\n"
    )
    return b"".join(
        (
            fixed.encode(),
            _line("SUMMARY", _text(summary)),
            description,
            _line("CATEGORIES", categories),
            _line("URL", url) if url else b"",
            b"END:VEVENT\r\n",
        )
    )


class Rendering:
    """The VCALENDAR of `rows` (storage.editorial) in pieces: its head, one piece per event, its end; `count`
    is the number of events rendered so far. Written directly (one event costs a few string operations: the
    icalendar library's objects cost a hundred times more); the icalendar library reads it back in the tests."""

    def __init__(self, relais, rows: Iterable[dict], window: tuple[date, date] | None = None):
        self.relais, self.rows, self.count = relais, rows, 0
        self.window = (window[0].isoformat(), window[1].isoformat()) if window else None  # ISO text compares as days
        self._days: dict[str, _Day] = {}  # a few hundred distinct days for thousands of events
        self._words: dict[str, str] = {}  # statuses, categories, kinds in the team's language

    def _day(self, iso: str) -> _Day:
        if iso not in self._days:
            day = date.fromisoformat(iso)
            self._days[iso] = _Day(
                self.relais.tr.date(day), iso.replace("-", ""), (day + timedelta(days=1)).isoformat().replace("-", "")
            )
        return self._days[iso]

    def _word(self, key: str) -> str:
        if key not in self._words:
            self._words[key] = self.relais.tr(key)
        return self._words[key]

    def head(self) -> bytes:
        tr, settings = self.relais.tr, self.relais.settings
        return b"".join(
            (
                b"BEGIN:VCALENDAR\r\n",
                b"VERSION:2.0\r\n",
                _line("PRODID", "-//Relais//Editorial calendar//" + settings.language.upper()),
                b"CALSCALE:GREGORIAN\r\n",
                b"METHOD:PUBLISH\r\n",
                _line("X-WR-CALNAME", _text(tr("ics.calname"))),
                _line("X-WR-CALDESC", _text(tr("ics.caldesc"))),
                _line("X-WR-TIMEZONE", _text(settings.timezone)),
            )
        )

    def events(self, row: dict) -> Iterator[bytes]:
        """The placement's publication event and its deadline event (those of the two in the window)."""
        tr = self.relais.tr
        stamp = _stamp(max(row["updated_at"], row["proposal_updated_at"]))
        publication = row["published_on"] or row["publish_on"]
        deadline = row["deadline"]
        link = row["published_url"] or row["link"] or ""
        url = link if _URI.fullmatch(link) else None
        description = tr(
            "ics.description",
            number=row["proposal_id"],
            status=self._word(f"propose.status.{row['status']}"),
            publication=self._day(publication).words,
            deadline=self._day(deadline).words,
            outlet=row["outlet_name"],
        )
        if url:
            description += "\n" + tr("ics.link", url=url)
        if row.get("outlet_text"):  # issue 17: the placement's own text for its outlet
            description += "\n\n" + tr("ics.outlet_text", text=row["outlet_text"])
        folded = _line("DESCRIPTION", _text(description))  # the same in both events
        status = ICAL_STATUS.get(row["status"], "TENTATIVE")
        category = _text(self._word(f"propose.category.{row['category']}"))
        for kind, day in (("publication", publication), ("deadline", deadline)):
            if self.window and not self.window[0] <= day <= self.window[1]:
                continue
            self.count += 1
            yield _event(
                f"placement-{row['id']}-{kind}@{UID_DOMAIN}",
                self._day(day),
                tr(f"ics.{kind}", title=row["title"], outlet=row["outlet_name"]),
                folded,
                status,
                stamp,
                url,
                _text(self._word(f"ics.kind.{kind}")) + "," + category,
            )

    def __iter__(self) -> Iterator[bytes]:
        yield self.head()
        for row in self.rows:
            yield from self.events(row)
        if not self.count:  # RFC 5545: at least one component
            yield Timezone.from_tzid(self.relais.settings.timezone).to_ical()
        yield b"END:VCALENDAR\r\n"


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (earlier when negative), the last of the month when it has fewer days."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def window(relais) -> tuple[date, date]:
    """The days the calendar covers, both included: CALENDAR_FEED_WINDOW's months before and after today
    (by default a year back, two years ahead)."""
    back, ahead = relais.settings.calendar_feed_window
    today = relais.clock.today()
    return _add_months(today, -back), _add_months(today, ahead)


@dataclass(frozen=True)
class Version:
    """What identifies one state of the window's calendar, known before it is rendered: `etag` (an HTTP
    entity tag, quoted) and `last_modified` (UTC, whole seconds)."""

    etag: str
    last_modified: datetime


@cache
def _catalog_digest(language: str) -> str:
    """The messages and date formats the calendar is written with: a new wording is a new calendar."""
    text = repr((sorted(CATALOGS[language].items()), sorted(DATE_PATTERNS[language].items())))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def version(relais, days: tuple[date, date]) -> Version:
    """The calendar's version, from storage.editorial.fingerprint (a few index reads, no rendering): the ETag
    hashes it with the window, the language, the time zone, the catalog and FORMAT; Last-Modified is the
    latest change it knows of, or the start of today when later (the window moved at midnight)."""
    settings = relais.settings
    row = editorial.fingerprint(relais.db, *days)
    parts = [FORMAT, settings.language, settings.timezone, *map(str, days), _catalog_digest(settings.language)]
    parts += [f"{name}={row[name]}" for name in sorted(row)]
    etag = '"' + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32] + '"'
    midnight = datetime.combine(relais.clock.today(), time(0), settings.tz).astimezone(UTC)
    changes = [
        from_text(row[name])
        for name in ("placements_changed", "proposals_changed", "outlets_changed", "history_at")
        if row[name]
    ]
    return Version(etag, max([midnight, *changes]).replace(microsecond=0))


def build(relais, everything: bool = False) -> tuple[bytes, int]:
    """The calendar of the window, or of every day with `everything` (`calendar export --all`)."""
    days = None if everything else window(relais)
    rows = editorial.entries(relais.db) if days is None else editorial.entries(relais.db, *days)
    rendering = Rendering(relais, rows, days)
    body = b"".join(rendering)
    return body, rendering.count


def _not_found():
    return "404 Not Found", {"Content-Type": "application/json"}, json.dumps({"error": "not found"}).encode()


def _key_matches(query: str, expected: str) -> bool:
    """The `key` parameter equals the expected key, read with "+" as a space (form encoding) or as itself (a key
    pasted as is); each comparison in constant time."""
    wanted = expected.encode("utf-8")
    for pair in query.split("&"):
        name, _, raw = pair.partition("=")
        if name != "key":
            continue
        forms = {unquote_plus(raw), unquote(raw)}
        if any(hmac.compare_digest(form.encode("utf-8"), wanted) for form in sorted(forms)):
            return True
    return False


def _tags(header: str) -> list[str]:
    """The entity tags of an If-None-Match header, weak ones as their strong form (weak comparison)."""
    return [tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()]


def not_modified(environ, current: Version) -> bool:
    """The request's conditions say the client has `current` already (RFC 9110 13.1.2, 13.1.3): If-None-Match
    names its ETag (or "*"); without If-None-Match, If-Modified-Since is not older than its Last-Modified."""
    if_none_match = environ.get("HTTP_IF_NONE_MATCH")
    if if_none_match is not None:
        tags = _tags(if_none_match)
        return "*" in tags or current.etag in tags
    if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
    if not if_modified_since:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # not an HTTP date: ignored, as RFC 9110 says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return current.last_modified <= since


def _chunks(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """The pieces regrouped in CHUNK-sized writes."""
    buffer: list[bytes] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def _spooled(relais, environ) -> tuple[Version, BinaryIO | None, int]:
    """In the renderer thread: the window's version and, unless the client has it (304), the calendar
    written to a temporary file (rows read one by one, nothing held in memory), its size."""
    days = window(relais)
    current = version(relais, days)
    if not_modified(environ, current):
        return current, None, 0
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the server, closed once sent (_sent)
    try:
        for chunk in _chunks(Rendering(relais, editorial.entries(relais.db, *days), days)):
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    return current, spool, size


def _sent(spool: BinaryIO) -> Iterator[bytes]:
    """The spooled calendar in SEND-sized reads, the file closed at the end (or when the client leaves)."""
    try:
        while block := spool.read(SEND):
            yield block
    finally:
        spool.close()


def serve(relais, environ):
    """GET /calendar.ics?key=…: the feed, only with the right key (compared in constant time); with its ETag
    and Last-Modified, so a client that has it gets 304 Not Modified without it being rendered. HEAD: the same
    headers, no body. Rendered in one thread (_RENDERER) into a temporary file, then sent from it."""
    expected = relais.settings.calendar_feed_key
    if not expected or not _key_matches(environ.get("QUERY_STRING", ""), expected):
        return _not_found()
    current, spool, size = _RENDERER.submit(_spooled, relais, environ).result()
    headers = {
        "Cache-Control": "private, max-age=300",
        "ETag": current.etag,
        "Last-Modified": format_datetime(current.last_modified, usegmt=True),
    }
    if spool is None:
        return "304 Not Modified", headers, None
    headers |= {
        "Content-Type": "text/calendar; charset=utf-8",
        "Content-Disposition": 'inline; filename="relais.ics"',
        "Content-Length": str(size),
    }
    if environ.get("REQUEST_METHOD") == "HEAD":
        spool.close()
        return "200 OK", headers, None
    return "200 OK", headers, _sent(spool)

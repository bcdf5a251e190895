"""The editorial calendar as iCalendar, for the team's calendar apps.

    body, count = build(relais)                      # bytes of a VCALENDAR, number of VEVENTs
    python -m bot calendar export -o FILE            # (bot.calendar.feeds registers the `calendar` command)
    GET /calendar.ics?key=CALENDAR_FEED_KEY          # HTTP mode (and HEAD); 404 when the key is absent, wrong or unset

One all-day event per placement's publication (its published date once published, else the
proposal's date) and one per submission deadline, for every placement that is not cancelled (nor
its proposal). UIDs are stable (`placement-<id>-publication@relais`, `placement-<id>-deadline@relais`),
so a subscribed calendar updates its events instead of duplicating them. STATUS follows the
placement: TENTATIVE until accepted, CONFIRMED once accepted or published, CANCELLED when declined.
An editorial calendar with nothing in it still has one component, as RFC 5545 requires: the VTIMEZONE of
TIMEZONE (the calendar's X-WR-TIMEZONE), which every calendar application accepts.

The key is compared as given in the address, percent-decoded or not: a key with "+" or "/" (base64) works
pasted as is or URL-encoded; .env.example recommends a URL-safe one (secrets.token_urlsafe).
"""

from __future__ import annotations

import hmac
import json
from datetime import date, timedelta
from urllib.parse import unquote, unquote_plus

from icalendar import Calendar, Event, Timezone

from bot.clock import from_text
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


def _event(
    uid: str, day: date, summary: str, description: str, status: str, stamp, url: str | None, categories: list[str]
):
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("status", status)
    event.add("transp", "TRANSPARENT")
    event.add("categories", categories)
    if url:
        event.add("url", url)
    return event


def build(relais) -> tuple[bytes, int]:
    tr = relais.tr
    cal = Calendar()
    cal.add("prodid", "-//Relais//Editorial calendar//" + relais.settings.language.upper())
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", tr("ics.calname"))
    cal.add("x-wr-caldesc", tr("ics.caldesc"))
    cal.add("x-wr-timezone", relais.settings.timezone)
    count = 0
    for row in editorial.entries(relais.db):
        stamp = from_text(max(row["updated_at"], row["proposal_updated_at"]))
        publication = date.fromisoformat(row["published_on"] or row["publish_on"])
        deadline = date.fromisoformat(row["deadline"])
        link = row["published_url"] or row["link"] or ""
        url = link if link.startswith(("http://", "https://")) else None
        description = tr(
            "ics.description",
            number=row["proposal_id"],
            status=tr(f"propose.status.{row['status']}"),
            publication=tr.date(publication),
            deadline=tr.date(deadline),
            outlet=row["outlet_name"],
        )
        if url:
            description += "\n" + tr("ics.link", url=url)
        if row.get("outlet_text"):  # issue 17: the placement's own text for its outlet
            description += "\n\n" + tr("ics.outlet_text", text=row["outlet_text"])
        status = ICAL_STATUS.get(row["status"], "TENTATIVE")
        category = tr(f"propose.category.{row['category']}")
        cal.add_component(
            _event(
                f"placement-{row['id']}-publication@{UID_DOMAIN}",
                publication,
                tr("ics.publication", title=row["title"], outlet=row["outlet_name"]),
                description,
                status,
                stamp,
                url,
                [tr("ics.kind.publication"), category],
            )
        )
        cal.add_component(
            _event(
                f"placement-{row['id']}-deadline@{UID_DOMAIN}",
                deadline,
                tr("ics.deadline", title=row["title"], outlet=row["outlet_name"]),
                description,
                status,
                stamp,
                url,
                [tr("ics.kind.deadline"), category],
            )
        )
        count += 2
    if not count:  # RFC 5545: at least one component
        cal.add_component(Timezone.from_tzid(relais.settings.timezone))
    return cal.to_ical(), count


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


def serve(relais, environ):
    """GET /calendar.ics?key=…: the feed, only with the right key (compared in constant time)."""
    expected = relais.settings.calendar_feed_key
    if not expected or not _key_matches(environ.get("QUERY_STRING", ""), expected):
        return _not_found()
    body, _count = build(relais)
    return (
        "200 OK",
        {
            "Content-Type": "text/calendar; charset=utf-8",
            "Cache-Control": "private, max-age=300",
            "Content-Disposition": 'inline; filename="relais.ics"',
        },
        body,
    )

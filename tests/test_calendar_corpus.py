"""A corpus of tricky calendars written for this project (issue 15): each is read by bot.calendar.feeds and
its occurrences compared with what recurring-ical-events itself expands from the well-formed content —
recurrences with EXDATE and RECURRENCE-ID, "this and all following" changes, all-day and timed closures,
Windows time zone names, floating times, Latin-1, several VCALENDARs in one stream, one bad event among
good ones, events without UID, and UIDs regenerated at each build."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from bot.calendar import feeds
from bot.settings import Feed

TZ = ZoneInfo("America/Montreal")
TODAY = date(2026, 11, 15)
FEED = Feed("https://calendrier.example.org/corpus.ics")


def vcalendar(*events: str, head: str = "") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Relais//Corpus//FR", *head.strip().splitlines()]
    for event in events:
        lines += ["BEGIN:VEVENT", *[line.strip() for line in event.strip().splitlines()], "END:VEVENT"]
    return "\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n"


SEMINAR = """
UID:seminaire@bib.example
DTSTART;TZID=America/Toronto:20270111T100000
DTEND;TZID=America/Toronto:20270111T120000
RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270412T150000Z
EXDATE;TZID=America/Toronto:20270301T100000
SUMMARY:Séminaire de recherche documentaire
"""
SEMINAR_MOVED = """
UID:seminaire@bib.example
RECURRENCE-ID;TZID=America/Toronto:20270215T100000
DTSTART;TZID=America/Toronto:20270217T140000
DTEND;TZID=America/Toronto:20270217T160000
SUMMARY:Séminaire (déplacé au mercredi)
"""
FRIDAYS = """
UID:vendredis@bib.example
DTSTART;VALUE=DATE:20270108
DTEND;VALUE=DATE:20270109
RRULE:FREQ=WEEKLY;COUNT=10
CATEGORIES:Fermeture
SUMMARY:Fermeture du vendredi
"""
FRIDAYS_LATER = """
UID:vendredis@bib.example
RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20270205
DTSTART;VALUE=DATE:20270205
DTEND;VALUE=DATE:20270206
SUMMARY:Fermeture du vendredi (nouvel horaire)
"""
HOLIDAYS = """
UID:fetes-2026@bib.example
DTSTART;VALUE=DATE:20261224
DTEND;VALUE=DATE:20270105
SUMMARY:Congé des Fêtes
"""
EVENING_CLOSURE = """
UID:panne@bib.example
DTSTART;TZID=America/Montreal:20261203T233000
DTEND;TZID=America/Montreal:20261204T060000
SUMMARY:Fermeture pour travaux électriques
"""
WINDOWS = """
UID:exchange-1@bib.example
DTSTART;TZID=Eastern Standard Time:20261207T233000
DTEND;TZID=Eastern Standard Time:20261208T003000
SUMMARY:Examens — séance de nuit
"""
FLOATING = """
UID:flottant@bib.example
DTSTART:20261210T233000
DTEND:20261211T010000
SUMMARY:Inventaire de nuit
"""
SUMMER = """
UID:ete@bib.example
DTSTART;VALUE=DATE:20270719
DTEND;VALUE=DATE:20270731
SUMMARY:Fermeture de l'été
"""
EXAM_DAYS = """
UID:examens@bib.example
DTSTART;VALUE=DATE:20261207
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Examens finaux
"""
NO_UID_SHORT = """
DTSTART:20261208T140000Z
DTEND:20261208T150000Z
SUMMARY:Formation Zotero
"""
NO_UID_LONG = """
DTSTART:20261208T140000Z
DTEND:20261210T150000Z
SUMMARY:Formation Zotero
"""
BAD = """
UID:mauvais@bib.example
DTSTART;VALUE=DATE:20261207
RRULE:FREQ=WEEKLY;BYDAY=MO\\, TU
SUMMARY:Règle cassée
"""


def local_days(component) -> tuple[date, date]:
    """The oracle's own reading of an occurrence's local days (exclusive all-day DTEND; floating = local)."""

    def local(value):
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=TZ)).astimezone(TZ)
        return value

    start = local(component["DTSTART"].dt)
    end = local(component["DTEND"].dt) if "DTEND" in component else start
    if isinstance(start, datetime):
        last = (end - timedelta(microseconds=1)).date() if end > start else start.date()
        return start.date(), max(start.date(), last)
    return start, max(start, end - timedelta(days=1))


def expected(*texts: str) -> list[tuple[str, date, date]]:
    """What recurring-ical-events expands from these well-formed calendars, in the feed's window."""
    out = []
    for text in texts:
        for cal in icalendar.Calendar.from_ical(text, multiple=True):
            for component in recurring_ical_events.of(cal).between(
                TODAY - feeds.WINDOW_BACK, TODAY + feeds.WINDOW_AHEAD
            ):
                out.append((str(component["SUMMARY"]), *local_days(component)))
    return sorted(out)


def read(body: bytes, charset: str | None = None) -> feeds.Reading:
    return feeds.read(body, FEED, TODAY, TZ, "(sans titre)", charset)


def spans(reading: feeds.Reading) -> list[tuple[str, date, date]]:
    return sorted((e["name"], e["start"], e["end"]) for e in reading.events)


CORPUS = {
    "rrule-exdate-recurrence-id": vcalendar(SEMINAR, SEMINAR_MOVED),
    "this-and-future": vcalendar(FRIDAYS, FRIDAYS_LATER),
    "all-day-and-timed-closures": vcalendar(HOLIDAYS, EVENING_CLOSURE),
    "windows-tzid": vcalendar(WINDOWS),
    "floating": vcalendar(FLOATING),
    "daily-exams": vcalendar(EXAM_DAYS),
    "no-uid": vcalendar(NO_UID_SHORT, NO_UID_LONG),
    "everything": vcalendar(SEMINAR, FRIDAYS, HOLIDAYS, WINDOWS, FLOATING, SEMINAR_MOVED, FRIDAYS_LATER, SUMMER),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_every_occurrence_recurring_ical_events_expands_is_read(name):
    reading = read(CORPUS[name].encode("utf-8"))
    assert reading.skipped == 0
    assert spans(reading) == expected(CORPUS[name])
    assert len({e["uid"] for e in reading.events}) == len(reading.events)  # none merged into another


def test_the_corpus_cases_are_what_they_claim():
    """The oracle itself: a guard that the corpus exercises what it says."""
    assert len(expected(CORPUS["this-and-future"])) == 10
    seminar = expected(CORPUS["rrule-exdate-recurrence-id"])
    assert not any(start == date(2027, 3, 1) for _, start, _ in seminar)  # EXDATE
    assert ("Séminaire (déplacé au mercredi)", date(2027, 2, 17), date(2027, 2, 17)) in seminar
    assert ("Fermeture pour travaux électriques", date(2026, 12, 3), date(2026, 12, 4)) in expected(
        CORPUS["all-day-and-timed-closures"]
    )
    assert ("Congé des Fêtes", date(2026, 12, 24), date(2027, 1, 4)) in expected(CORPUS["all-day-and-timed-closures"])
    assert expected(CORPUS["windows-tzid"]) == [("Examens — séance de nuit", date(2026, 12, 7), date(2026, 12, 8))]
    assert expected(CORPUS["floating"]) == [("Inventaire de nuit", date(2026, 12, 10), date(2026, 12, 11))]
    assert len(expected(CORPUS["no-uid"])) == 2


def test_kinds_of_the_corpus():
    kinds = {e["name"]: e["kind"] for e in read(CORPUS["everything"].encode()).events}
    assert kinds["Fermeture du vendredi"] == "closure"  # CATEGORIES
    assert kinds["Fermeture du vendredi (nouvel horaire)"] == "closure"  # the master's CATEGORIES
    assert kinds["Congé des Fêtes"] == "closure"  # the title
    assert kinds["Examens — séance de nuit"] == "exams"
    assert kinds["Séminaire de recherche documentaire"] == "other"


@pytest.mark.parametrize("charset", [None, "iso-8859-1", "utf-8"])
def test_latin1(charset):
    text = vcalendar(SUMMER, HOLIDAYS)
    reading = read(text.encode("latin-1"), charset)
    assert spans(reading) == expected(text)
    assert "Fermeture de l'été" in {e["name"] for e in reading.events}


def test_several_vcalendars_in_one_stream():
    first, second = vcalendar(SEMINAR, SEMINAR_MOVED), vcalendar(FRIDAYS, FRIDAYS_LATER, HOLIDAYS)
    reading = read((first + second).encode())
    assert spans(reading) == expected(first, second)


def test_one_bad_event_among_good_ones():
    good = vcalendar(SEMINAR, FRIDAYS, HOLIDAYS, SEMINAR_MOVED, FRIDAYS_LATER)
    reading = read(vcalendar(SEMINAR, FRIDAYS, BAD, HOLIDAYS, SEMINAR_MOVED, FRIDAYS_LATER).encode())
    assert (reading.skipped, reading.problem) == (1, ("bad_rule", "RRULE", "Règle cassée"))
    assert spans(reading) == expected(good)


def test_regenerated_uids_give_the_same_occurrences():
    first = vcalendar(FRIDAYS, FRIDAYS_LATER, EXAM_DAYS, HOLIDAYS)
    rebuilt = first.replace("@bib.example", "-build-2@bib.example")
    a, b = read(first.encode()), read(rebuilt.encode())
    assert spans(a) == spans(b) == expected(first)
    assert not {e["uid"] for e in a.events} & {e["uid"] for e in b.events}  # new UIDs: new event uids

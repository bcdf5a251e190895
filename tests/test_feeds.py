"""iCalendar feeds of the university calendar: parsed with recurrences, fetched from a local server
(conditional GET, 304, 500, garbage, silence, slow drip), known events kept through failures, each
failure episode reported once, refreshed daily by the scheduler and on demand by the CLI."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import icalendar
import pytest
import recurring_ical_events

from bot.calendar import feeds
from bot.clock import parse_instant, to_text
from bot.i18n import translator
from bot.proposals import replan
from bot.runtime import jobs
from bot.settings import Feed
from bot.workdays import for_relais
from storage import calendar
from storage import outbox as outbox_rows
from storage import proposals as store
from tests.conftest import wait_until
from tests.test_feeds_server import FeedServer, ics
from tests.test_reminders_support import propose, reminder_posts

EXAMS = """
UID:exams-fall@umontreal.ca
DTSTAMP:20261001T120000Z
DTSTART;VALUE=DATE:20261207
DTEND;VALUE=DATE:20261210
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;VALUE=DATE:20261214
CATEGORIES:Examens
SUMMARY:Examens de fin de session
"""
EXAMS_MOVED = """
UID:exams-fall@umontreal.ca
DTSTAMP:20261001T120000Z
RECURRENCE-ID;VALUE=DATE:20261221
DTSTART;VALUE=DATE:20261222
DTEND;VALUE=DATE:20261223
SUMMARY:Examens (reportés)
"""
CLOSURE = """
UID:panne-2026@umontreal.ca
DTSTAMP:20261001T120000Z
DTSTART;VALUE=DATE:20261215
DTEND;VALUE=DATE:20261217
CATEGORIES:Fermeture,Congés
SUMMARY:Fermeture (travaux électriques)
"""
TIMED = """
UID:conference@umontreal.ca
DTSTAMP:20261001T120000Z
DTSTART:20261203T030000Z
DTEND:20261203T040000Z
SUMMARY:Conférence du soir
"""
YEARLY = """
UID:rentree-hiver@umontreal.ca
DTSTAMP:20261001T120000Z
DTSTART;VALUE=DATE:20200110
RRULE:FREQ=YEARLY
CATEGORIES:Rentrée
SUMMARY:Rentrée d'hiver
"""
FAR = """
UID:far@umontreal.ca
DTSTAMP:20261001T120000Z
DTSTART;VALUE=DATE:20300110
SUMMARY:Dans longtemps
"""


@pytest.fixture
def server():
    s = FeedServer().start()
    yield s
    s.stop()


def with_feeds(relais, *feed_list: Feed):
    relais.settings = dataclasses.replace(relais.settings, calendar_feeds=tuple(feed_list))
    return relais


def at(relais, text: str):
    return parse_instant(text, relais.settings.tz)


def feed_events(relais, url):
    return [(e["name"], e["kind"], e["start"], e["end"]) for e in calendar.source_events(relais.db, url)]


# -- parsing ----------------------------------------------------------------------------------------
def test_recurrences_exdates_and_moved_occurrences_become_one_event_each(relais):
    tz = relais.settings.tz
    events = feeds.parse(
        ics(EXAMS, EXAMS_MOVED, TIMED, YEARLY, FAR), Feed("https://cal.example/a.ics"), date(2026, 12, 1), tz
    )
    spans = [(e["name"], e["kind"], e["start"], e["end"]) for e in events]
    assert ("Examens de fin de session", "exams", date(2026, 12, 7), date(2026, 12, 9)) in spans
    assert not any(e["start"] == date(2026, 12, 14) for e in events)  # EXDATE
    assert ("Examens (reportés)", "exams", date(2026, 12, 22), date(2026, 12, 22)) in spans  # override keeps the kind
    assert ("Examens de fin de session", "exams", date(2026, 12, 28), date(2026, 12, 30)) in spans
    assert len([e for e in events if e["kind"] == "exams"]) == 3
    # 03:00 UTC on the 3rd is 22:00 on the 2nd in Montréal; no category, no default: other
    assert ("Conférence du soir", "other", date(2026, 12, 2), date(2026, 12, 2)) in spans
    # an endless yearly rule, inside the window only (one year back, two ahead)
    assert [e["start"] for e in events if e["kind"] == "term-start"] == [
        date(2026, 1, 10),
        date(2027, 1, 10),
        date(2028, 1, 10),
    ]
    assert not any(e["name"] == "Dans longtemps" for e in events)


def test_uids_are_stable_per_occurrence_and_distinct_per_feed(relais):
    tz = relais.settings.tz
    body = ics(EXAMS, EXAMS_MOVED)
    first = feeds.parse(body, Feed("https://cal.example/a.ics"), date(2026, 12, 1), tz)
    again = feeds.parse(
        ics(EXAMS, EXAMS_MOVED.replace("20261222", "20261223")),
        Feed("https://cal.example/a.ics"),
        date(2026, 12, 2),
        tz,
    )
    other = feeds.parse(body, Feed("https://cal.example/b.ics"), date(2026, 12, 1), tz)
    assert [e["uid"] for e in first] == [e["uid"] for e in again]  # the moved occurrence keeps its uid
    assert len({e["uid"] for e in first}) == 3
    assert not {e["uid"] for e in first} & {e["uid"] for e in other}


@pytest.mark.parametrize(
    "categories, default, expected",
    [
        (["Examens"], None, "exams"),
        (["Library", "Semaine d'activités libres"], "other", "reading-week"),
        (["FERMETURE"], "exams", "closure"),
        (["term-start"], None, "term-start"),
        (["Concert"], "closure", "closure"),
        (["Concert"], None, "other"),
        ([], "reading-week", "reading-week"),
    ],
)
def test_kind_from_categories_else_feed_default_else_other(categories, default, expected):
    assert feeds.kind_of(categories, default) == expected


ISSUE_WORDS = {
    "Jour férié": "closure",
    "Férié": "closure",
    "Congé férié": "closure",
    "Fermeture des bibliothèques": "closure",
    "Université fermée": "closure",
    "Campus closure": "closure",
    "Company Holidays": "closure",
    "Examens finaux": "exams",
    "Final Examinations": "exams",
    "Exam period": "exams",
    "Reading Break": "reading-week",
    "Semaine de relâche": "reading-week",
    "Début des cours": "term-start",
}


@pytest.mark.parametrize("words, kind", sorted(ISSUE_WORDS.items()))
def test_kind_from_the_usual_words_in_categories_and_in_the_title(words, kind):
    assert feeds.kind_of([words], None) == kind  # a category
    assert feeds.kind_of(["Université de Montréal", words], None) == kind  # among others
    assert feeds.kind_of([], None, f"{words} 2027") == kind  # the title
    assert feeds.kind_of(["Concert"], None, words) == kind  # a category naming no kind: the title decides
    assert feeds.kind_of([], "other", words) == "other"  # the feed's kind wins over the title
    assert feeds.kind_of([], "term-start", words) == "term-start"


@pytest.mark.parametrize("title", ["Conférence du soir", "Concert de Noël", "Lancement de livre", "Heure du conte"])
def test_ordinary_titles_stay_other(title):
    assert feeds.kind_of([], None, title) == "other"


def test_titles_name_the_kind_of_events_read_from_a_feed(relais):
    body = ics(
        "UID:a\nDTSTART;VALUE=DATE:20261224\nDTEND;VALUE=DATE:20270105\nSUMMARY:Congé des Fêtes — bibliothèques fermées"
    )
    (event,) = feeds.parse(body, Feed("https://cal.example/a.ics"), date(2026, 12, 1), relais.settings.tz)
    assert event["kind"] == "closure"


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"<html><body>Service unavailable</body></html>", "html"),
        (b"", "empty"),
        (b"  \r\n", "empty"),
        (b'{"error": "not found"}', "json"),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:demain\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "all_bad"),
        (b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261201T100000Z\r\nEND:VEVENT\r\n", "not_ics"),
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026", "truncated"),
    ],
)
def test_a_whole_feed_refused_says_why_in_words_a_person_can_act_on(relais, body, reason):
    with pytest.raises(feeds.FeedError) as raised:
        feeds.parse(body, Feed("https://cal.example/a.ics"), date(2026, 12, 1), relais.settings.tz)
    assert raised.value.reason == reason
    for tr in (relais.tr, translator("en")):
        text = feeds.error_text(tr, raised.value.reason, raised.value.detail)
        assert "Error" not in text and "object" not in text and "{" not in text
    if reason == "all_bad":
        assert feeds.error_text(relais.tr, "all_bad", raised.value.detail) == (
            "aucun de ses 1 événements ne peut être lu ; le premier : "
            "« (événement sans titre) » : date ou valeur illisible dans DTSTART"
        )


FRIDAYS = """
UID:vendredis@umontreal.ca
DTSTART;VALUE=DATE:20270108
DTEND;VALUE=DATE:20270109
RRULE:FREQ=WEEKLY;COUNT=10
SUMMARY:Fermeture du vendredi
"""
FRIDAYS_FROM_FEBRUARY = """
UID:vendredis@umontreal.ca
RECURRENCE-ID;RANGE=THISANDFUTURE;VALUE=DATE:20270205
DTSTART;VALUE=DATE:20270205
DTEND;VALUE=DATE:20270206
SUMMARY:Fermeture du vendredi (nouvel horaire)
"""


def _expected(body: bytes, today: date) -> list[tuple[str, date]]:
    """What recurring-ical-events itself expands (all-day events here): (title, first day) per occurrence."""
    cal = icalendar.Calendar.from_ical(body)
    return sorted(
        (str(c["SUMMARY"]), c["DTSTART"].dt)
        for c in recurring_ical_events.of(cal).between(today - feeds.WINDOW_BACK, today + feeds.WINDOW_AHEAD)
    )


def test_a_series_changed_this_and_future_keeps_every_occurrence(relais, server):
    body = ics(FRIDAYS, FRIDAYS_FROM_FEBRUARY)
    events = feeds.parse(body, Feed("https://cal.example/a.ics", "closure"), date(2027, 1, 1), relais.settings.tz)
    assert len(events) == 10 == len(_expected(body, date(2027, 1, 1)))
    assert sorted((e["name"], e["start"]) for e in events) == _expected(body, date(2027, 1, 1))
    assert len({e["uid"] for e in events}) == 10
    again = feeds.parse(body, Feed("https://cal.example/a.ics", "closure"), date(2027, 1, 2), relais.settings.tz)
    assert [e["uid"] for e in again] == [e["uid"] for e in events]  # stable
    url = server.set("/vendredis.ics", body)
    with_feeds(relais, Feed(url, "closure"))
    feeds.refresh(relais, at(relais, "2027-01-01T09:00"))
    days = for_relais(relais)
    assert not days.is_business_day(date(2027, 3, 12))  # the last Friday, after the change
    assert not days.is_business_day(date(2027, 2, 19))


def test_events_without_uid_that_differ_are_all_kept_and_exact_repeats_once(relais):
    one = "DTSTART:20261207T130000Z\nDTEND:20261207T150000Z\nSUMMARY:Formation"
    longer = "DTSTART:20261207T130000Z\nDTEND:20261209T150000Z\nSUMMARY:Formation"
    body = ics(one, longer, one)
    events = feeds.parse(body, Feed("https://cal.example/a.ics"), date(2026, 12, 1), relais.settings.tz)
    assert sorted((e["start"], e["end"]) for e in events) == [
        (date(2026, 12, 7), date(2026, 12, 7)),
        (date(2026, 12, 7), date(2026, 12, 9)),
    ]


def test_a_change_of_a_feeds_kind_applies_at_once_even_when_the_server_answers_304(relais, server):
    url = server.set("/f.ics", ics(TIMED), etag='"v1"')
    with_feeds(relais, Feed(url, "closure"))
    jobs.tick(relais, at(relais, "2026-12-01T09:00"))
    assert feed_events(relais, url)[0][1] == "closure"
    with_feeds(relais, Feed(url))  # CALENDAR_ICS_URLS: closure=URL became URL
    jobs.tick(relais, at(relais, "2026-12-01T09:05"))  # not a day later: due at once
    assert feed_events(relais, url)[0][1] == "other"
    assert "if-none-match" not in server.hits("/f.ics")[-1]  # read in full, not answered 304
    assert for_relais(relais).is_business_day(date(2026, 12, 2))
    jobs.tick(relais, at(relais, "2026-12-02T09:10"))
    assert server.hits("/f.ics")[-1]["if-none-match"] == '"v1"'  # then conditional again


BAD_EVENTS = {
    "byday": "UID:bad-byday\nDTSTART;VALUE=DATE:20261207\nRRULE:FREQ=WEEKLY;BYDAY=MO\\, TU\nSUMMARY:Mauvaise règle",
    "two-starts": "UID:two\nDTSTART;VALUE=DATE:20261207\nDTSTART;VALUE=DATE:20261208\nSUMMARY:Deux débuts",
    "rdate-time": "UID:rdt\nDTSTART:20261207T100000Z\nRDATE;VALUE=TIME:100000\nSUMMARY:RDATE en heure",
    "month": "UID:month\nDTSTART;VALUE=DATE:20261207\nRRULE:FREQ=YEARLY;BYMONTH=\nSUMMARY:Mois vide",
    "rscale": "UID:rscale\nDTSTART;VALUE=DATE:20261207\nRRULE:RSCALE=HEBREW;FREQ=YEARLY;SKIP=FORWARD\nSUMMARY:Pessa'h",
    "no-start": "UID:nostart\nSUMMARY:Sans début",
}


@pytest.mark.parametrize("bad", sorted(BAD_EVENTS))
def test_one_bad_event_is_skipped_and_reported_the_others_kept(relais, bad):
    good = [EXAMS, CLOSURE, TIMED]
    reading = feeds.read(
        ics(good[0], BAD_EVENTS[bad], *good[1:]),
        Feed("https://cal.example/a.ics"),
        date(2026, 12, 1),
        relais.settings.tz,
    )
    expected = feeds.read(ics(*good), Feed("https://cal.example/a.ics"), date(2026, 12, 1), relais.settings.tz)
    if bad == "rscale" and reading.skipped == 0:  # a library that reads RSCALE keeps it: nothing lost either
        assert len(reading.events) > len(expected.events)
        return
    assert reading.events == expected.events
    assert reading.skipped == 1
    text = feeds.problem_text(relais.tr, reading.stored_problem)
    assert text.startswith("« ") and "Error" not in text and "object" not in text and "'" not in text[:3]
    assert BAD_EVENTS[bad].split("SUMMARY:")[1].replace("\\", "") in text


def test_a_feed_with_a_bad_event_is_stored_without_it_and_the_team_told_once(relais, server, standin):
    url = server.set("/cal.ics", ics(EXAMS, BAD_EVENTS["byday"], CLOSURE))
    with_feeds(relais, Feed(url))
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-01T09:00"))
    assert (outcome.status, outcome.total, outcome.skipped) == ("updated", 4, 1)
    assert "Événements illisibles ignorés : 1 ; le premier : « Mauvaise règle » : règle de répétition" in (
        feeds.describe(relais.tr, outcome)
    )
    assert calendar.feed(relais.db, url)["skipped"] == 1
    feeds.refresh(relais, at(relais, "2026-12-02T09:00"))  # the same problem: told once
    rows = outbox_rows.rows(relais.db, kind=feeds.SKIPPED_KIND)
    assert len(rows) == 1
    post = feeds.render_skipped(relais, rows[0], at(relais, "2026-12-02T09:00"))
    assert "illisibles, ignorés : 1" in str(post.blocks) and "Les autres événements (4)" in str(post.blocks)
    server.set("/cal.ics", ics(EXAMS, CLOSURE))  # fixed before the notice went out: not sent
    feeds.refresh(relais, at(relais, "2026-12-03T09:00"))
    assert feeds.render_skipped(relais, rows[0], at(relais, "2026-12-03T09:00")) is None


LATIN = "UID:ete@x\nDTSTART;VALUE=DATE:20270720\nDTEND;VALUE=DATE:20270801\nSUMMARY:Fermeture de l'été"


@pytest.mark.parametrize(
    "content_type", ["text/calendar; charset=ISO-8859-1", "text/calendar", "text/calendar; charset=utf-8"]
)
def test_a_latin1_feed_is_read_as_latin1_whatever_the_server_says(relais, server, content_type):
    body = ics(LATIN).decode().encode("latin-1")
    url = server.set("/latin.ics", body, content_type=content_type)
    with_feeds(relais, Feed(url, "closure"))
    feeds.refresh(relais, at(relais, "2027-06-01T09:00"))
    assert [name for name, *_ in feed_events(relais, url)] == ["Fermeture de l'été"]


def test_utf8_declared_as_latin1_stays_utf8(relais):
    body = ics(LATIN)
    events = feeds.parse(body, Feed("https://x/a.ics"), date(2027, 6, 1), relais.settings.tz, charset="iso-8859-1")
    assert events[0]["name"] == "Fermeture de l'été"


def test_several_vcalendars_in_one_stream_are_all_read(relais):
    body = ics(EXAMS, name="Un") + b"\r\n" + ics(CLOSURE, name="Deux") + ics(TIMED, name="Trois")
    events = feeds.parse(body, Feed("https://cal.example/a.ics"), date(2026, 12, 1), relais.settings.tz)
    assert {e["name"] for e in events} == {
        "Examens de fin de session",
        "Fermeture (travaux électriques)",
        "Conférence du soir",
    }


# -- fetching and storing ---------------------------------------------------------------------------
def test_refresh_stores_events_and_feed_closures_are_not_business_days(relais, server):
    url = server.set("/fermetures.ics", ics(CLOSURE, TIMED), etag='"v1"')
    with_feeds(relais, Feed(url, "closure"))
    assert for_relais(relais).is_business_day(date(2026, 12, 16))
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-01T09:00"))
    assert (outcome.status, outcome.total, outcome.added) == ("updated", 2, 2)
    # CATEGORIES name the kind; the feed's default (closure) covers the event without categories
    assert sorted(feed_events(relais, url)) == [
        ("Conférence du soir", "closure", "2026-12-02", "2026-12-02"),
        ("Fermeture (travaux électriques)", "closure", "2026-12-15", "2026-12-16"),
    ]
    days = for_relais(relais)
    assert not days.is_business_day(date(2026, 12, 2))  # a Wednesday, closed by the feed
    assert not days.is_business_day(date(2026, 12, 16))
    assert days.is_business_day(date(2026, 12, 17))
    assert days.subtract(date(2026, 12, 3), 1) == date(2026, 12, 1)
    assert days.subtract(date(2026, 12, 17), 2) == date(2026, 12, 11)


def test_conditional_get_304_keeps_everything(relais, server):
    url = server.set("/cal.ics", ics(EXAMS), etag='"abc"', last_modified="Tue, 01 Dec 2026 12:00:00 GMT")
    with_feeds(relais, Feed(url))
    feeds.refresh(relais, at(relais, "2026-12-01T09:00"))
    before = feed_events(relais, url)
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    first, second = server.hits("/cal.ics")
    assert "if-none-match" not in first
    assert second["if-none-match"] == '"abc"'
    assert second["if-modified-since"] == "Tue, 01 Dec 2026 12:00:00 GMT"
    assert (outcome.status, outcome.total) == ("unchanged", 3)
    assert feed_events(relais, url) == before
    state = calendar.feed(relais.db, url)
    assert state["last_ok_at"] == to_text(at(relais, "2026-12-02T09:00"))


def test_a_changed_feed_adds_changes_and_removes(relais, server):
    url = server.set("/cal.ics", ics(EXAMS, CLOSURE))
    with_feeds(relais, Feed(url))
    feeds.refresh(relais, at(relais, "2026-12-01T09:00"))
    closure_uid = next(e["uid"] for e in calendar.source_events(relais.db, url) if e["kind"] == "closure")
    server.set("/cal.ics", ics(EXAMS.replace("Examens de fin", "Examens finaux"), TIMED))
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    assert (outcome.added, outcome.changed, outcome.removed, outcome.total) == (1, 3, 1, 4)
    assert not any(name == "Fermeture (travaux électriques)" for name, *_ in feed_events(relais, url))
    assert calendar.event(relais.db, closure_uid)["active"] == 0  # kept, inactive: nothing is deleted


def _known_then(relais, server, path, **route):
    url = server.set(path, ics(EXAMS, CLOSURE))
    with_feeds(relais, Feed(url))
    feeds.refresh(relais, at(relais, "2026-12-01T09:00"))
    known = feed_events(relais, url)
    assert len(known) == 4
    server.set(path, **route)
    return url, known


@pytest.mark.parametrize(
    "route, reason",
    [
        ({"status": 500, "body": b"oops"}, "http"),
        ({"body": b"<!doctype html><title>Maintenance</title>"}, "html"),
        (
            {"body": b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:jamais\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"},
            "all_bad",
        ),
        ({"status": 404, "body": b"gone"}, "http"),
    ],
)
def test_a_failing_feed_never_erases_known_events(relais, server, route, reason):
    url, known = _known_then(relais, server, "/cal.ics", **route)
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    assert outcome.status == "failed" and outcome.error.reason == reason
    assert outcome.total == 4
    assert feed_events(relais, url) == known
    assert not for_relais(relais).is_business_day(date(2026, 12, 15))  # the feed's closure still counts


def test_a_silent_server_times_out_and_changes_nothing(relais, server, monkeypatch):
    monkeypatch.setattr(feeds, "READ_TIMEOUT", 0.5)
    url, known = _known_then(relais, server, "/slow.ics", body=ics(EXAMS), delay=5)
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    assert (outcome.status, outcome.error.reason) == ("failed", "timeout")
    assert feed_events(relais, url) == known


def test_a_server_that_drips_is_cut_off_by_the_total_timeout(relais, server, monkeypatch):
    monkeypatch.setattr(feeds, "TOTAL_TIMEOUT", 1.0)
    url, known = _known_then(relais, server, "/drip.ics", body=ics(EXAMS, TIMED), drip=0.05)
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    assert (outcome.status, outcome.error.reason) == ("failed", "timeout")
    assert feed_events(relais, url) == known


def test_an_unreachable_feed_is_a_connection_failure(relais, server):
    from tests.conftest import free_port

    with_feeds(relais, Feed(f"http://127.0.0.1:{free_port()}/cal.ics"))
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    assert (outcome.status, outcome.error.reason) == ("failed", "connection")


def _feed_notices(standin):
    return [c for c in standin.calls("chat.postMessage") if "iCalendar" in str(c.args.get("blocks"))]


def test_failure_is_reported_once_per_episode_and_recovery_resets_it(relais, server, standin):
    url, _ = _known_then(relais, server, "/cal.ics", status=500, body=b"")
    for hour in ("2026-12-02T10:00", "2026-12-02T11:00", "2026-12-02T12:30"):
        jobs.tick(relais, at(relais, hour))
    notices = _feed_notices(standin)
    assert len(notices) == 1
    assert len(server.hits("/cal.ics")) == 4  # the first fetch, then one retry an hour
    text = str(notices[0].args["blocks"])
    assert notices[0].args["channel"] == "C0COMMS"
    assert "127.0.0.1/cal.ics" in text and "HTTP 500" in text and "4 événements" in text
    rows = outbox_rows.rows(relais.db, kind=feeds.FAILED_KIND)
    assert [r["status"] for r in rows] == ["sent"]

    server.set("/cal.ics", ics(EXAMS, CLOSURE))  # back
    jobs.tick(relais, at(relais, "2026-12-02T13:40"))
    assert calendar.feed(relais.db, url)["failing_since"] is None
    server.set("/cal.ics", b"garbage", status=200)  # down again, a day later: a new episode, a new notice
    jobs.tick(relais, at(relais, "2026-12-03T14:00"))
    jobs.tick(relais, at(relais, "2026-12-03T15:00"))
    notices = _feed_notices(standin)
    assert len(notices) == 2
    assert "aucune ligne BEGIN:VCALENDAR" in str(notices[1].args["blocks"])
    assert len(outbox_rows.rows(relais.db, kind=feeds.FAILED_KIND)) == 2


def test_a_notice_not_sent_before_the_feed_recovered_is_skipped(relais, server):
    _url, _ = _known_then(relais, server, "/cal.ics", status=503, body=b"")
    (outcome,) = feeds.refresh(relais, at(relais, "2026-12-02T09:00"))
    assert outcome.reported
    server.set("/cal.ics", ics(EXAMS, CLOSURE))
    feeds.refresh(relais, at(relais, "2026-12-02T09:30"))
    row = outbox_rows.get(relais.db, outcome.reported)
    assert feeds.render_failure(relais, row, relais.clock.now()) is None


def test_the_scheduler_refreshes_once_a_day(relais, server):
    url = server.set("/cal.ics", ics(EXAMS), etag='"v1"')
    with_feeds(relais, Feed(url))
    jobs.tick(relais, at(relais, "2026-12-01T09:00"))
    assert len(server.hits("/cal.ics")) == 1
    assert len(feed_events(relais, url)) == 3
    for later in ("2026-12-01T09:01", "2026-12-01T15:00", "2026-12-02T08:59"):
        jobs.tick(relais, at(relais, later))
    assert len(server.hits("/cal.ics")) == 1
    jobs.tick(relais, at(relais, "2026-12-02T09:00"))
    hits = server.hits("/cal.ics")
    assert len(hits) == 2 and hits[1]["if-none-match"] == '"v1"'
    # after a week without a full download, the next one is unconditional (the window moved on)
    jobs.tick(relais, at(relais, "2026-12-09T09:00"))
    assert "if-none-match" not in server.hits("/cal.ics")[-1]


def test_a_feed_removed_from_the_settings_loses_its_events(relais, server):
    url = server.set("/cal.ics", ics(EXAMS, CLOSURE))
    with_feeds(relais, Feed(url))
    jobs.tick(relais, at(relais, "2026-12-01T09:00"))
    assert not for_relais(relais).is_business_day(date(2026, 12, 15))
    with_feeds(relais)
    jobs.tick(relais, at(relais, "2026-12-01T09:05"))
    assert feed_events(relais, url) == []
    assert for_relais(relais).is_business_day(date(2026, 12, 15))
    with_feeds(relais, Feed(url))  # put back: fetched in full again, although not a day later
    jobs.tick(relais, at(relais, "2026-12-01T09:10"))
    assert len(feed_events(relais, url)) == 4


STORM = """
UID:storm@umontreal.ca
DTSTAMP:20261001T120000Z
DTSTART;VALUE=DATE:20261209
DTEND;VALUE=DATE:20261211
CATEGORIES:Fermeture
SUMMARY:Tempête de verglas
"""


def test_a_refresh_apart_from_the_tick_and_the_next_tick_moves_the_deadlines_once(relais, server):
    _, ids = propose(relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)}, card=True)
    fb = ids["udem-facebook"]
    url = server.set("/fermetures.ics", ics(STORM))
    with_feeds(relais, Feed(url))
    (job,) = relais.contributions.jobs
    assert jobs.run_job(relais, job, at(relais, "2026-12-01T09:30")) is True  # read and stored, as its thread does
    assert not for_relais(relais).is_business_day(date(2026, 12, 9))
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-07"  # the refresh itself moves nothing
    assert jobs.run_job(relais, job, at(relais, "2026-12-01T09:31")) is False  # nothing due a minute later
    jobs.tick(relais, at(relais, "2026-12-01T09:31"), with_jobs=False)  # the scheduler's tick
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-03"
    assert len(outbox_rows.rows(relais.db, kind=replan.DEADLINE_MOVED)) == 1
    jobs.tick(relais, at(relais, "2026-12-01T09:32"), with_jobs=False)  # followed once
    assert len(outbox_rows.rows(relais.db, kind=replan.DEADLINE_MOVED)) == 1

    server.set("/fermetures.ics", ics(EXAMS))  # the storm is gone from the feed: the deadline goes back
    assert jobs.run_job(relais, job, at(relais, "2026-12-02T09:30")) is True
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-03"
    jobs.tick(relais, at(relais, "2026-12-02T09:31"), with_jobs=False)
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-07"
    assert len(outbox_rows.rows(relais.db, kind=replan.DEADLINE_MOVED)) == 2


# -- python -m bot calendar refresh -------------------------------------------------------------------
pytest_e2e = pytest.mark.e2e


@pytest_e2e
def test_cli_refresh_prints_what_changed_per_feed_and_reports_failures_once(cli, server, standin, tmp_path):
    good = server.set("/udem.ics", ics(EXAMS, CLOSURE), etag='"1"')
    bad = server.set("/facultes.ics", b"", status=500)
    urls = f"{good},exams={bad}"
    shown_good, shown_bad = feeds.redacted(good), feeds.redacted(bad)  # https://127.0.0.1:PORT/… (fingerprint)
    assert shown_good.split(" ")[0].endswith(":" + good.split(":")[2].split("/")[0] + "/…") and shown_good != shown_bad
    first = cli("calendar", "refresh", CALENDAR_ICS_URLS=urls, RELAIS_NOW="2026-12-01T09:00")
    assert first.returncode == 1, first.stderr
    lines = first.stdout.splitlines()
    assert f"{shown_good} : 4 événements — ajoutés : 4, modifiés : 0, retirés : 0." in lines
    assert any(line.startswith(f"{shown_bad} : échec — le serveur répond par une erreur HTTP 500") for line in lines)
    assert "(signalé dans le canal de l'équipe)" in first.stdout
    assert len(_feed_notices(standin)) == 1

    second = cli("calendar", "refresh", CALENDAR_ICS_URLS=urls, RELAIS_NOW="2026-12-01T10:00", BOT_LANGUAGE="en")
    assert f"{shown_good}: unchanged (HTTP 304), 4 events." in second.stdout
    assert f"{shown_bad}: failed — the server answers with HTTP error 500." in second.stdout
    assert "reported" not in second.stdout
    assert len(_feed_notices(standin)) == 1
    assert server.hits("/udem.ics")[-1]["if-none-match"] == '"1"'

    server.set("/facultes.ics", ics(EXAMS.replace("exams-fall", "exams-fac")))
    third = cli("calendar", "refresh", CALENDAR_ICS_URLS=urls, RELAIS_NOW="2026-12-01T11:00")
    assert third.returncode == 0
    assert f"{shown_bad} : 3 événements — ajoutés : 3, modifiés : 0, retirés : 0." in third.stdout

    removed = cli("calendar", "refresh", CALENDAR_ICS_URLS=good, RELAIS_NOW="2026-12-01T12:00")
    assert f"{shown_bad} : ne figure plus dans CALENDAR_ICS_URLS — événements désactivés : 3." in removed.stdout
    for result in (first, second, third, removed):
        assert "/udem.ics" not in result.stdout + result.stderr and "/facultes.ics" not in result.stdout + result.stderr


@pytest_e2e
def test_cli_refresh_without_feeds_says_so(cli):
    result = cli("calendar", "refresh")
    assert result.returncode == 0
    assert result.stdout.strip() == "Aucun flux iCalendar configuré (CALENDAR_ICS_URLS est vide)."


@pytest_e2e
def test_tick_refreshes_feeds_in_a_subprocess_and_deadlines_skip_feed_closures(cli, server, tmp_path):
    url = server.set(
        "/fermeture.ics",
        ics("""
        UID:tempete@umontreal.ca
        DTSTAMP:20261001T120000Z
        DTSTART;VALUE=DATE:20261208
        SUMMARY:Fermeture exceptionnelle
    """),
    )
    result = cli("tick", "--at", "2026-12-01T09:00", CALENDAR_ICS_URLS=f"closure={url}")
    assert result.returncode == 0, result.stderr
    from storage.db import Store

    db = Store(tmp_path / "relais.db").db
    rows = list(db.query("SELECT name, kind, start, end FROM calendar_events WHERE source = ?", [url]))
    assert rows == [{"name": "Fermeture exceptionnelle", "kind": "closure", "start": "2026-12-08", "end": "2026-12-08"}]
    from bot.workdays import BusinessDays

    assert not BusinessDays(closures=calendar.closures(db)).is_business_day(date(2026, 12, 8))
    assert len(server.hits("/fermeture.ics")) == 1
    cli("tick", "--at", "2026-12-01T10:00", CALENDAR_ICS_URLS=f"closure={url}")
    assert len(server.hits("/fermeture.ics")) == 1  # not before a day has passed, even from another process


STORM_FRIDAY = STORM.replace("DTSTART;VALUE=DATE:20261209", "DTSTART;VALUE=DATE:20261211").replace(
    "DTEND;VALUE=DATE:20261211", "DTEND;VALUE=DATE:20261212"
)


def _notes_posted(standin):
    return [
        c for c in standin.calls("chat.postMessage") if "Échéance déplacée" in json.dumps(c.args, ensure_ascii=False)
    ]


@pytest_e2e
def test_a_slow_feed_never_delays_a_reminder_and_its_closure_still_applies(relais, web_with, server, standin):
    """The web process as the Procfile runs it: at start, the catch-up tick and the feed refresh (its own
    thread) begin together; the feed answers after 8 s. The reminder due then goes out at once; once the
    feed is read, its closure moves the deadline (the tick woken by the refresh), said in the card's thread."""
    delay = 8.0
    proposal_id, ids = propose(
        relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)}, card=True
    )
    fb = ids["udem-facebook"]
    url = server.set("/lent.ics", ics(STORM_FRIDAY), delay=delay)
    web_with(RELAIS_NOW="2026-12-03T09:00:30", CALENDAR_ICS_URLS=url)
    (asked,) = wait_until(lambda: server.arrivals("/lent.ics"), timeout=20)
    reminder = wait_until(lambda: reminder_posts(standin), timeout=20)[0]
    assert reminder.at - asked < 3.0, reminder.at - asked  # not behind the download (it answers at asked + 8 s)
    # the stand-in sees the post before Relais has Slack's answer, then records it as sent
    assert wait_until(lambda: outbox_rows.get(relais.db, f"deadline:{fb}:2026-12-07:heads_up")["status"] == "sent")

    note = wait_until(lambda: _notes_posted(standin), timeout=delay + 20)[0]
    assert note.at - asked >= delay
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-04"  # Friday 11 December closed
    assert note.args["thread_ts"] == store.get(relais.db, proposal_id)["card_ts"]
    assert "Tempête de verglas" in json.dumps(note.args["blocks"], ensure_ascii=False)
    assert len(server.arrivals("/lent.ics")) == 1

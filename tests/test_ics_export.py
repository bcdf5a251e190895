"""The editorial calendar as iCalendar: one event per publication and per submission deadline, stable
UIDs, cancelled ones left out; `calendar export -o FILE` and GET /calendar.ics?key=… (404 otherwise)."""

from __future__ import annotations

import dataclasses
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
import requests

from bot.calendar import ics as ics_export
from bot.clock import to_text
from storage import proposals

KEY = "b7c1f0e2-editorial-9d"


def seed(relais) -> dict[str, int]:
    """Three proposals: one with two placements (one published, one cancelled), one cancelled, one declined."""
    db, now = relais.db, to_text(relais.clock.now())
    with db.atomic():
        zoo = proposals.create(
            db,
            title="Zooanimation <aux> examens & plus",
            publish_on=date(2026, 12, 10),
            owner_id="U0JULIETTE",
            now=now,
            category="cyclic",
            link="https://bib.umontreal.ca/zoo",
            outlets=[
                ("udem-facebook", date(2026, 12, 3)),
                ("udem-x", date(2026, 12, 8)),
                ("bib-facebook", date(2026, 12, 10)),
            ],
        )
        gone = proposals.create(
            db,
            title="Consultation annulée",
            publish_on=date(2026, 12, 15),
            owner_id="U0JULIETTE",
            now=now,
            outlets=[("udem-linkedin", date(2026, 12, 8))],
        )
        expo = proposals.create(
            db,
            title="Exposition livres rares",
            publish_on=date(2027, 1, 20),
            owner_id="U0MARC",
            now=now,
            category="collections",
            outlets=[("udem-nouvelles", date(2027, 1, 6))],
        )
        placements = {p["outlet_slug"]: p["id"] for p in proposals.placements_of(db, zoo)}
        proposals.set_placement_status(db, placements["udem-facebook"], "submitted", actor="U0JULIETTE", now=now)
        proposals.set_placement_status(db, placements["udem-facebook"], "accepted", actor="U0JULIETTE", now=now)
        proposals.set_placement_status(
            db,
            placements["udem-facebook"],
            "published",
            actor="U0JULIETTE",
            now=now,
            published_on=date(2026, 12, 9),
            published_url="https://facebook.com/udem/posts/1",
        )
        proposals.set_placement_status(db, placements["udem-x"], "cancelled", actor="U0JULIETTE", now=now)
        proposals.cancel(db, gone, actor="U0JULIETTE", now=now)
        expo_placement = proposals.placements_of(db, expo)[0]["id"]
        proposals.set_placement_status(db, expo_placement, "declined", actor="U0MARC", now=now)
    return {
        "fb": placements["udem-facebook"],
        "x": placements["udem-x"],
        "bib": placements["bib-facebook"],
        "expo": expo_placement,
        "gone": proposals.placements_of(db, gone)[0]["id"],
    }


def seed_years(relais) -> dict[str, int]:
    """Placements around the default window (2025-12-01 to 2028-12-01, the clock being 2026-12-01): published 13
    and 11 months ago, one published inside with its deadline outside, 23 and 25 months ahead."""
    db, now = relais.db, to_text(relais.clock.now())
    ids = {}
    with db.atomic():
        for name, publish_on, deadline in (
            ("old", date(2025, 11, 3), date(2025, 10, 27)),  # 13 months ago
            ("recent", date(2026, 1, 5), date(2025, 12, 22)),  # 11 months ago
            ("edge", date(2025, 12, 3), date(2025, 11, 26)),  # published in the window, due before it
            ("ahead", date(2028, 11, 6), date(2028, 10, 30)),  # 23 months ahead
            ("far", date(2029, 1, 8), date(2028, 12, 29)),  # 25 months ahead
        ):
            proposal = proposals.create(
                db,
                title=f"Contenu {name}",
                publish_on=publish_on,
                owner_id="U0JULIETTE",
                now=now,
                outlets=[("udem-facebook", deadline)],
            )
            ids[name] = proposals.placements_of(db, proposal)[0]["id"]
    return ids


def uids(ids: dict[str, int], *names_kinds: str) -> set[str]:
    """'old' for both events of ids['old'], 'edge:publication' for one."""
    out = set()
    for item in names_kinds:
        name, _, kind = item.partition(":")
        out |= {f"placement-{ids[name]}-{k}@relais" for k in ([kind] if kind else ["publication", "deadline"])}
    return out


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def test_one_event_per_publication_and_deadline_with_stable_uids(relais):
    ids = seed(relais)
    body, count = ics_export.build(relais)
    events = events_of(body)
    assert count == len(events) == 6
    assert set(events) == {
        f"placement-{ids[k]}-{what}@relais" for k in ("fb", "bib", "expo") for what in ("publication", "deadline")
    }
    published = events[f"placement-{ids['fb']}-publication@relais"]
    assert published["DTSTART"].dt == date(2026, 12, 9)  # the day it really went out
    assert published["DTEND"].dt == date(2026, 12, 10)
    assert str(published["SUMMARY"]) == "Zooanimation <aux> examens & plus — UdeM — Facebook"
    assert "Statut : publié" in str(published["DESCRIPTION"])
    assert str(published["STATUS"]) == "CONFIRMED"
    assert str(published["URL"]) == "https://facebook.com/udem/posts/1"
    deadline = events[f"placement-{ids['bib']}-deadline@relais"]
    assert deadline["DTSTART"].dt == date(2026, 12, 10)
    assert str(deadline["SUMMARY"]).startswith("Échéance de dépôt : Zooanimation")
    assert "Statut : planifié" in str(deadline["DESCRIPTION"])
    assert "Publication : jeudi 10 décembre 2026" in str(deadline["DESCRIPTION"])
    declined = events[f"placement-{ids['expo']}-publication@relais"]
    assert declined["DTSTART"].dt == date(2027, 1, 20) and str(declined["STATUS"]) == "CANCELLED"
    assert "refusé" in str(declined["DESCRIPTION"])
    again, _ = ics_export.build(relais)
    assert again == body  # nothing changed, nothing moves: calendar apps see the same feed


def test_a_status_change_updates_the_same_event(relais):
    ids = seed(relais)
    before = events_of(ics_export.build(relais)[0])
    with relais.db.atomic():
        proposals.set_placement_status(
            relais.db, ids["bib"], "submitted", actor="U0JULIETTE", now=to_text(relais.clock.now())
        )
    after = events_of(ics_export.build(relais)[0])
    assert set(after) == set(before)
    uid = f"placement-{ids['bib']}-publication@relais"
    assert "Statut : soumis" in str(after[uid]["DESCRIPTION"])


def test_in_english(relais):
    import dataclasses

    seed(relais)
    relais.settings = dataclasses.replace(relais.settings, language="en")
    cal = icalendar.Calendar.from_ical(ics_export.build(relais)[0])
    assert str(cal["X-WR-CALNAME"]) == "Relais — editorial calendar"
    assert any(str(e["SUMMARY"]).startswith("Submission deadline: Exposition") for e in cal.walk("VEVENT"))


def test_the_calendar_covers_a_year_back_and_two_ahead_by_default(relais):
    ids = seed_years(relais)
    assert ics_export.window(relais) == (date(2025, 12, 1), date(2028, 12, 1))
    body, count = ics_export.build(relais)
    assert set(events_of(body)) == uids(ids, "recent", "edge:publication", "ahead")
    assert count == 5
    everything, count = ics_export.build(relais, everything=True)  # `calendar export --all`
    assert set(events_of(everything)) == uids(ids, "old", "recent", "edge", "ahead", "far") and count == 10


def test_the_window_is_configurable(relais):
    ids = seed_years(relais)
    relais.settings = dataclasses.replace(relais.settings, calendar_feed_window=(18, 26))
    assert set(events_of(ics_export.build(relais)[0])) == uids(ids, "old", "recent", "edge", "ahead", "far")
    relais.settings = dataclasses.replace(relais.settings, calendar_feed_window=(0, 0))  # today only
    assert set(events_of(ics_export.build(relais)[0])) == set()


pytest_e2e = pytest.mark.e2e


@pytest_e2e
def test_cli_export_writes_a_file_the_library_reads_back(relais, cli, tmp_path):
    ids = seed(relais)
    target = tmp_path / "out" / "editorial.ics"
    result = cli("calendar", "export", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"6 événements écrits dans {target}."
    events = events_of(target.read_bytes())
    assert f"placement-{ids['fb']}-deadline@relais" in events
    assert f"placement-{ids['x']}-publication@relais" not in events
    stdout = cli("calendar", "export")
    assert stdout.stdout.startswith("BEGIN:VCALENDAR")


@pytest_e2e
def test_cli_export_takes_the_window_or_everything(relais, cli, tmp_path):
    ids = seed_years(relais)
    target = tmp_path / "window.ics"
    result = cli("calendar", "export", "-o", str(target), RELAIS_NOW="2026-12-01T09:00", CALENDAR_FEED_WINDOW="11,24")
    assert result.returncode == 0, result.stderr
    assert set(events_of(target.read_bytes())) == uids(ids, "recent:publication", "ahead")  # from 2026-01-01
    result = cli("calendar", "export", "--all", "-o", str(target), RELAIS_NOW="2026-12-01T09:00")
    assert result.stdout.strip() == f"10 événements écrits dans {target}."


@pytest_e2e
def test_calendar_ics_with_the_right_key(relais, web_with):
    ids = seed(relais)
    web = web_with(CALENDAR_FEED_KEY=KEY)
    response = requests.get(web.url + "/calendar.ics", params={"key": KEY}, timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    events = events_of(response.content)
    assert len(events) == 6
    assert f"placement-{ids['gone']}-publication@relais" not in events


@pytest_e2e
def test_calendar_ics_is_404_without_the_key(relais, web_with):
    seed(relais)
    web = web_with(CALENDAR_FEED_KEY=KEY)
    for params in ({}, {"key": ""}, {"key": KEY[:-1]}, {"key": KEY + "x"}, {"KEY": KEY}):
        response = requests.get(web.url + "/calendar.ics", params=params, timeout=10)
        assert response.status_code == 404, params
        assert b"VCALENDAR" not in response.content


@pytest_e2e
def test_calendar_ics_is_404_when_no_key_is_set(web):
    for params in ({}, {"key": ""}, {"key": "anything"}):
        assert requests.get(web.url + "/calendar.ics", params=params, timeout=10).status_code == 404


def test_an_empty_editorial_calendar_still_has_a_component(relais):
    body, count = ics_export.build(relais)
    assert count == 0
    cal = icalendar.Calendar.from_ical(body)
    assert [c.name for c in cal.subcomponents] == ["VTIMEZONE"]  # RFC 5545: at least one component
    assert str(cal.subcomponents[0]["TZID"]) == relais.settings.timezone
    assert not cal.walk("VEVENT")


@pytest_e2e
def test_calendar_ics_answers_head_and_takes_a_key_with_plus_as_given(relais, web_with):
    seed(relais)
    key = "Ab+cd/ef=="
    web = web_with(CALENDAR_FEED_KEY=key)
    head = requests.head(web.url + "/calendar.ics", params={"key": key}, timeout=10)
    assert head.status_code == 200 and head.headers["Content-Type"].startswith("text/calendar")
    assert head.content == b""
    assert requests.head(web.url + "/calendar.ics?key=wrong", timeout=10).status_code == 404
    for query in ("key=Ab+cd/ef==", "key=Ab%2Bcd%2Fef%3D%3D"):  # pasted as is, URL-encoded
        response = requests.get(f"{web.url}/calendar.ics?{query}", timeout=10)
        assert response.status_code == 200, query
        assert len(events_of(response.content)) == 6
    assert requests.get(web.url + "/calendar.ics?key=Ab cd/ef==", timeout=10).status_code == 404


def test_text_is_escaped_and_lines_folded_within_75_octets(relais):
    """Written by hand (bot.calendar.ics.Rendering): RFC 5545 escaping and folding, read back by the library."""
    title = "Horaires; prolongés, \\ salle « Études » — " + "é" * 80
    with relais.db.atomic():
        proposals.create(
            relais.db,
            title=title,
            publish_on=date(2026, 12, 18),
            owner_id="U0JULIETTE",
            now=to_text(relais.clock.now()),
            link="https://bib.umontreal.ca/a b",  # not an address: no URL property
            outlets=[("bib-facebook", date(2026, 12, 18))],
        )
    body, count = ics_export.build(relais)
    assert count == 2
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    assert all(line.decode("utf-8") is not None for line in lines)  # no character cut by a fold
    event = next(e for e in events_of(body).values() if str(e["UID"]).endswith("-publication@relais"))
    assert str(event["SUMMARY"]) == f"{title} — Bibliothèques — Facebook"
    assert "URL" not in event
    assert [str(c) for c in event["CATEGORIES"].cats] == ["Publication", "Contenu ponctuel"]


def test_conditions_of_a_request(relais):
    current = ics_export.Version('"abc"', datetime(2026, 12, 1, 14, 0, tzinfo=UTC))
    yes = ics_export.not_modified
    assert yes({"HTTP_IF_NONE_MATCH": '"abc"'}, current)
    assert yes({"HTTP_IF_NONE_MATCH": '"old", W/"abc"'}, current)  # weak comparison, a list
    assert yes({"HTTP_IF_NONE_MATCH": "*"}, current)
    assert not yes({"HTTP_IF_NONE_MATCH": '"old"'}, current)
    assert not yes({}, current)
    assert yes({"HTTP_IF_MODIFIED_SINCE": "Tue, 01 Dec 2026 14:00:00 GMT"}, current)
    assert not yes({"HTTP_IF_MODIFIED_SINCE": "Tue, 01 Dec 2026 13:59:59 GMT"}, current)
    assert not yes({"HTTP_IF_MODIFIED_SINCE": "hier"}, current)  # not a date: ignored
    # If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2)
    assert not yes({"HTTP_IF_NONE_MATCH": '"old"', "HTTP_IF_MODIFIED_SINCE": "Wed, 01 Dec 2027 00:00:00 GMT"}, current)


def test_the_version_changes_with_what_the_calendar_shows(relais):
    ids = seed(relais)
    days = ics_export.window(relais)
    first = ics_export.version(relais, days)
    assert ics_export.version(relais, days) == first  # nothing changed
    now = to_text(relais.clock.now())  # the clock is frozen: every change below has the same updated_at
    with relais.db.atomic():
        proposals.set_placement_status(relais.db, ids["bib"], "submitted", actor="U0JULIETTE", now=now)
    second = ics_export.version(relais, days)
    assert second.etag != first.etag
    relais.settings = dataclasses.replace(relais.settings, language="en")
    assert ics_export.version(relais, days).etag != second.etag  # another language, another calendar
    relais.settings = dataclasses.replace(relais.settings, language="fr")
    assert ics_export.version(relais, ics_export.window(relais)).etag == second.etag
    relais.clock.freeze(relais.clock.now() + timedelta(days=1))  # the window moved
    moved = ics_export.version(relais, ics_export.window(relais))
    assert moved.etag != second.etag and moved.last_modified == datetime(2026, 12, 2, 5, 0, tzinfo=UTC)


def _raw(url: str, request: str) -> tuple[bytes, bytes]:
    """A raw HTTP/1.1 exchange: the response's head and whatever came after it until the server closed."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(request.encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


@pytest_e2e
def test_calendar_ics_etag_round_trip_and_changes(relais, web_with):
    ids = seed(relais)
    web = web_with(CALENDAR_FEED_KEY=KEY, RELAIS_NOW="2026-12-01T09:00")
    url, params = web.url + "/calendar.ics", {"key": KEY}
    first = requests.get(url, params=params, timeout=10)
    assert first.status_code == 200 and len(events_of(first.content)) == 6
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('"') and modified.endswith(" GMT")
    again = requests.get(url, params=params, headers={"If-None-Match": etag}, timeout=10)
    assert again.status_code == 304 and again.content == b""
    assert again.headers["ETag"] == etag
    since = requests.get(url, params=params, headers={"If-Modified-Since": modified}, timeout=10)
    assert since.status_code == 304
    head = requests.head(url, params=params, timeout=10)
    assert head.status_code == 200 and head.headers["ETag"] == etag and head.headers["Last-Modified"] == modified
    assert head.headers["Content-Type"].startswith("text/calendar")
    assert requests.head(url, params=params, headers={"If-None-Match": etag}, timeout=10).status_code == 304
    assert requests.get(url, params={"key": "wrong"}, headers={"If-None-Match": etag}, timeout=10).status_code == 404

    now = to_text(relais.clock.now())
    with relais.db.atomic():  # a new proposal
        proposals.create(
            relais.db,
            title="Matinées de rédaction",
            publish_on=date(2027, 2, 3),
            owner_id="U0MARC",
            now=now,
            outlets=[("bib-facebook", date(2027, 2, 3))],
        )
    created = requests.get(url, params=params, headers={"If-None-Match": etag}, timeout=10)
    assert created.status_code == 200 and len(events_of(created.content)) == 8
    assert created.headers["ETag"] != etag
    etag = created.headers["ETag"]
    with relais.db.atomic():  # a moved date, in the same second
        proposals.update_fields(
            relais.db,
            proposals.proposal_id_of(relais.db, ids["bib"]),
            {"publish_on": date(2026, 12, 11)},
            actor="U0JULIETTE",
            now=now,
        )
        proposals.set_deadline(relais.db, ids["bib"], date(2026, 12, 11), actor="U0JULIETTE", now=now)
    moved = requests.get(url, params=params, headers={"If-None-Match": etag}, timeout=10)
    assert moved.status_code == 200 and moved.headers["ETag"] != etag
    assert events_of(moved.content)[f"placement-{ids['bib']}-deadline@relais"]["DTSTART"].dt == date(2026, 12, 11)


@pytest_e2e
def test_calendar_ics_head_has_no_body_and_says_the_length_of_the_get(relais, web_with):
    seed(relais)
    web = web_with(CALENDAR_FEED_KEY=KEY, RELAIS_NOW="2026-12-01T09:00")
    head, rest = _raw(web.url, f"HEAD /calendar.ics?key={KEY} HTTP/1.1\r\nHost: relais\r\nConnection: close\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and rest == b""  # waitress alone would send the body
    fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    assert fields["Etag"].startswith('"') and fields["Content-Type"].startswith("text/calendar")
    got = requests.get(web.url + "/calendar.ics", params={"key": KEY}, timeout=10)
    assert got.content.startswith(b"BEGIN:VCALENDAR\r\n") and got.content.endswith(b"END:VCALENDAR\r\n")
    assert len(events_of(got.content)) == 6 and got.headers["ETag"] == fields["Etag"]
    assert int(fields["Content-Length"]) == int(got.headers["Content-Length"]) == len(got.content)


@pytest_e2e
def test_calendars_asked_at_once_are_all_served_whole(relais, web_with):
    """One thread renders them, one after the other (bot.calendar.ics._RENDERER); each client gets its own."""
    seed(relais)
    web = web_with(CALENDAR_FEED_KEY=KEY, RELAIS_NOW="2026-12-01T09:00")
    bodies: list[bytes] = []

    def fetch():
        bodies.append(requests.get(web.url + "/calendar.ics", params={"key": KEY}, timeout=30).content)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(bodies) == 6 and len(set(bodies)) == 1 and len(events_of(bodies[0])) == 6


@pytest_e2e
def test_calendar_ics_covers_the_configured_window(relais, web_with):
    ids = seed_years(relais)
    web = web_with(CALENDAR_FEED_KEY=KEY, RELAIS_NOW="2026-12-01T09:00")
    body = requests.get(web.url + "/calendar.ics", params={"key": KEY}, timeout=10).content
    assert set(events_of(body)) == uids(ids, "recent", "edge:publication", "ahead")  # 13 months ago: gone
    wider = web_with(CALENDAR_FEED_KEY=KEY, RELAIS_NOW="2026-12-01T09:00", CALENDAR_FEED_WINDOW="14,24")
    body = requests.get(wider.url + "/calendar.ics", params={"key": KEY}, timeout=10).content
    assert set(events_of(body)) == uids(ids, "old", "recent", "edge", "ahead")

"""The rules of /stats as plain functions: numbers and times as people write them, the one-line
form, cumulative figures, what awaits figures, the university's reach against the library's."""

import sqlite3
from datetime import date
from zoneinfo import ZoneInfo

import pytest
from sqlite_utils import Database

from bot.clock import parse_instant
from bot.stats.figures import (
    Figures,
    InputError,
    awaits_figures,
    comparison,
    looks_like_record,
    lower_fields,
    may_record,
    parse_duration,
    parse_figures,
    parse_number,
    parse_pairs,
    parse_record,
)
from storage.migrations import migrate, migrations

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    "text", ["19279", "19 279", "19,279", "19.279", f"19{NBSP}279", f"19{NNBSP}279", " 19 279 ", "19  279"]
)
def test_numbers_as_people_write_them(text):
    assert parse_number(text) == 19279


@pytest.mark.parametrize("text,value", [("0", 0), ("996", 996), ("1,234,567", 1234567), ("1 234 567", 1234567)])
def test_other_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text,key",
    [
        ("abc", "stats.error.number"),
        ("19,5", "stats.error.number"),
        ("12k", "stats.error.number"),
        ("", "stats.error.number"),
        ("1,23,456", "stats.error.number"),
        ("-5", "stats.error.negative"),
        ("−19 279", "stats.error.negative"),
        ("99999999999", "stats.error.number"),
    ],
)
def test_numbers_refused(text, key):
    with pytest.raises(InputError) as caught:
        parse_number(text)
    assert caught.value.key == key


@pytest.mark.parametrize(
    "text,seconds",
    [("2:30", 150), ("2 : 30 min", 150), ("2:37", 157), ("0:45", 45), ("12:05", 725), ("150 s", 150), ("90s", 90)],
)
def test_average_times(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["2:75", "2:3", "abc", "2.30", "", "-1:00"])
def test_average_times_refused(text):
    with pytest.raises(InputError) as caught:
        parse_duration(text)
    assert caught.value.key == "stats.error.duration"


def test_the_one_line_form_with_french_keys_and_a_space_inside_a_number():
    record = parse_record("12 udem-facebook vues=19 279 interactions=996 temps=2:30")
    assert (record.proposal_id, record.outlet, record.force) == (12, "udem-facebook", False)
    assert record.figures == Figures(19279, 996, 150)


def test_the_one_line_form_in_english_in_any_order_with_a_hash_and_confirm():
    record = parse_record("#7 BIB-FACEBOOK interactions=37 views=821 confirm")
    assert (record.proposal_id, record.outlet, record.force) == (7, "bib-facebook", True)
    assert record.figures == Figures(821, 37, None)


def test_values_run_to_the_next_key_even_with_spaces_around_equals():
    assert parse_pairs("vues = 19 279 interactions= 996 time =2 : 30 min") == {
        "views": "19 279",
        "interactions": "996",
        "time": "2 : 30 min",
    }


@pytest.mark.parametrize(
    "text,key",
    [
        ("12", "stats.error.form"),
        ("12 udem-facebook", "stats.error.missing"),
        ("12 udem-facebook interactions=4 temps=2:30", "stats.error.missing"),
        ("12 udem-facebook 19279 996", "stats.error.stray"),
        ("12 udem-facebook vues=100 likes=3 interactions=4", "stats.error.unknown_key"),
        ("12 udem-facebook vues=100 views=200 interactions=4", "stats.error.duplicate_key"),
        ("12 udem-facebook vues=-100 interactions=4", "stats.error.negative"),
        ("12 udem-facebook vues=beaucoup interactions=4", "stats.error.number"),
        ("12 udem-facebook vues=100 interactions=4 temps=longtemps", "stats.error.duration"),
    ],
)
def test_the_one_line_form_refused(text, key):
    with pytest.raises(InputError) as caught:
        parse_record(text)
    assert caught.value.key == key


@pytest.mark.parametrize(
    "text,figures",
    [
        ("1 udem-linkedin vues=1257", Figures(1257, None, None)),
        ("1 udem-linkedin vues=1257 temps=2:30", Figures(1257, None, 150)),
        ("1 udem-linkedin views=1,257 interactions=40", Figures(1257, 40, None)),
    ],
)
def test_views_alone_are_enough_and_what_is_left_out_is_unknown_not_zero(text, figures):
    assert parse_record(text).figures == figures


def test_what_looks_like_a_recording():
    assert looks_like_record("12 udem-facebook vues=1")
    assert looks_like_record("#12")
    assert not looks_like_record("report all")
    assert not looks_like_record("")


def test_modal_fields_need_views_and_leave_the_rest_unknown():
    assert parse_figures("", None, " ") is None
    assert parse_figures("19 279", "996", "2:30") == Figures(19279, 996, 150)
    assert parse_figures("19 279", "", "") == Figures(19279, None, None)
    with pytest.raises(InputError) as caught:
        parse_figures("", "996", "")
    assert caught.value.key == "stats.error.views_needed"


def test_figures_are_cumulative_so_a_drop_is_named():
    previous = {"views": 19279, "interactions": 996}
    assert lower_fields(None, Figures(1, 1)) == []
    assert lower_fields(previous, Figures(19279, 996)) == []
    assert lower_fields(previous, Figures(19000, 1000)) == ["views"]
    assert lower_fields(previous, Figures(100, 10)) == ["views", "interactions"]
    assert lower_fields(previous, Figures(19300)) == []  # interactions unknown: nothing to compare
    assert lower_fields({"views": 5, "interactions": None}, Figures(6, 1)) == []


def test_who_may_record():
    assert may_record("U1", "U1", is_comms=False)
    assert not may_record("U2", "U1", is_comms=False)
    assert may_record("U2", "U1", is_comms=True)


MTL = ZoneInfo("America/Montreal")


def at(text):
    return parse_instant(text, MTL)


def test_what_awaits_figures():
    published, now, checkpoints = date(2026, 11, 20), at("2026-12-01T09:00"), (2, 7, 30)
    assert awaits_figures(published, None, checkpoints, now, MTL)  # none yet
    assert not awaits_figures(date(2026, 12, 5), None, checkpoints, now, MTL)  # not out yet
    # the day-7 checkpoint came on the 27th at 09:00
    assert awaits_figures(published, at("2026-11-23T10:00"), checkpoints, now, MTL)
    assert awaits_figures(published, at("2026-11-27T08:59"), checkpoints, now, MTL)
    assert not awaits_figures(published, at("2026-11-27T09:00"), checkpoints, now, MTL)
    # figures recorded before any checkpoint came: nothing awaited until day 2, 09:00
    assert not awaits_figures(published, at("2026-11-21T10:00"), checkpoints, at("2026-11-22T08:00"), MTL)
    assert awaits_figures(published, at("2026-11-21T10:00"), checkpoints, at("2026-11-22T09:00"), MTL)


def _row(id, owner, platform, views, name="x"):
    return {"id": id, "outlet_owner": owner, "outlet_platform": platform, "views": views, "outlet_name": name}


def test_the_comparison_prefers_the_library_outlet_of_the_same_platform():
    udem_fb = _row(1, "university", "facebook", 19279)
    siblings = [udem_fb, _row(2, "library", "instagram", 500), _row(3, "library", "facebook", 821)]
    found = comparison(udem_fb, siblings)
    assert found.library["id"] == 3
    assert round(found.ratio, 2) == 23.48


def test_the_comparison_falls_back_on_any_library_outlet_and_works_from_the_library_side():
    udem_x = _row(1, "university", "x", 3000)
    bib_fb = _row(2, "library", "facebook", 300)
    assert comparison(udem_x, [udem_x, bib_fb]).ratio == 10
    assert comparison(bib_fb, [udem_x, bib_fb]).university["id"] == 1


def test_no_comparison_without_figures_on_the_other_side_or_with_zero_library_views():
    udem = _row(1, "university", "facebook", 100)
    assert comparison(udem, [udem, _row(2, "library", "facebook", None)]) is None
    assert comparison(udem, [udem, _row(2, "library", "facebook", 0)]) is None
    assert comparison(udem, [udem, _row(2, "university", "x", 10)]) is None


def test_the_migration_makes_interactions_nullable_and_keeps_every_snapshot(tmp_path):
    db = Database(tmp_path / "old.db")
    db.execute("PRAGMA foreign_keys = ON")
    migrations.apply(db, stop_before="0004_placement_withdrawn")
    db.execute(
        "INSERT INTO outlets (slug, name, owner, platform, lead_days, updated_at) VALUES ('x', 'X', 'library', 'x', 0, 'now')"
    )
    db.execute(
        "INSERT INTO proposals (id, title, publish_on, owner_id, created_at, updated_at) VALUES (1, 't', '2026-01-01', 'U1', 'now', 'now')"
    )
    db.execute(
        "INSERT INTO placements (id, proposal_id, outlet_slug, deadline, status, updated_at) VALUES (7, 1, 'x', '2026-01-01', 'published', 'now')"
    )
    db.execute(
        """INSERT INTO stats_snapshots (id, placement_id, views, interactions, avg_seconds, recorded_by, recorded_at, source)
           VALUES (42, 7, 100, 5, 150, 'U1', '2026-01-02T14:00:00Z', 'slack')"""
    )
    db.conn.commit()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute(
            "INSERT INTO stats_snapshots (placement_id, views, interactions, recorded_by, recorded_at) VALUES (7, 1, NULL, 'U1', 'now')"
        )
    migrate(db)
    assert [dict(r) for r in db.query("SELECT * FROM stats_snapshots")] == [
        {
            "id": 42,
            "placement_id": 7,
            "views": 100,
            "interactions": 5,
            "avg_seconds": 150,
            "recorded_by": "U1",
            "recorded_at": "2026-01-02T14:00:00Z",
            "source": "slack",
        }
    ]
    db.execute(
        "INSERT INTO stats_snapshots (placement_id, views, interactions, recorded_by, recorded_at) VALUES (7, 120, NULL, 'U1', 'later')"
    )
    for views, interactions in (("NULL", "1"), ("-1", "1"), ("1", "-1")):  # views still required, checks kept
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO stats_snapshots (placement_id, views, interactions, recorded_by, recorded_at) "
                f"VALUES (7, {views}, {interactions}, 'U1', 'now')"
            )
    assert "stats_placement" in {i.name for i in db["stats_snapshots"].indexes}
    with pytest.raises(sqlite3.IntegrityError):  # still a snapshot of a real placement
        db.execute(
            "INSERT INTO stats_snapshots (placement_id, views, recorded_by, recorded_at) VALUES (999, 1, 'U1', 'now')"
        )

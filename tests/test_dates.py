"""bot.proposals.dates.parse_date: ISO, French and English dates, relative days, whatever BOT_LANGUAGE is."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.i18n import translator
from bot.proposals.dates import DateError, parse_date

TUESDAY = date(2026, 12, 1)  # the fixtures' today


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-12-10", date(2026, 12, 10)),
        ("2027/01/08", date(2027, 1, 8)),
        ("10 décembre", date(2026, 12, 10)),
        ("10 decembre", date(2026, 12, 10)),
        ("le 10 décembre", date(2026, 12, 10)),
        ("10 DÉCEMBRE", date(2026, 12, 10)),
        ("10 déc.", date(2026, 12, 10)),
        ("10 décembre 2027", date(2027, 12, 10)),
        ("jeudi 10 décembre", date(2026, 12, 10)),
        ("jeudi 10 décembre 2026", date(2026, 12, 10)),
        ("le 3 janvier", date(2027, 1, 3)),
        ("1er janvier", date(2027, 1, 1)),
        ("1er décembre", TUESDAY),  # on or after today: today itself
        ("30 novembre", date(2027, 11, 30)),  # already past this year: next year's
        ("December 10", date(2026, 12, 10)),
        ("december 10th", date(2026, 12, 10)),
        ("Dec 10", date(2026, 12, 10)),
        ("10 Dec", date(2026, 12, 10)),
        ("December 10, 2027", date(2027, 12, 10)),
        ("Thursday, December 10, 2026", date(2026, 12, 10)),
        ("on January 3rd", date(2027, 1, 3)),
        ("Sept. 1", date(2027, 9, 1)),
        ("10/12", date(2026, 12, 10)),  # day/month
        ("3/1", date(2027, 1, 3)),
        ("10/12/2027", date(2027, 12, 10)),
        ("10.12.27", date(2027, 12, 10)),
        ("aujourd'hui", TUESDAY),
        ("Aujourd’hui", TUESDAY),
        ("today", TUESDAY),
        ("demain", date(2026, 12, 2)),
        ("Tomorrow", date(2026, 12, 2)),
        ("après-demain", date(2026, 12, 3)),
        ("vendredi", date(2026, 12, 4)),
        ("vendredi prochain", date(2026, 12, 4)),
        ("next friday", date(2026, 12, 4)),
        ("Next Friday", date(2026, 12, 4)),
        ("ce vendredi", date(2026, 12, 4)),
        ("this friday", date(2026, 12, 4)),
        ("mardi", TUESDAY),  # a weekday alone: on or after today
        ("this tuesday", TUESDAY),
        ("mardi prochain", date(2026, 12, 8)),  # "next": strictly after today
        ("next tuesday", date(2026, 12, 8)),
        ("lundi prochain", date(2026, 12, 7)),
        ("dans 3 jours", date(2026, 12, 4)),
        ("in 2 weeks", date(2026, 12, 15)),
        ("29 février", date(2028, 2, 29)),  # the next year that has one
        ("  10   décembre  ", date(2026, 12, 10)),
    ],
)
def test_dates_people_type(text, expected):
    assert parse_date(text, TUESDAY) == expected


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("bientôt", "unparseable"),
        ("la semaine prochaine", "unparseable"),
        ("10 blah", "unparseable"),
        ("vendredi 13", "unparseable"),
        ("13/13", "no_such_day"),
        ("31 février", "no_such_day"),
        ("2026-02-30", "no_such_day"),
        ("31/04/2027", "no_such_day"),
        ("lundi 10 décembre 2026", "weekday_mismatch"),
        ("Monday, December 10", "weekday_mismatch"),
    ],
)
def test_what_is_not_a_date_is_refused_with_a_reason(text, reason):
    with pytest.raises(DateError) as caught:
        parse_date(text, TUESDAY)
    assert caught.value.reason == reason
    assert isinstance(caught.value, ValueError)


def test_a_weekday_mismatch_says_which_day_it_really_is():
    with pytest.raises(DateError) as caught:
        parse_date("lundi 10 décembre", TUESDAY)
    assert caught.value.params["actual"] == date(2026, 12, 10)


def test_a_past_date_with_a_year_parses_the_caller_decides():
    assert parse_date("2026-11-30", TUESDAY) == date(2026, 11, 30)
    assert parse_date("hier", TUESDAY) == date(2026, 11, 30)


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=200, deadline=None)
@given(day=days, today=days)
def test_any_iso_date_round_trips(day, today):
    assert parse_date(day.isoformat(), today) == day


@settings(max_examples=200, deadline=None)
@given(day=days, language=st.sampled_from(["fr", "en"]))
def test_what_relais_writes_it_reads_back_in_both_languages(day, language):
    """tr.date's full form ('jeudi 10 décembre 2026', 'Thursday, December 10, 2026') is a date too."""
    assert parse_date(translator(language).date(day), TUESDAY) == day


@settings(max_examples=200, deadline=None)
@given(today=days, offset=st.integers(min_value=0, max_value=364))
def test_day_and_month_without_year_is_the_next_one_on_or_after_today(today, offset):
    day = today + timedelta(days=offset)
    if (day.month, day.day) == (2, 29):
        return
    from babel.dates import format_date

    for text in (
        format_date(day, "d MMMM", locale="fr_CA"),
        format_date(day, "MMMM d", locale="en_CA"),
        f"{day.day}/{day.month}",
    ):
        assert parse_date(text, today) == day, text


@settings(max_examples=100, deadline=None)
@given(today=days, weekday=st.integers(min_value=0, max_value=6))
def test_next_weekday_is_within_the_coming_week(today, weekday):
    names = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    french = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    nxt = parse_date(f"next {names[weekday]}", today)
    assert nxt.weekday() == weekday and today < nxt <= today + timedelta(days=7)
    assert parse_date(f"{french[weekday]} prochain", today) == nxt
    plain = parse_date(french[weekday], today)
    assert plain.weekday() == weekday and today <= plain < today + timedelta(days=7)

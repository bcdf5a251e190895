"""Business days: Monday to Friday, minus Québec statutory holidays, minus the calendar's closures."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.proposals.rules import deadline_for
from bot.workdays import BusinessDays, for_relais

WINTER = (date(2026, 12, 24), date(2027, 1, 3))


def test_weekends_are_not_business_days():
    days = BusinessDays()
    assert days.is_business_day(date(2026, 12, 4))  # Friday
    assert not days.is_business_day(date(2026, 12, 5))  # Saturday
    assert not days.is_business_day(date(2026, 12, 6))  # Sunday
    assert days.subtract(date(2026, 12, 7), 1) == date(2026, 12, 4)  # Monday - 1 = Friday


@pytest.mark.parametrize(
    "day, name",
    [
        (date(2026, 6, 24), "Fête nationale du Québec"),
        (date(2027, 6, 24), "Fête nationale du Québec"),
        (date(2026, 7, 1), "Fête du Canada"),
        (date(2026, 9, 7), "Fête du Travail"),
        (date(2027, 5, 24), "Journée nationale des patriotes"),
    ],
)
def test_quebec_statutory_holidays_are_not_business_days(day, name):
    days = BusinessDays()
    assert days.holiday_name(day) == name
    assert not days.is_business_day(day)


def test_a_deadline_steps_over_the_fete_nationale():
    days = BusinessDays()
    # publication Monday 28 June 2027, 5 business days ahead: Fri 25, (Thu 24 holiday), Wed 23, Tue 22, Mon 21, Fri 18
    assert deadline_for(date(2027, 6, 28), 5, days) == date(2027, 6, 18)
    # publication Friday 26 June 2026, 2 business days: Thu 25, (Wed 24 holiday), Tue 23
    assert deadline_for(date(2026, 6, 26), 2, days) == date(2026, 6, 23)


def test_a_deadline_steps_over_the_winter_closure():
    days = BusinessDays(closures=[WINTER])
    assert not days.is_business_day(date(2026, 12, 28))  # a plain Monday, but the university is closed
    assert BusinessDays().is_business_day(date(2026, 12, 28))
    # publication Friday 8 January 2027, 10 business days: Jan 7, 6, 5, 4, (closure), Dec 23, 22, 21, 18, 17, 16
    assert deadline_for(date(2027, 1, 8), 10, days) == date(2026, 12, 16)
    assert deadline_for(date(2027, 1, 4), 1, days) == date(2026, 12, 23)
    assert days.next_business_day(date(2026, 12, 24)) == date(2027, 1, 4)
    assert days.add(date(2026, 12, 23), 1) == date(2027, 1, 4)
    assert days.between(date(2026, 12, 23), date(2027, 1, 4)) == 1


def test_lead_days_zero_is_the_publication_day_or_the_business_day_before_it():
    days = BusinessDays(closures=[WINTER])
    assert deadline_for(date(2026, 12, 10), 0, days) == date(2026, 12, 10)
    assert deadline_for(date(2026, 12, 12), 0, days) == date(2026, 12, 11)  # Saturday: the Friday
    assert deadline_for(date(2026, 12, 28), 0, days) == date(2026, 12, 23)  # in the closure: the day before it


def test_between_counts_business_days_after_the_first_up_to_the_second():
    days = BusinessDays()
    assert days.between(date(2026, 12, 1), date(2026, 12, 1)) == 0
    assert days.between(date(2026, 12, 1), date(2026, 12, 8)) == 5
    assert days.between(date(2026, 12, 8), date(2026, 12, 1)) == -5


def test_the_calendar_file_closures_are_used(relais):
    days = for_relais(relais)
    assert (date(2026, 12, 24), date(2027, 1, 3)) in days.closures
    assert deadline_for(date(2027, 1, 8), 10, days) == date(2026, 12, 16)


weekdays = st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 12, 31))


@settings(max_examples=200, deadline=None)
@given(day=weekdays, count=st.integers(min_value=0, max_value=30))
def test_subtract_lands_on_a_business_day_exactly_count_business_days_before(day, count):
    days = BusinessDays(closures=[WINTER])
    day = days.next_business_day(day)
    earlier = days.subtract(day, count)
    assert days.is_business_day(earlier)
    assert days.between(earlier, day) == count
    assert days.add(earlier, count) == day

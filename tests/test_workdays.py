"""Business days: Monday to Friday, minus Québec statutory holidays, minus the calendar's closures."""

import time
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.proposals.rules import deadline_for
from bot.workdays import EXTRA_HOLIDAYS, BusinessDays, for_relais

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


# -- issue 14 item 9: counted, not walked — every answer equal to a day-by-day walk ------------------------
class Walked:
    """The per-day loop the arithmetic replaced: the reference."""

    def __init__(self, days: BusinessDays):
        self.days = days

    def is_business_day(self, day):
        return day.weekday() < 5 and self.days.holiday_name(day) is None and self.days.closure_of(day) is None

    def subtract(self, day, count):
        for _ in range(count):
            day -= timedelta(days=1)
            while not self.is_business_day(day):
                day -= timedelta(days=1)
        return day

    def add(self, day, count):
        for _ in range(count):
            day += timedelta(days=1)
            while not self.is_business_day(day):
                day += timedelta(days=1)
        return day

    def between(self, start, end):
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count


span = st.dates(min_value=date(2025, 1, 1), max_value=date(2029, 12, 31))
closures = st.lists(
    st.tuples(span, st.integers(min_value=0, max_value=60)).map(lambda c: (c[0], c[0] + timedelta(days=c[1]))),
    max_size=4,
)
extra = st.lists(st.sampled_from(sorted(EXTRA_HOLIDAYS)), unique=True).map(tuple)


@settings(max_examples=300, deadline=None)
@given(closures=closures, extra=extra, start=span, end=span, count=st.integers(min_value=-2, max_value=90))
def test_business_days_counted_by_arithmetic_equal_the_day_by_day_walk(closures, extra, start, end, count):
    days = BusinessDays(closures=closures, holidays=extra)
    walked = Walked(days)
    assert days.is_business_day(start) == walked.is_business_day(start)
    assert days.between(start, end) == walked.between(start, end)
    assert days.subtract(start, count) == walked.subtract(start, count)
    assert days.add(start, count) == walked.add(start, count)
    assert days.next_business_day(start) == walked.add(start, 0 if walked.is_business_day(start) else 1)
    assert days.previous_business_day(start) == walked.subtract(start, 0 if walked.is_business_day(start) else 1)


def test_a_closure_longer_than_the_search_reach_is_stepped_over():
    days = BusinessDays(closures=[(date(2026, 3, 1), date(2026, 9, 30))])
    walked = Walked(days)
    assert days.subtract(date(2026, 10, 5), 3) == walked.subtract(date(2026, 10, 5), 3) == date(2026, 2, 27)
    assert days.add(date(2026, 2, 27), 1) == walked.add(date(2026, 2, 27), 1) == date(2026, 10, 1)
    assert days.between(date(2026, 2, 26), date(2026, 10, 2)) == walked.between(date(2026, 2, 26), date(2026, 10, 2))


def test_counting_years_ahead_takes_no_walk():
    days = BusinessDays(closures=[WINTER])
    started = time.perf_counter()
    for _ in range(200):
        days.between(date(2026, 12, 1), date(2036, 12, 1))
        days.add(date(2026, 12, 1), 2500)
    assert time.perf_counter() - started < 0.5  # a day-by-day walk takes ~200 × 7,000 steps


def test_business_days_near_the_end_of_the_calendar_are_counted_as_walked():
    days = BusinessDays()
    walked = Walked(days)
    for day in (date(9999, 12, 20), date(9999, 12, 27), date(9999, 12, 29)):
        assert days.next_business_day(day) == walked.add(day, 0 if walked.is_business_day(day) else 1)
        assert days.add(day, 1) == walked.add(day, 1)
    with pytest.raises(OverflowError):
        days.add(date(9999, 12, 30), 5)

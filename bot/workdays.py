"""Business days, as DESIGN.md defines them: Monday to Friday, not a Québec statutory holiday
(from the `holidays` library), not a holiday the calendar file adds (`holidays = ["easter-monday"]`,
names in EXTRA_HOLIDAYS), not inside a `closure` event of the university calendar.

    days = BusinessDays(closures=[(date(2026, 12, 24), date(2027, 1, 3))])
    days.is_business_day(date(2026, 12, 25))          # False
    days.subtract(date(2027, 1, 8), 5)                # deadline = publication - 5 business days
    days.between(date(2026, 12, 1), date(2026, 12, 8)) # business days after the first, up to the second
    days.next_business_moment(at, tz)                  # every notice's time: `at`, or the next business
                                                       # day at the same local hour when `at`'s day is not one

Counted, not walked: weekdays between two dates by arithmetic (whole weeks × 5 plus the rest), minus the
weekdays off (holidays, closure days) found by bisection in a sorted list per year, computed once per
calendar and year. `subtract` and `add` search that count (tests/test_workdays.py proves every answer
equal to a day-by-day walk).

Pure: no database, no clock. `for_relais(relais)` / `for_db(db)` build one from the calendar in the
database; `horizon_gaps(db, today)` says which kinds of events the calendar runs out of.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from dateutil.easter import easter

from bot.clock import local_at
from storage import calendar, reference


def _first_monday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


# Days off a university may give on top of Québec's statutory holidays, by the name the calendar file
# uses: name -> (the day's name, its date in a year).
EXTRA_HOLIDAYS: dict[str, tuple[str, Callable[[int], date]]] = {
    "easter-monday": ("Lundi de Pâques", lambda year: easter(year) + timedelta(days=1)),
    "boxing-day": ("Lendemain de Noël", lambda year: date(year, 12, 26)),
    "new-year-day-after": ("Lendemain du jour de l'An", lambda year: date(year, 1, 2)),
    "civic-holiday": ("Congé civique", lambda year: _first_monday(year, 8)),
    "remembrance-day": ("Jour du Souvenir", lambda year: date(year, 11, 11)),
}
MAX_REMEMBERED = 20_000  # deadlines a calendar remembers having counted (bot.workdays.BusinessDays.subtract)
HORIZON_DAYS = 90  # the calendar should know closures and exam periods this far ahead
HORIZON_KINDS = ("closure", "exams")


@lru_cache(maxsize=8)
def _quebec(years: tuple[int, ...]):
    return holidays.country_holidays("CA", subdiv="QC", years=years, language="fr")


@lru_cache(maxsize=64)
def _extra(names: tuple[str, ...], year: int) -> dict[date, str]:
    days: dict[date, str] = {}
    for name in names:
        label, on = EXTRA_HOLIDAYS[name]
        days.setdefault(on(year), label)
    return days


def _weekdays_through(day: date) -> int:
    """Weekdays (Monday to Friday) from 1 January of year 1 (a Monday) through `day`: whole weeks × 5, plus
    the days of the last partial week up to Friday."""
    weeks, rest = divmod(day.toordinal(), 7)
    return weeks * 5 + min(rest, 5)


def _shifted(day: date, days: int, floor: date = date.min) -> date:
    """`day` moved by `days`, kept within [floor, date.max]."""
    try:
        return max(day + timedelta(days=days), floor)
    except OverflowError:
        return date.max if days > 0 else floor


@lru_cache(maxsize=512)
def _days_off(closures: tuple[tuple[date, date], ...], extra: tuple[str, ...], year: int) -> tuple[date, ...]:
    """The weekdays of `year` that are not business days (holidays and closure days), sorted."""
    off = {d for d in _quebec((year,)) if d.year == year}
    off.update(_extra(extra, year))
    first, last = date(year, 1, 1), date(year, 12, 31)
    for start, end in closures:
        day, end = max(start, first), min(end, last)
        while day <= end:  # a closure's days, once per calendar and year (then cached)
            off.add(day)
            day += timedelta(days=1)
    return tuple(sorted(d for d in off if d.weekday() < 5))


@dataclass
class BusinessDays:
    closures: list[tuple[date, date]] = field(default_factory=list)
    holidays: tuple[str, ...] = ()  # EXTRA_HOLIDAYS names declared in the calendar file

    def holiday_name(self, day: date) -> str | None:
        return _quebec((day.year,)).get(day) or _extra(tuple(self.holidays), day.year).get(day)

    def closure_of(self, day: date) -> tuple[date, date] | None:
        for start, end in self.closures:
            if start <= day <= end:
                return start, end
        return None

    def _off(self, year: int) -> tuple[date, ...]:
        years = self.__dict__.setdefault("_years", {})  # this calendar's years already looked up
        off = years.get(year)
        if off is None:
            off = years[year] = _days_off(tuple(self.closures), tuple(self.holidays), year)
        return off

    def _off_through(self, day: date, since_year: int) -> int:
        """Weekdays off from 1 January of `since_year` through `day`."""
        count = sum(len(self._off(year)) for year in range(since_year, day.year))
        return count + bisect_right(self._off(day.year), day)

    def _count(self, start: date, end: date) -> int:
        """Business days in (start, end], for start <= end."""
        weekdays = _weekdays_through(end) - _weekdays_through(start)
        return weekdays - (self._off_through(end, start.year) - self._off_through(start, start.year))

    def is_business_day(self, day: date) -> bool:
        if day.weekday() >= 5:
            return False
        off = self._off(day.year)
        at = bisect_right(off, day)
        return not (at and off[at - 1] == day)

    def subtract(self, day: date, count: int) -> date:
        """`count` business days before `day` (0: `day` itself): the latest business day with `count` business
        days from it up to the day before `day`. Remembered by this calendar (its closures never change): a
        cycle's suggestion asks the same deadlines for every day and outlet it tries."""
        if count <= 0:
            return day
        memo = self.__dict__.setdefault("_subtracted", {})
        found = memo.get((day, count))
        if found is None:
            if len(memo) >= MAX_REMEMBERED:  # a calendar kept for a long run: start afresh now and then
                memo.clear()
            found = memo[day, count] = self._subtract(day, count)
        return found

    def _subtract(self, day: date, count: int) -> date:
        reach = count + 7
        while True:
            low = _shifted(day, -reach, floor=date.min + timedelta(days=1))
            if self._count(low - timedelta(days=1), day - timedelta(days=1)) >= count:
                break
            if low == date.min + timedelta(days=1):
                raise OverflowError("date value out of range")  # as a day-by-day walk would
            reach *= 2  # a long closure: look further back
        high = day - timedelta(days=1)  # low has enough business days up to `day`
        while low < high:  # the latest `x` with `count` business days in [x, day)
            middle = high - timedelta(days=(high - low).days // 2)
            if self._count(middle - timedelta(days=1), day - timedelta(days=1)) >= count:
                low = middle
            else:
                high = middle - timedelta(days=1)
        return low

    def add(self, day: date, count: int) -> date:
        """`count` business days after `day` (0: `day` itself): the earliest day with `count` business days in
        (day, it]."""
        if count <= 0:
            return day
        reach = count + 7
        while True:
            high = _shifted(day, reach)
            if self._count(day, high) >= count:
                break
            if high == date.max:
                raise OverflowError("date value out of range")  # as a day-by-day walk would
            reach *= 2
        low = day + timedelta(days=1)
        while low < high:
            middle = low + timedelta(days=(high - low).days // 2)
            if self._count(day, middle) >= count:
                high = middle
            else:
                low = middle + timedelta(days=1)
        return low

    def next_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the next one."""
        return day if self.is_business_day(day) else self.add(day, 1)

    def previous_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the last one before it."""
        return day if self.is_business_day(day) else self.subtract(day, 1)

    def next_business_moment(self, at: datetime, tz: ZoneInfo) -> datetime:
        """When a notice due at `at` goes out: `at` itself on a business day, else the next business day
        at the same local hour and minute (a Sunday 09:00 checkpoint: Monday 09:00)."""
        local = at.astimezone(tz)
        day = self.next_business_day(local.date())
        if day == local.date():
            return at
        return local_at(day, local.hour, local.minute, tz)

    def between(self, start: date, end: date) -> int:
        """Business days in (start, end]: how many are left from `start` until `end` (negative if end < start)."""
        if end < start:
            return -self.between(end, start)
        return self._count(start, end)


def for_db(db) -> BusinessDays:
    """The business-day calendar with the closures currently known (file and feeds) and the holidays the
    calendar file declares; one per process while they are the same (storage.reference), with what it
    has counted."""

    return reference.cached(
        db,
        "business_days",
        lambda: BusinessDays(closures=calendar.closures(db), holidays=tuple(calendar.declared_holidays(db))),
    )


def for_relais(relais) -> BusinessDays:
    return for_db(relais.db)


def horizon_gaps(db, today: date, days: int = HORIZON_DAYS) -> list[tuple[str, date | None]]:
    """The kinds of events (closures, exam periods) the calendar knows none of after `today + days`:
    (kind, the last day known, or None when none at all). Empty when the calendar looks far enough."""
    gaps = []
    for kind in HORIZON_KINDS:
        last = calendar.last_day(db, kind)
        if last is None or last <= today + timedelta(days=days):
            gaps.append((kind, last))
    return gaps


def horizon_texts(tr, gaps: list[tuple[str, date | None]]) -> list[str]:
    """The warnings for `horizon_gaps`, one sentence each (check, digest)."""
    return [
        tr(f"horizon.{kind}.until", date=tr.date(last)) if last else tr(f"horizon.{kind}.none") for kind, last in gaps
    ]

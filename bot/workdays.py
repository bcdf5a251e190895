"""Business days, as DESIGN.md defines them: Monday to Friday, not a Québec statutory holiday
(from the `holidays` library), not inside a `closure` event of the university calendar.

    days = BusinessDays(closures=[(date(2026, 12, 24), date(2027, 1, 3))])
    days.is_business_day(date(2026, 12, 25))          # False
    days.subtract(date(2027, 1, 8), 5)                # deadline = publication - 5 business days
    days.between(date(2026, 12, 1), date(2026, 12, 8)) # business days after the first, up to the second

Pure: no database, no clock. `for_relais(relais)` builds one from the calendar in the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays

from storage import calendar


@lru_cache(maxsize=8)
def _quebec(years: tuple[int, ...]):
    return holidays.country_holidays("CA", subdiv="QC", years=years, language="fr")


@dataclass
class BusinessDays:
    closures: list[tuple[date, date]] = field(default_factory=list)

    def holiday_name(self, day: date) -> str | None:
        return _quebec((day.year,)).get(day)

    def closure_of(self, day: date) -> tuple[date, date] | None:
        for start, end in self.closures:
            if start <= day <= end:
                return start, end
        return None

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and self.holiday_name(day) is None and self.closure_of(day) is None

    def subtract(self, day: date, count: int) -> date:
        """`count` business days before `day`, stepping back one business day at a time (0: `day` itself)."""
        for _ in range(count):
            day -= timedelta(days=1)
            while not self.is_business_day(day):
                day -= timedelta(days=1)
        return day

    def add(self, day: date, count: int) -> date:
        """`count` business days after `day`."""
        for _ in range(count):
            day += timedelta(days=1)
            while not self.is_business_day(day):
                day += timedelta(days=1)
        return day

    def next_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the next one."""
        while not self.is_business_day(day):
            day += timedelta(days=1)
        return day

    def previous_business_day(self, day: date) -> date:
        """`day` itself when it is a business day, else the last one before it."""
        while not self.is_business_day(day):
            day -= timedelta(days=1)
        return day

    def between(self, start: date, end: date) -> int:
        """Business days in (start, end]: how many are left from `start` until `end` (negative if end < start)."""
        if end < start:
            return -self.between(end, start)
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_business_day(day):
                count += 1
        return count


def for_relais(relais) -> BusinessDays:
    """The business-day calendar with the closures currently known (file and feeds)."""

    return BusinessDays(closures=calendar.closures(relais.db))

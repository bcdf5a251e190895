"""Dates as people type them, in French or in English whatever BOT_LANGUAGE is. Pure.

    parse_date("2026-12-10", today)          # ISO
    parse_date("10 décembre", today)         # next 10 December on or after today
    parse_date("December 10, 2027", today)   # with a year: that very day
    parse_date("10/12", today)               # day/month (Québec usage), optionally /year
    parse_date("vendredi prochain", today)   # the first Friday after today
    parse_date("demain", today)              # also today, tomorrow, après-demain, dans 3 jours, in 2 weeks

Rules:
- a day and month without a year is the next such date on or after `today` (29 February: the
  next year that has one);
- a weekday alone ("vendredi", "this friday", "ce vendredi") is the next such day on or after
  today; "vendredi prochain" / "next friday" is the first one strictly after today;
- a weekday given with a date must agree with it ("jeudi 10 décembre 2026"), else DateError;
- "10/12" is day/month, never month/day;
- accents, case, "le", "the", "on", commas and ordinal suffixes (1er, 1st, 10th) do not matter.

A date in the past parses fine: whether it is acceptable is the caller's rule.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta


class DateError(ValueError):
    """Text that is not a date. `reason` is a catalog suffix (propose.date.<reason>), `params` fill it."""

    def __init__(self, text: str, reason: str = "unparseable", **params):
        self.text, self.reason, self.params = text, reason, params
        super().__init__(f"{reason}: {text!r}")


MONTHS = {
    "janvier": 1,
    "janv": 1,
    "jan": 1,
    "january": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "february": 2,
    "feb": 2,
    "mars": 3,
    "march": 3,
    "mar": 3,
    "avril": 4,
    "avr": 4,
    "april": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "june": 6,
    "jun": 6,
    "juillet": 7,
    "juil": 7,
    "july": 7,
    "jul": 7,
    "aout": 8,
    "august": 8,
    "aug": 8,
    "septembre": 9,
    "sept": 9,
    "sep": 9,
    "september": 9,
    "octobre": 10,
    "oct": 10,
    "october": 10,
    "novembre": 11,
    "nov": 11,
    "november": 11,
    "decembre": 12,
    "dec": 12,
    "december": 12,
}
WEEKDAYS = {
    "lundi": 0,
    "lun": 0,
    "monday": 0,
    "mon": 0,
    "mardi": 1,
    "tuesday": 1,
    "tue": 1,
    "tues": 1,
    "mercredi": 2,
    "mer": 2,
    "wednesday": 2,
    "wed": 2,
    "jeudi": 3,
    "jeu": 3,
    "thursday": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "vendredi": 4,
    "ven": 4,
    "friday": 4,
    "fri": 4,
    "samedi": 5,
    "sam": 5,
    "saturday": 5,
    "sat": 5,
    "dimanche": 6,
    "dim": 6,
    "sunday": 6,
    "sun": 6,
}
RELATIVE = {
    "aujourd'hui": 0,
    "aujourdhui": 0,
    "auj": 0,
    "today": 0,
    "demain": 1,
    "tomorrow": 1,
    "tmrw": 1,
    "apres-demain": 2,
    "apres demain": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
    "hier": -1,
    "yesterday": -1,
}
NEXT_BEFORE = ("next", "prochain", "prochaine")  # "next friday"
NEXT_AFTER = ("prochain", "prochaine", "next")  # "vendredi prochain"
THIS = ("this", "ce", "cette", "coming", "this coming")
UNITS = {"jour": 1, "jours": 1, "day": 1, "days": 1, "semaine": 7, "semaines": 7, "week": 7, "weeks": 7}
FILLERS = {"le", "the", "on", "of", "de", "du"}

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$")
_ORDINAL = re.compile(r"^(\d{1,2})(?:er|re|e|eme|st|nd|rd|th)?$")
_IN = re.compile(r"^(?:dans|in)\s+(\d{1,3})\s+([a-z]+)(?:\s+from now)?$")
_YEAR = re.compile(r"^\d{4}$")


def normalize(text: str) -> str:
    """Lowercase, no accents, typographic apostrophes straightened, punctuation turned into spaces."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    text = re.sub(r"[,;]", " ", text)
    text = re.sub(r"(?<=[a-z])\.", " ", text)  # "déc." "sept." "thu."
    return re.sub(r"\s+", " ", text).strip()


def parse_date(text: str, today: date) -> date:
    """The date `text` means, seen from `today`. Raises DateError (a ValueError) when it means none."""
    original = (text or "").strip()
    if not original:
        raise DateError(original, "empty")
    value = normalize(original)

    m = _ISO.match(value)
    if m:
        return _make(original, int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _NUMERIC.match(value)
    if m:
        day, month = int(m.group(1)), int(m.group(2))
        return _with_year(original, day, month, _year(m.group(3)), today)
    if value in RELATIVE:
        return today + timedelta(days=RELATIVE[value])
    m = _IN.match(value)
    if m and m.group(2) in UNITS:
        return today + timedelta(days=int(m.group(1)) * UNITS[m.group(2)])

    words = [w for w in value.split(" ") if w not in FILLERS]
    if not words:
        raise DateError(original)

    # weekday alone: "vendredi", "vendredi prochain", "next friday", "this friday", "ce vendredi"
    found = _weekday_only(words)
    if found is not None:
        alone, strictly_after = found
        start = today + timedelta(days=1) if strictly_after else today
        return start + timedelta(days=(alone - start.weekday()) % 7)

    # [weekday] day month [year]  |  [weekday] month day [year]
    weekday = None
    if words[0] in WEEKDAYS and len(words) > 1:
        weekday = WEEKDAYS[words[0]]
        words = words[1:]
    year = None
    if len(words) == 3 and _YEAR.match(words[2]):
        year = int(words[2])
        words = words[:2]
    if len(words) != 2:
        raise DateError(original)
    first, second = words
    first_ordinal, second_ordinal = _ORDINAL.match(first), _ORDINAL.match(second)
    if first_ordinal and second in MONTHS:
        day, month = int(first_ordinal.group(1)), MONTHS[second]
    elif first in MONTHS and second_ordinal:
        day, month = int(second_ordinal.group(1)), MONTHS[first]
    else:
        raise DateError(original)
    result = _with_year(original, day, month, year, today)
    if weekday is not None and result.weekday() != weekday:
        raise DateError(original, "weekday_mismatch", actual=result)
    return result


def _weekday_only(words: list[str]) -> tuple[int, bool] | None:
    """(weekday, strictly after today) when the words name a weekday and nothing else."""
    if len(words) == 1 and words[0] in WEEKDAYS:
        return WEEKDAYS[words[0]], False
    if len(words) == 2:
        head, tail = words
        if head in NEXT_BEFORE and tail in WEEKDAYS:
            return WEEKDAYS[tail], True
        if head in WEEKDAYS and tail in NEXT_AFTER:
            return WEEKDAYS[head], True
        if head in THIS and tail in WEEKDAYS:
            return WEEKDAYS[tail], False
    if len(words) == 3 and " ".join(words[:2]) in THIS and words[2] in WEEKDAYS:
        return WEEKDAYS[words[2]], False
    return None


def _year(text: str | None) -> int | None:
    if not text:
        return None
    return 2000 + int(text) if len(text) == 2 else int(text)


def _make(original: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(original, "no_such_day") from None


def _with_year(original: str, day: int, month: int, year: int | None, today: date) -> date:
    if year is not None:
        return _make(original, year, month, day)
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        raise DateError(original, "no_such_day")
    for candidate in range(today.year, today.year + 9):  # 29 February comes back within 8 years
        try:
            result = date(candidate, month, day)
        except ValueError:
            continue
        if result >= today:
            return result
    raise DateError(original, "no_such_day")

"""Messages and formats in the team's language: one catalog per language (fr.py, en.py).

    tr = translator("fr")
    tr("propose.help.title")            # a message, placeholders filled with str.format
    tr.date(date(2026, 12, 14))          # 'lundi 14 décembre 2026'
    tr.number(19279)                     # '19 279' (no-break space)
    tr.ratio(23.48)                      # '×23,5'
    tr.plural("digest.posts", 2)         # the entry digest.posts.other, {count} = '2'

A message with a count has two entries, "key.one" and "key.other", chosen by the language's CLDR
plural rule (Babel): in French 0 and 1 take the singular, in English only 1. No "(s)" anywhere.

Numbers and dates are formatted by the caller (tr.number, tr.date) before they go into a
message, so a proposal number stays '#12' and a count of views reads '19 279'. Dates and times
are formatted here and nowhere else (Québec usage: 'mardi 1er décembre 2026', '9 h 30').
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from bot.i18n import en, fr

CATALOGS: dict[str, dict[str, str]] = {"fr": fr.MESSAGES, "en": en.MESSAGES}  # language -> key -> message
LOCALES: dict[str, str] = {"fr": "fr_CA", "en": "en_CA"}
DATE_PATTERNS: dict[str, dict[str, str]] = {  # CLDR patterns, the day written alone so French can add 'er'
    "fr": {"full": "EEEE d MMMM y", "long": "d MMMM y", "medium": "d MMM y", "short": "d MMM", "month": "LLLL y"},
    "en": {"full": "EEEE, MMMM d, y", "long": "MMMM d, y", "medium": "MMM d, y", "short": "MMM d", "month": "LLLL y"},
}


@dataclass(frozen=True)
class Translator:
    language: str

    @property
    def locale(self) -> str:
        return LOCALES[self.language]

    def __call__(self, key: str, **params: object) -> str:
        catalog = CATALOGS[self.language]
        text = catalog.get(key)
        if text is None:  # a missing key is a bug; the French text is better than nothing
            text = CATALOGS["fr"].get(key, key)
        return text.format(**params) if params else text

    def plural_form(self, count: int | float) -> str:
        """'one' or 'other': the CLDR category of count in this language ('many', 'few'… read as 'other')."""
        return _plural_form(count, self.locale)

    def plural(self, key: str, count: int | float, **params: object) -> str:
        """The message key.one or key.other for count, {count} written as a number ('19 279')."""
        return self(f"{key}.{self.plural_form(count)}", count=self.number(count), **params)

    def date(self, day: date, form: str = "full") -> str:
        """'full': lundi 14 décembre 2026; 'long': 14 décembre 2026; 'medium': 14 déc. 2026; 'short': 14 déc.;
        'month': décembre 2026. French writes the first of a month '1er' (mardi 1er décembre 2026, 1er déc.)."""
        pattern = DATE_PATTERNS[self.language][form]
        if self.language == "fr" and day.day == 1:
            pattern = pattern.replace("d ", "d'er' ", 1)
        return _format_date(day, pattern, self.locale)

    def time(self, instant: datetime) -> str:
        """French (Québec): 9 h, 9 h 30, 16 h 02; English (Canada): 9:00 a.m."""
        if self.language == "fr":
            return format_time(instant, "H' h'" if instant.minute == 0 else "H' h 'mm", locale=self.locale)
        return format_time(instant, "short", locale=self.locale)

    def datetime(self, instant: datetime) -> str:
        return f"{self.date(instant.date())}, {self.time(instant)}"

    def number(self, value: int | float, digits: int = 0) -> str:
        return _format_number(value, digits, self.locale)

    def ratio(self, value: float) -> str:
        return "×" + format_decimal(value, format="#,##0.0", locale=_locale(self.locale))

    def percent(self, value: float) -> str:
        return format_decimal(value * 100, format="#,##0", locale=_locale(self.locale)) + (
            "\u00a0%" if self.language == "fr" else "%"
        )

    def duration(self, seconds: int) -> str:
        """Average reading time, m:ss."""
        return f"{seconds // 60}:{seconds % 60:02d}"


@lru_cache(maxsize=4096)
def _format_date(day: date, pattern: str, locale: str) -> str:
    """Babel formats a date in ~0.1 ms; the same few dates are written again and again (cards, lists)."""
    return format_date(day, pattern, locale=locale)


@lru_cache(maxsize=4096, typed=True)  # typed: 1 and 1.0 are not written (nor counted) alike
def _format_number(value: int | float, digits: int, locale: str) -> str:
    """Babel writes a number in ~25 µs; the same small counts (business days, placements) come back often."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(locale))


@lru_cache(maxsize=1024, typed=True)
def _plural_form(count: int | float, locale: str) -> str:
    return "one" if _locale(locale).plural_form(count) == "one" else "other"


@cache
def _locale(name: str) -> Locale:
    """Babel's Locale, parsed once per language (Locale.parse of a name costs ~4 µs, each plural and number)."""
    return Locale.parse(name)


@cache
def translator(language: str) -> Translator:
    if language not in CATALOGS:
        raise ValueError(f"unknown language {language!r}")
    return Translator(language)

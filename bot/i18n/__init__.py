"""Messages and formats in the team's language: one catalog per language (fr.py, en.py).

    tr = translator("fr")
    tr("propose.help.title")            # a message, placeholders filled with str.format
    tr.date(date(2026, 12, 14))          # 'lundi 14 décembre 2026'
    tr.number(19279)                     # '19 279' (no-break space)
    tr.ratio(23.48)                      # '×23,5'

Numbers and dates are formatted by the caller (tr.number, tr.date) before they go into a
message, so a proposal number stays '#12' and a count of views reads '19 279'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from bot.i18n import en, fr

CATALOGS: dict[str, dict[str, str]] = {"fr": fr.MESSAGES, "en": en.MESSAGES}  # language -> key -> message
LOCALES: dict[str, str] = {"fr": "fr_CA", "en": "en_CA"}


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

    def date(self, day: date, form: str = "full") -> str:
        """'full': lundi 14 décembre 2026; 'short': 14 déc.; 'medium': 14 déc. 2026."""
        if form == "short":
            return format_date(day, "d MMM", locale=self.locale)
        return format_date(day, form, locale=self.locale)

    def time(self, instant: datetime) -> str:
        return format_time(instant, "short", locale=self.locale)

    def datetime(self, instant: datetime) -> str:
        return f"{self.date(instant.date())}, {self.time(instant)}"

    def number(self, value: int | float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def ratio(self, value: float) -> str:
        return "×" + format_decimal(value, format="#,##0.0", locale=self.locale)

    def percent(self, value: float) -> str:
        return format_decimal(value * 100, format="#,##0", locale=self.locale) + (
            "\u00a0%" if self.language == "fr" else "%"
        )

    def duration(self, seconds: int) -> str:
        """Average reading time, m:ss."""
        return f"{seconds // 60}:{seconds % 60:02d}"


@cache
def translator(language: str) -> Translator:
    if language not in CATALOGS:
        raise ValueError(f"unknown language {language!r}")
    return Translator(language)

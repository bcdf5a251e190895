"""One catalog per language, the same keys and placeholders in each; locale formats from Babel."""

import string
from datetime import date

import pytest

from bot.i18n import CATALOGS, translator


def placeholders(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys():
    assert set(CATALOGS["fr"]) == set(CATALOGS["en"])


@pytest.mark.parametrize("key", sorted(CATALOGS["fr"]))
def test_each_message_has_the_same_placeholders_in_both_languages(key):
    assert placeholders(CATALOGS["fr"][key]) == placeholders(CATALOGS["en"][key]), key


def test_french_dates_and_numbers():
    tr = translator("fr")
    assert tr.date(date(2026, 12, 14)) == "lundi 14 décembre 2026"
    assert tr.number(19279) == "19\u00a0279"
    assert tr.ratio(19279 / 821) == "×23,5"
    assert tr.duration(150) == "2:30"


def test_english_dates_and_numbers():
    tr = translator("en")
    assert tr.date(date(2026, 12, 14)) == "Monday, December 14, 2026"
    assert tr.number(19279) == "19,279"
    assert tr.ratio(19279 / 821) == "×23.5"


def test_placeholders_are_filled():
    assert translator("fr")("settings.got", value="abc") == " (reçu « abc »)"
    assert translator("en")("settings.got", value="abc") == " (got “abc”)"

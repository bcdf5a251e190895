"""One catalog per language, the same keys and placeholders in each; locale formats from Babel."""

import string
from datetime import date, datetime

import pytest

from bot.i18n import CATALOGS, translator
from bot.runtime import arguments


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


def test_french_writes_the_first_of_the_month_1er_and_hours_as_in_quebec():
    tr = translator("fr")
    assert tr.date(date(2026, 12, 1)) == "mardi 1er décembre 2026"
    assert tr.date(date(2026, 12, 1), "short") == "1er déc."
    assert tr.date(date(2026, 12, 1), "medium") == "1er déc. 2026"
    assert tr.date(date(2026, 12, 11), "short") == "11 déc."
    assert tr.date(date(2026, 11, 1), "month") == "novembre 2026"
    assert tr.time(datetime(2026, 12, 1, 9, 0)) == "9 h"
    assert tr.time(datetime(2026, 12, 1, 9, 30)) == "9 h 30"
    assert tr.time(datetime(2026, 12, 1, 4, 2)) == "4 h 02"
    assert tr.datetime(datetime(2026, 12, 1, 16, 5)) == "mardi 1er décembre 2026, 16 h 05"


def test_english_dates_and_times_as_in_canada():
    tr = translator("en")
    assert tr.date(date(2026, 12, 1)) == "Tuesday, December 1, 2026"
    assert tr.date(date(2026, 12, 1), "short") == "Dec 1"
    assert tr.time(datetime(2026, 12, 1, 9, 0)) == "9:00\u202fa.m."


def test_english_dates_and_numbers():
    tr = translator("en")
    assert tr.date(date(2026, 12, 14)) == "Monday, December 14, 2026"
    assert tr.number(19279) == "19,279"
    assert tr.ratio(19279 / 821) == "×23.5"


def test_placeholders_are_filled():
    assert translator("fr")("settings.got", value="abc") == " (reçu « abc »)"
    assert translator("en")("settings.got", value="abc") == " (got “abc”)"


@pytest.mark.parametrize("language", ["fr", "en"])
def test_no_plural_by_hand_in_either_catalog(language):
    by_hand = [key for key, text in CATALOGS[language].items() if "(s)" in text]
    assert by_hand == []


@pytest.mark.parametrize("language", ["fr", "en"])
def test_plural_entries_come_in_pairs_one_and_other(language):
    keys = set(CATALOGS[language])
    stems = {key.rsplit(".", 1)[0] for key in keys if key.endswith((".one", ".other", ".many"))}
    for stem in stems:
        assert {f"{stem}.one", f"{stem}.other"} <= keys, stem
        assert f"{stem}.many" not in keys, stem


def test_plurals_follow_cldr_french_singular_for_0_and_1():
    fr, en = translator("fr"), translator("en")
    assert [fr.plural("stats.posts", n) for n in (0, 1, 2)] == ["0 publication", "1 publication", "2 publications"]
    assert fr.plural("stats.views", 19279) == "19\u00a0279 vues"
    assert fr.plural("stats.views", 1_000_000) == "1\u00a0000\u00a0000 vues"  # CLDR 'many' reads as 'other'
    assert [en.plural("stats.posts", n) for n in (0, 1, 2)] == ["0 publications", "1 publication", "2 publications"]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_argparse_phrases_are_filled_as_argparse_fills_its_own(language):
    """Each argparse phrase, from the catalog, takes argparse's own %-values (the CLI's words, issue 16 item 7)."""
    tr = translator(language)
    values = {"prog": "p", "message": "m", "argument_name": "a", "value": "v", "choices": "c", "type": "t"}
    values |= {"parser_name": "n", "option": "o", "matches": "x"}
    for english in arguments.PHRASES:
        text = arguments.phrase(tr, english)
        filled = text % values if "%(" in text else text % ("s",) if "%" in text else text
        assert "{" not in filled and "%" not in filled, (english, filled)
    assert arguments.plural_phrase(tr, "expected %s argument", "expected %s arguments", 2) % 2 in (
        "attend 2 valeurs",
        "expected 2 arguments",
    )
    assert arguments.phrase(tr, "a phrase of a newer Python") == "a phrase of a newer Python"


def test_numbers_and_plurals_written_once_are_written_alike_again():
    """Translator.number and plural_form remember what they wrote (bot.i18n): an int and a float of the same
    value are remembered apart, and the remembered answer is Babel's."""
    from babel.numbers import format_decimal

    en = translator("en")
    assert en.number(1.5, 1) == format_decimal(1.5, format="#,##0.0", locale="en_CA")
    assert en.number(2, 1) == "2.0"
    assert en.number(2.0) == "2" == en.number(2)
    fr = translator("fr")
    assert fr.number(19279) == "19\u00a0279" == fr.number(19279)
    assert [en.plural_form(n) for n in (1, 1.0, 1.5, 0, 1)] == ["one", "one", "other", "other", "one"]

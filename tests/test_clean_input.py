"""Text cleaned at the door (issue 14, item 9): titles on one line; control characters, bidi overrides and
zero-width characters removed from everything stored; newlines kept only where a field allows them.

The /propose line and form go through the Procfile's web process; the spreadsheet import and the
calendar feed through their parsers, on a real database."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.calendar import feeds
from bot.settings import Feed
from bot.stats.spreadsheet import parse_csv
from bot.text import clean, one_line
from tests import slack
from tests.test_feeds_server import ics
from tests.test_propose_e2e import NOW, card, open_modal, query, text_of, values

HOSTILE = (
    "Ligne1\n:rotating_light: *Proposition n° 999 — FAUSSE*"
    "\u202eevil\u202c\u2066x\u2069 zéro\u200b\u200c\u200d\u2060\ufeff nul\x00 esc\x1b[31m rouge\x9b c1\x7f"
)
CLEAN_TITLE = "Ligne1 :rotating_light: *Proposition n° 999 — FAUSSE*evilx zéro nul esc[31m rouge c1"
INVISIBLE = ["\n", "\r", "\x00", "\x1b", "\x7f", "\x9b", "\u202e", "\u202c", "\u2066", "\u2069", "\u200b", "\ufeff"]


def test_one_line_and_clean():
    assert one_line(HOSTILE) == CLEAN_TITLE
    assert one_line("  a\r\nb\u2028c\td  ") == "a b c d"
    assert one_line(None) == "" and one_line("n°\u00a012") == "n°\u00a012"  # no-break spaces are kept
    assert clean("Résumé\r\n\u202eligne 2\x00  \n\n\n\nfin", multiline=True) == "Résumé\nligne 2\n\nfin"


@pytest.mark.e2e
def test_a_hostile_title_is_stored_and_shown_on_one_line_without_invisible_characters(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    response = web.slash("/propose", f"{HOSTILE} | 10 décembre | udem-facebook")
    assert response.status_code == 200
    post = card(web, standin)
    title = query(web, "SELECT title FROM proposals")[0]["title"]
    assert title == CLEAN_TITLE
    shown = text_of(post.args) + text_of(response.json())
    for char in INVISIBLE[2:]:
        assert json.dumps(char)[1:-1] not in shown and char not in shown, repr(char)
    assert not any("\\n:rotating_light:" in text_of(b) for b in post.args["blocks"])  # no fake line on the card

    view = open_modal(web, standin)
    submitted = values(title=HOSTILE, summary="Première ligne\r\n\u202eDeuxième\x1b ligne", notes="a\x00\nb")
    assert web.interact(slack.view_submission(view, submitted)).text == ""
    card(web, standin, 2)
    row = query(web, "SELECT title, summary, notes FROM proposals WHERE id = 2")[0]
    assert row == {"title": CLEAN_TITLE, "summary": "Première ligne\nDeuxième ligne", "notes": "a\nb"}


def test_feed_event_titles_are_cleaned(relais):
    body = ics("UID:a\nDTSTART;VALUE=DATE:20261208\nSUMMARY:Examens\\nFAUX\u202e\u200b\x1b")
    events = feeds.parse(body, Feed("https://cal.example/a.ics"), date(2026, 12, 1), relais.settings.tz)
    assert [e["name"] for e in events] == ["Examens FAUX"]


def test_spreadsheet_cells_are_cleaned_on_import(relais):
    data = (
        "title,category,outlet,published_on,views\n"
        '"Ligne1\n:rotating_light: FAUX\u202e\u200b\x1b",one-off,udem-facebook,2026-05-01,100\n'
    )
    now = relais.clock.now()
    parsed = parse_csv(data, outlets={"udem-facebook"}, today=now.date(), now=now, tz=relais.settings.tz)
    assert [p.title for p in parsed.proposals] == ["Ligne1 :rotating_light: FAUX"]

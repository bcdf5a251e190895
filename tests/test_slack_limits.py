"""Slack's limits by construction (issue 14, item 13): text cut after escaping, confirmation texts within
300 characters, long cards paginated with nothing dropped silently, long sections split at line
boundaries. Every payload here is validated with slack_sdk's Block Kit models."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from slack_sdk.models.blocks import Block

from bot.blocks import MAX_BLOCKS, confirm, cut, escape, escape_cut, sections, split_lines, wrap
from bot.proposals.card import card_blocks, card_state
from tests.test_reminders_support import propose

NASTY = "&<>" * 50  # 150 characters typed, 600 once escaped


def valid(blocks: list[dict]) -> list[dict]:
    assert len(blocks) <= MAX_BLOCKS, len(blocks)
    for block in blocks:
        Block.parse(block).validate_json()  # slack_sdk raises SlackObjectFormationError beyond a limit
    return blocks


def confirms(blocks):
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if "confirm" in element:
                yield element["confirm"]


def test_cutting_after_escaping_never_splits_an_entity():
    text = escape_cut(NASTY, 80)
    assert len(text) <= 80 and text.endswith("…")
    assert text[:-1].replace("&amp;", "").replace("&lt;", "").replace("&gt;", "") == ""
    assert cut("mot " * 100, 50).endswith(" mot…")  # at a word boundary when one is near
    assert cut("court", 10) == "court"


def test_cuts_never_split_a_mention_or_a_link():
    text = "Rappel pour " + "<@U0JULIETTE> " * 10 + "<https://example.org/a|le lien> fin"
    for limit in range(15, len(text)):
        kept = cut(text, limit)
        assert len(kept) <= limit
        assert kept.count("<") == kept.count(">"), kept  # every <…> token whole
    pieces = wrap("mot " * 500 + "<@U0COMMS> " + "&lt;&amp;&gt; " * 300, 1000)
    assert all(len(p) <= 1000 for p in pieces) and len(pieces) > 1
    assert " ".join(pieces).split() == ("mot " * 500 + "<@U0COMMS> " + "&lt;&amp;&gt; " * 300).split()  # nothing lost


def test_a_line_longer_than_a_section_is_wrapped_not_lost():
    line = escape("Titre & <b> " * 600)  # 7,200 typed, 12,000 once escaped, no line break
    pieces = split_lines("Tête\n" + line + "\nfin")
    assert all(len(p) <= 3000 for p in pieces) and len(pieces) >= 5
    assert "\n".join(pieces).split() == ("Tête\n" + line + "\nfin").split()
    for piece in pieces:
        assert piece.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0
    valid(sections("Tête\n" + line))


def test_confirmation_texts_stay_within_300_characters():
    dialog = confirm("Annuler ?", "Annuler « " + NASTY.replace("&", "&amp;") * 3 + " » ?", "Oui", "Non")
    assert len(dialog["text"]["text"]) <= 300


def test_long_sections_are_split_at_line_boundaries():
    lines = [f"• Ligne {i} " + "mot " * 20 for i in range(100)]
    pieces = split_lines("\n".join(lines))
    assert len(pieces) > 1 and all(len(p) <= 3000 for p in pieces)
    assert "\n".join(pieces) == "\n".join(lines)  # nothing lost, nothing cut mid-line
    valid(sections("\n".join(lines)))


def test_a_card_with_a_nasty_title_and_many_placements_is_valid_and_says_what_it_leaves_out(relais):
    outlets = {
        "udem-facebook": date(2026, 12, 7),
        "udem-x": date(2026, 12, 7),
        "bib-facebook": date(2026, 12, 10),
        "bib-instagram": date(2026, 12, 10),
    }
    proposal_id, _ = propose(relais, publish_on=date(2026, 12, 14), outlets=outlets, title=NASTY)
    state = card_state(relais, proposal_id)
    many = replace(state, placements=state.placements * 8)  # 32 placements: more than 50 blocks' worth
    blocks = valid(card_blocks(relais.tr, many))
    text = json.dumps(blocks, ensure_ascii=False)
    assert f"/propose show {proposal_id}" in text and "autres canaux ne tiennent pas" in text
    shown = sum(1 for b in blocks if (b.get("block_id") or "").endswith("-text"))
    assert f"{32 - shown} autres canaux" in text
    assert any(b.get("block_id") == f"proposal-{proposal_id}" for b in blocks[-2:])  # the cancel button is kept
    for dialog in confirms(blocks):
        assert len(dialog["text"]["text"]) <= 300
    valid(card_blocks(relais.tr, state))

"""Slack's limits by construction (issue 14, item 13): text cut after escaping, confirmation texts within
300 characters, long cards paginated with nothing dropped silently, long sections split at line
boundaries. Every payload here is validated with slack_sdk's Block Kit models."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

from slack_sdk.models.blocks import Block

from bot import blocks as bk
from bot.blocks import MAX_BLOCKS, confirm, cut, escape, escape_cut, sections, split_lines, wrap
from bot.proposals.card import card_blocks, card_state
from storage import proposals as proposal_rows
from tests import slack
from tests.conftest import ROOT, wait_until
from tests.stats_seed import publish
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


def test_what_does_not_fit_in_a_message_says_how_many_more():
    lines = [f"ligne {n} " + "x" * 90 for n in range(200)]  # 100 characters each
    kept = bk.fit_lines(lines, 2000, lambda left: f"… et {left} de plus")
    assert sum(len(line) + 1 for line in kept) <= 2000
    assert kept[:-1] == lines[: len(kept) - 1] and kept[-1] == f"… et {200 - len(kept) + 1} de plus"
    assert bk.fit_lines(lines[:5], 2000, lambda left: "jamais") == lines[:5]
    items = [bk.section("y" * 2500) for _ in range(10)]
    fitted = bk.fit_blocks(items, lambda left: bk.context(f"{left} de plus"))
    assert bk.message_chars(fitted) <= 11_000 - 300 and fitted[-1] == bk.context("6 de plus") and len(fitted) == 5
    many = [bk.section("z") for _ in range(60)]
    assert len(bk.fit_blocks(many, lambda left: bk.context(f"{left}"))) == 50
    assert bk.fit_blocks(many, lambda left: bk.context(f"{left}"))[-1] == bk.context("11")


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


# -- end to end: the worst a team can type, on every surface ----------------------------------------
NOW = "2026-12-01T10:00"  # Tuesday


def many_outlets(tmp_path, count=30):
    """The shipped outlets (the calendar's cycles name them) and `count` more whose names are long and
    full of & < >."""
    entries = [(ROOT / "config" / "outlets.toml").read_text(encoding="utf-8")]
    for n in range(count):
        entries.append(
            f"""[[outlet]]
slug = "canal-{n:02d}"
name = "Canal n° {n:02d} {NASTY[:120]}"
owner = "{"university" if n % 2 else "library"}"
platform = "autre"
lead_days = {2 if n % 2 else 0}
per_week = 1
checklist = ["Image & <alt>", "{NASTY[:60]}"]
audiences = ["students"]
"""
        )
    path = tmp_path / "many-outlets.toml"
    path.write_text("\n".join(entries), encoding="utf-8")
    return str(path)


def text_blocks(blocks):
    return [b["text"]["text"] for b in blocks if b.get("type") == "section" and isinstance(b.get("text"), dict)]


def test_a_one_line_proposal_to_thirty_nasty_outlets_is_confirmed_over_several_sections(web_with, standin, tmp_path):
    """The confirmation lists every outlet: too long for one section, it is split between lines, nothing
    lost; the card, /propose show, list, outlets and the Home tab all pass the stand-in's checks."""
    web = web_with(RELAIS_NOW=NOW, OUTLETS_FILE=many_outlets(tmp_path))
    slugs = ", ".join(f"canal-{n:02d}" for n in range(30))
    response = web.slash("/propose", f"{NASTY} | 2026-12-18 | {slugs}")
    assert response.status_code == 200
    body = response.json()
    sections_ = text_blocks(body["blocks"])
    assert len(sections_) >= 2 and all(len(t) <= 3000 for t in sections_)
    lines = "\n".join(sections_).split("\n")
    shown = [n for n in range(30) if any(f"Canal n° {n:02d} " in line for line in lines)]
    assert len(shown) >= 10 and shown == list(range(len(shown)))  # in order, each whole on its line
    assert all(sum(f"Canal n° {n:02d} " in line for line in lines) == 1 for n in shown)
    if len(shown) < 30:  # what does not fit in one message says so, and where to see everything
        assert "ne tiennent pas dans ce message" in lines[-1] and "/propose show 1" in lines[-1]
    assert bk.message_chars(body["blocks"], body["text"]) <= 11_000
    assert all(line.count("&") == line.count(";") for line in lines)  # no entity cut in two
    standin.wait_for("chat.postMessage")
    for command in ("show 1", "list", "list all", "outlets"):
        assert web.slash("/propose", command).status_code == 200
    web.event({"type": "app_home_opened", "user": "U0JULIETTE", "channel": "D0HOME", "tab": "home", "event_ts": "1"})
    standin.wait_for("views.publish")
    assert not standin.violations  # and the autouse check fails the test on any payload Slack would refuse


def test_a_form_with_every_field_at_its_longest_and_full_of_entities_passes_everywhere(web_with, standin):
    """Title, summary, notes and link at their longest, every character one that escaping multiplies: the
    card, its show, the edit form and the Home tab stay within Slack's limits (the validator checks)."""
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    response = web.slash("/propose", "", trigger_id="1.2.propose")
    assert response.status_code == 200
    view = standin.wait_for("views.open")[-1].result["view"]
    values = {
        "title": {"value": {"type": "plain_text_input", "value": NASTY}},
        "summary": {"value": {"type": "plain_text_input", "value": "&" * 3000}},
        "category": {"value": {"type": "static_select", "selected_option": None}},
        "audiences": {"value": {"type": "multi_static_select", "selected_options": []}},
        "publish_on": {"value": {"type": "datepicker", "selected_date": "2026-12-18"}},
        "outlets": {
            "value": {
                "type": "multi_static_select",
                "selected_options": [
                    {"text": {"type": "plain_text", "text": s}, "value": s}
                    for s in ("udem-facebook", "udem-x", "bib-facebook", "bib-instagram")
                ],
            }
        },
        "link": {"value": {"type": "plain_text_input", "value": "https://example.org/?" + "a=1&" * 100}},
        "notes": {"value": {"type": "plain_text_input", "value": "<>" * 1500}},
    }
    submitted = web.interact(slack.view_submission(view, values))
    assert submitted.status_code == 200, submitted.text
    card = wait_until(lambda: [c for c in standin.calls("chat.postMessage") if "proposal_cancel" in json.dumps(c.args)])
    blocks = card[0].args["blocks"]
    summary = next(b["text"]["text"] for b in blocks if "text" in b and "&amp;" * 50 in b["text"]["text"])
    assert len(summary) <= 2000 and summary.endswith("&amp;…")  # cut after escaping, on an entity's edge
    assert web.slash("/propose", "show 1").status_code == 200
    assert web.slash("/propose", "edit 1", trigger_id="1.3.edit").status_code == 200
    standin.wait_for("views.open", count=2)
    web.event({"type": "app_home_opened", "user": "U0JULIETTE", "channel": "D0HOME", "tab": "home", "event_ts": "1"})
    standin.wait_for("views.publish")
    assert not standin.violations


def test_a_report_of_long_nasty_titles_on_thirty_outlets_splits_at_line_boundaries(relais, web_with, standin, tmp_path):
    """/stats report and its year report over many proposals whose titles, and outlets whose names, are full
    of & < >: each section within 3,000 characters split between lines, the message within 11,000, each
    list that had to be cut saying how many more."""
    web = web_with(RELAIS_NOW=NOW, OUTLETS_FILE=many_outlets(tmp_path), COMMS_TEAM="")
    for n in range(40):
        university, library = f"canal-{(2 * n + 1) % 30:02d}", f"canal-{(2 * n) % 30:02d}"
        publish(
            relais.db,
            f"{n:02d} {NASTY}"[:150],
            date(2026, 10, 1) + timedelta(days=n),
            {
                university: (10_000 + n, 500, 90),
                library: (500 + n, 20, 60),
            },
        )
    for command in ("report all", "report year 2026 civile"):
        body = web.slash("/stats", command).json()
        texts = [b["text"]["text"] for b in body["blocks"] if b.get("type") == "section"]
        assert all(len(t) <= 3000 for t in texts)
        assert bk.message_chars(body["blocks"], body["text"]) <= 11_000
        lines = "\n".join(texts).split("\n")
        assert all(line.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "").count("&") == 0 for line in lines)
        assert any(line.startswith("… et ") for line in lines), command  # something had to be cut, and says so
    report = "\n".join(
        b["text"]["text"] for b in web.slash("/stats", "report all").json()["blocks"] if b.get("type") == "section"
    )
    assert sum(f"Canal n° {n:02d} " in report for n in range(30)) >= 10  # outlets listed whole, one per line


def test_a_list_of_many_nasty_proposals_says_how_many_more(relais, web_with, standin):
    """45 proposals whose titles escape to 750 characters: /propose list shows those that fit in one
    message, then "… et N de plus" for the rest (those past the list's 40 included)."""
    web = web_with(RELAIS_NOW=NOW)
    for n in range(45):
        with relais.db.atomic():
            proposal_rows.create(
                relais.db,
                title=f"{n:02d} {NASTY}"[:150],
                publish_on=date(2026, 12, 18),
                owner_id="U0JULIETTE",
                now="2026-11-20T12:00:00Z",
                outlets=[("udem-facebook", date(2026, 12, 10)), ("bib-facebook", date(2026, 12, 18))],
            )
    for command in ("list", "list all"):
        body = web.slash("/propose", command).json()
        assert bk.message_chars(body["blocks"], body["text"]) <= 11_000
        shown = sum(1 for b in body["blocks"] if b.get("type") == "section" and "&amp;&lt;&gt;" in b["text"]["text"])
        assert 5 <= shown < 40
        assert f"… et {45 - shown} de plus" in json.dumps(body, ensure_ascii=False), command

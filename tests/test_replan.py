"""Deadlines follow the rules (bot.proposals.replan): the pure part (which deadlines move and why),
the applying part on a temporary database, and end to end: a closure added to the calendar file
then a restart (`python -m bot tick`, the Procfile's web process), a closure from an iCalendar feed
(`python -m bot calendar refresh`), an outlet's new lead time, an outlet removed from the file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot import outbox
from bot.proposals import replan
from bot.proposals.card import card_blocks, card_state
from bot.proposals.outlets import active
from bot.proposals.replan import Move, Rules, deadline_moves, follow_rules
from bot.proposals.rules import check_line, parse_line
from bot.runtime.startup import prepare
from bot.workdays import for_relais
from storage import calendar as calendar_store
from storage import outbox as rows
from storage import proposals as store
from tests.conftest import ROOT, wait_until
from tests.test_feeds_server import FeedServer, ics
from tests.test_reminders_support import propose

DEC_14 = date(2026, 12, 14)  # a Monday; udem-facebook (5 business days): deadline Monday 7 December
STORM = ("2026-12-09", "2026-12-10", "Tempête de verglas")  # Wednesday-Thursday before the publication


def placement(pid=1, slug="udem-facebook", deadline="2026-12-07", publish_on="2026-12-14", proposal=1):
    return {"id": pid, "proposal_id": proposal, "outlet_slug": slug, "deadline": deadline, "publish_on": publish_on}


# -- the pure part ----------------------------------------------------------------------------------
def test_a_closure_added_before_the_publication_moves_the_deadline_and_names_the_closure():
    before = Rules(lead_days={"udem-facebook": 5, "udem-x": 2})
    after = Rules(lead_days={"udem-facebook": 5, "udem-x": 2}, closures=(STORM,))
    moves = deadline_moves([placement(), placement(2, "udem-x", "2026-12-10")], before, after)
    assert moves == [
        Move(
            1,
            1,
            date(2026, 12, 7),
            date(2026, 12, 3),
            replan.REASON_CLOSURE_ADDED,
            dict(zip(("start", "end", "name"), STORM, strict=False)),
        ),
        Move(
            2,
            1,
            date(2026, 12, 10),
            date(2026, 12, 8),
            replan.REASON_CLOSURE_ADDED,
            dict(zip(("start", "end", "name"), STORM, strict=False)),
        ),
    ]


def test_an_outlets_new_lead_time_moves_its_deadlines_with_that_reason():
    before = Rules(lead_days={"udem-facebook": 5, "udem-x": 2})
    after = Rules(lead_days={"udem-facebook": 7, "udem-x": 2})
    moves = deadline_moves([placement(), placement(2, "udem-x", "2026-12-10")], before, after)
    assert moves == [Move(1, 1, date(2026, 12, 7), date(2026, 12, 3), replan.REASON_LEAD, {"old": 5, "new": 7})]


def test_a_closure_removed_gives_the_days_back():
    before = Rules(lead_days={"udem-facebook": 5}, closures=(STORM,))
    after = Rules(lead_days={"udem-facebook": 5})
    moves = deadline_moves([placement(deadline="2026-12-03")], before, after)
    assert moves == [
        Move(1, 1, date(2026, 12, 3), date(2026, 12, 7), replan.REASON_CLOSURE_REMOVED, {"name": STORM[2]})
    ]


def test_nothing_moves_when_nothing_that_matters_changed():
    before = Rules(lead_days={"udem-facebook": 5})
    after = Rules(lead_days={"udem-facebook": 5, "udem-x": 3}, closures=(("2027-02-01", "2027-02-02", "Plus tard"),))
    assert deadline_moves([placement()], before, after) == []
    assert deadline_moves([placement(slug="unknown")], before, after) == []  # no lead time known: left alone


def test_rules_survive_their_text_form():
    rules = Rules(lead_days={"b": 2, "a": 5}, closures=(STORM,))
    assert Rules.from_text(rules.to_text()) == rules


# -- the applying part --------------------------------------------------------------------------------
def _storm(relais):
    with relais.db.atomic():
        calendar_store.replace_source(
            relais.db,
            "test",
            [{"uid": "storm", "name": STORM[2], "kind": "closure", "start": STORM[0], "end": STORM[1]}],
            "now",
        )


def pending_keys(db, placement_id):
    return sorted(r["key"] for r in rows.rows(db, kind="deadline", status="pending", placement_id=placement_id))


def test_follow_rules_moves_replans_updates_the_card_and_notes_once(relais, standin):
    proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    with relais.db.atomic():
        store.set_card(relais.db, proposal_id, "C0COMMS", "1795000000.000100")
    assert follow_rules(relais) == []  # nothing changed since the start
    assert pending_keys(relais.db, fb) == [f"deadline:{fb}:2026-12-07:{s}" for s in ("due", "heads_up", "missed")]

    _storm(relais)
    keys = follow_rules(relais)
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-03"
    # the heads-up of 3 December would be today 09:00 (now): only what is still ahead is planned
    assert pending_keys(relais.db, fb) == [f"deadline:{fb}:2026-12-03:due", f"deadline:{fb}:2026-12-03:missed"]
    old = [r for r in rows.rows(relais.db, kind="deadline", placement_id=fb) if "2026-12-07" in r["key"]]
    assert {r["status"] for r in old} == {"cancelled"}
    assert all("deadline moved 2026-12-07 -> 2026-12-03" in r["last_error"] for r in old)
    history = store.history(relais.db, proposal_id)[-1]
    assert (history["action"], history["from_value"], history["to_value"]) == ("deadline", "2026-12-07", "2026-12-03")
    notes = [k for k in keys if k.startswith("deadline-moved:")]
    assert len(notes) == 1 and any(k.startswith("card-update:") for k in keys)

    outbox.deliver(relais, keys=keys)
    note = next(
        c for c in standin.calls("chat.postMessage") if "Échéance déplacée" in json.dumps(c.args, ensure_ascii=False)
    )
    text = json.dumps(note.args["blocks"], ensure_ascii=False)
    assert note.args["thread_ts"] == "1795000000.000100" and note.args["channel"] == "C0COMMS"
    assert "jeudi 3 décembre 2026" in text and "lundi 7 décembre 2026" in text
    assert "Tempête de verglas" in text and "du mercredi 9 décembre 2026 au jeudi 10 décembre 2026" in text
    assert follow_rules(relais) == []  # applied once


def test_the_lead_time_reason_in_words(relais):
    tr = relais.tr
    text = replan.reason_text(tr, replan.REASON_LEAD, {"old": 5, "new": 7}, "UdeM — Facebook")
    assert text == "le délai de UdeM — Facebook passe de 5 jours ouvrables à 7 jours ouvrables"


def test_a_removed_outlet_stays_on_its_cards_inactive_and_cannot_be_chosen(relais, tmp_path):
    proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-x": date(2026, 12, 10)})
    text = (ROOT / "config" / "outlets.toml").read_text(encoding="utf-8")
    without_x = tmp_path / "outlets.toml"
    without_x.write_text(_without_outlet(text, "udem-x"), encoding="utf-8")
    relais.settings = replace(relais.settings, outlets_file=without_x)
    prepare(relais)
    assert store.placement(relais.db, ids["udem-x"])["status"] == "planned"
    blocks = json.dumps(card_blocks(relais.tr, card_state(relais, proposal_id)), ensure_ascii=False)
    assert "UdeM — X" in blocks and "canal retiré de la configuration" in blocks
    outlets = {o.slug: o for o in active(relais.db)}
    line = parse_line("Zooanimation | 21 décembre | udem-x", relais.clock.today())
    checked = check_line(line, outlets, for_relais(relais), relais.clock.today(), {})
    assert not checked.ok and "udem-x" in json.dumps([p.params for p in checked.problems], default=str)


def _without_outlet(text: str, slug: str) -> str:
    parts = text.split("[[outlet]]")
    return "[[outlet]]".join(p for p in parts if f'slug = "{slug}"' not in p)


def _with_lead(text: str, slug: str, lead: int) -> str:
    parts = text.split("[[outlet]]")
    out = []
    for p in parts:
        if f'slug = "{slug}"' in p:
            p = "\n".join(f"lead_days = {lead}" if line.startswith("lead_days") else line for line in p.split("\n"))
        out.append(p)
    return "[[outlet]]".join(out)


def _calendar_with_storm(tmp_path: Path) -> Path:
    path = tmp_path / "calendar.toml"
    path.write_text(
        (ROOT / "config" / "calendar.toml").read_text(encoding="utf-8")
        + f'\n[[event]]\nname = "{STORM[2]}"\nkind = "closure"\nstart = {STORM[0]}\nend = {STORM[1]}\n',
        encoding="utf-8",
    )
    return path


# -- end to end ---------------------------------------------------------------------------------------
def notes_posted(standin):
    return [
        c for c in standin.calls("chat.postMessage") if "Échéance déplacée" in json.dumps(c.args, ensure_ascii=False)
    ]


def _tick(cli, when, **env):
    result = cli("tick", "--at", when, **env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


@pytest.mark.e2e
def test_a_closure_added_to_the_calendar_file_then_a_restart(relais, cli, standin, tmp_path):
    proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True)
    fb = ids["udem-facebook"]
    _tick(cli, "2026-12-01T09:30")  # the card goes out
    card_ts = wait_until(lambda: store.get(relais.db, proposal_id)["card_ts"])
    assert _tick(cli, "2026-12-01T09:31").count("deadline_moved") == 0
    storm = str(_calendar_with_storm(tmp_path))

    out = _tick(cli, "2026-12-01T09:32", CALENDAR_FILE=storm)  # the restart: prepare, then one pass
    assert out.count("deadline_moved") == 1, out
    assert store.placement(relais.db, fb)["deadline"] == "2026-12-03"
    assert pending_keys(relais.db, fb) == [f"deadline:{fb}:2026-12-03:due", f"deadline:{fb}:2026-12-03:missed"]
    notes = notes_posted(standin)
    assert len(notes) == 1 and notes[0].args["thread_ts"] == card_ts
    assert "Tempête de verglas" in json.dumps(notes[0].args["blocks"], ensure_ascii=False)
    updates = [c for c in standin.calls("chat.update") if c.args.get("ts") == card_ts]
    assert updates and "jeudi 3 décembre 2026" in json.dumps(updates[-1].args["blocks"], ensure_ascii=False)

    posts = len(standin.calls("chat.postMessage"))
    _tick(cli, "2026-12-01T09:33", CALENDAR_FILE=storm)  # a second restart plans nothing more
    assert len(standin.calls("chat.postMessage")) == posts
    assert len(notes_posted(standin)) == 1
    # the new deadline's reminder goes out on the day, once; the old one's never
    out = _tick(cli, "2026-12-03T09:00", CALENDAR_FILE=storm)
    assert f"deadline:{fb}:2026-12-03:due" in out and "2026-12-07" not in out
    assert f"deadline:{fb}:2026-12-03:due" not in _tick(cli, "2026-12-03T09:01", CALENDAR_FILE=storm)


@pytest.mark.e2e
def test_a_restart_of_the_web_process_with_a_new_closure(web_with, relais, standin, tmp_path):
    proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-x": date(2026, 12, 10)}, card=True)
    web = web_with(RELAIS_NOW="2026-12-01T10:00")
    card_ts = wait_until(lambda: store.get(relais.db, proposal_id)["card_ts"], timeout=30)
    web.stop()
    assert notes_posted(standin) == []
    web_with(RELAIS_NOW="2026-12-01T10:05", CALENDAR_FILE=str(_calendar_with_storm(tmp_path)))
    notes = wait_until(lambda: notes_posted(standin), timeout=30)
    assert notes[0].args["thread_ts"] == card_ts
    assert "mardi 8 décembre 2026" in json.dumps(notes[0].args["blocks"], ensure_ascii=False)
    assert store.placement(relais.db, ids["udem-x"])["deadline"] == "2026-12-08"


@pytest.mark.e2e
def test_a_closure_from_an_icalendar_feed_moves_the_deadline(relais, cli, standin):
    _proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True)
    _tick(cli, "2026-12-01T09:30")
    feeds = FeedServer().start()
    try:
        url = feeds.set(
            "/fermetures.ics",
            ics(
                "UID:storm-1\nSUMMARY:Tempête de verglas\nCATEGORIES:Fermeture\nDTSTART;VALUE=DATE:20261209\nDTEND;VALUE=DATE:20261211"
            ),
        )
        result = cli("calendar", "refresh", CALENDAR_ICS_URLS=url, RELAIS_NOW="2026-12-01T09:40")
        assert result.returncode == 0, result.stdout + result.stderr
        assert store.placement(relais.db, ids["udem-facebook"])["deadline"] == "2026-12-03"
        notes = notes_posted(standin)
        assert len(notes) == 1 and "Tempête de verglas" in json.dumps(notes[0].args["blocks"], ensure_ascii=False)
        # the same feed again (conditional GET or not): nothing moves, nothing is said twice
        assert cli("calendar", "refresh", CALENDAR_ICS_URLS=url, RELAIS_NOW="2026-12-01T09:50").returncode == 0
        _tick(cli, "2026-12-01T09:51", CALENDAR_ICS_URLS=url)
        assert len(notes_posted(standin)) == 1
    finally:
        feeds.stop()


@pytest.mark.e2e
def test_an_outlets_new_lead_time_moves_the_deadline_with_its_reason(relais, cli, standin, tmp_path):
    _proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True)
    _tick(cli, "2026-12-01T09:30")
    path = tmp_path / "outlets.toml"
    path.write_text(_with_lead((ROOT / "config" / "outlets.toml").read_text(encoding="utf-8"), "udem-facebook", 7))
    _tick(cli, "2026-12-01T09:31", OUTLETS_FILE=str(path))
    assert store.placement(relais.db, ids["udem-facebook"])["deadline"] == "2026-12-03"
    notes = notes_posted(standin)
    assert len(notes) == 1
    assert "passe de 5 jours ouvrables à 7 jours ouvrables" in json.dumps(notes[0].args["blocks"], ensure_ascii=False)
    _tick(cli, "2026-12-01T09:32", OUTLETS_FILE=str(path))
    assert len(notes_posted(standin)) == 1


@pytest.mark.e2e
def test_a_removed_outlet_cannot_be_chosen_by_propose(web_with, relais, standin, tmp_path):
    proposal_id, _ids = propose(relais, publish_on=DEC_14, outlets={"udem-x": date(2026, 12, 10)}, card=True)
    path = tmp_path / "outlets.toml"
    path.write_text(_without_outlet((ROOT / "config" / "outlets.toml").read_text(encoding="utf-8"), "udem-x"))
    web = web_with(RELAIS_NOW="2026-12-01T10:00", OUTLETS_FILE=str(path))
    card_ts = wait_until(lambda: store.get(relais.db, proposal_id)["card_ts"], timeout=30)
    card = next(c for c in standin.calls("chat.postMessage") if c.result.get("ts") == card_ts)
    assert "canal retiré de la configuration" in json.dumps(card.args["blocks"], ensure_ascii=False)
    response = web.slash("/propose", "Zooanimation | 21 décembre | udem-x")
    assert "canal inconnu : udem-x" in json.dumps(response.json(), ensure_ascii=False)
    assert len(store.open_proposals(relais.db)) == 1
    shown = json.dumps(web.slash("/propose", "outlets").json(), ensure_ascii=False)
    assert "udem-x" not in shown and "udem-facebook" in shown

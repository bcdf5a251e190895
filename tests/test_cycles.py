"""Cyclic contents: at 09:00, days_before ahead of each event they follow, one prompt in the team channel
with a button that opens the /propose modal prefilled; once per cycle per event, across processes."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import outbox as sender
from bot.calendar import cycles, feeds
from bot.calendar.config import sync_file
from bot.clock import parse_instant, to_text
from bot.proposals.outlets import Outlet, active
from bot.proposals.rules import Draft, check, deadline_for, week_of
from bot.proposals.views import propose_modal
from bot.runtime import jobs
from bot.settings import Feed
from bot.workdays import BusinessDays
from storage import calendar, proposals
from storage import outbox as outbox_rows
from tests import slack
from tests.conftest import run_cli
from tests.test_feeds_server import FeedServer, ics

EXTENDED = "horaires-prolonges-pour-les-examens"
ZOO = "zooanimation-des-chiens-pour-decompresser"
MORNINGS = "matinees-de-redaction-cycles-superieurs"
EXAMS_UID_QUERY = "SELECT uid FROM calendar_events WHERE kind = 'exams' AND start = '2026-12-07'"
FALL_EXAMS = "2026-12-07:2026-12-22"  # the period of the fall exams: prompts are keyed on the cycle and its dates


def at(relais, text):
    return parse_instant(text, relais.settings.tz)


def tick(relais, text):
    now = at(relais, text)
    relais.clock.freeze(now)
    return jobs.tick(relais, now)


def prompts(calls):
    """(cycle key, event uid) of each cycle prompt posted, in order."""
    out = []
    for call in calls:
        for block in call.args.get("blocks") or []:
            for element in block.get("elements", []):
                if element.get("action_id") == cycles.ACTION:
                    out.append(tuple(element["value"].split("|")))
    return out


def exams_uid(db):
    return db.execute(EXAMS_UID_QUERY).fetchone()[0]


# -- plain functions, one process ----------------------------------------------------------------
def test_prompt_goes_out_at_0900_days_before_the_event_and_only_once(relais, standin):
    tick(relais, "2026-11-01T09:00")  # Relais starts planning cycles
    uid = exams_uid(relais.db)
    tick(relais, "2026-11-09T08:59")
    assert prompts(standin.calls("chat.postMessage")) == []
    tick(relais, "2026-11-09T09:00")  # 28 days before the exams of 2026-12-07
    assert prompts(standin.calls("chat.postMessage")) == [(ZOO, uid)]
    for later in ("2026-11-09T09:01", "2026-11-10T09:00", "2026-11-15T09:00"):
        tick(relais, later)
    assert prompts(standin.calls("chat.postMessage")) == [(ZOO, uid)]
    tick(relais, "2026-11-16T09:00")  # 21 days before
    posted = [c for c in standin.calls("chat.postMessage") if prompts([c])]
    assert prompts(posted) == [(ZOO, uid), (EXTENDED, uid)]
    message = posted[1].args
    assert message["channel"] == "C0COMMS"
    text = json.dumps(message["blocks"], ensure_ascii=False)
    assert "À reproposer ? *Horaires prolongés pour les examens* —" in text
    assert "*Examens de fin de session (automne 2026)* commence le lundi 7 décembre 2026" in text
    assert "Publication suggérée : lundi 23 novembre 2026" in text
    assert "UdeM — Facebook, UdeM — Instagram (story), Bibliothèques — Facebook" in text
    row = outbox_rows.get(relais.db, f"cycle:{EXTENDED}:{FALL_EXAMS}")
    assert row["status"] == "sent" and row["due_at"] == to_text(at(relais, "2026-11-16T09:00"))


def test_a_prompt_missed_during_downtime_is_sent_while_the_event_is_still_ahead(relais, standin):
    tick(relais, "2026-11-01T09:00")
    tick(relais, "2026-11-20T14:00")  # down from the 1st to the 20th: both prompts are still useful
    assert sorted(k for k, _ in prompts(standin.calls("chat.postMessage"))) == [EXTENDED, ZOO]


def test_a_prompt_whose_event_has_started_is_skipped_after_downtime(relais, standin):
    tick(relais, "2026-11-01T09:00")
    tick(relais, "2026-12-08T09:00")  # the exams started on the 7th
    assert prompts(standin.calls("chat.postMessage")) == []
    for key in (EXTENDED, ZOO):
        assert outbox_rows.get(relais.db, f"cycle:{key}:{FALL_EXAMS}")["status"] == "skipped"


def test_a_first_start_does_not_send_prompts_whose_moment_came_before(relais, standin):
    tick(relais, "2026-11-20T09:00")
    assert prompts(standin.calls("chat.postMessage")) == []
    assert outbox_rows.rows(relais.db, kind=cycles.KIND) == []
    tick(relais, "2026-12-23T09:00")  # the writing mornings, 14 days before the winter term starts
    assert [k for k, _ in prompts(standin.calls("chat.postMessage"))] == ["matinees-de-redaction-cycles-superieurs"]


def test_a_closure_in_between_brings_the_prompt_earlier_and_it_says_why(relais, standin):
    """Issue 15: 14 days before the winter term is 23 December, the last business day before the holiday
    closure; a date before the term then leaves UdeM's accounts no lead time. The prompt comes on the
    18th, suggests the 5th of January, and says why it comes early."""
    tick(relais, "2026-12-01T09:00")
    tick(relais, "2026-12-17T09:00")
    assert prompts(standin.calls("chat.postMessage")) == []
    tick(relais, "2026-12-18T09:00")
    posted = _prompt_calls(standin)
    assert [k for k, _ in prompts(posted)] == [MORNINGS]
    text = json.dumps(posted[0].args["blocks"], ensure_ascii=False)
    assert "*Rentrée d'hiver 2027* commence le mercredi 6 janvier 2027" in text
    assert "Publication suggérée : mardi 5 janvier 2027" in text
    assert "plus tôt que d'habitude : avec *Fermeture des fêtes* (du 24 déc. au 3 janv.)" in text
    row = outbox_rows.get(relais.db, f"cycle:{MORNINGS}:2027-01-06:2027-01-06")
    assert row["due_at"] == to_text(at(relais, "2026-12-18T09:00"))
    tick(relais, "2026-12-23T09:00")  # its usual day: not again
    assert len(_prompt_calls(standin)) == 1


def test_no_prompt_when_the_event_left_the_calendar_before_sending(relais, standin):
    tick(relais, "2026-11-01T09:00")
    now = at(relais, "2026-11-16T09:00")
    relais.clock.freeze(now)
    planned = cycles.plan_prompts(relais, now)
    assert f"cycle:{EXTENDED}:{FALL_EXAMS}" in planned
    with relais.db.atomic():
        relais.db.execute("UPDATE calendar_events SET active = 0 WHERE uid = ?", [exams_uid(relais.db)])
    sender.deliver(relais, now=now)
    assert prompts(standin.calls("chat.postMessage")) == []
    assert {r["status"] for r in outbox_rows.rows(relais.db, kind=cycles.KIND)} == {"skipped"}


def test_no_prompt_when_the_cycle_was_already_proposed_for_this_return(relais, standin):
    tick(relais, "2026-11-01T09:00")
    with relais.db.atomic():
        proposals.create(
            relais.db,
            title="Horaires prolongés",
            publish_on=date(2026, 12, 1),
            owner_id="U0JULIETTE",
            outlets=[("bib-facebook", date(2026, 12, 1))],
            now=to_text(at(relais, "2026-11-10T10:00")),
            category="cyclic",
            cycle_key=EXTENDED,
        )
    tick(relais, "2026-11-16T09:00")
    assert [k for k, _ in prompts(standin.calls("chat.postMessage"))] == [ZOO]


def test_feed_events_and_days_before_zero(relais, standin, tmp_path):
    calendar_file = tmp_path / "calendar.toml"
    calendar_file.write_text(
        """
[[event]]
name = "Journée portes ouvertes"
kind = "other"
start = 2026-11-20

[[cycle]]
title = "Portes ouvertes : visites guidées"
summary = "Visites guidées des bibliothèques <pour> les futurs étudiants & leurs parents."
outlets = ["bib-facebook"]
follows = "other"
days_before = 0

[[cycle]]
title = "Semaine de lecture : espaces ouverts"
outlets = ["udem-x"]
follows = "reading-week"
days_before = 3
""",
        encoding="utf-8",
    )
    server = FeedServer().start()
    try:
        url = server.set(
            "/udem.ics",
            ics("""
            UID:relache-automne@umontreal.ca
            DTSTAMP:20261001T120000Z
            DTSTART;VALUE=DATE:20261123
            DTEND;VALUE=DATE:20261128
            CATEGORIES:Semaine de relâche
            SUMMARY:Semaine de relâche
        """),
        )
        relais.settings = dataclasses.replace(relais.settings, calendar_file=calendar_file, calendar_feeds=(Feed(url),))
        sync_file(relais)
        tick(relais, "2026-11-01T09:00")  # fetches the feed, starts planning cycles
        feed_uid = calendar.source_events(relais.db, url)[0]["uid"]
        tick(relais, "2026-11-17T09:00")
        assert prompts(standin.calls("chat.postMessage")) == []
        # 3 days before the 23rd is Friday the 20th, too late for UdeM X's 2 business days: the 18th
        tick(relais, "2026-11-18T09:00")
        tick(relais, "2026-11-19T09:00")
        tick(relais, "2026-11-20T09:00")  # the prompt of a days_before = 0 cycle goes out on the event's own day
        tick(relais, "2026-11-20T10:00")
    finally:
        server.stop()
    posted = [c for c in standin.calls("chat.postMessage") if prompts([c])]
    assert prompts(posted) == [
        ("semaine-de-lecture-espaces-ouverts", feed_uid),
        ("portes-ouvertes-visites-guidees", calendar.source_events(relais.db, "file")[0]["uid"]),
    ]
    reading = json.dumps(posted[0].args["blocks"], ensure_ascii=False)
    assert "*Semaine de relâche* commence le lundi 23 novembre 2026" in reading
    assert "Publication suggérée : vendredi 20 novembre 2026" in reading
    assert "Ce rappel arrive plus tôt que d'habitude" in reading
    text = json.dumps(posted[1].args["blocks"], ensure_ascii=False)
    assert "&lt;pour&gt; les futurs étudiants &amp; leurs parents" in text
    assert "<pour>" not in text


def test_prefill_suggests_the_first_day_that_works_from_the_ideal_one(relais):
    tick(relais, "2026-11-01T09:00")
    value = f"{EXTENDED}|{exams_uid(relais.db)}"
    relais.clock.freeze(at(relais, "2026-11-16T09:05"))
    initial, metadata = cycles.prefill(relais, value)
    assert initial == {
        "title": "Horaires prolongés pour les examens",
        "summary": "Les bibliothèques prolongent leurs heures d'ouverture (et certaines ouvrent 24 h sur "
        "24) pendant la période d'examens.",
        "category": "cyclic",
        "audiences": [],
        "outlets": ["udem-facebook", "udem-instagram-story", "bib-facebook"],
        "publish_on": date(2026, 11, 23),  # 21 days before is the 16th; UdeM Facebook needs 5 business days
        "cycle": EXTENDED,  # the form's "cyclic content" field
    }
    assert metadata == {"cycle_key": EXTENDED, "event_uid": exams_uid(relais.db)}
    # late: UdeM Facebook can no longer make it before the exams; the others can, on the 4th
    relais.clock.freeze(at(relais, "2026-12-01T09:00"))
    late = cycles.prefill(relais, value)[0]
    assert late["publish_on"] == date(2026, 12, 4) and late["outlets"] == ["udem-instagram-story", "bib-facebook"]
    assert cycles.prefill(relais, f"{EXTENDED}|no-such-event") is None
    assert cycles.prefill(relais, f"no-such-cycle|{exams_uid(relais.db)}") is None


def test_the_writing_mornings_come_back_for_graduate_students(relais, standin):
    tick(relais, "2026-11-20T09:00")
    tick(relais, "2026-12-23T09:00")  # 14 days before the winter term starts
    (key, uid) = prompts(standin.calls("chat.postMessage"))[0]
    initial, metadata = cycles.prefill(relais, f"{key}|{uid}")
    assert initial["audiences"] == ["graduate-students"]
    view = propose_modal(relais, initial=initial, private_metadata=metadata)
    element = next(b["element"] for b in view["blocks"] if b.get("block_id") == "audiences")
    chosen = [(o["value"], o["text"]["text"]) for o in element["initial_options"]]
    assert chosen == [("graduate-students", "Étudiants aux cycles supérieurs")]
    assert "graduate-students" in [o["value"] for o in element["options"]]
    # every outlet the cycle goes to reaches them: no "this outlet does not reach" warning
    reached = {o.slug: o.audiences for o in active(relais.db)}
    assert all("graduate-students" in reached[slug] for slug in initial["outlets"])


# -- processes ------------------------------------------------------------------------------------
pytest_e2e = pytest.mark.e2e


def _prompt_calls(standin):
    return [c for c in standin.calls("chat.postMessage") if prompts([c])]


@pytest_e2e
def test_two_processes_and_restarts_send_each_prompt_once(cli, env, tmp_path, standin):
    assert cli("tick", "--at", "2026-11-01T09:00").returncode == 0
    assert cli("tick", "--at", "2026-11-09T08:59").returncode == 0
    assert _prompt_calls(standin) == []
    results = []

    def run():
        results.append(run_cli(env, tmp_path, "tick", "--at", "2026-11-16T09:00"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    for later in ("2026-11-16T09:01", "2026-11-17T09:00"):
        assert cli("tick", "--at", later).returncode == 0
    keys = [k for k, _ in prompts(_prompt_calls(standin))]
    assert sorted(keys) == [EXTENDED, ZOO]
    printed = "".join(r.stdout for r in results)
    assert printed.count(f"cycle:{EXTENDED}:") == 1  # one of the two processes sent it, the other did not


@pytest_e2e
def test_clicking_the_prompt_opens_the_propose_modal_prefilled(cli, web_with, standin):
    cli("tick", "--at", "2026-11-01T09:00")
    cli("tick", "--at", "2026-11-16T09:00")
    prompt = next(c for c in _prompt_calls(standin) if prompts([c])[0][0] == EXTENDED)
    button = next(
        e for b in prompt.args["blocks"] for e in b.get("elements", []) if e.get("action_id") == cycles.ACTION
    )
    web = web_with(RELAIS_NOW="2026-11-16T09:05")
    response = web.interact(slack.block_actions(cycles.ACTION, button["value"], response_url=standin.response_url()))
    assert response.status_code == 200
    opened = standin.wait_for("views.open")
    assert len(opened) == 1
    view = opened[0].args["view"]
    assert view["callback_id"] == "propose"
    elements = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert elements["title"]["initial_value"] == "Horaires prolongés pour les examens"
    assert elements["publish_on"]["initial_date"] == "2026-11-23"
    assert [o["value"] for o in elements["outlets"]["initial_options"]] == [
        "udem-facebook",
        "udem-instagram-story",
        "bib-facebook",
    ]
    assert elements["category"]["initial_option"]["value"] == "cyclic"
    metadata = json.loads(view["private_metadata"])
    assert metadata["cycle_key"] == EXTENDED
    assert opened[0].args["trigger_id"]


@pytest_e2e
def test_clicking_a_prompt_whose_event_is_gone_says_so(cli, web_with, standin):
    cli("tick", "--at", "2026-11-01T09:00")
    web = web_with(RELAIS_NOW="2026-11-16T09:05")
    response = web.interact(
        slack.block_actions(cycles.ACTION, f"{EXTENDED}|file:gone", response_url=standin.response_url())
    )
    assert response.status_code == 200
    answer = standin.wait_for("response_url")
    assert "ne figure plus au calendrier" in json.dumps(answer[0].args, ensure_ascii=False)
    assert standin.calls("views.open") == []


@pytest_e2e
def test_console_tick_and_click_propose_the_cyclic_content(env, tmp_path):
    """Drives the console like a person: ticks, reads which button is the prompt's, clicks it, fills the form."""
    import queue
    import re
    import subprocess
    import sys

    console_env = {**env, "SLACK_BOT_TOKEN": "", "RELAIS_NOW": "2026-11-16T09:00"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "console"],
        cwd=tmp_path,
        env=console_env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()

    def read_until(marker: str) -> list[str]:
        seen = []
        while True:
            line = lines.get(timeout=60)
            seen.append(line.rstrip("\n"))
            if marker in line:
                return seen

    try:
        proc.stdin.write(":tick 2026-11-01T09:00\n:tick 2026-11-16T09:00\n:help\n")
        proc.stdin.flush()
        shown = read_until(":quit ")
        start = next(
            i for i, line in enumerate(shown) if "À reproposer ? *Horaires prolongés pour les examens* —" in line
        )
        number = next(re.search(r"\[(\d+)\] Proposer", line).group(1) for line in shown[start:] if "Proposer" in line)
        proc.stdin.write(f":click {number}\n" + "\n" * 20 + ":quit\n")  # every field of the form kept as prefilled
        proc.stdin.close()
        rest = []
        while proc.poll() is None or not lines.empty():
            try:
                rest.append(lines.get(timeout=60).rstrip("\n"))
            except queue.Empty:
                break
            if rest[-1].endswith("À bientôt !"):
                break
    finally:
        proc.wait(30)
    out = "\n".join(rest)
    assert "Titre [Horaires prolongés pour les examens]" in out
    assert "[2026-11-23]" in out
    from storage.db import Store

    rows = list(
        Store(tmp_path / "relais.db").db.query("SELECT title, cycle_key, cycle_start, publish_on FROM proposals")
    )
    assert rows == [
        {
            "title": "Horaires prolongés pour les examens",
            "cycle_key": EXTENDED,
            "cycle_start": "2026-12-07",
            "publish_on": "2026-11-23",
        }
    ]
    assert "Contenu cyclique (facultatif)" in out  # the form's field, prefilled with the prompt's cycle
    assert "Proposée : n° 1 — *Horaires prolongés pour les examens*" in out  # the prompt, updated


# -- periods (issue 15, item 4) --------------------------------------------------------------------
def _row(uid, start, end, name="Examens", source="https://x/a.ics"):
    return {"uid": uid, "start": start, "end": end, "name": name, "source": source}


def test_events_that_touch_overlap_or_are_a_weekend_apart_form_one_period():
    daily = [_row(f"d{n}", f"2027-04-{19 + n}", f"2027-04-{19 + n}") for n in range(5)]  # Mon..Fri, one per day
    after_weekend = _row("next", "2027-04-26", "2027-04-30")  # the Monday after
    file_copy = _row("file:x", "2027-04-19", "2027-04-30", name="Examens (hiver 2027)", source="file")
    far = _row("far", "2027-05-05", "2027-05-05")  # a Wednesday after a Friday: a weekday in between
    (period, other) = cycles.periods([*daily, after_weekend, file_copy, far])
    assert (period.start, period.end, period.name, period.uid) == (
        date(2027, 4, 19),
        date(2027, 4, 30),
        "Examens (hiver 2027)",  # the calendar file names it
        "file:x",
    )
    assert (other.start, other.end) == (date(2027, 5, 5), date(2027, 5, 5))
    assert len(cycles.periods(daily)) == 1
    assert len(cycles.periods([_row("a", "2027-04-19", "2027-04-19"), _row("b", "2027-04-21", "2027-04-21")])) == 2


DAILY_EXAMS = """
UID:{uid}
DTSTART;VALUE=DATE:20270419
RRULE:FREQ=DAILY;COUNT=5
CATEGORIES:Examens
SUMMARY:Examens finaux
"""


def test_one_prompt_per_cycle_per_period_whatever_the_sources_and_their_uids(relais, standin):
    server = FeedServer().start()
    try:
        url = server.set("/exams.ics", ics(DAILY_EXAMS.format(uid="build-1@gen")))
        relais.settings = dataclasses.replace(relais.settings, calendar_feeds=(Feed(url),))
        tick(relais, "2027-03-01T09:00")  # planning starts; the feed is read (5 exam days, and the file's period)
        tick(relais, "2027-03-22T09:00")  # 28 days before 19 April
        server.set("/exams.ics", ics(DAILY_EXAMS.format(uid="build-2@gen")))  # the generator's new UIDs
        feeds.refresh(relais, at(relais, "2027-03-25T09:00"))
        tick(relais, "2027-03-29T09:00")  # 21 days before
        tick(relais, "2027-03-30T09:00")
    finally:
        server.stop()
    sent = [k for k, _ in prompts(standin.calls("chat.postMessage"))]
    assert sorted(sent) == [EXTENDED, ZOO]  # 5 feed days + the file's period: one prompt per cycle
    keys = {r["key"] for r in outbox_rows.rows(relais.db, kind=cycles.KIND)}
    assert f"cycle:{EXTENDED}:2027-04-19:2027-04-30" in keys


# -- the suggestion that works (issue 15, item 5): pure --------------------------------------------
HOLIDAYS = BusinessDays(closures=[(date(2026, 12, 24), date(2027, 1, 3))], holidays=("easter-monday",))
RULES = {
    "udem-facebook": cycles.OutletRule("udem-facebook", "UdeM — Facebook", "university", 5, 1),
    "udem-linkedin": cycles.OutletRule("udem-linkedin", "UdeM — LinkedIn", "university", 5, 1),
    "udem-nouvelles": cycles.OutletRule("udem-nouvelles", "UdeM — Nouvelles", "university", 10, 1),
    "udem-instagram-story": cycles.OutletRule("udem-instagram-story", "UdeM — story", "university", 3, 2),
    "bib-facebook": cycles.OutletRule("bib-facebook", "Bibliothèques — Facebook", "library", 0, None),
}


def test_the_suggestion_is_the_first_day_from_the_ideal_one_whose_deadlines_are_ahead():
    extended = cycles.Return(EXTENDED, ("udem-facebook", "udem-instagram-story", "bib-facebook"), 21, date(2026, 12, 7))
    plan = cycles.suggest(extended, RULES, HOLIDAYS, {})
    # prompted on its usual day, 21 days before; UdeM Facebook needs 5 business days: the deadline is that day
    assert plan == cycles.Suggestion(date(2026, 11, 16), date(2026, 11, 23), extended.outlets)


def test_a_closure_in_between_brings_the_prompt_earlier():
    """The issue's case: prompted on 23 December, 14 days before the winter term, the writing mornings
    could go out on UdeM's accounts only on 8 January, after the term started. The prompt comes on the
    last business day from which a date before the term works, and says it comes early."""
    mornings = cycles.Return("matinees", ("udem-linkedin", "udem-facebook", "bib-facebook"), 14, date(2027, 1, 6))
    late = cycles.suggest_on(mornings, RULES, date(2026, 12, 23), HOLIDAYS, {})
    assert late.blocked == ("udem-linkedin", "udem-facebook") and late.outlets == ("bib-facebook",)
    plan = cycles.suggest(mornings, RULES, HOLIDAYS, {})
    assert plan == cycles.Suggestion(date(2026, 12, 18), date(2027, 1, 5), mornings.outlets, (), earlier=True)
    assert deadline_for(date(2027, 1, 5), 5, HOLIDAYS) == date(2026, 12, 18)  # not refused on the prompt's day


def test_a_lead_time_longer_than_days_before_brings_the_prompt_earlier_too():
    news = cycles.Return("news", ("udem-nouvelles", "bib-facebook"), 7, date(2026, 12, 7))
    plan = cycles.suggest(news, RULES, HOLIDAYS, {})  # 10 business days of lead, a week before the event
    assert plan == cycles.Suggestion(date(2026, 11, 20), date(2026, 12, 4), news.outlets, (), earlier=True)


def test_two_cycles_clashing_on_a_weekly_quota_take_the_next_week_with_room():
    zoo = cycles.Return(ZOO, ("udem-facebook", "bib-facebook"), 21, date(2026, 12, 7), order=1)
    extended = cycles.Return(EXTENDED, ("udem-facebook", "udem-instagram-story"), 21, date(2026, 12, 7), order=0)
    plans = cycles.suggest_all([zoo, extended], RULES, HOLIDAYS, {})
    assert plans[extended].publish_on == date(2026, 11, 23)  # first in the file
    assert plans[zoo].publish_on == date(2026, 11, 30)  # UdeM Facebook takes one a week
    assert cycles.suggest_for(zoo, [zoo, extended], RULES, HOLIDAYS, {}) == plans[zoo]
    # once the first is proposed its placement is what holds the week, not its suggestion
    taken = {("udem-facebook", date(2026, 11, 23)): 1}
    assert cycles.suggest_all([zoo, extended], RULES, HOLIDAYS, taken, proposed=[extended])[zoo] == plans[zoo]


def test_when_no_date_works_the_outlets_that_cannot_make_it_are_named():
    full = {("udem-nouvelles", date(2026, 11, 30)): 1}  # the only week before the event is taken
    news = cycles.Return("news", ("udem-nouvelles", "bib-facebook"), 7, date(2026, 12, 7))
    plan = cycles.suggest(news, RULES, HOLIDAYS, full)
    assert plan == cycles.Suggestion(date(2026, 11, 30), date(2026, 11, 30), ("bib-facebook",), ("udem-nouvelles",))
    alone = cycles.Return("news", ("udem-nouvelles",), 7, date(2026, 12, 7))
    assert cycles.suggest(alone, RULES, HOLIDAYS, full) == cycles.Suggestion(
        date(2026, 11, 30), None, (), ("udem-nouvelles",)
    )


def test_a_late_form_gets_the_suggestion_as_it_stands_that_day():
    extended = cycles.Return(EXTENDED, ("udem-facebook", "bib-facebook"), 21, date(2026, 12, 7))
    plan = cycles.suggest_for(extended, [extended], RULES, HOLIDAYS, {}, today=date(2026, 11, 25))
    assert plan.prompt_on == date(2026, 11, 25) and plan.publish_on == date(2026, 12, 2)


OUTLET_RULES = st.builds(
    cycles.OutletRule,
    slug=st.sampled_from(["a", "b", "c", "d"]),
    name=st.just("x"),
    owner=st.sampled_from(["university", "library"]),
    lead_days=st.integers(0, 12),
    per_week=st.one_of(st.none(), st.integers(1, 2)),
)


@settings(max_examples=150, deadline=None)
@given(
    rules=st.lists(OUTLET_RULES, min_size=1, max_size=4, unique_by=lambda r: r.slug),
    start=st.dates(date(2026, 9, 1), date(2027, 12, 31)),
    days_before=st.integers(0, 35),
    closure=st.tuples(st.dates(date(2026, 9, 1), date(2027, 12, 31)), st.integers(0, 14)),
    full=st.lists(st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(-6, 0)), max_size=4),
)
def test_the_suggested_date_submitted_on_the_prompt_day_is_never_refused(rules, start, days_before, closure, full):
    days = BusinessDays(closures=[(closure[0], closure[0] + timedelta(days=closure[1]))], holidays=("easter-monday",))
    by_slug = {r.slug: r for r in rules}
    ret = cycles.Return("c", tuple(by_slug), days_before, start)
    taken = {(slug, week_of(start) + timedelta(weeks=w)): 2 for slug, w in full}
    plan = cycles.suggest(ret, by_slug, days, taken)
    assert days.is_business_day(plan.prompt_on)
    assert plan.prompt_on <= cycles.usual_prompt_day(ret, days)
    assert set(plan.outlets) | set(plan.blocked) == set(by_slug) and not set(plan.outlets) & set(plan.blocked)
    if plan.publish_on is None:
        return
    assert ret.ideal <= plan.publish_on <= ret.latest
    outlets = {r.slug: Outlet(r.slug, r.name, r.owner, "facebook", r.lead_days, r.per_week, (), ()) for r in rules}
    draft = Draft(title="Cyclique", publish_on=plan.publish_on, outlets=plan.outlets, category="cyclic")
    checked = check(draft, outlets, days, plan.prompt_on)
    assert checked.ok, checked.problems
    for slug in plan.outlets:  # and room in each limited outlet's week
        limit = by_slug[slug].per_week
        assert limit is None or taken.get((slug, week_of(plan.publish_on)), 0) < limit


# -- a proposal linked to its cycle (issue 15, item 6) ----------------------------------------------
def _submitted_as_prefilled(view: dict, **changes) -> dict:
    """The state.values of a form submitted as it was opened (its initial values), with `changes`."""
    state = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        kind = element["type"]
        if kind == "datepicker":
            value = {"type": kind, "selected_date": element.get("initial_date")}
        elif kind == "static_select":
            value = {"type": kind, "selected_option": element.get("initial_option")}
        elif kind == "multi_static_select":
            value = {"type": kind, "selected_options": element.get("initial_options", [])}
        elif kind == "users_select":
            value = {"type": kind, "selected_user": element.get("initial_user")}
        else:
            value = {"type": kind, "value": element.get("initial_value")}
        state[block["block_id"]] = {element.get("action_id", "value"): value}
    for block_id, value in changes.items():
        state[block_id] = {"value": value}
    return state


def _query(web, sql):
    conn = sqlite3.connect(web.env["DATABASE_PATH"])
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def _button_of(call) -> dict:
    return next(e for b in call.args["blocks"] for e in b.get("elements", []) if e.get("action_id") == cycles.ACTION)


@pytest_e2e
def test_a_proposal_made_from_the_prompt_turns_its_button_into_its_number(cli, web_with, standin):
    cli("tick", "--at", "2026-11-01T09:00")
    cli("tick", "--at", "2026-11-16T09:00")
    prompt = next(c for c in _prompt_calls(standin) if prompts([c])[0][0] == EXTENDED)
    value = _button_of(prompt)["value"]
    web = web_with(RELAIS_NOW="2026-11-16T09:05")
    web.interact(slack.block_actions(cycles.ACTION, value, response_url=standin.response_url()))
    opened = standin.wait_for("views.open")[-1]
    view = opened.result["view"]
    cycle_field = next(b for b in view["blocks"] if b["block_id"] == "cycle")
    assert cycle_field["optional"] and cycle_field["element"]["initial_option"]["value"] == EXTENDED
    assert cycle_field["label"]["text"] == "Contenu cyclique"
    # submitted on the prompt's day as prefilled: not refused (the suggested date works)
    response = web.interact(slack.view_submission(view, _submitted_as_prefilled(view)))
    assert response.status_code == 200 and response.text == ""
    rows = _query(web, "SELECT id, cycle_key, cycle_start, cycle_end, publish_on FROM proposals")
    assert rows == [
        {
            "id": 1,
            "cycle_key": EXTENDED,
            "cycle_start": "2026-12-07",
            "cycle_end": "2026-12-22",
            "publish_on": "2026-11-23",
        }
    ]
    # the prompt is updated in place: no button any more, the proposal's number instead
    updates = [c for c in standin.wait_for("chat.update", timeout=20) if c.args.get("ts") == prompt.result["ts"]]
    assert len(updates) == 1 and updates[0].args["channel"] == "C0COMMS"
    assert prompts(updates) == []
    text = json.dumps(updates[0].args["blocks"], ensure_ascii=False)
    assert "Proposée : n° 1 — *Horaires prolongés pour les examens*, publication le lundi 23 novembre 2026" in text
    assert "<@U0JULIETTE>" in text
    # an old copy of the button (pressed before the update reached someone): no second form
    web.interact(slack.block_actions(cycles.ACTION, value, response_url=standin.response_url()))
    answer = standin.wait_for("response_url")[-1]
    said = json.dumps(answer.args, ensure_ascii=False)
    assert "déjà proposé pour cette session : n° 1" in said and answer.args.get("response_type") == "ephemeral"
    assert len(standin.calls("views.open")) == 1


@pytest_e2e
def test_a_hand_made_proposal_linked_to_its_cycle_counts_and_its_prompt_is_not_sent(cli, env, web_with, standin):
    cli("tick", "--at", "2026-11-01T09:00")
    web = web_with(RELAIS_NOW="2026-11-02T10:00")
    web.slash("/propose", "", trigger_id="13345224609.738474920.propose")
    view = standin.wait_for("views.open")[-1].result["view"]
    field = next(b for b in view["blocks"] if b["block_id"] == "cycle")
    options = field["element"]["options"]
    assert field["element"]["initial_option"]["value"] == "none"
    assert [o["value"] for o in options] == ["none", EXTENDED, ZOO, MORNINGS]
    zoo = next(o for o in options if o["value"] == ZOO)
    state = _submitted_as_prefilled(
        view,
        title={"type": "plain_text_input", "value": "Zoothérapie : les chiens reviennent"},
        publish_on={"type": "datepicker", "selected_date": "2026-11-26"},
        outlets={"type": "multi_static_select", "selected_options": [{"text": {}, "value": "bib-instagram"}]},
        cycle={"type": "static_select", "selected_option": zoo},
    )
    assert web.interact(slack.view_submission(view, state)).text == ""
    row = _query(web, "SELECT cycle_key, cycle_start, cycle_end FROM proposals")[0]
    assert row == {"cycle_key": ZOO, "cycle_start": "2026-12-07", "cycle_end": "2026-12-22"}
    # the weekly digest counts it for the fall exams, and the zoo's prompt is not sent
    digest = cli(
        "digest",
        "--at",
        "2026-11-09T09:00",
        "--dry-run",
        "--chart",
        str(Path(env["DATABASE_PATH"]).parent / "chart.png"),
    )
    assert "Zooanimation : des chiens pour décompresser — Examens de fin de session (automne 2026)" in digest.stdout
    assert "nouvelle proposition faite (n° 1)" in digest.stdout
    cli("tick", "--at", "2026-11-09T09:00")
    cli("tick", "--at", "2026-11-16T09:00")
    assert [k for k, _ in prompts(_prompt_calls(standin))] == [EXTENDED]
    assert _query(web, f"SELECT status FROM outbox WHERE key = 'cycle:{ZOO}:{FALL_EXAMS}'") == [{"status": "skipped"}]

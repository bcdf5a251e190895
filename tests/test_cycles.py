"""Cyclic contents: at 09:00, days_before ahead of each event they follow, one prompt in the team channel
with a button that opens the /propose modal prefilled; once per cycle per event, across processes."""

from __future__ import annotations

import dataclasses
import json
import threading
from datetime import date

import pytest

from bot import outbox as sender
from bot.calendar import cycles, feeds
from bot.calendar.config import sync_file
from bot.clock import parse_instant, to_text
from bot.proposals.outlets import active
from bot.proposals.views import propose_modal
from bot.runtime import jobs
from bot.settings import Feed
from storage import calendar, proposals
from storage import outbox as outbox_rows
from tests import slack
from tests.conftest import run_cli
from tests.test_feeds_server import FeedServer, ics

EXTENDED = "horaires-prolonges-pour-les-examens"
ZOO = "zooanimation-des-chiens-pour-decompresser"
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
    assert "Publication suggérée : lundi 30 novembre 2026" in text
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
        tick(relais, "2026-11-19T09:00")
        assert prompts(standin.calls("chat.postMessage")) == []
        tick(relais, "2026-11-20T09:00")  # the prompt of a days_before = 0 cycle goes out on the event's own day
        tick(relais, "2026-11-20T10:00")
    finally:
        server.stop()
    posted = [c for c in standin.calls("chat.postMessage") if prompts([c])]
    assert prompts(posted) == [
        ("portes-ouvertes-visites-guidees", calendar.source_events(relais.db, "file")[0]["uid"]),
        ("semaine-de-lecture-espaces-ouverts", feed_uid),
    ]
    assert "*Semaine de relâche* commence le lundi 23 novembre 2026" in json.dumps(
        posted[1].args["blocks"], ensure_ascii=False
    )
    text = json.dumps(posted[0].args["blocks"], ensure_ascii=False)
    assert "&lt;pour&gt; les futurs étudiants &amp; leurs parents" in text
    assert "<pour>" not in text


def test_prefill_suggests_a_week_before_unless_lead_times_forbid(relais):
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
        "publish_on": date(2026, 11, 30),
    }
    assert metadata == {"cycle_key": EXTENDED, "event_uid": exams_uid(relais.db)}
    relais.clock.freeze(at(relais, "2026-12-01T09:00"))  # late: UdeM Facebook needs 5 business days (+1 of margin)
    assert cycles.prefill(relais, value)[0]["publish_on"] == date(2026, 12, 9)
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
    assert elements["publish_on"]["initial_date"] == "2026-11-30"
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
    assert "[2026-11-30]" in out
    from storage.db import Store

    rows = list(Store(tmp_path / "relais.db").db.query("SELECT title, cycle_key, publish_on FROM proposals"))
    assert rows == [{"title": "Horaires prolongés pour les examens", "cycle_key": EXTENDED, "publish_on": "2026-11-30"}]


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

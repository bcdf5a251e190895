"""Reminders end to end: `python -m bot tick --at` as cron runs it, two processes at once, a process
killed mid-post, a week of downtime, clock changes, the Procfile's web process (its scheduler's
catch-up tick and the reminder's buttons, signed as Slack signs them), the console, and a real
`/propose` all the way to a reminder in its card's thread.

Test data is created on the processes' own SQLite file with the `relais` fixture (same DATABASE_PATH).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from datetime import date

import pytest

from storage import outbox as rows
from storage import proposals as store
from tests import slack
from tests.conftest import wait_until
from tests.test_reminders import publish_now
from tests.test_reminders_support import (
    OWNER,
    buttons,
    keys_by_status,
    mine,
    placement_of,
    propose,
    reminder_posts,
    sent_lines,
)

pytestmark = pytest.mark.e2e

DEC_14 = date(2026, 12, 14)


def card_post(standin, relais, proposal_id: int):
    """The card's chat.postMessage (other features may post in the channel too)."""
    ts = wait_until(lambda: store.get(relais.db, proposal_id)["card_ts"], timeout=20)
    return next(c for c in standin.calls("chat.postMessage") if c.result.get("ts") == ts)


def ticked(cli, when: str, **env) -> list[tuple[str, str, str]]:
    result = cli("tick", "--at", when, **env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return sent_lines(result.stdout)


def keys(lines) -> list[str]:
    return [key for _kind, key, _channel in lines]


# -- tick --at ------------------------------------------------------------------------------------
def test_tick_at_each_planned_moment_sends_exactly_what_is_due(relais, cli, standin):
    _, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7), "udem-x": date(2026, 12, 10)}
    )
    fb, x = ids["udem-facebook"], ids["udem-x"]
    library = publish_now(relais, slug="bib-facebook", published_on=date(2026, 12, 1))
    expected = {  # moment (local) -> what goes out then, in that order (at one moment, as planned)
        "2026-12-03T09:00": [f"deadline:{fb}:2026-12-07:heads_up", f"stats:{OWNER}:2026-12-03"],
        "2026-12-07T09:00": [f"deadline:{fb}:2026-12-07:due"],
        "2026-12-08T09:00": [
            f"deadline:{fb}:2026-12-07:missed",
            f"deadline:{x}:2026-12-10:heads_up",
            f"stats:{OWNER}:2026-12-08",
        ],
        "2026-12-10T09:00": [f"deadline:{x}:2026-12-10:due"],
        "2026-12-11T09:00": [f"deadline:{x}:2026-12-10:missed"],
        "2027-01-04T09:00": [f"stats:{OWNER}:2027-01-04"],  # day 30 (31 Dec) is in the holiday closure
    }
    planned = {r["due_at"] for r in mine(relais.db) if r["status"] == "pending"}
    assert len(planned) == len(expected)  # every planned moment is visited below
    for moment, due in expected.items():
        minute_before = moment.replace("T09:00", "T08:59")
        assert ticked(cli, minute_before) == [], minute_before
        lines = ticked(cli, moment)
        assert keys(lines) == due, moment
        assert all(channel == ("D0JULIETTE" if kind == "stats" else "C0COMMS") for kind, _k, channel in lines)
        assert ticked(cli, moment) == [], f"{moment}, second tick"
    assert set(keys_by_status(relais.db)) == {"sent"}  # no deadline reminder is ever planned for a library outlet
    posts = reminder_posts(standin)
    assert len(posts) == sum(len(v) for v in expected.values())
    assert [[b["value"] for b in buttons(p)] for p in posts if p.args["channel"] == "D0JULIETTE"] == [
        [str(library)]
    ] * 3


def test_tick_at_with_an_offset_and_a_bad_value(relais, cli):
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    assert ticked(cli, "2026-12-03T13:59:00Z") == []
    assert keys(ticked(cli, "2026-12-03T09:00:00-05:00")) == [f"deadline:{ids['udem-facebook']}:2026-12-07:heads_up"]
    bad = cli("tick", "--at", "jeudi matin")
    assert bad.returncode == 2
    assert (
        bad.stderr.strip()
        == "--at : attend une date et une heure ISO 8601, par exemple 2026-12-01T09:00 (reçu « jeudi matin »)"
    )


def test_two_processes_ticking_at_once_send_each_row_once(relais, env, tmp_path, standin):
    for i in range(3):
        propose(
            relais,
            publish_on=DEC_14,
            title=f"Contenu {i}",
            outlets={"udem-facebook": date(2026, 12, 7), "udem-instagram": date(2026, 12, 7)},
        )
    standin.delay = 0.2
    command = [sys.executable, "-m", "bot", "tick", "--at", "2026-12-03T09:00"]
    processes = [
        subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert all(p.returncode == 0 for p in processes), [o[1] for o in outputs]
    sent = [key for out, _err in outputs for key in keys(sent_lines(out))]
    assert len(sent) == 6 and len(set(sent)) == 6
    posts = reminder_posts(standin)
    assert sorted(placement_of(p) for p in posts) == sorted({r["placement_id"] for r in mine(relais.db)})
    assert set(keys_by_status(relais.db)["sent"]) == set(sent)


def test_a_tick_killed_mid_post_loses_nothing_and_repeats_at_most_that_message(relais, env, tmp_path, standin, cli):
    for i in range(4):
        propose(relais, publish_on=DEC_14, title=f"Contenu {i}", outlets={"udem-facebook": date(2026, 12, 7)})
    standin.delay = 1.0  # each post takes a second: catch one in flight
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "tick", "--at", "2026-12-03T09:00"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: len(reminder_posts(standin)) >= 1, timeout=30)
    time.sleep(0.4)  # the second post is on its way (the stand-in answers it in ~0.6 s)
    process.kill()
    process.wait(10)
    process.stdout.close()
    process.stderr.close()
    standin.delay = 0.0
    due = lambda: {r["key"]: r for r in mine(relais.db) if r["due_at"] <= "2026-12-03T14:00:00Z"}  # noqa: E731
    before = {key: r["status"] for key, r in due().items()}
    assert len(before) == 4
    assert "sent" in before.values() and set(before.values()) - {"sent"}, before  # killed in the middle

    lines = ticked(cli, "2026-12-03T09:00")
    time.sleep(1.2)  # the killed process's last request reaches the stand-in's log
    assert {r["status"] for r in due().values()} == {"sent"}  # nothing lost
    assert set(keys(lines)) == {k for k, s in before.items() if s != "sent"}
    posted = [placement_of(p) for p in reminder_posts(standin)]
    assert set(posted) == {r["placement_id"] for r in due().values()}
    assert len(posted) - len(set(posted)) <= 1  # at most the message in flight, once more
    assert ticked(cli, "2026-12-03T09:00") == []


def test_a_week_of_downtime_is_caught_up_at_the_first_tick_oldest_first(relais, cli, standin):
    _, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7), "udem-x": date(2026, 12, 10)}
    )
    fb, x = ids["udem-facebook"], ids["udem-x"]
    library = publish_now(relais, slug="bib-facebook", published_on=date(2026, 12, 1))
    # Down from Tuesday 1st to Wednesday 9th at 10:00.
    lines = ticked(cli, "2026-12-09T10:00")
    assert keys(lines) == [
        f"stats:{OWNER}:2026-12-03",
        f"deadline:{fb}:2026-12-07:missed",
        f"deadline:{x}:2026-12-10:heads_up",
    ]
    assert ticked(cli, "2026-12-09T10:01") == []
    stats, missed, heads_up = reminder_posts(standin)
    assert [b["value"] for b in buttons(stats)] == [str(library)]
    assert "7 jours après" in json.dumps(stats.args["blocks"], ensure_ascii=False)
    assert "était le lundi 7 décembre 2026" in missed.args["blocks"][0]["text"]["text"]
    assert "dans 1 jour ouvrable" in heads_up.args["blocks"][0]["text"]["text"]
    skipped = {r["key"] for r in mine(relais.db) if r["status"] == "skipped"}
    assert skipped == {
        f"deadline:{fb}:2026-12-07:heads_up",
        f"deadline:{fb}:2026-12-07:due",
        f"stats:{OWNER}:2026-12-08",
    }


def test_clock_changes_by_tick(relais, cli):
    # Spring forward (Sunday 14 March 2027): heads-up Friday 12 at 09:00 EST, deadline day Tuesday 16 at 09:00 EDT.
    _, ids = propose(relais, publish_on=date(2027, 3, 18), outlets={"udem-x": date(2027, 3, 16)})
    x = ids["udem-x"]
    assert ticked(cli, "2027-03-12T08:59") == []
    assert keys(ticked(cli, "2027-03-12T09:00")) == [f"deadline:{x}:2027-03-16:heads_up"]
    assert ticked(cli, "2027-03-16T12:59:00Z") == []
    assert keys(ticked(cli, "2027-03-16T13:00:00Z")) == [f"deadline:{x}:2027-03-16:due"]
    assert ticked(cli, "2027-03-16T14:00:00Z") == []
    # Fall back (Sunday 1 November 2026): the day-2 checkpoint is that Sunday; its message waits for
    # Monday 2 November, 09:00 EST.
    relais.clock.freeze(relais.clock.now().replace(year=2026, month=10, day=30))
    publish_now(relais, slug="bib-facebook", published_on=date(2026, 10, 30), when="2026-10-30T12:00")
    assert ticked(cli, "2026-11-01T09:00") == []  # Sunday
    assert ticked(cli, "2026-11-02T13:00:00Z") == []  # 08:00 EST (09:00 on the summer offset)
    assert keys(ticked(cli, "2026-11-02T09:00")) == [f"stats:{OWNER}:2026-11-02"]
    assert ticked(cli, "2026-11-02T15:00:00Z") == []


# -- the web process: its scheduler and the reminder's buttons ---------------------------------------
def test_web_process_catches_up_at_start_and_the_buttons_work(relais, web_with, standin):
    proposal_id, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True)
    fb = ids["udem-facebook"]
    web = web_with(RELAIS_NOW="2026-12-03T09:00:30", COMMS_TEAM=f"{OWNER},U0COMMS")
    posts = wait_until(lambda: len(reminder_posts(standin)) >= 1 and reminder_posts(standin), timeout=20)
    card = card_post(standin, relais, proposal_id)
    reminder = posts[0]
    assert reminder.args["thread_ts"] == card.result["ts"] == store.get(relais.db, proposal_id)["card_ts"]
    assert f"<@{OWNER}>" in reminder.args["blocks"][0]["text"]["text"]
    message = {
        "type": "message",
        "ts": reminder.result["ts"],
        "text": reminder.args["text"],
        "blocks": reminder.args["blocks"],
        "thread_ts": card.result["ts"],
    }

    def click(action_id, user):
        payload = slack.block_actions(
            action_id,
            str(fb),
            user=user,
            channel=card.result["channel"],
            message_ts=reminder.result["ts"],
            message=message,
            response_url=standin.response_url(),
        )
        assert web.interact(payload).status_code == 200

    # Someone outside the team may not mark it submitted: told privately, nothing changes.
    click("reminder_submitted", "U0STRANGER")
    refusal = standin.wait_for("response_url", 1)[0]
    team = "Adressez-vous à l'équipe des communications : <@U0JULIETTE>, <@U0COMMS>."  # who can, mentioned
    assert team in json.dumps(refusal.args, ensure_ascii=False)
    assert store.placement(relais.db, fb)["status"] == "planned"
    click("reminder_snooze", "U0STRANGER")
    refusal = standin.wait_for("response_url", 2)[1]
    assert "Seules la personne qui a proposé" in json.dumps(refusal.args, ensure_ascii=False)
    assert team in json.dumps(refusal.args, ensure_ascii=False)
    assert rows.get(relais.db, f"deadline:{fb}:2026-12-07:snoozed:2026-12-04") is None

    click("reminder_snooze", OWNER)
    update = wait_until(lambda: [c for c in standin.calls("chat.update") if c.args.get("ts") == reminder.result["ts"]])
    assert "Reporté par <@U0JULIETTE> : prochain rappel le vendredi 4 décembre 2026" in json.dumps(
        update[-1].args["blocks"], ensure_ascii=False
    )
    assert not [b for b in update[-1].args["blocks"] if b["type"] == "actions"]
    assert rows.get(relais.db, f"deadline:{fb}:2026-12-07:snoozed:2026-12-04")["status"] == "pending"

    click("reminder_submitted", "U0COMMS")
    wait_until(lambda: store.placement(relais.db, fb)["status"] == "submitted")
    done = wait_until(
        lambda: [
            c
            for c in standin.calls("chat.update")
            if c.args.get("ts") == reminder.result["ts"]
            and "Marqué comme soumis par <@U0COMMS>" in json.dumps(c.args["blocks"], ensure_ascii=False)
        ]
    )
    assert done
    assert {r["key"]: r["status"] for r in mine(relais.db)} == {
        f"deadline:{fb}:2026-12-07:heads_up": "sent",
        f"deadline:{fb}:2026-12-07:due": "cancelled",
        f"deadline:{fb}:2026-12-07:missed": "cancelled",
        f"deadline:{fb}:2026-12-07:snoozed:2026-12-04": "cancelled",
    }
    card_updates = wait_until(
        lambda: [c for c in standin.calls("chat.update") if c.args.get("ts") == card.result["ts"]]
    )
    assert card_updates  # the card shows the new status (the /propose surface's update)


def test_web_process_sends_the_stats_message_and_its_button_opens_the_stats_form(relais, web_with, standin):
    placement = publish_now(relais, slug="bib-facebook", published_on=date(2026, 12, 1))
    web = web_with(RELAIS_NOW="2026-12-03T09:00:30")
    (dm,) = wait_until(lambda: reminder_posts(standin), timeout=20)
    assert [c.args["users"] for c in standin.calls("conversations.open")] == [OWNER]
    assert dm.args["channel"] == "D0JULIETTE"
    (button,) = buttons(dm)
    assert (button["action_id"], button["value"]) == ("stats_open", str(placement))
    payload = slack.block_actions(
        "stats_open",
        button["value"],
        user=OWNER,
        channel="D0JULIETTE",
        message_ts=dm.result["ts"],
        response_url=standin.response_url(),
        message={"type": "message", "ts": dm.result["ts"], "blocks": dm.args["blocks"]},
    )
    assert web.interact(payload).status_code == 200
    (opened,) = standin.wait_for("views.open", 1, timeout=10)
    assert "Heures prolongées" in json.dumps(opened.args["view"], ensure_ascii=False)


def test_full_propose_to_a_reminder_in_the_cards_thread(web_with, standin, cli, relais):
    web = web_with(RELAIS_NOW="2026-12-01T09:00")
    answer = web.slash("/propose", "Zooanimation aux examens | 2026-12-14 | udem-facebook", user=OWNER)
    assert answer.status_code == 200 and answer.json()["response_type"] == "ephemeral"
    (proposal,) = wait_until(lambda: store.open_proposals(relais.db))
    card = card_post(standin, relais, proposal["id"])
    assert card.result["ok"] and card.args["channel"] == "C0COMMS"
    assert ticked(cli, "2026-12-03T08:59") == []
    (line,) = ticked(cli, "2026-12-03T09:00")
    (reminder,) = reminder_posts(standin)
    assert reminder.args["channel"] == card.result["channel"]
    assert reminder.args["thread_ts"] == card.result["ts"]
    assert f"<@{OWNER}>" in reminder.args["blocks"][0]["text"]["text"]
    assert "Zooanimation aux examens" in reminder.args["blocks"][0]["text"]["text"]
    assert line[0] == "deadline"


# -- the console ----------------------------------------------------------------------------------
class Console:
    """`python -m bot console` driven line by line, reading what it prints as it goes."""

    def __init__(self, env, cwd, **extra):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "console"],
            cwd=cwd,
            env={**env, "SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", **extra},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def until(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            self.seen.append(line)
            if text in line:
                return line
        pytest.fail(f"console never printed {text!r}:\n" + "\n".join(self.seen))

    def close(self) -> None:
        try:
            self.send(":quit")
            self.proc.wait(10)
        except (BrokenPipeError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait(5)


def test_console_tick_shows_the_reminder_in_the_thread_and_its_buttons_work(relais, env, tmp_path):
    _, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True, owner="U_CONSOLE"
    )
    console = Console(env, tmp_path, RELAIS_NOW="2026-12-03T09:00:30")
    try:
        console.until("Relais")
        console.send(":tick 2026-12-03T09:00")
        console.until("↳ dans le fil")
        console.until("Zooanimation aux examens* est à soumettre à *UdeM — Facebook* au plus tard le lundi 7 décembre")
        line = console.until("Me le rappeler le prochain jour ouvrable")
        number = line.split("Me le rappeler")[0].rsplit("[", 1)[1].split("]")[0]
        console.send(f":click {number}")
        console.until("Reporté par @console : prochain rappel le vendredi 4 décembre 2026")
        console.send(":tick 2026-12-04T09:00")
        console.until("(rappel reporté)")
    finally:
        console.close()
    assert rows.get(relais.db, f"deadline:{ids['udem-facebook']}:2026-12-07:snoozed:2026-12-04")["status"] == "sent"

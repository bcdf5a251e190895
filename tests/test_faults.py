"""Faults, for real: processes killed with SIGKILL at random moments while they write, a backup taken
while the web process writes, and Slack answering 429, 500 or nothing at all during a digest and a
catch-up. What must hold afterwards: the database passes `PRAGMA integrity_check`; a proposal has
all of its placements and reminder rows or does not exist; no reminder is lost; only a message in
flight at a kill may have been posted twice.

Randomness is seeded (RELAIS_FAULTS_SEED, default 8), so a failure can be replayed.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

from tests import slack
from tests.processes import ROOT, SECRET, WebProcess

pytestmark = pytest.mark.e2e

TZ = ZoneInfo("America/Montreal")
SEED = int(os.environ.get("RELAIS_FAULTS_SEED", "8"))
KILLS = int(os.environ.get("RELAIS_FAULTS_KILLS", "100"))
OUTLETS = ("bib-facebook", "udem-x")  # every proposal of the burst asks for these two
POSTING_KINDS = (
    "card",
    "deadline",
    "stats",
    "digest",
    "digest_part",
    "cycle_prompt",
    "stats_recorded",
    "calendar_feed_failed",
)


def connect(env) -> sqlite3.Connection:
    conn = sqlite3.connect(env["DATABASE_PATH"], timeout=30)
    conn.row_factory = sqlite3.Row
    return conn


def prepare(cli) -> None:
    done = cli("digest", "--dry-run", "--at", "2026-11-23T09:00")  # creates, migrates and configures the database
    assert done.returncode == 0, done.stderr


def tick_process(env, cwd, at: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "tick", "--at", at],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def post(url: str, body: str) -> None:
    with contextlib.suppress(requests.RequestException):  # the process was killed under it: that is the point
        requests.post(url + "/slack/events", data=body.encode(), headers=slack.sign(SECRET, body), timeout=3)


def check_consistency(env, expected_outlets: dict[str, tuple[str, ...]]) -> dict:
    """The invariants that must hold whatever was killed when; returns a few counts."""
    with connect(env) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        proposals = conn.execute("SELECT id, title, status FROM proposals").fetchall()
        for p in proposals:
            placements = conn.execute(
                "SELECT id, outlet_slug, status FROM placements WHERE proposal_id = ?", [p["id"]]
            ).fetchall()
            wanted = expected_outlets.get(p["title"])
            if wanted is not None:  # all of its placements, or it would not exist
                assert sorted(r["outlet_slug"] for r in placements) == sorted(wanted), (p["title"], placements)
            assert conn.execute("SELECT 1 FROM outbox WHERE key = ?", [f"card:{p['id']}"]).fetchone(), p["title"]
            assert conn.execute(
                "SELECT 1 FROM history WHERE proposal_id = ? AND action = 'created'", [p["id"]]
            ).fetchone(), p["title"]
            for placement in placements:
                keys = [
                    r[0]
                    for r in conn.execute(
                        "SELECT key FROM outbox WHERE placement_id = ? AND kind = 'deadline'", [placement["id"]]
                    )
                ]
                if not placement["outlet_slug"].startswith("bib-"):  # the library's own: nothing to submit
                    assert any(k.endswith(":missed") for k in keys), (p["title"], placement["outlet_slug"], keys)
                if placement["status"] != "planned":  # each step of the workflow has its history row
                    assert conn.execute(
                        "SELECT 1 FROM history WHERE placement_id = ? AND action = 'status' AND to_value = ?",
                        [placement["id"], placement["status"]],
                    ).fetchone(), placement
        return {
            "proposals": len(proposals),
            "moved": conn.execute("SELECT COUNT(*) FROM placements WHERE status != 'planned'").fetchone()[0],
        }


def check_nothing_lost(env, standin, until: str, kills: int) -> dict:
    """Everything due by `until` went out (or was rightly skipped); a post repeated only at a kill."""
    with connect(env) as conn:
        stuck = conn.execute(
            "SELECT key, status, due_at FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?", [until]
        ).fetchall()
        assert not stuck, [tuple(r) for r in stuck]
        failed = conn.execute("SELECT key, last_error FROM outbox WHERE status = 'failed'").fetchall()
        assert not failed, [tuple(r) for r in failed]
        sent_ts = Counter(
            r[0]
            for r in conn.execute(
                f"SELECT slack_ts FROM outbox WHERE status = 'sent' AND slack_ts IS NOT NULL"
                f" AND kind IN ({', '.join('?' for _ in POSTING_KINDS)})",
                POSTING_KINDS,
            )
        )
        deadlines_sent = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE kind = 'deadline' AND status = 'sent'"
        ).fetchone()[0]
    posts = [c.result.get("ts") for c in standin.calls("chat.postMessage") if c.result and c.result.get("ok")]
    assert all(n == 1 for n in sent_ts.values()), "two rows recorded the same Slack message"
    orphans = [ts for ts in posts if ts not in sent_ts]  # posted, then killed before it was recorded
    assert len(orphans) <= kills, (len(orphans), kills)
    return {"posts": len(posts), "repeated": len(orphans), "deadline_reminders_sent": deadlines_sent}


def test_sigkill_at_random_moments_during_a_burst_leaves_everything_consistent(cli, env, standin, tmp_path):
    """SIGKILL, KILLS times, at random offsets: the web process under a burst of proposals and clicks,
    or one of the `tick` processes walking (two or three at once) through two weeks of reminders."""
    prepare(cli)
    rng = random.Random(SEED)
    web_env = {**env, "RELAIS_NOW": "2026-12-01T08:00"}
    web: WebProcess | None = None
    ticks: list[subprocess.Popen] = []
    expected: dict[str, tuple[str, ...]] = {}
    started = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
    kills = 0

    def reap() -> None:
        for ticker in [t for t in ticks if t.poll() is not None]:
            ticks.remove(ticker)
            if ticker.returncode not in (0, -9):
                pytest.fail(f"tick failed: {ticker.stderr.read().decode(errors='replace')[-2000:]}")

    try:
        for round_number in range(KILLS):
            if web is None or web.proc.poll() is not None:
                web = WebProcess(web_env, tmp_path).start()
            bodies = []
            if (
                round_number % 4 == 0
            ):  # a new proposal (few: in production every post in the channel is paced, 1 a second)
                title = f"Rafale {round_number}"
                expected[title] = OUTLETS
                day = date(2026, 12, 7) + timedelta(days=rng.choice([0, 1, 2, 3, 4]))
                bodies.append(
                    slack.slash_body(
                        "/propose",
                        f"{title} | {day.isoformat()} | {', '.join(OUTLETS)}",
                        response_url=standin.response_url(),
                    )
                )
            with connect(env) as conn:
                movable = conn.execute(
                    "SELECT id, status FROM placements WHERE status IN ('planned', 'submitted')"
                    " ORDER BY RANDOM() LIMIT 2"
                ).fetchall()
            for placement in movable[: rng.randint(0, 2)]:
                to = "submitted" if placement["status"] == "planned" else rng.choice(["accepted", "declined"])
                bodies.append(
                    slack.interaction_body(
                        slack.block_actions(
                            f"placement_{to}",
                            f"{placement['id']}:{placement['status']}",
                            response_url=standin.response_url(),
                        )
                    )
                )
            senders = [threading.Thread(target=post, args=(web.url, body)) for body in bodies]
            for sender in senders:
                sender.start()
            ticks.append(tick_process(env, tmp_path, (started + timedelta(hours=3.5 * round_number)).isoformat()))
            time.sleep(rng.uniform(0.05, 0.5))
            alive = [t for t in ticks if t.poll() is None]
            if rng.random() < 0.3 or not alive:
                web.kill()
            else:
                rng.choice(alive).kill()
            kills += 1
            for sender in senders:
                sender.join(10)
            reap()
            if round_number % 25 == 24:
                check_consistency(env, expected)
        deadline = time.monotonic() + 90
        while ticks and time.monotonic() < deadline:  # the survivors finish their pass (paced posts)
            time.sleep(0.2)
            reap()
    finally:
        for ticker in ticks:
            ticker.kill()
        if web is not None:
            web.stop()
    # Back up and running, in the clear: everything owed by then goes out.
    done = cli("tick", "--at", "2026-12-20T10:00")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    counts = check_consistency(env, expected)
    assert counts["proposals"] >= KILLS // 8 and counts["moved"] >= 5, counts
    outcome = check_nothing_lost(env, standin, until="2026-12-20T15:00:00Z", kills=kills)
    assert outcome["deadline_reminders_sent"] > 0, outcome


def test_a_backup_taken_while_the_web_process_writes_is_consistent(cli, env, standin, web, tmp_path):
    stop = threading.Event()
    titles: list[str] = []

    def burst():
        n = 0
        while not stop.is_set():
            title = f"Pendant la copie {n}"
            titles.append(title)
            post(
                web.url,
                slack.slash_body(
                    "/propose", f"{title} | 2026-12-10 | {', '.join(OUTLETS)}", response_url=standin.response_url()
                ),
            )
            n += 1

    writers = [threading.Thread(target=burst) for _ in range(3)]
    for writer in writers:
        writer.start()
    try:
        time.sleep(0.5)
        copies = []
        for n in range(3):
            target = tmp_path / f"copie-{n}.db"
            done = cli("backup", str(target))
            assert done.returncode == 0, done.stderr
            copies.append(target)
            time.sleep(0.2)
    finally:
        stop.set()
        for writer in writers:
            writer.join(10)
    for copy in copies:
        counts = check_consistency({"DATABASE_PATH": str(copy)}, dict.fromkeys(titles, OUTLETS))
        assert counts["proposals"] >= 1
    with connect(env) as conn:
        assert conn.execute("SELECT COUNT(*) FROM proposals").fetchone()[0] >= counts["proposals"]


def seed_week(env) -> None:
    """A digest worth sending (last week's figures, so a chart too), and reminders owed during a downtime."""
    from bot.clock import to_text
    from storage import proposals as store
    from storage import stats as stats_rows
    from storage.db import Store

    def at(text):
        return to_text(datetime.fromisoformat(text).replace(tzinfo=TZ))

    database = Store(env["DATABASE_PATH"])
    db = database.db
    with db.atomic():
        booking = store.create(
            db,
            title="Réservation de places",
            publish_on=date(2026, 11, 30),
            owner_id="U0OWNERD",
            now=at("2026-11-20T10:00"),
            outlets=[("udem-facebook", date(2026, 11, 23)), ("bib-facebook", date(2026, 11, 30))],
        )
        for views, placement in zip((19279, 821), store.placements_of(db, booking), strict=False):
            store.set_placement_status(
                db,
                placement["id"],
                "published",
                actor="U0COMMS",
                now=at("2026-11-30T10:00"),
                published_on=date(2026, 11, 30),
            )
            stats_rows.record(
                db,
                placement["id"],
                views=views,
                interactions=views // 20,
                avg_seconds=None,
                recorded_by="U0OWNERD",
                recorded_at=at("2026-12-02T10:00"),
            )
    database.close()


def test_slack_429_500_and_timeouts_during_a_digest_and_a_catch_up_delay_but_lose_nothing(cli, env, standin):
    prepare(cli)
    seed_week(env)
    # Proposals registered before a downtime: their reminders fall due while the bot is away.
    from bot import features
    from bot.context import build
    from bot.proposals.rules import check
    from bot.proposals.workflow import create_proposal
    from bot.runtime.startup import prepare as prepare_context
    from bot.settings import load_settings

    relais = build(load_settings(env, env_file=ROOT / "none.env"), contributions=features.contributions())
    relais.clock.freeze(datetime(2026, 12, 1, 8, 0, tzinfo=TZ))
    prepare_context(relais)
    from bot.proposals.outlets import active
    from bot.proposals.rules import Draft
    from bot.workdays import for_relais

    outlets = {o.slug: o for o in active(relais.db)}
    for n, day in enumerate((date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9))):
        draft = Draft(title=f"Pendant la panne {n}", publish_on=day, outlets=OUTLETS)
        checked = check(draft, outlets, for_relais(relais), relais.clock.today())
        assert checked.ok, checked.problems
        create_proposal(relais, draft, checked, owner="U0OWNERD")
    relais.store.close()

    # Monday 09:05, a week later: Slack rate-limits, fails, then hangs once.
    standin.fail("chat.postMessage", status=429, retry_after=1, times=2)
    standin.fail("chat.postMessage", status=500, times=2)
    hung = []

    def hang_once(call):
        if call.method == "chat.postMessage" and not hung and len(standin.calls("chat.postMessage")) >= 6:
            hung.append(call)
            time.sleep(3)  # longer than the Web API client's timeout (SLACK_TIMEOUT_SECONDS below)

    standin.on_call = hang_once
    try:
        first = cli("tick", "--at", "2026-12-07T09:05", SLACK_TIMEOUT_SECONDS="2")
        assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    finally:
        standin.on_call = None
    assert hung, "the timeout was never provoked"
    with connect(env) as conn:
        waiting = conn.execute(
            "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND due_at <= ?", ["2026-12-07T14:05:00Z"]
        ).fetchone()[0]
    assert waiting > 0  # the 500s and the timeout left rows to retry

    # Slack is back: the next passes send the rest.
    for when in ("2026-12-07T09:06", "2026-12-07T09:10", "2026-12-07T09:40", "2026-12-07T10:40", "2026-12-07T13:00"):
        done = cli("tick", "--at", when)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    outcome = check_nothing_lost(env, standin, until="2026-12-07T18:00:00Z", kills=len(hung))
    digests = [
        c
        for c in standin.calls("chat.postMessage")
        if c.result
        and c.result.get("ok")
        and not c.args.get("thread_ts")
        and "semaine du lundi 7 décembre 2026" in str(c.args.get("blocks"))
    ]
    assert len(digests) - outcome["repeated"] <= 1 and len(digests) >= 1
    with connect(env) as conn:
        kinds = Counter(r[0] for r in conn.execute("SELECT kind FROM outbox WHERE status = 'sent'"))
    assert kinds["digest"] == 1 and kinds["digest_chart"] == 1, kinds
    assert kinds["deadline"] >= 3, kinds  # the missed heads-ups became what is right on Monday
    assert standin.files, "the chart was uploaded"


def test_only_a_death_with_the_message_in_flight_counts_towards_giving_up(relais, standin):
    """A sender killed while a row waited its turn gives the attempt back (a restart during a long
    catch-up loses nothing); MAX_INTERRUPTIONS deaths while posting it fail the row (it keeps killing us)."""
    from bot import outbox as sender
    from bot.clock import parse_instant
    from storage import outbox as rows

    now = parse_instant("2026-12-01T09:00", relais.settings.tz)
    waiting = "test:waiting"
    posting = "test:posting"
    for key in (waiting, posting):
        rows.plan(relais.db, key=key, kind="deadline", due_at=now, target="C0COMMS", now=now)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    for death in range(sender.MAX_INTERRUPTIONS):
        claimer = f"{sender.HOST}:{int(dead.stdout)}:dead{death:04d}:1"
        claimed = rows.claim_due(relais.db, now, claimer, keys=[waiting, posting])
        assert {r["key"] for r in claimed} == {waiting, posting}
        assert rows.still_mine(relais.db, next(r["id"] for r in claimed if r["key"] == posting), claimer)
        sender.release_dead_claims(relais, now)
    assert rows.get(relais.db, waiting)["status"] == "pending" and rows.get(relais.db, waiting)["attempts"] == 0
    assert rows.get(relais.db, posting)["status"] == "failed"
    assert "too many times" in rows.get(relais.db, posting)["last_error"]

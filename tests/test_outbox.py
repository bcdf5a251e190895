"""The outbox: atomic claims, leases, dead senders, pacing, 429, 5xx, refusals, failures listed by check.

In-process on a real SQLite file against the Slack stand-in; the messages are real reminders.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot import outbox as sender
from bot.clock import from_text, to_text
from bot.runtime import jobs
from storage import outbox as rows
from tests.conftest import wait_until
from tests.test_reminders_support import at, propose, reminder_posts

DEC_14 = date(2026, 12, 14)
HEADS_UP = "2026-12-03T09:00"  # udem-facebook, deadline Mon 7 Dec: heads-up Thu 3 Dec 09:00


def one_reminder(relais, title="Zooanimation") -> str:
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, title=title)
    return f"deadline:{ids['udem-facebook']}:2026-12-07:heads_up"


def tick(relais, when) -> list[str]:
    now = at(relais, when) if isinstance(when, str) else when
    relais.clock.freeze(now)
    return [r["key"] for r in jobs.tick(relais, now)]


def plan_many(relais, count: int) -> list[str]:
    now = relais.clock.now()
    keys = [f"test-claim:{i}" for i in range(count)]
    with relais.db.atomic():
        for key in keys:
            rows.plan(relais.db, key=key, kind="deadline", due_at=now, target="C0COMMS", now=now)
    return keys


# -- claims ----------------------------------------------------------------------------------------
def test_plan_is_once_per_key(relais):
    now = relais.clock.now()
    first = rows.plan(relais.db, key="k", kind="deadline", due_at=now, target="C0COMMS", now=now)
    second = rows.plan(relais.db, key="k", kind="deadline", due_at=now + timedelta(days=1), target="C1", now=now)
    assert first is not None and second is None
    assert rows.get(relais.db, "k")["target"] == "C0COMMS"


def test_concurrent_claims_never_share_a_row(relais):
    keys = plan_many(relais, 60)
    now = relais.clock.now()
    taken: dict[str, list[str]] = {}
    start = threading.Barrier(4)

    def claimer(name):
        start.wait()
        mine = taken.setdefault(name, [])
        while True:
            batch = rows.claim_due(relais.db, now, name, limit=3)
            if not batch:
                break
            mine.extend(r["key"] for r in batch)
        relais.store.close()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [k for batch in taken.values() for k in batch]
    assert sorted(everything) == sorted(keys)  # all taken, none twice
    assert len(set(everything)) == len(everything)


def test_a_claim_is_a_lease_of_five_minutes_of_real_time(relais):
    (key,) = plan_many(relais, 1)
    now = relais.clock.now()
    wall = from_text("2030-01-01T00:00:00Z")
    assert [r["key"] for r in rows.claim_due(relais.db, now, "a", wall=wall)] == [key]
    assert rows.claim_due(relais.db, now, "b", wall=wall + timedelta(minutes=4, seconds=59)) == []
    (again,) = rows.claim_due(relais.db, now, "b", wall=wall + timedelta(minutes=5))
    assert again["claimed_by"] == "b" and again["attempts"] == 2


def test_rows_left_by_a_dead_sender_are_sent_at_the_next_pass(relais, standin):
    key = one_reminder(relais)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    claimer = f"{sender.HOST}:{int(dead.stdout)}:0a1b2c3d:140000"
    other_host = "elsewhere:1:0a1b2c3d:1"
    rows.claim_due(relais.db, at(relais, HEADS_UP), claimer, keys=[key])
    (other,) = plan_many(relais, 1)
    rows.claim_due(relais.db, at(relais, HEADS_UP), other_host, keys=[other])
    assert tick(relais, HEADS_UP) == [key]
    assert rows.get(relais.db, key)["attempts"] == 1  # it died before posting it: that attempt was given back
    assert rows.get(relais.db, other)["status"] == "sending"  # another host: its lease runs


def test_a_row_taken_back_while_its_sender_waited_is_not_posted_by_it(relais, standin):
    """A stats message: conversations.open first; meanwhile another sender takes the row over."""
    from tests.test_reminders import publish_now

    publish_now(relais)
    key = "stats:U0JULIETTE:2026-12-03"

    def steal(call):
        if call.method == "conversations.open":
            far = from_text(to_text(relais.clock.now())) + timedelta(days=3650)
            rows.claim_due(relais.store.db, at(relais, "2026-12-03T09:00"), "elsewhere:1:x:1", wall=far)
            relais.store.close()

    standin.on_call = steal
    assert tick(relais, "2026-12-03T09:00") == []
    assert standin.calls("chat.postMessage") == []
    assert rows.get(relais.db, key)["claimed_by"] == "elsewhere:1:x:1"


def test_threads_ticking_together_send_each_row_once(relais, standin):
    for i in range(4):
        one_reminder(relais, title=f"Contenu {i}")
    now = at(relais, HEADS_UP)
    sent: list[str] = []
    barrier = threading.Barrier(3)

    def run():
        barrier.wait()
        sent.extend(r["key"] for r in jobs.tick(relais, now))
        relais.store.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 4 and len(set(sent)) == 4
    assert len(reminder_posts(standin)) == 4


# -- pacing ---------------------------------------------------------------------------------------
def test_posts_in_a_channel_are_paced_to_one_a_second(relais, standin):
    relais.settings = replace(relais.settings, pace_seconds=1.0)  # production's pace (the tests' default is 0)
    for i in range(3):
        one_reminder(relais, title=f"Contenu {i}")
    assert len(tick(relais, HEADS_UP)) == 3
    times = [c.at for c in reminder_posts(standin)]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times)), times  # Slack: about 1 message/s per channel


# -- Slack says no ---------------------------------------------------------------------------------
def test_429_waits_retry_after_then_succeeds(relais, standin):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", status=429, retry_after=1)
    assert tick(relais, HEADS_UP) == [key]
    first, second = standin.calls("chat.postMessage")
    assert first.result["error"] == "ratelimited" and second.result["ok"]
    assert second.at - first.at >= 1.0  # Retry-After honoured
    row = rows.get(relais.db, key)
    assert row["status"] == "sent" and row["attempts"] == 1 and row["slack_ts"] == second.result["ts"]


def test_a_long_retry_after_leaves_the_row_pending_without_spending_an_attempt(relais, standin):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", status=429, retry_after=120)
    assert tick(relais, HEADS_UP) == []
    row = rows.get(relais.db, key)
    assert (row["status"], row["attempts"], row["last_error"]) == ("pending", 0, "ratelimited")
    assert row["next_attempt_at"] == "2026-12-03T14:02:00Z"
    assert tick(relais, "2026-12-03T09:01:59") == []
    assert len(standin.calls("chat.postMessage")) == 1
    # Two minutes of real time later (the channel's hold, kept for every process, has run out):
    relais.db.execute("UPDATE kv SET value = '0' WHERE key = 'outbox.pace:C0COMMS'")
    assert tick(relais, "2026-12-03T09:02") == [key]


def test_5xx_retries_with_capped_backoff_for_as_long_as_it_takes(relais, standin):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", status=500, times=12)
    when = at(relais, HEADS_UP)
    delays = []
    for attempt in range(1, 13):
        assert tick(relais, when) == []
        row = rows.get(relais.db, key)
        assert (row["status"], row["attempts"]) == ("pending", attempt)
        assert row["last_error"] == "http 500: internal_error"
        delay = from_text(row["next_attempt_at"]) - when.replace(microsecond=0)
        delays.append(int(delay.total_seconds()))
        assert tick(relais, from_text(row["next_attempt_at"]) - timedelta(seconds=1)) == []  # not before
        when = from_text(row["next_attempt_at"])
    assert delays[:4] == [30, 60, 120, 300] and delays[-4:] == [3600] * 4  # capped at an hour, never given up
    assert tick(relais, when) == [key]
    assert len(standin.calls("chat.postMessage")) == 13


@pytest.mark.parametrize("error", ["service_unavailable", "fatal_error", "internal_error", "request_timeout"])
def test_slack_saying_it_is_unwell_is_transient(relais, standin, error):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", error=error)
    assert tick(relais, HEADS_UP) == []
    assert rows.get(relais.db, key)["status"] == "pending"
    assert tick(relais, "2026-12-03T09:00:30") == [key]


def test_a_refused_row_is_explained_by_check_and_sent_again_by_outbox_retry(relais, standin, cli):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", error="not_in_channel")
    assert tick(relais, HEADS_UP) == []
    row = rows.get(relais.db, key)
    assert row["status"] == "failed"
    assert tick(relais, "2026-12-04T09:00") == []  # failed rows are not retried on their own
    result = cli("check")
    assert result.returncode == 1
    assert (
        f"message {row['id']} : rappel d'échéance (proposition n° {row['proposal_id']}) pour C0COMMS" in result.stdout
    )
    assert "Pourquoi : le bot n'est pas membre de ce canal (slack: not_in_channel)" in result.stdout
    assert "/invite @Relais" in result.stdout
    assert f"python -m bot outbox retry {key}" in result.stdout
    # The cause is fixed (the bot was invited): sent again, once.
    retried = cli("outbox", "retry", key, RELAIS_NOW="2026-12-03T09:10")
    assert retried.returncode == 0, retried.stderr
    assert "✓ Envoyé : rappel d'échéance" in retried.stdout
    assert rows.get(relais.db, key)["status"] == "sent"
    assert len(standin.calls("chat.postMessage")) == 2
    again = cli("outbox", "retry", key)
    assert again.returncode == 1 and "Aucun message en échec" in again.stdout
    assert cli("outbox", "retry", "--all").stdout.strip() == "Aucun message en échec à renvoyer."
    assert cli("check").returncode == 0


def test_outbox_retry_when_slack_still_refuses_says_so(relais, standin, cli):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", error="channel_not_found", times=2)
    assert tick(relais, HEADS_UP) == []
    retried = cli("outbox", "retry", "--all", RELAIS_NOW="2026-12-03T09:10")
    assert retried.returncode == 1
    assert "✗ Toujours refusé" in retried.stdout and "TEAM_CHANNEL" in retried.stdout
    assert rows.get(relais.db, key)["status"] == "failed"
    assert cli("outbox", "retry").returncode == 2  # neither a key nor --all


def test_a_connection_error_is_retried_later(relais, standin):
    from tests.conftest import free_port

    key = one_reminder(relais)
    relais.settings = replace(relais.settings, api_url=f"http://127.0.0.1:{free_port()}/api/")
    relais._client = None
    assert tick(relais, HEADS_UP) == []
    row = rows.get(relais.db, key)
    assert row["status"] == "pending" and row["attempts"] == 1 and row["last_error"].startswith("connection:")
    relais.settings = replace(relais.settings, api_url=standin.api_url)
    relais._client = None
    assert tick(relais, "2026-12-03T09:01") == [key]


def test_a_request_slack_refuses_fails_at_once(relais, standin, caplog):
    key = one_reminder(relais)
    standin.fail("chat.postMessage", error="channel_not_found")
    assert tick(relais, HEADS_UP) == []
    row = rows.get(relais.db, key)
    assert (row["status"], row["attempts"], row["last_error"]) == ("failed", 1, "slack: channel_not_found")
    assert "channel_not_found" in caplog.text


def test_a_row_nobody_can_render_fails_and_is_logged(relais, caplog):
    now = relais.clock.now()
    rows.plan(relais.db, key="mystery", kind="no-such-kind", due_at=now, target="C0COMMS", now=now)
    tick(relais, now)
    assert rows.get(relais.db, "mystery")["status"] == "failed"
    assert "no renderer" in caplog.text


@pytest.mark.parametrize("when", ["2026-12-03T08:59:59", "2026-12-03T13:59:59Z"])
def test_nothing_is_sent_before_its_time(relais, standin, when):
    one_reminder(relais)
    assert tick(relais, when) == []
    assert standin.calls("chat.postMessage") == []


# -- acks first ------------------------------------------------------------------------------------
def test_a_tick_lets_the_acks_under_way_go_first(relais, standin):
    key = one_reminder(relais)
    now = at(relais, HEADS_UP)
    relais.clock.freeze(now)
    sent: list[str] = []
    with sender.answering():  # a request of this process is being answered
        ticking = threading.Thread(target=lambda: sent.extend(r["key"] for r in jobs.tick(relais, now)))
        ticking.start()
        ticking.join(0.5)
        assert ticking.is_alive() and not standin.calls("chat.postMessage")
    ticking.join(5)
    assert sent == [key]


def test_a_background_delivery_waits_for_the_acks_two_seconds_at_most(relais, standin):
    key = one_reminder(relais)
    relais.clock.freeze(at(relais, HEADS_UP))
    with sender.answering():  # a burst that lasts: nothing answered is ever quiet
        began = time.monotonic()
        sender.deliver_in_background(relais, [key])
        assert wait_until(lambda: rows.get(relais.db, key)["status"] == "sent", timeout=5)
        waited = time.monotonic() - began
    assert sender.YIELD_TO_ACKS - 0.2 <= waited < sender.YIELD_TO_ACKS + 1.5, waited

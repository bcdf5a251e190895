"""The scheduler inside the socket and http processes: its own `schedule.Scheduler`, a tick every
minute, a catch-up tick at start, and nothing a tick does can stop it; the features' jobs in threads of
their own, which never hold the tick."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from datetime import date

import schedule

from bot.context import Relais
from bot.feature import Job
from bot.runtime import jobs, scheduler
from storage import outbox as rows
from storage.db import Store
from tests.conftest import wait_until
from tests.test_reminders_support import at, propose, reminder_posts


def test_its_own_scheduler_ticks_every_minute_on_the_minute(relais):
    built = scheduler.build_scheduler(relais)
    assert isinstance(built, schedule.Scheduler) and built is not schedule.default_scheduler
    assert schedule.get_jobs() == []  # nothing on the module-wide scheduler
    (job,) = built.get_jobs()
    assert (job.interval, job.unit, job.at_time.second) == (1, "minutes", 0)
    assert job.job_func.func is scheduler.safe_tick


def test_the_loop_catches_up_at_start_then_stops_when_asked(relais, standin):
    _, ids = propose(relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)})
    relais.clock.freeze(at(relais, "2026-12-03T10:30"))  # started after the heads-up's time
    stop = scheduler.start_in_background(relais)
    try:
        assert len(standin.wait_for("chat.postMessage", 1, timeout=15)) == 1
    finally:
        stop.set()
    loop = next(t for t in threading.enumerate() if t.name == "relais-scheduler")
    loop.join(5)
    assert not loop.is_alive()
    assert rows.get(relais.db, f"deadline:{ids['udem-facebook']}:2026-12-07:heads_up")["status"] == "sent"
    assert len(reminder_posts(standin)) == 1


def test_a_failing_tick_is_logged_and_the_loop_goes_on(relais, tmp_path, caplog):
    (tmp_path / "not-a-database").mkdir()
    broken = Relais(
        settings=relais.settings, clock=relais.clock, store=Store(tmp_path / "not-a-database", migrate=False)
    )
    caplog.set_level(logging.ERROR, logger="relais.scheduler")
    assert scheduler.safe_tick(broken) == 0
    assert "tick failed" in caplog.text
    scheduler.build_scheduler(broken).run_all()  # the minute job is the safe one: nothing escapes
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run, args=(broken, stop))
    loop.start()
    try:
        loop.join(1.5)
        assert loop.is_alive()  # the failed catch-up tick did not end the loop
    finally:
        stop.set()
        loop.join(5)
    assert not loop.is_alive()


def test_a_failing_planner_does_not_stop_the_others_nor_the_sending(relais, standin, caplog):
    _, ids = propose(relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)})

    def broken_planner(relais, now):
        raise RuntimeError("a planner's bug")

    relais.contributions = replace(relais.contributions, planners=(broken_planner, *relais.contributions.planners))
    now = at(relais, "2026-12-03T09:00")
    sent = jobs.tick(relais, now)
    assert [r["key"] for r in sent if r["kind"] == "deadline"] == [
        f"deadline:{ids['udem-facebook']}:2026-12-07:heads_up"
    ]
    assert "planner broken_planner failed" in caplog.text


def test_a_slow_job_runs_in_its_own_thread_and_connection_and_never_holds_the_tick(relais, standin):
    _, ids = propose(relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)})
    relais.clock.freeze(at(relais, "2026-12-03T10:30"))  # the heads-up is due
    started, release, seen = threading.Event(), threading.Event(), {}

    def slow(relais, now):  # a download that takes as long as the test says, then a proposal with its card
        seen["thread"], seen["connection"] = threading.current_thread().name, relais.db.conn
        started.set()
        release.wait(15)
        propose(relais, publish_on=date(2026, 12, 21), outlets={"bib-facebook": date(2026, 12, 18)}, card=True)
        return True

    relais.contributions = replace(relais.contributions, jobs=(Job("slow", slow),))
    stop = scheduler.start_in_background(relais)
    try:
        assert started.wait(5)
        posts = standin.wait_for("chat.postMessage", 1, timeout=5)  # sent while the job is still running
        assert len(posts) == 1 and not release.is_set()
        heads_up = f"deadline:{ids['udem-facebook']}:2026-12-07:heads_up"
        assert wait_until(lambda: rows.get(relais.db, heads_up)["status"] == "sent", timeout=5)
        released = time.time()
        release.set()  # the job wrote a card: the tick comes at once, not at the next minute
        card = standin.wait_for("chat.postMessage", 2, timeout=5)[1]
        assert card.at - released < 3.0
    finally:
        release.set()
        stop.set()
    assert seen["thread"] == "relais-job-slow"
    assert seen["connection"] is not relais.db.conn  # the job's thread has its own connection
    for name in ("relais-scheduler", "relais-job-slow"):
        thread = next((t for t in threading.enumerate() if t.name == name), None)
        if thread is not None:
            thread.join(5)
            assert not thread.is_alive()

"""The scheduler that runs inside the socket and http processes: the `schedule` package, its own
Scheduler() instance, a tick every minute (and one at start, to catch up after downtime).

`schedule` keeps nothing and does not catch up missed runs: the database does. A tick asks the
outbox what is due, so a tick that was missed (the process was down, or a long catch-up ran over
the minute) is made good by the next one. Nothing a tick does can stop the loop: every exception
is caught and logged.

The features' jobs (bot.feature.Job: the calendar feeds' refresh) run apart from the tick, each in its
own thread with its own Scheduler() and its own database connection (storage.db.Store gives each thread
one): a run at start, then every minute on the half minute, never two runs of a job at once. So the tick
(planning and sending) never waits for a download or a parse: a slow or huge feed never delays a reminder.
A job run that wrote something the tick acts on (a feed's closures changed, a failure to report) wakes the
tick at once instead of at the next minute.
"""

from __future__ import annotations

import logging
import threading

import schedule

from bot.context import Relais
from bot.feature import Job
from bot.runtime import health, jobs

log = logging.getLogger("relais.scheduler")

JOBS_AT = ":30"  # the jobs' minute mark: half-way between two ticks, so their writes rarely meet


def safe_tick(relais: Relais) -> int:
    """One pass, without the jobs (their own threads run them); returns how many messages it sent (0 when
    it failed: the next tick tries again)."""
    try:
        sent = jobs.tick(relais, with_jobs=False)
        if sent:
            log.info("tick: %d message(s) sent", len(sent))
        return len(sent)
    except Exception:
        log.exception("tick failed")
        return 0
    finally:
        health.ticked()


def safe_job(relais: Relais, job: Job, wake: threading.Event | None = None) -> bool:
    """One run of `job`; when it wrote something the tick acts on, `wake` asks the tick to come at once."""
    changed = jobs.run_job(relais, job)
    if changed and wake is not None:
        wake.set()
    return changed


def build_scheduler(relais: Relais) -> schedule.Scheduler:
    scheduler = schedule.Scheduler()
    scheduler.every().minute.at(":00").do(safe_tick, relais)
    return scheduler


def build_job_scheduler(relais: Relais, job: Job, wake: threading.Event | None = None) -> schedule.Scheduler:
    scheduler = schedule.Scheduler()
    scheduler.every().minute.at(JOBS_AT).do(safe_job, relais, job, wake)
    return scheduler


def _loop(scheduler: schedule.Scheduler, stop: threading.Event, wake: threading.Event | None, on_wake) -> None:
    while not stop.is_set():
        if wake is not None and wake.is_set():
            wake.clear()
            on_wake()
        try:
            scheduler.run_pending()
        except Exception:
            log.exception("scheduler loop error")
        pause = min(max(scheduler.idle_seconds or 1, 0.2), 1.0)
        if wake is None:
            stop.wait(pause)
        else:
            wake.wait(pause)  # a woken tick comes within a moment; `stop` is seen within a second


def run(relais: Relais, stop: threading.Event, wake: threading.Event | None = None) -> None:
    """The tick loop: a catch-up tick at once, then one every minute (and one whenever `wake` is set) until
    `stop` is set."""
    scheduler = build_scheduler(relais)
    try:
        safe_tick(relais)  # catch up at once after a start
        _loop(scheduler, stop, wake, lambda: safe_tick(relais))
    finally:
        scheduler.clear()
        relais.store.close()


def run_job(relais: Relais, job: Job, stop: threading.Event, wake: threading.Event | None = None) -> None:
    """A job's own loop, in its own thread: a run at once (a refresh due during downtime), then every minute
    until `stop` is set. A run under way when `stop` is set ends on its own (its thread is a daemon)."""
    scheduler = build_job_scheduler(relais, job, wake)
    try:
        safe_job(relais, job, wake)
        _loop(scheduler, stop, None, None)
    finally:
        scheduler.clear()
        relais.store.close()  # this thread's connection


class Running(threading.Event):
    """The scheduler running in the background: set it to stop the loop; `join` waits for the tick under way
    (the features' jobs run in daemon threads of their own: a run under way when it is set ends on its own)."""

    thread: threading.Thread | None = None

    def join(self, timeout: float | None = None) -> bool:
        """True once the scheduler's thread has ended (within `timeout` seconds)."""
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True


def start_in_background(relais: Relais, stop: Running | None = None) -> Running:
    """Run the scheduler in a daemon thread, and each feature's job in one of its own; set the returned
    event to stop them all."""
    stop = stop or Running()
    wake = threading.Event()
    health.scheduler_started()
    stop.thread = threading.Thread(target=run, args=(relais, stop, wake), name="relais-scheduler", daemon=True)
    stop.thread.start()
    for job in relais.contributions.jobs:
        threading.Thread(
            target=run_job, args=(relais, job, stop, wake), name=f"relais-job-{job.name}", daemon=True
        ).start()
    return stop

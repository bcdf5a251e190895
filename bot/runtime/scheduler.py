"""The scheduler that runs inside the socket and http processes: the `schedule` package, its own
Scheduler() instance, a tick every minute (and one at start, to catch up after downtime).

`schedule` keeps nothing and does not catch up missed runs: the database does. A tick asks the
outbox what is due, so a tick that was missed (the process was down, or a long catch-up ran over
the minute) is made good by the next one. Nothing a tick does can stop the loop: every exception
is caught and logged.
"""

from __future__ import annotations

import logging
import threading

import schedule

from bot.context import Relais
from bot.runtime import health, jobs

log = logging.getLogger("relais.scheduler")


def safe_tick(relais: Relais) -> int:
    """One pass; returns how many messages it sent (0 when it failed: the next tick tries again)."""
    try:
        sent = jobs.tick(relais)
        if sent:
            log.info("tick: %d message(s) sent", len(sent))
        return len(sent)
    except Exception:
        log.exception("tick failed")
        return 0
    finally:
        health.ticked()


def build_scheduler(relais: Relais) -> schedule.Scheduler:
    scheduler = schedule.Scheduler()
    scheduler.every().minute.at(":00").do(safe_tick, relais)
    return scheduler


def run(relais: Relais, stop: threading.Event) -> None:
    """The loop: a catch-up tick at once, then one every minute until `stop` is set."""
    scheduler = build_scheduler(relais)
    try:
        safe_tick(relais)  # catch up at once after a start
        while not stop.is_set():
            try:
                scheduler.run_pending()
            except Exception:
                log.exception("scheduler loop error")
            stop.wait(min(max(scheduler.idle_seconds or 1, 0.2), 1.0))
    finally:
        scheduler.clear()
        relais.store.close()


class Running(threading.Event):
    """The scheduler running in the background: set it to stop the loop; `join` waits for the tick under way."""

    thread: threading.Thread | None = None

    def join(self, timeout: float | None = None) -> bool:
        """True once the scheduler's thread has ended (within `timeout` seconds)."""
        if self.thread is not None:
            self.thread.join(timeout)
            return not self.thread.is_alive()
        return True


def start_in_background(relais: Relais, stop: Running | None = None) -> Running:
    """Run the scheduler in a daemon thread; set the returned event to stop it."""
    stop = stop or Running()
    health.scheduler_started()
    stop.thread = threading.Thread(target=run, args=(relais, stop), name="relais-scheduler", daemon=True)
    stop.thread.start()
    return stop

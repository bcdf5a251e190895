"""The scheduler that runs inside the socket and http processes: the `schedule` package, its own
Scheduler() instance, a tick every minute (and one at start, to catch up after downtime).

`schedule` keeps nothing and does not catch up missed runs: the database does. A tick asks the
outbox what is due, so a tick that was missed is made good by the next one.
"""
from __future__ import annotations

import logging
import threading

import schedule

from bot import jobs
from bot.context import Relais

log = logging.getLogger("relais.scheduler")


def safe_tick(relais: Relais) -> None:
    try:
        sent = jobs.tick(relais)
        if sent:
            log.info("tick: %d message(s) sent", len(sent))
    except Exception:  # noqa: BLE001 - the loop must survive anything a tick does
        log.exception("tick failed")


def build_scheduler(relais: Relais) -> schedule.Scheduler:
    scheduler = schedule.Scheduler()
    scheduler.every().minute.at(":00").do(safe_tick, relais)
    return scheduler


def start_in_background(relais: Relais, stop: threading.Event | None = None) -> threading.Event:
    """Run the scheduler in a daemon thread; set the returned event to stop it."""
    stop = stop or threading.Event()

    def loop():
        scheduler = build_scheduler(relais)
        safe_tick(relais)  # catch up at once after a start
        while not stop.is_set():
            scheduler.run_pending()
            stop.wait(min(max(scheduler.idle_seconds or 1, 0.2), 1.0))
        relais.store.close()

    threading.Thread(target=loop, name="relais-scheduler", daemon=True).start()
    return stop

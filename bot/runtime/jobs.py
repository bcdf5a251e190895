"""One scheduler pass: plan what became due (digest, cycles, the deadlines a calendar change moved...), then
send everything the outbox owes. The same function serves the scheduler's minute tick, `python -m bot tick
--at`, and the console's `:tick`.

The features' jobs (`relais.contributions.jobs`: the calendar feeds' refresh) are slow work done apart from
the tick: the scheduler runs each in its own thread (bot.runtime.scheduler) and ticks with `with_jobs=False`,
so a slow or huge feed never delays a reminder. A one-shot `tick` and the console's `:tick` have no other
thread: they run the jobs inline, first, so that one pass still does everything due.

Passes may overlap (the scheduler, a cron `tick`, a background delivery): planners plan with
unique keys and the outbox claims each row for one sender, so nothing is planned or sent twice.
The planners are the features' (`relais.contributions.planners`, in the order of `bot.features`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot import outbox
from bot.context import Relais
from bot.feature import Job

log = logging.getLogger("relais.jobs")


def tick(
    relais: Relais,
    now: datetime | None = None,
    on_sent: Callable[[dict], None] | None = None,
    failed: list[str] | None = None,
    *,
    with_jobs: bool = True,
) -> list[dict]:
    """Plan, then deliver, as if it were `now` (the features' jobs first, inline, unless `with_jobs` is
    False: the scheduler runs them in their own threads). Returns the outbox rows sent during this pass;
    the names of the jobs and planners that failed are added to `failed` (the others ran all the same)."""
    now = now or relais.clock.now()
    if with_jobs:
        for job in relais.contributions.jobs:
            _run(job.run, "job", job.name, relais, now, failed)
    for plan in relais.contributions.planners:
        _run(plan, "planner", str(getattr(plan, "__name__", plan)), relais, now, failed)
    return outbox.deliver(relais, now=now, on_sent=on_sent)


def run_job(relais: Relais, job: Job, now: datetime | None = None) -> bool:
    """One run of a job, as the scheduler's job threads do it: True when it wrote something the tick acts on;
    False when it did nothing or failed (logged: the next run tries again)."""
    try:
        return bool(job.run(relais, now or relais.clock.now()))
    except Exception:
        log.exception("job %s failed", job.name)
        return False


def _run(fn, kind: str, name: str, relais: Relais, now: datetime, failed: list[str] | None) -> None:
    try:
        fn(relais, now)
    except Exception:
        log.exception("%s %s failed", kind, name)
        if failed is not None:
            failed.append(name)

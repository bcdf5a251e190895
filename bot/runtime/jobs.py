"""One scheduler pass: plan what became due (digest, cycles, calendar refresh...), then send
everything the outbox owes. The same function serves the scheduler's minute tick, `python -m
bot tick --at`, and the console's `:tick`.

Passes may overlap (the scheduler, a cron `tick`, a background delivery): planners plan with
unique keys and the outbox claims each row for one sender, so nothing is planned or sent twice.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from bot import outbox
from bot.context import Relais

log = logging.getLogger("relais.jobs")

# Planners run first at every tick: fn(relais, now) plans outbox rows (idempotent: unique keys).
PLANNERS: list[Callable[[Relais, datetime], None]] = []


def planner(fn):
    PLANNERS.append(fn)
    return fn


def tick(relais: Relais, now: datetime | None = None, on_sent: Callable[[dict], None] | None = None) -> list[dict]:
    """Plan, then deliver, as if it were `now`. Returns the outbox rows sent during this pass."""
    from bot import features

    features.load()
    now = now or relais.clock.now()
    for plan in list(PLANNERS):
        try:
            plan(relais, now)
        except Exception:  # noqa: BLE001 - one planner's bug must not stop the others nor the sending
            log.exception("planner %s failed", getattr(plan, "__name__", plan))
    return outbox.deliver(relais, now=now, on_sent=on_sent)

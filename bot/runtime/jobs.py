"""One scheduler pass: plan what became due (digest, cycles, calendar refresh...), then send
everything the outbox owes. The same function serves the scheduler's minute tick, `python -m
bot tick --at`, and the console's `:tick`.

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

log = logging.getLogger("relais.jobs")


def tick(
    relais: Relais,
    now: datetime | None = None,
    on_sent: Callable[[dict], None] | None = None,
    failed: list[str] | None = None,
) -> list[dict]:
    """Plan, then deliver, as if it were `now`. Returns the outbox rows sent during this pass; the
    names of the planners that failed are added to `failed` (the others ran all the same)."""
    now = now or relais.clock.now()
    for plan in relais.contributions.planners:
        try:
            plan(relais, now)
        except Exception:
            log.exception("planner %s failed", getattr(plan, "__name__", plan))
            if failed is not None:
                failed.append(str(getattr(plan, "__name__", plan)))
    return outbox.deliver(relais, now=now, on_sent=on_sent)

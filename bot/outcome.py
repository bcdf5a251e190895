"""One result type for "done" or "refused", said with a catalog key and its parameters.

Rules return it instead of raising, so a handler can answer the person in their language:

    outcome = change_status(relais, placement_id, "submitted", actor=user)
    say(relais.tr, outcome.key, **outcome.params)      # bot.proposals.views.say formats dates, statuses...

What the change touched rides along: the proposal and placement, the status before and after,
the outbox keys it planned (to deliver after the transaction), the instant it set (a snooze).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Outcome:
    ok: bool
    key: str  # catalog key of what to tell the person
    params: dict = field(default_factory=dict)
    proposal_id: int | None = None
    placement_id: int | None = None
    old: str | None = None
    new: str | None = None
    keys: list[str] = field(default_factory=list)  # outbox rows planned (deliver them after the transaction)
    at: datetime | None = None


def refused(key: str, **params) -> Outcome:
    return Outcome(ok=False, key=key, params=params)

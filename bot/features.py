"""The features of Relais, in the order their planners run at each tick.

This tuple is the one place that says what Relais is made of: the runtime (Bolt app, web front,
command line, scheduler) and the console wire what each feature declares in its `feature.py`.
"""

from __future__ import annotations

from bot.calendar.feature import FEATURE as CALENDAR
from bot.digest.feature import FEATURE as DIGEST
from bot.feature import Contributions, combine
from bot.proposals.feature import FEATURE as PROPOSALS
from bot.reminders.feature import FEATURE as REMINDERS
from bot.stats.feature import FEATURE as STATS

FEATURES = (PROPOSALS, REMINDERS, STATS, CALENDAR, DIGEST)


def contributions() -> Contributions:
    return combine(FEATURES)

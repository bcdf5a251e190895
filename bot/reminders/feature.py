"""What the reminders feature contributes: deadline notices in the card's thread, stats messages, their buttons."""

from __future__ import annotations

from bot.feature import Feature
from bot.reminders.rules import DEADLINE, FOLLOW_UP, STATS, render_deadline, render_follow_up, render_stats
from handlers import reminders

FEATURE = Feature(
    name="reminders",
    renderers={DEADLINE: render_deadline, STATS: render_stats, FOLLOW_UP: render_follow_up},
    listeners=(reminders.register,),
)

"""What the calendar feature contributes: feed refreshes (a job, apart from the tick) and their failure notices,
cycle prompts and their button, `python -m bot calendar`, and the editorial calendar at `/calendar.ics`."""

from __future__ import annotations

from bot.calendar import cycles, feeds, ics
from bot.feature import Command, Feature, Job
from handlers import cycles as cycle_handlers

FEATURE = Feature(
    name="calendar",
    renderers={
        cycles.KIND: cycles.render_prompt,
        cycles.USED_KIND: cycles.render_used,
        feeds.FAILED_KIND: feeds.render_failure,
        feeds.SKIPPED_KIND: feeds.render_skipped,
    },
    planners=(feeds.follow_feeds, cycles.plan_prompts),
    jobs=(Job("calendar-feeds", feeds.refresh_due_feeds),),
    commands=(Command("calendar", feeds.run_calendar, feeds.configure),),
    routes={"/calendar.ics": ics.serve},
    listeners=(cycle_handlers.register,),
)

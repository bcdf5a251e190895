"""Modules that register outbox kinds (`@outbox.kind`) and planners (`@jobs.planner`).

Every process that sends or plans (web, socket, console, `tick`) loads them once, so a row
planned by one process can be rendered by any other.
"""
from __future__ import annotations

import importlib
import threading

# One module a line.
MODULES = [
    "bot.stats.views",
    "bot.proposals.card",
    "bot.calendar.feeds",
    "bot.calendar.cycles",
    "bot.calendar.ics",
    "bot.digest.jobs",
    "bot.reminders.rules",
]

_lock = threading.Lock()
_loaded = False


def load() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        for name in MODULES:
            importlib.import_module(name)
        _loaded = True

"""What every run mode does before it serves: configuration files into the database.

Each step raises bot.errors.ConfigFileError (one line, exit 2) when its file cannot be used.
"""

from __future__ import annotations

import gc
from datetime import datetime

from bot import features, workdays
from bot.calendar import config as calendar
from bot.context import Relais, build
from bot.proposals import outlets, replan
from bot.runtime.cores import OneCore
from bot.settings import Settings


def prepare(relais: Relais) -> None:
    """Load the configuration files the product runs on. Idempotent; cheap when nothing changed."""
    for step in STEPS:
        step(relais)


def _outlets(relais: Relais) -> None:
    outlets.sync(relais)


def _calendar_file(relais: Relais) -> None:
    calendar.sync_file(relais)


def _deadlines(relais: Relais) -> None:
    """Deadlines follow the rules: a closure or a lead time changed since the last start moves them
    (reminders re-planned, cards updated, a note in each card's thread; sent by the next tick)."""
    replan.follow_rules(relais)


# In order: cycles in the calendar file name outlets, so outlets come first; deadlines once both are in.
STEPS: list = [_outlets, _calendar_file, _deadlines]


def open_relais(settings: Settings, *, at: datetime | None = None) -> Relais:
    """The context of a run: settings, clock, database, every feature's contributions, configuration
    files synced. Every run mode and one-shot command starts here. `at` (tick --at) stops the clock at
    that instant before the files are synced, so what the sync plans (a moved deadline's note) is dated then."""
    relais = build(settings, contributions=features.contributions())
    if at is not None:
        relais.clock.freeze(at)
    prepare(relais)
    # The holidays library loads every country's rules on first use (~0.6 s of CPU): pay it here, before
    # the first request, not inside a /propose that must be answered within Slack's 3 s.
    workdays.for_db(relais.db).is_business_day(relais.clock.today())
    return relais


def settle(one_core: OneCore | None = None) -> None:
    """For a long-running process, once started: what starting made (the modules, Babel's locale data, the
    holidays, the app) lives as long as the process. It is kept out of the collector's full passes
    (gc.freeze), which took 20-30 ms with it, a pause for every request under way. With CPU_CORES=one
    (`one_core`, begun as the process started), its threads are then kept on one core (bot.runtime.cores)."""
    gc.collect()
    gc.freeze()
    if one_core is not None:
        one_core.settle()

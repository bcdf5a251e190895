"""What every run mode does before it serves: configuration files into the database.

Each step raises bot.errors.ConfigFileError (one line, exit 2) when its file cannot be used.
"""
from __future__ import annotations

from bot.context import Relais


def prepare(relais: Relais) -> None:
    """Load the configuration files the product runs on. Idempotent; cheap when nothing changed."""
    for step in STEPS:
        step(relais)


def _outlets(relais: Relais) -> None:
    from bot.proposals import outlets

    outlets.sync(relais)


def _calendar_file(relais: Relais) -> None:
    from bot.calendar import config as calendar

    calendar.sync_file(relais)


# In order: cycles in the calendar file name outlets, so outlets come first.
STEPS: list = [_outlets, _calendar_file]

"""What every run mode does before it serves: configuration files into the database.

Each step raises bot.errors.ConfigFileError (one line, exit 2) when its file cannot be used.
"""
from __future__ import annotations

from bot.context import Relais


def prepare(relais: Relais) -> None:
    """Load the configuration files the product runs on. Idempotent; cheap when nothing changed."""
    for step in STEPS:
        step(relais)


STEPS: list = []  # filled below by the features that read configuration files

"""Reminders owed because of proposals and placements: planned in the same transaction as the
change that causes them, withdrawn when they stop being relevant. (Issue: reminders.)

The /propose surface calls these three hooks inside its transactions.
"""
from __future__ import annotations

from datetime import datetime


def on_proposal_created(relais, db, proposal_id: int, now: datetime) -> None:
    """A new proposal: plan the deadline reminders of each of its placements."""


def on_placement_changed(relais, db, placement_id: int, old: str, new: str, now: datetime) -> None:
    """A placement changed status: withdraw what no longer applies, plan stats reminders once published."""


def on_proposal_cancelled(relais, db, proposal_id: int, now: datetime) -> None:
    """A proposal was cancelled: withdraw every reminder still pending for it."""

"""What the reminders need to know from the database, beyond the outbox and the proposals."""

from __future__ import annotations

from sqlite_utils import Database


def latest_figures_at(db: Database, placement_id: int) -> str | None:
    """When the placement's figures were last recorded (UTC text), or None."""
    row = db.execute("SELECT MAX(recorded_at) FROM stats_snapshots WHERE placement_id = ?", [placement_id]).fetchone()
    return row[0] if row else None

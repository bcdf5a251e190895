"""Stats snapshots (figures of a placement at a moment) and the reads reports, exports and the
App Home need. Figures are cumulative: the latest snapshot (recorded_at, then id) is current.

Callers wrap writes in `db.atomic()`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

from sqlite_utils import Database

from storage.db import date_range, inserted_id
from storage.proposals import add_history
from storage.rows import PlacementRow, ProposalRow, Row, SnapshotRow

# The latest snapshot of placement p, as columns views, interactions, avg_seconds, recorded_at, recorded_by.
_LATEST = """LEFT JOIN stats_snapshots s ON s.id = (
                 SELECT s2.id FROM stats_snapshots s2 WHERE s2.placement_id = p.id
                 ORDER BY s2.recorded_at DESC, s2.id DESC LIMIT 1)"""


def known(metric: str, placement: str = "p.id") -> str:
    """The latest known value of `metric` (interactions, avg_seconds) of a placement: a snapshot that left
    it out (NULL, unknown) does not hide the value an earlier one gave."""
    return f"""(SELECT k.{metric} FROM stats_snapshots k WHERE k.placement_id = {placement} AND k.{metric} IS NOT NULL
                ORDER BY k.recorded_at DESC, k.id DESC LIMIT 1)"""


# Current figures: views of the latest snapshot (always given), the other metrics' latest known values.
_FIGURES = (
    f"s.views, {known('interactions')} AS interactions, {known('avg_seconds')} AS avg_seconds, "
    "s.recorded_at, s.recorded_by, s.id AS snapshot_id"
)
_OUTLET = "o.name AS outlet_name, o.owner AS outlet_owner, o.platform AS outlet_platform, o.position AS outlet_position"
_PROPOSAL = (
    "r.title AS proposal_title, r.category AS proposal_category, r.owner_id AS proposal_owner, "
    "r.status AS proposal_status"
)


def record(
    db: Database,
    placement_id: int,
    *,
    views: int,
    interactions: int | None,
    avg_seconds: int | None,
    recorded_by: str,
    recorded_at: str,
    source: str = "slack",
) -> int:
    """One snapshot; returns its id. A figure not known is None (stored NULL, never 0)."""
    cursor = db.execute(
        """INSERT INTO stats_snapshots (placement_id, views, interactions, avg_seconds, recorded_by, recorded_at, source)
           VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [placement_id, views, interactions, avg_seconds, recorded_by, recorded_at, source],
    )
    return inserted_id(cursor)


def latest(db: Database, placement_id: int) -> SnapshotRow | None:
    """The latest snapshot, with `interactions` and `avg_seconds` as their latest known values (the current figures)."""
    rows = list(
        db.query(
            f"""SELECT s.id, s.placement_id, s.views, {known("interactions", "s.placement_id")} AS interactions,
                   {known("avg_seconds", "s.placement_id")} AS avg_seconds, s.recorded_by, s.recorded_at, s.source
            FROM stats_snapshots s WHERE s.placement_id = ? ORDER BY s.recorded_at DESC, s.id DESC LIMIT 1""",
            [placement_id],
        )
    )
    return rows[0] if rows else None


def snapshots(db: Database, placement_id: int) -> list[SnapshotRow]:
    return list(
        db.query("SELECT * FROM stats_snapshots WHERE placement_id = ? ORDER BY recorded_at, id", [placement_id])
    )


def snapshot(db: Database, snapshot_id: int) -> SnapshotRow | None:
    rows = list(db.query("SELECT * FROM stats_snapshots WHERE id = ?", [snapshot_id]))
    return rows[0] if rows else None


def placements_with_figures(db: Database, proposal_id: int) -> list[PlacementRow]:
    """Every placement of a proposal with its outlet and its current figures (None when none yet)."""
    return list(
        db.query(
            f"""SELECT p.*, {_OUTLET}, {_PROPOSAL}, {_FIGURES}
            FROM placements p JOIN outlets o ON o.slug = p.outlet_slug JOIN proposals r ON r.id = p.proposal_id
            {_LATEST}
            WHERE p.proposal_id = ? ORDER BY o.position, o.slug""",
            [proposal_id],
        )
    )


def published(
    db: Database, *, owner_id: str | None = None, placement_ids: list[int] | None = None
) -> list[PlacementRow]:
    """Published placements with their current figures, oldest publication first (one owner's, or these)."""
    where = ["p.status = 'published'", "p.published_on IS NOT NULL"]
    params: list[str | int] = []
    if owner_id is not None:
        where.append("r.owner_id = ?")
        params.append(owner_id)
    if placement_ids is not None:
        where.append(f"p.id IN ({', '.join('?' for _ in placement_ids) or 'NULL'})")
        params.extend(placement_ids)
    return list(
        db.query(
            f"""SELECT p.*, {_OUTLET}, {_PROPOSAL}, {_FIGURES}
            FROM placements p JOIN outlets o ON o.slug = p.outlet_slug JOIN proposals r ON r.id = p.proposal_id
            {_LATEST}
            WHERE {" AND ".join(where)}
            ORDER BY p.published_on, p.proposal_id, o.position, o.slug""",
            params,
        )
    )


def report_rows(db: Database, start: date | None, end: date | None) -> list[Row]:
    """Placements published in [start, end] (None: unbounded), with proposal, outlet and current figures."""
    return list(iter_report_rows(db, start, end))


def iter_report_rows(db: Database, start: date | None, end: date | None) -> Iterator[Row]:
    """report_rows as a stream, for a report over years (bot.stats.reports.build_report adds them up as they come)."""
    dated, params = date_range("p.published_on", "p.published_on", start, end)
    where = ["p.status = 'published'", "p.published_on IS NOT NULL", *dated]
    return db.query(
        f"""SELECT p.id, p.proposal_id, p.outlet_slug, p.published_on, p.published_url, {_OUTLET}, {_PROPOSAL},
                   {_FIGURES}
            FROM placements p JOIN outlets o ON o.slug = p.outlet_slug JOIN proposals r ON r.id = p.proposal_id
            {_LATEST}
            WHERE {" AND ".join(where)}
            ORDER BY p.published_on, p.proposal_id, o.position, o.slug""",
        params,
    )


def export_rows(db: Database, since: date | None, until: date | None) -> list[Row]:
    """One row per snapshot of every placement published in [since, until], and one row (no figures) per
    published placement without any; in a stable order (publication, proposal, outlet, snapshot)."""
    dated, params = date_range("p.published_on", "p.published_on", since, until)
    where = ["p.status = 'published'", "p.published_on IS NOT NULL", *dated]
    return list(
        db.query(
            f"""SELECT r.id AS proposal_id, r.title, r.category, r.publish_on, r.owner_id, p.outlet_slug, p.status,
                   p.published_on, p.published_url, s.views, s.interactions, s.avg_seconds, s.recorded_at,
                   s.recorded_by
            FROM placements p JOIN outlets o ON o.slug = p.outlet_slug JOIN proposals r ON r.id = p.proposal_id
            LEFT JOIN stats_snapshots s ON s.placement_id = p.id
            WHERE {" AND ".join(where)}
            ORDER BY p.published_on, r.id, o.position, o.slug, s.recorded_at, s.id""",
            params,
        )
    )


# -- import -----------------------------------------------------------------------------------
def proposal_ids_taken(db: Database, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return {
        row[0]
        for row in db.execute(f"SELECT id FROM proposals WHERE id IN ({', '.join('?' for _ in ids)})", ids).fetchall()
    }


def existing_publication(db: Database, title: str, outlet_slug: str, published_on: str) -> dict | None:
    """A publication already in the database (same title, outlet and day): its placement `id` and `proposal_id`."""
    rows = list(
        db.query(
            """SELECT p.id, p.proposal_id FROM placements p JOIN proposals r ON r.id = p.proposal_id
           WHERE r.title = ? AND p.outlet_slug = ? AND p.published_on = ? AND p.status = 'published'
           ORDER BY p.id LIMIT 1""",
            [title, outlet_slug, published_on],
        )
    )
    return rows[0] if rows else None


def placement_on(db: Database, proposal_id: int, outlet_slug: str) -> dict | None:
    rows = list(
        db.query("SELECT * FROM placements WHERE proposal_id = ? AND outlet_slug = ?", [proposal_id, outlet_slug])
    )
    return rows[0] if rows else None


def import_proposal(
    db: Database,
    *,
    proposal_id: int | None,
    title: str,
    category: str,
    publish_on: str,
    owner_id: str,
    now: str,
    actor: str,
) -> int:
    """A proposal brought from an earlier spreadsheet; keeps `proposal_id` when given (checked free)."""
    cursor = db.execute(
        """INSERT INTO proposals (id, title, summary, category, audiences, publish_on, link, notes, owner_id, status,
                                  created_at, updated_at)
           VALUES (?, ?, '', ?, '[]', ?, '', '', ?, 'open', ?, ?)""",
        [proposal_id, title, category, publish_on, owner_id, now, now],
    )
    new_id = inserted_id(cursor)
    add_history(db, new_id, None, actor, now, "imported", None, None)
    return new_id


def import_placement(
    db: Database, *, proposal_id: int, outlet_slug: str, published_on: str, published_url: str, now: str, actor: str
) -> int:
    cursor = db.execute(
        """INSERT INTO placements (proposal_id, outlet_slug, deadline, status, published_on, published_url, updated_at)
           VALUES (?, ?, ?, 'published', ?, ?, ?)""",
        [proposal_id, outlet_slug, published_on, published_on, published_url or None, now],
    )
    placement_id = inserted_id(cursor)
    add_history(db, proposal_id, placement_id, actor, now, "imported", None, "published")
    return placement_id


# -- App Home ---------------------------------------------------------------------------------
def deadlines_between(db: Database, start: date, end: date, owner_id: str | None = None) -> list[PlacementRow]:
    """Placements still to submit whose deadline falls in [start, end], soonest first."""
    where, params = (
        ["p.status = 'planned'", "r.status = 'open'", "p.deadline BETWEEN ? AND ?"],
        [start.isoformat(), end.isoformat()],
    )
    if owner_id is not None:
        where.append("r.owner_id = ?")
        params.append(owner_id)
    return list(
        db.query(
            f"""SELECT p.*, {_OUTLET}, {_PROPOSAL}
            FROM placements p JOIN outlets o ON o.slug = p.outlet_slug JOIN proposals r ON r.id = p.proposal_id
            WHERE {" AND ".join(where)} ORDER BY p.deadline, p.proposal_id, o.position""",
            params,
        )
    )


def current_proposals(db: Database, owner_id: str, today: date, limit: int = 10) -> list[ProposalRow]:
    """The owner's open proposals still under way: a placement not yet settled (as /propose list reads it;
    one whose placements have all ended, an imported one included, is done)."""
    rows = list(
        db.query(
            """SELECT r.*,
                  (SELECT json_group_array(json_object('slug', p.outlet_slug, 'name', COALESCE(o.name, p.outlet_slug),
                                                    'status', p.status))
                   FROM placements p LEFT JOIN outlets o ON o.slug = p.outlet_slug
                   WHERE p.proposal_id = r.id) AS placements_json
           FROM proposals r
           WHERE r.owner_id = ? AND r.status = 'open'
             AND EXISTS (SELECT 1 FROM placements p WHERE p.proposal_id = r.id
                         AND p.status IN ('planned', 'submitted', 'accepted'))
           ORDER BY r.publish_on, r.id LIMIT ?""",
            [owner_id, limit],
        )
    )
    for row in rows:
        row["placements"] = json.loads(row.pop("placements_json") or "[]")
    return rows

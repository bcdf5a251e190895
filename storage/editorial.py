"""The editorial calendar (bot.calendar.ics): every placement that is not cancelled, with its proposal
and outlet, for one publication event and one deadline event each."""

from __future__ import annotations

from sqlite_utils import Database

from storage.rows import Row


def entries(db: Database) -> list[Row]:
    return list(
        db.query(
            """SELECT p.id, p.status, p.deadline, p.published_on, p.published_url, p.updated_at, p.outlet_text,
                  r.id AS proposal_id, r.title, r.category, r.publish_on, r.link, r.owner_id,
                  r.updated_at AS proposal_updated_at,
                  o.slug AS outlet_slug, o.name AS outlet_name
           FROM placements p JOIN proposals r ON r.id = p.proposal_id JOIN outlets o ON o.slug = p.outlet_slug
           WHERE p.status != 'cancelled' AND r.status != 'cancelled'
           ORDER BY COALESCE(p.published_on, r.publish_on), p.id"""
        )
    )

"""Outlets table."""

from __future__ import annotations

import json

from sqlite_utils import Database

from storage.rows import OutletRow


def sync(db: Database, outlets: list[dict], now: str) -> None:
    """Upsert every outlet of the file (active), and mark the others inactive (kept for history)."""
    slugs = []
    for o in outlets:
        slugs.append(o["slug"])
        db.execute(
            """INSERT INTO outlets (slug, name, owner, platform, lead_days, per_week, checklist, audiences, position,
                                    follow_up_days, submit_to, max_chars, active, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)
               ON CONFLICT (slug) DO UPDATE SET name = excluded.name, owner = excluded.owner,
                   platform = excluded.platform, lead_days = excluded.lead_days, per_week = excluded.per_week,
                   checklist = excluded.checklist, audiences = excluded.audiences, position = excluded.position,
                   follow_up_days = excluded.follow_up_days, submit_to = excluded.submit_to,
                   max_chars = excluded.max_chars, active = 1, updated_at = excluded.updated_at
               WHERE (outlets.name, outlets.owner, outlets.platform, outlets.lead_days, outlets.per_week,
                      outlets.checklist, outlets.audiences, outlets.position, outlets.follow_up_days,
                      outlets.submit_to, outlets.max_chars, outlets.active)
                     IS NOT (excluded.name, excluded.owner, excluded.platform, excluded.lead_days, excluded.per_week,
                             excluded.checklist, excluded.audiences, excluded.position, excluded.follow_up_days,
                             excluded.submit_to, excluded.max_chars, 1)""",
            [
                o["slug"],
                o["name"],
                o["owner"],
                o["platform"],
                o["lead_days"],
                o["per_week"],
                json.dumps(list(o["checklist"]), ensure_ascii=False),
                json.dumps(list(o["audiences"]), ensure_ascii=False),
                o["position"],
                o.get("follow_up_days", 3),
                o.get("submit_to"),
                o.get("max_chars"),
                now,
            ],
        )
    placeholders = ", ".join("?" for _ in slugs)
    db.execute(
        f"UPDATE outlets SET active = 0, updated_at = ? WHERE active = 1 AND slug NOT IN ({placeholders})",
        [now, *slugs],
    )


def all(db: Database) -> list[OutletRow]:  # noqa: A001 - reads as storage.outlets.all
    return list(db.query("SELECT * FROM outlets ORDER BY active DESC, position, slug"))


def active(db: Database) -> list[OutletRow]:
    return list(db.query("SELECT * FROM outlets WHERE active = 1 ORDER BY position, slug"))


def get(db: Database, slug: str) -> OutletRow | None:
    rows = list(db.query("SELECT * FROM outlets WHERE slug = ?", [slug]))
    return rows[0] if rows else None

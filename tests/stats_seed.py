"""Published proposals and their figures for the /stats tests, written with Relais's own storage
functions on the database the web process uses (WAL: between requests is fine).

The seed's figures (2020 presentation, moved to 2026): the same news on the university's Facebook
and on the library's own.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.clock import to_text
from bot.stats.spreadsheet import Parsed, import_parsed, parse_for
from storage import proposals as proposal_rows
from storage import stats as stats_rows

OWNER = "U0JULIETTE"

# title, category, day, {outlet: (views, interactions, avg_seconds) or None (published, no figures)}
SEED = [
    (
        "Services des bibliothèques en confinement",
        "one-off",
        date(2026, 3, 18),
        {"udem-facebook": (19279, 512, None), "bib-facebook": (821, 37, None)},
    ),
    ("Accès aux logiciels à distance", "one-off", date(2026, 3, 27), {"udem-instagram-story": (4941, 0, None)}),
    (
        "Réouverture des bibliothèques",
        "one-off",
        date(2026, 8, 18),
        {"udem-facebook": (21100, 640, None), "bib-facebook": (342, 18, None)},
    ),
    (
        "Réservation de places et de documents",
        "cyclic",
        date(2026, 10, 1),
        {"udem-facebook": (16220, 455, None), "bib-facebook": (392, 21, 150)},
    ),
]


def publish(
    db,
    title: str,
    day: date,
    outlets: dict,
    *,
    owner: str = OWNER,
    category: str = "one-off",
    recorded_at: datetime | None = None,
    recorded_by: str = OWNER,
) -> int:
    """A proposal published on each outlet on `day`, with figures where given; returns its number."""
    now = to_text(datetime(2026, 1, 1, tzinfo=UTC))
    with db.atomic():
        proposal_id = proposal_rows.create(
            db,
            title=title,
            publish_on=day,
            owner_id=owner,
            category=category,
            outlets=[(slug, day) for slug in outlets],
            now=now,
        )
        for slug, figures in outlets.items():
            placement = proposal_rows.placement_by_outlet(db, proposal_id, slug)
            proposal_rows.set_placement_status(
                db,
                placement["id"],
                "published",
                actor=owner,
                now=now,
                published_on=day,
                published_url=f"https://example.org/{proposal_id}/{slug}",
            )
            if figures is not None:
                views, interactions, avg = figures
                at = recorded_at or datetime(day.year, day.month, day.day, 15, tzinfo=UTC) + timedelta(days=31)
                stats_rows.record(
                    db,
                    placement["id"],
                    views=views,
                    interactions=interactions,
                    avg_seconds=avg,
                    recorded_by=recorded_by,
                    recorded_at=to_text(at),
                )
    return proposal_id


def seed(db) -> list[int]:
    return [publish(db, title, day, outlets, category=category) for title, category, day, outlets in SEED]


def placement_id(db, proposal_id: int, slug: str) -> int:
    return proposal_rows.placement_by_outlet(db, proposal_id, slug)["id"]


def snapshot_count(db) -> int:
    return db.execute("SELECT COUNT(*) FROM stats_snapshots").fetchone()[0]


def load(relais, data: bytes | str) -> Parsed:
    """A spreadsheet (CSV or workbook) read as `python -m bot import` reads it."""
    return parse_for(relais, data.encode("utf-8") if isinstance(data, str) else data)


def import_into(relais, data: bytes | str):
    """`python -m bot import` of that file, at the context's instant."""
    return import_parsed(relais.db, load(relais, data), now=to_text(relais.clock.now()))

"""Years of plausible Relais history, generated for `make bench` (never committed).

    python -m bench.generate PATH --years 10 [--now 2026-12-01T10:00] [--seed 8]

About 3,000 proposals a year (a busy team: ~8 a day), spread evenly from `years` before `now`
to two months after it, each with its placements (one or two of the library's own accounts, and
the university's outlets about as often as their weekly quotas allow),
their history, the figures recorded after publication (snapshots at the checkpoints), and the
outbox rows a real run leaves behind: the card (sent), card updates (sent), deadline reminders
(sent or skipped), daily stats reminders (sent); the proposals still to come have their card
posted and their deadline reminders pending, planned by bot.reminders.rules itself.

Written through the storage functions (storage.proposals, storage.stats, storage.outbox) in one
transaction, so ten years take seconds. The database must not exist yet; its schema comes from
the migrations and its outlets and calendar from the configuration files, as in production.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

PER_YEAR = 3000
AHEAD_DAYS = 60  # proposals planned for the coming two months
USERS = [f"U0BIB{n:04d}" for n in range(12)]
CATEGORIES = ("cyclic", "one-off", "collections")
WORDS = (
    "Zooanimation",
    "Horaires prolongés",
    "Matinées de rédaction",
    "Exposition",
    "Livres rares",
    "Consultation",
    "Nouveau service",
    "Atelier Zotero",
    "Prêt d'ordinateurs",
    "Salle de silence",
)


def generate(
    path: str | Path, years: float, now_text: str = "2026-12-01T10:00", seed: int = 8, env: dict | None = None
) -> dict:
    """Create the database at `path` with `years` of history before `now`; returns counts and timing."""
    from bot import features
    from bot.clock import parse_instant, to_text
    from bot.context import build
    from bot.reminders import rules as reminders
    from bot.runtime.startup import prepare
    from bot.settings import load_settings
    from bot.workdays import BusinessDays
    from storage import calendar as calendar_rows
    from storage import outbox
    from storage import proposals as store
    from storage import stats as stats_rows

    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    started = time.perf_counter()
    environ = dict(env or {})
    environ["DATABASE_PATH"] = str(path)
    settings = load_settings(environ, env_file=path.parent / "none.env")
    relais = build(settings, contributions=features.contributions())
    tz = settings.tz
    now = parse_instant(now_text, tz)
    relais.clock.freeze(now)
    prepare(relais)
    db = relais.db
    rng = random.Random(seed)
    outlets = {o["slug"]: o for o in db.query("SELECT * FROM outlets WHERE active = 1")}
    university = [s for s, o in outlets.items() if o["owner"] == "university"]
    library = [s for s, o in outlets.items() if o["owner"] == "library"]
    days = BusinessDays(closures=calendar_rows.closures(db))
    channel = settings.team_channel or "C0COMMS"
    today = now.astimezone(tz).date()
    first_day = today - timedelta(days=round(years * 365))
    total = round(years * PER_YEAR) + round(AHEAD_DAYS * PER_YEAR / 365)
    span = (today + timedelta(days=AHEAD_DAYS) - first_day).days
    counts = {"proposals": 0, "placements": 0, "snapshots": 0, "outbox": 0, "history": 0}
    ts_counter = iter(range(1, 10**9))

    def stamp(day: date, hour: int = 10, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)

    def sent_row(key, kind, due, target, proposal_id=None, placement_id=None, payload=None, status="sent"):
        row_id = outbox.plan(
            db,
            key=key,
            kind=kind,
            due_at=due,
            target=target,
            now=due,
            proposal_id=proposal_id,
            placement_id=placement_id,
            payload=payload,
        )
        if row_id is None:
            return
        counts["outbox"] += 1
        if status == "sent":
            outbox.mark_sent(db, row_id, due, target, f"{int(due.timestamp())}.{next(ts_counter):06d}")
        else:
            outbox.mark_skipped(db, row_id, due, "superseded")

    stats_days: dict[tuple[str, date], list] = {}
    with db.atomic():
        for n in range(total):
            publish_on = first_day + timedelta(days=int(n * span / total))
            created = stamp(publish_on - timedelta(days=rng.randint(12, 40)), rng.randint(8, 17), rng.randint(0, 59))
            if created > now:
                created = now - timedelta(hours=rng.randint(1, 48))
            # The library's own accounts take every proposal; the university's take about their weekly
            # quota (a team that knows it proposes them that often, not ~58 times a week).
            chosen = rng.sample(library, rng.randint(1, 2))
            chosen += [s for s in university if rng.random() < (outlets[s]["per_week"] or 3) * 52 / PER_YEAR]
            chosen = sorted(set(chosen), key=lambda s: outlets[s]["position"])
            plan = []
            for slug in chosen:
                plan.append((slug, days.subtract(publish_on, outlets[slug]["lead_days"])))
            owner = rng.choice(USERS)
            title = f"{rng.choice(WORDS)} n° {n + 1}"
            proposal_id = store.create(
                db,
                title=title,
                publish_on=publish_on,
                owner_id=owner,
                outlets=plan,
                now=to_text(created),
                summary=f"Résumé de la proposition {n + 1}.",
                category=rng.choice(CATEGORIES),
                audiences=["students"],
                link=f"https://bib.umontreal.ca/nouvelles/{n + 1}",
            )
            counts["proposals"] += 1
            counts["history"] += 1
            placements = list(
                db.query("SELECT id, outlet_slug, deadline FROM placements WHERE proposal_id = ?", [proposal_id])
            )
            counts["placements"] += len(placements)
            card_ts = f"{int(created.timestamp())}.{next(ts_counter):06d}"
            sent_row(f"card:{proposal_id}", "card", created, channel, proposal_id=proposal_id)
            store.set_card(db, proposal_id, channel, card_ts)

            if publish_on >= today:  # still to come: the real planner plans its deadline reminders
                relais.clock.freeze(max(created, now - timedelta(minutes=1)))
                reminders.plan_created(relais, db, proposal_id, relais.clock.now())
                relais.clock.freeze(now)
                for p in placements:
                    deadline = date.fromisoformat(p["deadline"])
                    if deadline < today and outlets[p["outlet_slug"]]["owner"] == "university":
                        at = stamp(deadline, 11)
                        store.set_placement_status(db, p["id"], "submitted", actor=USERS[0], now=to_text(at))
                        counts["history"] += 1
                continue

            cancelled = rng.random() < 0.04
            for p in placements:
                slug, deadline = p["outlet_slug"], date.fromisoformat(p["deadline"])
                for stage, offset in (("heads_up", -2), ("due", 0)):
                    due = stamp(days.add(deadline, offset) if offset > 0 else days.subtract(deadline, -offset), 9)
                    if due < created:
                        continue
                    sent_row(
                        reminders.deadline_key(p["id"], deadline, stage),
                        "deadline",
                        due,
                        channel,
                        proposal_id,
                        p["id"],
                        {"stage": stage, "deadline": deadline.isoformat()},
                        status="sent" if rng.random() < 0.7 else "skipped",
                    )
                if cancelled:
                    continue
                steps = []
                if outlets[slug]["owner"] == "university":
                    steps.append(("submitted", stamp(deadline, 11)))
                    if rng.random() < 0.08:
                        steps.append(("declined", stamp(deadline + timedelta(days=1), 14)))
                    else:
                        steps.append(("accepted", stamp(deadline + timedelta(days=1), 14)))
                        steps.append(("published", stamp(publish_on, 12)))
                else:
                    steps.append(("published", stamp(publish_on, 12)))
                for status, at in steps:
                    store.set_placement_status(
                        db,
                        p["id"],
                        status,
                        actor=USERS[0],
                        now=to_text(at),
                        published_on=publish_on if status == "published" else None,
                        published_url=f"https://example.org/p/{p['id']}" if status == "published" else None,
                    )
                    counts["history"] += 1
                    sent_row(
                        f"card-update:{proposal_id}:{to_text(at)}:{p['id']}",
                        "card_update",
                        at,
                        channel,
                        proposal_id=proposal_id,
                    )
                if steps[-1][0] != "published":
                    continue
                for checkpoint in settings.stats_checkpoints:
                    moment = stamp(publish_on + timedelta(days=checkpoint), 9)
                    if moment > now:
                        continue
                    stats_days.setdefault((owner, moment.date()), []).append([p["id"], checkpoint])
                    if rng.random() < 0.85:
                        recorded = moment + timedelta(hours=rng.randint(1, 30))
                        if recorded > now:
                            continue
                        views = int(
                            rng.lognormvariate(7.5 if outlets[slug]["owner"] == "university" else 5.5, 0.8)
                            * (1 + checkpoint / 10)
                        )
                        stats_rows.record(
                            db,
                            p["id"],
                            views=views,
                            interactions=views // rng.randint(15, 40),
                            avg_seconds=rng.choice([None, 90, 150]),
                            recorded_by=owner,
                            recorded_at=to_text(recorded),
                        )
                        counts["snapshots"] += 1
            if cancelled:
                at = created + timedelta(days=3)
                store.cancel(db, proposal_id, actor=owner, now=to_text(min(at, now)))
                counts["history"] += 1
        monday = first_day - timedelta(days=first_day.weekday())
        while stamp(monday, 9) <= now:  # the weekly digests that went out
            label = f"{monday.isocalendar()[0]}-W{monday.isocalendar()[1]:02d}"
            sent_row(
                f"digest:{label}",
                "digest",
                stamp(monday, 9),
                channel,
                payload={"day": monday.isoformat(), "week": label},
            )
            monday += timedelta(days=7)
        for (owner, day), items in stats_days.items():
            due = stamp(day, 9)
            sent_row(reminders.stats_key(owner, day), "stats", due, owner, payload={"items": items})
    counts["seconds"] = round(time.perf_counter() - started, 2)
    counts["bytes"] = path.stat().st_size
    relais.store.close()
    return counts


def main(argv: list[str] | None = None) -> int:
    from tests.processes import base_env

    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--years", type=float, default=1)
    parser.add_argument("--now", default="2026-12-01T10:00")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    env = base_env(Path(args.path).resolve().parent, "http://127.0.0.1:9/api/")
    print(generate(args.path, args.years, args.now, args.seed, env))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def seed_scenarios(
    path: str | Path, env: dict, *, stats_placements: int, buttons: int, now_text: str = "2026-12-01T10:00"
) -> dict:
    """What the ack scenarios act on, added to an existing database (before the web process starts):
    `stats_placements` published placements (one per /stats client) and `buttons` proposals whose
    card is posted and whose placement is still `planned` (each "submitted" click takes a fresh one)."""
    from bot import features
    from bot.clock import parse_instant, to_text
    from bot.context import build
    from bot.reminders import rules as reminders
    from bot.settings import load_settings
    from storage import outbox
    from storage import proposals as store

    settings = load_settings({**env, "DATABASE_PATH": str(path)}, env_file=Path(path).parent / "none.env")
    relais = build(settings, contributions=features.contributions())
    now = parse_instant(now_text, settings.tz)
    relais.clock.freeze(now)
    db = relais.db
    channel = settings.team_channel
    out: dict = {"stats": [], "buttons": []}
    with db.atomic():
        for n in range(stats_placements):
            day = date(2026, 11, 2) + timedelta(days=n)
            proposal_id = store.create(
                db,
                title=f"Publiée pour /stats {n}",
                publish_on=day,
                owner_id="U0JULIETTE",
                outlets=[("udem-facebook", day - timedelta(days=7))],
                now=to_text(now),
                placement_ids=(placed := {}),
            )
            placement_id = placed["udem-facebook"]
            for status in ("submitted", "accepted", "published"):
                store.set_placement_status(
                    db,
                    placement_id,
                    status,
                    actor="U0JULIETTE",
                    now=to_text(now),
                    published_on=day if status == "published" else None,
                )
            out["stats"].append((proposal_id, "udem-facebook"))
        for n in range(buttons):
            day = date(2027, 1, 11) + timedelta(days=n % 700)
            proposal_id = store.create(
                db,
                title=f"Carte {n}",
                publish_on=day,
                owner_id="U0JULIETTE",
                outlets=[("bib-facebook", day)],
                now=to_text(now),
                placement_ids=(placed := {}),
            )
            row_id = outbox.plan(
                db, key=f"card:{proposal_id}", kind="card", due_at=now, target=channel, now=now, proposal_id=proposal_id
            )
            ts = f"1796000000.{n:06d}"
            outbox.mark_sent(db, row_id, now, channel, ts)
            store.set_card(db, proposal_id, channel, ts)
            reminders.plan_created(relais, db, proposal_id, now)
            out["buttons"].append((placed["bib-facebook"], ts))
    relais.store.close()
    return out

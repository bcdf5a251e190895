"""`python -m bot digest [--at ISO] [--dry-run] [--chart PATH]`: the weekly digest, now.

    --dry-run   print the digest as text and write its chart to a PNG file (--chart PATH, default
                digest-YYYY-Www.png next to the database); nothing is posted nor recorded
    (default)   plan the digest of that week and send it now to TEAM_CHANNEL (once: a digest
                already sent is not sent again), with its continuations and chart in its thread

--at sets the time (local TIMEZONE when it has no offset); the digest is the one of the week
containing that day (the latest DIGEST_AT weekday on or before it).
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot import outbox
from bot.clock import parse_instant
from bot.digest.jobs import due_of, horizon, plan_week, wait_followups
from bot.digest.render import as_text, render
from bot.digest.rules import build, build_chart_series, digest_day, week_label
from bot.errors import EXIT_CONFIG, require_token
from bot.settings import SettingsError
from bot.stats.chart import views_chart
from storage import outbox as rows


def configure(parser, tr) -> None:
    parser.add_argument("--at", metavar=tr("cli.metavar.instant"), help=tr("cli.arg.at"))
    parser.add_argument("--dry-run", action="store_true", help=tr("cli.arg.digest_dry_run"))
    parser.add_argument("--chart", metavar=tr("cli.metavar.file"), help=tr("cli.arg.digest_chart"))


def run_digest(relais, args) -> int:
    settings = relais.settings
    if args.at:
        try:
            relais.clock.freeze(parse_instant(args.at, settings.tz))
        except ValueError:
            print(SettingsError("--at", "settings.instant", args.at).line(settings.language), file=sys.stderr)
            return EXIT_CONFIG
    else:
        relais.clock.freeze(relais.clock.now())  # one instant for the whole command
    now = relais.clock.now()
    if args.dry_run:
        return _dry_run(relais, now, args.chart)
    require_token(settings, "digest")
    return _send(relais, now, args.chart)


def _chart_path(relais, day, chart: str | None) -> Path:
    if chart:
        return Path(chart)
    return relais.settings.database_path.parent / f"digest-{week_label(day)}.png"


def _write_chart(relais, day, chart: str | None, always: bool) -> None:
    if not (always or chart):
        return
    tr = relais.tr
    png = views_chart(build_chart_series(relais, day), tr)
    if png is None:
        print(tr("digest.cli.no_chart"))
        return
    path = _chart_path(relais, day, chart)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png)
    print(tr("digest.cli.chart", path=path))


def _day(relais, now):
    return digest_day(now.astimezone(relais.settings.tz).date(), relais.settings.digest_weekday)


def _dry_run(relais, now, chart: str | None) -> int:
    day = _day(relais, now)
    print(as_text(render(build(relais, day, now), relais.tr, footer=horizon(relais, now)), relais.tr))
    _write_chart(relais, day, chart, always=True)
    return 0


def _send(relais, now, chart: str | None) -> int:
    settings, tr = relais.settings, relais.tr
    if not settings.team_channel:
        print(
            tr("settings.line", variable="TEAM_CHANNEL", expected=tr("settings.required_channel"), got=""),
            file=sys.stderr,
        )
        return EXIT_CONFIG
    day = _day(relais, now)
    week = week_label(day)
    db = relais.db
    with db.atomic():
        key = plan_week(relais, day, now, due=min(due_of(relais, day), now))
    outbox.deliver(relais, now=now, keys=[key])
    wait_followups()
    row = rows.get(db, key)
    assert row is not None  # planned just above; outbox rows are never deleted
    _write_chart(relais, day, chart, always=False)
    status = row["status"]
    if status == "sent":
        print(tr("digest.cli.sent", week=week, channel=row["slack_channel"] or row["target"], at=row["sent_at"]))
        return 0
    if status == "skipped":
        print(tr("digest.cli.skipped", week=week))
        return 1
    print(tr("digest.cli.not_sent", week=week, status=status, error=row["last_error"] or "—"))
    return 1

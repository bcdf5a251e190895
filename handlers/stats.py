"""/stats: figures after publication (modal and one line), reports, export; the `stats_open` button
of the stats reminders and of the App Home; the "record anyway" button."""

from __future__ import annotations

import json
from datetime import date

from slack_bolt import App

from bot import outbox
from bot.blocks import context, escape
from bot.clock import to_text
from bot.stats import figures as rules
from bot.stats.figures import Figures, InputError, NeedsConfirmation
from bot.stats.reports import (
    YEAR_WORDS,
    build_report,
    parse_period,
    parse_year,
    period_label,
    report_blocks,
    year_blocks,
    year_label,
    year_report,
)
from bot.stats.spreadsheet import FORMATS
from bot.stats.views import (
    CALLBACK,
    error_text,
    figures_text,
    lower_blocks,
    modal_force,
    modal_values,
    record_modal,
    recorded_text,
    refusal_blocks,
)
from handlers.common import (
    ephemeral,
    help_reply,
    parse_id,
    relais_of,
    split_subcommand,
    tell,
    who_can,
    who_can_for,
)
from handlers.home import publish_home
from storage import calendar as calendar_rows
from storage import outbox as outbox_rows
from storage import proposals as proposal_rows
from storage import stats as stats_rows

REPORT_WORDS = ("report", "rapport", "bilan")
EXPORT_WORDS = ("export", "exporter")
HELP_WORDS = ("help", "aide", "?")


def register(app: App) -> None:
    app.command("/stats")(on_stats)
    app.view(CALLBACK)(on_submit)
    app.action("stats_open")(on_open)
    app.action("stats_force")(on_force)


def on_stats(ack, command, context, client):
    relais = relais_of(context)
    tr = relais.tr
    text = (command.get("text") or "").strip()
    user = command["user_id"]
    sub, rest = split_subcommand(text)
    if not text:
        return open_awaiting(relais, ack, client, user, command.get("trigger_id"))
    if sub in HELP_WORDS:
        return ack(**help_reply(tr, "/stats"))
    if sub in REPORT_WORDS:
        return report(relais, ack, user, rest, command.get("trigger_id"))
    if sub in EXPORT_WORDS:
        return export(relais, ack, user, rest, command.get("trigger_id"))
    if rules.looks_like_record(text):
        return ack(**record_line(relais, user, text))
    return ack(**help_reply(tr, "/stats", unknown=text))


# -- recording --------------------------------------------------------------------------------
def record_line(relais, user: str, text: str) -> dict:
    """`/stats N OUTLET views=… [interactions=…] [time=m:ss] [confirm]`: the ephemeral answer."""
    tr = relais.tr
    try:
        parsed = rules.parse_record(text)
        placement = rules.find_placement(relais.db, parsed.proposal_id, parsed.outlet)
        outcome = rules.record(relais, user, placement, parsed.figures, force=parsed.force)
    except InputError as error:
        return ephemeral(*refusal_blocks(tr, error, who_can_for(relais, error.key)))
    if isinstance(outcome, NeedsConfirmation):
        return ephemeral(*lower_blocks(tr, outcome, relais.settings.tz))
    text = recorded_text(tr, outcome)
    return ephemeral(text)


def on_force(ack, body, action, context, respond):
    """ "Record anyway": the figures travel in the button; everything is checked again."""
    ack()
    relais = relais_of(context)
    tr = relais.tr
    user = body["user"]["id"]
    try:
        data = json.loads(action.get("value") or "{}")
        figures = Figures(
            _figure(data["views"]),
            None if data.get("interactions") is None else _figure(data["interactions"]),
            None if data.get("avg") is None else _figure(data["avg"]),
        )
        placement_id = parse_id(data["placement"])
        placement = None if placement_id is None else proposal_rows.placement(relais.db, placement_id)
    except (ValueError, KeyError, TypeError, AttributeError):
        placement = None
    if placement is None:
        return respond(**ephemeral(tr("stats.error.gone")), replace_original=True)
    try:
        outcome = rules.record(relais, user, placement, figures, force=True)
    except InputError as error:
        return respond(**ephemeral(*refusal_blocks(tr, error, who_can_for(relais, error.key))), replace_original=True)
    assert not isinstance(outcome, NeedsConfirmation)  # forced: lower figures are recorded
    respond(**ephemeral(recorded_text(tr, outcome)), replace_original=True)


def _figure(value) -> int:
    """A figure carried by a button: a whole number within what /stats accepts, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(value)
    number = int(value)
    if not 0 <= number <= rules.MAX_FIGURE:
        raise ValueError(value)
    return number


# -- the modal --------------------------------------------------------------------------------
def open_awaiting(relais, ack, client, user: str, trigger_id: str | None, origin: str = "slash"):
    """The modal of every placement awaiting figures (the user's, or everyone's for the comms team)."""
    tr = relais.tr
    rows = rules.awaiting(relais, user)
    if not rows:
        return ack(**ephemeral(tr("stats.nothing_awaiting")))
    ack()
    client.views_open(trigger_id=trigger_id, view=record_modal(tr, rows, tz=relais.settings.tz, origin=origin))


def on_open(ack, body, action, context, client, respond):
    """A "record figures" button (stats reminders, App Home): value = a placement id, or "all"."""
    relais = relais_of(context)
    tr = relais.tr
    user = body["user"]["id"]
    placement_id = parse_id(action.get("value"))
    origin = "home" if (body.get("view") or {}).get("type") == "home" else "button"
    if placement_id is None:
        ack()
        rows = rules.awaiting(relais, user)
        if not rows:
            return tell(body, respond, client, tr("stats.nothing_awaiting"))
        return client.views_open(
            trigger_id=body["trigger_id"], view=record_modal(tr, rows, tz=relais.settings.tz, origin=origin)
        )
    ack()
    placement = proposal_rows.placement(relais.db, placement_id)
    try:
        if placement is None:
            raise InputError("stats.error.gone")
        rules.check_placement(placement, user, relais.settings.is_comms(user))
    except InputError as error:
        return tell(body, respond, client, error_text(tr, error) + who_can_for(relais, error.key))
    rows = stats_rows.published(relais.db, placement_ids=[placement["id"]])
    client.views_open(trigger_id=body["trigger_id"], view=record_modal(tr, rows, tz=relais.settings.tz, origin=origin))


def on_submit(ack, body, view, context, client):
    relais = relais_of(context)
    tr = relais.tr
    db = relais.db
    user = body["user"]["id"]
    meta = json.loads(view.get("private_metadata") or "{}")
    values = (view.get("state") or {}).get("values") or {}
    force = modal_force(values)
    errors: dict[str, str] = {}
    items = []
    listed = meta.get("placements")  # ours (record_modal), but read defensively: ids only
    placements = [
        p
        for p in (listed if isinstance(listed, list) else [])
        if isinstance(p, int) and not isinstance(p, bool) and 0 < p < 2**62
    ]
    for pid in placements:
        views, interactions, time = modal_values(values, pid)
        if not (views or interactions or time):
            continue
        figures: dict[str, int | None] = {"interactions": None}  # interactions and time may stay empty: unknown, not 0
        for name, text in (("views", views), ("interactions", interactions)):
            if not text:
                if name == "views":
                    errors[f"views-{pid}"] = tr("stats.error.views_needed")
                continue
            try:
                figures[name] = rules.parse_number(text)
            except InputError as error:
                errors[f"{name}-{pid}"] = error_text(tr, error)
        avg = None
        if time:
            try:
                avg = rules.parse_duration(time)
            except InputError as error:
                errors[f"time-{pid}"] = error_text(tr, error)
        placement = proposal_rows.placement(db, pid)
        if placement is None:
            errors[f"views-{pid}"] = tr("stats.error.gone")
        elif (views_count := figures.get("views")) is not None and f"interactions-{pid}" not in errors:
            items.append((placement, Figures(views_count, figures["interactions"], avg)))
    if not items and not errors and placements:
        errors[f"views-{placements[0]}"] = tr("stats.error.nothing")
    if errors:
        return ack(response_action="errors", errors=errors)
    if not items:  # a form listing nothing: it just closes
        return ack()

    planned = []

    def confirm_by_dm(db, snapshot_ids):
        key = f"stats-recorded:{snapshot_ids[0]}"
        now = relais.clock.now()
        if outbox_rows.plan(
            db, key=key, kind="stats_recorded", due_at=now, target=user, now=now, payload={"snapshots": snapshot_ids}
        ):
            planned.append(key)

    problems, _recorded = rules.record_all(relais, user, items, force=force, also=confirm_by_dm)
    if problems:
        for pid, problem in problems.items():
            if isinstance(problem, NeedsConfirmation):
                previous = problem.previous
                errors[f"{problem.lower[0]}-{pid}"] = tr(
                    "stats.error.lower_modal",
                    previous=figures_text(tr, previous["views"], previous["interactions"], previous["avg_seconds"]),
                )
            else:
                errors[f"views-{pid}"] = error_text(tr, problem)
        return ack(response_action="errors", errors=errors)
    ack()
    outbox.deliver_in_background(relais, planned)
    if meta.get("origin") == "home":
        publish_home(relais, client, user)


# -- reports and export -----------------------------------------------------------------------
def _period(relais, text: str, default: str):
    today = relais.clock.today()
    starts = [date.fromisoformat(e["start"]) for e in calendar_rows.events(relais.db, kind="term-start", until=today)]
    return parse_period(text, today, starts, default=default)


def report(relais, ack, user: str, text: str, trigger_id: str | None):
    """The report, ephemeral; its chart (when there are figures) goes to the user's DMs after the ack,
    an outbox row like the export's."""
    tr = relais.tr
    if not relais.settings.is_comms(user):
        return ack(**ephemeral(tr("common.not_comms", action=tr("stats.action.report")) + who_can(relais)))
    first, rest = split_subcommand(text)
    if first in YEAR_WORDS:
        return year(relais, ack, user, rest, trigger_id)
    try:
        period = _period(relais, text, "term")
    except InputError as error:
        return ack(**ephemeral(tr("reports.refused", problem=error_text(tr, error))))
    result = build_report(stats_rows.iter_report_rows(relais.db, period.start, period.end), period)
    blocks = report_blocks(tr, result)
    if not result.days:
        return ack(**ephemeral(tr("reports.fallback", period=period_label(tr, period)), blocks))
    blocks.append(context(tr("chart.report.coming")))
    key = _plan_file(relais, "stats_report_chart", "stats-report-chart", user, period, trigger_id)
    ack(**ephemeral(tr("reports.fallback", period=period_label(tr, period)), blocks))
    outbox.deliver_in_background(relais, [key])


def year(relais, ack, user: str, text: str, trigger_id: str | None):
    """`/stats report year [YYYY] [civile]`: the evidence, ephemeral; its chart by DM (an outbox row)."""
    tr = relais.tr
    try:
        period = parse_year(text, relais.clock.today())
    except InputError as error:
        return ack(**ephemeral(tr("reports.refused", problem=error_text(tr, error))))
    result = year_report(stats_rows.iter_report_rows(relais.db, period.start, period.end), period)
    blocks = year_blocks(tr, result)
    fallback = tr("reports.year.title", period=year_label(tr, period))
    if not result.pairs:
        return ack(**ephemeral(fallback, blocks))
    blocks.append(context(tr("reports.year.coming")))
    key = _plan_file(relais, "stats_year_chart", "stats-year-chart", user, period, trigger_id)
    ack(**ephemeral(fallback, blocks))
    outbox.deliver_in_background(relais, [key])


def _plan_file(relais, kind: str, prefix: str, user: str, period, trigger_id: str | None, **extra) -> str:
    """An outbox row owing `user` a file of `period` by DM; its key."""
    now = relais.clock.now()
    key = f"{prefix}:{user}:{trigger_id or to_text(now)}"
    db = relais.db
    with db.atomic():
        outbox_rows.plan(
            db,
            key=key,
            kind=kind,
            due_at=now,
            target=user,
            now=now,
            payload={
                "kind": period.kind,
                "since": period.start.isoformat() if period.start else None,
                "until": period.end.isoformat() if period.end else None,
                **extra,
            },
        )
    return key


def export(relais, ack, user: str, text: str, trigger_id: str | None):
    """The CSV goes to the user's DMs after the ack (an outbox row: retried if Slack is away)."""
    tr = relais.tr
    if not relais.settings.is_comms(user):
        return ack(**ephemeral(tr("common.not_comms", action=tr("stats.action.export")) + who_can(relais)))
    words = text.split()
    fmt = next((w.lower() for w in words if w.lower() in FORMATS), "xlsx")
    try:
        period = _period(relais, " ".join(w for w in words if w.lower() not in FORMATS), "all")
    except InputError as error:
        return ack(**ephemeral(tr("reports.refused", problem=error_text(tr, error))))
    key = _plan_file(relais, "stats_export", "stats-export", user, period, trigger_id, format=fmt)
    started = "xlsx.started" if fmt == "xlsx" else "stats.export.started"
    ack(**ephemeral(tr(started, period=escape(period_label(tr, period)))))
    outbox.deliver_in_background(relais, [key])

"""What /stats shows: the figures modal, the answers to a recording, and the two outbox kinds it
sends (`stats_recorded`: the modal's confirmation by DM; `stats_export`: the CSV file by DM).

Listed in bot.features.MODULES so every process that sends can render these rows.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from bot import outbox
from bot.blocks import (
    actions,
    button,
    context,
    escape,
    fit_blocks,
    input_block,
    modal,
    section,
    text_input,
)
from bot.clock import from_text
from bot.stats.chart import reach_chart
from bot.stats.figures import (
    Comparison,
    Figures,
    InputError,
    NeedsConfirmation,
    Recorded,
    compare,
)
from bot.stats.reports import (
    Period,
    build_report,
    period_label,
    report_bars,
    year_chart,
    year_report,
    year_summary,
)
from bot.stats.spreadsheet import export_counted, export_filename
from storage import proposals as proposal_rows
from storage import stats as stats_rows

CALLBACK = "stats_record"
MAX_MODAL_PLACEMENTS = 15  # 4 blocks each, Slack allows 100 in a modal


# -- words ------------------------------------------------------------------------------------
def figures_text(tr, views: int, interactions: int | None, avg_seconds: int | None = None) -> str:
    """Views, interactions ("n. d." when unknown), and the average time when known."""
    if interactions is None:
        text = tr("stats.figures_views", views=tr.plural("stats.views", views))
    else:
        text = tr(
            "stats.figures",
            views=tr.plural("stats.views", views),
            interactions=tr.plural("stats.interactions", interactions),
        )
    if avg_seconds is not None:
        text += tr("stats.avg_time", time=tr.duration(avg_seconds))
    return text


def error_text(tr, error: InputError) -> str:
    params = dict(error.params)
    if "status" in params:
        params["status"] = tr("propose.status." + params["status"])
    for name in ("value", "word", "slug", "text", "placed"):
        if name in params:
            params[name] = escape(str(params[name]))
    if params.get("placed") == "":
        params["placed"] = tr("common.none")
    return tr(error.key, **params)


def refusal_blocks(tr, error: InputError, who_can: str = "") -> tuple[str, list[dict]]:
    """The refusal and the right form; `who_can` (mrkdwn) follows a refusal for lack of rights."""
    text = tr("stats.refused", problem=error_text(tr, error)) + who_can
    return text, [section(text), context(tr("stats.form_hint"))]


def comparison_text(tr, found: Comparison | None) -> str:
    if found is None:
        return ""
    return tr(
        "stats.compare",
        university=escape(found.university["outlet_name"]),
        university_views=tr.plural("stats.views", found.university["views"]),
        library=escape(found.library["outlet_name"]),
        library_views=tr.plural("stats.views", found.library["views"]),
        ratio=tr.number(found.ratio, 1),
    )


def recorded_text(tr, recorded: Recorded) -> str:
    p = recorded.placement
    f = recorded.figures
    text = tr(
        "stats.recorded",
        number=p["proposal_id"],
        title=escape(p["proposal_title"]),
        outlet=escape(p["outlet_name"]),
        figures=figures_text(tr, f.views, f.interactions, f.avg_seconds),
    )
    compared = comparison_text(tr, recorded.comparison)
    return text + ("\n" + compared if compared else "")


def lower_blocks(tr, pending: NeedsConfirmation, tz) -> tuple[str, list[dict]]:
    previous = pending.previous
    day = from_text(previous["recorded_at"]).astimezone(tz).date()
    text = tr(
        "stats.lower",
        number=pending.placement["proposal_id"],
        outlet=escape(pending.placement["outlet_name"]),
        fields=", ".join(tr("stats.field." + name) for name in pending.lower),
        previous=figures_text(tr, previous["views"], previous["interactions"], previous["avg_seconds"]),
        day=tr.date(day, "medium"),
        figures=figures_text(tr, pending.figures.views, pending.figures.interactions, pending.figures.avg_seconds),
    )
    value = json.dumps(
        {
            "placement": pending.placement["id"],
            "views": pending.figures.views,
            "interactions": pending.figures.interactions,
            "avg": pending.figures.avg_seconds,
        }
    )
    return text, [
        section(text),
        actions([button(tr("stats.record_anyway"), "stats_force", value, style="primary")], block_id="stats-force"),
        context(tr("stats.lower_hint")),
    ]


# -- the modal --------------------------------------------------------------------------------
def record_modal(tr, rows: list[dict], *, tz, origin: str = "slash", total: int | None = None) -> dict:
    """One block of inputs per placement (rows: storage.stats.published rows). With a single
    placement its views are required; with several, a placement left empty is skipped. Interactions
    and time are always optional (left empty: unknown, the previous value stays current)."""
    shown = rows[:MAX_MODAL_PLACEMENTS]
    single = len(shown) == 1
    blocks = [context(tr("stats.modal.intro"))]
    for row in shown:
        pid = row["id"]
        if row.get("recorded_at"):
            last = tr(
                "stats.modal.last",
                figures=figures_text(tr, row["views"], row["interactions"], row["avg_seconds"]),
                day=tr.date(from_text(row["recorded_at"]).astimezone(tz).date(), "medium"),
            )
        else:
            last = tr("stats.modal.never")
        blocks.append(
            section(
                tr(
                    "stats.modal.placement",
                    number=row["proposal_id"],
                    title=escape(row["proposal_title"]),
                    outlet=escape(row["outlet_name"]),
                    day=tr.date(date.fromisoformat(row["published_on"]), "medium"),
                    last=last,
                ),
                block_id=f"head-{pid}",
            )
        )
        placeholder = tr.number(row["views"]) if row.get("recorded_at") else None
        blocks.append(
            input_block(
                f"views-{pid}",
                tr("stats.modal.views"),
                text_input(max_length=20, placeholder=placeholder),
                optional=not single,
            )
        )
        placeholder = tr.number(row["interactions"]) if row.get("interactions") is not None else None
        blocks.append(
            input_block(
                f"interactions-{pid}",
                tr("stats.modal.interactions"),
                text_input(max_length=20, placeholder=placeholder),
                optional=True,
            )
        )
        blocks.append(
            input_block(
                f"time-{pid}", tr("stats.modal.time"), text_input(max_length=12, placeholder="2:30"), optional=True
            )
        )
    more = (total if total is not None else len(rows)) - len(shown)
    if more > 0:
        blocks.append(context(tr.plural("stats.modal.more", more)))
    if any(row.get("recorded_at") for row in shown):  # only figures already recorded can go down
        blocks.append(
            input_block(
                "force",
                tr("stats.modal.force"),
                {
                    "type": "checkboxes",
                    "action_id": "value",
                    "options": [
                        {"text": {"type": "plain_text", "text": tr("stats.modal.force_option")}, "value": "force"}
                    ],
                },
                optional=True,
            )
        )
    metadata = {"placements": [row["id"] for row in shown], "origin": origin}
    return modal(CALLBACK, tr("stats.modal.title"), blocks, tr("common.submit"), tr("common.cancel"), metadata)


def modal_values(values: dict, placement_id: int) -> tuple[str, str, str]:
    def text(block: str) -> str:
        return ((values.get(block) or {}).get("value") or {}).get("value") or ""

    return text(f"views-{placement_id}"), text(f"interactions-{placement_id}"), text(f"time-{placement_id}")


def modal_force(values: dict) -> bool:
    return bool(((values.get("force") or {}).get("value") or {}).get("selected_options"))


# -- outbox kinds -----------------------------------------------------------------------------
def render_recorded(relais, row: dict, now: datetime) -> outbox.Post | None:
    """The modal's confirmation, by DM: each snapshot with its comparison, from the database as it is now."""

    tr = relais.tr
    db = relais.db
    lines = []
    for snapshot_id in outbox.payload(row).get("snapshots", []):
        snap = stats_rows.snapshot(db, snapshot_id)
        if snap is None:
            continue
        placement = proposal_rows.placement(db, snap["placement_id"])
        if placement is None:
            continue
        figures = Figures(snap["views"], snap["interactions"], snap["avg_seconds"])
        lines.append(
            recorded_text(
                tr, Recorded(placement, figures, snapshot_id, compare(db, placement["id"], placement["proposal_id"]))
            )
        )
    if not lines:
        return None
    return outbox.Post(
        channel=row["target"],
        dm=True,
        blocks=fit_blocks(
            [section(line) for line in lines], lambda left: context(tr("common.and_more", count=tr.number(left)))
        ),
        text=tr.plural("stats.recorded_dm", len(lines)),
    )


def render_export(relais, row: dict, now: datetime) -> outbox.Post | None:
    """The CSV file of the period, built at send time, uploaded in the user's DM."""

    tr = relais.tr
    data = outbox.payload(row)
    since = date.fromisoformat(data["since"]) if data.get("since") else None
    until = date.fromisoformat(data["until"]) if data.get("until") else None
    fmt = data.get("format", "csv")  # rows planned before the workbook existed were CSV
    content, rows = export_counted(relais.db, since, until, fmt, tr, relais.settings.tz)
    label = period_label(tr, Period(data.get("kind", "all"), since, until))
    name = export_filename(since, until, relais.clock.today(), fmt)
    return outbox.Post(
        channel=row["target"],
        dm=True,
        file=(name, content),
        text=tr(
            "xlsx.comment" if fmt == "xlsx" else "stats.export.comment", period=label, rows=tr.plural("csv.rows", rows)
        ),
    )


def render_report_chart(relais, row: dict, now: datetime) -> outbox.Post | None:
    """/stats report's chart of its period, drawn at send time from the figures as they are, in the user's DM."""

    tr = relais.tr
    data = outbox.payload(row)
    since = date.fromisoformat(data["since"]) if data.get("since") else None
    until = date.fromisoformat(data["until"]) if data.get("until") else None
    period = Period(data.get("kind", "all"), since, until)
    report = build_report(stats_rows.iter_report_rows(relais.db, since, until), period)
    png = reach_chart(tr, report_bars(tr, report))
    if png is None:
        raise outbox.Skip("no figures for the period any more")
    stamp = since.isoformat() if since else relais.clock.today().isoformat()
    return outbox.Post(
        channel=row["target"],
        dm=True,
        file=(f"{tr('chart.report.file')}-{stamp}.png", png),
        text=tr("chart.report.comment", period=period_label(tr, period)),
    )


def render_year_chart(relais, row: dict, now: datetime) -> outbox.Post | None:
    """The year report's chart, drawn at send time, with its short summary, in the user's DM."""

    tr = relais.tr
    data = outbox.payload(row)
    since, until = date.fromisoformat(data["since"]), date.fromisoformat(data["until"])
    report = year_report(stats_rows.iter_report_rows(relais.db, since, until), Period(data["kind"], since, until))
    png = year_chart(tr, report)
    if png is None:
        raise outbox.Skip("no proposal on both kinds of accounts any more")
    return outbox.Post(
        channel=row["target"],
        dm=True,
        file=(f"{tr('reports.year.file')}-{since.isoformat()}-{until.isoformat()}.png", png),
        text=year_summary(tr, report),
    )

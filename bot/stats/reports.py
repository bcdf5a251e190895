"""`/stats report`: what the figures say over a period, as plain functions over plain rows.

    period = parse_period("term", today, term_starts)       # Period(kind, start, end)
    report = build_report(rows, period)                      # rows: storage.stats.report_rows
    report.multipliers, report.median                        # the university's reach against the library's
    blocks = report_blocks(tr, report)                       # Block Kit, in the team's language

The reach multiplier: for each proposal published both on a university outlet and on a library
outlet (both with figures), the university's views (all its university placements) divided by
the library's views (all its library placements); the period's figure is the median of those.
"""

from __future__ import annotations

import calendar
import re
import statistics
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.blocks import context, divider, escape, header, section
from bot.stats.figures import InputError

PERIOD_WORDS = {
    "week": "week",
    "semaine": "week",
    "month": "month",
    "mois": "month",
    "term": "term",
    "session": "term",
    "trimestre": "term",
    "semester": "term",
    "all": "all",
    "tout": "all",
    "toutes": "all",
    "tous": "all",
}
DEFAULT_REPORT_PERIOD = "term"
TERM_FALLBACK_MONTHS = (1, 5, 9)  # Jan 1, May 1, Sept 1: when the calendar has no recent term start
TERM_MAX_DAYS = 183  # a term-start event older than this is not the current term's
TOP_POSTS = 5


@dataclass(frozen=True)
class Period:
    kind: str  # week | month | term | all (a YYYY-MM month is kind "month")
    start: date | None
    end: date | None


def term_start(today: date, term_starts: list[date]) -> date:
    """The current term's first day: the latest term-start event on or before today (if recent),
    otherwise the latest of Sept 1, Jan 1, May 1."""
    recent = [d for d in term_starts if d <= today and (today - d).days <= TERM_MAX_DAYS]
    if recent:
        return max(recent)
    month = max((m for m in TERM_FALLBACK_MONTHS if m <= today.month), default=None)
    return date(today.year, month, 1) if month else date(today.year - 1, TERM_FALLBACK_MONTHS[-1], 1)


def parse_period(
    text: str | None, today: date, term_starts: list[date] | None = None, default: str = DEFAULT_REPORT_PERIOD
) -> Period:
    """week (Monday to Sunday of this week), month (this month), term (its start to today),
    YYYY-MM, all. French words too (semaine, mois, session, tout). InputError when unknown."""
    word = (text or "").strip().lower() or default
    m = re.match(r"^(\d{4})-(\d{1,2})$", word)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12 or year < 1900:
            raise InputError("reports.error.period", value=text)
        return Period("month", date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))
    kind = PERIOD_WORDS.get(word)
    if kind == "week":
        monday = today - timedelta(days=today.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        return Period("month", today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1]))
    if kind == "term":
        return Period("term", term_start(today, term_starts or []), today)
    if kind == "all":
        return Period("all", None, None)
    raise InputError("reports.error.period", value=text)


# -- aggregation ------------------------------------------------------------------------------
@dataclass
class Line:
    """Totals for an outlet, a category, or everything."""

    key: str
    label: str = ""
    owner: str = ""
    posts: int = 0  # published placements
    with_figures: int = 0  # with views
    views: int = 0
    interactions: int = 0  # the sum of the known ones: an unknown count is left out, not taken as 0
    with_interactions: int = 0
    _time_total: int = field(default=0, repr=False)
    _time_count: int = field(default=0, repr=False)

    def add(self, row: dict) -> None:
        self.posts += 1
        if row.get("views") is not None:
            self.with_figures += 1
            self.views += row["views"]
            if row.get("interactions") is not None:
                self.interactions += row["interactions"]
                self.with_interactions += 1
            if row.get("avg_seconds") is not None:
                self._time_total += row["avg_seconds"]
                self._time_count += 1

    @property
    def avg_seconds(self) -> int | None:
        return round(self._time_total / self._time_count) if self._time_count else None

    @property
    def interactions_missing(self) -> int:
        """Publications with views whose interactions are unknown."""
        return self.with_figures - self.with_interactions

    @property
    def time_missing(self) -> int:
        """Publications with views whose average time is unknown."""
        return self.with_figures - self._time_count


@dataclass(frozen=True)
class Multiplier:
    proposal_id: int
    title: str
    university_views: int
    library_views: int
    university_outlets: tuple[str, ...]
    library_outlets: tuple[str, ...]

    @property
    def ratio(self) -> float:
        return self.university_views / self.library_views


@dataclass
class Report:
    period: Period
    total: Line
    outlets: list[Line]
    categories: list[Line]
    top: list[dict]
    multipliers: list[Multiplier]
    median: float | None

    @property
    def missing(self) -> int:
        return self.total.posts - self.total.with_figures


CATEGORY_ORDER = ("cyclic", "one-off", "collections")


def multipliers(rows: Iterable[dict]) -> list[Multiplier]:
    """One per proposal with figures on both sides and library views above zero, by proposal id."""
    by_proposal: dict[int, list] = {}
    for row in rows:
        _collect(by_proposal, row)
    return _multipliers(by_proposal)


_SIDES = {"university": 1, "library": 2}


def _collect(by_proposal: dict, row: dict) -> None:
    """What a multiplier needs of a row, as running sums: years of rows are read as a stream, not kept.
    by_proposal[id] = [title, university views, library views, university slugs, library slugs]."""
    side = _SIDES.get(row.get("outlet_owner"))
    if row.get("views") is None or side is None:
        return
    entry = by_proposal.get(row["proposal_id"])
    if entry is None:
        entry = by_proposal[row["proposal_id"]] = [row["proposal_title"], 0, 0, [], []]
    entry[side] += row["views"]
    entry[side + 2].append(sys.intern(row["outlet_slug"]))


def _multipliers(by_proposal: dict) -> list[Multiplier]:
    found = []
    for proposal_id, (title, uni_views, lib_views, uni, lib) in sorted(by_proposal.items()):
        if uni and lib and lib_views > 0:
            found.append(Multiplier(proposal_id, title, uni_views, lib_views, tuple(uni), tuple(lib)))
    return found


def _ranking(row: dict) -> tuple:
    return -row["views"], -(row.get("interactions") or 0), row["published_on"], row["id"]


def median_ratio(found: list[Multiplier]) -> float | None:
    return statistics.median(m.ratio for m in found) if found else None


def build_report(rows: Iterable[dict], period: Period, top: int = TOP_POSTS) -> Report:
    """rows: published placements of the period with proposal_id, proposal_title, proposal_category,
    outlet_slug, outlet_name, outlet_owner, outlet_position, published_on and current figures (views None: none yet).

    One pass over `rows`, which may be a stream (storage.stats.iter_report_rows): ten years of
    placements are added up, not held in memory."""
    total = Line("total")
    outlets: dict[str, Line] = {}
    categories: dict[str, Line] = {}
    position: dict[str, tuple] = {}
    ranked: list[dict] = []
    by_proposal: dict[int, list] = {}
    for row in rows:
        total.add(row)
        outlet = outlets.setdefault(
            row["outlet_slug"], Line(row["outlet_slug"], row.get("outlet_name") or "", row.get("outlet_owner") or "")
        )
        outlet.add(row)
        categories.setdefault(row["proposal_category"], Line(row["proposal_category"])).add(row)
        position[row["outlet_slug"]] = (row.get("outlet_position") or 0, row["outlet_slug"])
        if row.get("views") is not None:
            ranked.append(row)
            if len(ranked) > 4 * top + 64:  # keep the leaders only
                ranked.sort(key=_ranking)
                del ranked[top:]
        _collect(by_proposal, row)
    ranked.sort(key=_ranking)
    found = _multipliers(by_proposal)
    return Report(
        period=period,
        total=total,
        outlets=sorted(outlets.values(), key=lambda line: position[line.key]),
        categories=sorted(
            categories.values(),
            key=lambda line: (CATEGORY_ORDER.index(line.key) if line.key in CATEGORY_ORDER else 99, line.key),
        ),
        top=ranked[:top],
        multipliers=found,
        median=median_ratio(found),
    )


# -- rendering --------------------------------------------------------------------------------
def period_label(tr, period: Period) -> str:
    if period.kind == "all":
        return tr("reports.period.all")
    if period.kind == "week":
        return tr("reports.period.week", start=tr.date(period.start, "medium"))
    if period.kind == "term":
        return tr("reports.period.term", start=tr.date(period.start, "medium"))
    return tr("reports.period.month", month=tr.date(period.start, "month"))


def _figures(tr, line: Line) -> str:
    """Views, the known interactions (with how many are n. d.), the average of the known times (same)."""
    if line.with_interactions:
        text = tr(
            "reports.figures",
            views=tr.plural("stats.views", line.views),
            interactions=tr.plural("stats.interactions", line.interactions),
        )
        if line.interactions_missing:
            text += tr("reports.metric_missing", count=tr.number(line.interactions_missing))
    else:
        text = tr("reports.figures_views", views=tr.plural("stats.views", line.views))
    if line.avg_seconds is not None:
        text += tr("reports.avg_time", time=tr.duration(line.avg_seconds))
        if line.time_missing:
            text += tr("reports.metric_missing", count=tr.number(line.time_missing))
    if line.with_figures < line.posts:
        text += tr("reports.outlet_missing", count=tr.number(line.posts - line.with_figures))
    return text


def _row_figures(tr, row: dict) -> str:
    if row.get("interactions") is None:
        return tr("reports.figures_views", views=tr.plural("stats.views", row["views"]))
    return tr(
        "reports.figures",
        views=tr.plural("stats.views", row["views"]),
        interactions=tr.plural("stats.interactions", row["interactions"]),
    )


def report_blocks(tr, report: Report, max_multipliers: int = 10) -> list[dict]:
    blocks = [header(tr("reports.title", period=period_label(tr, report.period)))]
    if not report.total.posts:
        blocks.append(section(tr("reports.empty")))
        return blocks
    summary = tr(
        "reports.summary",
        posts=tr.number(report.total.posts),
        views=tr.number(report.total.views),
        interactions=tr.number(report.total.interactions)
        if report.total.with_interactions
        else tr("stats.interactions_unknown"),
    )
    if report.missing:
        summary += "\n" + tr.plural("reports.missing", report.missing)
    if report.total.interactions_missing:
        summary += "\n" + tr.plural("reports.missing_interactions", report.total.interactions_missing)
    if report.total.avg_seconds is not None and report.total.time_missing:
        summary += "\n" + tr.plural("reports.missing_time", report.total.time_missing)
    blocks.append(section(summary))

    # The reach multiplier first: it is why the team collects the figures.
    if report.multipliers:
        lines = [
            tr(
                "reports.multiplier_line",
                number=m.proposal_id,
                title=escape(m.title),
                university=tr.plural("stats.views", m.university_views),
                library=tr.plural("stats.views", m.library_views),
                ratio=tr.ratio(m.ratio),
            )
            for m in report.multipliers[:max_multipliers]
        ]
        if len(report.multipliers) > max_multipliers:
            lines.append(tr("common.and_more", count=len(report.multipliers) - max_multipliers))
        blocks.append(
            section(
                tr(
                    "reports.multiplier_title",
                    median=tr.ratio(report.median),
                    proposals=tr.plural("reports.proposals", len(report.multipliers)),
                )
                + "\n"
                + "\n".join(lines)
            )
        )
    else:
        blocks.append(section(tr("reports.no_multiplier")))

    blocks.append(divider())
    outlet_lines = [
        tr(
            "reports.outlet_line",
            name=escape(line.label or line.key),
            side=tr("reports.side." + line.owner) if line.owner else "",
            posts=tr.plural("stats.posts", line.posts),
            figures=_figures(tr, line),
        )
        for line in report.outlets
    ]
    blocks.append(section(tr("reports.by_outlet") + "\n" + "\n".join(outlet_lines)))
    category_lines = [
        tr(
            "reports.category_line",
            category=tr("reports.category." + line.key) if line.key in CATEGORY_ORDER else escape(line.key),
            posts=tr.plural("stats.posts", line.posts),
            figures=_figures(tr, line),
        )
        for line in report.categories
    ]
    blocks.append(section(tr("reports.by_category") + "\n" + "\n".join(category_lines)))

    if report.top:
        top_lines = [
            tr(
                "reports.top_line",
                rank=rank,
                number=row["proposal_id"],
                title=escape(row["proposal_title"]),
                outlet=escape(row.get("outlet_name") or row["outlet_slug"]),
                day=tr.date(date.fromisoformat(row["published_on"]), "medium"),
                figures=_row_figures(tr, row),
            )
            for rank, row in enumerate(report.top, 1)
        ]
        blocks.append(section(tr("reports.top") + "\n" + "\n".join(top_lines)))
    blocks.append(context(tr("reports.footer")))
    return blocks

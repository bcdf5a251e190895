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
from pathlib import Path

from bot.blocks import (
    MAX_FALLBACK,
    MAX_MESSAGE_CHARS,
    context,
    divider,
    escape,
    escape_cut,
    fit_lines,
    header,
    message_chars,
    section,
    sections,
)
from bot.errors import EXIT_CONFIG
from bot.stats.chart import ReachBars, pairs_chart
from bot.stats.figures import InputError
from storage import stats as stats_rows

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
TITLE_SHOWN = 200  # characters of a title in the report's lines, once escaped (n° N names the proposal)


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
    days: dict[str, list[int]] = field(default_factory=dict)  # published_on -> [university views, library views]

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
    side = _SIDES.get(row.get("outlet_owner", ""))
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
    days: dict[str, list[int]] = {}
    for row in rows:
        total.add(row)
        side = _SIDES.get(row.get("outlet_owner", ""))
        if side is not None and row.get("views") is not None:
            days.setdefault(row["published_on"], [0, 0])[side - 1] += row["views"]
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
        days=days,
    )


# -- the chart ----------------------------------------------------------------------------------
WEEKLY_UP_TO = 16 * 7  # a period up to 16 weeks is drawn by week, up to 24 months by month, then by year
MONTHLY_UP_TO = 24


def chart_slots(report: Report) -> tuple[str, list[tuple[date, int, int]]]:
    """The report's views bucketed for its chart: ("week" | "month" | "year", [(first day, university, library)]),
    every slot of the span present (zeros included) so the time axis is regular."""
    if not report.days:
        return "week", []
    known = sorted(date.fromisoformat(day) for day in report.days)
    first = report.period.start or known[0]
    last = report.period.end or known[-1]
    last = max(last, known[-1])
    if (last - first).days < WEEKLY_UP_TO:
        unit = "week"
    elif (last.year - first.year) * 12 + last.month - first.month < MONTHLY_UP_TO:
        unit = "month"
    else:
        unit = "year"

    def slot(day: date) -> date:
        if unit == "week":
            return day - timedelta(days=day.weekday())
        if unit == "month":
            return day.replace(day=1)
        return date(day.year, 1, 1)

    slots: dict[date, list[int]] = {}
    cursor = slot(first)
    while cursor <= last:
        slots[cursor] = [0, 0]
        if unit == "week":
            cursor += timedelta(days=7)
        elif unit == "month":
            cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        else:
            cursor = date(cursor.year + 1, 1, 1)
    for day, (university, library) in report.days.items():
        totals = slots.setdefault(slot(date.fromisoformat(day)), [0, 0])
        totals[0] += university
        totals[1] += library
    return unit, [(start, u, lib) for start, (u, lib) in sorted(slots.items())]


def slot_label(tr, unit: str, start: date) -> str:
    if unit == "week":
        return tr.date(start, "short")
    if unit == "month":
        return tr.date(start, "month")
    return str(start.year)


def report_bars(tr, report: Report) -> ReachBars:
    """What /stats report's chart draws: the period's views by slot, and the median multiplier."""
    unit, slots = chart_slots(report)
    multiplier = ""
    if report.median is not None:
        multiplier = tr("chart.multiplier.median", times=tr.number(report.median, 1))
    return ReachBars(
        title=tr("chart.report.title", period=period_label(tr, report.period)),
        labels=tuple(slot_label(tr, unit, start) for start, _u, _l in slots),
        university=tuple(u for _s, u, _l in slots),
        library=tuple(lib for _s, _u, lib in slots),
        multiplier=multiplier,
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


REPORT_ROOM = MAX_MESSAGE_CHARS - MAX_FALLBACK - 600  # what the handler adds (the chart's line) included
LIST_RESERVE = 1500  # characters kept for each list still to come (outlets, categories, top posts)


def report_blocks(tr, report: Report, max_multipliers: int = 10) -> list[dict]:
    """The report, within one message: sections split between lines, and each list (multipliers, outlets,
    categories, top posts) cut, when the message would be too long, with a line saying how many more."""
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
    blocks += sections(summary)

    def listed(title: str, lines: list[str], still_to_come: int) -> list[dict]:
        room = REPORT_ROOM - message_chars(blocks) - still_to_come * LIST_RESERVE - len(title) - 1
        shown = fit_lines(lines, room, lambda left: tr("common.and_more", count=tr.number(left)))
        return sections(title + "\n" + "\n".join(shown))

    # The reach multiplier first: it is why the team collects the figures.
    if report.multipliers:
        lines = [
            tr(
                "reports.multiplier_line",
                number=m.proposal_id,
                title=escape_cut(m.title, TITLE_SHOWN),
                university=tr.plural("stats.views", m.university_views),
                library=tr.plural("stats.views", m.library_views),
                ratio=tr.number(m.ratio, 1),
            )
            for m in report.multipliers[:max_multipliers]
        ]
        if len(report.multipliers) > max_multipliers:
            lines.append(tr("common.and_more", count=len(report.multipliers) - max_multipliers))
        title = tr(
            "reports.multiplier_title",
            median=tr.number(report.median, 1),
            proposals=tr.plural("reports.proposals", len(report.multipliers)),
        )
        blocks += listed(title, lines, 3)
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
    blocks += listed(tr("reports.by_outlet"), outlet_lines, 2)
    category_lines = [
        tr(
            "reports.category_line",
            category=tr("propose.category." + line.key) if line.key in CATEGORY_ORDER else escape(line.key),
            posts=tr.plural("stats.posts", line.posts),
            figures=_figures(tr, line),
        )
        for line in report.categories
    ]
    blocks += listed(tr("reports.by_category"), category_lines, 1 if report.top else 0)

    if report.top:
        top_lines = [
            tr(
                "reports.top_line",
                rank=rank,
                number=row["proposal_id"],
                title=escape_cut(row["proposal_title"], TITLE_SHOWN),
                outlet=escape(row.get("outlet_name") or row["outlet_slug"]),
                day=tr.date(date.fromisoformat(row["published_on"]), "medium"),
                figures=_row_figures(tr, row),
            )
            for rank, row in enumerate(report.top, 1)
        ]
        blocks += listed(tr("reports.top"), top_lines, 0)
    blocks.append(context(tr("reports.footer")))
    return blocks


# -- the year report: the strategy's evidence ---------------------------------------------------
YEAR_WORDS = ("year", "année", "annee", "an")
CALENDAR_WORDS = ("civile", "civil", "calendar", "--calendar")
ACADEMIC_START_MONTH = 9  # the academic year runs from September to August


def year_period(year: int | None, today: date, calendar_year: bool = False) -> Period:
    """The academic year that starts in September of `year` (default: the one under way), or with
    `calendar_year` the calendar year `year` (default: this one)."""
    if calendar_year:
        year = year or today.year
        return Period("calendar-year", date(year, 1, 1), date(year, 12, 31))
    if year is None:
        year = today.year if today.month >= ACADEMIC_START_MONTH else today.year - 1
    return Period("year", date(year, ACADEMIC_START_MONTH, 1), date(year + 1, ACADEMIC_START_MONTH - 1, 31))


def parse_year(text: str, today: date) -> Period:
    """`[YYYY | YYYY-YYYY] [civile|calendar]` after `year`: InputError when it is neither."""
    words = [w.lower() for w in text.split()]
    calendar_year = any(w in CALENDAR_WORDS for w in words)
    rest = [w for w in words if w not in CALENDAR_WORDS]
    if len(rest) > 1:
        raise InputError("reports.error.year", value=text)
    year = None
    if rest:
        m = re.match(r"^(\d{4})(?:[-/](\d{4}))?$", rest[0])
        if not m or (m.group(2) and (int(m.group(2)) != int(m.group(1)) + 1 or calendar_year)):
            raise InputError("reports.error.year", value=text)
        year = int(m.group(1))
        if not 1900 <= year <= 9998:
            raise InputError("reports.error.year", value=text)
    return year_period(year, today, calendar_year)


@dataclass(frozen=True)
class PlatformReach:
    platform: str
    pairs: int
    median: float
    pooled: float


@dataclass
class YearReport:
    period: Period
    pairs: list[Multiplier]  # proposals published on both kinds of accounts, with figures on both
    median: float | None
    pooled: float | None  # all their university views ÷ all their library views
    platforms: list[PlatformReach]
    university_views: int  # every university publication of the year
    library_same_posts: int  # what the library's own accounts earned (or would have) for those posts
    estimated_views: int  # the part of library_same_posts that is an estimate (posts not on the library's accounts)
    unpaired_posts: int  # university publications of proposals the library did not post itself

    @property
    def brought(self) -> int:
        return self.university_views - self.library_same_posts


def year_report(rows: Iterable[dict], period: Period) -> YearReport:
    """rows: storage.stats.iter_report_rows of the period. The library's views for the university's
    posts it did not publish itself are estimated with the median multiplier of their platform (the
    overall median when the platform has no pair)."""
    by_proposal: dict[int, list] = {}
    per_platform: dict[tuple[int, str], list[int]] = {}  # (proposal, platform) -> [university, library]
    uni_by_proposal: dict[int, dict[str, int]] = {}  # proposal -> platform -> university views
    university_views = 0
    for row in rows:
        _collect(by_proposal, row)
        side = _SIDES.get(row.get("outlet_owner", ""))
        if row.get("views") is None or side is None:
            continue
        platform = row.get("outlet_platform") or row["outlet_slug"]
        per_platform.setdefault((row["proposal_id"], platform), [0, 0])[side - 1] += row["views"]
        if side == 1:
            university_views += row["views"]
            by = uni_by_proposal.setdefault(row["proposal_id"], {})
            by[platform] = by.get(platform, 0) + row["views"]
    pairs = _multipliers(by_proposal)
    paired = {m.proposal_id for m in pairs}
    median = median_ratio(pairs)
    pooled = sum(m.university_views for m in pairs) / sum(m.library_views for m in pairs) if pairs else None
    platforms = []
    for platform in sorted({p for (_id, p) in per_platform}):
        both = [
            (u, lib) for (pid, p), (u, lib) in per_platform.items() if p == platform and u and lib and pid in paired
        ]
        if both:
            platforms.append(
                PlatformReach(
                    platform,
                    len(both),
                    statistics.median(u / lib for u, lib in both),
                    sum(u for u, _ in both) / sum(lib for _, lib in both),
                )
            )
    by_platform = {p.platform: p.median for p in platforms}
    library_same = sum(m.library_views for m in pairs)
    estimated = 0.0
    unpaired = 0
    for proposal_id, views in uni_by_proposal.items():
        if proposal_id in paired:
            continue
        for platform, uni in views.items():
            unpaired += 1
            ratio = by_platform.get(platform, median)
            if ratio:
                estimated += uni / ratio
    return YearReport(
        period=period,
        pairs=pairs,
        median=median,
        pooled=pooled,
        platforms=platforms,
        university_views=university_views,
        library_same_posts=library_same + round(estimated),
        estimated_views=round(estimated),
        unpaired_posts=unpaired if median else 0,
    )


def year_label(tr, period: Period) -> str:
    assert period.start is not None and period.end is not None  # a year has both ends
    if period.kind == "calendar-year":
        return tr("reports.year.calendar", year=period.start.year)
    return tr("reports.year.academic", first=period.start.year, last=period.end.year)


def year_summary(tr, report: YearReport) -> str:
    """The short text that goes with the chart (and the CLI's first line)."""
    label = year_label(tr, report.period)
    if not report.pairs:
        return tr("reports.year.no_pairs", period=label)
    return tr(
        "reports.year.summary",
        period=label,
        median=tr.number(report.median, 1),
        pooled=tr.number(report.pooled, 1),
        count=tr.number(len(report.pairs)),
    )


def brought_text(tr, report: YearReport) -> str:
    key = "reports.year.brought_estimate" if report.estimated_views else "reports.year.brought"
    return tr(
        key,
        university=tr.number(report.university_views),
        library=tr.number(report.library_same_posts),
        brought=tr.number(report.brought),
        estimated=tr.number(report.estimated_views),
    )


def year_lines(tr, report: YearReport, escape_text=escape) -> list[str]:
    """The report as lines of text (mrkdwn): summary, each pair, per platform, what the strategy brought."""
    lines = [year_summary(tr, report)]
    if not report.pairs:
        return lines
    for m in report.pairs:
        lines.append(
            tr(
                "reports.multiplier_line",
                number=m.proposal_id,
                title=escape_text(m.title),
                university=tr.plural("stats.views", m.university_views),
                library=tr.plural("stats.views", m.library_views),
                ratio=tr.number(m.ratio, 1),
            )
        )
    lines.append(tr("reports.year.by_platform"))
    for p in report.platforms:
        lines.append(
            tr(
                "reports.year.platform_line",
                platform=p.platform.capitalize() if p.platform != "x" else "X",
                median=tr.number(p.median, 1),
                pooled=tr.number(p.pooled, 1),
                count=tr.number(p.pairs),
            )
        )
    lines.append(brought_text(tr, report))
    return lines


def year_blocks(tr, report: YearReport, max_pairs: int = 20) -> list[dict]:
    blocks = [header(tr("reports.year.title", period=year_label(tr, report.period)))]
    lines = year_lines(tr, report, escape_text=lambda text: escape_cut(text, TITLE_SHOWN))
    blocks += sections(lines[0])
    if not report.pairs:
        return blocks
    pairs = lines[1 : 1 + len(report.pairs)]
    shown = pairs[:max_pairs]
    if len(pairs) > max_pairs:
        shown.append(tr("common.and_more", count=len(pairs) - max_pairs))
    rest = lines[1 + len(report.pairs) :]
    room = REPORT_ROOM - message_chars(blocks) - sum(len(line) + 1 for line in rest) - 300
    blocks += sections("\n".join(fit_lines(shown, room, lambda left: tr("common.and_more", count=tr.number(left)))))
    blocks += sections("\n".join(rest[:-1]))
    blocks += sections(rest[-1])
    blocks.append(context(tr("reports.year.footer")))
    return blocks


def year_chart(tr, report: YearReport, fmt: str = "png") -> bytes | None:
    """The year report's chart (.png or .pdf), as the seed's slides; None without pairs."""
    if not report.pairs:
        return None
    label = year_label(tr, report.period)
    return pairs_chart(
        tr,
        report.pairs,
        tr("reports.year.chart_title", period=label),
        tr("reports.year.chart_subtitle", median=tr.number(report.median, 1)),
        fmt,
    )


def run_year_report(relais, args) -> int:
    """`python -m bot report --year YYYY [--calendar] -o FILE`: the summary printed, the chart written."""
    tr = relais.tr
    output = Path(args.output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf"):
        print(tr("reports.year.bad_output", path=args.output), file=sys.stderr)
        return EXIT_CONFIG
    try:
        period = parse_year(f"{args.year or ''} {'civile' if args.calendar else ''}", relais.clock.today())
    except InputError as error:
        print(tr(error.key, **error.params), file=sys.stderr)
        return EXIT_CONFIG
    report = year_report(stats_rows.iter_report_rows(relais.db, period.start, period.end), period)
    for line in year_lines(tr, report, escape_text=str):
        print(line.replace("*", ""))
    data = year_chart(tr, report, fmt)
    if data is None:
        return 1
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(data)
    print(tr("reports.year.written", path=args.output), file=sys.stderr)
    return 0


def configure_year_report(parser, tr) -> None:
    parser.add_argument("--year", metavar=tr("cli.metavar.year"), help=tr("cli.arg.report_year"))
    parser.add_argument("--calendar", action="store_true", help=tr("cli.arg.report_calendar"))
    parser.add_argument(
        "-o", "--output", required=True, metavar=tr("cli.metavar.file"), help=tr("cli.arg.report_output")
    )

"""Charts that show the gap: the university's channels against the library's own accounts.

    png = views_chart(series, tr)           # the digest's: views per week, last weeks (bot.digest.rules.ChartSeries)
    png = reach_chart(tr, bars)              # /stats report's: views per week, month or year of the period
    data = pairs_chart(tr, report, "pdf")    # the year report: each post's two figures side by side

The first two draw, per period, the university's views beside the library's on ONE scale (the
library's bar is as small as its reach is), the total written on each bar and the multiplier on
the chart. The year report puts each proposal's two figures on a logarithmic scale, so that both
read, with the figures and the multiplier written on them.

Drawn headless with matplotlib's Agg canvas (no pyplot, no display, no global state). 960×540
pixels: Slack previews an image at about half that, so the type is large.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

WIDTH, HEIGHT, DPI = 8.0, 4.5, 120
UNIVERSITY, LIBRARY = "#0072B2", "#E69F00"  # Okabe–Ito blue and orange: readable by colour-blind readers
GREY = "#555555"
MAX_PAIRS = 12  # posts drawn on the year report's chart (the highest university views)


@dataclass(frozen=True)
class ReachBars:
    """Views per period slot (a week, a month, a year), both sides, and the multiplier to write."""

    title: str
    labels: tuple[str, ...]
    university: tuple[int, ...]
    library: tuple[int, ...]
    multiplier: str = ""  # the sentence written on the chart ("" when there is none)

    @property
    def empty(self) -> bool:
        return not any(self.university) and not any(self.library)


def views_chart(series, tr) -> bytes | None:
    """A PNG of the digest's `series` (bot.digest.rules.ChartSeries): per week, the university's views
    beside the library's. None when there is nothing to draw."""
    if series is None or series.empty:
        return None
    sides = {"university": [0] * len(series.weeks), "library": [0] * len(series.weeks)}
    for _slug, _name, owner, values in series.outlets:
        totals = sides.get(owner, sides["library"])
        for i, value in enumerate(values):
            totals[i] += value
    reach = getattr(series, "reach", None)
    multiplier = ""
    if reach is not None and reach.multiplier is not None:
        multiplier = tr("chart.multiplier.pooled", times=tr.number(reach.multiplier, 1))
    bars = ReachBars(
        title=tr("chart.digest.title", weeks=len(series.weeks)),
        labels=tuple(tr.date(week, "short") for week in series.weeks),
        university=tuple(sides["university"]),
        library=tuple(sides["library"]),
        multiplier=multiplier,
    )
    return reach_chart(tr, bars)


def _figure(width: float = WIDTH, height: float = HEIGHT):
    import matplotlib  # heavy and optional: loaded only when a chart is drawn

    matplotlib.use("Agg", force=False)  # harmless when pyplot is never imported
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _save(figure, fmt: str = "png") -> bytes:
    out = io.BytesIO()
    metadata = {"Software": None} if fmt == "png" else {"Creator": None, "Producer": None, "CreationDate": None}
    figure.savefig(out, format=fmt, dpi=DPI, metadata=metadata)
    return out.getvalue()


def _style(ax, tr) -> None:
    from matplotlib.ticker import FuncFormatter  # heavy and optional: loaded only when a chart is drawn

    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="both", labelsize=11)
    ax.grid(axis="y", linewidth=0.5, alpha=0.5)
    ax.set_axisbelow(True)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: tr.number(value)))


def reach_chart(tr, bars: ReachBars) -> bytes | None:
    """A PNG: per slot, two bars (university, library) on one shared scale, each with its total written
    above it; the multiplier under the title. None when there is nothing to draw."""
    if bars.empty:
        return None
    from matplotlib.ticker import MaxNLocator  # heavy and optional: loaded only when a chart is drawn

    figure = _figure()
    ax = figure.subplots()
    count = len(bars.labels)
    positions = list(range(count))
    width = 0.4
    uni = ax.bar([p - width / 2 for p in positions], bars.university, width, color=UNIVERSITY)
    lib = ax.bar([p + width / 2 for p in positions], bars.library, width, color=LIBRARY)
    label_size = 10 if count <= 8 else 8
    for container in (uni, lib):
        ax.bar_label(
            container,
            labels=[tr.number(v) if v else "" for v in container.datavalues],
            fontsize=label_size,
            padding=2,
            color=GREY,
        )
    ax.set_xticks(positions, bars.labels, fontsize=11, rotation=0 if count <= 8 else 45, ha="center")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    _style(ax, tr)
    ax.set_ylabel(tr("chart.views"), fontsize=12)
    ax.margins(y=0.15)
    ax.legend(
        (uni, lib),
        (tr("chart.university"), tr("chart.library")),
        fontsize=11,
        frameon=False,
        loc="upper left",
        ncol=2,
    )
    figure.suptitle(bars.title, fontsize=15, fontweight="bold")
    if bars.multiplier:
        ax.set_title("\n".join(textwrap.wrap(bars.multiplier, 70)), fontsize=12, color=UNIVERSITY, fontweight="bold")
    return _save(figure)


def pairs_chart(tr, pairs, title: str, subtitle: str, fmt: str = "png") -> bytes | None:
    """The year report's chart, as the seed's slides: for each post (bot.stats.reports.Multiplier),
    its university views beside its library views on a logarithmic scale, figures on the bars and
    the multiplier above each pair. `fmt`: "png" or "pdf". None without pairs."""
    if not pairs:
        return None
    from matplotlib.ticker import FuncFormatter, LogLocator  # heavy and optional: loaded only when drawn

    shown = sorted(pairs, key=lambda m: (-m.university_views, m.proposal_id))[:MAX_PAIRS]
    shown.sort(key=lambda m: m.proposal_id)
    figure = _figure(10.0, 5.625)
    ax = figure.subplots()
    positions = list(range(len(shown)))
    width = 0.38
    uni = ax.bar([p - width / 2 for p in positions], [m.university_views for m in shown], width, color=UNIVERSITY)
    lib = ax.bar([p + width / 2 for p in positions], [m.library_views for m in shown], width, color=LIBRARY)
    ax.set_yscale("log")
    size = 10 if len(shown) <= 6 else 8
    for container in (uni, lib):
        ax.bar_label(container, labels=[tr.number(v) for v in container.datavalues], fontsize=size, padding=2)
    top = max(m.university_views for m in shown)
    ax.set_ylim(max(1, min(m.library_views for m in shown) / 3), top * 8)
    for p, m in zip(positions, shown, strict=True):
        ax.annotate(
            tr.ratio(m.ratio),
            (p, m.university_views * 2.6),
            ha="center",
            fontsize=size + 3,
            fontweight="bold",
            color=UNIVERSITY,
        )
    wrap = max(10, 90 // max(1, len(shown)))
    labels = [textwrap.shorten(m.title, 3 * wrap, placeholder="…") if len(shown) > 1 else m.title for m in shown]
    ax.set_xticks(positions, ["\n".join(textwrap.wrap(text, wrap)[:3]) for text in labels], fontsize=size)
    ax.yaxis.set_major_locator(LogLocator(base=10))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: tr.number(value)))
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(axis="y", labelsize=10)
    ax.grid(axis="y", linewidth=0.5, alpha=0.4)
    ax.set_axisbelow(True)
    ax.set_ylabel(tr("chart.views_log"), fontsize=11)
    ax.legend(
        (uni, lib),
        (tr("chart.university"), tr("chart.library")),
        fontsize=11,
        frameon=False,
        loc="upper right",
        ncol=2,
    )
    figure.suptitle(title, fontsize=15, fontweight="bold")
    ax.set_title(subtitle, fontsize=12, color=GREY)
    return _save(figure, fmt)

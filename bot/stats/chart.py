"""The digest's chart: views per outlet over the last weeks, the university's outlets beside the
library's own (two panels, each with its own scale: 19 279 views and 821 do not share an axis).

Drawn headless with matplotlib's Agg canvas (no pyplot, no display, no global state), small and
fast: a PNG of about 900×420 pixels.

    png = views_chart(series, tr)    # bytes, or None when there is nothing to draw
"""

from __future__ import annotations

import io

OWNERS = ("university", "library")
WIDTH, HEIGHT, DPI = 9.0, 4.2, 100
# Colour-blind-friendly (Okabe–Ito), then matplotlib's tab10 for larger outlet lists.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
)


def views_chart(series, tr) -> bytes | None:
    """A PNG of `series` (bot.digest.rules.ChartSeries): stacked bars of views per week, one colour per
    outlet, the university's outlets on the left and the library's on the right. None when empty."""
    if series is None or series.empty:
        return None
    import matplotlib  # heavy and optional: loaded only when a chart is drawn

    matplotlib.use("Agg", force=False)  # harmless when pyplot is never imported
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(1, 2)
    labels = [tr.date(week, "short") for week in series.weeks]
    positions = list(range(len(series.weeks)))
    colour = 0
    for ax, owner in zip(axes, OWNERS, strict=False):
        ax.set_title(tr(f"digest.chart.{owner}"), fontsize=10)
        bottoms = [0] * len(positions)
        drawn = False
        for _slug, name, outlet_owner, values in series.outlets:
            if outlet_owner != owner or not any(values):
                continue
            ax.bar(positions, values, bottom=bottoms, width=0.7, label=name, color=PALETTE[colour % len(PALETTE)])
            bottoms = [b + v for b, v in zip(bottoms, values, strict=False)]
            colour += 1
            drawn = True
        ax.set_xticks(positions, labels, fontsize=7, rotation=45, ha="right")
        ax.tick_params(axis="y", labelsize=7)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _pos: tr.number(value)))
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="y", linewidth=0.4, alpha=0.5)
        ax.set_axisbelow(True)
        if drawn:
            ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
        else:
            ax.set_ylim(0, 1)
            ax.text(
                0.5,
                0.5,
                tr("digest.chart.no_data"),
                transform=ax.transAxes,
                ha="center",
                va="center",
                fontsize=9,
                color="#777777",
            )
    axes[0].set_ylabel(tr("digest.chart.views"), fontsize=8)
    figure.suptitle(tr("digest.chart.title", weeks=len(series.weeks)), fontsize=11)
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()

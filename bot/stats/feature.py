"""What the stats feature contributes: `/stats`, App Home, the confirmation and export messages, and
`python -m bot export` / `import`."""

from __future__ import annotations

from bot.feature import Command, Feature
from bot.stats.reports import configure_year_report, run_year_report
from bot.stats.spreadsheet import (
    configure_export,
    configure_import,
    run_export,
    run_import,
)
from bot.stats.views import render_export, render_recorded, render_report_chart, render_year_chart
from handlers import home, stats

FEATURE = Feature(
    name="stats",
    renderers={
        "stats_recorded": render_recorded,
        "stats_export": render_export,
        "stats_report_chart": render_report_chart,
        "stats_year_chart": render_year_chart,
    },
    commands=(
        Command("export", run_export, configure_export),
        Command("import", run_import, configure_import),
        Command("report", run_year_report, configure_year_report),
    ),
    listeners=(stats.register, home.register),
)

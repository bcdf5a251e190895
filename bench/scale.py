"""One database, in one process: the cost of a scheduler tick, of the digest and of `/stats report`.

    python -m bench.scale DATABASE NOW API_URL     # prints one JSON object

The tick is measured as it runs every minute once the catch-up is done (nothing due: the common
case), after one catch-up tick at NOW (the day's card refresh, timed too). The digest is the one
in force at NOW, built from the database and rendered to Block Kit, as its renderer does when it
is sent. `/stats report` is the handler's own function (default period: the term; and `all`).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path


def timed(fn, repeat: int) -> dict:
    values = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        values.append((time.perf_counter() - started) * 1000)
    return {"median_ms": statistics.median(values), "max_ms": max(values), "n": repeat}


def measure(database: str, now_text: str, api_url: str) -> dict:
    from bot import features
    from bot.clock import parse_instant
    from bot.context import build
    from bot.digest import rules as digest
    from bot.digest.render import render
    from bot.runtime import jobs
    from bot.runtime.startup import prepare
    from bot.settings import load_settings
    from tests.processes import base_env

    env = base_env(Path(database).parent, api_url, DATABASE_PATH=database)
    settings = load_settings(env, env_file=Path(database).parent / "none.env")
    relais = build(settings, contributions=features.contributions())
    now = parse_instant(now_text, settings.tz)
    relais.clock.freeze(now)
    prepare(relais)
    from bot.stats.reports import build_report, parse_period, report_blocks
    from storage import calendar as calendar_rows
    from storage import stats as stats_rows

    def report_reply(relais, user: str, text: str) -> list[dict]:
        """What `/stats report` builds and renders (its chart is drawn later, at send time)."""
        today = relais.clock.today()
        starts = [
            date.fromisoformat(e["start"]) for e in calendar_rows.events(relais.db, kind="term-start", until=today)
        ]
        period = parse_period(text, today, starts, default="term")
        rows = stats_rows.iter_report_rows(relais.db, period.start, period.end)
        return report_blocks(relais.tr, build_report(rows, period))

    out: dict = {}
    started = time.perf_counter()
    sent = jobs.tick(relais, now)
    out["catch_up_tick"] = {"ms": (time.perf_counter() - started) * 1000, "sent": len(sent)}
    minute = [0]

    def tick():
        minute[0] += 1
        jobs.tick(relais, now + timedelta(minutes=minute[0]))

    tick()  # warm
    out["tick"] = timed(tick, 60)
    day = digest.current_day(now, settings.digest_weekday, settings.digest_time, settings.tz)
    built = digest.build(relais, day, now)
    out["digest_items"] = sum(len(s.items) for s in built.sections)
    out["digest"] = timed(lambda: render(digest.build(relais, day, now), relais.tr), 9)
    out["report_term"] = timed(lambda: report_reply(relais, "U0BIB0000", ""), 9)
    out["report_all"] = timed(lambda: report_reply(relais, "U0BIB0000", "all"), 3)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out["peak_memory_mb"] = int(line.split()[1]) / 1024
    relais.store.close()
    return out


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2], sys.argv[3])))

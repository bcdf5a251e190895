"""One database, in one process: the cost of a scheduler tick, of the digest and of `/stats report`.

    python -m bench.scale DATABASE NOW API_URL     # prints one JSON object

The tick is measured as the scheduler runs it every minute once the catch-up is done (nothing due: the
common case; the features' jobs run in their own threads), after one catch-up tick at NOW (the day's card
refresh, timed too). Then the same tick while a feed refresh runs in its job's thread: a feed whose server
answers after SLOW_FEED_DELAY seconds, and a feed of HUGE_FEED_EVENTS events (its parse shares the
interpreter with the tick), with the refresh's duration and the memory the process holds after it; and,
for comparison, a one-shot tick that runs the slow refresh inline (`python -m bot tick` does). The digest is the one
in force at NOW, built from the database and rendered to Block Kit, as its renderer does when it
is sent. `/stats report` is the handler's own function (default period: the term; and `all`).
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

SLOW_FEED_DELAY = 3.0  # seconds before the slow feed's server answers
HUGE_FEED_EVENTS = 10_000


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
        jobs.tick(relais, now + timedelta(minutes=minute[0]), with_jobs=False)  # as the scheduler ticks

    tick()  # warm
    out["tick"] = timed(tick, 60)
    day = digest.current_day(now, settings.digest_weekday, settings.digest_time, settings.tz)
    built = digest.build(relais, day, now)
    out["digest_items"] = sum(len(s.items) for s in built.sections)
    out["digest"] = timed(lambda: render(digest.build(relais, day, now), relais.tr), 9)
    out["report_term"] = timed(lambda: report_reply(relais, "U0BIB0000", ""), 9)
    out["report_all"] = timed(lambda: report_reply(relais, "U0BIB0000", "all"), 3)
    out["peak_memory_mb"] = memory_mb("VmHWM")
    out.update(feed_refreshes(relais, now + timedelta(minutes=minute[0] + 1), tick))
    relais.store.close()
    return out


def memory_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def huge_feed(events: int) -> bytes:
    """A feed of `events` one-day events over two years (a generator's export), each with a description."""
    from tests.test_feeds_server import ics

    start = date(2026, 1, 5)
    return ics(
        *(
            f"UID:bench-{n}@gen\nDTSTAMP:20261001T120000Z\n"
            f"DTSTART;VALUE=DATE:{start + timedelta(days=n % 700):%Y%m%d}\n"
            f"SUMMARY:Activité {n} de la bibliothèque\nCATEGORIES:Autre\nDESCRIPTION:{'Détails. ' * 20}"
            for n in range(events)
        )
    )


def feed_refreshes(relais, now, tick) -> dict:
    """The tick (`tick()`, as the scheduler runs it) timed while a refresh runs in its job's thread."""
    from bot.runtime import jobs
    from bot.settings import Feed
    from tests.test_feeds_server import FeedServer, ics

    server = FeedServer().start()
    settings = relais.settings
    (job,) = [j for j in relais.contributions.jobs if j.name == "calendar-feeds"]
    # an event that moves no deadline: what is timed is the refresh beside the tick, not a replan it causes
    event = (
        "UID:bench-event\nDTSTAMP:20261001T120000Z\nDTSTART;VALUE=DATE:20270301\nSUMMARY:Conférence\nCATEGORIES:Autre"
    )
    out: dict = {}
    try:
        for name, path, body, delay in (
            ("slow_feed", "/slow.ics", ics(event), SLOW_FEED_DELAY),
            ("huge_feed", "/huge.ics", huge_feed(HUGE_FEED_EVENTS), 0.0),
        ):
            relais.settings = replace(settings, calendar_feeds=(Feed(server.set(path, body, delay=delay)),))
            before = memory_mb("VmRSS")
            started = time.perf_counter()
            thread = threading.Thread(target=jobs.run_job, args=(relais, job, now), name="relais-job-bench")
            thread.start()
            while not server.arrivals(path) and thread.is_alive():
                time.sleep(0.001)
            values = []
            while thread.is_alive():
                began = time.perf_counter()
                tick()
                values.append((time.perf_counter() - began) * 1000)
                time.sleep(0.02)  # ticks back to back, leaving the refresh its share of the interpreter
            thread.join()
            out[f"tick_during_{name}"] = {
                "median_ms": statistics.median(values) if values else float("nan"),
                "max_ms": max(values, default=float("nan")),
                "n": len(values),
                "refresh_s": time.perf_counter() - started,
                "memory_kept_mb": memory_mb("VmRSS") - before,
            }
        # for comparison: a one-shot tick runs the refresh inline, so it waits for the slow feed
        relais.settings = replace(
            settings, calendar_feeds=(Feed(server.set("/slow-inline.ics", ics(event), delay=SLOW_FEED_DELAY)),)
        )
        began = time.perf_counter()
        jobs.tick(relais, now + timedelta(minutes=1))
        out["one_shot_tick_with_slow_feed_ms"] = (time.perf_counter() - began) * 1000
    finally:
        relais.settings = settings
        server.stop()
    return out


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], sys.argv[2], sys.argv[3])))

"""`make bench` — Relais measured, not asserted.

a. ack latency (p50, p99) of a one-line /propose, a one-line /stats and a card button over HTTP
   through the Procfile's web server, 1 and 20 concurrent clients, beside a bare Bolt app that
   only acks, served by the same server (waitress) in the same run; on a database holding a year
   of history (bench/generate.py);
b. the same while the Slack stand-in answers every Web API call after 2 s;
c. a tick, the digest build and `/stats report` at one and at ten years of generated data
   (bench/scale.py, one process per database), and the ratio between the two; the tick again while a
   feed refresh runs in its own thread (a slow feed, a huge one), and a one-shot tick that waits for it;
d. the web process's peak memory (VmHWM) and its start-up time to a first answered request
   (a signed slash command), on an empty database and on ten years of data;
e. the editorial calendar (GET /calendar.ics, its default window) served by the web process at one and ten
   years: time of a whole download, of a conditional GET answered 304 and of a HEAD, its size, and the
   process's memory above idle while it serves it (peak VmHWM, reset after start-up, minus VmRSS at idle).
   `python -m bench export` runs this section alone (and updates its figures in bench/results.json).

`python -m bench ack` runs a and b only (on a year of data), for a quick look at the acks.

Prints a table and writes bench/results.json. Bench data is generated (bench/generate.py) into
bench/data/ (gitignored; reused while the generator and the schema are unchanged), never committed.
Machine figures are noisy: they are reported as measured.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import requests

from bench.scale import HUGE_FEED_EVENTS, SLOW_FEED_DELAY
from bot.console.standin import SlackStandIn
from bot.proposals.rules import MAX_AHEAD_DAYS
from tests import slack
from tests.processes import (
    ROOT,
    SECRET,
    TEAM_CHANNEL,
    WebProcess,
    base_env,
    free_port,
    procfile_command,
)

RESULTS = ROOT / "bench" / "results.json"
DATA = ROOT / "bench" / "data"
NOW = "2026-12-01T10:00"
REQUESTS_PER_CLIENT = {1: 60, 20: 30}  # at twenty clients, p99 is the sixth slowest of 600
WARM_UP = 3
YEARS = (1, 10)
ACK_DATA_YEARS = 1  # the ack scenarios run on a database holding a year of history
CPU_CORES = os.environ.get("CPU_CORES") or "one"  # the web process's setting: `CPU_CORES=all make bench` for the other


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def load(url: str, make_body, clients: int, per_client: int) -> tuple[list[float], list[str]]:
    """`clients` threads each sending `per_client` signed requests; latencies in milliseconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    start = threading.Barrier(clients)

    def client(n: int) -> None:
        session = requests.Session()
        start.wait()
        for i in range(per_client):
            body = make_body(n, i)
            headers = slack.sign(SECRET, body)
            started = time.perf_counter()
            try:
                response = session.post(url + "/slack/events", data=body.encode(), headers=headers, timeout=30)
                status, text = response.status_code, response.text
            except requests.RequestException as error:
                status, text = 0, str(error)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if status != 200:
                    errors.append(f"{status} {text[:80]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    gc.collect()
    gc.disable()  # the load's own collections (the stand-in keeps every call) would stop its clients mid-request
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        gc.enable()
    return latencies, errors


class BareApp:
    """bench/bare_app.py under waitress, as the baseline."""

    def __init__(self, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.bare_app", str(self.port), SECRET],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=0.5).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("bare app did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_memory_mb(pid: int, field: str = "VmHWM") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak_memory(pid: int) -> bool:
    """Linux: VmHWM starts again from the current VmRSS (writing 5 to clear_refs), so the next peak read is
    that of what follows. False when the kernel refuses (the peak then includes start-up's)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


# -- data -------------------------------------------------------------------------------------
def _data_version() -> str:
    """Generated databases are reused while the generator, the schema and the config are unchanged."""
    digest = hashlib.sha256()
    for path in sorted(
        [
            ROOT / "bench" / "generate.py",
            *(ROOT / "storage").glob("*.py"),
            ROOT / "config" / "outlets.toml",
            ROOT / "config" / "calendar.toml",
        ]
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def dataset(years: int, env: dict) -> tuple[Path, dict]:
    from bench.generate import generate

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"relais-{years}y-{_data_version()}.db"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())
    for old in DATA.glob(f"relais-{years}y-*"):
        old.unlink()
    print(f"  generating {years} year(s) of data…", flush=True)
    counts = generate(path, years, NOW, env=env)
    meta.write_text(json.dumps(counts))
    return path, counts


def copy_of(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "relais.db"
    shutil.copyfile(source, target)
    return target


# -- the scenarios ----------------------------------------------------------------------------
def _propose_slots() -> list[tuple[date, str]]:
    """Publication days for the bench's proposals, none over a weekly quota: from the first week the generated
    data leaves free (it plans up to the end of January 2027) to the last whole week a date may be in
    (bot.proposals.rules.MAX_AHEAD_DAYS from NOW), each week's slots of the university's outlets (udem-x takes
    3 a week, udem-instagram-story 2, the others 1), on weekdays."""
    first = date(2027, 2, 1)
    last = date.fromisoformat(NOW[:10]) + timedelta(days=MAX_AHEAD_DAYS - 7)
    weeks = (last - first).days // 7
    outlets = ("udem-x",) * 3 + ("udem-instagram-story",) * 2
    outlets += ("udem-facebook", "udem-instagram", "udem-linkedin", "udem-nouvelles")
    return [(first + timedelta(weeks=w, days=n % 5), slug) for w in range(weeks) for n, slug in enumerate(outlets)]


PROPOSE_SLOTS = _propose_slots()


class Scenarios:
    """Request bodies for each scenario; the Relais side takes fresh seeded objects, the bare side
    gets the same shapes."""

    def __init__(self, seeded: dict, response_url):
        self.stats = seeded["stats"]
        self.buttons = list(seeded["buttons"])
        self.response_url = response_url
        self.figures = itertools.count(1000)
        self.slots = iter(PROPOSE_SLOTS)
        self.lock = threading.Lock()

    def propose(self, n: int, i: int, consume: bool = True) -> str:
        """A proposal Relais records (each in a free slot of its outlet's weekly quota, within the two years
        ahead a date may be); the bare app gets the same shape without using a slot."""
        with self.lock:
            day, outlet = next(self.slots) if consume else PROPOSE_SLOTS[0]
        return slack.slash_body(
            "/propose",
            f"Atelier bench {n}-{i} | {day.isoformat()} | {outlet}, bib-facebook",
            response_url=self.response_url(),
        )

    def stats_line(self, n: int, i: int) -> str:
        proposal, outlet = self.stats[n % len(self.stats)]
        value = next(self.figures)
        return slack.slash_body(
            "/stats", f"{proposal} {outlet} vues={value * 10} interactions={value}", response_url=self.response_url()
        )

    def button(self, n: int, i: int, consume: bool = True) -> str:
        with self.lock:
            placement, ts = self.buttons.pop() if consume and self.buttons else (0, "1796000000.000000")
        payload = slack.block_actions(
            "placement_submitted",
            f"{placement}:planned",
            channel=TEAM_CHANNEL,
            message_ts=ts,
            response_url=self.response_url(),
        )
        return slack.interaction_body(payload)

    def bodies(self, name: str, relais_side: bool):
        if name == "/propose line":
            return lambda n, i: self.propose(n, i, consume=relais_side)
        if name == "/stats line":
            return self.stats_line
        if name == "card button":
            return lambda n, i: self.button(n, i, consume=relais_side)
        raise KeyError(name)


SCENARIOS = ("/propose line", "/stats line", "card button")


def last_outbox_id(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]


def owed_after(database: Path, first: int, timeout: float = 20.0) -> float:
    """Seconds until the messages owed at once (cards, card updates) planned after outbox row `first` are sent
    (`timeout` at most: with Slack answering after 2 s, four senders post a burst of 300 cards in 150 s)."""
    started = time.perf_counter()
    with contextlib.closing(sqlite3.connect(database, timeout=10)) as conn:
        while time.perf_counter() - started < timeout:
            left = conn.execute(
                "SELECT count(*) FROM outbox WHERE id > ? AND status IN ('pending', 'sending') AND due_at <= created_at",
                [first],
            ).fetchone()[0]
            if not left:
                break
            time.sleep(0.02)
    return time.perf_counter() - started


def recorded_proposals(database: Path) -> int:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT count(*) FROM proposals WHERE title LIKE 'Atelier bench %'").fetchone()[0]


def measure_acks(tmp: Path, standin: SlackStandIn, delay: float, source: Path) -> dict:
    from bench.generate import seed_scenarios

    tmp.mkdir(parents=True, exist_ok=True)
    standin.delay = 0.0
    env = base_env(tmp, standin.api_url, RELAIS_NOW=NOW, CPU_CORES=CPU_CORES)
    database = copy_of(source, tmp)
    buttons_needed = sum((WARM_UP + per) * clients for clients, per in REQUESTS_PER_CLIENT.items())
    seeded = seed_scenarios(
        database, env, stats_placements=max(REQUESTS_PER_CLIENT), buttons=buttons_needed + 10, now_text=NOW
    )
    web = WebProcess(env, tmp).start(timeout=60)
    bare = BareApp(env)
    scenarios = Scenarios(seeded, standin.response_url)
    out: dict = {}
    try:
        settle = time.monotonic() + 15  # let the start-up catch-up tick (the day's card refresh) finish
        while "relais.scheduler: tick" not in web.output() and time.monotonic() < settle:
            time.sleep(0.2)
        time.sleep(0.5)
        standin.delay = delay
        for name in SCENARIOS:
            for clients, per_client in REQUESTS_PER_CLIENT.items():
                for label, url, pid in (("relais", web.url, web.proc.pid), ("bare", bare.url, bare.proc.pid)):
                    make = scenarios.bodies(name, label == "relais")
                    load(url, make, clients, WARM_UP)
                    if label == "relais":
                        owed_after(database, 0)  # the warm-up's cards posted before the measure starts
                    first = last_outbox_id(database)
                    cpu = cpu_seconds(pid)
                    lat, errors = load(url, make, clients, per_client)
                    # the background work the requests started (cards posted once the acks are given) counts too
                    drained = owed_after(database, first) if label == "relais" else 0.0
                    cpu = cpu_seconds(pid) - cpu
                    out[f"{name}|{clients}|{label}"] = {
                        "p50_ms": percentile(lat, 50),
                        "p99_ms": percentile(lat, 99),
                        "max_ms": max(lat),
                        "n": len(lat),
                        "errors": len(errors),
                        "cpu_ms_per_request": cpu * 1000 / len(lat),
                        "posted_after_s": drained,
                    }
                    if errors:
                        print(
                            f"  ! {name} {clients} {label}: {len(errors)} non-200 answers, first: {errors[0]}",
                            file=sys.stderr,
                        )
        out["web_peak_memory_mb"] = peak_memory_mb(web.proc.pid)
        out["cpu_cores"] = CPU_CORES
        out["proposals_sent"] = sum(clients * (WARM_UP + per) for clients, per in REQUESTS_PER_CLIENT.items())
        out["proposals_recorded"] = recorded_proposals(database)
        if out["proposals_recorded"] != out["proposals_sent"]:  # the scenario measures creations, not refusals
            print(f"  ! /propose: {out['proposals_recorded']} of {out['proposals_sent']} recorded", file=sys.stderr)
    finally:
        standin.delay = 0.0
        web.stop()
        bare.stop()
    log = web.output()
    out["tracebacks_in_log"] = log.count("Traceback")
    (DATA / "logs").mkdir(parents=True, exist_ok=True)
    (DATA / "logs" / f"web-acks-{delay:g}s.log").write_text(log)  # for a look after the run
    return out


# -- start-up and memory ----------------------------------------------------------------------
def measure_start(tmp: Path, standin: SlackStandIn, source: Path | None) -> dict:
    """From the Procfile's command to the first signed slash command answered 200."""
    tmp.mkdir(parents=True, exist_ok=True)
    env = base_env(tmp, standin.api_url, RELAIS_NOW=NOW)
    if source is not None:
        copy_of(source, tmp)
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    log = open(tmp / "web-start.log", "ab")  # noqa: SIM115 - the process writes to it until stopped
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["bash", "-c", "exec " + procfile_command("web")],
        cwd=tmp,
        env={**env, "PORT": str(port)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    startup = None
    try:
        while time.perf_counter() - started < 60:
            body = slack.slash_body("/propose", "help")
            try:
                if (
                    requests.post(url, data=body.encode(), headers=slack.sign(SECRET, body), timeout=5).status_code
                    == 200
                ):
                    startup = time.perf_counter() - started
                    break
            except requests.RequestException:
                time.sleep(0.01)
        time.sleep(2.0)  # the start-up catch-up tick runs in the background: let it finish
        for _ in range(20):
            body = slack.slash_body("/stats", "report all")
            requests.post(url, data=body.encode(), headers=slack.sign(SECRET, body), timeout=30)
        memory = peak_memory_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
    return {"startup_s": startup, "peak_memory_mb": memory}


def measure_scale(tmp: Path, standin: SlackStandIn, source: Path) -> dict:
    database = copy_of(source, tmp)
    env = base_env(tmp, standin.api_url)
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", str(database), NOW, standin.api_url],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.scale failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the editorial calendar -------------------------------------------------------------------
FEED_KEY = "bench-editorial-calendar-key"
EXPORT_REPEAT = 8  # as many as the server's threads (bot.runtime.server.THREADS): each may serve one


def measure_export(tmp: Path, standin: SlackStandIn, source: Path) -> dict:
    """GET /calendar.ics on the web process over a copy of `source`, the clock at NOW (the default window: a year
    back, two years ahead); timings are client-side, whole bodies read."""
    tmp.mkdir(parents=True, exist_ok=True)
    copy_of(source, tmp)
    env = base_env(tmp, standin.api_url, RELAIS_NOW=NOW, CALENDAR_FEED_KEY=FEED_KEY)
    web = WebProcess(env, tmp).start(timeout=60)
    url, params = web.url + "/calendar.ics", {"key": FEED_KEY}
    out: dict = {}
    try:
        settle = time.monotonic() + 30  # the start-up catch-up tick (the day's card refresh) runs first
        while "relais.scheduler: tick" not in web.output() and time.monotonic() < settle:
            time.sleep(0.2)
        time.sleep(1.0)
        pid = web.proc.pid
        out["idle_rss_mb"] = peak_memory_mb(pid, "VmRSS")
        out["peak_reset"] = reset_peak_memory(pid)
        times, size, etag = [], 0, ""
        for _ in range(EXPORT_REPEAT):
            started = time.perf_counter()
            response = requests.get(url, params=params, timeout=120)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"/calendar.ics answered {response.status_code}")
            size, etag = len(response.content), response.headers.get("ETag", "")
            out.setdefault("events", response.content.count(b"BEGIN:VEVENT"))
            out.setdefault("one_above_idle_mb", peak_memory_mb(pid) - out["idle_rss_mb"])
            del response
        out["peak_rss_mb"] = peak_memory_mb(pid)
        out["above_idle_mb"] = out["peak_rss_mb"] - out["idle_rss_mb"]
        out["get_first_ms"], out["get_median_ms"], out["get_max_ms"] = times[0], percentile(times, 50), max(times)
        out["bytes"] = size
        conditional = []
        for _ in range(EXPORT_REPEAT):
            started = time.perf_counter()
            status = requests.get(url, params=params, headers={"If-None-Match": etag}, timeout=30).status_code
            conditional.append((time.perf_counter() - started) * 1000)
            if status != 304:
                raise RuntimeError(f"a conditional GET answered {status}, not 304")
        out["not_modified_median_ms"] = percentile(conditional, 50)
        started = time.perf_counter()
        requests.head(url, params=params, timeout=120)
        out["head_ms"] = (time.perf_counter() - started) * 1000
    finally:
        web.stop()
    return out


def export_only() -> int:
    """`python -m bench export`: section e alone, its figures merged into bench/results.json."""
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as folder, SlackStandIn() as standin:
        tmp = Path(folder)
        env = base_env(tmp, standin.api_url)
        for years in YEARS:
            source, results.setdefault("data", {})[f"{years}y"] = dataset(years, env)
            print(f"  editorial calendar at {years} year(s)…", flush=True)
            results[f"export_{years}y"] = measure_export(tmp / f"export-{years}", standin, source)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print_export(results)
    return 0


def main(argv: list[str] | None = None) -> int:
    sections = (argv if argv is not None else sys.argv[1:]) or ["all"]
    if sections not in (["all"], ["ack"], ["export"]):
        print("usage: python -m bench [ack | export]", file=sys.stderr)
        return 2
    if sections == ["export"]:
        return export_only()
    acks_only = sections == ["ack"]
    began = time.perf_counter()
    results: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "now": NOW}
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as folder, SlackStandIn() as standin:
        standin.server.server.handle_error = lambda request, address: None  # a killed client's broken pipe is no news
        tmp = Path(folder)
        env = base_env(tmp, standin.api_url)
        sources, data = {}, {}
        for years in (ACK_DATA_YEARS,) if acks_only else YEARS:
            sources[years], data[f"{years}y"] = dataset(years, env)
        results["data"] = data
        if not acks_only:
            print("  start-up and memory…", flush=True)
            results["start_empty"] = measure_start(tmp / "start-empty", standin, None)
            results["start_10y"] = measure_start(tmp / "start-10y", standin, sources[10])
            for years in YEARS:
                print(f"  tick, digest and report at {years} year(s)…", flush=True)
                results[f"scale_{years}y"] = measure_scale(tmp / f"scale-{years}", standin, sources[years])
            for years in YEARS:
                print(f"  editorial calendar at {years} year(s)…", flush=True)
                results[f"export_{years}y"] = measure_export(tmp / f"export-{years}", standin, sources[years])
        for delay in (0.0, 2.0):
            print(f"  acks, Slack answering after {delay:g} s…", flush=True)
            results[f"acks_slack_delay_{delay:g}s"] = measure_acks(
                tmp / f"acks-{delay:g}", standin, delay, sources[ACK_DATA_YEARS]
            )
    results["bench_seconds"] = round(time.perf_counter() - began, 1)
    if acks_only:  # bench/results.json keeps the whole run's figures
        print_table(results, written=None)
        return 0
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print_table(results)
    return 0


def _f(value, unit="", digits=1) -> str:
    return "—" if value is None else f"{value:.{digits}f}{unit}"


def print_table(results: dict, written: Path | None = RESULTS) -> None:
    data = results.get("data", {})
    print(
        "\nData: "
        + ", ".join(
            f"{k}: {v.get('proposals')} proposals, {v.get('placements')} placements, "
            f"{v.get('snapshots')} snapshots, {v.get('outbox')} outbox rows"
            for k, v in data.items()
        )
    )
    for key, label in (("start_empty", "empty database"), ("start_10y", "10 years of data")):
        s = results.get(key, {})
        print(
            f"Start-up to first answered request ({label}): {_f(s.get('startup_s'), ' s', 2)}   "
            f"peak memory: {_f(s.get('peak_memory_mb'), ' MB', 0)}"
        )
    for key in sorted(k for k in results if k.startswith("acks_")):
        rows = results[key]
        print(
            f"\n{key} (ack latency over HTTP, {ACK_DATA_YEARS} year of data, CPU_CORES={rows.get('cpu_cores', 'one')}; "
            f"web peak memory "
            f"{_f(rows.get('web_peak_memory_mb'), ' MB', 0)}, tracebacks in log: {rows.get('tracebacks_in_log')}; "
            f"proposals recorded: {rows.get('proposals_recorded')} of {rows.get('proposals_sent')})"
        )
        print(
            f"  {'scenario':16} {'clients':>7} {'relais p50':>11} {'p99':>8} {'bare p50':>10} {'p99':>8} "
            f"{'p99 ratio':>10} {'CPU/req relais':>15} {'bare':>6}"
        )
        for name in SCENARIOS:
            for clients in REQUESTS_PER_CLIENT:
                r, b = rows.get(f"{name}|{clients}|relais"), rows.get(f"{name}|{clients}|bare")
                if not r or not b:
                    continue
                print(
                    f"  {name:16} {clients:>7} {r['p50_ms']:>9.1f}ms {r['p99_ms']:>6.1f}ms {b['p50_ms']:>8.1f}ms "
                    f"{b['p99_ms']:>6.1f}ms {r['p99_ms'] / b['p99_ms']:>9.2f}× "
                    f"{r.get('cpu_ms_per_request', float('nan')):>13.1f}ms {b.get('cpu_ms_per_request', float('nan')):>4.1f}ms"
                )
    one, ten = results.get("scale_1y"), results.get("scale_10y")
    if one and ten:
        print("\nScale (one process, in-process timings; median of n)")
        print(f"  {'measure':36} {'1 year':>10} {'10 years':>10} {'ratio':>7}")
        for key, label in (
            ("tick", "tick, nothing due (median)"),
            ("digest", "digest build + render"),
            ("report_term", "/stats report (term)"),
            ("report_all", "/stats report all"),
        ):
            a, b = one[key]["median_ms"], ten[key]["median_ms"]
            print(f"  {label:36} {a:>8.1f}ms {b:>8.1f}ms {b / a:>6.2f}×")
        a, b = one["catch_up_tick"], ten["catch_up_tick"]
        print(
            f"  {'catch-up tick (daily card refresh)':36} {a['ms']:>8.0f}ms {b['ms']:>8.0f}ms "
            f"{b['ms'] / a['ms']:>6.2f}×   ({a['sent']} / {b['sent']} messages)"
        )
        for key, label in (
            ("tick_during_slow_feed", f"tick during a slow feed ({SLOW_FEED_DELAY:g} s)"),
            ("tick_during_huge_feed", f"tick during a {HUGE_FEED_EVENTS:,}-event feed"),
        ):
            a, b = one.get(key), ten.get(key)
            if not a or not b:
                continue
            print(
                f"  {label:36} {a['median_ms']:>8.1f}ms {b['median_ms']:>8.1f}ms {b['median_ms'] / a['median_ms']:>6.2f}×"
                f"   (max {a['max_ms']:.0f} / {b['max_ms']:.0f} ms over {a['n']} / {b['n']} ticks; refresh "
                f"{a['refresh_s']:.1f} / {b['refresh_s']:.1f} s; memory kept after it {a['memory_kept_mb']:+.0f} / "
                f"{b['memory_kept_mb']:+.0f} MB)"
            )
        a, b = one.get("one_shot_tick_with_slow_feed_ms"), ten.get("one_shot_tick_with_slow_feed_ms")
        if a is not None and b is not None:
            print(
                f"  {'one-shot tick, slow feed inline':36} {a:>8.0f}ms {b:>8.0f}ms {b / a:>6.2f}×   (python -m bot tick waits for it)"
            )
        print(f"  {'digest items':36} {one['digest_items']:>10} {ten['digest_items']:>10}")
        print(f"  {'peak memory of that process':36} {one['peak_memory_mb']:>8.0f}MB {ten['peak_memory_mb']:>8.0f}MB")
    print_export(results)
    where = f"; written to {written.relative_to(ROOT)}" if written else ""
    print(f"\nthe bench took {results.get('bench_seconds')} s{where}")


def print_export(results: dict) -> None:
    one, ten = results.get("export_1y"), results.get("export_10y")
    if not one or not ten:
        return
    print("\nEditorial calendar, GET /calendar.ics over HTTP (default window: a year back, two years ahead)")
    print(f"  {'measure':36} {'1 year':>10} {'10 years':>10}")
    print(f"  {'events (bytes)':36} {one['events']:>10} {ten['events']:>10}   ({one['bytes']:,} / {ten['bytes']:,} B)")
    for key, label in (
        ("get_first_ms", "whole download, first"),
        ("get_median_ms", f"whole download (median of {EXPORT_REPEAT})"),
        ("not_modified_median_ms", "If-None-Match → 304 (median)"),
        ("head_ms", "HEAD"),
    ):
        print(f"  {label:36} {one[key]:>8.0f}ms {ten[key]:>8.0f}ms")
    print(
        f"  {'web memory above idle, one download':36} {one['one_above_idle_mb']:>8.1f}MB "
        f"{ten['one_above_idle_mb']:>8.1f}MB   (peak VmHWM − idle VmRSS; idle {one['idle_rss_mb']:.0f} / "
        f"{ten['idle_rss_mb']:.0f} MB"
        + ("" if one.get("peak_reset") and ten.get("peak_reset") else "; peak not reset: includes start-up")
        + ")"
    )
    print(
        f"  {f'… after {EXPORT_REPEAT} downloads':36} {one['above_idle_mb']:>8.1f}MB {ten['above_idle_mb']:>8.1f}MB"
        "   (each server thread keeps a little of what it sent)"
    )


if __name__ == "__main__":
    sys.exit(main())

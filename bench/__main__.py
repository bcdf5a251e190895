"""`make bench` — Relais measured, not asserted.

a. ack latency (p50, p99) of a one-line /propose, a one-line /stats and a card button over HTTP
   through the Procfile's web server, 1 and 20 concurrent clients, beside a bare Bolt app that
   only acks, served by the same server (waitress) in the same run;
b. the same while the Slack stand-in answers every Web API call after 2 s;
c. a tick, the digest build and `/stats report` at one and at ten years of generated data;
d. the web process's peak memory and its start-up time to a first answered request.

Prints a table and writes bench/results.json. Bench data is generated, never committed.
"""
from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bot.slack_standin import SlackStandIn
from tests import slack
from tests.processes import ROOT, SECRET, WebProcess, base_env, free_port

RESULTS = ROOT / "bench" / "results.json"
REQUESTS_PER_CLIENT = {1: 60, 20: 15}


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def load(url: str, make_body, clients: int, per_client: int) -> list[float]:
    """`clients` threads each sending `per_client` signed requests; latencies in milliseconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []

    def client(n: int) -> None:
        session = requests.Session()
        for i in range(per_client):
            body = make_body(n, i)
            headers = slack.sign(SECRET, body)
            started = time.perf_counter()
            response = session.post(url + "/slack/events", data=body.encode(), headers=headers, timeout=30)
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                if response.status_code != 200:
                    errors.append(f"{response.status_code} {response.text[:80]}")

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"  ! {len(errors)} non-200 answers, first: {errors[0]}", file=sys.stderr)
    return latencies


class BareApp:
    """bench/bare_app.py under waitress, as the baseline."""

    def __init__(self, cwd: Path, env: dict):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "bench.bare_app", str(self.port), SECRET], cwd=ROOT,
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# Scenarios: name -> body factory (n, i) -> signed-to-be body. Features add theirs in SCENARIOS.
def propose_help(n, i):
    return slack.slash_body("/propose", "help")


SCENARIOS: dict[str, object] = {
    "/propose help": propose_help,
}


def seed(database: Path) -> dict:
    """Data the scenarios need (a published placement, a card). Returns what they refer to."""
    return {}


def measure_acks(tmp: Path, standin: SlackStandIn, delay: float) -> dict:
    standin.delay = delay
    env = base_env(tmp, standin.api_url, RELAIS_NOW="2026-12-01T10:00")
    web = WebProcess(env, tmp).start()
    bare = BareApp(tmp, env)
    out = {}
    try:
        for name, make in SCENARIOS.items():
            for clients, per_client in REQUESTS_PER_CLIENT.items():
                for label, url in (("relais", web.url), ("bare", bare.url)):
                    load(url, make, clients, 3)  # warm-up
                    lat = load(url, make, clients, per_client)
                    out[f"{name}|{clients}|{label}"] = {"p50_ms": percentile(lat, 50), "p99_ms": percentile(lat, 99),
                                                        "n": len(lat)}
    finally:
        web.stop()
        bare.stop()
    return out


def measure_start(tmp: Path, standin: SlackStandIn) -> dict:
    env = base_env(tmp, standin.api_url)
    started = time.perf_counter()
    web = WebProcess(env, tmp).start()
    startup = time.perf_counter() - started
    for _ in range(50):
        web.slash("/propose", "help")
    memory = peak_memory_mb(web.proc.pid)
    web.stop()
    return {"startup_s": startup, "peak_memory_mb": memory}


def main() -> int:
    results: dict = {"machine": {"cpus": __import__("os").cpu_count(), "python": sys.version.split()[0]}}
    with tempfile.TemporaryDirectory(prefix="relais-bench-") as folder, SlackStandIn() as standin:
        tmp = Path(folder)
        (tmp / "start").mkdir()
        results["start"] = measure_start(tmp / "start", standin)
        for delay in (0.0, 2.0):
            (tmp / f"acks-{delay}").mkdir()
            results[f"acks_slack_delay_{delay:g}s"] = measure_acks(tmp / f"acks-{delay}", standin, delay)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print_table(results)
    return 0


def print_table(results: dict) -> None:
    start = results.get("start", {})
    print(f"\nStart-up to first answer: {start.get('startup_s', float('nan')):.2f} s   "
          f"peak memory: {start.get('peak_memory_mb', float('nan')):.0f} MB")
    for key in sorted(k for k in results if k.startswith("acks_")):
        print(f"\n{key}")
        print(f"  {'scenario':28} {'clients':>7} {'relais p50':>11} {'p99':>8} {'bare p50':>10} {'p99':>8} {'p99 ratio':>10}")
        rows = results[key]
        for name in SCENARIOS:
            for clients in REQUESTS_PER_CLIENT:
                r, b = rows.get(f"{name}|{clients}|relais"), rows.get(f"{name}|{clients}|bare")
                if not r or not b:
                    continue
                print(f"  {name:28} {clients:>7} {r['p50_ms']:>9.1f}ms {r['p99_ms']:>6.1f}ms {b['p50_ms']:>8.1f}ms "
                      f"{b['p99_ms']:>6.1f}ms {r['p99_ms'] / b['p99_ms']:>9.2f}×")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())

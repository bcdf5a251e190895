"""CPU_CORES: a long-running process's threads kept on one core (bot.runtime.cores), and moved when another
core is idler. The choice is a pure function of the cores' load; the pinning is checked on real processes."""

from __future__ import annotations

import collections
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.runtime import cores
from bot.runtime.cores import MOVE_MARGIN, choose, loads, parse_stat
from tests.processes import ROOT, TWO_CORES, allowed_per_thread

STAT = """\
cpu  700 0 300 9000 100 0 0 0 0 0
cpu0 600 0 200 4000 50 0 0 0 0 0
cpu1 100 0 100 5000 50 0 0 0 0 0
intr 12345 0 0
ctxt 999
"""

USABLE = cores.usable_cores()


def test_proc_stat_gives_each_core_its_busy_and_total_ticks():
    assert parse_stat(STAT) == {0: (800, 4850), 1: (200, 5250)}  # idle and iowait are not busy; `cpu` is the sum


def test_the_load_between_two_readings_is_each_cores_busy_share():
    before = {0: (800, 4850), 1: (200, 5250)}
    after = {0: (880, 4950), 1: (210, 5350), 2: (5, 10)}  # a core seen only once has no load yet
    assert loads(before, after) == {0: 0.8, 1: 0.1}


def test_at_start_the_idlest_usable_core_is_chosen():
    assert choose({0: 0.9, 1: 0.2, 2: 0.0}, frozenset({0, 1}), None) == 1  # core 2 may not be used
    assert choose({0: 0.3, 1: 0.3}, frozenset({0, 1}), None) == 0  # a tie: the first
    assert choose({}, frozenset({0, 1}), None) is None


def test_the_threads_stay_unless_another_core_is_idler_by_the_margin():
    usable = frozenset({0, 1})
    assert choose({0: 0.4, 1: 0.0}, usable, 0) == 0
    assert choose({0: 0.4 + MOVE_MARGIN, 1: 0.0}, usable, 0) == 1
    assert choose({0: 0.9, 1: 0.5}, usable, 0) == 0  # both busy: moving would gain less than the margin


def test_the_process_own_load_is_no_reason_to_leave_its_core():
    assert choose({0: 1.0, 1: 0.1}, frozenset({0, 1}), 0, own=0.95) == 0  # it is the one keeping core 0 busy
    assert choose({0: 1.0, 1: 0.1}, frozenset({0, 1}), 0, own=0.2) == 1  # other work takes most of core 0


def test_a_core_no_longer_usable_is_left():
    assert choose({0: 0.0, 1: 0.5}, frozenset({1}), 0) == 1


def wait_for_log(read, text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in (log := read()):
            return log
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not in the log:\n{read()}")


@TWO_CORES
def test_the_web_process_keeps_its_threads_on_one_core_and_the_checkpoint_beside_them(web):
    log = wait_for_log(web.output, "Threads on core")
    placed = collections.Counter(allowed_per_thread(web.proc.pid).values())
    (one, threads), *_ = placed.most_common()
    (core,) = one
    assert core in USABLE and threads > 5  # waitress's, the scheduler's, the listeners'...
    assert f"Threads on core {core} (of " in log
    # the WAL checkpoint (SQLite copying pages, outside the interpreter lock) runs on the other cores
    assert placed == {one: threads, USABLE - one: 1}


@TWO_CORES
def test_with_cpu_cores_all_the_kernel_places_the_threads(web_with):
    web = web_with(CPU_CORES="all")
    threads = allowed_per_thread(web.proc.pid)
    assert set(threads.values()) == {USABLE}
    assert "Threads on core" not in web.output()


PINNED = textwrap.dedent(
    """
    import collections, logging, sys, threading, time
    from bot.runtime import cores

    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    ticks, busy, usable = collections.Counter(), [], sorted(cores.usable_cores())

    def read():  # /proc/stat as it would read with another program keeping the first chosen core busy
        ticks["total"] += 100
        if busy:
            ticks[busy[0]] += 100
        return {core: (ticks[core], ticks["total"]) for core in usable}

    one = cores.OneCore(read=read, review_every=0.3, look=0.3).begin()
    threading.Thread(target=lambda: time.sleep(60), daemon=True).start()  # started before the pinning
    busy.append(one.settle())
    print("core", busy[0], flush=True)
    time.sleep(30)
    """
)


@TWO_CORES
def test_the_threads_move_away_from_a_core_kept_busy_by_other_work():
    process = subprocess.Popen([sys.executable, "-c", PINNED], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        said = process.stdout.readline()
        assert said.startswith("Threads on core "), said
        core = int(process.stdout.readline().split()[1])  # the script's own line: "core N"
        assert set(allowed_per_thread(process.pid).values()) == {frozenset({core})}
        moved = process.stdout.readline()
        assert moved.startswith(f"Threads moved from core {core} to core "), moved
        assert "other work took 100% of core" in moved
        now = int(moved.split(" to core ")[1].split(":")[0])
        assert now != core and now in USABLE
        assert set(allowed_per_thread(process.pid).values()) == {frozenset({now})}  # every thread, the early one too
    finally:
        process.kill()
        process.wait()


REFUSED = textwrap.dedent(
    """
    import logging, os, sys
    from bot.runtime import cores

    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    one = cores.OneCore().begin()
    before = os.sched_getaffinity(0)
    one.usable = frozenset({4095})  # a core this system does not have: sched_setaffinity refuses it
    print("core", one.settle(), "review", one.review(), "same", os.sched_getaffinity(0) == before, flush=True)
    """
)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux")
def test_a_core_the_system_refuses_is_said_once_and_the_threads_stay_free():
    done = subprocess.run([sys.executable, "-c", REFUSED], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    said, result = done.stdout.splitlines()
    assert said.startswith("CPU_CORES=one: threads could not be kept on core 4095 (")
    assert said.endswith("); the kernel places them")
    assert result == "core None review None same True"  # nothing pinned, no review after it

"""A long-running process's threads (serve, socket) kept together on one processor core (CPU_CORES).

Python runs one thread at a time (the interpreter lock). When the kernel spreads a process's threads over
several cores, that lock goes from core to core at every database call and every socket read: the thread
letting it go wakes one on another core, which finds it taken back, or takes it and keeps the first one
waiting. On one core, a handover is a plain switch. Measured with `make bench` (twenty clients sending
/propose at once): 1.9 ms of processor per request with the threads spread, 1.45 ms on one core, and the
answers a third sooner. A process with one interpreter lock uses about one core anyway.

CPU_CORES=one (the default): at start, the quietest of the cores the process may use (a short look at
their load, while it starts); then, every REVIEW_EVERY seconds or so, another look: the threads move to
another core when it is idler than theirs, other work counted, by MOVE_MARGIN of a core. That is what the
kernel would do for threads it may move: say another program was pinned to the same core.
CPU_CORES=all: the kernel places the threads, as it does any program's.
Where threads cannot be pinned (not Linux), `one` changes nothing, and says so at start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from storage.db import CHECKPOINT_THREAD

log = logging.getLogger("relais")

REVIEW_EVERY = 60.0  # seconds between two looks at the cores' load (give or take a fifth, at random)
LOOK = 1.0  # seconds each look lasts
MOVE_MARGIN = 0.5  # how much idler (in cores) another core must be, other work counted, for the threads to move
PROC_STAT = Path("/proc/stat")

Ticks = dict[int, tuple[int, int]]  # core -> (busy, total) clock ticks since boot


def parse_stat(text: str) -> Ticks:
    """Each core's busy and total ticks from the text of /proc/stat (its `cpuN` lines; idle and iowait are not busy)."""
    ticks: Ticks = {}
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not (name.startswith("cpu") and name[3:].isdigit()):
            continue
        values = [int(v) for v in rest.split()[:8]]  # user nice system idle iowait irq softirq steal
        total = sum(values)
        ticks[int(name[3:])] = (total - sum(values[3:5]), total)
    return ticks


def loads(before: Ticks, after: Ticks) -> dict[int, float]:
    """Each core's load between two readings, as the share of its time it was busy (0 to 1)."""
    shares = {}
    for core, (busy, total) in after.items():
        if core in before and total > before[core][1]:
            shares[core] = (busy - before[core][0]) / (total - before[core][1])
    return shares


def choose(load: Mapping[int, float], usable: frozenset[int], current: int | None, own: float = 0.0) -> int | None:
    """The core for the threads: the idlest usable one, counting only other work on `current` (the process's
    own load there, `own`, is not a reason to leave), and `current` unless another is idler by MOVE_MARGIN.
    None when no usable core's load is known."""
    other = {core: load[core] - (own if core == current else 0.0) for core in sorted(usable) if core in load}
    if not other:
        return None
    idlest = min(other, key=lambda core: (other[core], core != current))
    if current in other and other[current] - other[idlest] < MOVE_MARGIN:
        return current
    return idlest


def usable_cores() -> frozenset[int]:
    """The cores this process may run on; empty where the system does not say (nor lets threads be pinned)."""
    getter = getattr(os, "sched_getaffinity", None)
    return frozenset(getter(0)) if getter is not None else frozenset()


# Threads whose work is done outside the interpreter lock, which may run beside the others on another core:
# the WAL checkpoint (storage.db.checkpoint_in_background) is SQLite copying pages, up to 40 ms after a burst.
ELSEWHERE = frozenset({CHECKPOINT_THREAD})


def pin_threads(core: int, usable: frozenset[int]) -> None:
    """Every thread of this process on `core` (the threads they start afterwards inherit it), but those named in
    ELSEWHERE, which go to the other usable cores."""
    elsewhere = {t.native_id for t in threading.enumerate() if t.name in ELSEWHERE}
    others = usable - {core} or {core}
    _place(lambda thread: others if thread in elsewhere else {core})


def free_threads(usable: frozenset[int]) -> None:
    """Every thread of this process free to run on any usable core, as CPU_CORES=all leaves them."""
    _place(lambda thread: usable)


def _place(where: Callable[[int], set[int] | frozenset[int]]) -> None:
    """Each thread of this process on the cores `where(its id)` names; once more over the list when a thread
    appeared meanwhile (started by one not yet placed)."""
    done: set[int] = set()
    while True:
        threads = {int(t) for t in os.listdir("/proc/self/task")}
        for thread in threads - done:
            with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                os.sched_setaffinity(thread, where(thread))
        if threads <= done:
            return
        done |= threads


def _read() -> Ticks:
    try:
        return parse_stat(PROC_STAT.read_text())
    except OSError:
        return {}


def _describe(cores: frozenset[int]) -> str:
    return ",".join(str(c) for c in sorted(cores))


class OneCore:
    """CPU_CORES=one for this process: `begin()` as it starts (the first reading), `settle()` once it has started
    (the core chosen from the load in between, the threads pinned, the reviews started)."""

    def __init__(
        self, read: Callable[[], Ticks] = _read, review_every: float = REVIEW_EVERY, look: float = LOOK
    ) -> None:
        self.read, self.review_every, self.look = read, review_every, look
        self.usable = usable_cores()
        self.core: int | None = None
        self._first: Ticks = {}
        self._stop = threading.Event()

    def begin(self) -> OneCore:
        self._first = self.read()
        return self

    def settle(self) -> int | None:
        """Pin the threads on the idlest usable core since `begin()`; the core, or None when nothing was pinned."""
        if not self.usable or not hasattr(os, "sched_setaffinity") or not Path("/proc/self/task").is_dir():
            log.info("CPU_CORES=one: this system cannot keep threads on one core; the kernel places them")
            return None
        core = choose(loads(self._first, self.read()), self.usable, None)
        if core is None:
            core = min(self.usable)
        if not self._move(core):
            return None
        log.info("Threads on core %d (of %s; CPU_CORES=one)", core, _describe(self.usable))
        if len(self.usable) > 1:
            threading.Thread(target=self._reviews, name="relais-cores", daemon=True).start()
        return core

    def review(self) -> int | None:
        """One look at the cores' load (`look` seconds): move the threads when another core is idler; the new
        core, or None when they stay."""
        if self.core is None:
            return None
        before, cpu_before, wall_before = self.read(), time.process_time(), time.monotonic()
        if self._stop.wait(self.look):
            return None
        after, wall = self.read(), max(time.monotonic() - wall_before, 1e-6)
        own = (time.process_time() - cpu_before) / wall  # all of it on self.core, where the threads are
        load = loads(before, after)
        core = choose(load, self.usable, self.core, own)
        if core is None or core == self.core:
            return None
        previous = self.core
        if not self._move(core):
            return None
        log.info(
            "Threads moved from core %d to core %d: other work took %.0f%% of core %d, %.0f%% of core %d",
            previous,
            core,
            100 * max(0.0, load.get(previous, 0.0) - own),
            previous,
            100 * load[core],
            core,
        )
        return core

    def _move(self, core: int) -> bool:
        """The threads on `core`; False (said once, the threads given back to the kernel, no more reviews) when
        the system refuses it (a container's CPU set changed, say)."""
        try:
            pin_threads(core, self.usable)
        except OSError as error:
            log.warning("CPU_CORES=one: threads could not be kept on core %d (%s); the kernel places them", core, error)
            self.core = None
            self._stop.set()
            with contextlib.suppress(OSError):
                free_threads(self.usable)
            return False
        self.core = core
        return True

    def _reviews(self) -> None:
        while not self._stop.wait(self.review_every * random.uniform(0.8, 1.2)):  # two processes seldom look at once
            try:
                self.review()
            except Exception:
                log.exception("CPU_CORES=one: the review of the cores' load failed")


def start(choice: str) -> OneCore | None:
    """As a long-running process starts: its OneCore (begun) for CPU_CORES=one, None for `all`."""
    return OneCore().begin() if choice == "one" else None

"""What GET /healthz tells: the truth about the process, in a few words a platform's health check (and
an operator) can act on. 503 with the problems when:

- the database cannot be written: a probe write (waiting WRITE_PROBE_PATIENCE at most for the lock;
  a lock held by someone else is no fault), or a request that failed to write in the last RECENT;
- the scheduler of this process has not finished a tick for SCHEDULER_STALE (it ticks every minute);
- owed messages are stuck: rows still pending OVERDUE after they were due.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import timedelta
from typing import Any

from bot.clock import to_text
from bot.context import Relais
from storage import kv
from storage import outbox as outbox_rows
from storage.db import Busy, kind_of, last_write_failure, set_limits

SCHEDULER_STALE = 180.0  # seconds
OVERDUE = timedelta(minutes=15)
RECENT = 60.0  # seconds a failed write by a request keeps /healthz failing
WRITE_PROBE_PATIENCE = 0.3

_state: dict[str, Any] = {"scheduler_since": None, "last_tick": None, "write_failed_at": None, "write_error": ""}
_lock = threading.Lock()


def scheduler_started() -> None:
    with _lock:
        _state["scheduler_since"] = time.monotonic()


def ticked() -> None:
    """The scheduler finished a tick (whatever it found)."""
    with _lock:
        _state["last_tick"] = time.monotonic()


def write_failed(kind: str, error: BaseException) -> None:
    if kind == "unwritable":
        with _lock:
            _state["write_failed_at"] = time.monotonic()
            _state["write_error"] = str(error)


def problems(relais: Relais) -> list[str]:
    found = []
    now = time.monotonic()
    with _lock:
        state = dict(_state)
    failed_at, failure = last_write_failure()  # any write of this process (a request's, the scheduler's)
    if failed_at is not None and (state["write_failed_at"] is None or failed_at > state["write_failed_at"]):
        state["write_failed_at"], state["write_error"] = failed_at, failure
    write = _probe(relais)
    if write:
        found.append(f"database cannot be written: {write}")
    elif state["write_failed_at"] is not None and now - state["write_failed_at"] < RECENT:
        found.append(f"database cannot be written: {state['write_error']}")
    since = state["last_tick"] or state["scheduler_since"]
    if since is not None and now - since > SCHEDULER_STALE:
        found.append(f"scheduler has not ticked for {int(now - since)} s")
    try:
        overdue = outbox_rows.overdue_count(relais.db, relais.clock.now() - OVERDUE)
    except sqlite3.Error as error:
        found.append(f"database cannot be read: {error}")
    else:
        if overdue:
            minutes = int(OVERDUE.total_seconds() // 60)
            found.append(f"{overdue} owed message(s) due more than {minutes} minutes ago and not sent")
    return found


def _probe(relais: Relais) -> str | None:
    """None when a small write goes through (or the lock is merely taken); else what is wrong.

    The value written differs at every probe (nanoseconds): SQLite leaves a page it is asked to rewrite with
    the same bytes clean, and a commit with no dirty page writes nothing, so two probes within the same
    second would let the second one succeed on a full disk."""
    set_limits(WRITE_PROBE_PATIENCE)
    now = to_text(relais.clock.now())
    try:
        with relais.db.atomic():
            kv.put(relais.db, "health:probe", f"{now} {time.time_ns()}", now)
    except Busy:
        return None
    except sqlite3.Error as error:
        return None if kind_of(error) == "busy" else str(error)
    finally:
        set_limits()
    return None

"""Reference data: what nearly every request reads and what rarely changes (the outlets, the business-day
calendar), kept in memory by each process while the database's reference generation is the same.

    outlets = reference.cached(db, "outlets", lambda: read_them(db))

The generation (table `generations`, migration 0016) is changed by triggers in the transaction of any change
to the outlets, the calendar's events or the declared holidays, whatever process or path makes it: a cached
value is never older than the database it came from. Checking it is one read of one row, where reading the
values again was several reads of many rows (each row a round trip for the interpreter lock, under load).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from sqlite_utils import Database

T = TypeVar("T")

_kept: dict[tuple[str, str], tuple[int, Any]] = {}
_lock = threading.Lock()


def generation(db: Database) -> int | None:
    """The database's reference generation (None before migration 0016)."""
    row = db.execute("SELECT value FROM generations WHERE name = 'reference'").fetchone()
    return row[0] if row else None


_pins = threading.local()


@contextlib.contextmanager
def pinned() -> Iterator[None]:
    """Within the block (one request), the reference generation is read once, at the first use, not at each:
    what the request reads of the outlets and the calendar is of one moment. A transaction reads it anyway
    (its own changes count)."""
    _pins.generations = {}
    try:
        yield
    finally:
        _pins.generations = None


def _generation(db: Database, path: str) -> int | None:
    pins = getattr(_pins, "generations", None)
    if pins is None or db.conn.in_transaction:
        return generation(db)
    if path not in pins:
        pins[path] = generation(db)
    return pins[path]


def cached(db: Database, name: str, build: Callable[[], T]) -> T:
    """`build()`'s value for this database file, built again only when the reference generation changed.
    The value is shared between threads: it must not be changed by its users."""
    path: str | None = getattr(db, "path", None)
    now = _generation(db, path) if path else None
    if path is None or now is None:
        return build()
    with _lock:
        kept = _kept.get((path, name))
    if kept is not None and kept[0] == now:
        return kept[1]
    value = build()  # read after the generation: at worst newer than `now`, and built again next time
    if not db.conn.in_transaction:  # only what is committed is kept (a transaction may yet roll back)
        with _lock:
            _kept[(path, name)] = (now, value)
    return value

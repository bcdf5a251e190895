"""The SQLite file: one connection per thread, WAL, foreign keys, a busy timeout.

    store = Store("data/relais.db")   # creates the folder, applies pending migrations
    db = store.db                     # this thread's sqlite_utils.Database
    with store.db.atomic(): ...       # one transaction

A sqlite3 connection belongs to the thread that opened it; Store hands each thread its own.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from storage.migrations import migrate as apply_migrations

BUSY_TIMEOUT_MS = 10_000


class Busy(sqlite3.OperationalError):
    """The write lock could not be had within this thread's patience (another process or thread holds it):
    nothing was written."""


class Unwritable(sqlite3.OperationalError):
    """The database cannot be written (disk full, read-only, I/O error), or this request may not write."""


UNWRITABLE = ("disk is full", "disk i/o error", "readonly database", "unable to open", "read-only")


def kind_of(error: BaseException) -> str | None:
    """'busy', 'unwritable' or None: what a database error says about writing right now."""
    if isinstance(error, Busy):
        return "busy"
    if isinstance(error, Unwritable):
        return "unwritable"
    if isinstance(error, sqlite3.OperationalError):
        text = str(error).lower()
        if "locked" in text or "busy" in text:
            return "busy"
        if any(word in text for word in UNWRITABLE):
            return "unwritable"
    return None


# What this thread may do with the write lock: how long it may wait for it (None: the busy timeout),
# and whether it may write at all (a request whose replay claim could not be written only reads).
_limits = threading.local()


def limits() -> tuple[float | None, str | None]:
    return getattr(_limits, "patience", None), getattr(_limits, "refused", None)


def set_limits(patience: float | None = None, refused: str | None = None) -> None:
    """For this thread: wait at most `patience` seconds for the write lock (then Busy); with `refused`
    ('busy' or 'unwritable'), every write raises at once."""
    _limits.patience, _limits.refused = patience, refused


class Replayed(Exception):
    """The request this thread works for was seen before (a replayed signature): nothing was written."""


class Claim:
    """A request's claim to change anything, taken in its first write transaction, not before: a request
    that only reads (help, lists, a refusal) never waits for the write lock. `take(db)` records it and says
    whether it is the first (False: a replay, and that transaction writes nothing: Replayed)."""

    def __init__(self, take: Callable[[sqlite_utils.Database], bool]) -> None:
        self.take = take
        self.done = False  # read and set under the process's writer lock


def current_claim() -> Claim | None:
    return getattr(_limits, "claim", None)


def set_claim(claim: Claim | None = None) -> None:
    """The claim this thread's next write transaction takes first (None: none)."""
    _limits.claim = claim


_last_failure: dict = {"at": None, "error": ""}


def _write_failed(error: BaseException) -> None:
    _last_failure.update(at=time.monotonic(), error=str(error))


def last_write_failure() -> tuple[float | None, str]:
    """When (time.monotonic()) a write of this process last failed for an unwritable database, and why."""
    return _last_failure["at"], _last_failure["error"]


_WRITERS: dict[str, threading.RLock] = {}
_WRITERS_LOCK = threading.Lock()


def writer_lock(path: str | Path) -> threading.RLock:
    """The lock this process's threads take before writing to the database at `path`."""
    key = str(Path(path).resolve())
    with _WRITERS_LOCK:
        return _WRITERS.setdefault(key, threading.RLock())


class Database(sqlite_utils.Database):
    """sqlite_utils' Database, whose outermost `atomic()` takes the write lock at once (BEGIN IMMEDIATE),
    after this process's own writer lock.

    - A deferred transaction that reads, then writes, cannot wait for the lock: when another connection
      wrote in between, SQLite answers "database is locked" at once (its snapshot is stale), busy
      timeout or not. Every `atomic()` here is a unit of work that writes, so it takes the lock from
      its first statement instead, and the busy timeout applies.
    - SQLite's busy handler waits by sleeping (1, 2, 5, 10, 15, 20, 25… ms): threads of one process
      queueing that way for a lock held a millisecond at a time wait far longer than the work takes.
      They queue on a Python lock instead, handed over the moment it is released; SQLite's busy
      timeout is left to the other processes (a cron `tick`, a backup).
    Nested blocks stay savepoints.
    """

    def __init__(self, *args: Any, writers: threading.RLock | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writers = writers or threading.RLock()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[Database]:
        if self.conn.in_transaction:
            with super().atomic():
                yield self
            return
        patience, refused = limits()
        if refused == "busy":
            raise Busy("this request could not take the write lock")
        if refused is not None:
            raise Unwritable("the database cannot be written")
        started = time.monotonic()
        if patience is None:
            self._writers.acquire()
        elif not self._writers.acquire(timeout=patience):
            raise Busy(f"write lock not free within {patience} s")
        try:
            try:
                self._begin(None if patience is None else patience - (time.monotonic() - started))
            except sqlite3.Error as error:
                if kind_of(error) == "unwritable":
                    _write_failed(error)
                raise
            claim = current_claim()
            try:
                if claim is not None and not claim.done and not claim.take(self):
                    raise Replayed("a signed request seen before")
                yield self
            except BaseException as error:
                self.rollback()
                if kind_of(error) == "unwritable":
                    _write_failed(error)
                raise
            else:
                try:
                    self.conn.execute("COMMIT")
                except BaseException as error:
                    self.rollback()
                    if kind_of(error) == "unwritable":
                        _write_failed(error)
                    raise
                if claim is not None:
                    claim.done = True
        finally:
            self._writers.release()

    def _begin(self, patience: float | None) -> None:
        """BEGIN IMMEDIATE, waiting at most `patience` seconds for another process's lock."""
        if patience is None:
            self.conn.execute("BEGIN IMMEDIATE")
            return
        self.conn.execute(f"PRAGMA busy_timeout = {max(int(patience * 1000), 1)}")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if kind_of(error) == "busy":
                raise Busy(str(error)) from error
            raise
        finally:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


def inserted_id(cursor: sqlite3.Cursor) -> int:
    """The rowid an INSERT just gave its row (sqlite3 types `lastrowid` as optional: None only before any
    statement ran on the cursor)."""
    row_id = cursor.lastrowid
    if row_id is None:
        raise sqlite3.InterfaceError("no row was inserted")
    return row_id


# Paths whose WAL a background thread of this process checkpoints (checkpoint_in_background): their
# connections never checkpoint in a commit, where the copy and its fsync would hold the write lock.
_CHECKPOINTED: set[str] = set()
CHECKPOINT_EVERY = 1.0  # seconds


def checkpoint_in_background(path: str | Path, stop: threading.Event | None = None) -> threading.Event:
    """From now on this process's connections to `path` leave the WAL to a thread of its own, which copies it
    back into the database every CHECKPOINT_EVERY seconds (PASSIVE: it never waits for, nor blocks, a writer).
    For a process that answers requests: no commit of a request pays for a checkpoint."""
    key = str(Path(path).resolve())
    stop = stop or threading.Event()
    _CHECKPOINTED.add(key)

    def run() -> None:
        conn = sqlite3.connect(key, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            while not stop.wait(CHECKPOINT_EVERY):
                with contextlib.suppress(sqlite3.Error):  # busy or unwritable: the next round tries again
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    threading.Thread(target=run, name="relais-checkpoint", daemon=True).start()
    return stop


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection with the pragmas every Relais connection has."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if str(path.resolve()) in _CHECKPOINTED:
        conn.execute("PRAGMA wal_autocheckpoint = 0")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return Database(conn, execute_plugins=False, writers=writer_lock(path))


class Store:
    def __init__(self, path: str | Path, migrate: bool = True):
        self.path = Path(path)
        self._local = threading.local()
        if migrate:
            apply_migrations(self.db)

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = connect(self.path)
        return db

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.conn.close()
            self._local.db = None


def backup(db: sqlite_utils.Database, target: str | Path) -> int:
    """Copy the live database with SQLite's online backup API; returns the page count.

    Safe while other connections write: the copy is a consistent snapshot.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    dest = sqlite3.connect(str(tmp))
    try:
        db.conn.backup(dest, pages=1024)
        dest.execute("PRAGMA journal_mode = DELETE")
        ok = dest.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise sqlite3.DatabaseError(f"integrity_check: {ok}")
        pages = dest.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dest.close()
    tmp.replace(target)
    return pages


def integrity_ok(db: sqlite_utils.Database) -> bool:
    return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def wait_for_writers(db: sqlite_utils.Database) -> None:
    """Return once no other connection holds the write lock (an empty write transaction: it waits,
    within the busy timeout, for the transactions under way to commit)."""
    db.conn.execute("BEGIN IMMEDIATE")
    db.conn.execute("COMMIT")


def date_range(start_column: str, end_column: str, start: date | None, end: date | None) -> tuple[list[str], list[str]]:
    """WHERE conditions (and their parameters) for rows whose [start_column, end_column] overlaps
    [start, end]; None leaves that side open. A single date column is both: `date_range("d", "d", a, b)`
    keeps the rows with a <= d <= b."""
    where: list[str] = []
    params: list[str] = []
    if start:
        where.append(f"{end_column} >= ?")
        params.append(start.isoformat())
    if end:
        where.append(f"{start_column} <= ?")
        params.append(end.isoformat())
    return where, params

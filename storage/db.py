"""The SQLite file: one connection per thread, WAL, foreign keys, a busy timeout.

    store = Store("data/relais.db")   # creates the folder, applies pending migrations
    db = store.db                     # this thread's sqlite_utils.Database
    with store.db.atomic(): ...       # one transaction

A sqlite3 connection belongs to the thread that opened it; Store hands each thread its own.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Generator, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.utils import dedupe_keys

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

    def __init__(
        self, *args: Any, writers: threading.RLock | None = None, path: str | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._writers = writers or threading.RLock()
        self._busy_ms = BUSY_TIMEOUT_MS  # as connect() sets it
        self.path = path  # the file's resolved path (storage.reference keeps values by file)

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
        if patience is None:
            self._writers.acquire()
        elif not self._writers.acquire(timeout=patience):
            raise Busy(f"write lock not free within {patience} s")
        try:
            try:
                self._begin(patience)  # the wait for this process's lock comes on top: ~2 patiences at most
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

    def query(self, sql: str, params: Any = None) -> Generator[dict, None, None]:
        """Rows as dicts, as sqlite_utils' query() gives them. A SELECT runs as it is: sqlite_utils wraps every
        statement in a SAVEPOINT and its RELEASE (to refuse one that returns no rows), three statements instead
        of one, each a round trip for the GIL, inside the write lock when in a transaction. Anything else (a
        write with RETURNING, a PRAGMA, a WITH) goes through sqlite_utils' guard."""
        if sql.lstrip()[:6].upper() != "SELECT":
            return super().query(sql, params)
        cursor = self.conn.execute(sql, params) if params is not None else self.conn.execute(sql)
        keys = dedupe_keys(d[0] for d in cursor.description)
        return (dict(zip(keys, row, strict=True)) for row in cursor)

    def _begin(self, patience: float | None) -> None:
        """BEGIN IMMEDIATE, waiting at most `patience` seconds for another process's lock (None: the busy
        timeout). The connection keeps the patience it was last given: a request thread's transactions all
        have the same, and setting it costs a statement."""
        wanted = BUSY_TIMEOUT_MS if patience is None else max(int(patience * 1000), 1)
        if wanted != self._busy_ms:
            self.conn.execute(f"PRAGMA busy_timeout = {wanted}")
            self._busy_ms = wanted
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            if patience is not None and kind_of(error) == "busy":
                raise Busy(str(error)) from error
            raise


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
CHECKPOINT_THREAD = "relais-checkpoint"  # its name (bot.runtime.cores lets it run beside the other threads)


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

    threading.Thread(target=run, name=CHECKPOINT_THREAD, daemon=True).start()
    return stop


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection with the pragmas every Relais connection has."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if str(path.resolve()) in _CHECKPOINTED:
            conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return Database(conn, execute_plugins=False, writers=writer_lock(path), path=str(path.resolve()))


class Unusable(Exception):
    """The database file cannot be opened or brought up to date at all: `problem` says why, as a code
    (is_directory, not_sqlite, folder_not_folder, folder_cannot_create, folder_permission,
    file_permission, read_only, full, busy, unknown); `folder` and `detail` fill it in."""

    def __init__(self, path: Path, problem: str, folder: Path | None = None, detail: str = ""):
        self.path, self.problem, self.folder, self.detail = path, problem, folder or path.parent, detail
        super().__init__(f"{path}: {problem} {detail}".strip())


def diagnose(path: Path, error: BaseException) -> Unusable | None:
    """What prevents a start on the database at `path`, given the error opening it raised; None when the
    error says nothing about the file (a bug, say), which then goes on as it is."""
    folder = path.parent
    if path.is_dir():
        return Unusable(path, "is_directory")
    if isinstance(error, OSError):  # creating the folder
        blocked = _first_file_on_the_way(folder)
        if blocked is not None:
            return Unusable(path, "folder_not_folder", blocked)
        if error.errno == errno.EROFS:
            return Unusable(path, "read_only", folder)
        if error.errno in (errno.EACCES, errno.EPERM):
            return Unusable(path, "folder_cannot_create", folder, error.strerror or "")
        return Unusable(path, "folder_cannot_create", folder, error.strerror or str(error))
    text = str(error).lower()
    if "not a database" in text or "file is encrypted" in text:
        return Unusable(path, "not_sqlite")
    if kind_of(error) == "busy":
        return Unusable(path, "busy", detail=str(error))
    if not isinstance(error, sqlite3.OperationalError) or (kind_of(error) != "unwritable" and "disk" not in text):
        return None
    if _read_only_file_system(folder):
        return Unusable(path, "read_only", folder)
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return Unusable(path, "file_permission")
    if not os.access(folder, os.W_OK | os.X_OK):  # the file (when new), its -wal and -shm are created there
        return Unusable(path, "folder_permission", folder)
    if "full" in text:
        return Unusable(path, "full", folder)
    return _as_the_system_says(path) or Unusable(path, "unknown", detail=str(error))


def _as_the_system_says(path: Path) -> Unusable | None:
    """SQLite's "unable to open database file" says no more: the system's own reason, from opening the file
    as SQLite does (a file created by this probe is removed)."""
    existed = path.exists()
    try:
        fd = os.open(path, os.O_RDWR | (0 if existed else os.O_CREAT | os.O_EXCL), 0o644)
    except OSError as error:
        if error.errno == errno.EROFS:
            return Unusable(path, "read_only", path.parent)
        if error.errno in (errno.EACCES, errno.EPERM):
            return Unusable(path, "file_permission" if existed else "folder_permission", path.parent)
        return Unusable(path, "unknown", detail=error.strerror or str(error))
    os.close(fd)
    if not existed:
        path.unlink(missing_ok=True)
    return None


def _first_file_on_the_way(folder: Path) -> Path | None:
    """The first part of `folder` that exists and is not a folder (a file where a folder is needed)."""
    for part in [*reversed(folder.parents), folder]:
        if part.exists() and not part.is_dir():
            return part
    return None


def _read_only_file_system(folder: Path) -> bool:
    for part in [folder, *folder.parents]:
        if part.exists():
            try:
                return bool(os.statvfs(part).f_flag & os.ST_RDONLY)
            except OSError:
                return False
    return False


def _write_probe(db: sqlite_utils.Database) -> None:
    """A write that changes nothing (the header's user_version, rewritten as it is): a file that can be read
    but not written (its permissions, a read-only mount) is found at start, not at the first change. It
    does not queue for the write lock: a lock held by another process (a cron tick) says nothing of that,
    and the start's own writes wait for it anyway."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute(f"PRAGMA user_version = {version}")
    except sqlite3.OperationalError as error:
        if kind_of(error) != "busy":
            raise
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


class Store:
    def __init__(self, path: str | Path, migrate: bool = True):
        """With `migrate`, the file is opened (created when new) and brought up to date at once: a file that
        cannot be used raises Unusable, saying why."""
        self.path = Path(path)
        self._local = threading.local()
        if migrate:
            try:
                apply_migrations(self.db)
                _write_probe(self.db)
            except (OSError, sqlite3.Error) as error:
                unusable = diagnose(self.path, error)
                self.close()
                if unusable is None:
                    raise
                raise unusable from error

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

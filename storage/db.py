"""The SQLite file: one connection per thread, WAL, foreign keys, a busy timeout.

    store = Store("data/relais.db")   # creates the folder, applies pending migrations
    db = store.db                     # this thread's sqlite_utils.Database
    with store.db.atomic(): ...       # one transaction

A sqlite3 connection belongs to the thread that opened it; Store hands each thread its own.
"""
from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import sqlite_utils

BUSY_TIMEOUT_MS = 10_000


def connect(path: str | Path) -> sqlite_utils.Database:
    """A connection with the pragmas every Relais connection has."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return sqlite_utils.Database(conn, execute_plugins=False)


class Store:
    def __init__(self, path: str | Path, migrate: bool = True):
        self.path = Path(path)
        self._local = threading.local()
        if migrate:
            from storage.migrations import migrate as apply_migrations

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

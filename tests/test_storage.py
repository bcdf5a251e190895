"""The SQLite file: pragmas, migrations applied once, a connection per thread, online backup."""

import sqlite3
import threading
import time

from storage.db import Store, backup, checkpoint_in_background, connect, integrity_ok
from storage.migrations import migrate, migrations


def test_folder_created_and_pragmas_set(tmp_path):
    store = Store(tmp_path / "deep" / "folder" / "relais.db")
    db = store.db
    assert (tmp_path / "deep" / "folder" / "relais.db").exists()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000


def test_migrations_apply_once(tmp_path):
    store = Store(tmp_path / "relais.db")
    applied = [m.name for m in migrations.applied(store.db)]
    assert applied and applied[0] == "0001_initial"
    migrate(store.db)
    Store(tmp_path / "relais.db")
    assert [m.name for m in migrations.applied(store.db)] == applied
    assert migrations.pending(store.db) == []
    for table in ("outlets", "proposals", "placements", "history", "stats_snapshots", "outbox", "calendar_events"):
        assert store.db[table].exists(), table


def test_foreign_keys_are_enforced(tmp_path):
    db = Store(tmp_path / "relais.db").db
    try:
        db.execute(
            "INSERT INTO placements (proposal_id, outlet_slug, deadline, updated_at) VALUES (999, 'x', '2026-01-01', 'now')"
        )
    except sqlite3.IntegrityError:
        return
    raise AssertionError("a placement of a missing proposal was accepted")


def test_each_thread_gets_its_own_connection(tmp_path):
    store = Store(tmp_path / "relais.db")
    seen = {}

    def grab(name):
        seen[name] = store.db
        store.db.execute("SELECT 1")

    threads = [threading.Thread(target=grab, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["a"] is not seen["b"]
    assert store.db is store.db


def test_backup_is_a_consistent_copy(tmp_path):
    store = Store(tmp_path / "relais.db")
    store.db.execute("INSERT INTO kv (key, value, updated_at) VALUES ('a', 'b', 'now')")
    store.db.conn.commit()
    pages = backup(store.db, tmp_path / "copy" / "backup.db")
    assert pages > 0
    copy = connect(tmp_path / "copy" / "backup.db")
    assert integrity_ok(copy)
    assert copy.execute("SELECT value FROM kv WHERE key = 'a'").fetchone()[0] == "b"


def test_a_process_that_answers_requests_checkpoints_its_wal_in_a_thread_of_its_own(tmp_path):
    """Issue 14 item 9: no commit pays for a checkpoint (the copy and its fsync under the write lock)."""
    path = tmp_path / "relais.db"
    store = Store(path)
    stop = checkpoint_in_background(path)
    try:
        writer = connect(path)
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        before = path.stat().st_size
        with writer.atomic():
            for n in range(300):  # ~1,200 pages: past the 1,000 at which a commit would checkpoint
                writer.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, 'now')", [f"k{n}", "x" * 16000])
        assert path.stat().st_size == before  # the commit left it all in the WAL
        # copied back by the checkpoint thread: the file grows as the copy goes (it may be seen half-way)
        deadline = time.monotonic() + 10
        while path.stat().st_size <= before + 4_000_000 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert path.stat().st_size > before + 4_000_000
    finally:
        stop.set()
        store.close()

"""The SQLite file: pragmas, migrations applied once, a connection per thread, online backup."""

import sqlite3
import threading

from storage.db import Store, backup, connect, integrity_ok
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

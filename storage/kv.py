"""Small technical state: seen request signatures (replay protection), learnt identity, refresh marks, counters."""

from __future__ import annotations

import contextlib

from sqlite_utils import Database


def get(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM kv WHERE key = ?", [key]).fetchone()
    return row[0] if row else None


def put(db: Database, key: str, value: str, now: str) -> None:
    db.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        [key, value, now],
    )


def claim_once(db: Database, key: str, now: str, forget_before: str | None = None) -> bool:
    """True the first time `key` is claimed, False afterwards: one INSERT, in its own transaction or in the
    caller's (as it is, without a savepoint: a failure fails the caller's transaction anyway).
    With `forget_before`, claims of the same prefix older than that are dropped first (they can no
    longer be replayed: Slack's signatures expire after 5 minutes); callers do it now and then, not
    on every claim."""
    with contextlib.nullcontext() if db.conn.in_transaction else db.atomic():
        if forget_before is not None:
            forget(db, key.split(":", 1)[0] + ":", forget_before)
        cursor = db.execute(
            "INSERT INTO kv (key, value, updated_at) VALUES (?, '1', ?) ON CONFLICT (key) DO NOTHING", [key, now]
        )
    return cursor.rowcount == 1


def forget(db: Database, prefix: str, before: str) -> int:
    """Drop the keys starting with `prefix` last updated before `before` (a range of the primary key)."""
    end = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return db.execute("DELETE FROM kv WHERE key >= ? AND key < ? AND updated_at < ?", [prefix, end, before]).rowcount


def put_if_absent(db: Database, key: str, value: str, now: str) -> str:
    """Store `value` under `key` unless the key exists; returns the stored value (the first one wins)."""
    db.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING", [key, value, now]
    )
    return get(db, key) or value


def bump(db: Database, key: str, now: str) -> str:
    """Add one to the counter `key` (0 when absent) inside the caller's transaction; returns its new value."""
    db.execute(
        "INSERT INTO kv (key, value, updated_at) VALUES (?, '1', ?) "
        "ON CONFLICT (key) DO UPDATE SET value = CAST(kv.value AS INTEGER) + 1, updated_at = excluded.updated_at",
        [key, now],
    )
    return get(db, key) or "1"

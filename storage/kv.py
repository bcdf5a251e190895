"""Small technical state: seen request signatures (replay protection), learnt identity, refresh marks."""
from __future__ import annotations

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


def claim_once(db: Database, key: str, now: str, forget_before: str) -> bool:
    """True the first time `key` is claimed, False afterwards. Claims older than `forget_before`
    are dropped (they can no longer be replayed: Slack's signatures expire after 5 minutes)."""
    with db.atomic():
        db.execute("DELETE FROM kv WHERE key LIKE 'seen:%' AND updated_at < ?", [forget_before])
        cursor = db.execute("INSERT INTO kv (key, value, updated_at) VALUES (?, '1', ?) ON CONFLICT (key) DO NOTHING",
                            [key, now])
    return cursor.rowcount == 1

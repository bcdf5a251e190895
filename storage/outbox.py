"""The outbox: every message Relais owes, as a row. Planned once (unique key), claimed atomically,
sent once. Rows are never deleted: they end `sent`, `skipped`, `failed` or `cancelled`.

A row stuck in `sending` (the process died while posting) is reclaimed after STALE_CLAIM, so the
message in flight at a crash may be repeated once; nothing else is.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Iterable

from sqlite_utils import Database

from bot.clock import to_text

STALE_CLAIM = timedelta(minutes=5)
OPEN = ("pending", "sending")


def plan(
    db: Database,
    *,
    key: str,
    kind: str,
    due_at: datetime,
    target: str,
    now: datetime,
    proposal_id: int | None = None,
    placement_id: int | None = None,
    payload: dict | None = None,
) -> int | None:
    """Create the row unless its key exists already; returns the new id, or None when it existed."""
    cursor = db.execute(
        """INSERT INTO outbox (key, kind, due_at, target, proposal_id, placement_id, payload, status,
                               created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
           ON CONFLICT (key) DO NOTHING""",
        [key, kind, to_text(due_at), target, proposal_id, placement_id, json.dumps(payload or {}),
         to_text(now), to_text(now)],
    )
    return cursor.lastrowid if cursor.rowcount else None


def replan(db: Database, key: str, due_at: datetime, now: datetime) -> bool:
    """Move a still-pending row to a new time (snooze)."""
    cursor = db.execute(
        "UPDATE outbox SET due_at = ?, next_attempt_at = NULL, updated_at = ? WHERE key = ? AND status = 'pending'",
        [to_text(due_at), to_text(now), key],
    )
    return cursor.rowcount > 0


def claim_due(db: Database, now: datetime, worker: str, limit: int = 100, keys: Iterable[str] | None = None) -> list[dict]:
    """Atomically take the due rows (oldest first) for this worker; nobody else gets them."""
    stamp = to_text(now)
    stale = to_text(now - STALE_CLAIM)
    where = ["((status = 'pending' AND due_at <= :now AND (next_attempt_at IS NULL OR next_attempt_at <= :now))"
             " OR (status = 'sending' AND claimed_at <= :stale))"]
    params: dict = {"now": stamp, "stale": stale, "worker": worker, "limit": limit}
    if keys is not None:
        keys = list(keys)
        if not keys:
            return []
        where.append("key IN (%s)" % ", ".join(f":k{i}" for i in range(len(keys))))
        params.update({f"k{i}": k for i, k in enumerate(keys)})
    with db.atomic():
        rows = db.execute(
            f"""UPDATE outbox SET status = 'sending', claimed_at = :now, claimed_by = :worker,
                       attempts = attempts + 1, updated_at = :now
                WHERE id IN (SELECT id FROM outbox WHERE {' AND '.join(where)} ORDER BY due_at, id LIMIT :limit)
                RETURNING *""",
            params,
        ).fetchall()
        columns = [c[0] for c in db.execute("SELECT * FROM outbox LIMIT 0").description]
    claimed = [dict(zip(columns, row)) for row in rows]
    claimed.sort(key=lambda r: (r["due_at"], r["id"]))
    return claimed


def mark_sent(db: Database, row_id: int, now: datetime, channel: str | None, ts: str | None) -> None:
    db.execute(
        """UPDATE outbox SET status = 'sent', sent_at = ?, slack_channel = ?, slack_ts = ?, last_error = NULL,
                  updated_at = ? WHERE id = ?""",
        [to_text(now), channel, ts, to_text(now), row_id],
    )


def mark_skipped(db: Database, row_id: int, now: datetime, reason: str) -> None:
    db.execute(
        "UPDATE outbox SET status = 'skipped', last_error = ?, updated_at = ? WHERE id = ?",
        [reason, to_text(now), row_id],
    )


def mark_retry(db: Database, row_id: int, now: datetime, next_attempt: datetime, error: str,
               count_attempt: bool = True) -> None:
    """Back to pending, to be tried again at `next_attempt`. A rate limit does not count as an attempt."""
    db.execute(
        f"""UPDATE outbox SET status = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ?,
                   attempts = attempts - {0 if count_attempt else 1}, claimed_at = NULL, claimed_by = NULL
            WHERE id = ?""",
        [to_text(next_attempt), error, to_text(now), row_id],
    )


def mark_failed(db: Database, row_id: int, now: datetime, error: str) -> None:
    db.execute(
        "UPDATE outbox SET status = 'failed', last_error = ?, updated_at = ? WHERE id = ?",
        [error, to_text(now), row_id],
    )


def cancel(db: Database, now: datetime, *, placement_id: int | None = None, proposal_id: int | None = None,
           kinds: Iterable[str] | None = None, reason: str = "") -> int:
    """Withdraw pending rows that stopped being relevant; returns how many."""
    where, params = ["status = 'pending'"], [reason or "cancelled", to_text(now)]
    if placement_id is not None:
        where.append("placement_id = ?")
        params.append(placement_id)
    if proposal_id is not None:
        where.append("proposal_id = ?")
        params.append(proposal_id)
    if kinds:
        kinds = list(kinds)
        where.append("kind IN (%s)" % ", ".join("?" for _ in kinds))
        params.extend(kinds)
    cursor = db.execute(
        f"UPDATE outbox SET status = 'cancelled', last_error = ?, updated_at = ? WHERE {' AND '.join(where)}",
        params,
    )
    return cursor.rowcount


def get(db: Database, key: str) -> dict | None:
    rows = list(db.query("SELECT * FROM outbox WHERE key = ?", [key]))
    return rows[0] if rows else None


def rows(db: Database, *, kind: str | None = None, status: str | None = None, proposal_id: int | None = None) -> list[dict]:
    where, params = ["1 = 1"], []
    for column, value in (("kind", kind), ("status", status), ("proposal_id", proposal_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    return list(db.query(f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY due_at, id", params))


def failed(db: Database) -> list[dict]:
    return rows(db, status="failed")


def next_due(db: Database) -> str | None:
    row = db.execute("SELECT MIN(COALESCE(next_attempt_at, due_at)) FROM outbox WHERE status = 'pending'").fetchone()
    return row[0] if row else None

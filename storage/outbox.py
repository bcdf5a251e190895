"""The outbox: every message Relais owes, as a row. Planned once (unique key), claimed atomically,
sent once. Rows are never deleted: they end `sent`, `skipped`, `failed` or `cancelled`.

Two clocks meet here, on purpose:
- `due_at`, `next_attempt_at`, `sent_at` are business time: the tick's `now` (`tick --at` sets it).
- `claimed_at` is the wall clock (UTC) of the claim: a lease on the row, about processes, not about
  the calendar. A row stuck in `sending` (its process died while posting) is taken back after
  STALE_CLAIM of real time, or at once when its claimer is known to be dead (bot.outbox), so the
  message in flight at a crash may be repeated once; nothing else is.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlite_utils import Database

from bot.clock import to_text
from storage.rows import OutboxRow, Row

STALE_CLAIM = timedelta(minutes=5)
OPEN = ("pending", "sending")
_COLUMNS: list[str] | None = None
ROWS_PER_INSERT = 1000  # 9 parameters a row: well within SQLite's 32,766


def _columns(db: Database) -> list[str]:
    global _COLUMNS
    if _COLUMNS is None:
        _COLUMNS = [c[0] for c in db.execute("SELECT * FROM outbox LIMIT 0").description]
    return _COLUMNS


def _wall() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Planned:
    """A row to plan (see plan_all): its key is unique, its kind names the renderer that will write it."""

    key: str
    kind: str
    due_at: datetime
    target: str
    proposal_id: int | None = None
    placement_id: int | None = None
    payload: dict | None = None


def plan_all(db: Database, rows: Sequence[Planned], now: datetime) -> int:
    """Create each row unless its key exists already, in one statement; returns how many were created."""
    return sum(_insert(db, rows[i : i + ROWS_PER_INSERT], now).rowcount for i in range(0, len(rows), ROWS_PER_INSERT))


def plan_keys(db: Database, rows: Sequence[Planned], now: datetime) -> list[str]:
    """plan_all, then the rows' keys (planned now or before: each names the row owed)."""
    plan_all(db, rows, now)
    return [row.key for row in rows]


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
    cursor = _insert(db, [Planned(key, kind, due_at, target, proposal_id, placement_id, payload)], now)
    return cursor.lastrowid if cursor.rowcount else None


def _insert(db: Database, rows: Sequence[Planned], now: datetime) -> sqlite3.Cursor:
    at = to_text(now)
    values = ", ".join("(?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)" for _ in rows)
    params: list = []
    for r in rows:
        params += [r.key, r.kind, to_text(r.due_at), r.target, r.proposal_id, r.placement_id]
        params += [json.dumps(r.payload or {}), at, at]
    return db.execute(
        f"""INSERT INTO outbox (key, kind, due_at, target, proposal_id, placement_id, payload, status,
                                created_at, updated_at)
            VALUES {values}
            ON CONFLICT (key) DO NOTHING""",
        params,
    )


def revive(db: Database, key: str, now: datetime) -> bool:
    """A cancelled row that became relevant again (a placement back to `planned`), if still in the future."""
    cursor = db.execute(
        """UPDATE outbox SET status = 'pending', last_error = NULL, next_attempt_at = NULL, updated_at = ?
           WHERE key = ? AND status = 'cancelled' AND due_at > ?""",
        [to_text(now), key, to_text(now)],
    )
    return cursor.rowcount > 0


def add_item(db: Database, key: str, item: object, now: datetime) -> bool:
    """Append `item` to a pending row's payload["items"] (once); False when the row is not pending."""
    row = get(db, key)
    if row is None or row["status"] != "pending":
        return False
    payload = json.loads(row["payload"] or "{}")
    items = payload.setdefault("items", [])
    if item not in items:
        items.append(item)
        db.execute(
            "UPDATE outbox SET payload = ?, updated_at = ? WHERE id = ?", [json.dumps(payload), to_text(now), row["id"]]
        )
    return True


def set_payload(db: Database, row_id: int, payload: dict, now: datetime) -> None:
    db.execute(
        "UPDATE outbox SET payload = ?, updated_at = ? WHERE id = ?", [json.dumps(payload), to_text(now), row_id]
    )


def replan(db: Database, key: str, due_at: datetime, now: datetime) -> bool:
    """Move a still-pending row to a new time."""
    cursor = db.execute(
        "UPDATE outbox SET due_at = ?, next_attempt_at = NULL, updated_at = ? WHERE key = ? AND status = 'pending'",
        [to_text(due_at), to_text(now), key],
    )
    return cursor.rowcount > 0


def claim_due(
    db: Database,
    now: datetime,
    worker: str,
    limit: int = 100,
    keys: Iterable[str] | None = None,
    *,
    wall: datetime | None = None,
) -> list[OutboxRow]:
    """Atomically take the due rows (oldest first) for this worker; nobody else gets them.

    One UPDATE ... RETURNING under SQLite's write lock: two ticks, threads or processes never
    claim the same row. Rows claimed by a worker whose lease ran out (STALE_CLAIM) are taken back.
    """
    wall = wall or _wall()
    params: dict = {
        "now": to_text(now),
        "wall": to_text(wall),
        "stale": to_text(wall - STALE_CLAIM),
        "worker": worker,
        "limit": limit,
    }
    where = [
        "((status = 'pending' AND due_at <= :now AND (next_attempt_at IS NULL OR next_attempt_at <= :now))"
        " OR (status = 'sending' AND claimed_at <= :stale))"
    ]
    if keys is not None:
        keys = list(keys)
        if not keys:
            return []
        where.append("key IN ({})".format(", ".join(f":k{i}" for i in range(len(keys)))))
        params.update({f"k{i}": k for i, k in enumerate(keys)})
    with db.atomic():
        fetched = db.execute(
            f"""UPDATE outbox SET status = 'sending', claimed_at = :wall, claimed_by = :worker, posting_at = NULL,
                       attempts = attempts + 1, updated_at = :now
                WHERE id IN (SELECT id FROM outbox WHERE {" AND ".join(where)} ORDER BY due_at, id LIMIT :limit)
                RETURNING *""",
            params,
        ).fetchall()
    columns = _columns(db)
    claimed = [dict(zip(columns, row, strict=False)) for row in fetched]
    claimed.sort(key=lambda r: (r["due_at"], r["id"]))
    return claimed


def claims(db: Database) -> list[Row]:
    """Rows being sent right now (or whose sender died): id, claimer, attempts, whether it was posting."""
    return list(
        db.query(
            "SELECT id, key, claimed_by, claimed_at, posting_at, attempts, interruptions FROM outbox"
            " WHERE status = 'sending'"
        )
    )


def release(db: Database, row_id: int, worker: str, now: datetime, reason: str, refund: bool = False) -> bool:
    """Give a claimed row back (its claimer is dead): pending again, due as before. With `refund`, the
    claim's attempt is given back too (the sender died before it started posting this row); without,
    the death is counted in `interruptions` (it died with the message in flight)."""
    cursor = db.execute(
        f"""UPDATE outbox SET status = 'pending', claimed_at = NULL, claimed_by = NULL, posting_at = NULL,
                   attempts = attempts - {1 if refund else 0}, interruptions = interruptions + {0 if refund else 1},
                   last_error = ?, updated_at = ?
            WHERE id = ? AND status = 'sending' AND claimed_by = ?""",
        [reason, to_text(now), row_id, worker],
    )
    return cursor.rowcount > 0


def still_mine(db: Database, row_id: int, worker: str, *, wall: datetime | None = None) -> bool:
    """Renew this worker's claim right before posting (and say it is posting now); False when the row is
    no longer ours to send."""
    stamp = to_text(wall or _wall())
    with db.atomic():
        cursor = db.execute(
            "UPDATE outbox SET claimed_at = ?, posting_at = ? WHERE id = ? AND status = 'sending' AND claimed_by = ?",
            [stamp, stamp, row_id, worker],
        )
    return cursor.rowcount > 0


def mark_sent(db: Database, row_id: int, now: datetime, channel: str | None, ts: str | None) -> None:
    db.execute(
        """UPDATE outbox SET status = 'sent', sent_at = ?, slack_channel = ?, slack_ts = ?, last_error = NULL,
                  next_attempt_at = NULL, updated_at = ? WHERE id = ?""",
        [to_text(now), channel, ts, to_text(now), row_id],
    )


def mark_skipped(db: Database, row_id: int, now: datetime, reason: str) -> None:
    db.execute(
        "UPDATE outbox SET status = 'skipped', last_error = ?, updated_at = ? WHERE id = ?",
        [reason, to_text(now), row_id],
    )


def mark_retry(
    db: Database, row_id: int, now: datetime, next_attempt: datetime, error: str, count_attempt: bool = True
) -> None:
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


def cancel(
    db: Database,
    now: datetime,
    *,
    placement_id: int | None = None,
    proposal_id: int | None = None,
    kinds: Iterable[str] | None = None,
    reason: str = "",
    keep: Iterable[str] = (),
) -> int:
    """Withdraw pending rows that stopped being relevant (except the keys in `keep`); returns how many."""
    where = ["status = 'pending'"]
    params: list[str | int] = [reason or "cancelled", to_text(now)]
    if placement_id is not None:
        where.append("placement_id = ?")
        params.append(placement_id)
    if proposal_id is not None:
        where.append("proposal_id = ?")
        params.append(proposal_id)
    if kinds:
        kinds = list(kinds)
        where.append("kind IN ({})".format(", ".join("?" for _ in kinds)))
        params.extend(kinds)
    keep = list(keep)
    if keep:
        where.append("key NOT IN ({})".format(", ".join("?" for _ in keep)))
        params.extend(keep)
    cursor = db.execute(
        f"UPDATE outbox SET status = 'cancelled', last_error = ?, updated_at = ? WHERE {' AND '.join(where)}",
        params,
    )
    return cursor.rowcount


def cancel_keys(db: Database, keys: Iterable[str], now: datetime, reason: str) -> int:
    """Withdraw these rows, if still pending."""
    count = 0
    for key in keys:
        count += db.execute(
            "UPDATE outbox SET status = 'cancelled', last_error = ?, updated_at = ?"
            " WHERE key = ? AND status = 'pending'",
            [reason, to_text(now), key],
        ).rowcount
    return count


def merge(db: Database, row_ids: Iterable[int], worker: str, now: datetime, reason: str) -> list[int]:
    """Close rows whose content went out in another message: pending ones, or ones this worker claimed."""
    merged = []
    for row_id in row_ids:
        cursor = db.execute(
            """UPDATE outbox SET status = 'skipped', last_error = ?, updated_at = ?
               WHERE id = ? AND (status = 'pending' OR (status = 'sending' AND claimed_by = ?))""",
            [reason, to_text(now), row_id, worker],
        )
        if cursor.rowcount:
            merged.append(row_id)
    return merged


def open_for(db: Database, kind: str, target: str, due_before: datetime, worker: str) -> list[OutboxRow]:
    """Rows of `kind` for `target` due by then that this worker may still take: pending, or claimed by it."""
    return list(
        db.query(
            """SELECT * FROM outbox WHERE kind = ? AND target = ? AND due_at <= ?
             AND (status = 'pending' OR (status = 'sending' AND claimed_by = ?))
           ORDER BY due_at, id""",
            [kind, target, to_text(due_before), worker],
        )
    )


def sent_between(db: Database, kind: str, target: str, start: datetime, end: datetime) -> list[OutboxRow]:
    """Rows of `kind` for `target` sent in [start, end) (business time)."""
    return list(
        db.query(
            "SELECT * FROM outbox WHERE kind = ? AND target = ? AND status = 'sent' AND sent_at >= ? AND sent_at < ?"
            " ORDER BY sent_at, id",
            [kind, target, to_text(start), to_text(end)],
        )
    )


def get(db: Database, key: str) -> OutboxRow | None:
    rows = list(db.query("SELECT * FROM outbox WHERE key = ?", [key]))
    return rows[0] if rows else None


def by_id(db: Database, row_id: int) -> OutboxRow | None:
    rows = list(db.query("SELECT * FROM outbox WHERE id = ?", [row_id]))
    return rows[0] if rows else None


def rows(
    db: Database,
    *,
    kind: str | None = None,
    status: str | None = None,
    proposal_id: int | None = None,
    placement_id: int | None = None,
) -> list[OutboxRow]:
    where, params = ["1 = 1"], []
    # With a placement or a proposal, search by it: `+kind`/`+status` keep SQLite from walking every
    # pending row through outbox_due (its ORDER BY) instead of that placement's few rows.
    by_id = placement_id is not None or proposal_id is not None
    for column, value in (
        ("kind", kind),
        ("status", status),
        ("proposal_id", proposal_id),
        ("placement_id", placement_id),
    ):
        if value is not None:
            where.append(f"{'+' if by_id and column in ('kind', 'status') else ''}{column} = ?")
            params.append(value)
    return list(db.query(f"SELECT * FROM outbox WHERE {' AND '.join(where)} ORDER BY due_at, id", params))


def failed(db: Database) -> list[OutboxRow]:
    return rows(db, status="failed")


def retry_failed(db: Database, now: datetime, keys: Iterable[str] | None = None) -> list[OutboxRow]:
    """Failed rows (these keys, or all of them) owed again from `now`: pending, attempts and interruptions
    back to 0, the last error kept until the next try. Returns the rows as they are now."""
    where, params = ["status = 'failed'"], [to_text(now)]
    if keys is not None:
        keys = list(keys)
        if not keys:
            return []
        where.append("key IN ({})".format(", ".join("?" for _ in keys)))
        params.extend(keys)
    return list(
        db.query(
            f"""UPDATE outbox SET status = 'pending', attempts = 0, interruptions = 0, next_attempt_at = NULL,
                       claimed_at = NULL, claimed_by = NULL, posting_at = NULL, updated_at = ?
                WHERE {" AND ".join(where)} RETURNING *""",
            params,
        )
    )


def next_due(db: Database) -> str | None:
    row = db.execute("SELECT MIN(COALESCE(next_attempt_at, due_at)) FROM outbox WHERE status = 'pending'").fetchone()
    return row[0] if row else None


# -- pacing, shared by every process on the database --------------------------------------------
_PACE_PREFIX = "outbox.pace:"


def reserve_slot(db: Database, channel: str, at: float, spacing: float) -> float:
    """The earliest moment (epoch seconds) this process may post in `channel`, and book it:
    the next post there waits `spacing` after it. One statement, under the write lock."""
    with db.atomic():
        row = db.execute(
            """INSERT INTO kv (key, value, updated_at) VALUES (:key, CAST(:at + :spacing AS TEXT), :stamp)
               ON CONFLICT (key) DO UPDATE
                  SET value = CAST(MAX(CAST(value AS REAL), :at) + :spacing AS TEXT), updated_at = :stamp
               RETURNING CAST(value AS REAL)""",
            {"key": _PACE_PREFIX + channel, "at": at, "spacing": spacing, "stamp": to_text(_wall())},
        ).fetchone()
    return row[0] - spacing


def hold_channel(db: Database, channel: str, until: float) -> None:
    """Nobody posts in `channel` before `until` (epoch seconds): Slack said Retry-After."""
    with db.atomic():
        db.execute(
            """INSERT INTO kv (key, value, updated_at) VALUES (:key, CAST(:until AS TEXT), :stamp)
               ON CONFLICT (key) DO UPDATE SET value = CAST(MAX(CAST(value AS REAL), :until) AS TEXT), updated_at = :stamp""",
            {"key": _PACE_PREFIX + channel, "until": until, "stamp": to_text(_wall())},
        )


def pending_between(db: Database, kind: str, target: str, after: datetime, before: datetime) -> list[OutboxRow]:
    """Pending rows of `kind` for `target` due in (after, before), soonest first."""
    return list(
        db.query(
            "SELECT * FROM outbox WHERE kind = ? AND target = ? AND status = 'pending' AND due_at > ? AND due_at < ?"
            " ORDER BY due_at, id",
            [kind, target, to_text(after), to_text(before)],
        )
    )


def newer_pending(db: Database, kind: str, proposal_id: int, after_id: int) -> int:
    """How many rows of that kind and proposal, planned after row `after_id`, are still owed."""
    return db.execute(
        """SELECT COUNT(*) FROM outbox WHERE kind = ? AND proposal_id = ? AND id > ?
           AND status IN ('pending', 'sending')""",
        [kind, proposal_id, after_id],
    ).fetchone()[0]


def overdue_count(db: Database, before: datetime) -> int:
    """How many messages still owed were due before `before` (health: owed messages stuck)."""
    row = db.execute(
        "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND due_at <= ?", [to_text(before)]
    ).fetchone()
    return int(row[0])

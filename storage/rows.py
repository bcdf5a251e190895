"""What storage hands back: each SQLite row as a dict, column name -> value (sqlite_utils' `query`).

Each alias names the table a function reads, so a reader knows which columns to expect. To the type
checker they are all `dict[str, Any]`: the columns come from SQL, which mypy cannot read, and callers
pass rows on as plain dicts. Values are as SQLite keeps them (storage/migrations.py): instants and days
as ISO text (bot.clock.to_text), lists as JSON text, booleans as 0/1, NULL as None.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Row: TypeAlias = dict[str, Any]
"""Any row; a query that picks its own columns (reports, exports, the digest) says which in its docstring."""

OutletRow: TypeAlias = Row
"""outlets.*: slug, name, owner ('university' | 'library'), platform, lead_days, per_week, checklist and
audiences (JSON lists), position, active (0/1), updated_at, follow_up_days."""

ProposalRow: TypeAlias = Row
"""proposals.*: id, title, summary, category ('cyclic' | 'one-off' | 'collections'), audiences (JSON list),
publish_on, link, notes, owner_id, status ('open' | 'cancelled'), card_channel, card_ts, cycle_key, cycle_start and cycle_end (the period of the cycle's return it is for),
created_at, updated_at."""

PlacementRow: TypeAlias = Row
"""placements.*: id, proposal_id, outlet_slug, deadline, status ('planned' … 'withdrawn', 'not_published'), submitted_at,
decided_at, published_on, published_url, updated_at; joined queries add `outlet_*`, `proposal_*` and
figures columns, named in their SQL."""

HistoryRow: TypeAlias = Row
"""history.*: id, proposal_id, placement_id, actor, at, action, from_value, to_value, note (and the
placement's outlet_slug where joined)."""

SnapshotRow: TypeAlias = Row
"""stats_snapshots.*: id, placement_id, views, interactions, avg_seconds, recorded_by, recorded_at, source."""

OutboxRow: TypeAlias = Row
"""outbox.*: id, key, kind, due_at, target, proposal_id, placement_id, payload (JSON), status ('pending' |
'sending' | 'sent' | 'skipped' | 'failed' | 'cancelled'), attempts, next_attempt_at, claimed_at, claimed_by,
posting_at, sent_at, slack_channel, slack_ts, last_error, created_at, updated_at, interruptions."""

EventRow: TypeAlias = Row
"""calendar_events.*: id, uid, source ('file' or a feed's URL), name, kind ('closure' | 'exams' | 'term-start'
| 'reading-week' | 'other'), start, end, active (0/1), updated_at."""

FeedRow: TypeAlias = Row
"""calendar_feeds.*: url, etag, last_modified, last_ok_at, last_error, error_reported (0/1), last_attempt_at,
failing_since, parsed_at, updated_at, kind (the default kind last read with), skipped, skipped_problem."""

"""Numbered schema steps, applied in order with sqlite-utils' own Migrations.

Applying twice is a no-op: each step is recorded in `_sqlite_migrations`. Never edit a
step that has shipped; add the next one at the end of this file.

Conventions: instants are UTC text 'YYYY-MM-DDTHH:MM:SSZ' (bot.clock.to_text), days are
'YYYY-MM-DD', lists are JSON text. Nothing is deleted: rows change status.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("relais")


@migrations(name="0001_initial")
def m0001_initial(db: Database) -> None:
    _run(
        db,
        """
        -- Where content is published. Synchronised from OUTLETS_FILE; a removed outlet stays, inactive.
        CREATE TABLE outlets (
            slug        TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            owner       TEXT NOT NULL CHECK (owner IN ('university', 'library')),
            platform    TEXT NOT NULL,
            lead_days   INTEGER NOT NULL CHECK (lead_days >= 0),
            per_week    INTEGER CHECK (per_week IS NULL OR per_week > 0),
            checklist   TEXT NOT NULL DEFAULT '[]',
            audiences   TEXT NOT NULL DEFAULT '[]',
            position    INTEGER NOT NULL DEFAULT 0,
            active      INTEGER NOT NULL DEFAULT 1,
            updated_at  TEXT NOT NULL
        );

        -- A piece of content the library wants published. Never deleted: cancelled.
        CREATE TABLE proposals (
            id           INTEGER PRIMARY KEY,
            title        TEXT NOT NULL,
            summary      TEXT NOT NULL DEFAULT '',
            category     TEXT NOT NULL DEFAULT 'one-off' CHECK (category IN ('cyclic', 'one-off', 'collections')),
            audiences    TEXT NOT NULL DEFAULT '[]',
            publish_on   TEXT NOT NULL,
            link         TEXT NOT NULL DEFAULT '',
            notes        TEXT NOT NULL DEFAULT '',
            owner_id     TEXT NOT NULL,
            status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'cancelled')),
            card_channel TEXT,
            card_ts      TEXT,
            cycle_key    TEXT,
            created_at   TEXT NOT NULL,
            updated_at   TEXT NOT NULL
        );
        CREATE INDEX proposals_publish_on ON proposals (status, publish_on);
        CREATE INDEX proposals_owner ON proposals (owner_id, status);

        -- proposal x outlet
        CREATE TABLE placements (
            id            INTEGER PRIMARY KEY,
            proposal_id   INTEGER NOT NULL REFERENCES proposals (id),
            outlet_slug   TEXT NOT NULL REFERENCES outlets (slug),
            deadline      TEXT NOT NULL,
            status        TEXT NOT NULL DEFAULT 'planned'
                          CHECK (status IN ('planned', 'submitted', 'accepted', 'declined', 'published', 'cancelled')),
            submitted_at  TEXT,
            decided_at    TEXT,
            published_on  TEXT,
            published_url TEXT,
            updated_at    TEXT NOT NULL,
            UNIQUE (proposal_id, outlet_slug)
        );
        CREATE INDEX placements_deadline ON placements (status, deadline);
        CREATE INDEX placements_outlet ON placements (outlet_slug, status);
        CREATE INDEX placements_published ON placements (status, published_on);

        -- Every change, who made it and when: the history of a proposal.
        CREATE TABLE history (
            id           INTEGER PRIMARY KEY,
            proposal_id  INTEGER NOT NULL REFERENCES proposals (id),
            placement_id INTEGER REFERENCES placements (id),
            actor        TEXT NOT NULL,
            at           TEXT NOT NULL,
            action       TEXT NOT NULL,
            from_value   TEXT,
            to_value     TEXT,
            note         TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX history_proposal ON history (proposal_id, id);

        -- Figures for one placement at one moment; cumulative, the latest is current.
        CREATE TABLE stats_snapshots (
            id           INTEGER PRIMARY KEY,
            placement_id INTEGER NOT NULL REFERENCES placements (id),
            views        INTEGER NOT NULL CHECK (views >= 0),
            interactions INTEGER NOT NULL CHECK (interactions >= 0),
            avg_seconds  INTEGER CHECK (avg_seconds IS NULL OR avg_seconds >= 0),
            recorded_by  TEXT NOT NULL,
            recorded_at  TEXT NOT NULL,
            source       TEXT NOT NULL DEFAULT 'slack'
        );
        CREATE INDEX stats_placement ON stats_snapshots (placement_id, recorded_at);

        -- Every message owed at a time: planned once (unique key), claimed atomically, sent once.
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY,
            key             TEXT NOT NULL UNIQUE,
            kind            TEXT NOT NULL,
            due_at          TEXT NOT NULL,
            target          TEXT NOT NULL,
            proposal_id     INTEGER REFERENCES proposals (id),
            placement_id    INTEGER REFERENCES placements (id),
            payload         TEXT NOT NULL DEFAULT '{}',
            status          TEXT NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed', 'cancelled')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT,
            claimed_at      TEXT,
            claimed_by      TEXT,
            sent_at         TEXT,
            slack_channel   TEXT,
            slack_ts        TEXT,
            last_error      TEXT,
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL
        );
        CREATE INDEX outbox_due ON outbox (status, due_at);
        CREATE INDEX outbox_placement ON outbox (placement_id, status);
        CREATE INDEX outbox_proposal ON outbox (proposal_id, status);

        -- University calendar: from CALENDAR_FILE (source 'file') and from iCalendar feeds (source = URL).
        CREATE TABLE calendar_events (
            id         INTEGER PRIMARY KEY,
            uid        TEXT NOT NULL UNIQUE,
            source     TEXT NOT NULL,
            name       TEXT NOT NULL,
            kind       TEXT NOT NULL CHECK (kind IN ('closure', 'exams', 'term-start', 'reading-week', 'other')),
            start      TEXT NOT NULL,
            end        TEXT NOT NULL,
            active     INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX calendar_events_kind ON calendar_events (active, kind, start);

        CREATE TABLE calendar_feeds (
            url            TEXT PRIMARY KEY,
            etag           TEXT,
            last_modified  TEXT,
            last_ok_at     TEXT,
            last_error     TEXT,
            error_reported INTEGER NOT NULL DEFAULT 0,
            updated_at     TEXT NOT NULL
        );

        -- Signed requests already handled (replay protection) and other small key/value state.
        CREATE TABLE kv (
            key        TEXT PRIMARY KEY,
            value      TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        """,
    )


def _run(db: Database, script: str) -> None:
    """Statement by statement: executescript() would COMMIT and break the step's transaction."""
    for statement in script.split(";\n"):
        if statement.strip() and not all(
            line.strip().startswith("--") or not line.strip() for line in statement.splitlines()
        ):
            db.execute(statement)


def migrate(db: Database) -> None:
    migrations.apply(db)


@migrations(name="0002_calendar_feed_refresh")
def m0002_calendar_feed_refresh(db: Database) -> None:
    _run(
        db,
        """
        -- iCalendar feeds (bot.calendar.feeds): when the last fetch was tried (daily refresh, hourly retry of a failing
        -- feed, claimed so two processes never fetch together), since when the feed fails (one report per
        -- failure episode), when its content was last parsed in full (conditional GET only while recent).
        ALTER TABLE calendar_feeds ADD COLUMN last_attempt_at TEXT;
        ALTER TABLE calendar_feeds ADD COLUMN failing_since TEXT;
        ALTER TABLE calendar_feeds ADD COLUMN parsed_at TEXT
        """,
    )


@migrations(name="0003_indexes_for_years_of_data")
def m0003_indexes_for_years_of_data(db: Database) -> None:
    _run(
        db,
        """
        -- Outbox rows by kind and recipient: a person's stats messages (bot.reminders.rules), the digests
        -- planned so far (bot.digest.jobs, every tick): an index search instead of a scan of every
        -- message ever sent.
        CREATE INDEX IF NOT EXISTS outbox_kind_target ON outbox (kind, target, due_at);

        -- The proposals made from a cycle (bot.calendar.cycles, the digest's cyclic contents).
        CREATE INDEX IF NOT EXISTS proposals_cycle ON proposals (cycle_key, status, publish_on);

        -- When the sender of a claimed row started posting it (bot.outbox): a sender that dies before
        -- that (waiting its turn in a batch, or for the channel's pace) gives the attempt back; only a
        -- death with the message in flight counts towards MAX_ATTEMPTS.
        ALTER TABLE outbox ADD COLUMN posting_at TEXT
        """,
    )


@migrations(name="0004_placement_withdrawn", transactional=False)
def m0004_placement_withdrawn(db: Database) -> None:
    """A placement may be `withdrawn` (the others go on): SQLite cannot change a CHECK, so the table is
    rebuilt the documented way (foreign keys off, create-copy-drop-rename in one transaction, foreign
    keys checked before the commit). Idempotent: a rebuild already done is not redone."""
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'placements'").fetchone()[0]
    if "'withdrawn'" in sql:
        return
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            _rebuild_placements(db)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"0004: foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


def _rebuild_placements(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE placements_new (
            id            INTEGER PRIMARY KEY,
            proposal_id   INTEGER NOT NULL REFERENCES proposals (id),
            outlet_slug   TEXT NOT NULL REFERENCES outlets (slug),
            deadline      TEXT NOT NULL,
            status        TEXT NOT NULL DEFAULT 'planned'
                          CHECK (status IN ('planned', 'submitted', 'accepted', 'declined', 'published', 'cancelled',
                                            'withdrawn')),
            submitted_at  TEXT,
            decided_at    TEXT,
            published_on  TEXT,
            published_url TEXT,
            updated_at    TEXT NOT NULL,
            UNIQUE (proposal_id, outlet_slug)
        );
        INSERT INTO placements_new (id, proposal_id, outlet_slug, deadline, status, submitted_at, decided_at,
                                    published_on, published_url, updated_at)
            SELECT id, proposal_id, outlet_slug, deadline, status, submitted_at, decided_at,
                   published_on, published_url, updated_at FROM placements;
        DROP TABLE placements;
        ALTER TABLE placements_new RENAME TO placements;
        CREATE INDEX placements_deadline ON placements (status, deadline);
        CREATE INDEX placements_outlet ON placements (outlet_slug, status);
        CREATE INDEX placements_published ON placements (status, published_on)
        """,
    )


@migrations(name="0005_stats_unknown_figures")
def m0005_stats_unknown_figures(db: Database) -> None:
    # Figures as they come (views alone; interactions and time when known): an interaction count not
    # given is unknown (NULL), never 0. The table is rebuilt by sqlite-utils with its rows, ids (outbox
    # payloads name snapshots by id), checks and index; views stay required.
    db.table("stats_snapshots").transform(not_null={"interactions": False})


@migrations(name="0006_placement_not_published", transactional=False)
def m0006_placement_not_published(db: Database) -> None:
    """A placement whose publication date passed without being published becomes `not_published`: the
    placements' CHECK is rebuilt as 0004 did (foreign keys off, create-copy-drop-rename in one transaction,
    foreign keys checked before the commit), from the table's own definition so every column and index it
    has by then is kept. Outlets get `follow_up_days` (business days without an answer before one
    follow-up, config/outlets.toml). Idempotent: what is done already is not redone."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(outlets)").fetchall()}
    if "follow_up_days" not in columns:
        db.execute("ALTER TABLE outlets ADD COLUMN follow_up_days INTEGER NOT NULL DEFAULT 3")
    sql = db.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'placements'").fetchone()[0]
    if "'not_published'" in sql:
        return
    if "'withdrawn')" not in sql:
        raise RuntimeError("0006: the placements' status CHECK is not the one 0004 made")
    create = sql.replace("'withdrawn')", "'withdrawn', 'not_published')", 1)
    create = create.replace("CREATE TABLE placements", "CREATE TABLE placements_new", 1)
    create = create.replace('CREATE TABLE "placements"', "CREATE TABLE placements_new", 1)
    indexes = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'placements' AND sql IS NOT NULL"
        ).fetchall()
    ]
    db.execute("PRAGMA foreign_keys = OFF")
    try:
        with db.atomic():
            db.execute(create)
            db.execute("INSERT INTO placements_new SELECT * FROM placements")
            db.execute("DROP TABLE placements")
            db.execute("ALTER TABLE placements_new RENAME TO placements")
            for index in indexes:
                db.execute(index)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"0006: foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        db.execute("PRAGMA foreign_keys = ON")


@migrations(name="0008_calendar_feed_kind_and_skipped")
def m0008_calendar_feed_kind_and_skipped(db: Database) -> None:
    _run(
        db,
        """
        -- iCalendar feeds (bot.calendar.feeds, issue 15): the feed's default kind its stored events were read
        -- with (a change of kind in CALENDAR_ICS_URLS forces a full fetch, 304 or not), and the events the last
        -- full read skipped: how many, and the first one's problem (code, property, title).
        ALTER TABLE calendar_feeds ADD COLUMN kind TEXT;
        ALTER TABLE calendar_feeds ADD COLUMN skipped INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE calendar_feeds ADD COLUMN skipped_problem TEXT
        """,
    )


@migrations(name="0011_outbox_interruptions")
def m0011_outbox_interruptions(db: Database) -> None:
    _run(
        db,
        """
        -- Transient failures (Slack down, 5xx, timeouts) are retried for as long as a message is still
        -- relevant, so `attempts` grows without bound during an outage; a message that keeps killing its
        -- sender while in flight is counted apart (bot.outbox.release_dead_claims fails it after a few).
        ALTER TABLE outbox ADD COLUMN interruptions INTEGER NOT NULL DEFAULT 0
        """,
    )


@migrations(name="0013_submission_package")
def m0013_submission_package(db: Database) -> None:
    """Issue 17: outlets may declare `submit_to` (the comms office's address: the submission package carries a
    mailto: link) and `max_chars` (the longest text the outlet takes: the form has a text field per such
    outlet); a placement keeps its own text for its outlet; the outlet's checklist items ticked on a
    submission package, who ticked each and when (the history has every tick and untick too)."""
    outlets = {row[1] for row in db.execute("PRAGMA table_info(outlets)").fetchall()}
    if "submit_to" not in outlets:
        db.execute("ALTER TABLE outlets ADD COLUMN submit_to TEXT")
    if "max_chars" not in outlets:
        db.execute("ALTER TABLE outlets ADD COLUMN max_chars INTEGER CHECK (max_chars IS NULL OR max_chars > 0)")
    placements = {row[1] for row in db.execute("PRAGMA table_info(placements)").fetchall()}
    if "outlet_text" not in placements:
        db.execute("ALTER TABLE placements ADD COLUMN outlet_text TEXT NOT NULL DEFAULT ''")
    _run(
        db,
        """
        -- A checklist item of a placement's outlet ticked (supplied) or unticked on the submission package: one
        -- row per placement and item (the item's text as the outlet lists it), who changed it last and when.
        CREATE TABLE IF NOT EXISTS checklist_ticks (
            placement_id INTEGER NOT NULL REFERENCES placements (id),
            item         TEXT NOT NULL,
            ticked       INTEGER NOT NULL DEFAULT 1 CHECK (ticked IN (0, 1)),
            ticked_by    TEXT NOT NULL,
            ticked_at    TEXT NOT NULL,
            PRIMARY KEY (placement_id, item)
        )
        """,
    )


@migrations(name="0014_proposal_cycle_period")
def m0014_proposal_cycle_period(db: Database) -> None:
    """Issue 15, item 6: a proposal linked to its cycle (cycle_key, from 0001) also names the return it is
    for: the first and last day of the period of events that return follows (bot.calendar.cycles.Period),
    so the prompt, its button and the digest know it was proposed whatever its publication date."""
    proposals = {row[1] for row in db.execute("PRAGMA table_info(proposals)").fetchall()}
    if "cycle_start" not in proposals:
        db.execute("ALTER TABLE proposals ADD COLUMN cycle_start TEXT")
    if "cycle_end" not in proposals:
        db.execute("ALTER TABLE proposals ADD COLUMN cycle_end TEXT")


@migrations(name="0015_editorial_calendar_window")
def m0015_editorial_calendar_window(db: Database) -> None:
    _run(
        db,
        """
        -- Issue 14: the editorial calendar (storage.editorial) reads only the placements with an event in its window
        -- (CALENDAR_FEED_WINDOW): by the proposal's wanted date (proposals_publish_on), by deadline and by the day
        -- it was published, whatever the placement's status (the older indexes start with the status).
        CREATE INDEX IF NOT EXISTS placements_deadline_day ON placements (deadline);
        CREATE INDEX IF NOT EXISTS placements_published_day ON placements (published_on)
        """,
    )


@migrations(name="0016_reference_generation")
def m0016_reference_generation(db: Database) -> None:
    # Issue 14: what every request reads and what rarely changes (the outlets, the calendar's events, the holidays
    # the calendar file declares) is kept in memory by each process while this number is the same
    # (storage.reference). Triggers change it in the transaction of any change to those rows, whichever process
    # makes it. It starts at a random number, so that a new database at the same path never passes for one read
    # before.
    bump = "BEGIN UPDATE generations SET value = value + 1 WHERE name = 'reference'; END"
    holidays = {"INSERT": "NEW.key", "UPDATE": "NEW.key = 'calendar:holidays' OR OLD.key", "DELETE": "OLD.key"}
    statements = [
        "CREATE TABLE generations (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
        "INSERT INTO generations (name, value) VALUES ('reference', abs(random() % 1000000000000))",
    ]
    for event, key in holidays.items():
        for table in ("outlets", "calendar_events"):
            statements.append(f"CREATE TRIGGER {table}_{event.lower()} AFTER {event} ON {table} {bump}")
        when = f"WHEN {key} = 'calendar:holidays'"
        statements.append(f"CREATE TRIGGER holidays_{event.lower()} AFTER {event} ON kv {when} {bump}")
    for statement in statements:
        db.execute(statement)

"""Bad input, generated (Hypothesis): every parser either reads its input or refuses it with a
clear message in the team's language; no other exception escapes, and a refusal writes nothing.

Parsers of what people type or send: one-line /propose and /stats (through the real Bolt app, in
process, on a temporary database), dates, figures, the CSV import, the TOML configuration files
and iCalendar feeds. Signed garbage sent to the real web process is in test_properties_web.py.
Example counts stay modest (the suite must stay fast); `deadline=None` because a slow machine is
not a bug.
"""

from __future__ import annotations

import csv
import io
import json
import os
import string
from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot.i18n import CATALOGS, translator
from tests import slack
from tests.conftest import SECRET

TODAY = date(2026, 12, 1)  # the `relais` fixture's frozen day (a Tuesday)
FR, EN = translator("fr"), translator("en")
SLUGS = [
    "udem-facebook",
    "udem-instagram",
    "udem-instagram-story",
    "udem-x",
    "udem-linkedin",
    "udem-nouvelles",
    "bib-facebook",
    "bib-instagram",
    "bib-x",
]
HOSTILE = [
    "<!channel>",
    "<!here>",
    "&",
    "<https://evil.example|clic>",
    "<@U0ADMIN>",
    "*gras*",
    "`code`",
    "|",
    "||",
    "&amp;",
    "&lt;",
    "\u00a0",
    "\n",
    "é",
    "💥",
    "{title}",
    "%s",
    "\\",
    '"',
    "'",
    "--",
    ";",
    "=",
    "#",
]

SCALE = float(os.environ.get("RELAIS_PROPERTY_SCALE", "1"))  # e.g. 20 for a long bug hunt
quick = settings(max_examples=int(60 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
with_fixture = settings(
    max_examples=int(40 * SCALE),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def in_catalogs(key: str) -> bool:
    return all(key in catalog for catalog in CATALOGS.values())


def clear(text: str) -> bool:
    """A message someone can read: not empty, no traceback."""
    return isinstance(text, str) and bool(text.strip()) and "Traceback" not in text


def one_line(text: str) -> bool:
    return clear(text) and "\n" not in text


# -- building blocks ---------------------------------------------------------------------------
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=6).map("".join)
words = st.sampled_from(
    [
        "le",
        "the",
        "on",
        "de",
        "prochain",
        "prochaine",
        "next",
        "this",
        "ce",
        "cette",
        "dans",
        "in",
        "jours",
        "days",
        "semaines",
        "weeks",
        "from",
        "now",
        "1er",
        "2nd",
        "10th",
        "29",
        "31",
        "0",
        "00",
        "2026",
        "2027",
        "1999",
        "10000",
        "demain",
        "tomorrow",
        "aujourd'hui",
        "hier",
        "après-demain",
        "lundi",
        "vendredi",
        "friday",
        "sun",
        "thu.",
        "décembre",
        "déc.",
        "december",
        "feb",
        "février",
        "sept",
        "mai",
        "may",
        "-",
        "/",
        ".",
        ",",
        "'",
    ]
)
date_text = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(words, st.integers(-40, 100_000).map(str)), max_size=5).map(" ".join),
    st.from_regex(r"\A\d{1,5}[-/.]\d{1,3}([-/.]\d{1,5})?\Z"),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
)


# -- dates -------------------------------------------------------------------------------------
@quick
@given(text=date_text, today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
def test_a_date_is_read_or_refused_with_a_catalog_message(text, today):
    from bot.proposals.dates import DateError, parse_date

    try:
        day = parse_date(text, today)
    except DateError as error:
        key = "propose.date." + error.reason
        assert in_catalogs(key), key
        for tr in (FR, EN):
            assert clear(
                tr(
                    key,
                    text=error.text,
                    **{k: tr.date(v) if isinstance(v, date) else v for k, v in error.params.items()},
                )
            )
        return
    assert isinstance(day, date)
    assert parse_date(text, today) == day  # pure: the same answer twice


@quick
@given(
    day=st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)),
    today=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
def test_iso_dates_and_day_month_forms_mean_what_they_say(day, today):
    from bot.proposals.dates import parse_date

    assert parse_date(day.isoformat(), today) == day
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year}", today) == day
    months_fr = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    without_year = parse_date(f"le {day.day} {months_fr[day.month - 1]}", today)
    assert (without_year.day, without_year.month) == (day.day, day.month) and without_year >= today


# -- figures -----------------------------------------------------------------------------------
figure_text = st.one_of(
    st.text(max_size=20),
    st.from_regex(r"\A[-−]?[\d \u00a0\u202f,.']{0,16}\Z"),
    st.integers(-(10**12), 10**12).map(str),
)


@quick
@given(text=figure_text)
@example(text="²")
@example(text="١٢")
@example(text="12,5")
def test_a_figure_is_a_count_or_a_clear_refusal(text):
    from bot.stats.figures import MAX_FIGURE, InputError, parse_duration, parse_number

    for parse in (parse_number, parse_duration):
        try:
            value = parse(text)
        except InputError as error:
            assert in_catalogs(error.key), error.key
            assert clear(FR(error.key, **error.params)) and clear(EN(error.key, **error.params))
            continue
        assert isinstance(value, int) and value >= 0
        if parse is parse_number:
            assert value <= MAX_FIGURE


@quick
@given(value=st.integers(0, 2_000_000_000), separator=st.sampled_from([" ", "\u00a0", "\u202f", ",", ".", ""]))
def test_figures_written_as_people_write_them_are_read_back(value, separator):
    from bot.stats.figures import parse_number

    grouped = f"{value:,}".replace(",", separator)
    assert parse_number(grouped) == value
    assert parse_number(f"  {value}  ") == value


@quick
@given(minutes=st.integers(0, 999), seconds=st.integers(0, 59))
def test_durations_m_ss_are_read_back(minutes, seconds):
    from bot.stats.figures import parse_duration

    assert parse_duration(f"{minutes}:{seconds:02d}") == minutes * 60 + seconds
    assert parse_duration(f"{minutes} : {seconds:02d} min") == minutes * 60 + seconds


# -- one-line commands, through the real Bolt app --------------------------------------------
@pytest.fixture
def bolt(relais, standin):
    """The Bolt app of Relais in this process (as the console runs it): request in, ack body out."""
    from slack_bolt.request import BoltRequest

    from bot.runtime.app import create_app

    app = create_app(relais, signing_secret=SECRET, process_before_response=True)

    def send(command: str, text: str, user: str = "U0JULIETTE") -> dict:
        body = slack.slash_body(command, text, user=user, response_url=standin.response_url())
        headers = {k.lower(): v for k, v in slack.sign(SECRET, body).items()}
        response = app.dispatch(BoltRequest(body=body, headers=headers))
        assert response.status == 200, response.body
        return json.loads(response.body) if response.body else {}

    return send


def counts(db) -> dict:
    return {
        table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in ("proposals", "placements", "history", "stats_snapshots", "outbox")
    }


def reply_text(reply: dict) -> str:
    return json.dumps(reply, ensure_ascii=False)


def assert_escaped(reply: dict) -> None:
    """No user text reaches a message unescaped: no raw <!channel>, no forged link."""
    text = reply_text(reply)
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text


numbers = st.one_of(st.integers(-3, 12), st.integers(-(10**25), 10**25)).map(str) | st.sampled_from(
    ["²", "١٢", "#3", "0x1"]
)
propose_line = st.one_of(
    st.text(max_size=60),
    st.tuples(
        st.sampled_from(["show", "voir", "list", "liste", "outlets", "canaux", "help", "aide", "?", "bogus"]),
        st.one_of(numbers, st.text(max_size=6)),
    ).map(" ".join),
    st.tuples(
        hostile_text,
        date_text,
        st.lists(st.one_of(st.sampled_from(SLUGS), st.text(max_size=8)), max_size=4),
        st.sampled_from(["", "cyclique", "one-off", "collections", "rare books", "???", "|"]),
        st.sampled_from([" | ", "|", " || ", " |"]),
    ).map(lambda t: t[4].join([t[0], t[1], ", ".join(t[2])] + ([t[3]] if t[3] else []))),
)


@with_fixture
@given(text=propose_line)
@example(text="show 99999999999999999999")
@example(text="show ²")
@example(text="Titre | 9999-12-31 | bib-x, udem-x")
@example(text="Titre | dans 999 semaines | bib-x")
@example(text="<!channel> & <https://evil.example|clic> | 2026-12-18 | bib-x, udem-facebook | cyclique")
@example(text="Titre | vendredi prochain | udem-facebook, udem-facebook, #bib-x")
def test_a_one_line_proposal_is_all_or_nothing(relais, bolt, text):
    from storage import outbox as outbox_rows
    from storage import proposals as store

    db = relais.db
    before = counts(db)
    last = db.execute("SELECT COALESCE(MAX(id), 0) FROM proposals").fetchone()[0]
    reply = bolt("/propose", text)
    assert (reply.get("response_type") == "ephemeral" and reply.get("text")) or not text.strip()  # alone: the form
    assert_escaped(reply)
    after = counts(db)
    created = after["proposals"] - before["proposals"]
    assert created in (0, 1)
    if not created:  # a refusal (or a subcommand) writes nothing (outbox rows: earlier cards being sent)
        assert (after["placements"], after["history"]) == (before["placements"], before["history"])
        return
    proposal = db.execute("SELECT id FROM proposals WHERE id > ?", [last]).fetchone()[0]
    placements = [r[0] for r in db.execute("SELECT id FROM placements WHERE proposal_id = ?", [proposal])]
    assert placements, "a proposal without its placements"
    assert outbox_rows.get(db, f"card:{proposal}") is not None, "a proposal without its card"
    for placement in placements:  # a university outlet's "missed" notice is always ahead of a valid proposal
        if store.placement(db, placement)["outlet_owner"] == "library":
            continue  # the library's own outlets: nothing to submit, no deadline reminders
        keys = [r["key"] for r in outbox_rows.rows(db, kind="deadline", placement_id=placement)]
        assert any(k.endswith(":missed") for k in keys), (placement, keys)


stats_line = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "report",
            "rapport all",
            "report 2026-13",
            "report 0000-01",
            "report semaine",
            "export",
            "export 2026-11",
            "help",
            "bogus",
        ]
    ),
    st.tuples(
        st.one_of(numbers, st.text(max_size=4)),
        st.sampled_from(SLUGS + ["nope", ""]),
        st.lists(
            st.tuples(
                st.sampled_from(["vues", "views", "interactions", "i", "temps", "time", "bogus", ""]), figure_text
            ),
            max_size=4,
        ),
        st.sampled_from(["", " confirm", " --force"]),
    ).map(lambda t: f"{t[0]} {t[1]} " + " ".join(f"{k}={v}" for k, v in t[2]) + t[3]),
)


@pytest.fixture
def published(relais):
    """Two proposals with published placements (figures can be recorded), one not published yet."""
    from bot.clock import to_text
    from storage import proposals as store

    db, now = relais.db, to_text(relais.clock.now())
    with db.atomic():
        for n, day in enumerate((date(2026, 11, 20), date(2026, 11, 25))):
            pid = store.create(
                db,
                title=f"Publiée {n} <!channel>",
                publish_on=day,
                owner_id="U0JULIETTE",
                outlets=[("udem-facebook", day - timedelta(days=7)), ("bib-facebook", day)],
                now=now,
            )
            for placement in store.placements_of(db, pid):
                if placement["outlet_slug"] == "udem-facebook":
                    for status in ("submitted", "accepted"):
                        store.set_placement_status(db, placement["id"], status, actor="U0JULIETTE", now=now)
                store.set_placement_status(
                    db, placement["id"], "published", actor="U0JULIETTE", now=now, published_on=day
                )
        store.create(
            db,
            title="Pas encore",
            publish_on=date(2027, 1, 20),
            owner_id="U0JULIETTE",
            outlets=[("udem-x", date(2027, 1, 18))],
            now=now,
        )


@with_fixture
@given(text=stats_line)
@example(text="99999999999999999999 udem-x vues=1 interactions=1")
@example(text="1 udem-facebook vues=² interactions=1")
@example(text="1 udem-facebook vues=19 279 interactions=996 temps=2:30")
@example(text="2 bib-facebook views=821 interactions=40 confirm")
@example(text="1 udem-facebook vues=2000000001 interactions=1")
@example(text="report 0000-01")
def test_a_one_line_stats_record_is_all_or_nothing(relais, published, bolt, text):
    from bot.stats.figures import InputError, parse_record

    db = relais.db
    before = counts(db)["stats_snapshots"]
    reply = bolt("/stats", text)
    assert (reply.get("response_type") == "ephemeral" and reply.get("text")) or not text.strip()  # alone: the form
    assert_escaped(reply)
    added = counts(db)["stats_snapshots"] - before
    assert added in (0, 1)
    if added:
        snapshot = next(
            db.query("SELECT views, interactions, avg_seconds FROM stats_snapshots ORDER BY id DESC LIMIT 1")
        )
        record = parse_record(text)  # recorded, so it was readable: what was stored is what was typed
        assert (snapshot["views"], snapshot["interactions"], snapshot["avg_seconds"]) == (
            record.figures.views,
            record.figures.interactions,
            record.figures.avg_seconds,
        )
    else:
        try:
            parse_record(text)
        except InputError as error:
            assert in_catalogs(error.key), error.key


# -- CSV import --------------------------------------------------------------------------------
from bot.stats.spreadsheet import COLUMNS  # noqa: E402

cell = {
    "proposal": st.one_of(st.sampled_from(["1", "2", "3", "", "x", "0", "99999999999999999999"]), st.text(max_size=4)),
    "title": st.one_of(
        st.sampled_from(["Zooanimation", '=HYPERLINK("http://evil")', "'=1+1", "<!channel> & co"]),
        hostile_text,
        st.text(max_size=320),
    ),
    "category": st.sampled_from(["", "cyclic", "cyclique", "one-off", "collections", "autre", "CYCLIC"]),
    "publish_on": st.one_of(
        st.sampled_from(["", "2026-11-02", "2026-02-30", "demain"]),
        st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    ),
    "owner": st.sampled_from(["", "U0JULIETTE", "u0bad", "W123", "<@U1>"]),
    "outlet": st.sampled_from(SLUGS + ["", "UDEM-X", "nope"]),
    "status": st.sampled_from(["", "published", "publié", "planned", "x"]),
    "published_on": st.one_of(
        st.sampled_from(["", "2026-11-02", "2027-05-01", "2026-13-01"]),
        st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
    ),
    "url": st.sampled_from(["", "https://udem.ca/p/1", "javascript:alert(1)", "http://x y", "'=cmd"]),
    "views": st.one_of(figure_text, st.sampled_from(["", "19 279", "-5"])),
    "interactions": st.one_of(figure_text, st.sampled_from(["", "996"])),
    "avg_time": st.sampled_from(["", "2:30", "150 s", "2:75", "x"]),
    "recorded_at": st.sampled_from(
        [
            "",
            "2026-11-10T14:00:00Z",
            "2026-11-10",
            "2999-01-01T00:00:00Z",
            "hier",
            "2026-11-01T00:00:00+05:00",
            "2026-11-30T23:59:59Z",
        ]
    ),
    "recorded_by": st.sampled_from(["", "import", "U0JULIETTE", "nobody"]),
}


@st.composite
def csv_files(draw) -> bytes:
    if draw(st.booleans()) and draw(st.booleans()):
        return draw(st.binary(max_size=300))
    header = draw(
        st.one_of(
            st.just(list(COLUMNS)),
            st.permutations(list(COLUMNS)),
            st.lists(st.sampled_from(list(COLUMNS) + ["extra", "Title", ""]), max_size=16),
        )
    )
    rows = draw(st.lists(st.fixed_dictionaries({c: cell[c] for c in COLUMNS}), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=draw(st.sampled_from([",", ";"])))
    writer.writerow(header)
    for row in rows:
        values = [row.get(h, "") for h in header]
        if draw(st.integers(0, 9)) == 0:
            values = values[:-1]  # a short row
        writer.writerow(values)
    text = out.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return text.encode(encoding, errors="replace")


@with_fixture
@given(data=csv_files())
def test_a_csv_import_is_all_or_nothing(relais, data):
    from bot.clock import to_text
    from bot.stats.spreadsheet import (
        CsvRefused,
        import_parsed,
        parse_csv,
        problem_lines,
    )
    from storage import outlets as outlet_rows

    db = relais.db
    before = counts(db)
    try:
        parsed = parse_csv(
            data,
            outlets={o["slug"] for o in outlet_rows.all(db)},
            today=relais.clock.today(),
            now=relais.clock.now(),
            tz=relais.settings.tz,
            checkpoints=relais.settings.stats_checkpoints,
        )
        created = import_parsed(db, parsed, now=to_text(relais.clock.now()))
    except CsvRefused as refused:
        assert refused.problems
        for problem in refused.problems:
            assert problem.line >= 1 and in_catalogs(problem.key), problem
        for line in problem_lines(FR, refused.problems) + problem_lines(EN, refused.problems):
            assert clear(line)
        assert counts(db) == before, "a refused file wrote something"
        return
    after = counts(db)
    assert (
        (
            after["proposals"] - before["proposals"],
            after["placements"] - before["placements"],
            after["stats_snapshots"] - before["stats_snapshots"],
        )
        == parsed.counts
        == created.written
    )


# -- TOML configuration files ----------------------------------------------------------------
def toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


scalars = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", " ", "university", "library", "closure", "exams", "udem-x", "bib-x", "a\nb", "[[outlet]]"]),
    st.integers(-5, 400),
    st.booleans(),
    st.floats(allow_nan=False),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
)
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=4), scalars, max_size=2))


@st.composite
def toml_documents(draw, table: str, fields: list[str]) -> str:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.text(max_size=200))
    lines = []
    if draw(st.booleans()):  # the array written some other way: a scalar, a table, an inline array
        lines.append(f"{table} = {toml_value(draw(values))}")
        return "\n".join(lines)
    for _ in range(draw(st.integers(0, 3))):
        lines.append(f"[[{table}]]")
        for name in draw(st.lists(st.sampled_from(fields + ["extra"]), max_size=len(fields) + 1, unique=True)):
            lines.append(f"{name} = {toml_value(draw(values))}")
    return "\n".join(lines)


OUTLET_FIELDS = ["slug", "name", "owner", "platform", "lead_days", "per_week", "checklist", "audiences"]
EVENT_FIELDS = ["name", "kind", "start", "end"]
CYCLE_FIELDS = ["title", "summary", "category", "outlets", "follows", "days_before"]


@quick
@given(document=toml_documents("outlet", OUTLET_FIELDS))
@example(document='outlet = [""]')
@example(document='[[outlet]]\nslug = "udem-x\\n"\nname = "a\\nb"')
def test_a_bad_outlets_file_is_one_clear_line(tmp_path_factory, document):
    from bot.errors import ConfigFileError
    from bot.proposals.outlets import load_outlets

    path = tmp_path_factory.mktemp("outlets") / "outlets.toml"
    path.write_text(document, encoding="utf-8")
    try:
        outlets = load_outlets(path)
    except ConfigFileError as error:
        for language in ("fr", "en"):
            assert one_line(error.line(language)), error.line(language)
        return
    assert outlets and all(o.slug and o.name and o.owner in ("university", "library") for o in outlets)


@quick
@given(document=st.tuples(toml_documents("event", EVENT_FIELDS), toml_documents("cycle", CYCLE_FIELDS)).map("\n".join))
def test_a_bad_calendar_file_is_one_clear_line(tmp_path_factory, document):
    from bot.calendar.config import load_calendar_file
    from bot.errors import ConfigFileError

    path = tmp_path_factory.mktemp("calendar") / "calendar.toml"
    path.write_text(document, encoding="utf-8")
    try:
        parsed = load_calendar_file(path, set(SLUGS))
    except ConfigFileError as error:
        for language in ("fr", "en"):
            assert one_line(error.line(language)), error.line(language)
        return
    assert all(e.start <= e.end for e in parsed.events)


def test_a_file_that_is_not_text_is_one_clear_line(tmp_path):
    from bot.calendar.config import load_calendar_file
    from bot.errors import ConfigFileError
    from bot.proposals.outlets import load_outlets

    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00[[outlet]]\x00")
    for load in (load_outlets, lambda p: load_calendar_file(p, set())):
        with pytest.raises(ConfigFileError) as caught:
            load(path)
        assert one_line(caught.value.line("fr"))
        with pytest.raises(ConfigFileError) as caught:
            load(tmp_path)  # a folder
        assert one_line(caught.value.line("en"))


# -- iCalendar feeds ---------------------------------------------------------------------------
ics_dates = st.one_of(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2029, 1, 1)).map(
        lambda d: d.strftime("%Y%m%dT%H%M%S")
    ),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2029, 1, 1)).map(lambda d: d.strftime("%Y%m%d")),
    st.sampled_from(["20261301", "2026-12-01", "", "20261201T250000", "20261201T100000Z", "x", "99999999"]),
)
ics_property = st.one_of(
    st.tuples(
        st.sampled_from(
            [
                "DTSTART",
                "DTEND",
                "DTSTART;VALUE=DATE",
                "DTEND;VALUE=DATE",
                "RECURRENCE-ID",
                "DTSTART;TZID=America/Montreal",
                "DTSTART;TZID=Nowhere/Atlantis",
                "EXDATE",
                "RDATE",
            ]
        ),
        ics_dates,
    ),
    st.tuples(
        st.just("RRULE"),
        st.one_of(
            st.sampled_from(
                [
                    "FREQ=WEEKLY;COUNT=5",
                    "FREQ=DAILY;INTERVAL=0",
                    "FREQ=YEARLY",
                    "FREQ=MONTHLY;BYDAY=1MO",
                    "FREQ=DAILY;UNTIL=20270101",
                    "FREQ=WEEKLY;UNTIL=garbage",
                    "FREQ=NEVER",
                    "COUNT=-1",
                    "FREQ=MINUTELY;COUNT=50000",
                    "FREQ=HOURLY",
                    "",
                ]
            ),
            st.text(alphabet=string.ascii_uppercase + "=;0123456789-", max_size=30),
        ),
    ),
    st.tuples(st.sampled_from(["DURATION"]), st.sampled_from(["P1D", "PT2H", "P-1D", "garbage", "P1W", ""])),
    st.tuples(
        st.sampled_from(["SUMMARY", "UID", "CATEGORIES", "DESCRIPTION"]),
        st.one_of(hostile_text, st.sampled_from(["Examens", "Fermeture,Congé", "exams", "rentrée"])),
    ),
)


@st.composite
def ics_bodies(draw) -> bytes:
    if draw(st.integers(0, 5)) == 0:
        return draw(st.binary(max_size=300))
    events = []
    for _ in range(draw(st.integers(0, 4))):
        props = draw(st.lists(ics_property, max_size=7))
        events.append("BEGIN:VEVENT\r\n" + "".join(f"{name}:{value}\r\n" for name, value in props) + "END:VEVENT\r\n")
    head = draw(
        st.sampled_from(
            ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//\r\n", "BEGIN:VCALENDAR\r\n", "BEGIN:VEVENT\r\n", ""]
        )
    )
    tail = draw(st.sampled_from(["END:VCALENDAR\r\n", "", "END:VEVENT\r\n"]))
    return (head + "".join(events) + tail).encode("utf-8")


@quick
@given(body=ics_bodies())
def test_a_feed_is_events_or_a_feed_error(body):
    from zoneinfo import ZoneInfo

    from bot.calendar.feeds import ERROR_REASONS, FeedError, parse
    from bot.settings import EVENT_KINDS, Feed

    try:
        events = parse(
            body,
            Feed("https://cal.example/feed.ics", "exams"),
            TODAY,
            ZoneInfo("America/Montreal"),
            untitled="(sans titre)",
        )
    except FeedError as error:
        assert error.reason in ERROR_REASONS
        assert in_catalogs(f"feeds.error.{error.reason}")
        assert len(error.detail) <= 200
        return
    for event in events:
        assert event["start"] <= event["end"]
        assert event["kind"] in EVENT_KINDS
        assert event["uid"].startswith("feed:") and len(event["name"]) <= 300

"""Every notice goes out on a business day (issue 13, item 3), a calendar that doesn't run out (item 7),
no token, no sending (item 8)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.calendar.config import load_calendar_file
from bot.clock import local_at, parse_instant
from bot.digest import jobs as digest_jobs
from bot.errors import ConfigFileError
from bot.reminders import rules as reminders
from bot.runtime import jobs
from bot.workdays import BusinessDays, for_relais, horizon_gaps
from storage import outbox as rows
from tests.test_reminders_support import OWNER, mine, move, propose

TZ_NAME = "America/Montreal"
YEARLY = """
holidays = ["easter-monday"]

[[event]]
name = "Fermeture des fêtes"
kind = "closure"
every_year = true
start = "12-24"
end = "01-03"
"""


def write(tmp_path, text: str):
    path = tmp_path / "calendar.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the calendar file -----------------------------------------------------------------------------
def test_a_yearly_closure_is_expanded_across_the_years(tmp_path):
    parsed = load_calendar_file(write(tmp_path, YEARLY), set(), today=date(2026, 6, 1))
    spans = [(e.start, e.end) for e in parsed.events]
    assert spans == [(date(y, 12, 24), date(y + 1, 1, 3)) for y in range(2025, 2030)]  # last year to 3 ahead
    days = BusinessDays(closures=spans)
    for monday in (date(2026, 12, 28), date(2027, 12, 27), date(2028, 12, 25), date(2029, 12, 31)):
        assert not days.is_business_day(monday)
    assert days.is_business_day(date(2027, 1, 4)) and days.is_business_day(date(2029, 1, 4))
    # the same occurrence written with full dates is the same event (no churn when a file switches)
    dated = load_calendar_file(
        write(
            tmp_path,
            YEARLY.replace("every_year = true\n", "").replace('"12-24"', "2026-12-24").replace('"01-03"', "2027-01-03"),
        ),
        set(),
    )
    assert dated.events[0].uid in {e.uid for e in parsed.events}


@pytest.mark.parametrize("value", ['"02-29"', '"13-01"', '"12/24"', "24"])
def test_a_yearly_event_needs_a_month_day_that_exists_every_year(tmp_path, value):
    with pytest.raises(ConfigFileError) as error:
        load_calendar_file(write(tmp_path, YEARLY.replace('"12-24"', value)), set())
    assert "12-24" in error.value.line("fr") and "start" in error.value.line("fr")


def test_easter_monday_declared_is_not_a_business_day(tmp_path):
    parsed = load_calendar_file(write(tmp_path, YEARLY), set())
    assert parsed.holidays == ("easter-monday",)
    for easter_monday in (date(2026, 4, 6), date(2027, 3, 29), date(2028, 4, 17)):
        assert BusinessDays().is_business_day(easter_monday)
        assert not BusinessDays(holidays=parsed.holidays).is_business_day(easter_monday)
    with pytest.raises(ConfigFileError) as error:
        load_calendar_file(write(tmp_path, YEARLY.replace("easter-monday", "saint-glinglin")), set())
    assert "saint-glinglin" in error.value.line("fr") and "easter-monday" in error.value.line("fr")


def test_the_shipped_calendar_declares_easter_monday_and_a_yearly_closure(relais):
    days = for_relais(relais)
    assert days.holiday_name(date(2027, 3, 29)) == "Lundi de Pâques"
    assert not days.is_business_day(date(2028, 12, 27))  # a closure no one wrote for 2028
    # deadlines follow: a publication on Tuesday 30 March 2027 with 1 business day of lead time
    from bot.proposals.rules import deadline_for

    assert deadline_for(date(2027, 3, 30), 1, days) == date(2027, 3, 25)  # not Mon 29 (nor Good Friday 26)


# -- notices on business days ----------------------------------------------------------------------
def test_a_holiday_mondays_digest_goes_out_on_tuesday_and_covers_the_same_week(relais, standin):
    now = parse_instant("2026-09-07T10:00", relais.settings.tz)  # Labour Day, lundi 7 septembre 2026
    relais.clock.freeze(now)
    digest_jobs.plan_digest(relais, now)
    row = rows.get(relais.db, "digest:2026-W37")
    assert row["due_at"] == "2026-09-08T13:00:00Z"  # Tuesday 09:00
    assert json.loads(row["payload"])["day"] == "2026-09-07"
    assert not [r for r in jobs.tick(relais, now) if r["kind"] == "digest"]
    later = parse_instant("2026-09-08T09:00", relais.settings.tz)
    relais.clock.freeze(later)
    assert [r["key"] for r in jobs.tick(relais, later) if r["kind"] == "digest"] == ["digest:2026-W37"]
    (post,) = standin.calls("chat.postMessage")
    assert "lundi 7 septembre 2026" in json.dumps(post.args["blocks"], ensure_ascii=False)


def test_a_digest_inside_the_holiday_closure_waits_for_the_next_business_day(relais):
    assert digest_jobs.due_of(relais, date(2026, 12, 28)) == local_at(date(2027, 1, 4), 9, 0, relais.settings.tz)
    assert digest_jobs.due_of(relais, date(2026, 12, 14)) == local_at(date(2026, 12, 14), 9, 0, relais.settings.tz)


def test_a_sunday_stats_checkpoint_moves_to_monday(relais):
    # published Friday 4 December: day 2 is Sunday 6 December -> Monday 7 December, 09:00
    _, ids = propose(
        relais, publish_on=date(2026, 12, 4), outlets={"bib-facebook": date(2026, 12, 4)}, when="2026-12-01T11:00"
    )
    move(relais, ids["bib-facebook"], "published", when="2026-12-04T11:00", published_on=date(2026, 12, 4))
    keys = {r["key"]: r["due_at"] for r in mine(relais.db, kind="stats")}
    assert f"stats:{OWNER}:2026-12-06" not in keys
    assert keys[f"stats:{OWNER}:2026-12-07"] == "2026-12-07T14:00:00Z"


@given(
    deadline=st.dates(min_value=date(2026, 1, 1), max_value=date(2029, 12, 31)),
)
def test_a_deadline_reminder_never_goes_out_on_a_weekend_holiday_or_closure(deadline):
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(TZ_NAME)
    days = BusinessDays(
        closures=[(date(y, 12, 24), date(y + 1, 1, 3)) for y in range(2025, 2030)], holidays=("easter-monday",)
    )
    for stage, at in reminders.deadline_moments(days, deadline, tz).items():
        local = at.astimezone(tz)
        assert days.is_business_day(local.date()), (stage, local)
        assert (local.hour, local.minute) == (9, 0)


# -- the calendar's horizon ------------------------------------------------------------------------
EXAMS_SOON = """
[[event]]
name = "Fermeture des fêtes"
kind = "closure"
every_year = true
start = "12-24"
end = "01-03"

[[event]]
name = "Examens"
kind = "exams"
start = 2026-12-07
end = 2026-12-22
"""


def test_horizon_gaps(relais):
    assert horizon_gaps(relais.db, date(2026, 12, 1)) == []  # the shipped calendar: exams until December 2027
    assert horizon_gaps(relais.db, date(2027, 10, 1)) == [("exams", date(2027, 12, 21))]


def test_check_and_the_digest_warn_when_the_calendar_runs_out(cli, tmp_path):
    path = write(tmp_path, EXAMS_SOON)
    done = cli("check", CALENDAR_FILE=str(path), RELAIS_NOW="2026-12-01T09:00")
    assert "⚠ Le calendrier ne connaît aucune période d'examens après le mardi 22 décembre 2026" in done.stdout
    assert "aucune fermeture" not in done.stdout  # the yearly closure is known years ahead
    digest = cli("digest", "--dry-run", "--at", "2026-12-07T09:00", CALENDAR_FILE=str(path))
    assert digest.returncode == 0, digest.stderr
    assert "aucune période d'examens après le mardi 22 décembre 2026" in digest.stdout
    shipped = cli("digest", "--dry-run", "--at", "2026-12-07T09:00")
    assert "Le calendrier ne connaît" not in shipped.stdout


# -- no token, no sending ------------------------------------------------------------------------
def test_a_tick_without_a_token_refuses_and_attempts_nothing(relais, cli, standin):
    now = parse_instant("2026-12-07T10:00", relais.settings.tz)
    with relais.db.atomic():
        key = digest_jobs.plan_week(relais, date(2026, 12, 7), now, due=now - timedelta(minutes=30))
    before = rows.get(relais.db, key)
    relais.store.close()
    done = cli("tick", "--at", "2026-12-07T10:00", SLACK_BOT_TOKEN="")
    assert done.returncode == 2
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1 and "SLACK_BOT_TOKEN" in done.stderr
    assert standin.calls() == []
    after = rows.get(relais.db, key)
    assert (after["status"], after["attempts"]) == (before["status"], before["attempts"]) == ("pending", 0)
    sent = cli("digest", "--at", "2026-12-07T10:00", SLACK_BOT_TOKEN="")
    assert sent.returncode == 2 and "SLACK_BOT_TOKEN" in sent.stderr and standin.calls() == []
    assert cli("digest", "--dry-run", "--at", "2026-12-07T10:00", SLACK_BOT_TOKEN="").returncode == 0
    # the control: with the token, the same tick sends it
    assert cli("tick", "--at", "2026-12-07T10:00").returncode == 0
    assert rows.get(relais.db, key)["status"] == "sent"

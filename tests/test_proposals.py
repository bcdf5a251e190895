"""The pure rules of a proposal: checking a draft against each outlet's rules, in business days."""

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.proposals.outlets import load_outlets
from bot.proposals.rules import (
    TITLE_MAX,
    Clash,
    Draft,
    check,
    check_line,
    days_left,
    deadline_for,
    earliest_publication,
    late_by,
    next_statuses,
    parse_category,
    parse_line,
    parse_outlets,
    placement_notes,
    week_of,
)
from bot.workdays import BusinessDays

ROOT = Path(__file__).resolve().parent.parent
OUTLETS = {o.slug: o for o in load_outlets(ROOT / "config" / "outlets.toml")}
DAYS = BusinessDays(closures=[(date(2026, 12, 24), date(2027, 1, 3))])
TODAY = date(2026, 12, 1)  # a Tuesday


def draft(**kw) -> Draft:
    base = dict(title="Zooanimation", publish_on=date(2026, 12, 10), outlets=("udem-facebook",))
    return Draft(**{**base, **kw})


def keys(checked):
    return [(p.field, p.key) for p in checked.problems]


def test_a_valid_draft_gets_each_outlets_deadline_in_business_days():
    checked = check(draft(outlets=("udem-facebook", "udem-x", "bib-facebook")), OUTLETS, DAYS, TODAY)
    assert checked.ok, checked.problems
    plans = {p.slug: p for p in checked.placements}
    assert plans["udem-facebook"].deadline == date(2026, 12, 3)  # Thu 10 - 5 business days
    assert plans["udem-facebook"].days_left == 2
    assert plans["udem-x"].deadline == date(2026, 12, 8)
    assert plans["bib-facebook"].deadline == date(2026, 12, 10)  # lead_days 0: the day itself


def test_deadlines_across_the_winter_closure():
    checked = check(draft(publish_on=date(2027, 1, 8), outlets=("udem-nouvelles",)), OUTLETS, DAYS, TODAY)
    assert checked.placements[0].deadline == date(2026, 12, 16)


@pytest.mark.parametrize(
    "title, ok", [("", False), ("   ", False), ("x" * TITLE_MAX, True), ("x" * (TITLE_MAX + 1), False)]
)
def test_title_must_be_there_and_not_too_long(title, ok):
    checked = check(draft(title=title), OUTLETS, DAYS, TODAY)
    assert checked.ok is ok
    if not ok:
        assert keys(checked)[0][0] == "title"


def test_a_past_date_is_refused_today_is_fine_for_a_same_day_outlet():
    assert keys(check(draft(publish_on=date(2026, 11, 30)), OUTLETS, DAYS, TODAY)) == [
        ("publish_on", "propose.problem.date_past")
    ]
    assert check(draft(publish_on=TODAY, outlets=("bib-x",)), OUTLETS, DAYS, TODAY).ok
    assert keys(check(draft(publish_on=None), OUTLETS, DAYS, TODAY)) == [("publish_on", "propose.problem.date_missing")]


def test_unknown_outlets_are_refused_with_the_valid_slugs():
    checked = check(draft(outlets=("udem-facebook", "udem-tiktok")), OUTLETS, DAYS, TODAY)
    assert keys(checked) == [("outlets", "propose.problem.outlets_unknown")]
    assert checked.problems[0].params["unknown"] == "udem-tiktok"
    assert "udem-facebook" in checked.problems[0].params["valid"] and "bib-x" in checked.problems[0].params["valid"]
    assert keys(check(draft(outlets=()), OUTLETS, DAYS, TODAY)) == [("outlets", "propose.problem.outlets_empty")]


def test_a_passed_deadline_says_by_how_much_and_the_earliest_date_that_works():
    checked = check(draft(publish_on=date(2026, 12, 4), outlets=("udem-facebook", "bib-x")), OUTLETS, DAYS, TODAY)
    assert keys(checked) == [("outlets", "propose.problem.deadline_passed")]
    params = checked.problems[0].params
    assert params["outlet"] == "UdeM — Facebook"
    assert params["deadline"] == date(2026, 11, 27)  # Friday
    assert params["late"] == 2  # Monday 30 and Tuesday 1
    assert params["earliest"] == date(2026, 12, 8)
    assert check(draft(publish_on=date(2026, 12, 8)), OUTLETS, DAYS, TODAY).ok


def test_category_link_and_lengths_are_checked():
    assert keys(check(draft(category="gossip"), OUTLETS, DAYS, TODAY)) == [("category", "propose.problem.category")]
    assert keys(check(draft(link="javascript:alert(1)"), OUTLETS, DAYS, TODAY)) == [("link", "propose.problem.link")]
    assert check(draft(link="https://bib.umontreal.ca/a?b=c"), OUTLETS, DAYS, TODAY).ok
    assert keys(check(draft(summary="x" * 3001), OUTLETS, DAYS, TODAY)) == [("summary", "propose.problem.too_long")]


def test_every_problem_is_reported_at_once():
    checked = check(Draft(title="", publish_on=date(2020, 1, 1), outlets=("nope",), category="x"), OUTLETS, DAYS, TODAY)
    assert {f for f, _ in keys(checked)} == {"title", "publish_on", "outlets", "category"}


def test_a_deadline_within_two_business_days_is_flagged_not_refused():
    checked = check(draft(publish_on=date(2026, 12, 8)), OUTLETS, DAYS, TODAY)  # deadline today
    assert checked.ok
    notes = [n.key for n in checked.placements[0].notes]
    assert "propose.warn.deadline_close" in notes
    far = check(draft(publish_on=date(2026, 12, 18)), OUTLETS, DAYS, TODAY)
    assert "propose.warn.deadline_close" not in [n.key for n in far.placements[0].notes]


def test_the_weekly_quota_already_taken_is_a_warning():
    other = [Clash(3, "Horaires prolongés", date(2026, 12, 9))]
    checked = check(draft(), OUTLETS, DAYS, TODAY, clashes={"udem-facebook": other})
    assert checked.ok
    quota = [n for n in checked.placements[0].notes if n.key == "propose.warn.quota"]
    assert (
        quota
        and quota[0].params["week"] == date(2026, 12, 7)
        and (3, "Horaires prolongés") in quota[0].params["others"]
    )
    # udem-instagram-story takes 2 a week: one other is still fine
    story = check(
        draft(outlets=("udem-instagram-story",)), OUTLETS, DAYS, TODAY, clashes={"udem-instagram-story": other}
    )
    assert "propose.warn.quota" not in [n.key for n in story.placements[0].notes]
    # library outlets have no limit
    own = check(draft(outlets=("bib-facebook",)), OUTLETS, DAYS, TODAY, clashes={"bib-facebook": other * 5})
    assert "propose.warn.quota" not in [n.key for n in own.placements[0].notes]


def test_the_checklist_is_shown_while_planned_only():
    outlet = OUTLETS["udem-facebook"]
    common = dict(
        deadline=date(2026, 12, 3), today=TODAY, days=DAYS, outlet=outlet, clashes=(), publish_on=date(2026, 12, 10)
    )
    assert "propose.warn.checklist" in [n.key for n in placement_notes(status="planned", **common)]
    assert placement_notes(status="submitted", **common) == []


def test_a_planned_placement_past_its_deadline_is_flagged():
    notes = placement_notes(
        status="planned",
        deadline=date(2026, 11, 27),
        today=TODAY,
        days=DAYS,
        outlet=OUTLETS["udem-facebook"],
        clashes=(),
        publish_on=date(2026, 12, 4),
    )
    assert notes[0].key == "propose.warn.deadline_passed" and notes[0].params["late"] == 2


def test_days_left_and_late_by():
    assert days_left(date(2026, 12, 3), TODAY, DAYS) == 2
    assert days_left(TODAY, TODAY, DAYS) == 0
    assert days_left(date(2026, 11, 27), TODAY, DAYS) == -2
    saturday = date(2026, 12, 5)
    assert late_by(date(2026, 12, 4), saturday, DAYS) == 1  # the earliest submission is Monday: one day late
    assert late_by(date(2026, 12, 4), date(2026, 12, 4), DAYS) == 0


def test_week_of_is_the_monday():
    assert week_of(date(2026, 12, 10)) == date(2026, 12, 7)
    assert week_of(date(2026, 12, 13)) == date(2026, 12, 7)
    assert week_of(date(2026, 12, 7)) == date(2026, 12, 7)


@settings(max_examples=300, deadline=None)
@given(today=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 6, 30)), lead=st.integers(0, 20))
def test_earliest_publication_is_the_first_date_whose_deadline_is_still_ahead(today, lead):
    earliest = earliest_publication(lead, today, DAYS)
    assert deadline_for(earliest, lead, DAYS) >= today
    assert deadline_for(earliest - timedelta(days=1), lead, DAYS) < today or earliest == today


@settings(max_examples=300, deadline=None)
@given(publish_on=st.dates(min_value=date(2026, 1, 1), max_value=date(2028, 6, 30)), lead=st.integers(0, 20))
def test_a_deadline_is_always_a_business_day(publish_on, lead):
    deadline = deadline_for(publish_on, lead, DAYS)
    assert DAYS.is_business_day(deadline) and deadline <= publish_on


def test_lead_days_zero_on_a_saturday_is_the_friday_before():
    assert deadline_for(date(2026, 12, 12), 0, DAYS) == date(2026, 12, 11)
    assert deadline_for(date(2026, 12, 11), 0, DAYS) == date(2026, 12, 11)


def test_workflow_steps():
    assert next_statuses("planned", "university") == ("submitted",)
    assert next_statuses("planned", "library") == ("published",)  # nothing to submit on our own accounts
    assert next_statuses("submitted", "university") == ("accepted", "declined")
    assert next_statuses("accepted", "university") == ("published",)
    for final in ("declined", "published", "cancelled", "withdrawn"):
        assert next_statuses(final, "library") == ()


# -- the one-line form ------------------------------------------------------------------------------
def test_one_line_is_split_into_a_draft():
    line = parse_line("Zooanimation aux examens | 10 décembre | udem-facebook, UdeM-X bib-x | cyclique", TODAY)
    assert line.problems == []
    assert line.draft.title == "Zooanimation aux examens"
    assert line.draft.publish_on == date(2026, 12, 10)
    assert line.draft.outlets == ("udem-facebook", "udem-x", "bib-x")
    assert line.draft.category == "cyclic"
    assert parse_line("A | demain | bib-x", TODAY).draft.category == "one-off"


@pytest.mark.parametrize(
    "text, field, key",
    [
        ("Zooanimation | 10 décembre", "form", "propose.problem.missing"),
        ("a | b | c | d | e | f", "form", "propose.problem.form"),
        ("Zooanimation | bientôt | udem-facebook", "publish_on", "propose.date.unparseable"),
        ("Zooanimation | 10 décembre | udem-facebook | gossip", "category", "propose.problem.category"),
    ],
)
def test_one_line_reading_problems(text, field, key):
    line = parse_line(text, TODAY)
    assert [(p.field, p.key) for p in line.problems] == [(field, key)]


def test_an_unreadable_date_is_reported_once():
    line = parse_line("Zooanimation | bientôt | udem-facebook", TODAY)
    checked = check_line(line, OUTLETS, DAYS, TODAY)
    assert keys(checked) == [("publish_on", "propose.date.unparseable")]


def test_one_line_checked_with_the_rules():
    line = parse_line(" | 2026-12-04 | udem-facebook, nope", TODAY)
    assert {k for _, k in keys(check_line(line, OUTLETS, DAYS, TODAY))} == {
        "propose.problem.title_empty",
        "propose.problem.outlets_unknown",
        "propose.problem.deadline_passed",
    }


def test_categories_and_outlets_as_typed():
    assert parse_category("Collections") == "collections"
    assert parse_category("ponctuel") == "one-off"
    assert parse_category("one off") == "one-off"
    assert parse_category("nope") is None
    assert parse_outlets(" udem-facebook,udem-facebook ;#bib-x ") == ("udem-facebook", "bib-x")


def test_a_link_in_the_title_keeps_its_pipe_and_slack_entities_are_read_as_typed():
    line = parse_line("Voir <https://x.example|ici> | demain | bib-x", TODAY)
    assert line.problems == [] and line.draft.title == "Voir <https://x.example|ici>"
    line = parse_line("&lt;!channel&gt; A &amp; B | demain | bib-x", TODAY)
    assert line.draft.title == "<!channel> A & B"

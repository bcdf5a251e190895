"""`/stats report` as plain functions: periods, totals, top posts, the reach multiplier and its median."""

from datetime import date

import pytest

from bot.i18n import translator
from bot.stats.figures import InputError
from bot.stats.reports import (
    Period,
    build_report,
    multipliers,
    parse_period,
    report_blocks,
    term_start,
)

TODAY = date(2026, 12, 1)  # a Tuesday


def test_periods():
    assert parse_period("week", TODAY) == Period("week", date(2026, 11, 30), date(2026, 12, 6))
    assert parse_period("semaine", TODAY) == Period("week", date(2026, 11, 30), date(2026, 12, 6))
    assert parse_period("month", TODAY) == Period("month", date(2026, 12, 1), date(2026, 12, 31))
    assert parse_period("2026-02", TODAY) == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period("all", TODAY) == Period("all", None, None)
    assert parse_period("tout", TODAY) == Period("all", None, None)
    assert parse_period("", TODAY, default="all") == Period("all", None, None)


@pytest.mark.parametrize("text", ["yesterday", "2026-13", "2026-1-1", "42"])
def test_unknown_periods_are_refused(text):
    with pytest.raises(InputError) as caught:
        parse_period(text, TODAY)
    assert caught.value.key == "reports.error.period"


def test_the_term_starts_at_the_calendars_latest_term_start():
    starts = [date(2026, 8, 31), date(2027, 1, 6), date(2027, 9, 1)]
    assert term_start(TODAY, starts) == date(2026, 8, 31)
    assert parse_period("term", TODAY, starts) == Period("term", date(2026, 8, 31), TODAY)
    assert term_start(date(2027, 2, 10), starts) == date(2027, 1, 6)


@pytest.mark.parametrize(
    "today,start",
    [
        (date(2026, 12, 1), date(2026, 9, 1)),
        (date(2026, 2, 3), date(2026, 1, 1)),
        (date(2026, 6, 30), date(2026, 5, 1)),
        (date(2026, 1, 1), date(2026, 1, 1)),
    ],
)
def test_the_term_falls_back_on_sept_jan_may_without_a_recent_term_start(today, start):
    assert term_start(today, []) == start
    assert term_start(today, [date(2024, 9, 3)]) == start  # a stale calendar is not the current term


def row(
    id,
    proposal_id,
    slug,
    owner,
    views,
    interactions=0,
    *,
    title=None,
    category="one-off",
    day="2026-10-01",
    avg=None,
    position=0,
):
    return {
        "id": id,
        "proposal_id": proposal_id,
        "proposal_title": title or f"Proposition {proposal_id}",
        "proposal_category": category,
        "outlet_slug": slug,
        "outlet_name": slug,
        "outlet_owner": owner,
        "outlet_position": position,
        "published_on": day,
        "views": views,
        "interactions": None if views is None else interactions,
        "avg_seconds": avg,
    }


SEED_ROWS = [
    row(1, 1, "udem-facebook", "university", 19279, 512, title="Services des bibliothèques en confinement", position=1),
    row(2, 1, "bib-facebook", "library", 821, 37, position=7),
    row(3, 2, "udem-instagram-story", "university", 4941, 0, position=3),
    row(4, 3, "udem-facebook", "university", 21100, 640, title="Réouverture des bibliothèques", position=1),
    row(5, 3, "bib-facebook", "library", 342, 18, position=7),
    row(6, 4, "udem-facebook", "university", 16220, 455, category="cyclic", position=1),
    row(7, 4, "bib-facebook", "library", 392, 21, category="cyclic", avg=150, position=7),
    row(8, 5, "bib-instagram", "library", None, category="collections", position=8),
]


def test_the_seed_report():
    report = build_report(SEED_ROWS, Period("all", None, None))
    assert (report.total.posts, report.total.views, report.total.interactions, report.missing) == (8, 63095, 1683, 1)
    assert [(m.proposal_id, round(m.ratio, 1)) for m in report.multipliers] == [(1, 23.5), (3, 61.7), (4, 41.4)]
    assert round(report.median, 2) == 41.38  # 16 220 / 392
    assert [line.key for line in report.outlets] == [
        "udem-facebook",
        "udem-instagram-story",
        "bib-facebook",
        "bib-instagram",
    ]
    facebook = report.outlets[0]
    assert (facebook.posts, facebook.views, facebook.interactions) == (3, 56599, 1607)
    assert report.outlets[2].avg_seconds == 150
    assert [line.key for line in report.categories] == ["cyclic", "one-off", "collections"]
    assert report.categories[1].views == 19279 + 821 + 4941 + 21100 + 342
    assert [r["id"] for r in report.top] == [4, 1, 6, 3, 2]


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    rows = [
        row(1, 1, "u", "university", 100),
        row(2, 1, "l", "library", 10),
        row(3, 2, "u", "university", 300),
        row(4, 2, "l", "library", 10),
    ]
    assert build_report(rows, Period("all", None, None)).median == 20.0


def test_a_proposal_counts_all_its_university_and_library_placements():
    rows = [
        row(1, 1, "udem-facebook", "university", 1000),
        row(2, 1, "udem-x", "university", 500),
        row(3, 1, "bib-facebook", "library", 100),
        row(4, 1, "bib-x", "library", 50),
        row(5, 2, "udem-facebook", "university", 1000),
        row(6, 2, "bib-x", "library", 0),
        row(7, 3, "udem-facebook", "university", 1000),
        row(8, 3, "bib-x", "library", None),
    ]
    found = multipliers(rows)
    assert [(m.proposal_id, m.university_views, m.library_views, m.ratio) for m in found] == [(1, 1500, 150, 10.0)]


def test_no_publication_gives_no_median():
    report = build_report([], Period("week", TODAY, TODAY))
    assert report.median is None and report.multipliers == []


def test_the_report_in_french_and_english():
    report = build_report(SEED_ROWS, Period("all", None, None))
    fr = "\n".join(b["text"]["text"] for b in report_blocks(translator("fr"), report) if b.get("text"))
    assert "41,4 fois plus de vues" in fr and "23,5 fois plus de vues" in fr and "×" not in fr and "21\u00a0100" in fr
    assert "18 août" not in fr  # all rows are on 1 Oct in this data set
    assert "1er oct. 2026" in fr
    en = "\n".join(b["text"]["text"] for b in report_blocks(translator("en"), report) if b.get("text"))
    assert "41.4 times as many views" in en and "21,100" in en and "Oct 1, 2026" in en


def test_titles_are_escaped_in_the_report():
    rows = [row(1, 1, "u", "university", 100, title="<!channel> & co"), row(2, 1, "l", "library", 10)]
    text = str(report_blocks(translator("fr"), build_report(rows, Period("all", None, None))))
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; co" in text


def test_an_unknown_figure_is_n_d_left_out_of_totals_and_averages_and_counted():
    rows = [
        row(1, 1, "udem-linkedin", "university", 1257, None, avg=150),
        row(2, 2, "udem-linkedin", "university", 1000, 40, avg=None),
        row(3, 3, "udem-linkedin", "university", 500, 10, avg=90),
    ]
    report = build_report(rows, Period("all", None, None))
    linkedin = report.outlets[0]
    assert (linkedin.views, linkedin.interactions, linkedin.interactions_missing) == (2757, 50, 1)
    assert (linkedin.avg_seconds, linkedin.time_missing) == (120, 1)  # (150 + 90) / 2: the unknown is not 0
    fr = "\n".join(b["text"]["text"] for b in report_blocks(translator("fr"), report) if b.get("text"))
    assert "50 interactions (n. d. pour 1)" in fr and "temps moyen 2:00 (n. d. pour 1)" in fr
    assert "Interactions n. d. pour 1 publication :" in fr and "Temps moyen n. d. pour 1 publication :" in fr
    assert "1\u00a0257 vues, interactions n. d." in fr  # the top posts
    en = "\n".join(b["text"]["text"] for b in report_blocks(translator("en"), report) if b.get("text"))
    assert "50 interactions (n/a for 1)" in en and "1,257 views, interactions n/a" in en


def test_interactions_never_known_read_n_d_not_zero():
    report = build_report([row(1, 1, "udem-linkedin", "university", 1257, None)], Period("all", None, None))
    fr = "\n".join(b["text"]["text"] for b in report_blocks(translator("fr"), report) if b.get("text"))
    assert "1\u00a0257 vues, interactions n. d." in fr and "0 interaction" not in fr

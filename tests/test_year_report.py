"""The strategy's evidence (issue 17, item 4): `/stats report year` and `python -m bot report --year`,
on the seed's three pairs — 19 279 vs 821 (×23,5), 21 100 vs 342 (×61,7), 16 220 vs 392 (×41,4),
median ×41,4 — through the CLI and signed HTTP against the Slack stand-in."""

import json
import struct
from datetime import date

import pytest

from bot.i18n import translator
from bot.stats.figures import InputError
from bot.stats.reports import Period, parse_year, year_chart, year_lines, year_report
from storage import stats as stats_rows
from tests.stats_seed import publish, seed

TODAY = date(2026, 12, 1)


def report_of(relais, period):
    return year_report(stats_rows.iter_report_rows(relais.db, period.start, period.end), period)


def test_years_academic_and_calendar():
    assert parse_year("", TODAY) == Period("year", date(2026, 9, 1), date(2027, 8, 31))
    assert parse_year("2025", TODAY) == Period("year", date(2025, 9, 1), date(2026, 8, 31))
    assert parse_year("2025-2026", TODAY) == parse_year("2025", TODAY)
    assert parse_year("2026 civile", TODAY) == Period("calendar-year", date(2026, 1, 1), date(2026, 12, 31))
    assert parse_year("calendar", date(2027, 3, 1)).start == date(2027, 1, 1)
    assert parse_year("", date(2027, 3, 1)).start == date(2026, 9, 1)
    for bad in ("hier", "2025-2027", "2026 2027", "12"):
        with pytest.raises(InputError):
            parse_year(bad, TODAY)


def test_the_seed_pairs_their_multipliers_median_pooled_and_platform(relais):
    seed(relais.db)
    report = report_of(relais, parse_year("2026 civile", TODAY))
    assert [(m.university_views, m.library_views, round(m.ratio, 1)) for m in report.pairs] == [
        (19279, 821, 23.5),
        (21100, 342, 61.7),
        (16220, 392, 41.4),
    ]
    assert round(report.median, 1) == 41.4
    assert report.pooled == (19279 + 21100 + 16220) / (821 + 342 + 392)
    assert [(p.platform, p.pairs, round(p.median, 1)) for p in report.platforms] == [("facebook", 3, 41.4)]
    # the Instagram story (4 941 views) has no library counterpart: its library figure is an estimate
    assert report.university_views == 19279 + 21100 + 16220 + 4941
    assert report.estimated_views == round(4941 / (16220 / 392))  # the overall median: no Instagram pair
    assert report.library_same_posts == 821 + 342 + 392 + report.estimated_views
    text = "\n".join(year_lines(translator("fr"), report))
    assert (
        "*année 2026* : les canaux de l'Université ont obtenu *41,4 fois plus de vues que les comptes des bibliothèques, en médiane*"
        in text
    )
    assert "n° 3 Réouverture des bibliothèques : 21\u00a0100 vues contre 342 vues, soit 61,7 fois plus de vues" in text
    assert "• Facebook : 41,4 fois plus de vues en médiane, 36,4 fois plus en tout (propositions : 3)" in text
    assert "61\u00a0540 vues sur les canaux de l'Université, contre environ 1\u00a0674" in text
    assert "Estimation : 119 de ces vues" in text


def test_the_academic_year_holds_only_its_pairs(relais):
    seed(relais.db)
    report = report_of(relais, parse_year("2025", TODAY))  # September 2025 to August 2026
    assert [round(m.ratio, 1) for m in report.pairs] == [23.5, 61.7]
    assert report_of(relais, parse_year("2024", TODAY)).pairs == []


def test_the_chart_files(relais):
    seed(relais.db)
    report = report_of(relais, parse_year("2026 civile", TODAY))
    png = year_chart(translator("fr"), report, "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and 20_000 < len(png) < 400_000
    assert struct.unpack(">II", png[16:24]) == (1200, 675)  # 16:9, as a slide
    pdf = year_chart(translator("en"), report, "pdf")
    assert pdf.startswith(b"%PDF") and len(pdf) > 5_000


@pytest.mark.e2e
def test_the_cli_prints_the_figures_and_writes_png_and_pdf(relais, cli, tmp_path):
    seed(relais.db)
    png = tmp_path / "out" / "bilan.png"
    done = cli("report", "--year", "2026", "--calendar", "-o", str(png))
    assert done.returncode == 0, done.stderr
    assert "année 2026 : les canaux de l'Université ont obtenu 41,4 fois plus de vues" in done.stdout
    assert "19\u00a0279 vues contre 821 vues, soit 23,5 fois plus de vues" in done.stdout
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG") and struct.unpack(">II", data[16:24]) == (1200, 675)
    pdf = tmp_path / "bilan.pdf"
    done = cli("report", "--year", "2026", "--calendar", "-o", str(pdf), BOT_LANGUAGE="en")
    assert done.returncode == 0 and "41.4 times as many views" in done.stdout
    assert pdf.read_bytes().startswith(b"%PDF")
    bad = cli("report", "--year", "2026", "-o", str(tmp_path / "bilan.jpg"))
    assert bad.returncode == 2 and ".png" in bad.stderr
    nothing = cli("report", "--year", "2019", "-o", str(tmp_path / "rien.png"))
    assert nothing.returncode == 1 and "aucune proposition" in nothing.stdout
    assert not (tmp_path / "rien.png").exists()


@pytest.mark.e2e
def test_slack_answers_with_the_figures_and_uploads_the_chart_by_dm(relais, web_with, standin):
    web = web_with(RELAIS_NOW="2026-12-01T09:00")
    seed(relais.db)
    body = web.slash("/stats", "report year 2026 civile").json()
    assert body["response_type"] == "ephemeral"
    text = json.dumps(body["blocks"], ensure_ascii=False)
    assert "Bilan de la stratégie — année 2026" in text and "41,4 fois plus de vues" in text
    assert (
        "21\u00a0100 vues contre 342 vues, soit 61,7 fois plus de vues" in text
        and "Ce que la stratégie a apporté" in text
    )
    complete = standin.wait_for("files.completeUploadExternal")[0].args
    assert complete["channel_id"] == "D0JULIETTE"
    assert "41,4 fois plus de vues" in complete["initial_comment"]
    files = complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    assert files[0]["title"] == "relais-bilan-2026-01-01-2026-12-31.png"
    png = standin.files[files[0]["id"]]["content"]
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) == (1200, 675)


@pytest.mark.e2e
def test_a_year_without_pairs_and_a_bad_year(relais, web_with, standin):
    web = web_with(RELAIS_NOW="2026-12-01T09:00")
    seed(relais.db)
    publish(relais.db, "Seule", date(2026, 10, 5), {"udem-x": (500, 5, None)})
    empty = json.dumps(web.slash("/stats", "rapport année 2019").json(), ensure_ascii=False)
    assert "année universitaire 2019-2020" in empty and "aucune proposition publiée" in empty
    bad = json.dumps(web.slash("/stats", "report year hier").json(), ensure_ascii=False)
    assert "« hier » n'est pas une année" in bad
    assert standin.calls("files.completeUploadExternal") == []

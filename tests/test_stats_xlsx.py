"""The workbook people open (`/stats export`, `python -m bot export` by default) and what `import`
reads back: the .xlsx it writes and both CSV dialects (";" in French, "," in English).

Plain functions on temporary databases; the CLI and Slack are in test_stats_cli_e2e.py and
test_stats_e2e.py.
"""

import io
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.i18n import translator
from bot.stats.spreadsheet import (
    CsvRefused,
    export_counted,
    export_csv,
    problem_lines,
)
from storage import stats as stats_rows
from tests.stats_seed import import_into, load, publish, seed


def workbook(relais, language="fr"):
    data, rows = export_counted(relais.db, fmt="xlsx", tr=translator(language), tz=relais.settings.tz)
    return data, rows


def current(relais):
    """Each publication's current figures, by (title, outlet)."""
    return {
        (r["proposal_title"], r["outlet_slug"]): (r["views"], r["interactions"], r["avg_seconds"])
        for r in stats_rows.iter_report_rows(relais.db, None, None)
    }


def test_the_workbook_has_one_row_per_publication_headers_in_french_and_real_numbers_and_dates(relais):
    seed(relais.db)
    # a second snapshot: the workbook shows the publication once, with its latest figures
    placement = relais.db.execute("SELECT id FROM placements WHERE outlet_slug = 'udem-facebook' LIMIT 1").fetchone()[0]
    stats_rows.record(
        relais.db,
        placement,
        views=20000,
        interactions=None,
        avg_seconds=None,
        recorded_by="U0JULIETTE",
        recorded_at="2026-11-20T15:00:00Z",
        source="slash",
    )
    data, rows = workbook(relais)
    assert data[:4] == b"PK\x03\x04"
    sheet = load_workbook(io.BytesIO(data)).active
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["N° de proposition", "Titre", "Catégorie", "Date souhaitée"]
    assert "Vues" in header and "Date de publication" in header and "Temps moyen (min:s)" in header
    assert sheet.freeze_panes == "A2"
    body = [dict(zip(header, (c.value for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    assert rows == len(body) == 7  # publications, not snapshots
    first = next(r for r in body if r["Canal"] == "UdeM — Facebook" and r["Titre"].startswith("Services"))
    assert first["Vues"] == 20000 and isinstance(first["Vues"], int)
    assert first["Interactions"] == 512  # the latest known value
    assert first["Date de publication"] == datetime(2026, 3, 18)  # a date cell, not text
    assert first["Catégorie"] == "Ponctuel"
    assert first["Chiffres notés le"] == datetime(2026, 11, 20, 10, 0)  # Montréal time
    timed = next(r for r in body if r["Temps moyen (min:s)"] is not None)
    assert timed["Temps moyen (min:s)"] == timedelta(seconds=150)
    widths = {letter: dim.width for letter, dim in sheet.column_dimensions.items()}
    assert widths["B"] >= len("Services des bibliothèques en confinement") and widths["A"] >= len("N° de proposition")
    assert max(widths.values()) <= 62


def test_the_workbook_in_english(relais):
    seed(relais.db)
    sheet = load_workbook(io.BytesIO(workbook(relais, "en")[0])).active
    assert [c.value for c in sheet[1]][:3] == ["Proposal no.", "Title", "Category"]


def test_the_workbook_imports_back_into_an_empty_database(relais, empty):
    seed(relais.db)
    data, _rows = workbook(relais)
    counts = import_into(empty, data)
    assert (counts.added, counts.updated, counts.unchanged) == (7, 0, 0)
    assert current(empty) == current(relais)
    again = import_into(empty, data)  # the same workbook again: nothing changes
    assert (again.added, again.updated, again.unchanged) == (0, 0, 7)


def test_an_edited_workbook_updates_that_publication_only(relais):
    seed(relais.db)
    data, _rows = workbook(relais)
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    views = header.index("Vues") + 1
    for row in sheet.iter_rows(min_row=2):
        if row[views - 1].value == 21100:
            row[views - 1].value = 22500
    out = io.BytesIO()
    book.save(out)
    counts = import_into(relais, out.getvalue())
    assert (counts.added, counts.updated, counts.unchanged) == (0, 1, 6)
    assert current(relais)[("Réouverture des bibliothèques", "udem-facebook")][0] == 22500


def test_a_bad_workbook_is_refused_whole_with_row_and_column(relais):
    seed(relais.db)
    data, _rows = workbook(relais)
    book = load_workbook(io.BytesIO(data))
    sheet = book.active
    sheet["J3"] = "beaucoup"  # Vues
    sheet["F4"] = "udem-tiktok"  # Code du canal
    out = io.BytesIO()
    book.save(out)
    before = relais.db.execute("SELECT COUNT(*) FROM stats_snapshots").fetchone()[0]
    with pytest.raises(CsvRefused) as refused:
        import_into(relais, out.getvalue())
    lines = problem_lines(translator("fr"), refused.value.problems)
    assert any(line.startswith("ligne 3, colonne J (Vues) :") for line in lines), lines
    assert any(line.startswith("ligne 4, colonne F (Code du canal) : canal inconnu") for line in lines), lines
    assert relais.db.execute("SELECT COUNT(*) FROM stats_snapshots").fetchone()[0] == before


def test_not_a_workbook_is_refused(relais):
    with pytest.raises(CsvRefused) as refused:
        load(relais, b"PK\x03\x04 not really a zip")
    assert refused.value.problems[0].key == "xlsx.error.unreadable"


@pytest.mark.parametrize("delimiter", [";", ","])
def test_both_csv_dialects_round_trip(relais, empty, delimiter):
    seed(relais.db)
    publish(relais.db, "Zooanimation, « édition » des examens; bis", date(2026, 10, 20), {"bib-instagram": (10, 1, 5)})
    data = export_csv(relais.db, delimiter=delimiter)
    assert data.startswith(b"\xef\xbb\xbfproposal" + delimiter.encode() + b"title")
    counts = import_into(empty, data)
    assert counts.added == 8
    assert export_csv(empty.db, delimiter=delimiter) == data


def test_french_headers_and_category_labels_are_read_in_a_csv(relais):
    data = "Titre;Code du canal;Date de publication;Vues;Catégorie\nVernissage;udem-x;2026-10-01;1 200;Cyclique\n"
    parsed = load(relais, data.encode("utf-8-sig"))
    assert parsed.proposals[0].category == "cyclic"
    assert parsed.proposals[0].publications["udem-x"].snapshots[0].views == 1200

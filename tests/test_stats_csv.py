"""The figures' CSV, out and in: export → import into an empty database → export gives the same
bytes; a file with any bad row is refused whole, with its line numbers, and nothing is written.

Plain functions on temporary databases here; the CLI itself is in test_stats_cli_e2e.py.
"""

from datetime import UTC, date, datetime

import pytest

from bot.clock import to_text
from bot.i18n import translator
from bot.proposals.views import history_blocks
from bot.stats.spreadsheet import (
    COLUMNS,
    CsvRefused,
    export_csv,
    import_parsed,
    problem_lines,
)
from storage import proposals as proposal_rows
from storage import stats as stats_rows
from tests.stats_seed import import_into, load, publish, seed, snapshot_count


def proposals_count(relais):
    return relais.db.execute("SELECT COUNT(*) FROM proposals").fetchone()[0]


def test_export_import_export_gives_the_same_file(relais, empty):
    seed(relais.db)
    # a gap in the numbers (a proposal never published), later figures, a title that needs quoting,
    # a publication without figures yet
    proposal_rows.create(
        relais.db,
        title="Jamais publiée",
        publish_on=date(2026, 12, 20),
        owner_id="U0AUTRE",
        outlets=[("udem-x", date(2026, 12, 18))],
        now="2026-11-01T12:00:00Z",
    )
    publish(relais.db, '=HYPERLINK("https://evil.example")', date(2026, 11, 21), {"bib-x": None})
    number = publish(
        relais.db,
        'Zooanimation, "édition" des examens; suite',  # titles are one line (bot.text), commas and quotes kept
        date(2026, 11, 20),
        {"udem-instagram-story": (1200, 80, 95), "bib-instagram": None},
        category="cyclic",
        recorded_at=datetime(2026, 11, 25, 15, tzinfo=UTC),
    )
    stats_rows.record(
        relais.db,
        proposal_rows.placement_by_outlet(relais.db, number, "udem-instagram-story")["id"],
        views=1500,
        interactions=90,
        avg_seconds=None,
        recorded_by="U0COMMS",
        recorded_at="2026-11-30T14:00:00Z",
    )
    first = export_csv(relais.db)
    assert first.startswith("\ufeff".encode() + ",".join(COLUMNS).encode())
    assert b"\r\n6,\"'=HYPERLINK(" in first  # a spreadsheet shows it, does not run it
    assert import_into(empty, first).written == (6, 10, 9)
    assert export_csv(empty.db) == first
    assert [p["id"] for p in empty.db.query("SELECT id FROM proposals ORDER BY id")] == [1, 2, 3, 4, 6, 7]
    assert empty.db.execute("SELECT title FROM proposals WHERE id = 6").fetchone()[0].startswith("=HYPERLINK(")
    assert {r["source"] for r in empty.db.query("SELECT source FROM stats_snapshots")} == {"import"}
    assert {r["status"] for r in empty.db.query("SELECT status FROM placements")} == {"published"}


def test_export_of_a_period(relais):
    seed(relais.db)
    text = export_csv(relais.db, date(2026, 8, 1), date(2026, 8, 31)).decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert len(lines) == 3
    assert all("Réouverture des bibliothèques" in line for line in lines[1:])
    assert "21100" in text and "19279" not in text


def test_a_spreadsheet_of_past_years(relais):
    data = (
        "title;category;outlet;published_on;views;interactions;avg_time\n"
        "Bib/UdeM : se déplacer ou pas?;cyclique;udem-facebook;2020-08-18;16 456;996;\n"
        "Bib/UdeM : se déplacer ou pas?;cyclique;bib-facebook;2020-08-18;3 378;112;2 : 30 min\n"
        "5 raisons d'aller en bibliothèque;ponctuel;bib-facebook;2017-09-05;3,100;43;\n"
    ).encode("cp1252")
    assert import_into(relais, data).written == (2, 3, 3)
    rows = list(
        relais.db.query("""SELECT r.title, r.category, r.owner_id, p.outlet_slug, s.views, s.avg_seconds,
                                          s.recorded_at, s.recorded_by
                                   FROM stats_snapshots s JOIN placements p ON p.id = s.placement_id
                                   JOIN proposals r ON r.id = p.proposal_id ORDER BY s.id""")
    )
    assert [(r["title"], r["category"], r["outlet_slug"], r["views"]) for r in rows] == [
        ("Bib/UdeM : se déplacer ou pas?", "cyclic", "udem-facebook", 16456),
        ("Bib/UdeM : se déplacer ou pas?", "cyclic", "bib-facebook", 3378),
        ("5 raisons d'aller en bibliothèque", "one-off", "bib-facebook", 3100),
    ]
    assert rows[1]["avg_seconds"] == 150
    # no recorded_at: final figures, as if recorded at the last checkpoint (day 30, 09:00 Montréal)
    assert rows[0]["recorded_at"] == "2020-09-17T13:00:00Z"
    assert rows[0]["recorded_by"] == "import"


def test_a_bad_file_is_refused_whole_with_its_line_numbers(relais):
    seed(relais.db)
    before = (proposals_count(relais), snapshot_count(relais.db))
    data = (
        "proposal,title,category,outlet,published_on,views,interactions,avg_time,recorded_at\n"
        "A,Bonne ligne,one-off,udem-facebook,2026-05-01,100,10,,\n"  # line 2: fine
        "B,Canal inconnu,one-off,udem-tiktok,2026-05-01,100,10,,\n"  # 3
        "C,Vues fausses,one-off,udem-facebook,2026-05-01,beaucoup,10,,\n"  # 4
        "D,,one-off,udem-facebook,2026-05-01,100,10,,\n"  # 5: no title
        "E,Futur,one-off,udem-facebook,2027-05-01,100,10,,\n"  # 6
        "F,Temps,autre,udem-facebook,2026-05-01,,5,9:99,hier\n"  # 7: 4 problems (figures without views)
        "A,Autre titre,one-off,bib-facebook,2026-05-01,100,10,,\n"  # 8: same proposal, other title
        "G,Trop court,one-off\n"  # 9
    )
    with pytest.raises(CsvRefused) as refused:
        import_into(relais, data.encode())
    found = {(p.line, p.column) for p in refused.value.problems}
    assert found == {
        (3, "outlet"),
        (4, "views"),
        (5, "title"),
        (6, "published_on"),
        (7, "category"),
        (7, "views"),
        (7, "avg_time"),
        (7, "recorded_at"),
        (8, "title"),
        (9, ""),
    }
    assert (proposals_count(relais), snapshot_count(relais.db)) == before
    text = "\n".join(problem_lines(translator("fr"), refused.value.problems))
    assert "ligne 3, colonne outlet : canal inconnu « udem-tiktok »" in text
    assert "ligne 8, colonne title : ne correspond pas à la ligne 2" in text
    assert "ligne 9 : nombre de valeurs : 3 au lieu de 9" in text


@pytest.mark.parametrize(
    "data,key",
    [
        (b"", "csv.error.empty"),
        (b"title,outlet,published_on\n", "csv.error.no_rows"),
        (b"title,clics,outlet,published_on\nx,1,udem-x,2026-01-01\n", "csv.error.unknown_columns"),
        (b"title,outlet\nx,udem-x\n", "csv.error.missing_columns"),
        (b"title,title,outlet,published_on\n", "csv.error.duplicate_columns"),
    ],
)
def test_a_file_that_is_not_the_format_is_refused_at_its_header(relais, data, key):
    with pytest.raises(CsvRefused) as refused:
        import_into(relais, data)
    assert [(p.line, p.key) for p in refused.value.problems] == [(1, key)]


def test_importing_the_same_publications_twice_changes_nothing(relais, empty):
    seed(relais.db)
    data = export_csv(relais.db)
    first = import_into(empty, data)
    before = (proposals_count(empty), snapshot_count(empty.db))
    again = import_into(empty, data)
    assert (again.proposals, again.added, again.updated, again.snapshots) == (0, 0, 0, 0)
    assert again.unchanged == first.added
    assert (proposals_count(empty), snapshot_count(empty.db)) == before
    assert export_csv(empty.db) == data


def edit(data: bytes, find: str, replace: str) -> bytes:
    text = data.decode("utf-8-sig")
    assert text.count(find) == 1, find
    return text.replace(find, replace).encode("utf-8-sig")


def test_round_trip_export_edit_a_figure_import_updates_that_publication_only(relais):
    seed(relais.db)
    number = publish(relais.db, "Consultation", date(2026, 10, 20), {"udem-linkedin": (1257, None, 150)})
    placement = proposal_rows.placement_by_outlet(relais.db, number, "udem-linkedin")["id"]
    data = export_csv(relais.db)
    row = next(line for line in data.decode("utf-8-sig").split("\r\n") if ",Consultation," in line)
    assert ",1257,,2:30," in row  # interactions unknown: an empty cell, not 0
    edited = edit(data, row, row.replace(",1257,,2:30,", ",1400,52,,"))
    before = (proposals_count(relais), snapshot_count(relais.db))
    publications = data.decode("utf-8-sig").count("\r\n") - 1  # one row per publication in the seed
    dry = import_parsed(relais.db, load(relais, edited), now=to_text(relais.clock.now()), dry_run=True)
    assert (dry.proposals, dry.added, dry.updated, dry.unchanged, dry.snapshots) == (0, 0, 1, publications - 1, 1)
    assert (proposals_count(relais), snapshot_count(relais.db)) == before  # a dry run writes nothing
    done = import_into(relais, edited)
    assert (done.proposals, done.added, done.updated, done.unchanged, done.snapshots) == (
        dry.proposals,
        dry.added,
        dry.updated,
        dry.unchanged,
        dry.snapshots,
    )
    assert (proposals_count(relais), snapshot_count(relais.db)) == (before[0], before[1] + 1)
    current = stats_rows.latest(relais.db, placement)
    assert (current["views"], current["interactions"], current["avg_seconds"]) == (1400, 52, 150)  # time kept
    assert (current["source"], current["recorded_by"]) == ("import", "import")
    again = import_into(relais, edited)  # the same file again: nothing more
    assert (again.updated, again.snapshots) == (0, 0)


def test_a_new_publication_of_a_known_proposal_is_added_to_it(relais):
    number = publish(relais.db, "Consultation", date(2026, 10, 20), {"udem-linkedin": (1257, 40, None)})
    data = export_csv(relais.db)
    text = data.decode("utf-8-sig")
    extra = text.rstrip("\r\n").split("\r\n")[1].replace("udem-linkedin", "bib-facebook").replace("1257", "300")
    done = import_into(relais, (text + extra + "\r\n").encode("utf-8-sig"))
    assert (done.proposals, done.added, done.unchanged) == (0, 1, 1)
    slugs = {p["outlet_slug"] for p in proposal_rows.placements_of(relais.db, number)}
    assert slugs == {"udem-linkedin", "bib-facebook"} and proposals_count(relais) == 1


def test_imported_proposals_have_a_history_line_and_are_not_under_way(relais, empty):
    seed(relais.db)
    import_into(empty, export_csv(relais.db))
    rows = proposal_rows.history(empty.db, 1)
    assert {r["action"] for r in rows} == {"imported"}
    text = str(history_blocks(translator("fr"), empty.settings.tz, rows, {"udem-facebook": "UdeM — Facebook"}))
    assert "importée le " in text and "<@import>" not in text and "imported" not in text
    assert "UdeM — Facebook : publiée" in text
    en = str(history_blocks(translator("en"), empty.settings.tz, rows, {}))
    assert "imported on " in en and "<@import>" not in en
    assert proposal_rows.open_proposals(empty.db) == []  # every placement published: done, not "en cours"
    assert stats_rows.current_proposals(empty.db, "U0JULIETTE", empty.clock.today()) == []


def test_numbers_already_taken_get_new_ones(relais, empty):
    seed(relais.db)
    data = export_csv(relais.db)
    publish(empty.db, "Déjà là", date(2026, 2, 2), {"udem-x": None})  # takes number 1
    assert import_into(empty, data).written == (4, 7, 7)
    titles = {p["id"]: p["title"] for p in empty.db.query("SELECT id, title FROM proposals")}
    assert titles[1] == "Déjà là"
    assert sorted(titles) == [1, 2, 3, 4, 5]
    assert titles[5] == "Services des bibliothèques en confinement"

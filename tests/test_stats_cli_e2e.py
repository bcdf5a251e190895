"""`python -m bot export` and `python -m bot import` as an operator runs them: the same CSV as
`/stats export`; export → import into an empty database → export gives an identical file; a bad
file is refused whole with its line numbers and nothing is imported."""

import sqlite3
from datetime import date

import pytest

from bot.stats.spreadsheet import export_csv
from tests.stats_seed import publish, seed

pytestmark = pytest.mark.e2e


def count(path, table):
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_export_import_export_through_the_cli_gives_an_identical_file(relais, cli, tmp_path):
    seed(relais.db)
    publish(relais.db, "Zooanimation, « édition » des examens", date(2026, 11, 20), {"bib-instagram": None})
    first, second = tmp_path / "out" / "first.csv", tmp_path / "second.csv"
    done = cli("export", "-o", str(first))
    assert done.returncode == 0, done.stderr
    assert first.read_bytes() == export_csv(relais.db, delimiter=";")  # .csv: the CSV, French separator
    assert "(8 lignes)" in done.stderr

    empty = str(tmp_path / "empty.db")
    done = cli("import", str(first), DATABASE_PATH=empty)
    assert done.returncode == 0, done.stderr
    assert (
        "Importé : 8 publications ajoutées, 0 mise à jour, 0 inchangée ; 5 propositions créées, 7 relevés de chiffres"
        in done.stdout
    )
    assert cli("export", "-o", str(second), DATABASE_PATH=empty).returncode == 0
    assert second.read_bytes() == first.read_bytes()


def test_export_to_standard_output_and_by_dates(relais, cli):
    seed(relais.db)
    everything = cli("export", "--format", "csv")
    assert everything.returncode == 0
    assert everything.stdout.lstrip("\ufeff").startswith("proposal;title;category;")
    english = cli("export", "--format", "csv", BOT_LANGUAGE="en")
    assert english.stdout.lstrip("\ufeff").startswith("proposal,title,category,")
    august = cli("export", "--format", "csv", "--since", "2026-08-01", "--until", "2026-08-31").stdout
    assert "Réouverture des bibliothèques" in august and "confinement" not in august
    bad = cli("export", "--since", "août")
    assert bad.returncode == 2 and "--since" in bad.stderr and "AAAA-MM-JJ" in bad.stderr


def test_a_bad_file_is_refused_whole_with_the_numbers_of_its_bad_lines(relais, cli, tmp_path):
    seed(relais.db)
    db = str(tmp_path / "relais.db")
    before = (count(db, "proposals"), count(db, "placements"), count(db, "stats_snapshots"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "title,outlet,published_on,views,interactions\n"
        "Bonne ligne,udem-facebook,2020-03-18,19 279,512\n"
        "Canal inconnu,udem-tiktok,2020-03-18,10,1\n"
        "Bonne aussi,bib-facebook,2020-03-18,821,37\n"
        "Vues négatives,bib-facebook,2020-03-18,-4,1\n",
        encoding="utf-8",
    )
    done = cli("import", str(bad))
    assert done.returncode == 1
    assert "2 problèmes" in done.stderr and "Rien n'a été importé" in done.stderr
    assert "ligne 3, colonne outlet" in done.stderr and "ligne 5, colonne views" in done.stderr
    assert "ligne 2" not in done.stderr and "ligne 4" not in done.stderr
    assert (count(db, "proposals"), count(db, "placements"), count(db, "stats_snapshots")) == before


def test_a_dry_run_checks_and_writes_nothing(relais, cli, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(
        "title,outlet,published_on,views,interactions\n"
        "Réouverture des bibliothèques,udem-facebook,2020-08-18,21 100,640\n"
        "Réouverture des bibliothèques,bib-facebook,2020-08-18,342,18\n",
        encoding="utf-8",
    )
    done = cli("import", "--dry-run", str(good))
    counts = "2 publications ajoutées, 0 mise à jour, 0 inchangée ; 1 proposition créée, 2 relevés de chiffres"
    assert done.returncode == 0 and counts in done.stdout and "rien n'a été écrit" in done.stdout
    assert count(str(tmp_path / "relais.db"), "stats_snapshots") == 0
    done = cli("import", str(good))
    assert done.returncode == 0 and counts in done.stdout
    assert count(str(tmp_path / "relais.db"), "stats_snapshots") == 2
    again = cli("import", str(good))  # the same file again: known, unchanged
    assert again.returncode == 0 and "0 publication ajoutée, 0 mise à jour, 2 inchangées" in again.stdout
    assert count(str(tmp_path / "relais.db"), "stats_snapshots") == 2
    assert cli("import", str(tmp_path / "nope.csv")).returncode == 1


def test_round_trip_export_edit_import_updates_one_publication(relais, cli, tmp_path):
    seed(relais.db)
    db = str(tmp_path / "relais.db")
    exported = tmp_path / "stats.csv"
    assert cli("export", "-o", str(exported)).returncode == 0
    text = exported.read_bytes().decode("utf-8-sig")
    assert text.count(";21100;640;") == 1
    exported.write_bytes(text.replace(";21100;640;", ";22500;700;").encode("utf-8-sig"))
    before = (count(db, "proposals"), count(db, "placements"), count(db, "stats_snapshots"))
    dry = cli("import", "--dry-run", str(exported))
    summary = "0 publication ajoutée, 1 mise à jour, 6 inchangées ; 0 proposition créée, 1 relevé de chiffres"
    assert dry.returncode == 0 and summary in dry.stdout, dry.stdout + dry.stderr
    assert (count(db, "proposals"), count(db, "placements"), count(db, "stats_snapshots")) == before
    done = cli("import", str(exported), BOT_LANGUAGE="en")
    assert done.returncode == 0 and "0 publications added, 1 updated, 6 unchanged" in done.stdout
    assert (count(db, "proposals"), count(db, "placements"), count(db, "stats_snapshots")) == (
        before[0],
        before[1],
        before[2] + 1,
    )

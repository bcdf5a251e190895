"""OUTLETS_FILE: validated with one-line errors, synchronised into the database at start."""

from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import ConfigFileError
from bot.proposals.outlets import by_slug, load_outlets, sync
from storage import outlets as store

ROOT = Path(__file__).resolve().parent.parent

TWO = """
[[outlet]]
slug = "udem-facebook"
name = "UdeM — Facebook"
owner = "university"
platform = "facebook"
lead_days = 5
per_week = 1
checklist = ["Image 1200×630"]
audiences = ["students"]

[[outlet]]
slug = "bib-x"
name = "Bibliothèques — X"
owner = "library"
platform = "x"
lead_days = 0
"""


def write(tmp_path, text, name="outlets.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_is_valid():
    outlets = load_outlets(ROOT / "config" / "outlets.toml")
    slugs = [o.slug for o in outlets]
    assert "udem-facebook" in slugs and "bib-facebook" in slugs
    assert len(slugs) == len(set(slugs))
    facebook = next(o for o in outlets if o.slug == "udem-facebook")
    assert facebook.lead_days == 5 and facebook.per_week == 1 and facebook.is_university


def test_a_missing_per_week_means_no_limit(tmp_path):
    outlets = load_outlets(write(tmp_path, TWO))
    assert outlets[1].per_week is None and outlets[1].checklist == () and outlets[1].audiences == ()


def test_sync_adds_new_updates_changed_and_keeps_removed_inactive(relais, tmp_path):
    relais.settings = replace(relais.settings, outlets_file=write(tmp_path, TWO))
    sync(relais)
    rows = {r["slug"]: r for r in store.all(relais.db)}
    assert rows["udem-facebook"]["active"] == 1 and rows["bib-x"]["active"] == 1
    assert rows["udem-linkedin"]["active"] == 0  # in the shipped file, not in this one: kept, inactive

    changed = TWO.replace("lead_days = 5", "lead_days = 7").replace('name = "Bibliothèques — X"', 'name = "Bib — X"')
    changed += """
[[outlet]]
slug = "bib-tiktok"
name = "Bibliothèques — TikTok"
owner = "library"
platform = "tiktok"
lead_days = 1
"""
    relais.settings = replace(relais.settings, outlets_file=write(tmp_path, changed, "changed.toml"))
    sync(relais)
    outlets = by_slug(relais.db)
    assert outlets["udem-facebook"].lead_days == 7
    assert outlets["bib-x"].name == "Bib — X"
    assert outlets["bib-tiktok"].active and outlets["bib-tiktok"].lead_days == 1

    relais.settings = replace(
        relais.settings, outlets_file=write(tmp_path, TWO.split('[[outlet]]\nslug = "bib-x"')[0], "fewer.toml")
    )
    sync(relais)
    outlets = by_slug(relais.db)
    assert not outlets["bib-x"].active and not outlets["bib-tiktok"].active  # removed: kept for history
    assert outlets["bib-x"].name == "Bib — X"
    assert [o.slug for o in by_slug(relais.db, include_inactive=False).values()] == ["udem-facebook"]


def test_sync_twice_changes_nothing(relais):
    before = store.all(relais.db)
    sync(relais)
    assert store.all(relais.db) == before


@pytest.mark.parametrize(
    "change, where, field, problem",
    [
        (("lead_days = 5", 'lead_days = "five"'), "(udem-facebook)", "lead_days", "attend un nombre entier"),
        (("lead_days = 5", "lead_days = 99"), "(udem-facebook)", "lead_days", "de 0 à 60"),
        (("per_week = 1", "per_week = 0"), "(udem-facebook)", "per_week", "de 1 à 50"),
        (('owner = "library"', 'owner = "faculty"'), "(bib-x)", "owner", "university"),
        (('slug = "bib-x"', 'slug = "Bib X"'), "[[outlet]] #2", "slug", "minuscules"),
        (('slug = "bib-x"', 'slug = "udem-facebook"'), "(udem-facebook)", "slug", "déjà utilisé"),
        (('platform = "x"\n', ""), "(bib-x)", "platform", "obligatoire"),
        (('checklist = ["Image 1200×630"]', 'checklist = "Image"'), "(udem-facebook)", "checklist", "liste"),
        (('audiences = ["students"]', 'audiences = [""]'), "(udem-facebook)", "audiences", "textes non vides"),
    ],
)
def test_a_bad_file_is_refused_in_one_line_naming_file_outlet_and_field(tmp_path, change, where, field, problem):
    path = write(tmp_path, TWO.replace(*change))
    with pytest.raises(ConfigFileError) as caught:
        load_outlets(path)
    line = caught.value.line("fr")
    assert "\n" not in line
    assert str(path) in line and where in line and field in line and problem in line, line


def test_a_file_that_is_no_toml_or_has_no_outlet_is_refused(tmp_path):
    with pytest.raises(ConfigFileError) as caught:
        load_outlets(write(tmp_path, "[[outlet]\nslug="))
    assert "TOML" in caught.value.line("fr")
    with pytest.raises(ConfigFileError) as caught:
        load_outlets(write(tmp_path, "title = 'nothing'\n"))
    assert "[[outlet]]" in caught.value.line("fr")
    with pytest.raises(ConfigFileError):
        load_outlets(tmp_path / "absent.toml")


@pytest.mark.e2e
def test_serve_with_a_bad_outlets_file_stops_with_exit_2_and_one_line(cli, tmp_path):
    path = write(tmp_path, TWO.replace("lead_days = 0", "lead_days = -1"), "broken.toml")
    result = cli("serve", OUTLETS_FILE=str(path))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0] and "(bib-x)" in lines[0] and "lead_days" in lines[0]
    assert "Traceback" not in result.stderr

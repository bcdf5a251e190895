"""/stats over signed HTTP against the Procfile's web process and the Slack stand-in: recording
figures in one line and in the modal, every refusal (nothing stored), the "record anyway"
confirmation, the reminders' `stats_open` button, reports and the CSV export.

The data is written with Relais's storage functions on the database the web process uses
(`relais` and `web_with` share tmp_path/relais.db).
"""

import io
import json
import struct
import time
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from bot.stats.spreadsheet import export_csv
from storage import stats as stats_rows
from tests import slack
from tests.stats_seed import placement_id, publish, seed, snapshot_count

pytestmark = pytest.mark.e2e

NOW = "2026-12-01T09:00"  # Tuesday, Montréal
NBSP = "\u00a0"


@pytest.fixture
def web(web_with):
    return web_with(RELAIS_NOW=NOW)


def text_of(body) -> str:
    return "\n".join(json.dumps(b, ensure_ascii=False) for b in body.get("blocks", [])) + body.get("text", "")


def library_first(relais):
    """Proposal 1: the library's own Facebook already has its figures; the university's awaits them."""
    return publish(
        relais.db,
        "Services des bibliothèques en confinement",
        date(2026, 11, 20),
        {"udem-facebook": None, "bib-facebook": (821, 37, None)},
        recorded_at=datetime(2026, 11, 28, 15, tzinfo=UTC),
    )


# -- one line ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "figures",
    [
        "vues=19 279 interactions=996 temps=2:30",
        "views=19,279 interactions=996 time=2:30",
        "views=19279 interactions=996 time=2 : 30 min",
        f"vues=19{NBSP}279 interactions=996 temps=2:30",
        "interactions=996 temps=2:30 vues = 19 279",
    ],
)
def test_one_line_records_a_snapshot_and_compares_with_the_librarys_own(relais, web, figures):
    number = library_first(relais)
    body = web.slash("/stats", f"{number} udem-facebook {figures}").json()
    assert body["response_type"] == "ephemeral"
    text = text_of(body)
    assert f"19{NBSP}279 vues, 996 interactions, temps moyen 2:30" in text
    assert "821 vues" in text and "23,5 fois plus de vues sur le canal de l'Université" in text
    assert "×" not in text
    snap = stats_rows.latest(relais.db, placement_id(relais.db, number, "udem-facebook"))
    assert (snap["views"], snap["interactions"], snap["avg_seconds"]) == (19279, 996, 150)
    assert (snap["recorded_by"], snap["recorded_at"], snap["source"]) == ("U0JULIETTE", "2026-12-01T14:00:00Z", "slack")


def test_views_alone_in_one_line_and_time_kept_across_snapshots(relais, web_with):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0JULIETTE")
    number = publish(relais.db, "Consultation", date(2026, 11, 20), {"udem-linkedin": None})
    text = text_of(web.slash("/stats", f"{number} udem-linkedin vues=1257 temps=2:30").json())
    assert f"1{NBSP}257 vues, interactions n. d., temps moyen 2:30" in text
    pid = placement_id(relais.db, number, "udem-linkedin")
    first = stats_rows.snapshots(relais.db, pid)[0]
    assert (first["views"], first["interactions"], first["avg_seconds"]) == (1257, None, 150)
    report = text_of(web.slash("/stats", "report all").json())
    assert "temps moyen 2:30" in report and "Interactions n. d. pour 1 publication :" in report
    # a later snapshot without time: the time stays 2:30, the report's average does not drop
    web.slash("/stats", f"{number} udem-linkedin vues=2000 interactions=40")
    assert [s["avg_seconds"] for s in stats_rows.snapshots(relais.db, pid)] == [150, None]
    current = stats_rows.latest(relais.db, pid)
    assert (current["views"], current["interactions"], current["avg_seconds"]) == (2000, 40, 150)
    report = text_of(web.slash("/stats", "report all").json())
    assert f"2{NBSP}000 vues, 40 interactions, temps moyen 2:30" in report
    assert "n. d." not in report
    # and one with views alone keeps the 40 interactions
    web.slash("/stats", f"{number} udem-linkedin vues=2100")
    current = stats_rows.latest(relais.db, pid)
    assert (current["views"], current["interactions"], current["avg_seconds"]) == (2100, 40, 150)


def test_one_line_in_english(relais, web_with):
    web = web_with(RELAIS_NOW=NOW, BOT_LANGUAGE="en")
    number = library_first(relais)
    text = text_of(web.slash("/stats", f"{number} udem-facebook views=19 279 interactions=996").json())
    assert "19,279 views, 996 interactions" in text and "23.5 times as many views" in text


def test_each_recording_is_a_snapshot_and_the_latest_is_current(relais, web):
    number = library_first(relais)
    web.slash("/stats", f"{number} udem-facebook vues=10 000 interactions=500")
    web.slash("/stats", f"{number} udem-facebook vues=19 279 interactions=996")
    pid = placement_id(relais.db, number, "udem-facebook")
    assert [(s["views"], s["interactions"]) for s in stats_rows.snapshots(relais.db, pid)] == [
        (10000, 500),
        (19279, 996),
    ]
    assert stats_rows.latest(relais.db, pid)["views"] == 19279


@pytest.mark.parametrize(
    "text,expected",
    [
        ("99 udem-facebook vues=1 interactions=1", "pas de proposition n° 99"),
        ("{n} udem-tiktok vues=1 interactions=1", "canal « udem-tiktok »"),
        ("{n} udem-x vues=1 interactions=1", "pas prévue sur « udem-x »"),
        ("{n} udem-facebook vues=-3 interactions=1", "négatif"),
        ("{n} udem-facebook vues=beaucoup interactions=1", "« beaucoup » n'est pas un nombre"),
        ("{n} udem-facebook interactions=100", "Il manque `views=`"),
        ("{n} udem-facebook vues=100 interactions=1 temps=longtemps", "n'est pas un temps moyen"),
        ("{n} udem-facebook vues=<!channel> interactions=1", "« &lt;!channel&gt; »"),
    ],
)
def test_refusals_are_ephemeral_say_what_is_wrong_and_store_nothing(relais, web, text, expected):
    number = library_first(relais)
    before = snapshot_count(relais.db)
    body = web.slash("/stats", text.format(n=number)).json()
    assert body["response_type"] == "ephemeral"
    message = text_of(body)
    assert expected in message
    assert "Rien n'a été enregistré" in message and "/stats N CANAL" in message
    assert "<!channel>" not in message
    assert snapshot_count(relais.db) == before


def test_a_placement_not_yet_published_is_refused(relais, web):
    from storage import proposals as proposal_rows

    number = proposal_rows.create(
        relais.db,
        title="Prévue",
        publish_on=date(2026, 12, 20),
        owner_id="U0JULIETTE",
        outlets=[("udem-x", date(2026, 12, 17))],
        now="2026-11-01T12:00:00Z",
    )
    body = web.slash("/stats", f"{number} udem-x vues=10 interactions=1").json()
    assert "pas encore publiée sur udem-x (statut : planifié)" in text_of(body)
    assert snapshot_count(relais.db) == 0


def test_only_the_owner_and_the_comms_team_record(relais, web_with):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    number = library_first(relais)  # owned by U0JULIETTE
    before = snapshot_count(relais.db)
    refused = text_of(web.slash("/stats", f"{number} udem-facebook vues=100 interactions=1", user="U0AUTRE").json())
    assert "appartient à <@U0JULIETTE>" in refused
    assert refused.endswith("Adressez-vous à l'équipe des communications : <@U0COMMS>.")  # who can, mentioned
    assert snapshot_count(relais.db) == before
    for user in ("U0JULIETTE", "U0COMMS"):
        web.slash("/stats", f"{number} udem-facebook vues=100 interactions=1", user=user)
    pid = placement_id(relais.db, number, "udem-facebook")
    assert [s["recorded_by"] for s in stats_rows.snapshots(relais.db, pid)] == ["U0JULIETTE", "U0COMMS"]


def test_lower_figures_ask_for_a_confirmation_then_the_button_records_them(relais, web, standin):
    number = library_first(relais)
    body = web.slash("/stats", f"{number} bib-facebook vues=800 interactions=40").json()
    text = text_of(body)
    assert "moins que le dernier relevé" in text and "821 vues" in text
    assert snapshot_count(relais.db) == 1
    button = next(e for b in body["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == "stats_force"
    response_url = standin.response_url()
    web.interact(slack.block_actions("stats_force", button["value"], response_url=response_url))
    answer = standin.wait_for("response_url")[0].args
    assert "800 vues, 40 interactions" in text_of(answer) and answer.get("replace_original") in (True, "true")
    assert stats_rows.latest(relais.db, placement_id(relais.db, number, "bib-facebook"))["views"] == 800


def test_lower_figures_retyped_with_confirm_are_recorded(relais, web):
    number = library_first(relais)
    web.slash("/stats", f"{number} bib-facebook vues=800 interactions=40 confirm")
    assert stats_rows.latest(relais.db, placement_id(relais.db, number, "bib-facebook"))["views"] == 800


def test_the_record_anyway_button_checks_everything_again(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    number = library_first(relais)
    value = json.dumps(
        {"placement": placement_id(relais.db, number, "bib-facebook"), "views": 1, "interactions": 1, "avg": None}
    )
    web.interact(slack.block_actions("stats_force", value, user="U0AUTRE", response_url=standin.response_url()))
    assert "appartient à" in text_of(standin.wait_for("response_url")[0].args)
    assert snapshot_count(relais.db) == 1


# -- the modal --------------------------------------------------------------------------------
def awaiting_two(relais):
    first = publish(relais.db, "Zooanimation", date(2026, 11, 20), {"udem-instagram-story": None})
    second = library_first(relais)
    publish(relais.db, "Pas à moi", date(2026, 11, 20), {"udem-x": None}, owner="U0AUTRE")
    return first, second


def test_stats_alone_opens_the_modal_of_the_users_placements_awaiting_figures(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    first, second = awaiting_two(relais)
    response = web.slash("/stats", "")
    assert response.status_code == 200 and response.text in ("", "null")
    view = standin.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == "stats_record"
    heads = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert len(heads) == 2 and "Zooanimation" in heads[0] and "confinement" in heads[1]
    assert json.loads(view["private_metadata"])["placements"] == [
        placement_id(relais.db, first, "udem-instagram-story"),
        placement_id(relais.db, second, "udem-facebook"),
    ]
    # the comms team sees everyone's
    web.slash("/stats", "", user="U0COMMS")
    view = standin.wait_for("views.open", count=2)[1].args["view"]
    assert len(json.loads(view["private_metadata"])["placements"]) == 3


def test_nothing_awaiting_says_so(web):
    body = web.slash("/stats", "").json()
    assert "Aucune publication n'attend de chiffres" in text_of(body)


def submit(web, view, values, user="U0JULIETTE"):
    state = {}
    for block_id, value in values.items():
        state[block_id] = {"value": {"type": "plain_text_input", "value": value}}
    return web.interact(slack.view_submission(view, state, user=user))


def test_the_modal_records_what_was_filled_and_confirms_by_dm(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")  # U0JULIETTE sees her own two
    _first, _second = awaiting_two(relais)
    web.slash("/stats", "")
    view = standin.wait_for("views.open")[0].args["view"]
    p1, p2 = json.loads(view["private_metadata"])["placements"]
    response = submit(web, view, {f"views-{p2}": "19 279", f"interactions-{p2}": "996", f"time-{p2}": "2:30"})
    assert response.status_code == 200 and response.text in ("", "null")
    assert stats_rows.latest(relais.db, p1) is None
    snap = stats_rows.latest(relais.db, p2)
    assert (snap["views"], snap["interactions"], snap["avg_seconds"], snap["recorded_by"]) == (
        19279,
        996,
        150,
        "U0JULIETTE",
    )
    dm = standin.wait_for("chat.postMessage")[0].args
    assert dm["channel"].startswith("D")
    assert "19 279 vues" in text_of(dm).replace(NBSP, " ") and "23,5 fois plus de vues" in text_of(dm)


def test_the_modal_records_views_alone_as_they_come(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    awaiting_two(relais)
    web.slash("/stats", "")
    view = standin.wait_for("views.open")[0].args["view"]
    p1, _p2 = json.loads(view["private_metadata"])["placements"]
    interactions = next(b for b in view["blocks"] if b.get("block_id") == f"interactions-{p1}")
    assert interactions["optional"] is True  # leave empty what you don't have yet
    response = submit(web, view, {f"views-{p1}": "1 257", f"interactions-{p1}": "", f"time-{p1}": ""})
    assert response.status_code == 200 and response.text in ("", "null")
    snap = stats_rows.latest(relais.db, p1)
    assert (snap["views"], snap["interactions"], snap["avg_seconds"]) == (1257, None, None)  # unknown, not 0
    dm = text_of(standin.wait_for("chat.postMessage")[0].args).replace(NBSP, " ")
    assert "1 257 vues, interactions n. d." in dm


def test_the_modal_refuses_bad_fields_and_stores_nothing(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")  # U0JULIETTE sees her own two
    awaiting_two(relais)
    web.slash("/stats", "")
    view = standin.wait_for("views.open")[0].args["view"]
    p1, p2 = json.loads(view["private_metadata"])["placements"]
    before = snapshot_count(relais.db)
    answer = submit(
        web,
        view,
        {
            f"views-{p1}": "12 000",
            f"interactions-{p1}": "300",
            f"views-{p2}": "beaucoup",
            f"interactions-{p2}": "douze",
            f"time-{p2}": "9:99",
        },
    ).json()
    assert answer["response_action"] == "errors"
    assert set(answer["errors"]) == {f"views-{p2}", f"interactions-{p2}", f"time-{p2}"}
    no_views = submit(web, view, {f"interactions-{p1}": "300"}).json()
    assert no_views["errors"] == {
        f"views-{p1}": "Indiquez au moins les vues (les interactions et le temps moyen sont facultatifs)."
    }
    assert snapshot_count(relais.db) == before  # the good row is not stored either
    empty = submit(web, view, {}).json()
    assert empty["response_action"] == "errors" and list(empty["errors"]) == [f"views-{p1}"]
    assert snapshot_count(relais.db) == before


def test_the_modal_asks_before_storing_lower_figures(relais, web, standin):
    number = publish(
        relais.db,
        "Réouverture",
        date(2026, 11, 2),
        {"udem-facebook": (21100, 640, None)},
        recorded_at=datetime(2026, 11, 5, 15, tzinfo=UTC),
    )  # day-7 and day-30 checkpoints
    web.slash("/stats", "")
    view = standin.wait_for("views.open")[0].args["view"]
    (pid,) = json.loads(view["private_metadata"])["placements"]
    assert pid == placement_id(relais.db, number, "udem-facebook")
    answer = submit(web, view, {f"views-{pid}": "20 000", f"interactions-{pid}": "700"}).json()
    assert answer["response_action"] == "errors" and "Plus bas" in answer["errors"][f"views-{pid}"]
    assert snapshot_count(relais.db) == 1
    values = {
        f"views-{pid}": {"value": {"type": "plain_text_input", "value": "20 000"}},
        f"interactions-{pid}": {"value": {"type": "plain_text_input", "value": "700"}},
        "force": {"value": {"type": "checkboxes", "selected_options": [{"value": "force"}]}},
    }
    web.interact(slack.view_submission(view, values))
    assert stats_rows.latest(relais.db, pid)["views"] == 20000


def test_the_reminders_button_opens_the_modal_for_its_placement(relais, web, standin):
    _first, second = awaiting_two(relais)
    pid = placement_id(relais.db, second, "udem-facebook")
    web.interact(slack.block_actions("stats_open", str(pid), channel="D0JULIETTE"))
    view = standin.wait_for("views.open")[0].args["view"]
    assert json.loads(view["private_metadata"])["placements"] == [pid]
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs[f"views-{pid}"]["optional"] is False and inputs[f"interactions-{pid}"]["optional"] is True
    submit(web, view, {f"views-{pid}": "19279", f"interactions-{pid}": "996"})
    assert stats_rows.latest(relais.db, pid)["views"] == 19279


def test_the_reminders_button_of_someone_elses_placement_is_refused(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    awaiting_two(relais)
    other = relais.db.execute("SELECT id FROM placements WHERE outlet_slug = 'udem-x'").fetchone()[0]
    web.interact(slack.block_actions("stats_open", str(other), response_url=standin.response_url()))
    refused = text_of(standin.wait_for("response_url")[0].args)
    assert "appartient à <@U0AUTRE>" in refused and "équipe des communications : <@U0COMMS>" in refused
    assert standin.calls("views.open") == []


# -- reports ----------------------------------------------------------------------------------
def test_the_report_of_the_seed(relais, web):
    seed(relais.db)
    body = web.slash("/stats", "report all").json()
    assert body["response_type"] == "ephemeral"
    text = text_of(body)
    assert "obtiennent 41,4 fois plus de vues que les comptes des bibliothèques, en médiane" in text
    assert "×" not in text
    for line in (
        "n° 1 Services des bibliothèques en confinement : 19\u00a0279 vues contre 821 vues, soit 23,5 fois plus de vues",
        "n° 3 Réouverture des bibliothèques : 21\u00a0100 vues contre 342 vues, soit 61,7 fois plus de vues",
        "n° 4 Réservation de places et de documents : 16\u00a0220 vues contre 392 vues, soit 41,4 fois plus de vues",
    ):
        assert line in text
    assert "Accès aux logiciels" not in text.split("Par canal")[0]  # no library counterpart: not in the median
    assert "UdeM — Facebook (Université) — 3 publications : 56\u00a0599 vues" in text
    assert "1. n° 3 Réouverture des bibliothèques — UdeM — Facebook, 18 août 2026 : 21\u00a0100 vues" in text


def test_the_report_uploads_its_chart_to_the_users_direct_messages(relais, web, standin):
    seed(relais.db)
    body = web.slash("/stats", "report 2026-08").json()
    assert "Le graphique de cette période arrive dans vos messages directs" in text_of(body)
    complete = standin.wait_for("files.completeUploadExternal")[0].args
    assert complete["channel_id"] == "D0JULIETTE"
    assert "Le graphique des chiffres — août 2026" in complete["initial_comment"]
    files = complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    png = standin.files[files[0]["id"]]["content"]
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) == (960, 540)
    assert files[0]["title"] == "relais-chiffres-2026-08-01.png"


def test_a_report_without_figures_has_no_chart(relais, web, standin):
    seed(relais.db)
    body = web.slash("/stats", "report week").json()
    assert "arrive dans vos messages directs" not in text_of(body)
    time.sleep(1)
    assert standin.calls("files.completeUploadExternal") == []


def test_the_report_of_a_period(relais, web):
    seed(relais.db)
    term = text_of(web.slash("/stats", "report term").json())  # since the 2026-08-31 term start
    assert "session depuis le 31 août 2026" in term and "(1 proposition)" in term and "Réouverture" not in term
    august = text_of(web.slash("/stats", "report 2026-08").json())
    assert "août 2026" in august and "61,7 fois plus de vues que les comptes des bibliothèques, en médiane" in august
    empty = text_of(web.slash("/stats", "report week").json())
    assert "Aucune publication sur cette période" in empty
    bad = text_of(web.slash("/stats", "report hier").json())
    assert "« hier » n'est pas une période" in bad


def test_the_report_in_english(relais, web_with):
    web = web_with(RELAIS_NOW=NOW, BOT_LANGUAGE="en")
    seed(relais.db)
    text = text_of(web.slash("/stats", "report all").json())
    assert "41.4 times as many views as the library's own accounts, median" in text
    assert "21,100 views against 342 views, 61.7 times as many views" in text and "Aug 18, 2026" in text


def test_reports_and_exports_are_for_the_comms_team(relais, web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    seed(relais.db)
    for sub in ("report", "export"):
        text = text_of(web.slash("/stats", sub, user="U0AUTRE").json())
        assert "Seuls les membres de l'équipe des communications" in text
    assert "41,4 fois plus de vues" in text_of(web.slash("/stats", "report all", user="U0COMMS").json())
    assert standin.calls("files.completeUploadExternal") == []


# -- export -----------------------------------------------------------------------------------
def test_export_uploads_a_workbook_to_the_users_direct_messages(relais, web, standin):
    seed(relais.db)
    body = web.slash("/stats", "export").json()
    assert "Le classeur Excel (depuis le début) arrive dans vos messages directs" in text_of(body)
    complete = standin.wait_for("files.completeUploadExternal")[0].args
    assert complete["channel_id"] == "D0JULIETTE"
    assert "une ligne par publication (7 lignes)" in complete["initial_comment"]
    files = complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    assert files[0]["title"] == "relais-stats-2026-12-01.xlsx"
    sheet = load_workbook(io.BytesIO(standin.files[files[0]["id"]]["content"])).active
    assert sheet["A1"].value == "N° de proposition" and sheet.freeze_panes == "A2"
    assert sheet.max_row == 8


def test_export_csv_keeps_the_round_trip_file_with_the_french_separator(relais, web, standin):
    seed(relais.db)
    body = web.slash("/stats", "export csv").json()
    assert "Le fichier CSV (depuis le début)" in text_of(body)
    complete = standin.wait_for("files.completeUploadExternal")[0].args
    files = complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    assert standin.files[files[0]["id"]]["content"] == export_csv(relais.db, delimiter=";")
    assert files[0]["title"] == "relais-stats-2026-12-01.csv"


def test_export_of_a_month(relais, web, standin):
    seed(relais.db)
    web.slash("/stats", "export 2026-08 csv")
    complete = standin.wait_for("files.completeUploadExternal")[0].args
    files = complete["files"] if isinstance(complete["files"], list) else json.loads(complete["files"])
    content = standin.files[files[0]["id"]]["content"].decode("utf-8-sig")
    assert "Réouverture des bibliothèques" in content and "confinement" not in content
    assert files[0]["title"] == "relais-stats-2026-08-01-2026-08-31.csv"

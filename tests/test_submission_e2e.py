"""Issue 17 items 1-3 through signed requests to the Procfile's web process, Slack played by the stand-in:
the submission package and its checklist, its mailto: link, the per-outlet texts of the form, the next free
week's buttons."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from bot.proposals.package import URL_MAX, mailto
from tests import slack
from tests.conftest import ROOT, wait_until
from tests.test_propose_e2e import button, card, click, one_line, open_modal, query, text_of, values

pytestmark = pytest.mark.e2e

NOW = "2026-12-01T10:00"  # Tuesday
OFFICE = "communications@umontreal.ca"


def outlets_with_address(tmp_path: Path) -> str:
    text = (ROOT / "config" / "outlets.toml").read_text(encoding="utf-8")
    text = text.replace('slug = "udem-facebook"\n', f'slug = "udem-facebook"\nsubmit_to = "{OFFICE}"\n', 1)
    path = tmp_path / "outlets-office.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def thread_posts(standin, ts):
    return [c for c in standin.calls("chat.postMessage") if c.args.get("thread_ts") == ts]


def tick(web, standin, block, options, user="U0JULIETTE"):
    element = block["elements"][0]
    payload = slack.block_actions(
        element["action_id"], "", user=user, block_id=block["block_id"], response_url=standin.response_url()
    )
    payload["actions"][0] = {
        "type": "checkboxes",
        "action_id": element["action_id"],
        "block_id": block["block_id"],
        "selected_options": options,
        "action_ts": "1795000002.000001",
    }
    response = web.interact(payload)
    assert response.status_code == 200


def test_the_package_its_mailto_link_and_its_checklist(web_with, standin, tmp_path):
    web = web_with(RELAIS_NOW=NOW, OUTLETS_FILE=outlets_with_address(tmp_path))
    one_line(web, "Zooanimation & chiens | 2026-12-14 | udem-facebook, bib-x")
    post = card(web, standin)
    assert "0/3 fournis" in text_of(post.args["blocks"])
    placement = query(web, "SELECT id FROM placements WHERE outlet_slug = 'udem-facebook'")[0]["id"]
    package_button = button(post.args["blocks"], "placement_package", str(placement))
    assert package_button["text"]["text"] == "Préparer la soumission — UdeM — Facebook"
    assert len([b for b in buttons_of(post.args["blocks"]) if b["action_id"] == "placement_package"]) == 1  # not bib-x

    click(web, standin, package_button)
    package = wait_until(lambda: thread_posts(standin, post.result["ts"]))[0].args
    text = text_of(package["blocks"])
    assert "Soumission à UdeM — Facebook" in text and "Zooanimation &amp; chiens" in text
    assert "Date de publication souhaitée : lundi 14 décembre 2026" in text and "<@U0JULIETTE>" in text

    link = button(package["blocks"], "package_mailto")["url"]
    parts = urlsplit(link)
    assert parts.scheme == "mailto" and unquote(parts.path) == OFFICE and len(link) <= URL_MAX
    query_ = parse_qs(parts.query)
    assert query_["subject"] == ["Soumission des Bibliothèques : Zooanimation & chiens (lundi 14 décembre 2026)"]
    body = query_["body"][0]
    assert "Titre : Zooanimation & chiens" in body and "- Image 1200×630" in body
    assert "Personne-ressource : U0JULIETTE" in body  # the name Slack gives (users.info)

    boxes = [b for b in package["blocks"] if b["type"] == "actions" and b["elements"][0]["type"] == "checkboxes"]
    assert len(boxes) == 1 and "initial_options" not in boxes[0]["elements"][0]
    options = boxes[0]["elements"][0]["options"]
    assert [o["text"]["text"] for o in options] == [
        "Image 1200×630",
        "Texte de 300 caractères au plus",
        "Lien vers la page de la bibliothèque",
    ]
    before = len(standin.calls("chat.update"))
    tick(web, standin, boxes[0], [options[0], options[2]], user="U0COMMS")
    update = standin.wait_for("chat.update", count=before + 1)[-1]
    assert "2/3 fournis" in text_of(update.args["blocks"])
    ticks = query(web, "SELECT item, ticked, ticked_by FROM checklist_ticks ORDER BY item")
    assert ticks == [
        {"item": "Image 1200×630", "ticked": 1, "ticked_by": "U0COMMS"},
        {"item": "Lien vers la page de la bibliothèque", "ticked": 1, "ticked_by": "U0COMMS"},
    ]
    history = query(web, "SELECT actor, action, to_value, note FROM history WHERE action = 'checklist' ORDER BY id")
    assert [h["note"] for h in history] == ["Image 1200×630", "Lien vers la page de la bibliothèque"]

    # "Soumis" on the incomplete checklist asks first, naming what is missing
    submitted = button(update.args["blocks"], "placement_submitted", str(placement))
    assert "Texte de 300 caractères au plus" in submitted["confirm"]["text"]["text"]
    assert "Image" not in submitted["confirm"]["text"]["text"]
    tick(web, standin, boxes[0], [options[0]])  # one unticked again: kept, marked unticked, in the history
    wait_until(lambda: query(web, "SELECT ticked FROM checklist_ticks WHERE item LIKE 'Lien%'")[0]["ticked"] == 0)
    assert query(web, "SELECT COUNT(*) AS n FROM history WHERE action = 'checklist'")[0]["n"] == 3

    # a new package shows the boxes as they are
    click(web, standin, package_button)
    again = wait_until(lambda: thread_posts(standin, post.result["ts"])[1:])[0].args
    boxes = [b for b in again["blocks"] if b["type"] == "actions" and b["elements"][0]["type"] == "checkboxes"]
    assert [o["text"]["text"] for o in boxes[0]["elements"][0]["initial_options"]] == ["Image 1200×630"]


def buttons_of(blocks):
    return [e for b in blocks if b.get("type") == "actions" for e in b["elements"] if e.get("type") == "button"]


def test_a_long_body_is_cut_to_fit_block_kits_url_limit():
    body = "Résumé : " + "é<&> " * 2000
    url = mailto(OFFICE, "Sujet à accents", body)
    assert len(url) <= URL_MAX
    kept = parse_qs(urlsplit(url).query)["body"][0]
    assert kept.endswith("…") and body.startswith(kept[:-1].rstrip()) and len(kept) > 200
    assert mailto(OFFICE, "S", "court") == f"mailto:{OFFICE}?subject=S&body=court"


def test_per_outlet_texts_max_length_check_on_submit_card_and_calendar(web_with, standin, cli):
    web = web_with(RELAIS_NOW=NOW)
    view = open_modal(web, standin)
    inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert inputs["text_udem-x"]["element"]["max_length"] == 280
    assert inputs["text_udem-facebook"]["element"]["max_length"] == 300
    assert inputs["text_udem-instagram"]["element"]["max_length"] == 2200
    assert "UdeM — X" in inputs["text_udem-x"]["label"]["text"] and "280" in inputs["text_udem-x"]["label"]["text"]
    assert inputs["text_udem-x"]["optional"] is True and len(view["blocks"]) <= 100

    state = values(outlets=("udem-x", "udem-facebook"))
    state["text_udem-x"] = {"value": {"type": "plain_text_input", "value": "x" * 281}}
    response = web.interact(slack.view_submission(view, state))
    assert response.json()["response_action"] == "errors"
    assert "281" in response.json()["errors"]["text_udem-x"] and "280" in response.json()["errors"]["text_udem-x"]
    assert query(web, "SELECT COUNT(*) AS n FROM proposals")[0]["n"] == 0

    long_text = "Venez rencontrer les chiens de zoothérapie à la bibliothèque " * 3
    state["text_udem-x"] = {"value": {"type": "plain_text_input", "value": long_text[:270]}}
    state["text_udem-linkedin"] = {"value": {"type": "plain_text_input", "value": "not chosen: not kept"}}
    response = web.interact(slack.view_submission(view, state))
    assert response.status_code == 200 and not response.text
    post = card(web, standin)
    rows = query(web, "SELECT outlet_slug, outlet_text FROM placements ORDER BY outlet_slug")
    assert rows == [
        {"outlet_slug": "udem-facebook", "outlet_text": ""},
        {"outlet_slug": "udem-x", "outlet_text": long_text[:270].strip()},
    ]
    shown = text_of(post.args["blocks"])
    assert "Texte : « " + long_text[:100] + "…" in shown and long_text[:150] not in shown

    result = cli("calendar", "export", "-o", str(Path(web.env["DATABASE_PATH"]).parent / "cal.ics"))
    assert result.returncode == 0, result.stderr
    ics = (Path(web.env["DATABASE_PATH"]).parent / "cal.ics").read_text(encoding="utf-8").replace("\r\n ", "")
    assert "Texte pour ce canal :" in ics and "zoothérapie" in ics


def test_the_next_free_week_buttons_move_the_proposal_and_its_reminders(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Expo | 2026-12-14 | udem-facebook")
    card(web, standin, 1)
    answer = one_line(web, "Conférence | 2026-12-16 | udem-facebook")
    offered = {e["action_id"]: e["value"] for e in buttons_of(answer["blocks"])}
    assert offered == {
        "proposal_move_free_before": "2:2026-12-09:2026-12-16",
        "proposal_move_free_after": "2:2026-12-23:2026-12-16",
    }
    second = card(web, standin, 2)
    after = button(second.args["blocks"], "proposal_move_free_after")
    assert after["text"]["text"] == "Déplacer au mercredi 23 décembre 2026"
    placement = query(web, "SELECT id, deadline FROM placements WHERE proposal_id = 2")[0]
    assert placement["deadline"] == "2026-12-09"

    click(web, standin, after)
    wait_until(lambda: query(web, "SELECT publish_on FROM proposals WHERE id = 2")[0]["publish_on"] == "2026-12-23")
    assert query(web, "SELECT deadline FROM placements WHERE id = ?", [placement["id"]])[0]["deadline"] == "2026-12-16"
    pending = query(
        web,
        "SELECT key FROM outbox WHERE kind = 'deadline' AND placement_id = ? AND status = 'pending'",
        [placement["id"]],
    )
    assert pending and all(":2026-12-16:" in r["key"] for r in pending)
    cancelled = query(
        web,
        "SELECT key FROM outbox WHERE kind = 'deadline' AND placement_id = ? AND status = 'cancelled'",
        [placement["id"]],
    )
    assert cancelled and all(":2026-12-09:" in r["key"] for r in cancelled)

    # the same button again: the proposal moved since, nothing changes
    click(web, standin, after)
    reply = wait_until(lambda: [c for c in standin.calls("response_url") if "déjà changé de date" in text_of(c.args)])
    assert reply
    assert query(web, "SELECT publish_on FROM proposals WHERE id = 2")[0]["publish_on"] == "2026-12-23"
    history = query(web, "SELECT note, from_value, to_value FROM history WHERE action = 'edited' AND proposal_id = 2")
    assert history == [{"note": "publish_on", "from_value": "2026-12-16", "to_value": "2026-12-23"}]
    assert json.loads(json.dumps(history))  # plain rows


# -- the console ---------------------------------------------------------------------------------------
def test_the_checklist_ticked_in_the_console(cli):
    script = "\n".join(
        [
            "/propose Zooanimation | 2026-12-14 | udem-facebook",
            ":click 5",  # "Préparer la soumission — UdeM — Facebook": the package in the card's thread
            ":click 6",  # tick "Image 1200×630"
            ":click 8",  # tick "Lien vers la page de la bibliothèque"
            ":click 6",  # untick "Image 1200×630"
            ":quit",
            "",
        ]
    )
    result = cli("console", stdin=script, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="", RELAIS_NOW=NOW)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    out = result.stdout
    assert "[5] Préparer la soumission — UdeM — Facebook" in out
    package = out.split(":click 5", 1)[1].split(":click 6", 1)[0]
    assert "Soumission à UdeM — Facebook" in package
    assert "[6] ☐ Image 1200×630" in package and "[8] ☐ Lien vers la page de la bibliothèque" in package
    steps = out.split(":click ")[2:]
    first, second, third = steps[0], steps[1], steps[2]
    assert first.startswith("6\n[6] ☑ Image 1200×630\n(message mis à jour)")
    assert "Liste à fournir : 1/3 fournis" in first
    assert second.startswith("8\n[8] ☑ Lien vers la page de la bibliothèque\n")
    assert "Liste à fournir : 2/3 fournis" in second  # the first box is still ticked: both are sent
    assert third.startswith("6\n[6] ☐ Image 1200×630\n")
    assert "Liste à fournir : 1/3 fournis" in third

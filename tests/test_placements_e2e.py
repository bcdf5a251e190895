"""Plans change, per placement (issue 12), end to end through signed HTTP against the stand-in: withdraw
one outlet (the others go on), undo the last status change (comms team, confirmed), decline with a
reason, the library's own outlets (planned → published, no deadline reminder), a deadline never on a
day off, audiences checked."""

from pathlib import Path

import pytest

from tests import slack
from tests.test_propose_e2e import NOW, button, buttons, card, click, one_line, placement_ids, query, text_of

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parent.parent


def reminders_sent(standin):
    """The deadline reminders posted (in the card's thread, with their "submitted" button)."""
    return [c for c in standin.calls("chat.postMessage") if "reminder_submitted" in text_of(c.args.get("blocks") or [])]


def ticked(cli, at):
    result = cli("tick", "--at", at)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return result


def test_withdraw_one_outlet_the_others_go_on_and_its_reminders_are_never_sent(web_with, standin, cli):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 10 décembre | udem-facebook, udem-x")
    post = card(web, standin)
    ids = placement_ids(web)
    facebook, x = ids["udem-facebook"], ids["udem-x"]
    withdraw = button(post.args["blocks"], "placement_withdraw", f"{facebook}:")
    assert withdraw["value"] == f"{facebook}:planned"
    assert withdraw["confirm"]["confirm"]["text"] == "Oui, retirer"
    assert "les autres canaux continuent" in withdraw["confirm"]["text"]["text"]

    click(web, standin, withdraw, ts=post.result["ts"])
    blocks = standin.wait_for("chat.update")[-1].args["blocks"]
    assert "*UdeM — Facebook* — retiré" in text_of(blocks)
    assert (("placement_submitted", f"{facebook}:withdrawn")) not in buttons(blocks)
    assert ("placement_submitted", f"{x}:planned") in buttons(blocks)  # the other goes on
    statuses = {r["outlet_slug"]: r["status"] for r in query(web, "SELECT outlet_slug, status FROM placements")}
    assert statuses == {"udem-facebook": "withdrawn", "udem-x": "planned"}
    assert query(web, "SELECT status FROM proposals")[0]["status"] == "open"
    pending = query(
        web, "SELECT status, last_error FROM outbox WHERE kind = 'deadline' AND placement_id = ?", [facebook]
    )
    assert pending and all(r["status"] == "cancelled" and "withdrawn" in r["last_error"] for r in pending)
    history = query(web, "SELECT actor, action, from_value, to_value FROM history WHERE placement_id = ?", [facebook])
    assert history == [{"actor": "U0JULIETTE", "action": "status", "from_value": "planned", "to_value": "withdrawn"}]

    # Facebook's deadline day (3 December), then udem-x's heads-up (4 December): only udem-x is reminded
    ticked(cli, "2026-12-03T09:00")
    ticked(cli, "2026-12-04T09:00")
    sent = reminders_sent(standin)
    assert len(sent) == 1 and "UdeM — X" in text_of(sent[0].args) and "Facebook" not in text_of(sent[0].args)

    # a withdrawn outlet cannot be withdrawn again (a stale button)
    click(web, standin, withdraw, ts=post.result["ts"])
    assert "déjà « retiré »" in text_of(standin.wait_for("response_url")[-1].args)


def test_undo_the_last_change_is_for_the_comms_team_and_the_history_keeps_both(web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    one_line(web, "Zooanimation | 10 décembre | udem-facebook", user="U0JULIETTE")
    post = card(web, standin)
    facebook = placement_ids(web)["udem-facebook"]
    assert ("placement_undo", f"{facebook}:planned") not in buttons(post.args["blocks"])  # nothing to undo yet
    click(web, standin, button(post.args["blocks"], "placement_submitted"), user="U0COMMS")
    blocks = standin.wait_for("chat.update")[-1].args["blocks"]
    undo = button(blocks, "placement_undo", f"{facebook}:")
    assert undo["confirm"]["confirm"]["text"] == "Oui, annuler"
    assert "de « soumis » à « planifié »" in undo["confirm"]["text"]["text"]
    assert query(web, "SELECT status FROM outbox WHERE kind = 'deadline' AND status = 'pending'") == []

    click(web, standin, undo, user="U0JULIETTE")  # the owner, outside the comms team
    refusal = standin.wait_for("response_url")[-1]
    assert refusal.args["response_type"] == "ephemeral"
    assert "Seuls les membres de l'équipe des communications" in text_of(refusal.args)
    assert query(web, "SELECT status FROM placements")[0]["status"] == "submitted"

    click(web, standin, undo, user="U0COMMS")
    blocks = standin.wait_for("chat.update", count=2)[-1].args["blocks"]
    assert "*UdeM — Facebook* — planifié" in text_of(blocks)
    assert ("placement_submitted", f"{facebook}:planned") in buttons(blocks)
    assert query(web, "SELECT status FROM placements")[0]["status"] == "planned"
    history = query(web, "SELECT actor, action, from_value, to_value FROM history WHERE placement_id = ?", [facebook])
    assert [(h["actor"], h["action"], h["from_value"], h["to_value"]) for h in history] == [
        ("U0COMMS", "status", "planned", "submitted"),
        ("U0COMMS", "undo", "submitted", "planned"),
    ]
    # planned again: its deadline reminders still ahead (3 December, then the missed notice) are owed again
    due = query(web, "SELECT key FROM outbox WHERE kind = 'deadline' AND status = 'pending' ORDER BY key")
    assert [r["key"] for r in due] == [f"deadline:{facebook}:2026-12-03:due", f"deadline:{facebook}:2026-12-03:missed"]
    # nothing left to undo: the history shows both lines
    shown = one_line(web, "show 1", user="U0COMMS")
    assert "UdeM — Facebook : changement annulé, soumis → planifié" in text_of(shown)
    click(web, standin, undo, user="U0COMMS")  # the old button: stale
    assert "déjà « planifié »" in text_of(standin.wait_for("response_url", count=2)[-1].args)


def test_declined_asks_for_a_confirmation_and_a_reason_shown_on_the_card_and_in_the_history(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 10 décembre | udem-x")
    post = card(web, standin)
    x = placement_ids(web)["udem-x"]
    click(web, standin, button(post.args["blocks"], "placement_submitted"))
    blocks = standin.wait_for("chat.update")[-1].args["blocks"]
    click(web, standin, button(blocks, "placement_declined", f"{x}:"))
    view = standin.wait_for("views.open")[-1].result["view"]
    assert view["callback_id"] == "placement_declined"
    assert query(web, "SELECT status FROM placements")[0]["status"] == "submitted"  # not before it is confirmed
    reason = "Calendrier complet <!channel> en décembre"
    response = web.interact(
        slack.view_submission(view, {"reason": {"value": {"type": "plain_text_input", "value": reason}}})
    )
    assert response.status_code == 200 and response.text == ""
    blocks = standin.wait_for("chat.update", count=2)[-1].args["blocks"]
    assert "*UdeM — X* — refusé" in text_of(blocks)
    assert "Motif : Calendrier complet &lt;!channel&gt; en décembre" in text_of(blocks)
    assert "<!channel>" not in text_of(blocks)
    row = query(web, "SELECT to_value, note FROM history WHERE placement_id = ? ORDER BY id DESC LIMIT 1", [x])[0]
    assert row == {"to_value": "declined", "note": reason}
    shown = text_of(one_line(web, "show 1"))
    assert "UdeM — X : soumis → refusé (Calendrier complet &lt;!channel&gt; en décembre)" in shown


def test_a_library_outlet_goes_from_planned_to_published_with_no_deadline_reminder(web_with, standin, cli):
    web = web_with(RELAIS_NOW=NOW)
    confirmation = text_of(one_line(web, "Zooanimation | 10 décembre | bib-facebook"))
    assert "Bibliothèques — Facebook : à publier le jeudi 10 décembre 2026" in confirmation
    assert "remettre" not in confirmation
    post = card(web, standin)
    bib = placement_ids(web)["bib-facebook"]
    blocks = post.args["blocks"]
    assert "À publier le jeudi 10 décembre 2026" in text_of(blocks) and "remettre" not in text_of(blocks)
    assert {a for a, _v in buttons(blocks)} == {
        "placement_published",
        "placement_withdraw",
        "proposal_edit",
        "proposal_cancel",
    }
    assert query(web, "SELECT key FROM outbox WHERE kind = 'deadline'") == []
    for day in ("2026-12-08", "2026-12-10", "2026-12-11"):
        ticked(cli, f"{day}T09:00")
    assert reminders_sent(standin) == []

    # The 11th, the day after its date, it ended "non publié" (issue 13); "Publié…" is still on its card.
    blocks = standin.calls("chat.update")[-1].args["blocks"]
    web_later = web  # "Publié…" after all, for the day it went out
    click(web_later, standin, button(blocks, "placement_published", f"{bib}:not_published"), ts=post.result["ts"])
    view = standin.wait_for("views.open")[-1].result["view"]
    response = web.interact(
        slack.view_submission(view, {"published_on": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}}})
    )
    assert response.status_code == 200 and response.text == ""
    assert query(web, "SELECT status, published_on FROM placements") == [
        {"status": "published", "published_on": "2026-12-01"}
    ]
    history = query(web, "SELECT from_value, to_value FROM history WHERE placement_id = ?", [bib])
    assert history == [
        {"from_value": "planned", "to_value": "not_published"},
        {"from_value": "not_published", "to_value": "published"},
    ]


def test_lead_days_zero_on_a_saturday_publication_has_its_deadline_the_friday(web_with, standin, tmp_path):
    outlets = tmp_path / "outlets.toml"
    outlets.write_text(
        (ROOT / "config" / "outlets.toml").read_text(encoding="utf-8")
        + '\n[[outlet]]\nslug = "udem-babillard"\nname = "UdeM — Babillard"\nowner = "university"\n'
        'platform = "web"\nlead_days = 0\naudiences = ["students"]\n',
        encoding="utf-8",
    )
    web = web_with(RELAIS_NOW=NOW, OUTLETS_FILE=str(outlets))
    confirmation = text_of(one_line(web, "Zooanimation | 2026-12-12 | udem-babillard"))
    assert "à remettre au plus tard le vendredi 11 décembre 2026" in confirmation
    assert query(web, "SELECT deadline FROM placements") == [{"deadline": "2026-12-11"}]
    assert "vendredi 11 décembre 2026" in text_of(card(web, standin).args["blocks"])


def test_audiences_an_outlet_does_not_reach_are_warned_on_the_card_and_in_the_confirmation(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    body = one_line(web, "Zooanimation | 10 décembre | udem-instagram, udem-x | ponctuel | ÉTUDIANTS, personnel")
    confirmation = text_of(body)
    assert "Proposition n° 1 enregistrée" in confirmation
    assert confirmation.count("Ce canal ne rejoint pas : Personnel.") == 1  # Instagram only: X reaches both
    assert query(web, "SELECT audiences FROM proposals") == [{"audiences": '["students", "staff"]'}]
    blocks = card(web, standin).args["blocks"]
    text = text_of(blocks)
    assert text.count("Ce canal ne rejoint pas : Personnel.") == 1
    assert "Étudiants, Personnel" in text

    refused = text_of(one_line(web, "Zooanimation | 10 décembre | udem-x | | students, martiens"))
    assert "public inconnu : martiens" in refused and "Étudiants (`students`)" in refused
    assert "Grand public (`public`)" in refused
    assert query(web, "SELECT COUNT(*) AS n FROM proposals") == [{"n": 1}]  # nothing stored


def test_graduate_students_as_the_university_writes_it(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    body = one_line(
        web, "Matinées de rédaction | 10 décembre | udem-linkedin, udem-x | | cycles supérieurs, professeurs"
    )
    text = text_of(body)
    assert "Ce canal ne rejoint pas : Étudiants aux cycles supérieurs." in text  # X only: LinkedIn reaches them
    assert text.count("Ce canal ne rejoint pas") == 1
    assert query(web, "SELECT audiences FROM proposals") == [{"audiences": '["graduate-students", "faculty"]'}]
    assert "Étudiants aux cycles supérieurs, Corps professoral" in text_of(card(web, standin).args["blocks"])


def test_audiences_in_english(web_with, standin):
    web = web_with(RELAIS_NOW=NOW, BOT_LANGUAGE="en")
    text = text_of(one_line(web, "Pet therapy | December 10 | udem-instagram | one-off | Students, Étudiants, Staff"))
    assert "This outlet does not reach: Staff." in text
    assert query(web, "SELECT audiences FROM proposals") == [{"audiences": '["students", "staff"]'}]

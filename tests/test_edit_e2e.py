"""Plans change (issue 12): editing a proposal (the card's "Modifier" button, `/propose edit|move|owner`),
its owner, and the "Proposer ce contenu" message shortcut, through signed requests to the Procfile's web
process, Slack played by the stand-in, reminders sent by `python -m bot tick --at`."""

from __future__ import annotations

import copy
import json
import time

import pytest

from tests import slack
from tests.conftest import wait_until
from tests.test_propose_e2e import button, card, click, one_line, query, text_of, values
from tests.test_reminders import publish_now
from tests.test_reminders_support import OWNER, sent_lines

pytestmark = pytest.mark.e2e

NOW = "2026-12-01T10:00"  # Tuesday


def ticked(cli, when: str) -> list[str]:
    result = cli("tick", "--at", when)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    return [key for _kind, key, _channel in sent_lines(result.stdout)]


def open_edit(web, standin, post, user="U0JULIETTE") -> dict:
    before = len(standin.calls("views.open"))
    click(web, standin, button(post.args["blocks"], "proposal_edit"), user=user)
    return standin.wait_for("views.open", count=before + 1)[-1].result["view"]


def submit(web, view, state, user="U0JULIETTE"):
    owner = state.pop("owner", user)
    state = {**state, "owner": {"value": {"type": "users_select", "selected_user": owner}}}
    response = web.interact(slack.view_submission(view, state, user=user))
    assert response.status_code == 200
    return response


def edit_values(**kw):
    owner = kw.pop("owner", None)
    state = values(**kw)
    if owner:
        state["owner"] = owner
    return state


def notes_in_thread(standin, ts):
    return [c for c in standin.calls("chat.postMessage") if c.args.get("thread_ts") == ts]


def test_the_edit_form_is_prefilled_and_a_moved_date_moves_the_reminders(web_with, standin, cli):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 2026-12-14 | udem-facebook")
    post = card(web, standin)
    placement = query(web, "SELECT id, deadline FROM placements")[0]
    assert placement["deadline"] == "2026-12-07"

    view = open_edit(web, standin, post)
    assert view["callback_id"] == "propose_edit" and json.loads(view["private_metadata"])["proposal_id"] == 1
    blocks = {b["block_id"]: b["element"] for b in view["blocks"] if b.get("type") == "input"}
    assert blocks["title"]["initial_value"] == "Zooanimation"
    assert blocks["publish_on"]["initial_date"] == "2026-12-14"
    assert [o["value"] for o in blocks["outlets"]["initial_options"]] == ["udem-facebook"]
    assert blocks["category"]["initial_option"]["value"] == "one-off"
    assert blocks["owner"] == {"type": "users_select", "action_id": "value", "initial_user": "U0JULIETTE"}

    submit(web, view, edit_values(title="Zooanimation", publish_on="2026-12-17", outlets=("udem-facebook",)))
    wait_until(lambda: standin.calls("chat.update"))
    assert query(web, "SELECT deadline, status FROM placements") == [{"deadline": "2026-12-10", "status": "planned"}]
    note = wait_until(lambda: notes_in_thread(standin, post.result["ts"]))[0]
    assert "<@U0JULIETTE> a modifié" in text_of(note.args)
    assert "lundi 14 décembre 2026 → jeudi 17 décembre 2026" in text_of(note.args)
    history = query(web, "SELECT action, from_value, to_value FROM history ORDER BY id")
    assert {"action": "deadline", "from_value": "2026-12-07", "to_value": "2026-12-10"} in history

    pid = placement["id"]
    assert ticked(cli, "2026-12-03T09:00") == []  # the old heads-up is never sent
    assert ticked(cli, "2026-12-07T09:00") == []  # nor the old deadline day
    assert ticked(cli, "2026-12-08T09:00") == [f"deadline:{pid}:2026-12-10:heads_up"]
    assert ticked(cli, "2026-12-10T09:00") == [f"deadline:{pid}:2026-12-10:due"]
    skipped = query(web, "SELECT key, last_error FROM outbox WHERE key LIKE ? AND status = 'cancelled'", ["%12-07%"])
    assert len(skipped) == 3 and all(r["last_error"] == "deadline changed" for r in skipped)


def test_removing_one_outlet_and_adding_another_updates_the_neighbours_cards(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Expo | 2026-12-14 | udem-facebook")
    first = card(web, standin, 1)
    one_line(web, "Conférence | 2026-12-15 | udem-facebook")
    second = card(web, standin, 2)
    assert "n° 1 Expo" in text_of(second.args["blocks"])  # the weekly quota is taken: warned
    wait_until(lambda: [c for c in standin.calls("chat.update") if "n° 2 Conf" in text_of(c.args["blocks"])])
    updates_before = len(standin.calls("chat.update"))

    view = open_edit(web, standin, second)
    submit(web, view, edit_values(title="Conférence", publish_on="2026-12-15", outlets=("udem-x",)))
    updates = standin.wait_for("chat.update", count=updates_before + 2)
    first_updates = [c for c in updates if c.args["ts"] == first.result["ts"]]
    assert first_updates, "the neighbour's card is updated: its quota warning is gone"
    assert "n° 2 Conf" not in text_of(first_updates[-1].args["blocks"])
    rows = query(web, "SELECT outlet_slug, status FROM placements WHERE proposal_id = 2 ORDER BY id")
    assert rows == [
        {"outlet_slug": "udem-facebook", "status": "withdrawn"},
        {"outlet_slug": "udem-x", "status": "planned"},
    ]
    pending = query(web, "SELECT key FROM outbox WHERE status = 'pending' AND kind = 'deadline' AND proposal_id = 2")
    assert pending and all(":udem" not in r["key"] for r in pending)
    facebook = query(web, "SELECT id FROM placements WHERE proposal_id = 2 AND outlet_slug = 'udem-facebook'")[0]["id"]
    assert not query(web, "SELECT key FROM outbox WHERE status = 'pending' AND placement_id = ?", [facebook])
    second_update = [c for c in standin.calls("chat.update") if c.args["ts"] == second.result["ts"]][-1]
    assert "retiré" in text_of(second_update.args["blocks"])

    # adding it back: a new planned placement is the withdrawn one planned again, the neighbour warned again
    view = open_edit(web, standin, second)
    submit(web, view, edit_values(title="Conférence", publish_on="2026-12-15", outlets=("udem-facebook", "udem-x")))
    wait_until(lambda: query(web, "SELECT status FROM placements WHERE id = ?", [facebook])[0]["status"] == "planned")


def test_a_date_too_close_is_refused_with_the_earliest_date_and_nothing_changes(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 2026-12-14 | udem-facebook")
    post = card(web, standin)
    before = query(web, "SELECT * FROM placements"), query(web, "SELECT * FROM proposals")
    answer = one_line(web, "move 1 2026-12-03")
    assert "n'a pas été modifié" in text_of(answer) and "2026" in text_of(answer)
    view = open_edit(web, standin, post)
    response = submit(web, view, edit_values(title="Zooanimation", publish_on="2026-12-03", outlets=("udem-facebook",)))
    assert response.json()["response_action"] == "errors" and "outlets" in response.json()["errors"]
    assert (query(web, "SELECT * FROM placements"), query(web, "SELECT * FROM proposals")) == before


def test_move_and_owner_one_liners_and_who_may_do_what(web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS,U0CHEF")
    one_line(web, "Zooanimation | 2026-12-14 | udem-facebook", user="U0JULIETTE")
    card(web, standin)

    answer = one_line(web, "edit 1", user="U0SOMEONE")
    assert "<@U0JULIETTE>" in text_of(answer) and "<@U0COMMS>, <@U0CHEF>" in text_of(answer)
    answer = one_line(web, "move 1 17 décembre", user="U0SOMEONE")
    assert "Rien n'a été modifié" in text_of(answer)
    answer = one_line(web, "owner 1 <@U0MARC|marc>", user="U0JULIETTE")  # the owner may edit, not hand over
    assert "Seule l'équipe des communications (<@U0COMMS>, <@U0CHEF>)" in text_of(answer)
    assert query(web, "SELECT owner_id, publish_on FROM proposals") == [
        {"owner_id": "U0JULIETTE", "publish_on": "2026-12-14"}
    ]

    answer = one_line(web, "move 1 17 décembre", user="U0JULIETTE")
    assert "modifié" in text_of(answer)
    answer = one_line(web, "owner 1 <@U0MARC|marc>", user="U0COMMS")
    assert "modifié" in text_of(answer)
    answer = one_line(web, "owner 1 <@U0MARC>", user="U0COMMS")
    assert "Rien à changer" in text_of(answer)
    assert query(web, "SELECT owner_id, publish_on FROM proposals") == [
        {"owner_id": "U0MARC", "publish_on": "2026-12-17"}
    ]
    assert "Forme : `/propose edit N`" in text_of(one_line(web, "owner 1 marc", user="U0COMMS"))


def test_a_new_owner_gets_the_stats_messages(web_with, standin, cli, relais):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    placement = publish_now(relais, owner=OWNER)
    answer = one_line(web, "owner 1 <@U0NEW|nouvelle>", user="U0COMMS")
    assert "modifié" in text_of(answer)
    assert ticked(cli, "2026-12-03T09:00") == ["stats:U0NEW:2026-12-03"]
    dms = [c for c in standin.calls("chat.postMessage") if "stats_open" in text_of(c.args.get("blocks") or [])]
    assert dms and str(placement) in text_of(dms[-1].args["blocks"])
    assert all(c.args["channel"] != OWNER for c in dms)


def test_the_message_shortcut_opens_a_prefilled_form(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    payload = copy.deepcopy(slack.template("message-action"))
    payload["team"]["id"] = payload["user"]["team_id"] = "T0001"
    payload["trigger_id"] = f"{time.time_ns()}.4.abc"
    response = web.interact(payload)
    assert response.status_code == 200
    view = standin.wait_for("views.open")[-1].result["view"]
    assert view["callback_id"] == "propose"
    blocks = {b["block_id"]: b["element"] for b in view["blocks"] if b.get("type") == "input"}
    assert blocks["title"]["initial_value"] == "Zooanimation pendant les examens !"
    assert blocks["summary"]["initial_value"].startswith("Les chiens de la Fondation Mira")
    assert "bib.umontreal.ca/zooanimation" in blocks["summary"]["initial_value"]
    assert blocks["link"]["initial_value"] == "https://bib.umontreal.ca/zooanimation"
    assert blocks["owner"]["initial_user"] == "U0789IJKL"

    submit(
        web,
        view,
        edit_values(title="Zooanimation pendant les examens !", outlets=("udem-x",), owner="U0789IJKL"),
        user="U0123ABCD",
    )
    wait_until(lambda: query(web, "SELECT owner_id FROM proposals"))
    assert query(web, "SELECT owner_id FROM proposals") == [{"owner_id": "U0789IJKL"}]


def test_the_edit_form_in_english(web_with, standin):
    web = web_with(RELAIS_NOW=NOW, BOT_LANGUAGE="en")
    one_line(web, "Zoo | 2026-12-14 | udem-facebook")
    post = card(web, standin)
    assert button(post.args["blocks"], "proposal_edit")["text"]["text"] == "Edit"
    view = open_edit(web, standin, post)
    assert view["title"]["text"] == "Edit #1"


def test_the_console_shortcut_on_a_posted_message(cli):
    script = "\n".join(
        [
            "/propose Zooanimation | 2026-12-14 | udem-facebook",
            ":shortcut 1",  # the card: its first line becomes the title
            ":cancel",
            ":shortcut 9",
            ":quit",
            "",
        ]
    )
    result = cli("console", stdin=script, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="", RELAIS_NOW=NOW)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert "── Formulaire : Nouvelle proposition ──" in result.stdout
    assert "[Proposition n° 1 : Zooanimation]" in result.stdout
    assert "Pas de message n° 9 : 1 message publié" in result.stdout

"""/propose end to end: signed requests to the Procfile's web process, Slack's side played by the stand-in,
the SQLite file read directly. The web process's clock starts at RELAIS_NOW."""

import json
import sqlite3

import pytest

from tests import slack
from tests.conftest import wait_until

pytestmark = pytest.mark.e2e

NOW = "2026-12-01T10:00"  # Tuesday


# -- helpers -----------------------------------------------------------------------------------
def query(web, sql, params=()):
    conn = sqlite3.connect(web.env["DATABASE_PATH"])
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def count(web, table):
    return query(web, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]


def text_of(body) -> str:
    return json.dumps(body, ensure_ascii=False)


def buttons(blocks):
    """{(action_id, value): button} of a message's blocks."""
    out = {}
    for block in blocks:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            out[(element["action_id"], element.get("value"))] = element
    return out


def button(blocks, action_id, value_prefix=""):
    for (aid, value), element in buttons(blocks).items():
        if aid == action_id and (value or "").startswith(value_prefix):
            return element
    raise AssertionError(f"no {action_id} button {value_prefix!r} in {text_of(blocks)}")


def click(web, standin, element, *, user="U0JULIETTE", ts="1795000001.000001"):
    payload = slack.block_actions(
        element["action_id"], element.get("value", ""), user=user, message_ts=ts, response_url=standin.response_url()
    )
    response = web.interact(payload)
    assert response.status_code == 200
    return response


def one_line(web, text, user="U0JULIETTE"):
    response = web.slash("/propose", text, user=user)
    assert response.status_code == 200
    return response.json()


def card(web, standin, number=1):
    """The number-th card posted, once Relais has stored its ts (its buttons then update it)."""
    wait_until(lambda: cards_posted(standin)[number - 1 :])
    post = cards_posted(standin)[number - 1]
    wait_until(lambda: query(web, "SELECT id FROM proposals WHERE card_ts = ?", [post.result["ts"]]))
    return post


def cards_posted(standin):
    """The proposal cards among the messages posted (other features may post too)."""
    return [c for c in standin.calls("chat.postMessage") if "proposal_cancel" in text_of(c.args.get("blocks") or [])]


def placement_ids(web, proposal_id=1):
    return {
        r["outlet_slug"]: r["id"]
        for r in query(web, "SELECT id, outlet_slug FROM placements WHERE proposal_id = ?", [proposal_id])
    }


def values(
    title="Zooanimation aux examens",
    publish_on="2026-12-10",
    outlets=("udem-facebook",),
    category=None,
    link=None,
    summary=None,
    notes=None,
    audiences=(),
):
    def option(value):
        return {"text": {"type": "plain_text", "text": value}, "value": value}

    return {
        "title": {"value": {"type": "plain_text_input", "value": title}},
        "summary": {"value": {"type": "plain_text_input", "value": summary}},
        "category": {"value": {"type": "static_select", "selected_option": option(category) if category else None}},
        "audiences": {"value": {"type": "multi_static_select", "selected_options": [option(a) for a in audiences]}},
        "publish_on": {"value": {"type": "datepicker", "selected_date": publish_on}},
        "outlets": {"value": {"type": "multi_static_select", "selected_options": [option(o) for o in outlets]}},
        "link": {"value": {"type": "plain_text_input", "value": link}},
        "notes": {"value": {"type": "plain_text_input", "value": notes}},
    }


def open_modal(web, standin):
    response = web.slash("/propose", "", trigger_id="13345224609.738474920.propose")
    assert response.status_code == 200 and response.text == ""  # an empty ack, then views.open
    call = standin.wait_for("views.open")[-1]
    assert call.args["trigger_id"] == "13345224609.738474920.propose"
    return call.result["view"]


# -- the modal ---------------------------------------------------------------------------------
def test_propose_alone_opens_the_form(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    view = open_modal(web, standin)
    assert view["callback_id"] == "propose"
    blocks = {b["block_id"]: b for b in view["blocks"]}
    assert set(blocks) >= {"title", "summary", "category", "audiences", "publish_on", "outlets", "link", "notes"}
    assert blocks["publish_on"]["element"]["type"] == "datepicker"
    assert blocks["title"]["element"]["max_length"] == 150
    slugs = [o["value"] for o in blocks["outlets"]["element"]["options"]]
    assert "udem-facebook" in slugs and "bib-x" in slugs
    assert [o["value"] for o in blocks["category"]["element"]["options"]] == ["cyclic", "one-off", "collections"]
    assert json.loads(view["private_metadata"]) == {"channel": "C0COMMS"}


def test_a_valid_form_is_stored_and_its_card_posted(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    view = open_modal(web, standin)
    view = {**view, "private_metadata": json.dumps({"channel": "C0COMMS", "cycle_key": "zooanimation"})}
    payload = slack.view_submission(
        view,
        values(
            outlets=("udem-facebook", "bib-facebook"),
            category="cyclic",
            audiences=("students",),
            link="https://bib.umontreal.ca/zoo",
            summary="Des chiens",
            notes="Photo de Biscuit",
        ),
    )
    response = web.interact(payload)
    assert response.status_code == 200 and response.text == ""  # closes the form
    post = card(web, standin)
    assert post.args["channel"] == "C0COMMS"
    row = query(web, "SELECT * FROM proposals")[0]
    assert (row["title"], row["category"], row["publish_on"], row["owner_id"], row["cycle_key"]) == (
        "Zooanimation aux examens",
        "cyclic",
        "2026-12-10",
        "U0JULIETTE",
        "zooanimation",
    )
    assert json.loads(row["audiences"]) == ["students"] and row["link"] == "https://bib.umontreal.ca/zoo"
    text = text_of(post.args["blocks"])
    assert "Zooanimation aux examens" in text and "Contenu cyclique" in text and "jeudi 10 décembre 2026" in text
    assert "jeudi 3 décembre 2026 (dans 2 jours ouvrables)" in text
    assert "Image 1200×630" in text  # the checklist
    # the card's channel and ts are stored when it is sent
    stored = wait_until(lambda: query(web, "SELECT card_channel, card_ts FROM proposals WHERE card_ts IS NOT NULL"))
    assert stored[0] == {"card_channel": "C0COMMS", "card_ts": post.result["ts"]}
    # and the person who typed /propose is told, where they typed it
    confirmation = standin.wait_for("chat.postEphemeral")[-1]
    assert confirmation.args["user"] == "U0JULIETTE" and "Proposition n° 1 enregistrée" in text_of(confirmation.args)


def test_a_faulty_form_is_answered_on_the_faulty_fields_and_nothing_is_stored(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    view = open_modal(web, standin)
    cases = [
        (values(title="   "), {"title": "le titre est vide"}),
        (values(publish_on="2026-11-30"), {"publish_on": "lundi 30 novembre 2026"}),
        (values(outlets=()), {"outlets": "au moins un canal"}),
        (
            values(publish_on="2026-12-04"),
            {"outlets": "UdeM — Facebook : l'échéance (vendredi 27 novembre 2026) est dépassée de 2 jours ouvrables"},
        ),
        (values(link="javascript:alert(1)"), {"link": "n'est pas une adresse"}),
        (values(title="", outlets=()), {"title": "vide", "outlets": "canal"}),
    ]
    for state, expected in cases:
        response = web.interact(slack.view_submission(view, state))
        body = response.json()
        assert body["response_action"] == "errors", body
        assert set(body["errors"]) == set(expected), body
        for block, fragment in expected.items():
            assert fragment in body["errors"][block], body
    passed = web.interact(slack.view_submission(view, values(publish_on="2026-12-04"))).json()["errors"]["outlets"]
    assert "mardi 8 décembre 2026" in passed  # the earliest date that works for that outlet
    assert count(web, "proposals") == 0 and count(web, "placements") == 0
    assert cards_posted(standin) == []


def test_each_outlets_deadline_is_said_on_its_own_line(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    view = open_modal(web, standin)
    state = values(publish_on="2026-12-04", outlets=("udem-facebook", "udem-instagram", "udem-x"))
    errors = web.interact(slack.view_submission(view, state)).json()["errors"]
    lines = errors["outlets"].split("\n")
    assert [line.split(" : ")[0] for line in lines] == ["• UdeM — Facebook", "• UdeM — Instagram (publication)"]
    assert all("est dépassée" in line for line in lines)  # UdeM — X (2 business days) is still on time
    one = web.interact(slack.view_submission(view, values(publish_on="2026-12-04"))).json()["errors"]["outlets"]
    assert "\n" not in one and not one.startswith("•")  # a single problem is a sentence, no bullet
    assert count(web, "proposals") == 0


# -- the one-line form ------------------------------------------------------------------------------
def test_one_line_registers_and_posts_the_card(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    body = one_line(web, "Zooanimation aux examens | 10 décembre | udem-facebook, udem-x | cyclic")
    assert body["response_type"] == "ephemeral"
    text = text_of(body)
    assert "Proposition n° 1 enregistrée" in text and "<#C0COMMS>" in text
    assert "UdeM — Facebook : à remettre au plus tard le jeudi 3 décembre 2026 (dans 2 jours ouvrables)" in text
    assert "UdeM — X : à remettre au plus tard le mardi 8 décembre 2026" in text
    post = card(web, standin)
    assert "Zooanimation aux examens" in text_of(post.args["blocks"])
    assert [r["outlet_slug"] for r in query(web, "SELECT outlet_slug FROM placements ORDER BY id")] == [
        "udem-facebook",
        "udem-x",
    ]
    assert query(web, "SELECT category FROM proposals")[0]["category"] == "cyclic"


@pytest.mark.parametrize(
    "line, fragments",
    [
        ("Zooanimation | 10 décembre | udem-tiktok", ["canal inconnu : udem-tiktok", "udem-facebook, udem-instagram"]),
        ("Zooanimation | bientôt | udem-facebook", ["« bientôt » n'est pas une date"]),
        ("Zooanimation | 2026-11-30 | udem-facebook", ["lundi 30 novembre 2026", "est passée"]),
        ("  | 10 décembre | udem-facebook", ["le titre est vide"]),
        ("x" * 151 + " | 10 décembre | udem-facebook", ["151 caractères ; 150 au plus"]),
        (
            "Zooanimation | 4 décembre | udem-facebook, bib-x",
            [
                "UdeM — Facebook : l'échéance (vendredi 27 novembre 2026) est dépassée de 2 jours ouvrables",
                "ce canal demande 5 jours ouvrables",
                "mardi 8 décembre 2026",
            ],
        ),
        ("Zooanimation | 10 décembre | udem-facebook | potins", ["catégorie inconnue « potins »", "cyclic, one-off"]),
        ("Zooanimation | 10 décembre", ["il manque les canaux", "/propose Zooanimation | 10 décembre | CANAL"]),
    ],
)
def test_one_line_refusals_say_what_is_wrong_and_store_nothing(web_with, standin, line, fragments):
    web = web_with(RELAIS_NOW=NOW)
    body = one_line(web, line)
    assert body["response_type"] == "ephemeral"
    text = text_of(body)
    assert "Proposition non enregistrée" in text
    for fragment in fragments:
        assert fragment in text, text
    assert "/propose TITRE | DATE | CANAL" in text  # the right form
    assert count(web, "proposals") == 0 and count(web, "placements") == 0
    assert count(web, "outbox WHERE kind LIKE 'card%' OR proposal_id IS NOT NULL") == 0
    assert cards_posted(standin) == []


def test_what_the_user_typed_is_escaped_everywhere(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    evil = "<!channel> Réouverture <https://evil.example|cliquez> & <@U0BOSS>"
    body = one_line(web, f"{evil} | 10 décembre | udem-facebook")
    post = card(web, standin)
    shown = [
        text_of(body),
        text_of(post.args),
        text_of(web.slash("/propose", "list").json()),
        text_of(web.slash("/propose", "show 1").json()),
    ]
    for text in shown:
        assert "<!channel>" not in text and "<https://evil" not in text and "<@U0BOSS>" not in text
        assert "&lt;!channel&gt; Réouverture &lt;https://evil.example|cliquez&gt; &amp; &lt;@U0BOSS&gt;" in text
    assert query(web, "SELECT title FROM proposals")[0]["title"] == evil  # stored as typed

    # the same through the form
    view = open_modal(web, standin)
    assert web.interact(slack.view_submission(view, values(title=evil, summary="<!here>"))).text == ""
    text = text_of(card(web, standin, 2).args)
    assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
    assert "&lt;!here&gt;" in text


# -- the card and its buttons -------------------------------------------------------------------------
def test_every_button_updates_the_same_card_and_writes_history(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 10 décembre | udem-facebook, udem-x")
    post = card(web, standin)
    ts = post.result["ts"]
    ids = placement_ids(web)
    facebook, x = ids["udem-facebook"], ids["udem-x"]

    steps = [
        (f"{facebook}:", "placement_submitted", "soumis"),
        (f"{facebook}:", "placement_accepted", "accepté"),
        (f"{x}:", "placement_submitted", "soumis"),
    ]
    blocks = post.args["blocks"]
    for number, (value, action, shown) in enumerate(steps, 1):
        click(web, standin, button(blocks, action, value), ts=ts)
        updates = standin.wait_for("chat.update", count=number)
        assert len(updates) == number, f"no chat.update after {action}"
        assert updates[-1].args["ts"] == ts and updates[-1].args["channel"] == "C0COMMS"
        blocks = updates[-1].args["blocks"]
        assert shown in text_of(blocks)

    # declined: a small form confirms it, with an optional reason
    click(web, standin, button(blocks, "placement_declined", f"{x}:"), ts=ts)
    view = standin.wait_for("views.open")[-1].result["view"]
    assert view["callback_id"] == "placement_declined"
    response = web.interact(
        slack.view_submission(view, {"reason": {"value": {"type": "plain_text_input", "value": None}}})
    )
    assert response.status_code == 200 and response.text == ""
    blocks = standin.wait_for("chat.update", count=4)[-1].args["blocks"]
    assert "refusé" in text_of(blocks)

    # published: a small form for the date and the address
    click(web, standin, button(blocks, "placement_published", f"{facebook}:"), ts=ts)
    opened = standin.wait_for("views.open", count=2)[-1]
    view = opened.result["view"]
    assert view["callback_id"] == "placement_published"
    response = web.interact(
        slack.view_submission(
            view,
            {
                "published_on": {"value": {"type": "datepicker", "selected_date": "2026-12-01"}},
                "url": {"value": {"type": "plain_text_input", "value": "https://facebook.com/udem/posts/42"}},
            },
        )
    )
    assert response.status_code == 200 and response.text == ""
    updates = standin.wait_for("chat.update", count=5)
    assert len(updates) == 5
    blocks = updates[-1].args["blocks"]
    assert "Publié le mardi 1er décembre 2026" in text_of(blocks) and "https://facebook.com/udem/posts/42" in text_of(
        blocks
    )

    # Published and declined: every placement has ended, the proposal is closed (issue 13): its card keeps
    # its final state without buttons.
    assert "Proposition terminée" in text_of(blocks) and buttons(blocks) == {}

    # cancel, confirmed first (the button of the card as it was before it closed)
    cancel = button(updates[-2].args["blocks"], "proposal_cancel")
    assert cancel["confirm"]["confirm"]["text"] == "Oui, annuler"
    click(web, standin, cancel, ts=ts)
    updates = standin.wait_for("chat.update", count=6)
    assert len(updates) == 6
    assert "Proposition annulée" in text_of(updates[-1].args["blocks"])
    assert "placement_" not in text_of(updates[-1].args["blocks"])

    history = query(web, "SELECT actor, action, from_value, to_value, placement_id FROM history ORDER BY id")
    assert [(h["action"], h["from_value"], h["to_value"]) for h in history] == [
        ("created", None, "open"),
        ("status", "planned", "submitted"),
        ("status", "submitted", "accepted"),
        ("status", "planned", "submitted"),
        ("status", "submitted", "declined"),
        ("status", "accepted", "published"),
        ("status", "declined", "cancelled"),  # what was not published yet is cancelled with the proposal
        ("cancelled", "open", "cancelled"),
    ]
    assert {h["actor"] for h in history} == {"U0JULIETTE"}
    rows = {r["outlet_slug"]: r for r in query(web, "SELECT * FROM placements")}
    assert rows["udem-facebook"]["status"] == "published" and rows["udem-x"]["status"] == "cancelled"
    assert rows["udem-facebook"]["published_url"] == "https://facebook.com/udem/posts/42"
    assert query(web, "SELECT status FROM proposals")[0]["status"] == "cancelled"  # nothing deleted
    assert cards_posted(standin) == [post]  # always the same card


def test_roles_status_changes_are_for_the_comms_team_cancel_for_the_owner_too(web_with, standin):
    web = web_with(RELAIS_NOW=NOW, COMMS_TEAM="U0COMMS")
    one_line(web, "Zooanimation | 10 décembre | udem-facebook", user="U0JULIETTE")
    post = card(web, standin)
    blocks = post.args["blocks"]
    before = query(web, "SELECT id, status FROM placements")

    click(web, standin, button(blocks, "placement_submitted"), user="U0JULIETTE")
    refusal = standin.wait_for("response_url")[-1]
    assert refusal.args["response_type"] == "ephemeral" and refusal.args.get("replace_original") is False
    assert "Seuls les membres de l'équipe des communications" in text_of(refusal.args)
    assert "Adressez-vous à l'équipe des communications : <@U0COMMS>." in text_of(refusal.args)
    click(web, standin, button(blocks, "proposal_cancel"), user="U0SOMEONE")
    refusal = standin.wait_for("response_url", count=2)[-1]
    assert "Seule la personne qui a proposé" in text_of(refusal.args)
    assert query(web, "SELECT id, status FROM placements") == before
    assert count(web, "history") == 1 and standin.calls("chat.update") == []

    click(web, standin, button(blocks, "placement_submitted"), user="U0COMMS")
    assert len(standin.wait_for("chat.update", count=1)) == 1
    click(web, standin, button(blocks, "proposal_cancel"), user="U0JULIETTE")  # the owner may cancel
    assert len(standin.wait_for("chat.update", count=2)) == 2
    assert query(web, "SELECT status FROM proposals")[0]["status"] == "cancelled"
    assert [(h["actor"], h["to_value"]) for h in query(web, "SELECT actor, to_value FROM history ORDER BY id")] == [
        ("U0JULIETTE", "open"),
        ("U0COMMS", "submitted"),
        ("U0JULIETTE", "cancelled"),
        ("U0JULIETTE", "cancelled"),
    ]


def test_invalid_stale_and_cancelled_buttons_are_refused(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 10 décembre | udem-facebook")
    blocks = card(web, standin).args["blocks"]
    submitted = button(blocks, "placement_submitted")
    placement = placement_ids(web)["udem-facebook"]

    # accepted on a planned placement (a forged or very old button)
    click(web, standin, {"action_id": "placement_accepted", "value": f"{placement}:planned"})
    refusal = standin.wait_for("response_url")[-1]
    assert "ne peut pas passer à « accepté »" in text_of(refusal.args)

    click(web, standin, submitted)
    standin.wait_for("chat.update", count=1)
    click(web, standin, submitted)  # the same button again: stale
    refusal = standin.wait_for("response_url", count=2)[-1]
    assert "Ce bouton n'est plus à jour" in text_of(refusal.args) and "déjà « soumis »" in text_of(refusal.args)

    click(web, standin, button(blocks, "proposal_cancel"))
    standin.wait_for("chat.update", count=2)
    click(web, standin, {"action_id": "placement_accepted", "value": f"{placement}:submitted"})
    refusal = standin.wait_for("response_url", count=3)[-1]
    assert "est annulée" in text_of(refusal.args)
    click(web, standin, button(blocks, "proposal_cancel"))
    refusal = standin.wait_for("response_url", count=4)[-1]
    assert "déjà annulée" in text_of(refusal.args)
    assert query(web, "SELECT status FROM placements")[0]["status"] == "cancelled"
    assert [h["to_value"] for h in query(web, "SELECT to_value FROM history ORDER BY id")] == [
        "open",
        "submitted",
        "cancelled",
        "cancelled",
    ]
    assert len(standin.calls("chat.update")) == 2


def test_published_form_that_cannot_open_says_why(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 10 décembre | udem-facebook")
    blocks = card(web, standin).args["blocks"]
    for number, action in enumerate(("placement_submitted", "placement_accepted"), 1):
        click(web, standin, button(blocks, action))
        blocks = standin.wait_for("chat.update", count=number)[-1].args["blocks"]
    before = query(web, "SELECT status, published_on FROM placements")
    assert before == [{"status": "accepted", "published_on": None}]

    standin.fail("views.open", error="expired_trigger_id")  # Slack refuses the small form of "Publié…"
    click(web, standin, button(blocks, "placement_published"))
    told = standin.wait_for("response_url")[-1]
    assert len(standin.calls("views.open")) == 1
    assert told.args["response_type"] == "ephemeral" and told.args.get("replace_original") is False
    assert "Le formulaire n'a pas pu s'ouvrir (expired_trigger_id)" in text_of(told.args)  # why, and what to do
    assert "Un problème inattendu" not in text_of([c.args for c in standin.calls("response_url")])
    assert query(web, "SELECT status, published_on FROM placements") == before
    assert len(standin.calls("chat.update")) == 2


# -- business days ---------------------------------------------------------------------------------
def test_a_deadline_across_the_fete_nationale(web_with, standin):
    web = web_with(RELAIS_NOW="2027-06-14T10:00")
    body = one_line(web, "Fête de la lecture | 2027-06-28 | udem-facebook")
    assert "vendredi 18 juin 2027" in text_of(body)  # Thursday 24 June is not a business day
    assert query(web, "SELECT deadline FROM placements")[0]["deadline"] == "2027-06-18"
    assert "vendredi 18 juin 2027 (dans 4 jours ouvrables)" in text_of(card(web, standin).args["blocks"])


def test_a_deadline_across_the_winter_closure(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    body = one_line(web, "Rentrée d'hiver | 8 janvier | udem-nouvelles")
    assert "mercredi 16 décembre 2026" in text_of(body)
    assert query(web, "SELECT deadline FROM placements")[0]["deadline"] == "2026-12-16"
    assert "mercredi 16 décembre 2026" in text_of(card(web, standin).args["blocks"])


def test_a_deadline_lost_in_the_winter_closure_is_refused_with_the_earliest_date(web_with, standin):
    web = web_with(RELAIS_NOW="2026-12-22T10:00")
    body = one_line(web, "Rentrée | 2027-01-06 | udem-facebook")
    text = text_of(body)
    assert "dépassée de 1 jour ouvrable" in text and "jeudi 7 janvier 2027" in text
    assert count(web, "proposals") == 0


def test_a_weekly_quota_clash_is_flagged_on_the_card(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Horaires prolongés | 2026-12-09 | udem-facebook")
    card(web, standin, 1)
    one_line(web, "Zooanimation | 2026-12-11 | udem-facebook, udem-x")
    text = text_of(card(web, standin, 2).args["blocks"])
    assert (
        "La semaine du lundi 7 décembre 2026 est déjà complète sur ce canal (au plus 1 par semaine pour les bibliothèques) : n° 1 Horaires prolongés"
        in text
    )
    assert text.count("par semaine") == 1  # udem-x takes 3 a week: no warning there
    assert "par semaine" not in text_of(card(web, standin, 1).args["blocks"])
    first = standin.wait_for("chat.update")[-1]  # the first card learns of the clash too
    assert first.args["ts"] == card(web, standin, 1).result["ts"]
    assert "n° 2 Zooanimation" in text_of(first.args["blocks"])


def test_tick_refreshes_the_days_left_on_the_cards(web_with, standin, cli):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Zooanimation | 10 décembre | udem-facebook")
    ts = card(web, standin).result["ts"]
    result = cli("tick", "--at", "2026-12-02T09:00")
    assert result.returncode == 0, result.stderr
    updates = [c for c in standin.calls("chat.update") if c.args["ts"] == ts]
    assert updates and "jeudi 3 décembre 2026 (dans 1 jour ouvrable)" in text_of(updates[-1].args["blocks"])


# -- list, show, outlets, help ----------------------------------------------------------------------
def test_list_show_outlets_and_help(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    assert "Aucune proposition en cours" in text_of(web.slash("/propose", "list").json())
    one_line(web, "Plus tard | 2026-12-18 | udem-facebook")
    one_line(web, "Bientôt | 2026-12-10 | bib-x")
    wait_until(lambda: cards_posted(standin)[1:])
    listed = text_of(web.slash("/propose", "list").json())
    assert listed.index("Bientôt") < listed.index("Plus tard")  # soonest first
    assert "bib-x" not in listed and "Bibliothèques — X : planifié" in listed

    later = next(c for c in cards_posted(standin) if "Plus tard" in text_of(c.args["blocks"]))
    wait_until(lambda: query(web, "SELECT id FROM proposals WHERE card_ts = ?", [later.result["ts"]]))
    click(web, standin, button(later.args["blocks"], "placement_submitted"))
    standin.wait_for("chat.update")
    shown = web.slash("/propose", "show #1").json()
    text = text_of(shown)
    assert shown["response_type"] == "ephemeral"
    assert "Plus tard" in text and "Historique" in text and "proposition créée" in text
    assert "UdeM — Facebook : planifié → soumis" in text and "<@U0JULIETTE>" in text
    assert "placement_submitted" not in text  # read-only
    assert "pas de proposition n° 99" in text_of(web.slash("/propose", "show 99").json())
    assert "/propose show 12" in text_of(web.slash("/propose", "show").json())

    outlets = text_of(web.slash("/propose", "outlets").json())
    assert "`udem-facebook`" in outlets and "5 jours ouvrables avant la publication" in outlets
    assert "Image 1200×630" in outlets and "sans limite" in outlets
    assert "vendredi prochain" in text_of(web.slash("/propose", "help").json())
    # a line that is no subcommand is a title: what is missing, and the line completed with what was typed
    typo = text_of(web.slash("/propose", "lsit").json())
    assert (
        "il manque la date de publication et les canaux" in typo and "`/propose lsit | DATE | CANAL[, CANAL…]`" in typo
    )
    alone = text_of(web.slash("/propose", "Vernissage").json())
    assert "Complétez la ligne : `/propose Vernissage | DATE | CANAL[, CANAL…]`" in alone
    assert "Je ne connais pas" not in alone
    no_outlets = text_of(web.slash("/propose", "Vernissage | 10 décembre").json())
    assert (
        "il manque les canaux. Complétez la ligne : `/propose Vernissage | 10 décembre | CANAL[, CANAL…]`" in no_outlets
    )
    no_date = text_of(web.slash("/propose", "Vernissage | udem-x").json())
    assert "il manque la date de publication. Complétez la ligne : `/propose Vernissage | DATE | udem-x`" in no_date


def test_english_team_french_dates_still_understood(web_with, standin):
    web = web_with(RELAIS_NOW=NOW, BOT_LANGUAGE="en")
    body = one_line(web, "Pet therapy | 10 décembre | udem-facebook")
    text = text_of(body)
    assert "Proposal #1 registered" in text and "Thursday, December 3, 2026 (in 2 business days)" in text
    assert "Submit by Thursday, December 3, 2026" in text_of(card(web, standin).args["blocks"])
    refused = text_of(one_line(web, "Pet therapy | next friday | udem-facebook"))
    assert "passed 2 business days ago" in refused and "Tuesday, December 8, 2026" in refused


# -- the console ---------------------------------------------------------------------------------------
def test_the_whole_flow_in_the_console(cli):
    script = "\n".join(
        [
            "/propose",  # the form, as prompts
            "Zooanimation aux examens",
            "",
            "1",
            "",  # the cyclic content: none
            "1",
            "10 décembre",
            "1,9",
            "https://bib.umontreal.ca/zoo",
            "",
            *[""] * 5,  # the texts for the outlets declaring max_chars (Facebook, Instagram, X, LinkedIn, Bib. X)
            "",  # the owner: the person proposing
            ":click 1",  # UdeM — Facebook: submitted ([2] withdraws it, [3] [4] are Bibliothèques — X's, [5] edits,
            # [6] cancels, [7] prepares the submission)
            "1",  # the checklist is incomplete: "Soumis quand même"
            ":click 8",  # then accepted ([9] declined, [10] withdraw, [11] undo)
            ":click 16",  # then published: a small form
            "2026-12-01",
            "https://facebook.com/udem/posts/1",
            "/propose show 1",
            ":quit",
            "",
        ]
    )
    result = cli("console", stdin=script, SLACK_BOT_TOKEN="", SLACK_SIGNING_SECRET="", RELAIS_NOW=NOW)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    assert "── Formulaire : Nouvelle proposition ──" in out
    assert "Proposition n° 1 — Zooanimation aux examens" in out
    assert "[1] Soumis" in out and "[7] Préparer la soumission — UdeM — Facebook" in out
    assert "── Liste incomplète ──" in out and "Il manque encore pour UdeM — Facebook : Image 1200×630" in out
    assert out.count("(message mis à jour)") == 3
    assert "── Formulaire : Publication parue ──" in out
    assert "Publié le mardi 1er décembre 2026" in out
    assert "UdeM — Facebook : accepté → publié" in out


def test_the_confirmation_already_mentions_a_close_deadline_and_a_quota_clash(web_with, standin):
    web = web_with(RELAIS_NOW=NOW)
    one_line(web, "Horaires prolongés | 2026-12-09 | udem-facebook")
    text = text_of(one_line(web, "Zooanimation | 2026-12-08 | udem-facebook"))
    assert "Échéance proche : mardi 1er décembre 2026" in text
    assert "n° 1 Horaires prolongés" in text

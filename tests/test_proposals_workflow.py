"""bot.proposals.workflow on a real database: creation, status changes, cancellation, the card and its updates.

The clock of the `relais` fixture is frozen at Tuesday 2026-12-01 09:00 (Montréal).
"""

import json
from dataclasses import replace
from datetime import date

import pytest

from bot import outbox as sender
from bot.proposals.card import card_blocks, card_state
from bot.proposals.outlets import active
from bot.proposals.rules import Draft, check
from bot.proposals.views import say
from bot.proposals.workflow import (
    cancel_proposal,
    change_status,
    clashes_for,
    create_proposal,
)
from bot.workdays import for_relais
from storage import outbox
from storage import proposals as store


def propose(relais, owner="U0JULIETTE", **kw):
    base = dict(title="Zooanimation", publish_on=date(2026, 12, 10), outlets=("udem-facebook", "bib-facebook"))
    draft = Draft(**{**base, **kw})
    outlets = {o.slug: o for o in active(relais.db)}
    checked = check(
        draft,
        outlets,
        for_relais(relais),
        relais.clock.today(),
        clashes_for(relais.db, draft.outlets, draft.publish_on),
    )
    assert checked.ok, checked.problems
    proposal_id, keys = create_proposal(relais, draft, checked, owner=owner)
    return proposal_id, keys


def placement_id(relais, proposal_id, slug):
    return store.placement_by_outlet(relais.db, proposal_id, slug)["id"]


def counts(relais):
    db = relais.db
    return {
        t: db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("proposals", "placements", "history", "outbox")
    } | {"statuses": list(db.execute("SELECT id, status FROM placements ORDER BY id"))}


def test_creating_stores_the_proposal_its_placements_history_and_the_card_owed(relais):
    proposal_id, keys = propose(relais, cycle_key="zooanimation")
    proposal = store.get(relais.db, proposal_id)
    assert proposal["cycle_key"] == "zooanimation" and proposal["owner_id"] == "U0JULIETTE"
    placements = {p["outlet_slug"]: p for p in store.placements_of(relais.db, proposal_id)}
    assert placements["udem-facebook"]["deadline"] == "2026-12-03"
    assert placements["bib-facebook"]["deadline"] == "2026-12-10"
    assert {p["status"] for p in placements.values()} == {"planned"}
    assert [h["action"] for h in store.history(relais.db, proposal_id)] == ["created"]
    row = outbox.get(relais.db, keys[0])
    assert row["kind"] == "card" and row["status"] == "pending" and row["target"] == "C0COMMS"


def test_the_card_is_posted_and_its_ts_stored(relais, standin):
    proposal_id, keys = propose(relais)
    sender.deliver(relais, keys=keys)
    post = standin.calls("chat.postMessage")[-1]
    assert post.args["channel"] == "C0COMMS"
    proposal = store.get(relais.db, proposal_id)
    assert proposal["card_channel"] == "C0COMMS" and proposal["card_ts"] == post.result["ts"]
    text = json.dumps(post.args["blocks"], ensure_ascii=False)
    assert "Zooanimation" in text and "<@U0JULIETTE>" in text
    assert "jeudi 3 décembre 2026" in text and "dans 2 jours ouvrables" in text
    assert "placement_submitted" in text and "proposal_cancel" in text


def test_a_status_change_writes_history_and_updates_the_same_card(relais, standin):
    proposal_id, keys = propose(relais)
    sender.deliver(relais, keys=keys)
    ts = store.get(relais.db, proposal_id)["card_ts"]
    pid = placement_id(relais, proposal_id, "udem-facebook")

    outcome = change_status(
        relais, placement_id=pid, to="submitted", actor="U0COMMS", expected="planned", deliver=False
    )
    assert outcome.ok and outcome.old == "planned" and outcome.new == "submitted"
    sender.deliver(relais, keys=outcome.keys)
    update = standin.calls("chat.update")[-1]
    assert update.args["ts"] == ts and update.args["channel"] == "C0COMMS"
    assert "soumis" in json.dumps(update.args["blocks"], ensure_ascii=False)
    last = store.history(relais.db, proposal_id)[-1]
    assert (last["actor"], last["action"], last["from_value"], last["to_value"]) == (
        "U0COMMS",
        "status",
        "planned",
        "submitted",
    )
    assert last["at"] == "2026-12-01T14:00:00Z"


def test_the_whole_way_to_published(relais):
    proposal_id, _ = propose(relais)
    pid = placement_id(relais, proposal_id, "udem-facebook")
    for to in ("submitted", "accepted"):
        assert change_status(relais, placement_id=pid, to=to, actor="U0COMMS", deliver=False).ok
    outcome = change_status(
        relais,
        placement_id=pid,
        to="published",
        actor="U0COMMS",
        deliver=False,
        published_on=date(2026, 12, 1),
        url="https://facebook.com/udem/posts/1",
    )
    assert outcome.ok
    row = store.placement(relais.db, pid)
    assert row["status"] == "published" and row["published_on"] == "2026-12-01"
    assert row["published_url"] == "https://facebook.com/udem/posts/1"
    assert [h["to_value"] for h in store.history(relais.db, proposal_id)][1:] == ["submitted", "accepted", "published"]


def test_a_library_outlet_may_be_published_directly(relais):
    proposal_id, _ = propose(relais)
    pid = placement_id(relais, proposal_id, "bib-facebook")
    assert change_status(
        relais, placement_id=pid, to="published", actor="U0COMMS", deliver=False, published_on=date(2026, 12, 1)
    ).ok


@pytest.mark.parametrize(
    "setup, to, kwargs, key",
    [
        ([], "accepted", {}, "propose.refused.transition"),
        ([], "published", {"published_on": date(2026, 12, 1)}, "propose.refused.transition"),
        (["submitted"], "submitted", {}, "propose.refused.transition"),
        (["submitted"], "accepted", {"expected": "planned"}, "propose.refused.stale"),
        (["submitted", "declined"], "published", {"published_on": date(2026, 12, 1)}, "propose.refused.transition"),
        (["submitted", "accepted"], "published", {}, "propose.refused.published_date"),
        (
            ["submitted", "accepted"],
            "published",
            {"published_on": date(2026, 12, 2)},
            "propose.refused.published_future",
        ),
        (
            ["submitted", "accepted"],
            "published",
            {"published_on": date(2026, 12, 1), "url": "pas une adresse"},
            "propose.problem.link",
        ),
    ],
)
def test_invalid_changes_are_refused_and_change_nothing(relais, setup, to, kwargs, key):
    proposal_id, _ = propose(relais)
    pid = placement_id(relais, proposal_id, "udem-facebook")
    for step in setup:
        assert change_status(relais, placement_id=pid, to=step, actor="U0COMMS", deliver=False).ok
    before = counts(relais)
    outcome = change_status(relais, placement_id=pid, to=to, actor="U0COMMS", deliver=False, **kwargs)
    assert not outcome.ok and outcome.key == key
    assert counts(relais) == before
    assert say(relais.tr, outcome.key, **outcome.params)  # says something in the team's language


def test_only_the_comms_team_changes_statuses_when_it_is_set(relais):
    relais.settings = replace(relais.settings, comms_team=("U0COMMS",))
    proposal_id, _ = propose(relais)
    pid = placement_id(relais, proposal_id, "udem-facebook")
    before = counts(relais)
    outcome = change_status(relais, placement_id=pid, to="submitted", actor="U0JULIETTE", deliver=False)
    assert not outcome.ok and outcome.key == "propose.refused.not_comms"
    assert counts(relais) == before
    assert change_status(relais, placement_id=pid, to="submitted", actor="U0COMMS", deliver=False).ok


def test_cancel_by_owner_or_comms_only_and_nothing_moves_afterwards(relais):
    relais.settings = replace(relais.settings, comms_team=("U0COMMS",))
    proposal_id, _ = propose(relais, owner="U0JULIETTE")
    before = counts(relais)
    refused = cancel_proposal(relais, proposal_id=proposal_id, actor="U0SOMEONE", deliver=False)
    assert not refused.ok and refused.key == "propose.refused.not_owner"
    assert counts(relais) == before

    assert cancel_proposal(relais, proposal_id=proposal_id, actor="U0JULIETTE", deliver=False).ok
    assert store.get(relais.db, proposal_id)["status"] == "cancelled"
    assert {p["status"] for p in store.placements_of(relais.db, proposal_id)} == {"cancelled"}
    assert store.history(relais.db, proposal_id)[-1]["action"] == "cancelled"

    again = cancel_proposal(relais, proposal_id=proposal_id, actor="U0COMMS", deliver=False)
    assert again.key == "propose.refused.already_cancelled"
    moved = change_status(
        relais,
        placement_id=placement_id(relais, proposal_id, "udem-facebook"),
        to="submitted",
        actor="U0COMMS",
        deliver=False,
    )
    assert moved.key == "propose.refused.cancelled"


def test_comms_may_cancel_anyones_proposal(relais):
    relais.settings = replace(relais.settings, comms_team=("U0COMMS",))
    proposal_id, _ = propose(relais, owner="U0JULIETTE")
    assert cancel_proposal(relais, proposal_id=proposal_id, actor="U0COMMS", deliver=False).ok


def test_a_card_update_before_the_card_exists_is_skipped(relais, standin):
    proposal_id, _ = propose(relais)
    outcome = change_status(
        relais,
        placement_id=placement_id(relais, proposal_id, "udem-facebook"),
        to="submitted",
        actor="U0COMMS",
        deliver=False,
    )
    sender.deliver(relais, keys=outcome.keys)
    assert outbox.get(relais.db, outcome.keys[0])["status"] == "skipped"
    assert standin.calls("chat.update") == []


def test_the_card_escapes_what_the_user_typed(relais):
    proposal_id, _ = propose(
        relais,
        title="<!channel> <https://evil.example|clic> & co",
        summary="<@U0BOSS> ping",
        notes="<!here>",
        link="https://bib.umontreal.ca/?a=1&b=2",
    )
    blocks = card_blocks(relais.tr, card_state(relais, proposal_id))
    text = json.dumps(blocks, ensure_ascii=False)
    assert "<!channel>" not in text and "<https://evil" not in text and "<@U0BOSS>" not in text
    assert "<!here>" not in text
    assert "&lt;!channel&gt; &lt;https://evil.example|clic&gt; &amp; co" in text
    assert "a=1&amp;b=2" in text


def test_the_weekly_quota_clash_shows_on_the_second_card(relais):
    first, _ = propose(relais, title="Horaires prolongés", publish_on=date(2026, 12, 9), outlets=("udem-facebook",))
    second, _ = propose(relais, title="Zooanimation", publish_on=date(2026, 12, 11), outlets=("udem-facebook",))
    text = json.dumps(card_blocks(relais.tr, card_state(relais, second)), ensure_ascii=False)
    assert "(au plus 1 par semaine pour les bibliothèques)" in text and f"n° {first} Horaires prolongés" in text
    assert "lundi 7 décembre 2026" in text
    # once the first is cancelled the week is free again
    cancel_proposal(relais, proposal_id=first, actor="U0JULIETTE", deliver=False)
    text = json.dumps(card_blocks(relais.tr, card_state(relais, second)), ensure_ascii=False)
    assert "par semaine" not in text


def test_a_cancelled_card_has_no_buttons(relais):
    proposal_id, _ = propose(relais)
    cancel_proposal(relais, proposal_id=proposal_id, actor="U0JULIETTE", deliver=False)
    text = json.dumps(card_blocks(relais.tr, card_state(relais, proposal_id)), ensure_ascii=False)
    assert "placement_" not in text and "proposal_cancel" not in text
    assert "Proposition annulée" in text


def test_a_change_made_while_the_card_is_on_its_way_is_shown_by_an_update(relais):
    from bot.proposals.card import render_card

    proposal_id, keys = propose(relais)
    row = outbox.get(relais.db, keys[0])
    post = render_card(relais, row, relais.clock.now())  # rendered: everything planned
    assert change_status(
        relais,
        placement_id=placement_id(relais, proposal_id, "udem-facebook"),
        to="submitted",
        actor="U0COMMS",
        deliver=False,
    ).ok
    pending = len(outbox.rows(relais.db, kind="card_update", status="pending"))
    with relais.db.atomic():
        post.on_sent(relais.db, "C0COMMS", "1795000009.000001")  # the post lands after the change
    assert store.get(relais.db, proposal_id)["card_ts"] == "1795000009.000001"
    assert len(outbox.rows(relais.db, kind="card_update", status="pending")) == pending + 1


def test_a_card_sent_with_nothing_changed_plans_no_update(relais):
    from bot.proposals.card import render_card

    _proposal_id, keys = propose(relais)
    post = render_card(relais, outbox.get(relais.db, keys[0]), relais.clock.now())
    with relais.db.atomic():
        post.on_sent(relais.db, "C0COMMS", "1795000009.000002")
    assert outbox.rows(relais.db, kind="card_update") == []


def test_cards_are_refreshed_once_a_day_while_they_count_days_down(relais, standin):
    from bot.clock import parse_instant
    from bot.proposals.card import refresh_cards

    proposal_id, keys = propose(relais)
    sender.deliver(relais, keys=keys)
    tz = relais.settings.tz
    assert refresh_cards(relais, parse_instant("2026-12-01T23:00", tz)) == []  # created today: fresh
    assert refresh_cards(relais, parse_instant("2026-12-02T05:59", tz)) == []  # not yet 06:00
    morning = parse_instant("2026-12-02T06:30", tz)
    planned = refresh_cards(relais, morning)
    assert planned == [f"card-refresh:{proposal_id}:2026-12-02"]
    assert refresh_cards(relais, parse_instant("2026-12-02T10:00", tz)) == []  # once a day
    sender.deliver(relais, now=morning, keys=planned)
    update = standin.calls("chat.update")[-1]
    assert "jeudi 3 décembre 2026 (dans 1 jour ouvrable)" in json.dumps(update.args["blocks"], ensure_ascii=False)

    cancel_proposal(relais, proposal_id=proposal_id, actor="U0JULIETTE", deliver=False)
    assert refresh_cards(relais, parse_instant("2026-12-03T06:30", tz)) == []  # cancelled: nothing counts


def test_a_new_clash_updates_the_other_card_too(relais, standin):
    first, keys = propose(relais, title="Horaires prolongés", publish_on=date(2026, 12, 9), outlets=("udem-facebook",))
    sender.deliver(relais, keys=keys)
    second, keys = propose(relais, title="Zooanimation", publish_on=date(2026, 12, 11), outlets=("udem-facebook",))
    assert len(keys) == 2 and outbox.get(relais.db, keys[1])["proposal_id"] == first
    sender.deliver(relais, keys=keys)
    update = standin.calls("chat.update")[-1]
    assert update.args["ts"] == store.get(relais.db, first)["card_ts"]
    assert f"n° {second} Zooanimation" in json.dumps(update.args["blocks"], ensure_ascii=False)
    outcome = cancel_proposal(relais, proposal_id=second, actor="U0JULIETTE", deliver=False)
    assert [outbox.get(relais.db, k)["proposal_id"] for k in outcome.keys] == [second, first]

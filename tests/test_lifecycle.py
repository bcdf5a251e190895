"""Closing the loop (issue 13): a placement whose date passed unpublished ends "non publié" the next
business day (not before), a proposal whose placements have all ended is closed (its card without
buttons, out of `/propose list`, in `/propose list all`), one follow-up of a submission without an
answer, a catch-up after three months down, and the digest's "late" section.

In-process (the `relais` fixture, `jobs.tick`, the Slack stand-in) and through `python -m bot tick --at`.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from bot.digest.render import render
from bot.digest.rules import build
from bot.outbox import Skip
from bot.reminders.rules import render_deadline
from bot.runtime import jobs
from handlers.propose import show_list
from storage import outbox as rows
from storage import proposals as store
from tests.test_reminders_support import at, move, propose, sent_lines


def tick(relais, when: str):
    now = at(relais, when)
    relais.clock.freeze(now)
    return jobs.tick(relais, now)


MINE = ("deadline", "follow_up", "not_published_note")


def kinds(sent) -> list[str]:
    """The kinds sent by this feature (the digest and others tick too)."""
    return [r["kind"] for r in sent if r["kind"] in MINE]


def status(relais, placement_id: int) -> str:
    return store.placement(relais.db, placement_id)["status"]


def thread_posts(standin, relais, proposal_id: int, prefix: str) -> list:
    ts = store.get(relais.db, proposal_id)["card_ts"]
    return [
        c
        for c in standin.calls("chat.postMessage")
        if c.args.get("thread_ts") == ts
        and any((b.get("block_id") or "").startswith(prefix) for b in c.args.get("blocks") or [])
    ]


def action_ids(blocks) -> list[str]:
    return [e["action_id"] for b in blocks if b.get("type") == "actions" for e in b["elements"]]


def test_not_published_the_next_business_day_then_the_proposal_closes(relais, standin):
    # Publication Friday 11 December; the next business day is Monday 14.
    pid, ids = propose(
        relais,
        publish_on=date(2026, 12, 11),
        outlets={"udem-facebook": date(2026, 12, 4), "bib-facebook": date(2026, 12, 11)},
        card=True,
    )
    fb, bib = ids["udem-facebook"], ids["bib-facebook"]
    assert "card" in [r["kind"] for r in tick(relais, "2026-12-01T09:00")]
    move(relais, fb, "submitted", when="2026-12-02T10:00")
    tick(relais, "2026-12-13T23:59")  # Sunday: not yet
    assert (status(relais, fb), status(relais, bib)) == ("submitted", "planned")
    assert [r["id"] for r in store.open_proposals(relais.db)] == [pid]

    sent = tick(relais, "2026-12-14T00:00")
    assert (status(relais, fb), status(relais, bib)) == ("not_published", "not_published")
    assert "card_update" in [r["kind"] for r in sent] and "not_published_note" not in kinds(
        sent
    )  # the note waits for 09:00
    card = standin.calls("chat.update")[-1].args
    text = json.dumps(card["blocks"], ensure_ascii=False)
    assert "Proposition terminée" in text and "non publié" in text
    # Final state: no edit, cancel, withdraw or undo; "Publié…" on each placement not published.
    assert action_ids(card["blocks"]) == ["placement_published", "placement_published"]
    assert [r["id"] for r in store.open_proposals(relais.db)] == []
    assert f"n° {pid} " not in json.dumps(show_list(relais), ensure_ascii=False)
    everything = json.dumps(show_list(relais, everything=True), ensure_ascii=False)
    assert f"n° {pid} " in everything and "terminée" in everything

    assert kinds(tick(relais, "2026-12-14T08:59")) == []
    assert kinds(tick(relais, "2026-12-14T09:00")) == ["not_published_note", "not_published_note"]
    notes = thread_posts(standin, relais, pid, "not-published-")
    assert len(notes) == 2
    (button,) = [e for b in notes[0].args["blocks"] if b.get("type") == "actions" for e in b["elements"]]
    assert (button["action_id"], button["value"]) == ("placement_published", f"{fb}:not_published")
    assert "n'a été notée" in notes[0].args["blocks"][0]["text"]["text"]
    assert kinds(tick(relais, "2026-12-15T09:00")) == []  # once

    # It did go out after all: the comms team may still mark it published.
    move(relais, fb, "published", when="2026-12-15T10:00", published_on=date(2026, 12, 11))
    assert status(relais, fb) == "published"


def test_nothing_changes_the_day_of_publication(relais):
    _, ids = propose(relais, publish_on=date(2026, 12, 10), outlets={"bib-facebook": date(2026, 12, 10)})
    tick(relais, "2026-12-10T23:59")
    assert status(relais, ids["bib-facebook"]) == "planned"
    tick(relais, "2026-12-11T00:01")
    assert status(relais, ids["bib-facebook"]) == "not_published"


def test_a_proposal_closes_when_its_last_placement_is_published(relais, standin):
    _pid, ids = propose(relais, publish_on=date(2026, 12, 4), outlets={"bib-facebook": date(2026, 12, 4)}, card=True)
    tick(relais, "2026-12-01T09:00")
    move(relais, ids["bib-facebook"], "published", when="2026-12-04T10:00", published_on=date(2026, 12, 4))
    tick(relais, "2026-12-04T10:00")
    card = standin.calls("chat.update")[-1].args
    assert action_ids(card["blocks"]) == []
    assert "Proposition terminée" in json.dumps(card["blocks"], ensure_ascii=False)
    assert rows.rows(relais.db, kind="stats", status="pending")  # its figures are still asked for


def test_one_follow_up_then_only_the_digest(relais, standin):
    pid, ids = propose(relais, publish_on=date(2026, 12, 18), outlets={"udem-facebook": date(2026, 12, 11)}, card=True)
    fb = ids["udem-facebook"]
    tick(relais, "2026-12-01T09:00")
    move(relais, fb, "submitted", when="2026-12-01T10:00")  # Tuesday; 3 business days: Friday 4th, 09:00
    assert kinds(tick(relais, "2026-12-04T08:59")) == []
    assert kinds(tick(relais, "2026-12-04T09:00")) == ["follow_up"]
    (post,) = thread_posts(standin, relais, pid, "follow-up-")
    assert "depuis 3 jours ouvrables" in post.args["blocks"][0]["text"]["text"]
    assert action_ids(post.args["blocks"]) == ["placement_accepted", "placement_declined"]
    for later in ("2026-12-07T09:00", "2026-12-08T09:00", "2026-12-11T09:00"):
        assert kinds(tick(relais, later)) == [], later
    late = build(relais, date(2026, 12, 7), at(relais, "2026-12-07T09:00")).section("late").items
    assert [(i.kind, i.proposal_id) for i in late] == [("submitted", pid)]


def test_a_deadline_reminder_whose_publication_date_passed_is_skipped(relais):
    _, _ids = propose(relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)})
    (row,) = [r for r in rows.rows(relais.db, kind="deadline") if r["key"].endswith(":heads_up")]
    with pytest.raises(Skip, match="publication date passed"):
        render_deadline(relais, row, at(relais, "2026-12-15T09:00"))


def test_catch_up_after_three_months_down(relais, cli, standin):
    _pid, ids = propose(
        relais,
        publish_on=date(2027, 1, 12),
        outlets={"udem-facebook": date(2027, 1, 5), "udem-x": date(2027, 1, 8)},
        card=True,
    )
    tick(relais, "2026-12-01T09:00")
    before = len(standin.calls("chat.postMessage"))
    result = cli("tick", "--at", "2027-03-10T10:00")  # down from 1 December to 10 March
    assert result.returncode == 0, result.stderr
    sent = sent_lines(result.stdout, kinds=("deadline", "follow_up", "not_published_note"))
    assert [kind for kind, _key, _channel in sent] == ["not_published_note", "not_published_note"]
    posts = standin.calls("chat.postMessage")[before:]
    assert not any("était le" in json.dumps(c.args, ensure_ascii=False) for c in posts)
    assert {status(relais, i) for i in ids.values()} == {"not_published"}
    deadline_rows = rows.rows(relais.db, kind="deadline")
    assert deadline_rows and {r["status"] for r in deadline_rows} == {"cancelled"}
    assert cli("tick", "--at", "2027-03-10T10:05").stdout.count("not_published_note") == 0


def test_the_digest_shows_what_is_late(relais):
    late_pid, _late = propose(
        relais, title="Atelier", publish_on=date(2026, 12, 18), outlets={"udem-x": date(2026, 12, 2)}
    )
    gone_pid, gone = propose(
        relais, title="Exposition", publish_on=date(2026, 12, 3), outlets={"udem-facebook": date(2026, 11, 26)}
    )
    tick(relais, "2026-12-04T00:00")  # the exhibition's date passed: not published
    assert status(relais, gone["udem-facebook"]) == "not_published"
    digest = build(relais, date(2026, 12, 7), at(relais, "2026-12-07T09:00"))
    items = digest.section("late").items
    assert [(i.kind, i.proposal_id) for i in items] == [("planned", late_pid), ("not_published", gone_pid)]
    text = json.dumps(render(digest, relais.tr), ensure_ascii=False)
    assert "En retard" in text and "pas encore soumis, échéance du 2 déc. passée" in text
    assert f"n° {gone_pid} Exposition → UdeM — Facebook : non publié (prévu le 3 déc.)" in text
    # The next week's digest no longer lists what ended the week before.
    later = build(relais, date(2026, 12, 14), at(relais, "2026-12-14T09:00")).section("late").items
    assert [(i.kind, i.proposal_id) for i in later] == [("planned", late_pid)]


def test_the_overdue_search_costs_the_same_whatever_the_years_of_history(relais):
    """`mark_overdue` runs at every tick: its search reads the work under way, not every past proposal (each
    stays `open` once its placements have ended). Counted in SQLite virtual machine steps."""
    db = relais.db

    def steps() -> tuple[int, list[int]]:
        count = [0]
        db.conn.set_progress_handler(lambda: count.__setitem__(0, count[0] + 1), 10)
        try:
            found = [r["id"] for r in store.open_placements_before(db, date(2026, 12, 15))]
        finally:
            db.conn.set_progress_handler(None, 0)
        return count[0], found

    _, ids = propose(relais, publish_on=date(2026, 12, 14), outlets={"udem-facebook": date(2026, 12, 7)})
    propose(relais, publish_on=date(2027, 1, 20), outlets={"udem-facebook": date(2027, 1, 11)})
    before, found = steps()
    assert found == [ids["udem-facebook"]]
    with db.atomic():  # a few years of history: proposals still `open`, their placements published
        for n in range(600):
            day = date(2024, 1, 1) + timedelta(days=n)
            past = store.create(
                db,
                title=f"Passé {n}",
                publish_on=day,
                owner_id="U0PAST",
                outlets=[("bib-facebook", day)],
                now="2023-12-01T12:00:00Z",
            )
            for placement in store.placements_of(db, past):
                store.set_placement_status(db, placement["id"], "published", actor="U0PAST", now="2024-01-01T12:00:00Z")
    after, found = steps()
    assert found == [ids["udem-facebook"]]
    assert after <= before + 2, (before, after)  # the old search read all 600 (6 steps became 786)

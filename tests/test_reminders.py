"""Deadline and stats reminders: what is planned, when, what is sent, what gives way to what.

In-process, on a real SQLite file, against the Slack stand-in; time is set per pass (jobs.tick(now)).
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest

from bot.clock import from_text, local_at, to_text
from bot.reminders import rules as reminders
from bot.runtime import jobs
from storage import outbox as rows
from storage import proposals as store
from tests.test_reminders_support import (
    OWNER,
    at,
    buttons,
    keys_by_status,
    mine,
    move,
    placement_of,
    propose,
    record_figures,
    reminder_posts,
)

DEC_14 = date(2026, 12, 14)  # a Monday; udem-facebook (5 business days) -> Mon 7, udem-x (2) -> Thu 10


def tick(relais, when: str) -> list[str]:
    """One pass as if it were `when`; the keys of the reminders it sent."""
    now = at(relais, when)
    relais.clock.freeze(now)
    return [r["key"] for r in jobs.tick(relais, now) if r["kind"] in ("deadline", "stats")]


# -- planning ----------------------------------------------------------------------------------
def test_rows_planned_for_a_proposal(relais):
    proposal_id, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7), "udem-x": date(2026, 12, 10)}
    )
    fb, x = ids["udem-facebook"], ids["udem-x"]
    planned = {
        r["key"]: (r["due_at"], r["target"], r["placement_id"], r["proposal_id"], json.loads(r["payload"]))
        for r in mine(relais.db)
    }
    assert planned == {  # 09:00 in Montréal is 14:00 UTC in December
        f"deadline:{fb}:2026-12-07:heads_up": (
            "2026-12-03T14:00:00Z",
            "C0COMMS",
            fb,
            proposal_id,
            {"stage": "heads_up", "deadline": "2026-12-07"},
        ),
        f"deadline:{fb}:2026-12-07:due": (
            "2026-12-07T14:00:00Z",
            "C0COMMS",
            fb,
            proposal_id,
            {"stage": "due", "deadline": "2026-12-07"},
        ),
        f"deadline:{fb}:2026-12-07:missed": (
            "2026-12-08T14:00:00Z",
            "C0COMMS",
            fb,
            proposal_id,
            {"stage": "missed", "deadline": "2026-12-07"},
        ),
        f"deadline:{x}:2026-12-10:heads_up": (
            "2026-12-08T14:00:00Z",
            "C0COMMS",
            x,
            proposal_id,
            {"stage": "heads_up", "deadline": "2026-12-10"},
        ),
        f"deadline:{x}:2026-12-10:due": (
            "2026-12-10T14:00:00Z",
            "C0COMMS",
            x,
            proposal_id,
            {"stage": "due", "deadline": "2026-12-10"},
        ),
        f"deadline:{x}:2026-12-10:missed": (
            "2026-12-11T14:00:00Z",
            "C0COMMS",
            x,
            proposal_id,
            {"stage": "missed", "deadline": "2026-12-10"},
        ),
    }
    assert all(r["status"] == "pending" and r["attempts"] == 0 for r in mine(relais.db))


def test_planning_twice_plans_nothing_more(relais):
    proposal_id, _ = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    before = mine(relais.db)
    with relais.db.atomic():
        reminders.plan_created(relais, relais.db, proposal_id, relais.clock.now())
    assert mine(relais.db) == before


def test_moments_already_past_are_not_planned(relais):
    _, ids = propose(
        relais, publish_on=date(2026, 12, 4), outlets={"udem-x": date(2026, 12, 2)}, when="2026-12-01T10:00"
    )  # heads-up time (Mon 30 Nov 09:00) is gone
    x = ids["udem-x"]
    assert [r["key"] for r in mine(relais.db)] == [f"deadline:{x}:2026-12-02:due", f"deadline:{x}:2026-12-02:missed"]


def test_heads_up_counts_business_days_across_holidays_and_closures(relais):
    # Deadline Tue 5 January 2027: Mon 4 is a business day, then the holiday closure (24 Dec - 3 Jan).
    _, ids = propose(relais, publish_on=date(2027, 1, 8), outlets={"udem-x": date(2027, 1, 5)})
    due = {r["key"]: r["due_at"] for r in mine(relais.db)}
    prefix = f"deadline:{ids['udem-x']}:2027-01-05:"
    assert due == {
        prefix + "heads_up": "2026-12-23T14:00:00Z",
        prefix + "due": "2027-01-05T14:00:00Z",
        prefix + "missed": "2027-01-06T14:00:00Z",
    }


def test_a_placement_submitted_withdraws_its_reminders(relais):
    _, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7), "udem-x": date(2026, 12, 10)}
    )
    move(relais, ids["udem-facebook"], "submitted", when="2026-12-02T11:00")
    by_placement = {r["key"]: r["status"] for r in mine(relais.db)}
    assert {k: v for k, v in by_placement.items() if k.startswith(f"deadline:{ids['udem-facebook']}:")} == {
        f"deadline:{ids['udem-facebook']}:2026-12-07:{s}": "cancelled" for s in ("heads_up", "due", "missed")
    }
    assert all(v == "pending" for k, v in by_placement.items() if k.startswith(f"deadline:{ids['udem-x']}:"))
    assert tick(relais, "2026-12-03T09:00") == []


def test_a_cancelled_proposal_withdraws_everything(relais):
    from bot.proposals.workflow import cancel_proposal

    proposal_id, _ = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    assert cancel_proposal(relais, proposal_id=proposal_id, actor=OWNER, deliver=False).ok
    assert set(keys_by_status(relais.db)) == {"cancelled"}
    assert tick(relais, "2026-12-08T09:00") == []


def test_back_to_planned_brings_the_future_reminders_back(relais):
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    move(relais, fb, "submitted", when="2026-12-02T11:00")
    now = at(relais, "2026-12-04T10:00")
    with relais.db.atomic():  # e.g. an undo: the hook is told the placement is planned again
        old = store.set_placement_status(relais.db, fb, "planned", actor="U0COMMS", now=to_text(now))
        reminders.on_placement_changed(relais, relais.db, fb, old, "planned", now)
    status = {r["key"].rsplit(":", 1)[1]: r["status"] for r in mine(relais.db)}
    assert status == {"heads_up": "cancelled", "due": "pending", "missed": "pending"}


def test_a_new_deadline_replaces_the_old_reminders(relais):
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    now = at(relais, "2026-12-02T10:00")
    with relais.db.atomic():
        relais.db.execute("UPDATE placements SET deadline = '2026-12-09' WHERE id = ?", [fb])
        reminders.plan_deadline_reminders(relais, relais.db, fb, now)
    by_status = keys_by_status(relais.db)
    assert sorted(by_status["cancelled"]) == sorted(
        f"deadline:{fb}:2026-12-07:{s}" for s in ("heads_up", "due", "missed")
    )
    assert sorted(by_status["pending"]) == sorted(
        f"deadline:{fb}:2026-12-09:{s}" for s in ("heads_up", "due", "missed")
    )


# -- sending deadline reminders -----------------------------------------------------------------
def test_each_reminder_at_its_moment_in_the_cards_thread_with_the_owner_mentioned(relais, standin):
    _, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)}, card=True, title="Zoo <!channel> & co"
    )
    fb = ids["udem-facebook"]
    tick(relais, "2026-12-01T09:00")  # the card
    card = standin.calls("chat.postMessage")[0]
    assert tick(relais, "2026-12-03T08:59") == []
    assert tick(relais, "2026-12-03T09:00") == [f"deadline:{fb}:2026-12-07:heads_up"]
    assert tick(relais, "2026-12-03T09:00") == []
    assert tick(relais, "2026-12-07T08:59") == []
    assert tick(relais, "2026-12-07T09:00") == [f"deadline:{fb}:2026-12-07:due"]
    assert tick(relais, "2026-12-08T08:59") == []
    assert tick(relais, "2026-12-08T09:00") == [f"deadline:{fb}:2026-12-07:missed"]
    assert tick(relais, "2026-12-09T09:00") == []

    posts = reminder_posts(standin)
    assert len(posts) == 3
    for post in posts:
        assert post.args["channel"] == card.result["channel"]
        assert post.args["thread_ts"] == card.result["ts"]
        assert f"<@{OWNER}>" in post.args["blocks"][0]["text"]["text"]
        assert "Zoo &lt;!channel&gt; &amp; co" in post.args["blocks"][0]["text"]["text"]
        assert "<!channel>" not in json.dumps(post.args)
        assert placement_of(post) == fb
    heads_up, due, missed = (p.args["blocks"][0]["text"]["text"] for p in posts)
    assert "lundi 7 décembre 2026" in heads_up and "dans 2 jours ouvrables" in heads_up
    assert "aujourd'hui" in due
    assert "était le lundi 7 décembre 2026" in missed
    assert [b["action_id"] for b in buttons(posts[0])] == ["reminder_submitted", "reminder_snooze"]
    assert [b["value"] for b in buttons(posts[0])] == [str(fb), str(fb)]
    assert [b["action_id"] for b in buttons(posts[2])] == ["reminder_submitted"]  # no snoozing a missed deadline


def test_without_a_card_the_reminder_goes_to_the_team_channel(relais, standin):
    propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    tick(relais, "2026-12-03T09:00")
    (post,) = reminder_posts(standin)
    assert post.args["channel"] == "C0COMMS"
    assert not post.args.get("thread_ts")


def test_in_english(relais, standin):
    relais.settings = replace(relais.settings, language="en")
    propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    tick(relais, "2026-12-03T09:00")
    (post,) = reminder_posts(standin)
    assert "by Monday, December 7, 2026, in 2 business days" in post.args["blocks"][0]["text"]["text"]
    assert [b["text"]["text"] for b in buttons(post)] == ["Mark as submitted", "Remind me next business day"]


def test_catch_up_sends_only_the_missed_notice_once_the_deadline_has_passed(relais, standin):
    _, ids = propose(
        relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7), "udem-x": date(2026, 12, 10)}
    )
    fb, x = ids["udem-facebook"], ids["udem-x"]
    # Down from Tuesday 1st to Wednesday 9th, 10:00: fb's heads-up, deadline day and missed notice all
    # came; x's heads-up (Tue 8th) came, its deadline (Thu 10th) not yet.
    assert tick(relais, "2026-12-09T10:00") == [f"deadline:{fb}:2026-12-07:missed", f"deadline:{x}:2026-12-10:heads_up"]
    assert tick(relais, "2026-12-09T10:01") == []
    status = {r["key"]: (r["status"], r["last_error"]) for r in mine(relais.db)}
    assert status[f"deadline:{fb}:2026-12-07:heads_up"] == ("skipped", "superseded by missed")
    assert status[f"deadline:{fb}:2026-12-07:due"] == ("skipped", "superseded by missed")
    texts = [p.args["blocks"][0]["text"]["text"] for p in reminder_posts(standin)]
    assert "dans 1 jour ouvrable" in texts[1]


def test_a_heads_up_caught_up_on_the_deadline_day_gives_way_to_the_deadline_day_reminder(relais):
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    assert tick(relais, "2026-12-07T11:30") == [f"deadline:{fb}:2026-12-07:due"]


# -- snooze --------------------------------------------------------------------------------------
def test_snooze_to_the_next_business_day_at_nine(relais, standin):
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    tick(relais, "2026-12-03T09:00")  # Thursday: heads-up
    outcome = reminders.snooze(relais, fb, OWNER, at(relais, "2026-12-03T09:05"))
    assert outcome.ok and to_text(outcome.at) == "2026-12-04T14:00:00Z"
    assert reminders.snooze(relais, fb, OWNER, at(relais, "2026-12-03T09:06")).at == outcome.at  # twice: once
    assert tick(relais, "2026-12-04T08:59") == []
    assert tick(relais, "2026-12-04T09:00") == [f"deadline:{fb}:2026-12-07:snoozed:2026-12-04"]
    post = reminder_posts(standin)[-1]
    assert "rappel reporté" in post.args["blocks"][0]["text"]["text"]
    assert "dans 1 jour ouvrable" in post.args["blocks"][0]["text"]["text"]
    # Friday: snoozing again lands on Monday 09:00, the deadline-day reminder's own moment: nothing more planned.
    again = reminders.snooze(relais, fb, OWNER, at(relais, "2026-12-04T09:10"))
    assert again.ok and to_text(again.at) == "2026-12-07T14:00:00Z"
    assert tick(relais, "2026-12-07T09:00") == [f"deadline:{fb}:2026-12-07:due"]
    # On the deadline day there is nothing to snooze to.
    late = reminders.snooze(relais, fb, OWNER, at(relais, "2026-12-07T09:10"))
    assert not late.ok and late.key == "reminders.refused.after_deadline"


def test_snooze_is_for_the_owner_and_the_comms_team(relais):
    relais.settings = replace(relais.settings, comms_team=("U0COMMS",))
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    now = at(relais, "2026-12-03T09:05")
    assert reminders.snooze(relais, fb, "U0STRANGER", now).key == "reminders.refused.not_owner"
    assert reminders.snooze(relais, fb, "U0COMMS", now).ok
    assert reminders.snooze(relais, fb, OWNER, now).ok


def test_a_snoozed_reminder_is_dropped_when_the_placement_was_submitted(relais):
    _, ids = propose(relais, publish_on=DEC_14, outlets={"udem-facebook": date(2026, 12, 7)})
    fb = ids["udem-facebook"]
    assert reminders.snooze(relais, fb, OWNER, at(relais, "2026-12-03T09:05")).ok
    move(relais, fb, "submitted", when="2026-12-03T15:00")
    assert tick(relais, "2026-12-04T09:00") == []
    assert set(keys_by_status(relais.db)) == {"cancelled"}
    assert reminders.snooze(relais, fb, OWNER, at(relais, "2026-12-04T09:05")).key == "reminders.refused.not_planned"


# -- stats reminders -----------------------------------------------------------------------------
def publish_now(
    relais,
    slug="bib-facebook",
    title="Heures prolongées",
    when="2026-12-01T11:00",
    published_on=date(2026, 12, 1),
    owner=OWNER,
) -> int:
    """A library outlet goes straight from planned to published."""
    _, ids = propose(relais, publish_on=published_on, outlets={slug: published_on}, title=title, owner=owner, when=when)
    move(relais, ids[slug], "published", when=when, published_on=published_on)
    return ids[slug]


def test_publication_plans_a_message_per_checkpoint_day(relais):
    placement = publish_now(relais)
    planned = {r["key"]: (r["due_at"], r["target"], json.loads(r["payload"])) for r in mine(relais.db, kind="stats")}
    assert planned == {
        f"stats:{OWNER}:2026-12-03": ("2026-12-03T14:00:00Z", OWNER, {"items": [[placement, 2]]}),
        f"stats:{OWNER}:2026-12-08": ("2026-12-08T14:00:00Z", OWNER, {"items": [[placement, 7]]}),
        # day 30, Thursday 31 December, is inside the holiday closure: the next business day, same hour
        f"stats:{OWNER}:2027-01-04": ("2027-01-04T14:00:00Z", OWNER, {"items": [[placement, 30]]}),
    }


def test_checkpoints_come_from_the_settings(relais):
    relais.settings = replace(relais.settings, stats_checkpoints=(1, 14))
    publish_now(relais)
    assert [r["key"] for r in mine(relais.db, kind="stats")] == [
        f"stats:{OWNER}:2026-12-02",
        f"stats:{OWNER}:2026-12-15",
    ]


def test_one_direct_message_listing_every_placement_due_with_a_button_each(relais, standin):
    first = publish_now(relais, slug="bib-facebook", title="Heures prolongées")
    second = publish_now(relais, slug="bib-instagram", title="Zooanimation <script>")
    other = publish_now(relais, slug="bib-x", title="Autre", owner="U0ROMEO")
    assert tick(relais, "2026-12-03T08:59") == []
    assert tick(relais, "2026-12-03T09:00") == [f"stats:{OWNER}:2026-12-03", "stats:U0ROMEO:2026-12-03"]
    assert tick(relais, "2026-12-03T09:00") == []
    opened = [c.args["users"] for c in standin.calls("conversations.open")]
    assert opened == [OWNER, "U0ROMEO"]
    juliette, romeo = reminder_posts(standin)
    assert juliette.args["channel"] == "D0JULIETTE"
    assert [(b["action_id"], b["value"]) for b in buttons(juliette)] == [
        ("stats_open", str(first)),
        ("stats_open", str(second)),
    ]
    assert [(b["action_id"], b["value"]) for b in buttons(romeo)] == [("stats_open", str(other))]
    text = json.dumps(juliette.args["blocks"], ensure_ascii=False)
    assert "ces 2 publications" in text and "2 jours après la publication" in text
    assert "Zooanimation &lt;script&gt;" in text and "<script>" not in text
    row = rows.get(relais.db, f"stats:{OWNER}:2026-12-03")
    assert json.loads(row["payload"])["listed"] == [[first, 2], [second, 2]]


def test_figures_recorded_since_the_checkpoint_stop_its_reminder(relais, standin):
    placement = publish_now(relais)
    assert tick(relais, "2026-12-03T09:00") == [f"stats:{OWNER}:2026-12-03"]
    record_figures(relais, placement, "2026-12-04T10:00")  # after day 2, before day 7
    assert tick(relais, "2026-12-08T09:00") == [f"stats:{OWNER}:2026-12-08"]  # day 7: none since then
    record_figures(relais, placement, "2026-12-08T09:30")
    assert tick(relais, "2026-12-31T08:00") == []
    record_figures(relais, placement, "2026-12-31T09:00")  # right at the day-30 checkpoint: counts
    # day 30 is in the holiday closure: its message waits for Monday 4 January, and the figures recorded
    # since the checkpoint was reached (not since the message's day) answer it
    assert tick(relais, "2027-01-04T09:00") == []
    assert rows.get(relais.db, f"stats:{OWNER}:2027-01-04")["status"] == "skipped"


def test_figures_recorded_during_a_downtime_skip_the_late_reminder(relais):
    placement = publish_now(relais)
    record_figures(relais, placement, "2026-12-03T10:00")
    assert tick(relais, "2026-12-03T11:00") == []
    assert rows.get(relais.db, f"stats:{OWNER}:2026-12-03")["last_error"] == "no figures owed"


def test_a_week_down_gives_one_message_with_the_latest_checkpoint(relais, standin):
    first = publish_now(relais, slug="bib-facebook", published_on=date(2026, 12, 1))
    second = publish_now(relais, slug="bib-instagram", published_on=date(2026, 12, 1), when="2026-12-02T10:00")
    third = publish_now(relais, slug="bib-x", published_on=date(2026, 12, 2), when="2026-12-02T10:00")
    # checkpoints: first and second Dec 3 and Dec 8; third Dec 4 and Dec 9. Down until Dec 10.
    assert tick(relais, "2026-12-10T10:00") == [f"stats:{OWNER}:2026-12-03"]
    assert tick(relais, "2026-12-10T10:05") == []
    (post,) = reminder_posts(standin)
    assert [b["value"] for b in buttons(post)] == [str(first), str(second), str(third)]
    assert "7 jours après la publication" in json.dumps(post.args["blocks"], ensure_ascii=False)
    assert "2 jours après" not in json.dumps(post.args["blocks"], ensure_ascii=False)
    status = {r["key"]: r["status"] for r in mine(relais.db, kind="stats")}
    assert [k for k, s in status.items() if s == "skipped"] == [
        f"stats:{OWNER}:2026-12-04",
        f"stats:{OWNER}:2026-12-08",
        f"stats:{OWNER}:2026-12-09",
    ]


def test_one_message_a_day_even_when_a_catch_up_comes_before_nine(relais, standin):
    first = publish_now(relais, slug="bib-facebook", published_on=date(2026, 12, 1))
    second = publish_now(relais, slug="bib-instagram", published_on=date(2026, 12, 2), when="2026-12-02T10:00")
    # Back at 08:00 on the 4th: the 3rd's message would go now and the 4th's at 09:00; they go together at 09:00.
    assert tick(relais, "2026-12-04T08:00") == []
    assert rows.get(relais.db, f"stats:{OWNER}:2026-12-03")["last_error"] == f"merged into stats:{OWNER}:2026-12-04"
    assert tick(relais, "2026-12-04T09:00") == [f"stats:{OWNER}:2026-12-04"]
    (post,) = reminder_posts(standin)
    assert [b["value"] for b in buttons(post)] == [str(first), str(second)]


def test_a_second_message_the_same_day_waits_for_the_next_day(relais, standin):
    first = publish_now(relais, slug="bib-facebook", published_on=date(2026, 12, 1))
    assert tick(relais, "2026-12-04T08:00") == [f"stats:{OWNER}:2026-12-03"]  # late, before 09:00
    # Then, at 08:30, a placement published on the 2nd is marked published: its day 2 is today 09:00.
    second = publish_now(relais, slug="bib-instagram", published_on=date(2026, 12, 2), when="2026-12-04T08:30")
    assert tick(relais, "2026-12-04T09:00") == []
    assert rows.get(relais.db, f"stats:{OWNER}:2026-12-04")["last_error"].startswith("deferred to")
    assert tick(relais, "2026-12-05T09:00") == []  # Saturday: the next business day
    assert tick(relais, "2026-12-07T09:00") == [f"stats:{OWNER}:2026-12-07"]
    posts = reminder_posts(standin)
    assert [[b["value"] for b in buttons(p)] for p in posts] == [[str(first)], [str(second)]]


def test_no_stats_reminder_for_a_cancelled_proposal_or_another_owner(relais):
    from bot.proposals.workflow import cancel_proposal

    placement = publish_now(relais)
    proposal_id = store.placement(relais.db, placement)["proposal_id"]
    assert cancel_proposal(relais, proposal_id=proposal_id, actor=OWNER, deliver=False).ok
    assert tick(relais, "2026-12-03T09:00") == []


# -- daylight saving time ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "published_on, expected_utc",
    [
        # The day-2 checkpoint falls on the Sunday clocks change: it waits for Monday, 09:00 local in the new offset.
        (date(2026, 10, 30), "2026-11-02T14:00:00Z"),  # Sunday 1 Nov 2026: clocks went back at 02:00 (EST)
        (date(2027, 3, 12), "2027-03-15T13:00:00Z"),  # Sunday 14 Mar 2027: clocks went forward at 02:00 (EDT)
        (date(2027, 11, 5), "2027-11-08T14:00:00Z"),  # Sunday 7 Nov 2027: back to EST
    ],
)
def test_a_checkpoint_on_a_clock_change_day_is_at_nine_local_once(relais, published_on, expected_utc):
    placement = publish_now(relais, published_on=published_on, when=f"{published_on.isoformat()}T12:00")
    day = published_on + timedelta(days=3)
    key = f"stats:{OWNER}:{day.isoformat()}"
    assert rows.get(relais.db, key)["due_at"] == expected_utc
    assert json.loads(rows.get(relais.db, key)["payload"]) == {"items": [[placement, 2]]}
    # A tick every 10 minutes of UTC over the whole local day.
    start = local_at(day, 0, 0, relais.settings.tz)
    sent_at = []
    for step in range(0, 24 * 6 + 1):
        now = start + timedelta(minutes=10 * step)
        relais.clock.freeze(now)
        if any(r["key"] == key for r in jobs.tick(relais, now)):
            sent_at.append(to_text(now))
    assert sent_at == [expected_utc]


@pytest.mark.parametrize(
    "publish_on, deadline, moments",
    [
        # Spring forward on Sunday 14 March 2027: Friday 12 is EST (UTC-5), Tuesday 16 EDT (UTC-4).
        (
            date(2027, 3, 18),
            date(2027, 3, 16),
            {"heads_up": "2027-03-12T14:00:00Z", "due": "2027-03-16T13:00:00Z", "missed": "2027-03-17T13:00:00Z"},
        ),
        # Fall back on Sunday 1 November 2026: Thursday 29 October is EDT, Monday 2 November EST.
        (
            date(2026, 11, 4),
            date(2026, 11, 2),
            {"heads_up": "2026-10-29T13:00:00Z", "due": "2026-11-02T14:00:00Z", "missed": "2026-11-03T14:00:00Z"},
        ),
        # Fall back on Sunday 7 November 2027.
        (
            date(2027, 11, 10),
            date(2027, 11, 8),
            {"heads_up": "2027-11-04T13:00:00Z", "due": "2027-11-08T14:00:00Z", "missed": "2027-11-09T14:00:00Z"},
        ),
    ],
)
def test_deadline_reminders_around_clock_changes(relais, publish_on, deadline, moments):
    _, ids = propose(relais, publish_on=publish_on, outlets={"udem-x": deadline}, when="2026-10-01T10:00")
    x = ids["udem-x"]
    planned = {r["key"].rsplit(":", 1)[1]: r["due_at"] for r in mine(relais.db)}
    assert planned == moments
    for stage, utc in moments.items():
        instant = from_text(utc)
        assert instant.astimezone(relais.settings.tz).strftime("%H:%M") == "09:00"
        relais.clock.freeze(instant - timedelta(minutes=1))
        assert tick(relais, to_text(instant - timedelta(minutes=1))) == []
        assert tick(relais, to_text(instant - timedelta(hours=1))) == []  # an hour early: nothing
        assert tick(relais, utc) == [f"deadline:{x}:{deadline.isoformat()}:{stage}"]
        assert tick(relais, to_text(instant + timedelta(hours=1))) == []  # an hour later: not again

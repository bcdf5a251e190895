"""The weekly digest: its content from a known data set, an empty week, a busy week split without
losing an item, the DIGEST_AT instant across clock changes, downtime, and the chart in its thread.

In-process against a temporary database (the `relais` fixture) and the Slack stand-in; nothing
of Relais is replaced.
"""

from __future__ import annotations

import re
import struct
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot import blocks as bk
from bot.clock import parse_instant, to_text
from bot.console.blockkit import check_message
from bot.digest.jobs import plan_digest, wait_followups
from bot.digest.render import MESSAGE_CHARS, as_text, content_blocks, paginate, render
from bot.digest.rules import (
    Rows,
    build,
    build_chart_series,
    compute,
    current_day,
    digest_day,
    instant,
    week_label,
)
from bot.i18n import translator
from bot.runtime import jobs
from bot.workdays import BusinessDays
from storage import calendar, proposals, stats
from storage import outbox as outbox_rows

NBSP = "\u00a0"
MONDAY = date(2026, 12, 7)  # ISO week 2026-W50
OWNER = "U0OWNER1"
OTHER = "U0OWNER2"


def at(relais, text):
    return parse_instant(text, relais.settings.tz)


def propose(relais, title, publish_on, outlets, owner=OWNER, cycle_key=None, now="2026-11-20T10:00"):
    """A proposal with one placement per (slug, deadline); returns (id, {slug: placement id})."""
    db = relais.db
    with db.atomic():
        pid = proposals.create(
            db,
            title=title,
            publish_on=publish_on,
            owner_id=owner,
            now=to_text(at(relais, now)),
            outlets=list(outlets.items()),
            cycle_key=cycle_key,
        )
    return pid, {p["outlet_slug"]: p["id"] for p in proposals.placements_of(db, pid)}


def move(relais, placement_id, status, when, published_on=None):
    with relais.db.atomic():
        proposals.set_placement_status(
            relais.db, placement_id, status, actor="U0COMMS", now=to_text(at(relais, when)), published_on=published_on
        )


def figures(relais, placement_id, views, interactions, when):
    with relais.db.atomic():
        stats.record(
            relais.db,
            placement_id,
            views=views,
            interactions=interactions,
            avg_seconds=None,
            recorded_by=OWNER,
            recorded_at=to_text(at(relais, when)),
        )


def texts(messages):
    """Every text of every block of every message, in order."""
    out = []
    for blocks in messages:
        for block in blocks:
            if isinstance(block.get("text"), dict):
                out.append(block["text"]["text"])
            for element in block.get("elements") or []:
                out.append(element.get("text", ""))
    return out


def item_lines(messages):
    return [line for text in texts(messages) for line in text.split("\n") if line.startswith("•")]


@pytest.fixture
def known(relais):
    """A week with something in every section (digest of Monday 7 December 2026, built at 09:00)."""
    ids = {}
    # Going out Wednesday: accepted by the university, our own post still planned (deadline this week).
    ids["zoo"], p = propose(
        relais,
        "Zooanimation aux examens",
        date(2026, 12, 9),
        {"udem-facebook": date(2026, 12, 2), "bib-facebook": date(2026, 12, 9)},
    )
    move(relais, p["udem-facebook"], "submitted", "2026-11-27T10:00")
    move(relais, p["udem-facebook"], "accepted", "2026-11-30T10:00")
    # Going out next week: one deadline in 9 days, one placement submitted 8 business days ago.
    ids["hours"], p = propose(
        relais,
        "Horaires <prolongés> & 24/7",
        date(2026, 12, 18),
        {"udem-x": date(2026, 12, 16), "udem-nouvelles": date(2026, 12, 4)},
        owner=OTHER,
    )
    move(relais, p["udem-nouvelles"], "submitted", "2026-11-25T11:00")
    # Submitted 2 business days ago: not yet worth a word.
    ids["consult"], p = propose(
        relais, "Consultation Nouvelle ère", date(2026, 12, 21), {"udem-linkedin": date(2026, 12, 14)}
    )
    move(relais, p["udem-linkedin"], "submitted", "2026-12-03T10:00")
    # Published last Monday on both sides, figures from day 2 only: day 7 is today, so both are missing.
    ids["booking"], p = propose(
        relais,
        "Réservation de places",
        date(2026, 11, 30),
        {"udem-facebook": date(2026, 11, 23), "bib-facebook": date(2026, 11, 30)},
        owner="U0OWNERD",
    )
    for slug in p:
        move(relais, p[slug], "published", "2026-11-30T10:00", published_on=date(2026, 11, 30))
    figures(relais, p["udem-facebook"], 19279, 996, "2026-12-02T10:00")
    figures(relais, p["bib-facebook"], 821, 40, "2026-12-02T11:00")
    ids["booking_placements"] = p
    # Published in October, day-30 figures recorded on day 30: counted in the term, nothing missing.
    ids["reopening"], p = propose(
        relais, "Réouverture des bibliothèques", date(2026, 10, 19), {"udem-instagram-story": date(2026, 10, 14)}
    )
    move(relais, p["udem-instagram-story"], "published", "2026-10-19T10:00", published_on=date(2026, 10, 19))
    figures(relais, p["udem-instagram-story"], 1000, 20, "2026-10-21T10:00")
    figures(relais, p["udem-instagram-story"], 2800, 50, "2026-11-18T10:00")
    # Published last Thursday, no figures at all: the day-2 checkpoint passed.
    ids["software"], p = propose(
        relais, "Accès aux logiciels à distance", date(2026, 12, 3), {"udem-x": date(2026, 12, 1)}
    )
    move(relais, p["udem-x"], "published", "2026-12-03T10:00", published_on=date(2026, 12, 3))
    # Cancelled: never in the digest.
    ids["cancelled"], p = propose(relais, "Annulée", date(2026, 12, 10), {"udem-x": date(2026, 12, 8)})
    with relais.db.atomic():
        proposals.cancel(relais.db, ids["cancelled"], actor=OWNER, now=to_text(at(relais, "2026-12-01T10:00")))
    # A return of the exams in January: two cycles follow exams, one already proposed for it.
    with relais.db.atomic():
        calendar.replace_source(
            relais.db,
            "https://example.org/cal.ics",
            [
                {
                    "uid": "feed:deferred",
                    "name": "Examens différés",
                    "kind": "exams",
                    "start": date(2027, 1, 8),
                    "end": date(2027, 1, 9),
                }
            ],
            to_text(relais.clock.now()),
        )
    ids["zoo_again"], _ = propose(
        relais,
        "Zooanimation (examens différés)",
        date(2027, 1, 5),
        {"udem-instagram-story": date(2026, 12, 22)},
        cycle_key="zooanimation-des-chiens-pour-decompresser",
    )
    return ids


# -- the content --------------------------------------------------------------------------------
def test_known_week_every_section_and_figure(relais, known):
    digest = build(relais, MONDAY, at(relais, "2026-12-07T09:00"))
    assert digest.week == "2026-W50"
    assert [s.key for s in digest.sections] == [
        "outgoing",
        "deadlines",
        "late",
        "missing",
        "last_week",
        "term",
        "cycles",
    ]

    going = digest.section("outgoing").items
    assert [(g.day, g.proposal_id) for g in going] == [(date(2026, 12, 9), known["zoo"])]
    assert going[0].outlets == (("UdeM — Facebook", "accepted"), ("Bibliothèques — Facebook", "planned"))

    deadlines = digest.section("deadlines").items
    assert [(d.day, d.proposal_id, d.outlet) for d in deadlines] == [
        (date(2026, 12, 9), known["zoo"], "Bibliothèques — Facebook"),
        (date(2026, 12, 16), known["hours"], "UdeM — X"),
    ]

    late = digest.section("late").items  # submitted with no answer past the follow-up (3 business days)
    assert [(i.kind, i.proposal_id, i.outlet, i.day) for i in late] == [
        ("submitted", known["hours"], "UdeM Nouvelles (site d'actualités)", date(2026, 11, 25))
    ]

    missing = digest.section("missing").items
    assert [(m.proposal_id, m.outlet, m.checkpoint, m.owner_id) for m in missing] == [
        (known["booking"], "UdeM — Facebook", 7, "U0OWNERD"),
        (known["booking"], "Bibliothèques — Facebook", 7, "U0OWNERD"),
        (known["software"], "UdeM — X", 2, OWNER),
    ]

    last = digest.section("last_week")
    assert (last.first, last.last) == (date(2026, 11, 30), date(2026, 12, 6))
    assert [(o.slug, o.posts, o.views, o.interactions) for o in last.items] == [
        ("udem-facebook", 1, 19279, 996),
        ("bib-facebook", 1, 821, 40),
    ]
    assert (last.reach.university_views, last.reach.library_views, last.reach.proposals) == (19279, 821, 1)
    assert round(last.reach.multiplier, 1) == 23.5

    term = digest.section("term")
    assert (term.first, term.last) == (date(2026, 8, 31), date(2026, 12, 6))  # "Rentrée d'automne 2026"
    assert [(o.slug, o.views) for o in term.items] == [
        ("udem-facebook", 19279),
        ("udem-instagram-story", 2800),
        ("bib-facebook", 821),
    ]

    cycles = digest.section("cycles").items
    assert [(c.title, c.event, c.prompt_on, c.proposal_id) for c in cycles] == [
        ("Zooanimation : des chiens pour décompresser", "Examens différés", date(2026, 12, 11), known["zoo_again"]),
        ("Horaires prolongés pour les examens", "Examens différés", date(2026, 12, 18), None),
    ]


def test_known_week_rendered_in_french(relais, known):
    messages = render(build(relais, MONDAY, at(relais, "2026-12-07T09:00")), translator("fr"))
    assert len(messages) == 1
    head = messages[0][0]
    assert head == bk.header("Bilan de la semaine du lundi 7 décembre 2026")
    body = "\n".join(texts(messages))
    z, h, b, s = known["zoo"], known["hours"], known["booking"], known["software"]
    assert (
        f"• 9 déc. — n° {z} Zooanimation aux examens → UdeM — Facebook (accepté), Bibliothèques — Facebook (planifié)"
        in body
    )
    assert f"• 16 déc. — n° {h} Horaires &lt;prolongés&gt; &amp; 24/7 → UdeM — X" in body
    assert (
        f"• n° {h} Horaires &lt;prolongés&gt; &amp; 24/7 → UdeM Nouvelles (site d'actualités) : soumis le 25 nov., "
        f"sans réponse depuis 8 jours ouvrables · <@{OTHER}>" in body
    )
    assert (
        f"• n° {b} Réservation de places → UdeM — Facebook : publié le 30 nov., relevé du jour 7 à faire — <@U0OWNERD>"
        in body
    )
    assert (
        f"• n° {s} Accès aux logiciels à distance → UdeM — X : publié le 3 déc., relevé du jour 2 à faire — <@{OWNER}>"
        in body
    )
    assert f"• UdeM — Facebook : 19{NBSP}279 vues, 996 interactions (1 publication)" in body
    assert (
        "les canaux de l'Université ont obtenu 23,5 fois plus de vues que les comptes des bibliothèques "
        f"(19{NBSP}279 vues contre 821 vues ; 1 proposition publiée à la fois sur un canal de l'Université "
        "et sur un compte des bibliothèques)" in body
    )
    assert "×" not in body
    assert f"• UdeM — Instagram (story) : 2{NBSP}800 vues, 50 interactions (1 publication)" in body
    assert "(publications du 30 nov. au 6 déc.)" in body and "(publications du 31 août au 6 déc.)" in body
    assert f"nouvelle proposition faite (n° {known['zoo_again']})" in body
    assert (
        "Horaires prolongés pour les examens — Examens différés le 8 janv. : à reproposer à partir du 18 déc." in body
    )
    assert "Annulée" not in body and "<prolongés>" not in body
    assert len(item_lines(messages)) == 1 + 2 + 1 + 3 + 2 + 3 + 2


def test_known_week_in_english(relais, known):
    messages = render(build(relais, MONDAY, at(relais, "2026-12-07T09:00")), translator("en"))
    body = "\n".join(texts(messages))
    assert messages[0][0] == bk.header("Digest for the week of Monday, December 7, 2026")
    assert "• UdeM — Facebook: 19,279 views, 996 interactions (1 post)" in body
    assert "got 23.5 times as many views as the library's own accounts (19,279 views vs 821 views; " in body
    assert "1 proposal published on both a university outlet and a library account)" in body
    assert f"proposed again (#{known['zoo_again']})" in body
    assert "day-7 figures to record — <@U0OWNERD>" in body


def test_empty_week_says_so_in_one_line(relais):
    # (the week of 7 December is not empty: the writing mornings' prompt comes on the 18th, see below)
    digest = build(relais, date(2027, 2, 1), at(relais, "2027-02-01T09:00"))
    assert digest.empty
    messages = render(digest, translator("fr"))
    assert len(messages) == 1 and len(messages[0]) == 1
    (line,) = texts(messages)
    assert "\n" not in line
    assert line.startswith("*Bilan de la semaine du lundi 1er février 2027* : semaine calme")


def test_a_prompt_brought_earlier_by_a_closure_is_announced_on_its_day(relais):
    """Issue 15: 14 days before the winter term is 23 December; with the holiday closure the prompt comes
    on the 18th, and the digest of the 7th already lists it, on that day."""
    digest = build(relais, MONDAY, at(relais, "2026-12-07T09:00"))
    (item,) = digest.section("cycles").items
    assert (item.title, item.prompt_on, item.late) == (
        "Matinées de rédaction (cycles supérieurs)",
        date(2026, 12, 18),
        False,
    )
    text = "\n".join(texts(render(digest, translator("fr"))))
    assert "Rentrée d'hiver 2027 le 6 janv. : à reproposer à partir du 18 déc." in text


def test_a_section_with_nothing_is_left_out(relais, known):
    # The same data seen a month later: nothing goes out that week, the cycles' event has passed.
    digest = build(relais, date(2027, 1, 11), at(relais, "2027-01-11T09:00"))
    keys = [s.key for s in digest.sections]
    assert "outgoing" not in keys and "cycles" not in keys and "last_week" not in keys
    assert "missing" in keys  # day-30 figures of the December posts
    assert "term" not in keys  # the winter term started 6 January: nothing published since


def test_figures_recorded_on_the_checkpoint_day_count(relais, known):
    p = known["booking_placements"]
    figures(relais, p["udem-facebook"], 20100, 1010, "2026-12-07T08:30")
    digest = build(relais, MONDAY, at(relais, "2026-12-07T09:00"))
    assert [m.outlet for m in digest.section("missing").items if m.proposal_id == known["booking"]] == [
        "Bibliothèques — Facebook"
    ]
    assert digest.section("last_week").items[0].views == 20100  # the latest snapshot is the figure


def test_cycle_prompt_passed_without_proposal_is_flagged():
    from bot.calendar.config import Cycle

    cycle = Cycle(
        key="zoo", title="Zoo", summary="", category="cyclic", outlets=("bib-x",), follows="exams", days_before=28
    )
    rows = Rows(events=[{"uid": "e", "name": "Examens", "kind": "exams", "start": "2026-12-20", "end": "2026-12-22"}])
    tz = ZoneInfo("America/Montreal")
    digest = compute(
        rows,
        day=MONDAY,
        now=parse_instant("2026-12-07T09:00", tz),
        tz=tz,
        checkpoints=(2, 7, 30),
        business_days=BusinessDays(),
        cycles=(cycle,),
    )
    (item,) = digest.section("cycles").items
    assert item.late and item.prompt_on == date(2026, 11, 22) and item.proposal_id is None
    text = "\n".join(texts(render(digest, translator("fr"))))
    assert "• Zoo — Examens le 20 déc. : pas encore de nouvelle proposition (rappel du 22 nov.)" in text


# -- splitting ----------------------------------------------------------------------------------
def test_a_busy_week_is_split_and_nothing_is_lost(relais):
    count = 160
    for n in range(count):
        propose(
            relais,
            f"Publication chargée n° {n:03d} " + "x" * 40,
            MONDAY + timedelta(days=n % 7),
            {"udem-x": MONDAY + timedelta(days=n % 14), "bib-x": MONDAY + timedelta(days=n % 7)},
        )
    digest = build(relais, MONDAY, at(relais, "2026-12-07T09:00"))
    assert len(digest.section("outgoing").items) == count
    assert len(digest.section("deadlines").items) == 2 * count
    messages = render(digest, translator("fr"))
    assert len(messages) >= 3
    for number, blocks in enumerate(messages, 1):
        assert len(blocks) <= 50
        assert all(len(t) <= 3000 for t in texts([blocks]))
        assert bk.message_chars(blocks, bk.fallback_text(blocks)) <= MESSAGE_CHARS
        if number > 1:
            assert blocks[0]["type"] == "context"
            assert blocks[0]["elements"][0]["text"].endswith(f"suite ({number}/{len(messages)})")
    lines = item_lines(messages)
    assert len(lines) == 3 * count + 1  # and the writing mornings' prompt of the 18th (cycles)
    for n in range(count):
        title = f"Publication chargée n° {n:03d} "
        assert sum(title in line for line in lines) == 3, title  # once going out, twice with a deadline


def test_a_digest_of_long_titles_full_of_entities_is_split_within_11000_characters(relais):
    """Titles of 150 characters, each & < > becoming 4 or 5 once escaped: every message, the notification
    text and the calendar's warning included, stays within 11,000 characters; nothing lost, order kept."""
    nasty = "&<>" * 50
    count = 60
    for n in range(count):
        propose(
            relais,
            f"{n:03d} {nasty}"[:150],
            MONDAY + timedelta(days=n % 7),
            {"udem-x": MONDAY + timedelta(days=n % 7), "bib-x": MONDAY + timedelta(days=n % 7)},
        )
    digest = build(relais, MONDAY, at(relais, "2026-12-07T09:00"))
    warning = [bk.context(":warning: " + "Le calendrier ne connaît aucune fermeture. " * 20)]
    messages = render(digest, translator("fr"), footer=warning)
    assert len(messages) >= 8
    assert messages[0][-1] == warning[0]  # the main message ends with the footer
    for blocks in messages:
        assert len(blocks) <= 50 and all(len(t) <= 3000 for t in texts([blocks]))
        assert check_message({"text": bk.fallback_text(blocks), "blocks": blocks}) == []
        assert bk.message_chars(blocks, bk.fallback_text(blocks)) <= 11_000
    lines = item_lines(messages)
    assert (
        len(lines) == 3 * count + 1
    )  # going out once, a deadline for each of two outlets; the writing mornings' prompt
    whole = item_lines([content_blocks(digest, translator("fr"))])  # the same digest, unsplit
    assert lines == whole  # every line once, in the same order
    for n in range(count):
        assert sum(f"{n:03d} &amp;&lt;&gt;" in line for line in lines) == 3, n


def test_paginate_keeps_every_block_within_fifty():
    body = []
    for n in range(130):
        body.append(bk.section(f"bloc {n}"))
        if n % 10 == 9:
            body.append(bk.divider())
    pages = paginate(bk.header("titre"), body, lambda k, n: bk.context(f"{k}/{n}"))
    assert all(len(page) <= 50 for page in pages)
    assert len(pages) == 3
    seen = [b["text"]["text"] for page in pages for b in page if b["type"] == "section"]
    assert seen == [f"bloc {n}" for n in range(130)]
    assert all(page[-1]["type"] != "divider" and page[1]["type"] != "divider" for page in pages)
    assert [page[0] for page in pages[1:]] == [bk.context("2/3"), bk.context("3/3")]


def test_a_huge_title_is_clipped_not_dropped(relais):
    propose(relais, "Très long " * 400, MONDAY + timedelta(days=2), {"bib-x": MONDAY + timedelta(days=2)})
    messages = render(build(relais, MONDAY, at(relais, "2026-12-07T09:00")), translator("fr"))
    assert all(len(t) <= 3000 for t in texts(messages))
    assert sum(line.startswith("• 9 déc.") for line in item_lines(messages)) == 2  # going out + deadline


# -- when ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "monday, utc",
    [
        (date(2027, 3, 15), "2027-03-15T13:00:00Z"),  # the day after the spring change (EDT, UTC-4)
        (date(2027, 3, 8), "2027-03-08T14:00:00Z"),  # the week before (EST, UTC-5)
        (date(2026, 11, 2), "2026-11-02T14:00:00Z"),  # the day after the autumn change (EST)
        (date(2026, 10, 26), "2026-10-26T13:00:00Z"),  # the week before (EDT)
    ],
)
def test_digest_at_stays_nine_local_across_clock_changes(relais, monday, utc):
    tz = relais.settings.tz
    assert to_text(instant(monday, (9, 0), tz)) == utc
    plan_digest(relais, parse_instant(utc, tz) - timedelta(days=1))  # Sunday: the Monday digest is planned ahead
    row = outbox_rows.get(relais.db, f"digest:{week_label(monday)}")
    assert row["due_at"] == utc and row["target"] == "C0COMMS" and row["status"] == "pending"
    assert current_day(parse_instant(utc, tz), 0, (9, 0), tz) == monday
    assert current_day(parse_instant(utc, tz) - timedelta(seconds=1), 0, (9, 0), tz) == monday - timedelta(days=7)


def test_the_digest_goes_out_at_its_time_and_only_once(relais, standin):
    jobs.tick(relais, at(relais, "2027-03-15T08:59"))
    assert not [c for c in standin.calls("chat.postMessage") if c.args.get("channel") == "C0COMMS"]
    sent = jobs.tick(relais, at(relais, "2027-03-15T09:00"))
    assert [r["key"] for r in sent if r["kind"] == "digest"] == ["digest:2027-W11"]
    jobs.tick(relais, at(relais, "2027-03-15T09:01"))
    jobs.tick(relais, at(relais, "2027-03-16T09:00"))
    wait_followups()
    posts = [
        c
        for c in standin.calls("chat.postMessage")
        if c.args.get("channel") == "C0COMMS" and "semaine du lundi 15 mars 2027" in str(c.args.get("blocks"))
    ]
    assert len(posts) == 1
    assert outbox_rows.get(relais.db, "digest:2027-W12")["due_at"] == "2027-03-22T13:00:00Z"


def test_downtime_late_within_its_week_skipped_after(relais, standin):
    jobs.tick(relais, at(relais, "2026-12-01T09:00"))  # running the week before: W50 planned ahead
    assert outbox_rows.get(relais.db, "digest:2026-W50")["status"] == "pending"
    jobs.tick(relais, at(relais, "2026-12-08T10:00"))  # down on Monday, back on Tuesday: sent late
    assert outbox_rows.get(relais.db, "digest:2026-W50")["status"] == "sent"
    assert outbox_rows.get(relais.db, "digest:2026-W51")["status"] == "pending"
    jobs.tick(relais, at(relais, "2026-12-22T10:00"))  # down from 9 to 22 December: W51's week is over
    wait_followups()
    w51, w52 = outbox_rows.get(relais.db, "digest:2026-W51"), outbox_rows.get(relais.db, "digest:2026-W52")
    assert w51["status"] == "skipped"
    assert w52["status"] == "sent"  # the current week's digest, planned on return since the bot had been running
    firsts = [
        c.args["blocks"][0]["text"]["text"]
        for c in standin.calls("chat.postMessage")
        if c.args.get("channel") == "C0COMMS" and not c.args.get("thread_ts")
    ]
    digests = [m.group(1) for m in (re.search(r"Bilan de la semaine du (lundi \d+ \w+)", f) for f in firsts) if m]
    assert digests == ["lundi 7 décembre", "lundi 21 décembre"]


def test_a_late_digest_is_not_sent_on_the_next_digest_day(relais, standin):
    jobs.tick(relais, at(relais, "2026-12-01T09:00"))  # W50 planned ahead
    jobs.tick(relais, at(relais, "2026-12-14T08:30"))  # back on the next Monday, before 09:00
    assert outbox_rows.get(relais.db, "digest:2026-W50")["status"] == "skipped"
    assert outbox_rows.get(relais.db, "digest:2026-W51")["status"] == "pending"
    jobs.tick(relais, at(relais, "2026-12-14T09:00"))
    wait_followups()
    assert outbox_rows.get(relais.db, "digest:2026-W51")["status"] == "sent"
    firsts = [str(c.args["blocks"][0]) for c in standin.calls("chat.postMessage") if c.args.get("channel") == "C0COMMS"]
    assert sum("Bilan de la semaine" in f for f in firsts) == 1


def test_a_new_installation_starts_with_the_next_digest(relais):
    plan_digest(relais, at(relais, "2026-12-08T10:00"))
    assert outbox_rows.get(relais.db, "digest:2026-W50") is None
    assert outbox_rows.get(relais.db, "digest:2026-W51")["due_at"] == "2026-12-14T14:00:00Z"
    plan_digest(relais, at(relais, "2026-12-14T09:05"))  # started five minutes late on a Monday: still sent
    assert outbox_rows.get(relais.db, "digest:2026-W51")["status"] == "pending"


def test_digest_at_is_read_from_settings(relais):
    from dataclasses import replace

    relais.settings = replace(relais.settings, digest_weekday=2, digest_time=(14, 30))
    plan_digest(relais, at(relais, "2026-12-01T09:00"))
    row = outbox_rows.get(relais.db, "digest:2026-W49")
    assert row["due_at"] == "2026-12-02T19:30:00Z"
    assert digest_day(date(2026, 12, 6), 2) == date(2026, 12, 2)


# -- the thread: continuations and chart -------------------------------------------------------
def test_continuations_and_chart_in_the_digest_thread(relais, standin, known):
    for n in range(160):
        propose(
            relais,
            f"Publication chargée n° {n:03d} " + "x" * 40,
            MONDAY + timedelta(days=n % 7),
            {"bib-x": MONDAY + timedelta(days=n % 7)},
        )
    jobs.tick(relais, at(relais, "2026-12-07T09:00"))
    wait_followups()
    posts = [c for c in standin.calls("chat.postMessage") if c.args.get("channel") == "C0COMMS"]
    main = next(c for c in posts if str(c.args["blocks"][0]["text"]["text"]).startswith("Bilan de la semaine"))
    ts = main.result["ts"]
    parts = [c for c in posts if c.args.get("thread_ts") == ts]
    assert len(parts) >= 1
    messages = [main.args["blocks"]] + [c.args["blocks"] for c in parts]
    assert len(item_lines(messages)) == len(
        item_lines(render(build(relais, MONDAY, at(relais, "2026-12-07T09:00")), translator("fr")))
    )
    assert sum("Publication chargée n° 042" in line for line in item_lines(messages)) == 2

    (upload,) = standin.calls("files.completeUploadExternal")
    assert upload.args.get("thread_ts") == ts and upload.args.get("channel_id") == "C0COMMS"
    (sent_file,) = [f for f in standin.files.values() if f.get("content")]
    assert sent_file["content"].startswith(b"\x89PNG\r\n\x1a\n")
    chart = outbox_rows.get(relais.db, "digest:2026-W50:chart")
    assert chart["status"] == "sent" and chart["kind"] == "digest_chart"


def test_no_chart_without_figures(relais, standin):
    propose(relais, "Sans chiffres", MONDAY + timedelta(days=1), {"bib-x": MONDAY + timedelta(days=1)})
    jobs.tick(relais, at(relais, "2026-12-07T09:00"))
    wait_followups()
    assert outbox_rows.get(relais.db, "digest:2026-W50")["status"] == "sent"
    assert outbox_rows.get(relais.db, "digest:2026-W50:chart") is None
    assert standin.calls("files.completeUploadExternal") == []


def test_chart_series_and_png(relais, known):
    series = build_chart_series(relais, MONDAY)
    assert series.weeks[0] == date(2026, 10, 12) and series.weeks[-1] == date(2026, 11, 30)
    by_slug = {slug: (owner, values) for slug, _name, owner, values in series.outlets}
    assert by_slug["udem-facebook"] == ("university", (0, 0, 0, 0, 0, 0, 0, 19279))
    assert by_slug["bib-facebook"] == ("library", (0, 0, 0, 0, 0, 0, 0, 821))
    assert by_slug["udem-instagram-story"][1][1] == 2800  # published 19 October, the second week
    from bot.stats.chart import views_chart

    assert series.reach.multiplier == 19279 / 821  # the proposal on both kinds of outlets, those weeks
    png = views_chart(series, translator("fr"))
    assert png.startswith(b"\x89PNG") and len(png) < 200_000
    width, height = struct.unpack(">II", png[16:24])  # IHDR: large enough to read where Slack previews it
    assert (width, height) == (960, 540)
    assert views_chart(build_chart_series(relais, date(2026, 8, 3)), translator("fr")) is None


def test_as_text_reads_like_the_console(relais, known):
    text = as_text(render(build(relais, MONDAY, at(relais, "2026-12-07T09:00")), translator("fr")), translator("fr"))
    assert text.startswith("══ Bilan de la semaine du lundi 7 décembre 2026 ══")
    assert "Horaires <prolongés> & 24/7" in text  # entities decoded for the terminal
    assert "— @U0OWNERD" in text
    assert "23,5 fois plus de vues que les comptes des bibliothèques" in text


def test_results_keep_the_last_known_interactions_and_say_n_d_for_unknown_ones(relais):
    """Figures as they come (issue 13): a later snapshot without interactions keeps the earlier count;
    interactions never given are n. d., left out of the total and counted."""
    _, p = propose(
        relais,
        "Heures prolongées",
        date(2026, 12, 1),
        {"udem-facebook": date(2026, 11, 24), "udem-linkedin": date(2026, 11, 24), "udem-x": date(2026, 11, 24)},
    )
    for slug in p:
        move(relais, p[slug], "published", "2026-12-01T10:00", published_on=date(2026, 12, 1))
    figures(relais, p["udem-facebook"], 1000, 80, "2026-12-03T10:00")
    figures(relais, p["udem-facebook"], 1500, None, "2026-12-05T10:00")  # views only: 80 stays current
    figures(relais, p["udem-linkedin"], 1257, None, "2026-12-03T10:00")  # never known
    _, q = propose(relais, "Autre", date(2026, 12, 2), {"udem-linkedin": date(2026, 11, 25)})
    move(relais, q["udem-linkedin"], "published", "2026-12-02T10:00", published_on=date(2026, 12, 2))
    figures(relais, q["udem-linkedin"], 300, 12, "2026-12-04T10:00")
    figures(relais, p["udem-x"], 50, None, "2026-12-04T10:00")
    digest = build(relais, MONDAY, at(relais, "2026-12-07T09:00"))
    by_slug = {o.slug: o for o in digest.section("last_week").items}
    assert (by_slug["udem-facebook"].views, by_slug["udem-facebook"].interactions) == (1500, 80)
    assert (by_slug["udem-linkedin"].interactions, by_slug["udem-linkedin"].interactions_missing) == (12, 1)
    body = "\n".join(texts(render(digest, translator("fr"))))
    assert f"• UdeM — Facebook : 1{NBSP}500 vues, 80 interactions (1 publication)" in body
    assert "12 interactions (2 publications) · interactions n. d. pour 1" in body
    assert "50 vues, interactions n. d. (1 publication)" in body
    assert ", 0 interactions" not in body

"""The weekly digest end to end: `python -m bot digest`, `tick` run by two processes at once, the
Procfile's web process and its scheduler, the console's `:digest` — all against the Slack stand-in.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from bot.clock import parse_instant, to_text
from storage import proposals, stats
from storage.db import Store
from tests.conftest import wait_until

pytestmark = pytest.mark.e2e

NBSP = "\u00a0"


def _at(text: str) -> str:
    return to_text(parse_instant(text, ZoneInfo("America/Montreal")))


def seed(env) -> dict:
    """Outlets are synced by a first command; then a small week: one post going out, last week's figures."""
    store = Store(env["DATABASE_PATH"])
    db = store.db
    ids = {}
    with db.atomic():
        ids["zoo"] = proposals.create(
            db,
            title="Zooanimation <examens>",
            publish_on=date(2026, 12, 9),
            owner_id="U0OWNER1",
            now=_at("2026-11-20T10:00"),
            outlets=[("udem-facebook", date(2026, 12, 2)), ("bib-facebook", date(2026, 12, 9))],
        )
        ids["booking"] = proposals.create(
            db,
            title="Réservation de places",
            publish_on=date(2026, 11, 30),
            owner_id="U0OWNERD",
            now=_at("2026-11-20T10:00"),
            outlets=[("udem-facebook", date(2026, 11, 23)), ("bib-facebook", date(2026, 11, 30))],
        )
        for views, placement in zip((19279, 821), proposals.placements_of(db, ids["booking"]), strict=False):
            proposals.set_placement_status(
                db,
                placement["id"],
                "published",
                actor="U0COMMS",
                now=_at("2026-11-30T10:00"),
                published_on=date(2026, 11, 30),
            )
            stats.record(
                db,
                placement["id"],
                views=views,
                interactions=views // 20,
                avg_seconds=None,
                recorded_by="U0OWNERD",
                recorded_at=_at("2026-12-02T10:00"),
            )
    store.close()
    return ids


def prepared(cli, env) -> dict:
    first = cli("digest", "--dry-run", "--at", "2026-11-23T09:00")  # creates and migrates the database, syncs outlets
    assert first.returncode == 0, first.stderr
    return seed(env)


def digest_posts(standin, day_text="lundi 7 décembre 2026"):
    return [
        c
        for c in standin.calls("chat.postMessage")
        if c.args.get("channel") == "C0COMMS"
        and not c.args.get("thread_ts")
        and f"semaine du {day_text}" in str(c.args.get("blocks"))
    ]


def outbox_rows(env, kind_prefix="digest"):
    store = Store(env["DATABASE_PATH"])
    try:
        return list(
            store.db.query(
                "SELECT key, kind, status, due_at FROM outbox WHERE kind LIKE ? ORDER BY id", [kind_prefix + "%"]
            )
        )
    finally:
        store.close()


def test_dry_run_prints_the_digest_and_writes_the_chart_without_posting(cli, env, standin, tmp_path):
    prepared(cli, env)
    result = cli("digest", "--dry-run", "--at", "2026-12-07T09:00")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("══ Bilan de la semaine du lundi 7 décembre 2026 ══")
    assert "Zooanimation <examens> → UdeM — Facebook (planifié), Bibliothèques — Facebook (planifié)" in out
    assert f"• UdeM — Facebook : 19{NBSP}279 vues, 963 interactions (1 publication)" in out
    assert "23,5 fois plus de vues" in out and "— @U0OWNERD" in out
    chart = tmp_path / "digest-2026-W50.png"
    assert f"Graphique écrit dans {chart}." in out
    assert chart.read_bytes().startswith(b"\x89PNG")
    assert standin.calls("chat.postMessage") == [] and standin.calls("files.completeUploadExternal") == []
    assert outbox_rows(env) == []

    other = tmp_path / "charts" / "week.png"
    result = cli("digest", "--dry-run", "--at", "2026-12-08T15:00", "--chart", str(other), BOT_LANGUAGE="en")
    assert result.stdout.startswith("══ Digest for the week of Monday, December 7, 2026 ══")
    assert other.read_bytes().startswith(b"\x89PNG")


def test_dry_run_of_an_empty_week_has_no_chart(cli, tmp_path, standin):
    # (not the week of 7 December: the writing mornings' prompt comes on the 18th, a closure after it)
    result = cli("digest", "--dry-run", "--at", "2027-02-01T09:00")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0].startswith("*Bilan de la semaine du lundi 1er février 2027* : semaine calme")
    assert lines[1] == "Pas de graphique : aucun chiffre enregistré pour les publications des 8 dernières semaines."
    assert len(lines) == 2
    assert not (tmp_path / "digest-2027-W05.png").exists()


def test_digest_command_sends_once_with_its_chart_in_the_thread(cli, env, standin):
    prepared(cli, env)
    result = cli("digest", "--at", "2026-12-07T09:00")
    assert result.returncode == 0, result.stderr
    assert "Bilan 2026-W50 envoyé dans C0COMMS" in result.stdout
    (post,) = digest_posts(standin)
    (upload,) = standin.calls("files.completeUploadExternal")
    assert upload.args["thread_ts"] == post.result["ts"] and upload.args["channel_id"] == "C0COMMS"
    again = cli("digest", "--at", "2026-12-07T10:00")
    assert again.returncode == 0 and "Bilan 2026-W50 envoyé" in again.stdout
    assert len(digest_posts(standin)) == 1 and len(standin.calls("files.completeUploadExternal")) == 1


def test_two_processes_ticking_at_once_post_one_digest(cli, env, standin):
    prepared(cli, env)
    before = cli("tick", "--at", "2027-03-15T08:59")  # the day after the spring clock change
    assert before.returncode == 0, before.stderr
    assert digest_posts(standin, "lundi 15 mars 2027") == []
    assert [(r["key"], r["status"], r["due_at"]) for r in outbox_rows(env) if r["key"] == "digest:2027-W11"] == [
        ("digest:2027-W11", "pending", "2027-03-15T13:00:00Z")
    ]  # 09:00 EDT

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: cli("tick", "--at", "2027-03-15T09:00"), range(2)))
    assert len(digest_posts(standin, "lundi 15 mars 2027")) == 1
    assert {r["key"]: r["status"] for r in outbox_rows(env)}["digest:2027-W11"] == "sent"
    assert sum("digest:2027-W11 " in r.stdout for r in results) == 1  # one process says it sent it
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]


def test_the_web_process_scheduler_posts_the_digest_and_its_chart(cli, env, standin, web_with):
    prepared(cli, env)
    web_with(RELAIS_NOW="2026-12-07T09:00:20")  # started just after 09:00 on Monday: its first tick sends it
    post = wait_until(lambda: (digest_posts(standin) or [None])[0], timeout=20)
    body = str(post.args["blocks"])
    assert "Zooanimation &lt;examens&gt;" in body and "23,5 fois plus de vues" in body
    upload = wait_until(lambda: standin.calls("files.completeUploadExternal"), timeout=20)[0]
    assert upload.args["thread_ts"] == post.result["ts"]
    wait_until(lambda: {r["key"]: r["status"] for r in outbox_rows(env)}.get("digest:2026-W50:chart") == "sent")


def test_console_digest_shows_the_week(cli, env, standin):
    prepared(cli, env)
    result = cli("console", stdin=":digest\n:quit\n", SLACK_BOT_TOKEN="", RELAIS_NOW="2026-12-08T11:00")
    assert result.returncode == 0, result.stderr
    assert "══ Bilan de la semaine du lundi 7 décembre 2026 ══" in result.stdout
    assert "Zooanimation <examens>" in result.stdout
    assert "Le graphique des vues des 8 dernières semaines sera joint dans le fil." in result.stdout
    assert standin.calls("chat.postMessage") == []  # a preview: nothing posted

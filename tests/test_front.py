"""The web process holding up in production (issue 14): a crowd of idle or slow connections, oversized
bodies, a database that cannot be written or is locked by another process, tampered requests, SIGTERM.
Everything against the Procfile's real web process, on 127.0.0.1, with bounded loads."""

from __future__ import annotations

import contextlib
import json
import resource
import socket
import sqlite3
import threading
import time

import pytest
import requests

from tests import slack
from tests.conftest import wait_until
from tests.processes import SECRET

pytestmark = pytest.mark.e2e


def timed(call):
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


# -- D1: a crowd of idle or slow connections; oversized bodies -------------------------------------
def test_signed_requests_and_healthz_answer_while_150_idle_or_slow_connections_are_held(web):
    held: list[socket.socket] = []
    try:
        for number in range(150):
            conn = socket.create_connection(("127.0.0.1", web.port), timeout=5)
            if number % 2:  # slow: a request that never ends, a header line now and then
                conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
            held.append(conn)
        time.sleep(0.5)
        for _ in range(3):
            health, took = timed(lambda: requests.get(web.url + "/healthz", timeout=5))
            assert health.status_code in (200, 503) and took < 1.0, took
            answer, took = timed(lambda: web.slash("/propose", "help"))
            assert answer.status_code == 200 and took < 3.0, took
            assert "/propose" in answer.json()["text"]
            for conn in held[1::2]:
                with contextlib.suppress(OSError):
                    conn.sendall(b"X-Slow: 1\r\n")
            time.sleep(0.3)
    finally:
        for conn in held:
            conn.close()


def test_a_body_over_the_limit_is_refused_before_it_is_read(web):
    body = slack.slash_body("/propose", "help")
    head = "".join(f"{k}: {v}\r\n" for k, v in slack.sign(SECRET, body).items())
    # Announced: answered 413 from the headers alone, no byte of the body sent.
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as raw:
        raw.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}Content-Length: 1000000000\r\n\r\n".encode())
        assert raw.recv(4096).startswith(b"HTTP/1.1 413")
    # Chunked, without a length: refused once the limit is passed; the rest is never read.
    sent = 0
    chunk = b"x" * 65536
    with socket.create_connection(("127.0.0.1", web.port), timeout=5) as raw:
        raw.sendall(f"POST /slack/events HTTP/1.1\r\nHost: x\r\n{head}Transfer-Encoding: chunked\r\n\r\n".encode())
        with contextlib.suppress(OSError):
            while sent < 64 * 1024 * 1024:
                raw.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
                sent += len(chunk)
        answer = b""
        with contextlib.suppress(OSError):
            answer = raw.recv(4096)
    assert sent < 8 * 1024 * 1024, sent  # what was sent includes the kernel's socket buffers
    assert answer.startswith(b"HTTP/1.1 413") or answer == b"", answer[:40]
    assert web.slash("/propose", "help").status_code == 200


# -- D6: tampered metadata; the workspace check whatever the Content-Type ----------------------------
def test_a_view_submission_with_tampered_metadata_is_a_400_not_a_traceback(web):
    for meta in ({"placement_id": "abc"}, {"placement_id": [1]}, {"proposal_id": 1.5}, {"placements": ["1"]}):
        for callback in ("placement_published", "placement_declined", "propose_edit", "stats_record"):
            view = {"callback_id": callback, "private_metadata": json.dumps(meta)}
            answer = web.interact(slack.view_submission(view, {}))
            assert answer.status_code == 400, (meta, callback, answer.status_code)
    assert "Traceback" not in web.output()


def test_the_workspace_check_holds_for_a_json_body_sent_as_a_form(web, standin):
    standin.wait_for("auth.test")  # the bot learns its own workspace (T0001) in the background
    mine = json.loads(slack.event_body({"type": "app_home_opened", "user": "U0JULIETTE", "tab": "home"}))
    theirs = {**mine, "team_id": "T0EVIL"}
    wait_until(lambda: web.post(json.dumps(theirs), content_type="application/json").status_code == 403)
    form = "application/x-www-form-urlencoded"
    assert web.post(json.dumps(theirs), content_type=form).status_code == 403
    command = {"command": "/propose", "text": "help", "user_id": "U0JULIETTE"}
    assert web.post(json.dumps({**command, "team_id": "T0EVIL"}), content_type=form).status_code == 403
    assert web.post(json.dumps({**command, "team_id": "T0001"}), content_type=form).status_code == 200


# -- D4: another process holds the write lock ---------------------------------------------------------
def count(env, sql: str) -> int:
    with sqlite3.connect(env["DATABASE_PATH"], timeout=30) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_request_that_cannot_get_the_write_lock_says_busy_within_3_s_and_changes_nothing(web, env):
    holder = sqlite3.connect(env["DATABASE_PATH"], timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process (a cron tick, a backup script) holds the lock
    try:
        answer, took = timed(lambda: web.slash("/propose", "Occupée | 2026-12-18 | bib-facebook"))
        assert answer.status_code == 200 and took < 3.0, (answer.status_code, took)
        assert "occupé" in answer.json()["text"], answer.text
        helped, took = timed(lambda: web.slash("/propose", "list"))
        assert helped.status_code == 200 and took < 3.0 and "occupé" not in helped.text
    finally:
        holder.execute("COMMIT")
        holder.close()
    time.sleep(1.0)
    assert count(env, "SELECT COUNT(*) FROM proposals") == 0
    assert "Traceback" not in web.output()
    again = web.slash("/propose", "Occupée | 2026-12-18 | bib-facebook")
    assert "occupé" not in again.text
    assert count(env, "SELECT COUNT(*) FROM proposals") == 1


# -- D2: a database that cannot be written ----------------------------------------------------------
def test_when_the_database_cannot_be_written_reading_commands_answer_and_healthz_says_so(web, env):
    assert web.slash("/propose", "Avant | 2026-12-18 | bib-facebook").status_code == 200
    # its card is sent first: a write under way when the disk fills is another story than this one
    wait_until(lambda: count(env, "SELECT COUNT(*) FROM outbox WHERE kind = 'card' AND status = 'sent'") == 1)
    # a probe just before: the next one, within the same second, must not be fooled by an unchanged value
    # (SQLite writes nothing for a page rewritten with the same bytes)
    assert requests.get(web.url + "/healthz", timeout=5).status_code == 200
    with sqlite3.connect(env["DATABASE_PATH"], timeout=30) as conn:  # an empty WAL: the next write must grow it
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    limit = resource.prlimit(web.proc.pid, resource.RLIMIT_FSIZE)
    resource.prlimit(web.proc.pid, resource.RLIMIT_FSIZE, (1, limit[1]))  # as if the disk were full
    try:
        health = requests.get(web.url + "/healthz", timeout=5)
        assert health.status_code == 503 and "database cannot be written" in str(health.json()["problems"]), health.text
        for command, text in (
            ("/propose", "help"),
            ("/propose", "list"),
            ("/propose", "show 1"),
            ("/propose", "outlets"),
            ("/stats", "help"),
            ("/stats", "report"),
        ):
            answer = web.slash(command, text)
            assert answer.status_code == 200, (command, text, answer.status_code)
            assert "Un problème inattendu" not in answer.text and "enregistrer" not in answer.text, (command, text)
        refused = web.slash("/propose", "Pendant | 2026-12-18 | bib-facebook")
        assert refused.status_code == 200 and "enregistrer" in refused.json()["text"]
    finally:
        resource.prlimit(web.proc.pid, resource.RLIMIT_FSIZE, limit)
    assert count(env, "SELECT COUNT(*) FROM proposals") == 1


# -- issue 14 item 9: help and refusals never touch the write path; replays after a restart ---------------
def test_help_lists_and_refusals_answer_at_once_while_another_process_holds_the_write_lock(web, env, standin):
    assert web.slash("/propose", "Avant | 2026-12-18 | bib-facebook").status_code == 200
    placement = count(env, "SELECT id FROM placements")
    holder = sqlite3.connect(env["DATABASE_PATH"], timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        for command, text, said in (
            ("/propose", "help", "/propose"),
            ("/stats", "help", "/stats"),
            ("/propose", "list", "Avant"),
            ("/propose", "Nulle part | 2026-12-18 | canal-inconnu", "canal-inconnu"),
            ("/propose", "Sans date | | bib-facebook", "date"),
        ):
            answer, took = timed(lambda command=command, text=text: web.slash(command, text))
            assert answer.status_code == 200 and "occupé" not in answer.text, answer.text
            assert said in answer.text and took < 0.9, (text, took)  # waiting for the lock: 1 s (ACK_PATIENCE)
        # A refused click: acknowledged at once, the refusal said where it was clicked.
        click = slack.block_actions("placement_submitted", f"{placement}:planned", response_url=standin.response_url())
        answer, took = timed(lambda: web.interact(click))
        assert answer.status_code == 200 and took < 0.9, took
        refusal = standin.wait_for("response_url", timeout=5)
        assert refusal and "occupé" not in json.dumps(refusal[-1].args, ensure_ascii=False)
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert count(env, "SELECT COUNT(*) FROM proposals") == 1
    assert "Traceback" not in web.output()


def test_a_request_replayed_to_a_restarted_process_changes_nothing(web_with, env):
    body = slack.slash_body("/propose", "Une fois | 2026-12-18 | bib-facebook")
    headers = slack.sign(SECRET, body)
    first = web_with()
    assert "n° 1" in first.post(body, headers=headers).json()["text"]
    first.stop()
    again = web_with().post(body, headers=headers)  # a new process remembers no signature: the database does
    assert again.status_code == 200 and again.text == ""
    assert count(env, "SELECT COUNT(*) FROM proposals") == 1


def test_clicks_are_acknowledged_at_once_while_slack_answers_every_call_after_2_s(web, env, standin):
    """The words told to each clicker wait on Slack in threads of their own, never in the listeners' pool
    that produces the acks (60 refused clicks at once would hold its 32 threads for 2 s each)."""
    assert web.slash("/propose", "Lente | 2026-12-18 | bib-facebook").status_code == 200
    placement = count(env, "SELECT id FROM placements")
    standin.delay = 2.0
    took: list[float] = []

    def clicker() -> None:
        for _ in range(3):  # "submitted" on the library's own outlet: refused, said to the clicker
            click = slack.block_actions(
                "placement_submitted", f"{placement}:planned", response_url=standin.response_url()
            )
            answer, seconds = timed(lambda click=click: web.interact(click))
            assert answer.status_code == 200
            took.append(seconds)

    try:
        threads = [threading.Thread(target=clicker) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(took) == 60 and max(took) < 1.5, sorted(took)[-5:]
        assert len(standin.wait_for("response_url", count=60, timeout=30)) == 60  # every refusal said, later
    finally:
        standin.delay = 0.0

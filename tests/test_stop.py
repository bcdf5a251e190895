"""Stopping as a platform stops a process (issue 14, item 5): SIGTERM (or SIGINT) to the Procfile's real
web process. The request in flight gets its answer, a new connection is refused, the message being posted
is answered by Slack and marked sent once, the exit code is 0 within 10 s, and after a restart nothing is
posted twice."""

from __future__ import annotations

import signal
import socket
import sqlite3
import threading
import time

import pytest
import requests

from tests import test_socket_e2e as socket_mode
from tests.conftest import wait_until
from tests.processes import WebProcess

pytestmark = pytest.mark.e2e

# the Procfile's worker and its Slack stand-ins, as tests/test_socket_e2e.py starts them
sockets, socket_env, worker_with, worker = (
    socket_mode.sockets,
    socket_mode.socket_env,
    socket_mode.worker_with,
    socket_mode.worker,
)


def query(env, sql: str, *params):
    with sqlite3.connect(env["DATABASE_PATH"], timeout=30) as conn:
        return conn.execute(sql, params).fetchall()


def card_posts(standin, title: str) -> list:
    return [c for c in standin.calls("chat.postMessage") if title in str(c.args.get("blocks") or c.args.get("text"))]


def stopped_within(web: WebProcess, seconds: float) -> tuple[int, float]:
    started = time.monotonic()
    code = web.proc.wait(seconds + 5)
    return code, time.monotonic() - started


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_request_in_flight_is_answered_new_connections_are_refused_and_the_exit_is_0(
    web, env, tmp_path, standin, signum
):
    wait_until(lambda: query(env, "SELECT COUNT(*) FROM outbox")[0][0] >= 0)
    holder = sqlite3.connect(env["DATABASE_PATH"], timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the request waits for the write lock: it is in flight for a while
    answers: list = []

    def propose():
        try:
            answers.append(web.slash("/propose", "Arrêt en douceur | 2026-12-18 | bib-facebook"))
        except requests.RequestException as error:
            answers.append(error)

    asking = threading.Thread(target=propose)
    try:
        asking.start()
        time.sleep(0.3)
        web.proc.send_signal(signum)
        wait_until(lambda: "Relais stopping" in web.output(), timeout=5)
        assert refused(web.port)  # the listening socket is closed: a new connection is refused at once
        assert web.proc.poll() is None  # still answering the request in flight
    finally:
        holder.execute("COMMIT")
        holder.close()
    asking.join(10)
    assert len(answers) == 1 and not isinstance(answers[0], Exception), answers
    assert answers[0].status_code == 200, answers[0].text
    assert "text" in answers[0].json()  # Slack's answer: the proposal's confirmation, or "busy" said in words
    code, took = stopped_within(web, 10)
    assert code == 0 and took < 10, (code, took, web.output())
    output = web.output()
    assert output.count("Relais stopping") == 1 and output.count("Relais stopped") == 1, output
    assert "Traceback" not in output

    created = query(env, "SELECT COUNT(*) FROM proposals WHERE title = 'Arrêt en douceur'")[0][0]
    # After a restart, the card owed (if the proposal went through) is posted once; nothing else is repeated.
    again = WebProcess(env, tmp_path).start()
    try:
        if created:
            wait_until(lambda: card_posts(standin, "Arrêt en douceur"), timeout=15)
        time.sleep(1.5)
        assert len(card_posts(standin, "Arrêt en douceur")) == created
        keys = [k for (k,) in query(env, "SELECT key FROM outbox WHERE status = 'sent'")]
        assert len(keys) == len(set(keys)) == len(standin.calls("chat.postMessage"))
    finally:
        again.stop()


def test_a_message_being_posted_is_answered_and_marked_sent_once_and_not_posted_again_after_a_restart(
    web, env, tmp_path, standin
):
    standin.delay = 3.0  # Slack takes 3 s to answer every call
    answer = web.slash("/propose", "Carte en route | 2026-12-18 | bib-facebook")
    assert answer.status_code == 200, answer.text
    posting = "SELECT key FROM outbox WHERE kind = 'card' AND status = 'sending' AND posting_at IS NOT NULL"
    key = wait_until(lambda: query(env, posting), timeout=15)[0][0]  # the card is being posted right now
    assert card_posts(standin, "Carte en route") == []  # Slack has not answered yet
    web.proc.terminate()
    code, took = stopped_within(web, 10)
    assert code == 0 and took < 10, (code, took, web.output())
    assert len(card_posts(standin, "Carte en route")) == 1
    status, ts = query(env, "SELECT status, slack_ts FROM outbox WHERE key = ?", key)[0]
    assert status == "sent" and ts, (status, ts)
    assert "cutting short" not in web.output()

    standin.delay = 0.0
    again = WebProcess(env, tmp_path).start()
    try:
        wait_until(lambda: "Relais over HTTP" in again.output())
        time.sleep(2.0)  # the catch-up tick at start has run
        assert len(card_posts(standin, "Carte en route")) == 1
        assert query(env, "SELECT COUNT(*) FROM outbox WHERE status = 'sending'")[0][0] == 0
    finally:
        again.stop()


def test_a_listener_still_working_after_its_ack_finishes_before_the_exit(web, standin):
    standin.delay = 2.0  # Slack takes 2 s to open the form
    answer = web.slash("/propose", "")  # acknowledged at once; the form is opened after the ack
    assert answer.status_code == 200
    web.proc.terminate()
    code, took = stopped_within(web, 10)
    assert code == 0 and took < 10, (code, took, web.output())
    assert len(standin.calls("views.open")) == 1  # the form was opened: Slack answered before the exit
    assert "cutting short" not in web.output()


def test_a_message_waiting_for_its_turn_is_given_back_at_once_and_sent_once_after_the_restart(
    web_with, env, tmp_path, standin
):
    web = web_with(SLACK_PACE_SECONDS="5")  # one new message every 5 s in a channel
    assert web.slash("/propose", "Première | 2026-12-18 | bib-facebook").status_code == 200
    wait_until(lambda: card_posts(standin, "Première"))
    assert web.slash("/propose", "Deuxième | 2026-12-18 | bib-facebook").status_code == 200
    waiting = "SELECT key FROM outbox WHERE kind = 'card' AND status = 'sending' AND posting_at IS NULL"
    key = wait_until(lambda: query(env, waiting), timeout=15)[0][0]  # claimed, waiting for the channel's turn
    time.sleep(0.3)
    web.proc.terminate()
    code, took = stopped_within(web, 10)
    assert code == 0 and took < 2, (code, took, web.output())  # the wait for its turn is cut short
    status, attempts, claimed_by = query(env, "SELECT status, attempts, claimed_by FROM outbox WHERE key = ?", key)[0]
    assert (status, attempts, claimed_by) == ("pending", 0, None)  # given back, its attempt refunded
    assert card_posts(standin, "Deuxième") == []

    again = WebProcess({**env, "SLACK_PACE_SECONDS": "0"}, tmp_path).start()
    try:
        wait_until(lambda: card_posts(standin, "Deuxième"), timeout=15)
        time.sleep(1.5)
        assert len(card_posts(standin, "Deuxième")) == 1 and len(card_posts(standin, "Première")) == 1
    finally:
        again.stop()


# -- the Procfile's worker (Socket Mode) --------------------------------------------------------------
def test_socket_mode_acknowledges_the_envelope_under_way_takes_no_new_one_and_exits_0(worker, sockets, socket_env):
    holder = sqlite3.connect(socket_env["DATABASE_PATH"], timeout=30, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the envelope's handler waits for the write lock: under way for a while
    try:
        envelope_id = sockets.push(sockets.slash("/propose", "En vol | 2026-12-18 | bib-facebook"))
        time.sleep(0.3)
        worker.proc.terminate()
        wait_until(lambda: "Relais stopping" in worker.output(), timeout=5)
        late = sockets.push(sockets.slash("/propose", "help"))  # after the signal: not taken
    finally:
        holder.execute("COMMIT")
        holder.close()
    ack = sockets.wait_for_ack(envelope_id, 10)
    assert ack is not None and "payload" in ack, ack
    started = time.monotonic()
    assert worker.proc.wait(10) == 0
    assert time.monotonic() - started < 10
    assert sockets.wait_for_ack(late, 0.5) is None
    wait_until(lambda: worker.connection.closed)
    output = worker.output()
    assert output.count("Relais stopping") == 1 and output.count("Relais stopped") == 1, output
    assert "Traceback" not in output


def test_socket_mode_finishes_the_message_being_posted_and_a_restart_does_not_post_it_again(
    worker_with, sockets, socket_env, standin
):
    worker = worker_with()
    standin.delay = 3.0
    assert sockets.wait_for_ack(
        sockets.push(sockets.slash("/propose", "Carte du worker | 2026-12-18 | bib-facebook")), 15
    )
    posting = "SELECT key FROM outbox WHERE kind = 'card' AND status = 'sending' AND posting_at IS NOT NULL"
    key = wait_until(lambda: query(socket_env, posting), timeout=15)[0][0]
    worker.proc.terminate()
    assert worker.proc.wait(10) == 0
    assert len(card_posts(standin, "Carte du worker")) == 1
    assert query(socket_env, "SELECT status FROM outbox WHERE key = ?", key)[0][0] == "sent"
    standin.delay = 0.0
    worker_with()
    time.sleep(2.0)  # the catch-up tick at start has run
    assert len(card_posts(standin, "Carte du worker")) == 1

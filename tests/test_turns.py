"""Listeners take turns until their ack (bot.runtime.app.Turns): first come first served, a turn ends at the
ack, and a listener held up before its ack delays the others `patience` at most."""

import threading
import time

from bot.runtime.app import HandedAck, RequestExecutor, Turns, _handover


def test_turns_go_in_the_order_they_were_asked_for():
    turns = Turns(patience=5)
    assert turns.take()  # the first turn is free
    order: list[int] = []
    started: list[threading.Thread] = []
    for n in range(5):
        thread = threading.Thread(target=lambda n=n: (turns.take(), order.append(n), turns.hand_over()))
        thread.start()
        started.append(thread)
        time.sleep(0.02)  # each asks after the one before
    turns.hand_over()
    for thread in started:
        thread.join(5)
    assert order == [0, 1, 2, 3, 4]


def test_a_turn_not_given_within_patience_is_gone_without():
    turns = Turns(patience=0.05)
    assert turns.take()
    began = time.monotonic()
    assert turns.take() is False  # the first holder never hands over
    assert 0.04 <= time.monotonic() - began < 1
    turns.hand_over()
    assert turns.take()  # the one that gave up left no place in the queue behind it


def _submit(pool: RequestExecutor, work) -> tuple[HandedAck, object]:
    """As Bolt does from a request's thread: the middleware hands the ack over, the listener is submitted."""
    ack = HandedAck()
    _handover.ack = ack
    return ack, pool.submit(work, ack)


def test_a_turn_ends_at_the_ack_not_when_the_listener_returns():
    pool = RequestExecutor(max_workers=4)
    after_ack = threading.Event()
    second_acked = threading.Event()

    def slow_after_its_ack(ack):
        ack()
        after_ack.wait(5)  # a form opened, a card posted: after the ack, beside the next turns

    def quick(ack):
        ack()
        second_acked.set()

    try:
        first, _ = _submit(pool, slow_after_its_ack)
        assert first.given.is_set()
        _submit(pool, quick)
        assert second_acked.wait(1), "the second listener waited for the first to return"
    finally:
        after_ack.set()
        pool.shutdown(wait=True)


def test_a_listener_held_up_before_its_ack_delays_the_next_by_patience_at_most():
    pool = RequestExecutor(max_workers=4)
    pool.turns.patience = 0.1
    release = threading.Event()

    def stuck_before_its_ack(ack):
        release.wait(5)  # another process's write lock, a slow Slack
        ack()

    first = threading.Thread(target=_submit, args=(pool, stuck_before_its_ack))  # its request waits on it
    try:
        first.start()
        time.sleep(0.1)  # it has its turn
        began = time.monotonic()
        ack, _ = _submit(pool, lambda ack: ack())
        waited = time.monotonic() - began
        assert ack.given.is_set()
        assert 0.08 <= waited < 1, waited
    finally:
        release.set()
        first.join(5)
        pool.shutdown(wait=True)

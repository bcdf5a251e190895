"""Slack calls a listener makes after its ack and waits for no answer of (an ephemeral word to the person
who clicked): a few threads send them in turn.

A listener's thread belongs to the pool that produces acks (bot.runtime.app.RequestExecutor). Were it to
wait on a slow Slack for each refusal it tells, a burst of clicks would hold every thread of that pool and
the next clicks' acks would wait for Slack too. Queued here, a slow Slack delays the words, never the acks.

    replies.send(fn, *args)     # from a listener: queued; anywhere else (console, CLI): called at once
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

log = logging.getLogger("relais.replies")

REPLY_THREADS = 8
_queue: queue.SimpleQueue | None = None
_queue_lock = threading.Lock()
_local = threading.local()


def deferring(on: bool) -> None:
    """This thread runs listeners: what it sends after its ack is queued."""
    _local.on = on


def send(fn: Callable, *args, **kwargs) -> None:
    if not getattr(_local, "on", False):
        fn(*args, **kwargs)
        return
    global _queue
    with _queue_lock:
        if _queue is None:
            _queue = queue.SimpleQueue()
            for number in range(REPLY_THREADS):  # daemons: an exit never waits for Slack
                threading.Thread(target=_replier, args=(_queue,), name=f"relais-reply-{number}", daemon=True).start()
    _queue.put((fn, args, kwargs))


def _replier(work: queue.SimpleQueue) -> None:
    while True:
        fn, args, kwargs = work.get()
        try:
            fn(*args, **kwargs)
        except Exception:
            log.warning("a reply could not be sent", exc_info=True)

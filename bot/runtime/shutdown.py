"""Stopping `serve` and `socket` as a platform stops them: SIGTERM (a deploy, a restart, a scale-down), or
SIGINT (Ctrl-C).

From the signal on, within GRACE seconds, then exit 0:
- nothing new starts: no new connection (serve) or envelope (socket) is taken, the scheduler ticks no
  more, the outbox claims nothing and starts no new post (bot.outbox.stop);
- what is under way finishes: the requests received are answered and their answers sent, Bolt's
  listeners still working after their ack end, and a message being posted gets Slack's answer and is
  marked sent before the exit: it is never cut between the two;
- one log line says it is stopping, one that it has stopped.

Rows owed and not sent stay owed: the first tick after the restart sends them, once each. Should something
still run when GRACE is over (Slack slower than that to answer a post), the process exits all the same
(exit 0, a warning naming what was cut): that is a crash for that message, sent again after the restart.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable

from bot import outbox
from bot.runtime.app import RequestExecutor
from bot.runtime.scheduler import Running

log = logging.getLogger("relais")

GRACE = 8.0  # seconds from the signal to the exit; platforms kill after 10 s (Docker) to 30 s (Heroku, Kubernetes)
SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Shutdown:
    """The stop of one long-running process: `install()` the handlers, wait for `requested`, then `begin()`,
    finish the front (HTTP requests, envelopes), `finish()` the rest and `exit()`."""

    def __init__(self, grace: float = GRACE):
        self.grace = grace
        self.requested = threading.Event()
        self.signal_name = ""
        self._since: float | None = None
        self._wake: list[Callable[[], None]] = []

    def install(self, wake: Callable[[], None] | None = None) -> None:
        """Handle SIGTERM and SIGINT from now on; `wake` is called in the handler (it must be safe there: a
        pipe write) to wake a loop waiting on something else than `requested`. May be called again to add a
        `wake` (a signal already received has been seen: the loop checks `requested` before it waits)."""
        if wake is not None:
            self._wake.append(wake)
        for signum in SIGNALS:
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, frame) -> None:
        if self.requested.is_set():
            return  # a second TERM (or Ctrl-C) does not cut the stop short
        self.signal_name = signal.Signals(signum).name
        self._since = time.monotonic()
        self.requested.set()
        for wake in self._wake:
            wake()

    def remaining(self) -> float:
        """Seconds left before the exit."""
        if self._since is None:
            return self.grace
        return max(0.0, self._since + self.grace - time.monotonic())

    def elapsed(self) -> float:
        return 0.0 if self._since is None else time.monotonic() - self._since

    def begin(self, scheduler: Running | None) -> None:
        """Nothing new from now on: the scheduler's loop ends after the tick under way, the outbox claims and
        posts nothing more (what is being posted goes on)."""
        if scheduler is not None:
            scheduler.set()
        outbox.stop(0)

    def finish(self, scheduler: Running | None, listeners: RequestExecutor | None) -> list[str]:
        """Wait, within the grace, for what runs besides the front; returns what did not end in time."""
        cut: list[str] = []
        if listeners is not None and not listeners.finish(self.remaining()):
            cut.append("Bolt listeners still running")
        if not outbox.stop(self.remaining()):
            cut.append("a message Slack had not answered")
        if scheduler is not None and not scheduler.join(self.remaining()):
            cut.append("the scheduler's tick")
        return cut

    def exit(self, cut: list[str]) -> int:
        """The last line; exit 0. With work cut short, the process ends at once (os._exit): daemon threads
        would be killed at exit anyway, and the interpreter must not wait for the listener pool."""
        if cut:
            log.warning(
                "Relais stopped (%s) after %.1f s, cutting short: %s", self.signal_name, self.elapsed(), ", ".join(cut)
            )
            logging.shutdown()
            os._exit(0)
        log.info("Relais stopped (%s) in %.1f s: nothing left under way", self.signal_name, self.elapsed())
        return 0

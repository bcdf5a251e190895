"""The Bolt app, built by a factory (never at import: a build must not call Slack).

Authorization is local: the bot token comes from the settings, so no request ever waits on
`auth.test` before it is acknowledged. The bot's own user ID is learnt in the background.

Bolt does not verify signatures again: over HTTP every request reaches it through bot.runtime.web's front,
which verifies each one (401 otherwise) before `dispatch`; Socket Mode has no signatures and the
console builds its own requests. Listeners run in a pool large enough that a few of them waiting on
a slow Slack after their ack never leave a new request without a thread to produce its ack.

Bolt's request thread polls for the listener's ack every 10 ms: most acks would wait for that poll,
longer than the listener takes. The ack is handed over instead (HandedAck): the request's thread
waits on an event set the moment the listener acks, and answers at once.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import Ack, App
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.listener_matcher import ListenerMatcher
from slack_bolt.listener_matcher.builtins import BuiltinListenerMatcher
from slack_sdk import WebClient

from bot import replies
from bot.clock import to_text
from bot.context import CONSOLE_TOKEN, Relais
from handlers import errors
from storage import kv, reference
from storage.db import current_claim, limits, set_claim, set_limits

log = logging.getLogger("relais.app")

LISTENER_THREADS = 32  # Bolt's default is 5: five listeners waiting on Slack would hold every later ack
ACK_PATIENCE = 1.0  # seconds a request waits for the write lock before it answers "busy" (Slack waits 3)


HANDOVER_WAIT = 3.0  # seconds the request's thread waits for the ack it handed over (Bolt's own ack timeout)


TURN_PATIENCE = 0.1  # seconds a listener waits for its turn before going on regardless (Turns)


class HandedAck(Ack):
    """Bolt's ack, which also says at once that it was given (`given`), and calls `on_given` once it is."""

    def __init__(self) -> None:
        super().__init__()
        self.given = threading.Event()
        self.on_given: Callable[[], None] | None = None

    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.given.set()
            if self.on_given is not None:
                self.on_given()


class Turns:
    """Listeners working toward their ack take turns, first come first served.

    Python runs one thread at a time (the interpreter lock): eight listeners working at once share the
    processor anyway, each slowed by the others and by the switches between them at every database call,
    and the earliest request is not answered first. In turns, each one's work is done at once and in the
    order the requests came: under a burst, acks are given sooner, the last ones most. A turn ends with
    the ack (what follows it, a form opened or a card posted, runs beside the next turns). A listener that
    waited `patience` for its turn goes on regardless: one held up before its ack (another process's write
    lock, a Slack call) delays the others that long at most."""

    def __init__(self, patience: float = TURN_PATIENCE) -> None:
        self.patience = patience
        self._lock = threading.Lock()
        self._free = True
        self._waiting: collections.deque[threading.Event] = collections.deque()

    def take(self) -> bool:
        """Wait for this thread's turn; False when `patience` ran out first (the caller goes on, turnless)."""
        with self._lock:
            if self._free and not self._waiting:
                self._free = False
                return True
            mine = threading.Event()
            self._waiting.append(mine)
        if mine.wait(self.patience):
            return True
        with self._lock:
            if mine.is_set():  # handed over as the wait ended
                return True
            self._waiting.remove(mine)
            return False

    def hand_over(self) -> None:
        """End this turn: the longest waiting listener's begins."""
        with self._lock:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._free = True


_handover = threading.local()  # the request thread's HandedAck, from the middleware to the executor


class RequestExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, running each listener under the write limits of the thread that received
    the request (storage.db.set_limits): a listener waits ACK_PATIENCE at most for the write lock, and
    its first write claims its request's signature (storage.db.Claim).

    A listener's start returns once it has acked (or ended): Bolt then finds the ack given and answers
    without polling for it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._running = 0
        self._idle = threading.Condition()
        self.turns = Turns()

    def submit(self, fn, /, *args, **kwargs):
        patience, refused = limits()
        claim = current_claim()
        ack = getattr(_handover, "ack", None)
        _handover.ack = None

        def under_limits():
            with self._idle:
                self._running += 1
            set_limits(patience, refused)
            set_claim(claim)
            replies.deferring(True)
            turn = None
            if ack is not None:  # a request waits for this ack: a turn until it is given
                turn = _Turn(self.turns)
                ack.on_given = turn.end
            try:
                with reference.pinned():
                    return fn(*args, **kwargs)
            finally:
                if turn is not None:
                    turn.end()
                set_limits()
                set_claim()
                with self._idle:
                    self._running -= 1
                    self._idle.notify_all()

        future = super().submit(under_limits)
        if ack is not None:
            future.add_done_callback(lambda _: ack.given.set())  # ended without acking: Bolt says so
            ack.given.wait(HANDOVER_WAIT)
        return future

    def finish(self, timeout: float) -> bool:
        """At a stop: take no more work and wait `timeout` seconds at most for the listeners running; True
        when none is left."""
        self.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._running and time.monotonic() < deadline:
                self._idle.wait(deadline - time.monotonic())
            return not self._running


class _Turn:
    """One listener's turn (Turns), ended once: at its ack, or when it returns without one."""

    def __init__(self, turns: Turns) -> None:
        self._turns = turns
        self._held = turns.take()

    def end(self) -> None:
        if self._held:
            self._held = False
            self._turns.hand_over()


def create_app(
    relais: Relais,
    *,
    signing_secret: str | None = None,
    process_before_response: bool = False,
    listeners: RequestExecutor | None = None,
) -> App:
    """The Bolt app; its listeners run in `listeners` (a new pool when None; serve and socket pass theirs, to
    wait for it when they stop)."""
    settings = relais.settings
    token = settings.bot_token or CONSOLE_TOKEN

    def authorize(enterprise_id, team_id, user_id):
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token=token,
            bot_user_id=relais.bot_user_id,
            user_id=user_id,
        )

    app = App(
        name="relais",
        signing_secret=signing_secret if signing_secret is not None else settings.signing_secret,
        authorize=authorize,
        # the token comes from authorize(); slack_sdk annotates `timeout` as int, seconds as a float work
        client=WebClient(base_url=settings.api_url, timeout=settings.slack_timeout),  # type: ignore[arg-type]
        process_before_response=process_before_response,
        request_verification_enabled=False,  # bot.runtime.web verifies every HTTP request before Bolt sees it
        listener_executor=listeners or listener_pool(),
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
        raise_error_for_unhandled_request=False,
        logger=logging.getLogger("relais.bolt"),
    )

    @app.middleware
    def inject_relais(context, next):  # noqa: A002 - Bolt's name
        context["relais"] = relais
        context["ack"] = _handover.ack = HandedAck()
        patience, refused = limits()
        if patience is None:  # Socket Mode: the HTTP front sets them before its replay claim
            set_limits(ACK_PATIENCE, refused)
        return next()

    errors.register(app)  # the global error handler, for every surface
    for register in relais.contributions.listeners:
        register(app)
    lean_matchers(app)
    return app


class BodyMatcher(ListenerMatcher):
    """A built-in matcher (a command's name, an action_id, a view's callback_id…) called with the body alone,
    the one argument it takes."""

    def __init__(self, func) -> None:
        self.func = func

    def matches(self, req, resp) -> bool:
        return self.func(body=req.body)


def lean_matchers(app: App) -> None:
    """Bolt tries the listeners in turn until one matches (a /stats tries some twenty), and for each built-in
    matcher it builds every argument a listener could take (the payload parsed as an action, a view, a
    command, an event…), ~60 µs a try, though the matcher reads only `body`: given `body` alone instead."""
    for listener in app._listeners:
        listener.matchers = [
            BodyMatcher(m.func) if isinstance(m, BuiltinListenerMatcher) and list(m.arg_names) == ["body"] else m
            for m in listener.matchers
        ]


def listener_pool() -> RequestExecutor:
    return RequestExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="relais-listener")


def remembered_identity(relais: Relais) -> None:
    """The bot's user and workspace as last learnt, so requests are checked from the first one."""

    relais.bot_user_id = relais.bot_user_id or kv.get(relais.db, "identity:bot_user_id")
    relais.team_id = relais.team_id or kv.get(relais.db, "identity:team_id")


def learn_identity(relais: Relais) -> None:
    """Ask Slack who the bot is (auth.test), off the request path; harmless when Slack is away."""

    try:
        result = relais.client.auth_test()
    except Exception as error:  # noqa: BLE001 - startup must go on; `check` explains
        log.warning("auth.test failed: %s", error)
        return
    relais.bot_user_id = result.get("user_id")
    relais.team_id = result.get("team_id")
    try:
        with relais.db.atomic():
            now = to_text(relais.clock.now())
            kv.put(relais.db, "identity:bot_user_id", relais.bot_user_id or "", now)
            kv.put(relais.db, "identity:team_id", relais.team_id or "", now)
    finally:
        relais.store.close()

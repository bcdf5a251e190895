"""What every part of Relais shares: settings, the clock, the database, the language, Slack's Web API.

Handlers get it as `context["relais"]` (injected by a global middleware in bot.runtime.app).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from slack_sdk import WebClient

from bot.clock import Clock, parse_instant
from bot.errors import DatabaseUnusable
from bot.feature import Contributions
from bot.i18n import Translator, translator
from bot.settings import Settings
from storage.db import Store, Unusable

log = logging.getLogger("relais")

CONSOLE_TOKEN = "xoxb-console"


@dataclass
class Relais:
    settings: Settings
    clock: Clock
    store: Store
    bot_user_id: str | None = None
    team_id: str | None = None
    calendar_file: object | None = None  # bot.calendar.config.CalendarFile, set at startup
    inline_delivery: bool = False  # console: send right away in the listener's thread, not in the background
    contributions: Contributions = field(default_factory=Contributions)  # the features' renderers, planners...
    _client: WebClient | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def db(self):
        """This thread's database connection."""
        return self.store.db

    @property
    def tr(self) -> Translator:
        return translator(self.settings.language)

    @property
    def client(self) -> WebClient:
        """A Web API client for background work (scheduler, CLI). Listeners use Bolt's `client`."""
        with self._lock:
            if self._client is None:
                self._client = make_client(self.settings)
            return self._client


def make_client(settings: Settings, token: str | None = None) -> WebClient:
    return WebClient(
        token=token or settings.bot_token or CONSOLE_TOKEN,
        base_url=settings.api_url,
        timeout=settings.slack_timeout,  # type: ignore[arg-type]  # annotated int; seconds as a float work
    )


def build(settings: Settings, store: Store | None = None, contributions: Contributions | None = None) -> Relais:
    """The shared context for a run: the clock (RELAIS_NOW shifts it), the database (migrated), what the
    features contribute (`bot.features.contributions()`; the runtime passes it)."""
    start = parse_instant(settings.fake_now, settings.tz) if settings.fake_now else None
    clock = Clock(settings.tz, start=start)
    return Relais(
        settings=settings,
        clock=clock,
        store=store or open_store(settings),
        contributions=contributions or Contributions(),
    )


def open_store(settings: Settings) -> Store:
    """The database at DATABASE_PATH, opened and up to date; DatabaseUnusable (one line, exit 2) when the
    file cannot be used: every run mode and one-shot command opens it here."""
    try:
        return Store(settings.database_path)
    except Unusable as error:
        raise DatabaseUnusable(error.path, error.problem, error.folder, error.detail) from None

"""Settings: every variable of the environment (and of `.env`), checked once at start.

A wrong value raises SettingsError naming the variable and what it expects; the CLI
prints that one line and exits 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

from bot.clock import parse_instant
from bot.errors import StartupError
from bot.i18n import translator
from bot.text import redact_url

DEFAULT_API_URL = "https://slack.com/api/"
LANGUAGES = ("fr", "en")
CPU_CORES = ("one", "all")  # bot.runtime.cores
WEEKDAYS = {
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
}
EVENT_KINDS = ("closure", "exams", "term-start", "reading-week", "other")
_CHANNEL_RE = re.compile(r"^[CGD][A-Z0-9_]{2,}$")
_USER_RE = re.compile(r"^[UW][A-Z0-9_]{2,}$")


class SettingsError(StartupError):
    """A variable with a wrong value: `variable` names it, `expected` is the catalog key of what it takes."""

    def __init__(self, variable: str, expected: str, got: str | None = None):
        self.variable, self.expected, self.got = variable, expected, got
        super().__init__(f"{variable}: {expected}")

    def line(self, language: str = "fr") -> str:
        tr = translator(language)
        got = "" if self.got is None else tr("settings.got", value=self.got)
        return tr("settings.line", variable=self.variable, expected=tr(self.expected), got=got)


@dataclass(frozen=True)
class Feed:
    url: str
    kind: str | None = None  # default event kind for the feed's events


@dataclass(frozen=True)
class Settings:
    bot_token: str = ""
    signing_secret: str = ""
    app_token: str = ""
    api_url: str = DEFAULT_API_URL
    port: int = 3000
    database_path: Path = Path("data/relais.db")
    team_channel: str = ""
    comms_team: tuple[str, ...] = ()
    timezone: str = "America/Montreal"
    language: str = "fr"
    outlets_file: Path = Path("config/outlets.toml")
    calendar_file: Path = Path("config/calendar.toml")
    calendar_feeds: tuple[Feed, ...] = ()
    calendar_feed_key: str = ""
    calendar_feed_window: tuple[int, int] = (12, 24)  # CALENDAR_FEED_WINDOW: months back and ahead of today
    digest_weekday: int = 0
    digest_time: tuple[int, int] = (9, 0)
    stats_checkpoints: tuple[int, ...] = (2, 7, 30)
    fake_now: str = ""  # RELAIS_NOW: tests and demos only, the clock starts there
    pace_seconds: float = 1.0  # SLACK_PACE_SECONDS: at most one new message per channel this often
    slack_timeout: float = 10.0  # SLACK_TIMEOUT_SECONDS: how long a Web API call may take
    ping_interval: float = 10.0  # SLACK_PING_INTERVAL_SECONDS: Socket Mode pings (and reconnection checks)
    cpu_cores: str = "one"  # CPU_CORES: serve's and socket's threads on one core (bot.runtime.cores), or all
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def has_slack_credentials(self) -> bool:
        return bool(self.bot_token)

    def is_comms(self, user_id: str) -> bool:
        """Members of COMMS_TEAM move placements and see everything; an empty team means everyone."""
        return not self.comms_team or user_id in self.comms_team


def read_environment(environ: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> dict[str, str]:
    """The environment wins over `.env`, which only fills the gaps."""
    values: dict[str, str] = {}
    path = Path(env_file)
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


def _token(env: Mapping[str, str], name: str, prefix: str, key: str) -> str:
    value = env.get(name, "").strip()
    if value and not value.startswith(prefix):
        raise SettingsError(name, key, value[:5] + "…")  # never print a whole secret
    return value


def _url(name: str, value: str) -> str:
    if not re.match(r"^https?://[^\s/]+", value):
        raise SettingsError(name, "settings.url", redact_url(value))  # never the whole value: it may hold a secret
    return value


def _seconds(get: Callable[[str, str], str], name: str, default: str, zero_allowed: bool = False) -> float:
    text = get(name, default)
    if not re.fullmatch(r"\d{1,6}(\.\d{1,6})?", text) or (float(text) == 0 and not zero_allowed):
        raise SettingsError(name, "settings.seconds", text)
    return float(text)


def parse_digest_at(value: str) -> tuple[int, tuple[int, int]]:
    m = re.match(r"^\s*([a-zA-Z]+)\s+(\d{1,2}):(\d{2})\s*$", value)
    if not m or m.group(1).lower() not in WEEKDAYS or int(m.group(2)) > 23 or int(m.group(3)) > 59:
        raise SettingsError("DIGEST_AT", "settings.digest_at", value)
    return WEEKDAYS[m.group(1).lower()], (int(m.group(2)), int(m.group(3)))


def parse_feeds(value: str) -> tuple[Feed, ...]:
    feeds = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        kind = None
        if "=" in item.split("://", 1)[0]:
            kind, item = (s.strip() for s in item.split("=", 1))
            if kind not in EVENT_KINDS:
                raise SettingsError("CALENDAR_ICS_URLS", "settings.feed_kind", kind)
        feeds.append(Feed(_url("CALENDAR_ICS_URLS", item), kind))
    return tuple(feeds)


def parse_feed_window(value: str) -> tuple[int, int]:
    """CALENDAR_FEED_WINDOW: `BACK,AHEAD`, whole numbers of months (0 to 120) before and after today."""
    m = re.fullmatch(r"\s*(\d{1,3})\s*,\s*(\d{1,3})\s*", value)
    if not m or int(m.group(1)) > 120 or int(m.group(2)) > 120:
        raise SettingsError("CALENDAR_FEED_WINDOW", "settings.feed_window", value)
    return int(m.group(1)), int(m.group(2))


def load_settings(environ: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> Settings:
    env = read_environment(environ, env_file)
    get = lambda name, default="": (env.get(name) or default).strip()  # noqa: E731

    language = get("BOT_LANGUAGE", "fr").lower()
    if language not in LANGUAGES:
        raise SettingsError("BOT_LANGUAGE", "settings.language", language)

    port_text = get("PORT", "3000")
    if not (port_text.isascii() and port_text.isdigit()) or not 0 < int(port_text) < 65536:
        raise SettingsError("PORT", "settings.port", port_text)

    timezone = get("TIMEZONE", "America/Montreal")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("TIMEZONE", "settings.timezone", timezone) from None

    api_url = _url("SLACK_API_URL", get("SLACK_API_URL", DEFAULT_API_URL))
    if not api_url.endswith("/"):
        api_url += "/"

    team_channel = get("TEAM_CHANNEL")
    if team_channel and not _CHANNEL_RE.match(team_channel):
        raise SettingsError("TEAM_CHANNEL", "settings.channel", team_channel)

    comms = tuple(u.strip() for u in get("COMMS_TEAM").split(",") if u.strip())
    for user in comms:
        if not _USER_RE.match(user):
            raise SettingsError("COMMS_TEAM", "settings.users", user)

    weekday, at = parse_digest_at(get("DIGEST_AT", "monday 09:00"))

    checkpoints_text = get("STATS_CHECKPOINTS", "2,7,30")
    try:
        checkpoints = tuple(int(p) for p in checkpoints_text.split(","))
    except ValueError:
        checkpoints = ()
    if not checkpoints or any(c <= 0 for c in checkpoints) or list(checkpoints) != sorted(set(checkpoints)):
        raise SettingsError("STATS_CHECKPOINTS", "settings.checkpoints", checkpoints_text)

    cpu_cores = get("CPU_CORES", "one").lower()
    if cpu_cores not in CPU_CORES:
        raise SettingsError("CPU_CORES", "settings.cpu_cores", cpu_cores)

    fake_now = get("RELAIS_NOW")
    if fake_now:
        try:
            parse_instant(fake_now, ZoneInfo(timezone))
        except ValueError:
            raise SettingsError("RELAIS_NOW", "settings.instant", fake_now) from None

    return Settings(
        bot_token=_token(env, "SLACK_BOT_TOKEN", "xoxb-", "settings.bot_token"),
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=_token(env, "SLACK_APP_TOKEN", "xapp-", "settings.app_token"),
        api_url=api_url,
        port=int(port_text),
        database_path=Path(get("DATABASE_PATH", "data/relais.db")),
        team_channel=team_channel,
        comms_team=comms,
        timezone=timezone,
        language=language,
        outlets_file=Path(get("OUTLETS_FILE", "config/outlets.toml")),
        calendar_file=Path(get("CALENDAR_FILE", "config/calendar.toml")),
        calendar_feeds=parse_feeds(get("CALENDAR_ICS_URLS")),
        calendar_feed_key=get("CALENDAR_FEED_KEY"),
        calendar_feed_window=parse_feed_window(get("CALENDAR_FEED_WINDOW", "12,24")),
        digest_weekday=weekday,
        digest_time=at,
        stats_checkpoints=checkpoints,
        fake_now=fake_now,
        pace_seconds=_seconds(get, "SLACK_PACE_SECONDS", "1.0", zero_allowed=True),
        slack_timeout=_seconds(get, "SLACK_TIMEOUT_SECONDS", "10"),
        ping_interval=_seconds(get, "SLACK_PING_INTERVAL_SECONDS", "10"),
        cpu_cores=cpu_cores,
    )


def require(settings: Settings, mode: str) -> None:
    """What each run mode cannot do without."""
    if mode in ("http", "socket"):
        if not settings.bot_token:
            raise SettingsError("SLACK_BOT_TOKEN", "settings.required_bot_token")
        if not settings.team_channel:
            raise SettingsError("TEAM_CHANNEL", "settings.required_channel")
    if mode == "http" and not settings.signing_secret:
        raise SettingsError("SLACK_SIGNING_SECRET", "settings.required_secret")
    if mode == "socket" and not settings.app_token:
        raise SettingsError("SLACK_APP_TOKEN", "settings.required_app_token")

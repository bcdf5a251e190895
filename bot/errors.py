"""Errors that stop a start with one line (exit code 2), never a traceback."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.i18n import translator

EXIT_CONFIG = 2  # the exit code of a wrong setting, argument or configuration file


class StartupError(Exception):
    """Anything wrong before Relais can run: `line(language)` is what the operator reads."""

    def line(self, language: str = "fr") -> str:
        return str(self)


class NoToken(StartupError):
    """A one-shot command that would send, without SLACK_BOT_TOKEN: refused before anything is tried."""

    def __init__(self, command: str):
        self.command = command
        super().__init__(f"python -m bot {command}: no SLACK_BOT_TOKEN, nothing sent")

    def line(self, language: str = "fr") -> str:
        return translator(language)("cli.no_token", command=self.command)


def require_token(settings, command: str) -> None:
    """Raise NoToken (one line, exit 2, in main) when there is no bot token to send with."""
    if not settings.bot_token:
        raise NoToken(command)


class DatabaseUnusable(StartupError):
    """DATABASE_PATH cannot be used (storage.db.Unusable): names the path and what is wrong with it.

    `problem` is a catalog key under `database.` (bot/i18n); `folder` and `detail` fill it."""

    def __init__(self, path, problem: str, folder="", detail: str = ""):
        self.path, self.problem, self.folder, self.detail = str(path), problem, str(folder), detail
        super().__init__(f"DATABASE_PATH {self.path}: {problem} {detail}".strip())

    def line(self, language: str = "fr") -> str:
        tr = translator(language)
        problem = tr("database." + self.problem, path=self.path, folder=self.folder, detail=self.detail)
        return " ".join(tr("database.line", path=self.path, problem=problem).split())


class ConfigFileError(StartupError):
    """A configuration file that cannot be used: names the file, the entry, the field and what it expects.

    `problem` is a catalog key under `config.` (bot/i18n), `params` fill it; `detail` is free text
    (a TOML parser's own message).
    """

    def __init__(self, path, where: str, problem: str, field: str = "", detail: str = "", **params):
        self.path, self.where, self.field, self.problem, self.detail, self.params = (
            str(path),
            where,
            field,
            problem,
            detail,
            params,
        )
        super().__init__(f"{self.path}: {where} {field}: {problem} {detail}".strip())

    def line(self, language: str = "fr") -> str:
        tr = translator(language)
        parts = [self.path]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(self.field)
        text = tr("config." + self.problem, **self.params)
        if self.detail:
            text = f"{text} ({self.detail})"
        # One line, whatever the file holds (a name with a line break, a tab in a path).
        return " ".join(tr("config.line", location=" › ".join(parts), problem=text).split())


def read_config_file(path) -> dict:
    """A TOML configuration file as a dict; ConfigFileError when it is missing or unreadable."""

    path = Path(path)
    if not path.is_file():
        raise ConfigFileError(path, "", "file_missing")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigFileError(path, "", "toml", detail=str(error)) from None

"""Errors that stop a start with one line (exit code 2), never a traceback."""
from __future__ import annotations


class StartupError(Exception):
    """Anything wrong before Relais can run: `line(language)` is what the operator reads."""

    def line(self, language: str = "fr") -> str:
        return str(self)


class ConfigFileError(StartupError):
    """A configuration file (outlets, calendar) that cannot be used: names the file, the entry and the field."""

    def __init__(self, path, where: str, message: str):
        self.path, self.where, self.message = str(path), where, message
        super().__init__(f"{self.path}: {where}: {message}" if where else f"{self.path}: {message}")

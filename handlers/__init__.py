"""Slack listeners, one module per surface, each with register(app).

Handlers are thin: parse the payload, call a plain function in bot/ or storage/, render
Block Kit, reply. Rules live in bot/; SQL lives in storage/.
"""
from __future__ import annotations

import importlib

from slack_bolt import App

# One surface a line; `errors` first (the global error handler).
SURFACES = [
    "errors",
    "propose",
    "stats",
    "home",
    "cycles",
    "reminders",
]


def register_all(app: App) -> None:
    for name in SURFACES:
        importlib.import_module(f"handlers.{name}").register(app)

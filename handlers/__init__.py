"""Slack listeners, one module per surface, each with register(app).

Handlers are thin: parse the payload, call a plain function in bot/ or storage/, render
Block Kit, reply. Rules live in bot/; SQL lives in storage/.
"""
from __future__ import annotations

from slack_bolt import App

from handlers import errors, propose, stats

SURFACES = (errors, propose, stats)


def register_all(app: App) -> None:
    for surface in SURFACES:
        surface.register(app)

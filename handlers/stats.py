"""/stats: figures after publication, reports, export."""
from __future__ import annotations

from slack_bolt import App

from handlers.common import help_reply, relais_of, split_subcommand


def register(app: App) -> None:
    app.command("/stats")(on_stats)


def on_stats(ack, command, context):
    relais = relais_of(context)
    tr = relais.tr
    sub, _rest = split_subcommand(command.get("text"))
    if sub in ("help", "aide", "?"):
        return ack(**help_reply(tr, "/stats"))
    return ack(**help_reply(tr, "/stats", unknown=command.get("text", "")))

"""/propose: register a proposal and follow it through the university's channels."""
from __future__ import annotations

from slack_bolt import App

from handlers.common import help_reply, relais_of, split_subcommand


def register(app: App) -> None:
    app.command("/propose")(on_propose)


def on_propose(ack, command, context):
    relais = relais_of(context)
    tr = relais.tr
    sub, _rest = split_subcommand(command.get("text"))
    if sub in ("help", "aide", "?"):
        return ack(**help_reply(tr, "/propose"))
    return ack(**help_reply(tr, "/propose", unknown=command.get("text", "")))

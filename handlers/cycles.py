"""The cycle prompt's button: opens the /propose modal prefilled with the cyclic content and the event's date;
once this return was proposed (an old button, pressed before the prompt was updated), says which proposal."""

from __future__ import annotations

from datetime import date

from slack_bolt import App

from bot.blocks import escape
from bot.calendar import cycles
from bot.proposals.views import propose_modal
from handlers.common import ephemeral, relais_of


def register(app: App) -> None:
    app.action(cycles.ACTION)(on_cycle_propose)


def on_cycle_propose(ack, body, client, context, respond):
    ack()
    relais = relais_of(context)
    value = (body.get("actions") or [{}])[0].get("value", "")
    done = cycles.proposed_for(relais, value)
    if done is not None:  # an old button, from before its prompt was updated: no duplicate form
        tr = relais.tr
        text = tr(
            "cycles.already",
            id=str(done["id"]),
            title=escape(done["title"]),
            date=tr.date(date.fromisoformat(done["publish_on"])),
        )
        respond(**ephemeral(text), replace_original=False)
        return
    prepared = cycles.prefill(relais, value)
    if prepared is None:
        respond(**ephemeral(relais.tr("cycles.gone")), replace_original=False)
        return
    initial, metadata = prepared
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    if channel:
        metadata["channel"] = channel  # where the /propose surface confirms

    client.views_open(
        trigger_id=body["trigger_id"], view=propose_modal(relais, initial=initial, private_metadata=metadata)
    )

"""The buttons on a deadline reminder: mark the placement submitted; snooze to the next business day 09:00.

The status change is the workflow's (bot.proposals.workflow.change_status: permissions, history, card update,
reminders withdrawn); the snooze is bot.reminders.rules.snooze. Either way the reminder is then updated in
place to say who did what, its buttons gone; a refusal is an ephemeral word to the one who clicked.
"""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks import context as context_block
from bot.proposals.views import say
from bot.proposals.workflow import change_status
from bot.reminders.rules import snooze
from handlers.common import parse_id, relais_of, tell, who_can_for

log = logging.getLogger("relais.handlers.reminders")


def register(app: App) -> None:
    app.action("reminder_submitted")(on_submitted)
    app.action("reminder_snooze")(on_snooze)


def _placement_id(action) -> int | None:
    return parse_id(action.get("value"))


def on_submitted(ack, body, action, context, respond, client):
    def mark_submitted(relais, tr, placement_id, user):
        outcome = change_status(relais, placement_id=placement_id, to="submitted", actor=user, expected="planned")
        if not outcome.ok:
            return say(tr, outcome.key, **outcome.params) + who_can_for(relais, outcome.key), None
        return None, tr("reminders.done.submitted", user=f"<@{user}>")

    _on_reminder_button(ack, body, action, context, respond, client, mark_submitted)


def on_snooze(ack, body, action, context, respond, client):
    def snooze_it(relais, tr, placement_id, user):
        outcome = snooze(relais, placement_id, user)
        if not outcome.ok:
            return tr(outcome.key, **outcome.params) + who_can_for(relais, outcome.key), None
        local = relais.clock.local(outcome.at)
        return None, tr("reminders.done.snoozed", user=f"<@{user}>", date=tr.date(local.date()), time=tr.time(local))

    _on_reminder_button(ack, body, action, context, respond, client, snooze_it)


def _on_reminder_button(ack, body, action, context, respond, client, act) -> None:
    """What both reminder buttons do: ack, find the placement, act; a refusal is told to the presser,
    a success settles the reminder in place. `act(relais, tr, placement_id, user)` -> (refusal, note)."""
    ack()
    relais = relais_of(context)
    tr = relais.tr
    placement_id = _placement_id(action)
    if placement_id is None:
        return tell(body, respond, client, tr("reminders.refused.gone"))
    refusal, note = act(relais, tr, placement_id, body["user"]["id"])
    if refusal is not None:
        return tell(body, respond, client, refusal)
    _settle(body, client, note)


def _settle(body, client, note: str) -> None:
    """The reminder, updated in place: what it said, then who did what, without its buttons."""
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    ts = message.get("ts") or (body.get("container") or {}).get("message_ts")
    if not channel or not ts:
        return
    blocks = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
    blocks.append(context_block(note))
    try:
        client.chat_update(channel=channel, ts=ts, text=message.get("text") or note, blocks=blocks)
    except SlackApiError as error:
        log.warning("could not update the reminder: %s", error.response.get("error"))

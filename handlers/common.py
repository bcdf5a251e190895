"""Small things every surface needs: the shared context, ephemeral replies, subcommand split."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot import replies
from bot.blocks import escape, fallback_text, section, sections
from bot.context import Relais

log = logging.getLogger("relais.handlers")


def relais_of(context) -> Relais:
    return context["relais"]


def ephemeral(text: str, blocks: list[dict] | None = None) -> dict:
    """The body of an ephemeral answer (ack(**ephemeral(...)) or respond(**ephemeral(...)))."""
    blocks = blocks if blocks is not None else sections(text)
    return {"response_type": "ephemeral", "text": fallback_text(blocks) or text, "blocks": blocks}


MAX_ID_DIGITS = 18  # SQLite integers are 64-bit: a longer number is no row of ours


def parse_id(text) -> int | None:
    """'12' or '#12' -> 12; None for anything else (words, signs, superscripts, 30-digit numbers)."""
    text = str(text or "").strip().lstrip("#").strip()
    if not text.isascii() or not text.isdigit() or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)


def split_subcommand(text: str | None) -> tuple[str, str]:
    """'show 12' -> ('show', '12'); the subcommand is lowercased, the rest kept as typed."""
    text = (text or "").strip()
    head, _, rest = text.partition(" ")
    return head.lower(), rest.strip()


def help_reply(tr, command: str, unknown: str | None = None) -> dict:
    """The help of a command ('/propose' -> help.propose), after a word about what was not understood."""

    help_text = tr("help." + command.lstrip("/"))
    blocks = []
    if unknown is not None:
        blocks.append(section(tr("common.unknown_subcommand", text=escape(unknown), command=command)))
    blocks += sections(help_text)
    return ephemeral(help_text, blocks)


# Refusals for lack of rights: who can do it, the comms team's members mentioned (issue 16 item 4).
RIGHTS_KEYS = frozenset(
    {
        "common.not_comms",
        "propose.refused.not_comms",
        "propose.refused.not_owner",
        "propose.refused.withdraw_not_owner",
        "package.refused.not_allowed",
        "reminders.refused.not_owner",
        "stats.error.not_yours",
    }
)


def who_can(relais: Relais) -> str:
    """' Ask <@U1>, <@U2>.' — empty when no comms team is configured."""
    team = ", ".join(f"<@{u}>" for u in relais.settings.comms_team)
    return " " + relais.tr("common.ask_team", team=team) if team else ""


def who_can_for(relais: Relais, key: str) -> str:
    """who_can(relais) after a refusal for lack of rights (RIGHTS_KEYS); empty after any other."""
    return who_can(relais) if key in RIGHTS_KEYS else ""


def tell(body: dict, respond, client, text: str) -> None:
    """An ephemeral word to the person who pressed a button, where they pressed it: in reply to the
    message when Slack gave a response_url, else as an ephemeral in the channel, else by direct
    message (App Home, modals). Sent after the ack without holding the listener (bot.replies)."""
    replies.send(_tell_now, body, respond, client, text)


def _tell_now(body: dict, respond, client, text: str) -> None:
    user = (body.get("user") or {}).get("id")
    try:
        if body.get("response_url"):
            respond(**ephemeral(text), replace_original=False)
            return
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=sections(text))
        else:
            dm = client.conversations_open(users=user)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text, blocks=sections(text))
    except SlackApiError as error:
        log.warning("could not tell %s: %s", user, error.response.get("error"))

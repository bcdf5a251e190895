"""`python -m bot check`: settings, database and Slack credentials, each said in plain words.

Exit 0 when all is well, 1 when something needs fixing (the lines say what).
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.context import build, make_client
from bot.i18n import translator
from bot.outbox import describe
from bot.runtime.startup import prepare
from bot.settings import Settings
from bot.workdays import horizon_gaps, horizon_texts
from storage import outbox
from storage.db import integrity_ok

# What the product needs (the manifest asks for the same).
REQUIRED_SCOPES = ("commands", "chat:write", "im:write", "users:read", "files:write", "channels:read")


def check(settings: Settings, say: Callable[[str], None]) -> int:
    tr = translator(settings.language)
    problems = 0
    say(
        tr("check.settings_ok", language=settings.language, timezone=settings.timezone, database=settings.database_path)
    )
    relais = build(settings)
    prepare(relais)
    if integrity_ok(relais.db):
        say(tr("check.database_ok", path=settings.database_path))
    failed = outbox.failed(relais.db)
    if failed:
        problems += 1
        say(tr.plural("check.failed_rows", len(failed)))
        for row in failed:
            say(
                tr(
                    "check.failed_row",
                    id=row["id"],
                    target=row["target"],
                    due=row["due_at"],
                    row_key=row["key"],
                    **describe(tr, row),
                )
            )
        if len(failed) > 1:
            say(tr("check.failed_retry_all"))

    for text in horizon_texts(tr, horizon_gaps(relais.db, relais.clock.today())):
        say(tr("check.horizon", text=text))  # a warning, not a problem: the exit code stays 0

    if not settings.has_slack_credentials:
        say(tr("check.no_credentials"))
    else:
        problems += _check_slack(settings, say, tr)
    say(tr("check.all_good") if not problems else tr.plural("check.problems", problems))
    return 0 if not problems else 1


def _check_slack(settings: Settings, say, tr) -> int:
    client = make_client(settings)
    try:
        auth = client.auth_test()
    except SlackApiError as error:
        say(tr("check.auth_failed", error=error.response.get("error", "?")))
        return 1
    except (SlackRequestError, OSError) as error:
        say(tr("check.unreachable", url=settings.api_url, error=error))
        return 1
    problems = 0
    say(tr("check.auth_ok", user=auth.get("user", "?"), team=auth.get("team", "?")))
    granted = {s.strip() for s in (auth.headers.get("x-oauth-scopes") or "").split(",") if s.strip()}
    missing = [s for s in REQUIRED_SCOPES if s not in granted]
    if missing:
        problems += 1
        say(tr("check.scopes_missing", scopes=", ".join(missing)))
    else:
        say(tr("check.scopes_ok"))
    if not settings.team_channel:
        say(tr("check.no_team_channel"))
        return problems + 1
    try:
        info = client.conversations_info(channel=settings.team_channel)
        if info["channel"].get("is_member", True):
            say(tr("check.channel_ok", channel=settings.team_channel))
        else:
            problems += 1
            say(tr("check.channel_not_member", channel=settings.team_channel))
    except SlackApiError as error:
        problems += 1
        say(tr("check.channel_not_found", channel=settings.team_channel, error=error.response.get("error", "?")))
    return problems

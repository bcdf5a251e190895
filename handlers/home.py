"""App Home: my proposals, deadlines of the next 14 days, figures to record; a button for a new
proposal (the /propose modal) and one for recording figures (the /stats modal)."""

from __future__ import annotations

from datetime import date, timedelta

from slack_bolt import App

from bot.blocks import actions, button, context, divider, escape, header, section, sections
from bot.proposals.views import propose_modal
from bot.stats import figures as rules
from bot.stats.views import figures_text
from handlers.common import relais_of
from storage import stats as stats_rows

DEADLINE_DAYS = 14
MAX_LINES = 10
MAX_AWAITING_BUTTONS = 10


def register(app: App) -> None:
    app.event("app_home_opened")(on_home_opened)
    app.action("home_propose")(on_new_proposal)


def on_home_opened(event, context, client):
    if event.get("tab", "home") != "home":
        return
    publish_home(relais_of(context), client, event["user"])


def publish_home(relais, client, user: str) -> None:
    client.views_publish(user_id=user, view=home_view(relais, user))


def on_new_proposal(ack, body, context, client):
    ack()

    client.views_open(trigger_id=body["trigger_id"], view=propose_modal(relais_of(context)))


def home_view(relais, user: str) -> dict:
    tr = relais.tr
    db = relais.db
    today = relais.clock.today()
    comms = relais.settings.is_comms(user)
    blocks = [
        header(tr("home.title")),
        actions(
            [
                button(tr("home.new_proposal"), "home_propose", "new", style="primary"),
                button(tr("home.record_figures"), "stats_open", "all"),
            ],
            block_id="home-actions",
        ),
        divider(),
    ]

    mine = stats_rows.current_proposals(db, user, today, limit=MAX_LINES + 1)
    lines = [
        tr(
            "home.mine_line",
            number=p["id"],
            title=escape(p["title"]),
            day=tr.date(date.fromisoformat(p["publish_on"]), "medium"),
            placements=", ".join(
                f"{escape(pl['name'])} ({tr('propose.status.' + pl['status'])})" for pl in p["placements"]
            )
            or tr("common.none"),
        )
        for p in mine[:MAX_LINES]
    ]
    if len(mine) > MAX_LINES:
        lines.append(tr("home.see_list"))
    blocks += sections(tr("home.mine") + "\n" + ("\n".join(lines) if lines else tr("home.mine_empty")))
    blocks.append(divider())

    deadlines = stats_rows.deadlines_between(
        db, today, today + timedelta(days=DEADLINE_DAYS), owner_id=None if comms else user
    )
    lines = [
        tr(
            "home.deadline_line",
            day=tr.date(date.fromisoformat(d["deadline"]), "medium"),
            number=d["proposal_id"],
            title=escape(d["proposal_title"]),
            outlet=escape(d["outlet_name"]),
        )
        for d in deadlines[:MAX_LINES]
    ]
    if len(deadlines) > MAX_LINES:
        lines.append(tr("common.and_more", count=len(deadlines) - MAX_LINES))
    title = tr("home.deadlines_team" if comms else "home.deadlines", days=DEADLINE_DAYS)
    blocks += sections(title + "\n" + ("\n".join(lines) if lines else tr("home.deadlines_empty")))
    blocks.append(divider())

    awaiting = rules.awaiting(relais, user)
    blocks.append(
        section(
            tr("home.awaiting_team" if comms else "home.awaiting")
            + ("" if awaiting else "\n" + tr("home.awaiting_empty"))
        )
    )
    for row in awaiting[:MAX_AWAITING_BUTTONS]:
        last = (
            figures_text(tr, row["views"], row["interactions"], row["avg_seconds"])
            if row.get("recorded_at")
            else tr("home.no_figures")
        )
        blocks.append(
            section(
                tr(
                    "home.awaiting_line",
                    number=row["proposal_id"],
                    title=escape(row["proposal_title"]),
                    outlet=escape(row["outlet_name"]),
                    day=tr.date(date.fromisoformat(row["published_on"]), "medium"),
                    last=last,
                ),
                block_id=f"await-{row['id']}",
                accessory=button(tr("home.record"), "stats_open", str(row["id"])),
            )
        )
    if len(awaiting) > MAX_AWAITING_BUTTONS:
        blocks.append(context(tr("common.and_more", count=len(awaiting) - MAX_AWAITING_BUTTONS)))
    blocks.append(context(tr("home.updated", at=tr.datetime(relais.clock.local()))))
    return {"type": "home", "blocks": blocks}

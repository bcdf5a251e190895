"""The submission package (issue 17 item 1): what the comms office needs for one university placement,
posted in the card's thread, ready to send, with the outlet's checklist as boxes to tick.

    outcome = plan_package(relais, placement_id=7, actor="U123")      # "Préparer la soumission"
    outcome = tick_checklist(relais, placement_id=7, selected=[0, 2], shown=range(0, 4), actor="U123")
    url = mailto("communications@umontreal.ca", subject, body)       # at most URL_MAX characters

The package is an outbox row (kind "submission_package") rendered at send time: title, summary, wanted
date, link, audiences, the placement's own text, the outlet's requirements, the contact person; a
"Préparer le courriel" link (mailto:, subject and body prefilled) when the outlet declares `submit_to`;
the checklist as Block Kit checkboxes (action_id "package_checklist", block_id
"package-<placement id>-<first item>-<end>", option values "<placement id>:<item index>"). Who ticked what
is stored (checklist_ticks) with a history row per tick; the card shows the progress.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from urllib.parse import quote

from slack_sdk.errors import SlackApiError

from bot import outbox as sender
from bot.blocks import actions, context, cut, escape, option, section
from bot.clock import to_text
from bot.outbox import Post, Skip, payload
from bot.outcome import Outcome, refused
from bot.proposals.outlets import by_slug
from bot.proposals.views import audience_label
from bot.proposals.workflow import plan_card_update
from storage import outbox
from storage import proposals as store

PACKAGE = "submission_package"  # outbox kind
CHECKLIST_ACTION = "package_checklist"
URL_MAX = 3000  # Block Kit: a button's url
OPTIONS_MAX = 10  # Block Kit: options of one checkboxes element
TEXT_MAX = 2800  # the package's text in one section (3000 with its code fences)


# -- pure parts ---------------------------------------------------------------------------------------
def missing_items(checklist, ticked) -> list[str]:
    """The checklist items not ticked yet, in the outlet's order."""
    return [item for item in checklist if item not in set(ticked)]


def mailto(address: str, subject: str, body: str, limit: int = URL_MAX) -> str:
    """A mailto: URL with subject and body prefilled (RFC 6068, UTF-8 percent-encoded), at most `limit`
    characters: a body too long is cut on a character (never inside an escape) and ends with "…"."""

    def build(text: str) -> str:
        return f"mailto:{quote(address, safe='@')}?subject={quote(subject, safe='')}&body={quote(text, safe='')}"

    url = build(body)
    if len(url) <= limit:
        return url
    low, high = 0, len(body)
    while low < high:  # the longest start of the body that fits
        middle = (low + high + 1) // 2
        if len(build(body[:middle] + "…")) <= limit:
            low = middle
        else:
            high = middle - 1
    return build(body[:low].rstrip() + "…")


def package_fields(tr, proposal: dict, placement: dict, outlet, contact: str) -> list[tuple[str, str]]:
    """(label, value) of the package, raw text (escaped by the caller where it is mrkdwn)."""
    audiences = json.loads(proposal.get("audiences") or "[]")
    out = [
        (tr("package.field.title"), proposal["title"]),
        (tr("package.field.date"), tr.date(date.fromisoformat(proposal["publish_on"]))),
    ]
    if proposal.get("summary"):
        out.append((tr("package.field.summary"), proposal["summary"]))
    if proposal.get("link"):
        out.append((tr("package.field.link"), proposal["link"]))
    if audiences:
        out.append((tr("package.field.audiences"), ", ".join(audience_label(tr, a) for a in audiences)))
    if placement.get("outlet_text"):
        out.append((tr("package.field.text", outlet=outlet.name), placement["outlet_text"]))
    if outlet.checklist:
        out.append((tr("package.field.checklist"), "\n".join("- " + item for item in outlet.checklist)))
    out.append((tr("package.field.contact"), contact))
    return out


def package_text(fields: list[tuple[str, str]]) -> str:
    """The ready-to-send text: one paragraph per field (a value on several lines starts on the next line)."""
    return "\n".join(f"{label}\n{value}" if "\n" in value else f"{label} {value}" for label, value in fields)


def checklist_blocks(tr, placement_id: int, checklist, ticked: dict[str, dict]) -> list[dict]:
    """The checklist as checkboxes, ten to an element (Block Kit's limit), ticked ones pre-ticked."""
    blocks = []
    for start in range(0, len(checklist), OPTIONS_MAX):
        chunk = list(enumerate(checklist))[start : start + OPTIONS_MAX]
        options = [option(item, f"{placement_id}:{i}") for i, item in chunk]
        element = {"type": "checkboxes", "action_id": CHECKLIST_ACTION, "options": options}
        initial = [o for (i, item), o in zip(chunk, options, strict=True) if item in ticked]
        if initial:
            element["initial_options"] = initial
        blocks.append(actions([element], block_id=f"package-{placement_id}-{start}-{start + len(chunk)}"))
    return blocks


def parse_checklist_block(block_id: str) -> tuple[int, range] | None:
    """'package-7-0-4' -> (7, range(0, 4)); None when it is not a package's checklist."""
    parts = (block_id or "").split("-")
    if len(parts) != 4 or parts[0] != "package" or not all(p.isdigit() for p in parts[1:]):
        return None
    return int(parts[1]), range(int(parts[2]), int(parts[3]))


# -- the actions ----------------------------------------------------------------------------------------
def may_prepare(relais, current: dict | None, actor: str) -> Outcome | None:
    """Why `actor` may not prepare or tick this placement's package; None when allowed (its proposal's owner
    or the comms team, a university placement still planned, of a proposal not cancelled)."""
    if current is None:
        return refused("propose.refused.no_placement")
    base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
    ids = (current["proposal_id"], current["id"])
    if current["proposal_owner"] != actor and not relais.settings.is_comms(actor):
        return Outcome(False, "package.refused.not_allowed", base, *ids)
    if current["proposal_status"] == "cancelled":
        return Outcome(False, "propose.refused.cancelled", base, *ids)
    if current["outlet_owner"] != "university":
        return Outcome(False, "package.refused.library", base, *ids)
    if current["status"] != "planned":
        return Outcome(False, "package.refused.not_planned", {**base, "current": current["status"]}, *ids)
    return None


def plan_package(relais, *, placement_id: int, actor: str, deliver: bool = True) -> Outcome:
    """ "Préparer la soumission": the package owed in the card's thread (rendered at send time)."""
    db = relais.db
    now = relais.clock.now()
    with db.atomic():
        current = store.placement(db, placement_id)
        refusal = may_prepare(relais, current, actor)
        if refusal is not None:
            return refusal
        assert current is not None  # may_prepare refuses a missing placement
        proposal = store.get(db, current["proposal_id"])
        assert proposal is not None  # a placement's proposal (foreign key)
        key = f"package:{placement_id}:{to_text(now)}:{secrets.token_hex(4)}"
        outbox.plan(
            db,
            key=key,
            kind=PACKAGE,
            due_at=now,
            target=proposal.get("card_channel") or relais.settings.team_channel,
            now=now,
            proposal_id=proposal["id"],
            placement_id=placement_id,
            payload={"actor": actor},
        )
    base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
    result = Outcome(True, "package.prepared", base, current["proposal_id"], placement_id, keys=[key])
    if deliver:
        sender.deliver_in_background(relais, result.keys)
    return result


def tick_checklist(
    relais, *, placement_id: int, selected: list[int], shown: range, actor: str, deliver: bool = True
) -> Outcome:
    """The boxes ticked on a package: the items of `shown` (indexes in the outlet's checklist) are ticked
    exactly when in `selected`; the others keep their state. Stored with who and when, a history row per
    change, the card updated (its "3/4 fournis")."""
    db = relais.db
    now = relais.clock.now()
    with db.atomic():
        current = store.placement(db, placement_id)
        refusal = may_prepare(relais, current, actor)
        if refusal is not None:
            return refusal
        assert current is not None  # may_prepare refuses a missing placement
        checklist = by_slug(db)[current["outlet_slug"]].checklist
        visible = [i for i in shown if 0 <= i < len(checklist)]
        ticked = [checklist[i] for i in visible if i in set(selected)]
        untouched = [item for i, item in enumerate(checklist) if i not in visible]
        changed = store.set_ticks(db, placement_id, ticked, untouched, actor=actor, now=to_text(now))
        keys = [plan_card_update(relais, db, current["proposal_id"], now)] if changed else []
    base = {"outlet": current["outlet_name"], "title": current["proposal_title"], "id": str(current["proposal_id"])}
    result = Outcome(
        True, "package.ticked", {**base, "count": len(changed)}, current["proposal_id"], placement_id, keys=keys
    )
    if deliver and keys:
        sender.deliver_in_background(relais, keys)
    return result


# -- the outbox renderer ------------------------------------------------------------------------------
def _contact(relais, user: str) -> str:
    """The owner's name as Slack knows it (users:read), for the email; the ID when Slack does not answer."""
    try:
        info = relais.client.users_info(user=user)["user"]
    except (SlackApiError, KeyError, TypeError):
        return user
    profile = info.get("profile") or {}
    return info.get("real_name") or profile.get("real_name") or profile.get("display_name") or user


def render_package(relais, row: dict, now: datetime) -> Post:
    db = relais.db
    current = store.placement(db, row["placement_id"])
    if current is None or current["proposal_status"] == "cancelled":
        raise Skip("proposal cancelled")
    if current["status"] != "planned":
        raise Skip(f"placement {current['status']}")
    proposal = store.get(db, current["proposal_id"])
    assert proposal is not None  # a placement's proposal (foreign key)
    outlet = by_slug(db)[current["outlet_slug"]]
    tr = relais.tr
    actor = payload(row).get("actor") or proposal["owner_id"]
    owner = proposal["owner_id"]
    fields = package_fields(tr, proposal, current, outlet, f"<@{owner}>")
    shown = package_text([(label, escape(value) if label != fields[-1][0] else value) for label, value in fields])
    shown = cut(shown, TEXT_MAX)  # escaped text: never cut inside an entity
    blocks = [
        section(
            tr("package.header", outlet=escape(outlet.name), id=str(proposal["id"]), actor=f"<@{actor}>"),
            block_id=f"package-head-{current['id']}",
        ),
        section(f"```{shown}```", block_id=f"package-text-{current['id']}"),
    ]
    if outlet.submit_to:
        subject = tr(
            "package.subject", title=proposal["title"], date=tr.date(date.fromisoformat(proposal["publish_on"]))
        )
        body = package_text(package_fields(tr, proposal, current, outlet, _contact(relais, owner)))
        url = mailto(outlet.submit_to, subject, body)
        blocks.append(
            actions(
                [
                    {
                        "type": "button",
                        "action_id": "package_mailto",
                        "text": {"type": "plain_text", "text": tr("package.mailto")[:75]},
                        "url": url,
                        "value": str(current["id"]),
                    }
                ],
                block_id=f"package-mail-{current['id']}",
            )
        )
        blocks.append(context(tr("package.mailto_hint", address=escape(outlet.submit_to))))
    if outlet.checklist:
        ticks = store.checklist_ticks(db, current["id"])
        blocks.append(section(tr("package.checklist_intro"), block_id=f"package-intro-{current['id']}"))
        blocks += checklist_blocks(tr, current["id"], outlet.checklist, ticks)
    return Post(
        channel=proposal.get("card_channel") or row["target"],
        thread_ts=proposal.get("card_ts") if proposal.get("card_channel") else None,
        blocks=blocks[:50],
        text=tr("package.fallback", outlet=escape(outlet.name), title=escape(proposal["title"])),
    )

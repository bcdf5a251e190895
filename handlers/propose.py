"""/propose: register a proposal and follow it through the university's channels.

    /propose                         the form (modal, callback_id "propose")
    /propose TITLE | DATE | OUTLETS [| CATEGORY [| AUDIENCES]]
    /propose list | show N | outlets | help
    /propose edit N | move N DATE | owner N @person      (the edit form; a new date; a new owner)
    card button proposal_edit (value the proposal id) opens the edit form (callback_id "propose_edit")
    message shortcut propose_from_message: the form prefilled from the message
    card buttons: placement_submitted / _accepted / _declined, placement_published (a small form),
                  proposal_cancel (confirmed first)
    card buttons: placement_submitted / _accepted, placement_declined (a small form for the reason),
                  placement_published (a small form), placement_withdraw and placement_undo (confirmed
                  first), proposal_cancel (confirmed first)

Thin: the rules are in bot.proposals.rules and bot.proposals.workflow, the wording in bot.proposals.views and
bot.proposals.card. Slash commands are answered in the ack; Web API calls come after it.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot import outbox, replies
from bot.blocks import (
    MAX_BLOCKS,
    MAX_FALLBACK,
    MAX_MESSAGE_CHARS,
    actions,
    context,
    escape,
    fit_lines,
    message_chars,
    sections,
)
from bot.calendar import cycles
from bot.proposals.card import card_blocks, card_state, free_week_buttons
from bot.proposals.dates import DateError, parse_date
from bot.proposals.outlets import active, by_slug
from bot.proposals.package import CHECKLIST_ACTION, parse_checklist_block, plan_package, tick_checklist
from bot.proposals.rules import check, check_line, parse_line
from bot.proposals.views import (
    MAX_LIST,
    REASON_MAX,
    audience_names,
    business_days,
    declined_modal,
    edit_outcome_text,
    history_blocks,
    initial_from_message,
    initial_of,
    list_blocks,
    metadata,
    modal_errors,
    outlets_blocks,
    propose_modal,
    published_modal,
    read_declined_view,
    read_propose_view,
    read_published_view,
    refusal_blocks,
    say,
)
from bot.proposals.workflow import (
    cancel_proposal,
    change_status,
    check_status_change,
    clashes_for,
    create_proposal,
    draft_of,
    edit_proposal,
    free_dates_for,
    may_edit,
    undo_last_change,
    withdraw_placement,
)
from bot.workdays import for_relais
from handlers.common import (
    RIGHTS_KEYS,
    ephemeral,
    help_reply,
    parse_id,
    relais_of,
    split_subcommand,
    tell,
    who_can,
)
from storage import proposals as store

log = logging.getLogger("relais.propose")

STATUS_BUTTONS = re.compile(r"^placement_(submitted|accepted)$")


def register(app: App) -> None:
    app.command("/propose")(on_propose)
    app.view("propose")(on_propose_submitted)
    app.action(STATUS_BUTTONS)(on_status_button)
    app.action("placement_published")(on_published_button)
    app.view("placement_published")(on_published_submitted)
    app.action("proposal_cancel")(on_cancel_button)
    app.view("propose_edit")(on_edit_submitted)
    app.action("proposal_edit")(on_edit_button)
    app.shortcut("propose_from_message")(on_message_shortcut)
    app.action("placement_declined")(on_declined_button)
    app.view("placement_declined")(on_declined_submitted)
    app.action("placement_withdraw")(on_withdraw_button)
    app.action("placement_undo")(on_undo_button)
    register_submission(app)


# -- issue 17: the submission package, its checklist, the next free week -------------------------------------
def register_submission(app: App) -> None:
    app.action("placement_package")(on_package_button)
    app.action(CHECKLIST_ACTION)(on_checklist_ticked)
    app.action("package_mailto")(on_mailto_opened)
    app.action(FREE_WEEK_BUTTONS)(on_free_week_button)


FREE_WEEK_BUTTONS = re.compile(r"^proposal_move_free_(before|after)$")


def on_free_week_button(ack, body, action, context, respond, client):
    """ "Déplacer au …" (the next free week): the proposal moved there through the edit path, as
    `/propose move N DATE` does; refused when it moved since the button was shown."""
    ack()
    relais = relais_of(context)
    tr = relais.tr
    head, _, rest = str(action.get("value") or "").partition(":")
    day, _, expected = rest.partition(":")
    proposal_id = parse_id(head)
    proposal = store.get(relais.db, proposal_id) if proposal_id is not None else None
    if proposal_id is None or proposal is None:
        return tell(body, respond, client, say(tr, "propose.refused.no_proposal", id=head))
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        return tell(body, respond, client, tr("edit.usage"))
    if proposal["publish_on"] != expected:
        return tell(
            body,
            respond,
            client,
            say(tr, "propose.free.stale", id=str(proposal_id), date=date.fromisoformat(proposal["publish_on"])),
        )
    user = body["user"]["id"]
    refusal = may_edit(relais, proposal, user)
    if refusal is not None:
        return tell(body, respond, client, edit_outcome_text(relais, refusal))
    draft = draft_of(relais.db, proposal)
    draft.publish_on = wanted
    outcome = edit_proposal(relais, proposal_id=proposal_id, draft=draft, actor=user)
    tell(body, respond, client, edit_outcome_text(relais, outcome))


def on_package_button(ack, body, action, context, respond, client):
    """ "Préparer la soumission": the package goes to the card's thread; a refusal is said to the clicker."""
    ack()
    relais = relais_of(context)
    placement_id, _expected = _placement_value(action)
    if placement_id is None:
        return tell(body, respond, client, relais.tr("propose.refused.no_placement"))
    outcome = plan_package(relais, placement_id=placement_id, actor=body["user"]["id"])
    if not outcome.ok:
        tell(body, respond, client, refusal_text(relais, outcome))


def on_checklist_ticked(ack, body, action, context, respond, client):
    """A box of the package's checklist ticked or unticked: `selected_options` are the boxes ticked now."""
    ack()
    relais = relais_of(context)
    parsed = parse_checklist_block(action.get("block_id") or "")
    if parsed is None:
        return tell(body, respond, client, relais.tr("propose.refused.no_placement"))
    placement_id, shown = parsed
    selected = []
    for chosen in action.get("selected_options") or []:
        head, _, index = str(chosen.get("value") or "").partition(":")
        if parse_id(head) == placement_id and index.isdigit():
            selected.append(int(index))
    outcome = tick_checklist(
        relais, placement_id=placement_id, selected=selected, shown=shown, actor=body["user"]["id"]
    )
    if not outcome.ok:
        tell(body, respond, client, refusal_text(relais, outcome))


def on_mailto_opened(ack):
    """The package's email link opens in the person's mail app; Slack still tells us: nothing to do."""
    ack()


EDIT_WORDS = ("edit", "modifier", "modify", "change")
MOVE_WORDS = ("move", "deplacer", "déplacer", "reporter", "reschedule")
OWNER_WORDS = ("owner", "responsable", "assign", "confier")
ALL_WORDS = ("all", "tout", "toutes", "tous")
MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


def refusal_text(relais, outcome) -> str:
    """A refusal as the person reads it; for lack of rights, who can do it."""
    text = say(relais.tr, outcome.key, **outcome.params)
    return text + who_can(relais) if outcome.key in RIGHTS_KEYS else text


# -- /propose ----------------------------------------------------------------------------------
def on_propose(ack, command, context, client, respond):
    relais = relais_of(context)
    tr = relais.tr
    text = (command.get("text") or "").strip()
    sub, rest = split_subcommand(text)
    if sub in EDIT_WORDS + MOVE_WORDS + OWNER_WORDS:
        return edit_in_one_line(relais, ack, command, client, respond, sub, rest)
    if "|" in text:
        return propose_in_one_line(relais, ack, command, text)
    if not text:
        ack()
        return open_form(
            relais, client, respond, command.get("trigger_id"), command.get("channel_id"), {"owner": command["user_id"]}
        )
    if sub in ("help", "aide", "?"):
        return ack(**help_reply(tr, "/propose"))
    if sub in ("list", "liste", "ls"):
        return ack(**show_list(relais, everything=rest.strip().lower() in ALL_WORDS))
    if sub in ("show", "voir", "montrer", "afficher"):
        return ack(**show_one(relais, rest))
    if sub in ("outlets", "canaux", "channels"):
        blocks = outlets_blocks(tr, active(relais.db))
        return ack(**ephemeral(tr("propose.outlets.header"), blocks))
    return propose_in_one_line(relais, ack, command, text)  # a title alone: say what is missing


def open_form(relais, client, respond, trigger_id, channel_id, initial=None, edit=None):
    meta = {"channel": channel_id} if channel_id else {}
    try:
        client.views_open(
            trigger_id=trigger_id, view=propose_modal(relais, initial=initial, private_metadata=meta, edit=edit)
        )
    except SlackApiError as error:
        log.warning("views.open failed: %s", error)
        respond(**ephemeral(relais.tr("propose.modal_failed", error=escape(str(error.response.get("error"))))))


def _clashes(relais, draft, outlets):
    """The weekly-quota clashes of the draft's outlets that have a quota (the others have nothing to warn of)."""
    limited = [s for s in draft.outlets if s in outlets and outlets[s].per_week is not None]
    return clashes_for(relais.db, limited, draft.publish_on)


def _context(relais):
    return by_slug(relais.db, include_inactive=False), for_relais(relais), relais.clock.today()


def propose_in_one_line(relais, ack, command, text):
    tr = relais.tr
    outlets, days, today = _context(relais)
    line = parse_line(text, today, audience_names())
    checked = check_line(line, outlets, days, today, _clashes(relais, line.draft, outlets))
    if not checked.ok:
        return ack(**ephemeral(tr("propose.refused.header"), refusal_blocks(tr, checked.problems)))
    proposal_id, keys = create_proposal(
        relais, line.draft, checked, owner=command["user_id"], outlets=outlets, days=days
    )
    ack(
        **ephemeral(
            tr("propose.created", id=proposal_id, title=escape(line.draft.title), channel=relais.settings.team_channel),
            created_blocks(relais, proposal_id, line.draft, checked, outlets),
        )
    )
    outbox.deliver_in_background(relais, keys)


def created_blocks(relais, proposal_id, draft, checked, outlets) -> list[dict]:
    """The confirmation: the proposal's number, where its card is, each outlet's deadline (`outlets`: the
    active outlets the draft was checked against, by slug)."""

    tr = relais.tr
    names = {s: o.name for s, o in outlets.items()}
    lines = []
    for p in checked.placements:
        outlet = escape(names.get(p.slug, p.slug))
        if outlets[p.slug].owner == "library":  # nothing to submit: the day it goes out
            lines.append(tr("propose.created.to_publish", outlet=outlet, date=tr.date(draft.publish_on)))
        else:
            if p.days_left == 0:
                when = tr("propose.when.today")
            elif p.days_left > 0:
                when = tr("propose.when.in", left=business_days(tr, p.days_left))
            else:
                when = tr("propose.when.before_next")
            lines.append(tr("propose.created.placement", outlet=outlet, deadline=tr.date(p.deadline), when=when))
        lines += ["   :warning: " + say(tr, n.key, **n.params) for n in p.notes if n.key != "propose.warn.checklist"]
    channel = relais.settings.team_channel
    head = tr("propose.created", id=proposal_id, title=escape(draft.title), channel=channel)
    offers = free_week_offers(relais, proposal_id, checked, names)
    room = MAX_MESSAGE_CHARS - MAX_FALLBACK - message_chars(offers) - len(head) - 1
    lines = fit_lines(lines, room, lambda left: tr.plural("propose.created.more", left, id=str(proposal_id)))
    return [*sections(head + "\n" + "\n".join(lines)), *offers]


def free_week_offers(relais, proposal_id, checked, names: dict[str, str]) -> list[dict]:
    """Issue 17: under the confirmation, for each outlet whose week is full, the nearest free weeks as buttons."""
    tr = relais.tr
    full = [p for p in checked.placements if any(n.key == "propose.warn.quota" for n in p.notes)]
    if not full:
        return []
    proposal = store.get(relais.db, proposal_id)
    assert proposal is not None  # just created
    blocks = []
    for p in full:
        row = free_week_buttons(tr, proposal, free_dates_for(relais, relais.db, proposal_id, p.slug))
        if row:
            blocks.append(context(tr("propose.free.intro", outlet=escape(names.get(p.slug, p.slug)))))
            blocks.append(actions(row, block_id=f"created-{proposal_id}-{p.slug}-free"[:255]))
    return blocks[:10]


def show_list(relais, everything: bool = False) -> dict:
    """`/propose list`: the proposals under way; `/propose list all`: closed and cancelled ones too."""
    if everything:
        rows = store.all_proposals(relais.db, limit=MAX_LIST)
        total = store.count_proposals(relais.db)
        placements = {r["id"]: store.placements_of(relais.db, r["id"]) for r in rows}
        blocks = list_blocks(relais.tr, rows, placements, total, everything=True)
        return ephemeral(relais.tr("propose.list.all_header", count=total), blocks)
    rows = store.open_proposals(relais.db, limit=1000)
    placements = {r["id"]: store.placements_of(relais.db, r["id"]) for r in rows[:40]}
    blocks = list_blocks(relais.tr, rows, placements, len(rows))
    return ephemeral(relais.tr("propose.list.header", count=len(rows)), blocks)


def show_one(relais, rest: str) -> dict:
    tr = relais.tr
    number = rest.strip().lstrip("#").strip()
    if parse_id(number) is None:
        return ephemeral(tr("propose.show.usage"))
    state = card_state(relais, int(number))
    if state is None:
        return ephemeral(say(tr, "propose.refused.no_proposal", id=number))
    names = {s: o.name for s, o in by_slug(relais.db).items()}
    blocks = card_blocks(tr, state, buttons=False)
    room = MAX_MESSAGE_CHARS - MAX_FALLBACK - message_chars(blocks)
    history = store.history(relais.db, int(number))
    blocks += history_blocks(tr, relais.settings.tz, history, names, room=room, max_blocks=MAX_BLOCKS - len(blocks))
    return ephemeral(tr("propose.card.fallback", id=number, title=escape(state.proposal["title"])), blocks)


# -- the form ----------------------------------------------------------------------------------
def on_propose_submitted(ack, body, view, context, client):
    relais = relais_of(context)
    tr = relais.tr
    meta = metadata(view)
    outlets, days, today = _context(relais)
    draft, problems = read_propose_view(view.get("state", {}).get("values", {}), today, meta)
    checked = check(draft, outlets, days, today, _clashes(relais, draft, outlets))
    reading = {p.field for p in problems}
    problems += [p for p in checked.problems if not (p.field in reading and p.key == "propose.problem.date_missing")]
    if problems:
        return ack(response_action="errors", errors=modal_errors(tr, problems))
    if draft.cycle_key:  # the return of its cycle it is for (the prompt's, or the one its date serves)
        from_prompt = meta.get("event_uid") if meta.get("cycle_key") == draft.cycle_key else ""
        draft.cycle_period = cycles.link_period(relais, draft.cycle_key, draft.publish_on, from_prompt or "")
    user = body["user"]["id"]
    proposal_id, keys = create_proposal(relais, draft, checked, owner=draft.owner or user, outlets=outlets, days=days)
    ack()
    outbox.deliver_in_background(relais, keys)
    channel = meta.get("channel")
    if channel:  # confirm where /propose was typed; the card itself goes to the team channel
        blocks = created_blocks(relais, proposal_id, draft, checked, outlets)
        replies.send(_confirm, client, channel, user, blocks[0]["text"]["text"], blocks)


def _confirm(client, channel: str, user: str, text: str, blocks: list[dict] | None = None) -> None:
    """A form's outcome said where the form was opened (after the ack, without holding the listener)."""
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
    except SlackApiError as error:
        log.info("confirmation not shown in %s: %s", channel, error.response.get("error"))


# -- card buttons -----------------------------------------------------------------------------
def _placement_value(action) -> tuple[int | None, str | None]:
    """'12:planned' -> (12, 'planned'); '12' -> (12, None)."""
    head, _, expected = str(action.get("value") or "").partition(":")
    return parse_id(head), (expected or None)


def on_status_button(ack, body, action, context, respond, client):
    ack()
    relais = relais_of(context)
    matched = STATUS_BUTTONS.match(action["action_id"])
    assert matched is not None  # the listener is registered with this pattern
    to = matched.group(1)
    placement_id, expected = _placement_value(action)
    if placement_id is None:
        return tell(body, respond, client, relais.tr("propose.refused.no_placement"))
    outcome = change_status(relais, placement_id=placement_id, to=to, actor=body["user"]["id"], expected=expected)
    if not outcome.ok:
        tell(body, respond, client, refusal_text(relais, outcome))


def on_published_button(ack, body, action, context, respond, client):
    ack()
    relais = relais_of(context)

    def form(placement: dict, channel: str | None) -> dict:
        proposal = store.get(relais.db, placement["proposal_id"])
        assert proposal is not None  # a placement's proposal (foreign key)
        return published_modal(
            relais.tr,
            {**placement, "publish_on": proposal["publish_on"]},
            relais.clock.today(),
            expected=placement["status"],
            channel=channel,
        )

    open_status_form(relais, body, action, respond, client, "published", form)


def open_status_form(relais, body, action, respond, client, to: str, form) -> None:
    """A status that asks for a small form first ("Publié…", "Refusé…"): refused as the change itself would
    be (roles, stale button), else `form(placement, channel)` opened; a form Slack won't open says why."""
    placement_id, expected = _placement_value(action)
    refusal = check_status_change(
        relais, placement_id=placement_id or 0, to=to, actor=body["user"]["id"], expected=expected
    )
    if refusal is not None:
        return tell(body, respond, client, refusal_text(relais, refusal))
    assert placement_id is not None  # an unknown placement is refused above
    placement = store.placement(relais.db, placement_id)
    assert placement is not None  # checked above
    try:
        client.views_open(trigger_id=body["trigger_id"], view=form(placement, (body.get("channel") or {}).get("id")))
    except SlackApiError as error:
        log.warning("views.open failed: %s", error)
        tell(body, respond, client, relais.tr("propose.modal_failed", error=escape(str(error.response.get("error")))))


def on_published_submitted(ack, body, view, context):
    relais = relais_of(context)
    tr = relais.tr
    meta = metadata(view)
    published_on, url, problem = read_published_view(view.get("state", {}).get("values", {}), relais.clock.today())
    if problem:
        return ack(response_action="errors", errors={k: say(tr, v) for k, v in problem.items()})
    outcome = change_status(
        relais,
        placement_id=int(meta.get("placement_id") or 0),
        to="published",
        actor=body["user"]["id"],
        published_on=published_on,
        url=url or None,
        expected=meta.get("expected"),
        deliver=False,
    )
    if not outcome.ok:
        block = "url" if outcome.key == "propose.problem.link" else "published_on"
        return ack(response_action="errors", errors={block: say(tr, outcome.key, **outcome.params)})
    ack()
    outbox.deliver_in_background(relais, outcome.keys)


def on_cancel_button(ack, body, action, context, respond, client):
    ack()
    relais = relais_of(context)
    value = str(action.get("value") or "").strip()
    proposal_id = parse_id(value)
    if proposal_id is None:
        return tell(body, respond, client, say(relais.tr, "propose.refused.no_proposal", id=value))
    outcome = cancel_proposal(relais, proposal_id=proposal_id, actor=body["user"]["id"])
    if not outcome.ok:
        tell(body, respond, client, refusal_text(relais, outcome))


# -- edits: the form, the card's button, the one-liners, the message shortcut --------------------------
def edit_in_one_line(relais, ack, command, client, respond, sub, rest):
    """`/propose edit N` opens the edit form; `move N DATE` and `owner N @person` change just that."""
    tr = relais.tr
    user = command["user_id"]
    head, _, tail = rest.partition(" ")
    proposal_id = parse_id(head)
    if proposal_id is None:
        return ack(**ephemeral(tr("edit.usage")))
    proposal = store.get(relais.db, proposal_id)
    if proposal is None:
        return ack(**ephemeral(say(tr, "propose.refused.no_proposal", id=str(proposal_id))))
    refusal = may_edit(relais, proposal, user)
    if refusal is not None:
        return ack(**ephemeral(edit_outcome_text(relais, refusal)))
    draft = draft_of(relais.db, proposal)
    if sub in EDIT_WORDS:
        ack()
        return open_form(
            relais,
            client,
            respond,
            command.get("trigger_id"),
            command.get("channel_id"),
            initial_of(draft),
            proposal_id,
        )
    tail = tail.strip()
    if sub in MOVE_WORDS:
        try:
            draft.publish_on = parse_date(tail, relais.clock.today())
        except DateError as error:
            text = say(tr, "propose.date." + error.reason, text=error.text, **error.params)
            return ack(**ephemeral(text + "\n" + tr("edit.usage")))
    else:
        match = MENTION.match(tail)
        if not match:
            return ack(**ephemeral(tr("edit.usage")))
        draft.owner = match.group(1)
    outcome = edit_proposal(relais, proposal_id=proposal_id, draft=draft, actor=user)
    ack(**ephemeral(edit_outcome_text(relais, outcome)))


def on_edit_button(ack, body, action, context, respond, client):
    ack()
    relais = relais_of(context)
    proposal_id = parse_id(action.get("value"))
    proposal = store.get(relais.db, proposal_id) if proposal_id is not None else None
    if proposal is None:
        return tell(body, respond, client, say(relais.tr, "propose.refused.no_proposal", id=str(action.get("value"))))
    refusal = may_edit(relais, proposal, body["user"]["id"])
    if refusal is not None:
        return tell(body, respond, client, edit_outcome_text(relais, refusal))
    channel = (body.get("channel") or {}).get("id")
    open_form(
        relais,
        client,
        respond,
        body["trigger_id"],
        channel,
        initial_of(draft_of(relais.db, proposal)),
        proposal_id,
    )


def on_edit_submitted(ack, body, view, context, client):
    relais = relais_of(context)
    tr = relais.tr
    meta = metadata(view)
    draft, problems = read_propose_view(view.get("state", {}).get("values", {}), relais.clock.today(), meta)
    if problems:
        return ack(response_action="errors", errors=modal_errors(tr, problems))
    user = body["user"]["id"]
    proposal = store.get(relais.db, int(meta.get("proposal_id") or 0))
    if proposal is not None:
        draft.cycle_key = proposal["cycle_key"]
    outcome = edit_proposal(
        relais, proposal_id=int(meta.get("proposal_id") or 0), draft=draft, actor=user, deliver=False
    )
    refused_problems = outcome.params.get("problems")
    if refused_problems:
        return ack(response_action="errors", errors=modal_errors(tr, refused_problems))
    if not outcome.ok and outcome.key == "edit.refused.owner_comms":
        return ack(response_action="errors", errors={"owner": edit_outcome_text(relais, outcome)})
    ack()
    outbox.deliver_in_background(relais, outcome.keys)
    channel = meta.get("channel")
    if channel:  # say what happened where the form was opened (a refusal too: the proposal may have changed)
        replies.send(_confirm, client, channel, user, edit_outcome_text(relais, outcome))


def on_message_shortcut(ack, body, shortcut, context, client, respond):
    """ "Proposer ce contenu" on any message: the proposal form, prefilled from that message."""
    ack()
    relais = relais_of(context)
    initial = initial_from_message(shortcut.get("message") or {}, body["user"]["id"])
    channel = (shortcut.get("channel") or {}).get("id")
    open_form(relais, client, respond, shortcut["trigger_id"], channel, initial)


def on_declined_button(ack, body, action, context, respond, client):
    """ "Refusé": a small form confirms it and takes an optional reason."""
    ack()
    relais = relais_of(context)
    open_status_form(
        relais,
        body,
        action,
        respond,
        client,
        "declined",
        lambda placement, channel: declined_modal(relais.tr, placement, expected=placement["status"], channel=channel),
    )


def on_declined_submitted(ack, body, view, context):
    relais = relais_of(context)
    tr = relais.tr
    meta = metadata(view)
    reason = read_declined_view(view.get("state", {}).get("values", {}))
    if len(reason) > REASON_MAX:
        return ack(response_action="errors", errors={"reason": say(tr, "propose.refused.reason_long", max=REASON_MAX)})
    outcome = change_status(
        relais,
        placement_id=int(meta.get("placement_id") or 0),
        to="declined",
        actor=body["user"]["id"],
        expected=meta.get("expected"),
        note=reason,
        deliver=False,
    )
    if not outcome.ok:
        return ack(response_action="errors", errors={"reason": say(tr, outcome.key, **outcome.params)})
    ack()
    outbox.deliver_in_background(relais, outcome.keys)


def on_withdraw_button(ack, body, action, context, respond, client):
    """ "Retirer" (confirmed in Slack's dialog): this outlet only, the others go on."""
    ack()
    relais = relais_of(context)
    placement_id, expected = _placement_value(action)
    if placement_id is None:
        return tell(body, respond, client, relais.tr("propose.refused.no_placement"))
    outcome = withdraw_placement(relais, placement_id=placement_id, actor=body["user"]["id"], expected=expected)
    if not outcome.ok:
        tell(body, respond, client, refusal_text(relais, outcome))


def on_undo_button(ack, body, action, context, respond, client):
    """ "Annuler le dernier changement" (confirmed in Slack's dialog): the comms team only."""
    ack()
    relais = relais_of(context)
    placement_id, expected = _placement_value(action)
    if placement_id is None:
        return tell(body, respond, client, relais.tr("propose.refused.no_placement"))
    outcome = undo_last_change(relais, placement_id=placement_id, actor=body["user"]["id"], expected=expected)
    if not outcome.ok:
        tell(body, respond, client, refusal_text(relais, outcome))

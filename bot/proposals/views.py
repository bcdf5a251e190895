"""What /propose shows: the proposal form (a modal), the "published" form, replies for list, show and
outlets, and the wording of problems, refusals and warnings. Everything a user typed is escaped.

    view = propose_modal(relais, initial={"title": "...", "outlets": ["udem-facebook"]},
                         private_metadata={"cycle_key": "..."})
    draft, problems = read_propose_view(view_state_values, today)
    errors = modal_errors(relais.tr, problems)    # {block_id: text} for response_action "errors"
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache

from bot.blocks import (
    MAX_BLOCKS,
    MAX_FALLBACK,
    MAX_MESSAGE_CHARS,
    context,
    escape,
    fit_blocks,
    fit_lines,
    input_block,
    message_chars,
    modal,
    option,
    section,
    sections,
    text_input,
)
from bot.clock import from_text
from bot.i18n import CATALOGS, translator
from bot.proposals.dates import DateError, normalize, parse_date
from bot.proposals.outlets import active
from bot.proposals.rules import (
    CATEGORIES,
    DEFAULT_CATEGORY,
    LINE_PARTS,
    LINK_MAX,
    NOTES_MAX,
    SUMMARY_MAX,
    TEXT_FIELD,
    TITLE_MAX,
    Draft,
    Problem,
    clean_text,
    is_closed,
)
from bot.text import clean, one_line

STATUS_PARAMS = {"current", "to", "from", "status"}
BUSINESS_DAY_PARAMS = {"late", "lead_days", "left"}
MAX_LIST = 40
AUDIENCES = ("students", "graduate-students", "staff", "faculty", "researchers", "alumni", "public")
# What people also type for an audience in the one-line /propose, besides its slug and its labels
AUDIENCE_ALIASES = {
    "graduate-students": ("cycles supérieurs", "étudiants des cycles supérieurs", "grad students"),
    "faculty": ("professeurs", "professeures", "professors"),
}


# -- wording ------------------------------------------------------------------------------------
def business_days(tr, count: int) -> str:
    return tr.plural("propose.bdays", count)


def say(tr, key: str, **params) -> str:
    """A catalog message with its parameters formatted: dates as dates, numbers as numbers, statuses
    and business days in words, and every text escaped for mrkdwn."""
    out = {}
    for name, value in params.items():
        if name == "audiences" and isinstance(value, (list, tuple)):
            out[name] = ", ".join(audience_label(tr, a) for a in value)
        elif name == "known" and isinstance(value, (list, tuple)):
            out[name] = ", ".join(f"{audience_label(tr, a)} (`{escape(a)}`)" for a in value)
        elif name == "missing" and isinstance(value, (list, tuple)):  # parts of the one-line form
            out[name] = tr("propose.missing.join").join(tr("propose.part." + p) for p in value)
        elif name == "parts" and isinstance(value, (list, tuple)):  # the line completed with what was typed
            out[name] = (
                "`/propose "
                + " | ".join(
                    escape(v) if v is not None else tr("propose.placeholder." + LINE_PARTS[i])
                    for i, v in enumerate(value)
                )
                + "`"
            )
        elif name == "others" and isinstance(value, (list, tuple)):  # proposals: (id, title), or "…"
            out[name] = ", ".join(
                tr("propose.ref", id=v[0], title=escape(v[1])) if isinstance(v, (list, tuple)) else escape(str(v))
                for v in value
            )
        elif isinstance(value, date):
            out[name] = tr.date(value)
        elif name in BUSINESS_DAY_PARAMS and isinstance(value, int):
            out[name] = business_days(tr, value)
        elif name in STATUS_PARAMS and isinstance(value, str):
            out[name] = status_label(tr, value)
        elif isinstance(value, bool):
            out[name] = str(value)
        elif isinstance(value, (int, float)):
            out[name] = tr.number(value)
        elif isinstance(value, (list, tuple)):
            out[name] = ", ".join(escape(str(v)) for v in value)
        else:
            out[name] = escape(str(value))
    return tr(key, **out)


def status_label(tr, status: str) -> str:
    return tr("propose.status." + status) if status in STATUSES else escape(status)


def category_label(tr, category: str) -> str:
    return tr("propose.category." + category) if category in CATEGORIES else escape(category)


def audience_label(tr, audience: str) -> str:
    return tr("propose.audience." + audience) if audience in AUDIENCES else escape(audience)


STATUSES = ("planned", "submitted", "accepted", "declined", "published", "cancelled", "withdrawn", "not_published")


def audience_names(audiences=AUDIENCES) -> dict[str, str]:
    """What people may type for each audience in the one-line /propose: its slug and its label in every
    language, normalised (case and accents ignored) -> the slug."""
    return dict(_audience_names(tuple(audiences)))


@lru_cache(maxsize=16)
def _audience_names(audiences: tuple[str, ...]) -> dict[str, str]:
    names: dict[str, str] = {}
    for language in CATALOGS:
        tr = translator(language)
        for a in audiences:
            names[normalize(tr("propose.audience." + a))] = a
    for a in audiences:
        names[normalize(a)] = a
        names[normalize(a.replace("-", " "))] = a
        for alias in AUDIENCE_ALIASES.get(a, ()):
            names[normalize(alias)] = a
    return names


def problem_text(tr, problem: Problem) -> str:
    return say(tr, problem.key, **problem.params)


def refusal_blocks(tr, problems: list[Problem]) -> list[dict]:
    """The ephemeral answer to a one-line /propose that cannot be stored: every problem, then the right form."""
    lines = "\n".join("• " + problem_text(tr, p) for p in problems)
    return [section(tr("propose.refused.header") + "\n" + lines), context(tr("propose.usage"))]


MODAL_ERROR_MAX = 1900  # characters of one input's error text


def modal_errors(tr, problems: list[Problem]) -> dict[str, str]:
    """`response_action: errors` for the propose modal: each problem on its field (an outlet's text on its
    own input; every outlet's deadline on the outlets input), one problem a line."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        block = p.field if p.field in MODAL_FIELDS or p.field.startswith(TEXT_FIELD) else "title"
        errors.setdefault(block, []).append(problem_text(tr, p))
    return {block: error_lines(texts) for block, texts in errors.items()}


def error_lines(texts: list[str], limit: int = MODAL_ERROR_MAX) -> str:
    """One problem: as it is. Several: one a line, each after a bullet (so they stay apart where a client
    folds the lines), whole lines only: those that do not fit become '…'."""
    if len(texts) == 1:
        return texts[0] if len(texts[0]) <= limit else texts[0][: limit - 1] + "…"
    lines: list[str] = []
    for text in texts:
        line = "• " + text
        if len("\n".join([*lines, line, "…"])) > limit:
            lines.append("…")
            break
        lines.append(line)
    return "\n".join(lines)


# -- the proposal form ------------------------------------------------------------------------------
MODAL_FIELDS = (
    "title",
    "summary",
    "category",
    "audiences",
    "publish_on",
    "outlets",
    "link",
    "notes",
    "owner",
    "cycle",
)


def propose_modal(
    relais, initial: dict | None = None, private_metadata: dict | None = None, edit: int | None = None
) -> dict:
    """The /propose form (callback_id "propose"). `initial` may give title, summary, category, audiences,
    outlets (slugs), publish_on (a date or ISO text), link, notes, owner (a Slack user ID: the person
    proposing by default); `private_metadata` may carry cycle_key (stored with the proposal) and channel
    (where to confirm). With `edit` (a proposal id) it is the edit form of that proposal (callback_id
    "propose_edit", its id in private_metadata["proposal_id"])."""

    tr = relais.tr
    initial = initial or {}
    outlets = active(relais.db)
    outlet_options = [option(o.name, o.slug) for o in outlets]
    chosen = [o for o in outlet_options if o["value"] in set(initial.get("outlets") or ())]
    category_options = [option(tr("propose.category." + c), c) for c in CATEGORIES]
    audiences = list(dict.fromkeys([a for o in outlets for a in o.audiences]))
    audience_options = [option(audience_label(tr, a), a) for a in audiences]
    chosen_audiences = [o for o in audience_options if o["value"] in set(initial.get("audiences") or ())]

    category = {
        "type": "static_select",
        "action_id": "value",
        "options": category_options,
        "placeholder": {"type": "plain_text", "text": tr("propose.modal.category_placeholder")},
    }
    wanted = initial.get("category") or DEFAULT_CATEGORY
    for o in category_options:
        if o["value"] == wanted:
            category["initial_option"] = o
    audience = {
        "type": "multi_static_select",
        "action_id": "value",
        "options": audience_options,
        "placeholder": {"type": "plain_text", "text": tr("propose.modal.audiences_placeholder")},
    }
    if chosen_audiences:
        audience["initial_options"] = chosen_audiences
    picker = {
        "type": "datepicker",
        "action_id": "value",
        "placeholder": {"type": "plain_text", "text": tr("propose.modal.date_placeholder")},
    }
    publish_on = initial.get("publish_on")
    if publish_on:
        picker["initial_date"] = publish_on.isoformat() if isinstance(publish_on, date) else str(publish_on)
    outlets_select = {
        "type": "multi_static_select",
        "action_id": "value",
        "options": outlet_options,
        "placeholder": {"type": "plain_text", "text": tr("propose.modal.outlets_placeholder")},
    }
    if chosen:
        outlets_select["initial_options"] = chosen

    blocks = [
        input_block(
            "title",
            tr("propose.modal.title"),
            text_input(initial=(initial.get("title") or "")[:TITLE_MAX], max_length=TITLE_MAX),
        ),
        input_block(
            "summary",
            tr("propose.modal.summary"),
            text_input(initial=(initial.get("summary") or "")[:SUMMARY_MAX], multiline=True, max_length=SUMMARY_MAX),
            optional=True,
        ),
        input_block("category", tr("propose.modal.category"), category),
        input_block("audiences", tr("propose.modal.audiences"), audience, optional=True),
        input_block("publish_on", tr("propose.modal.date"), picker, hint=tr("propose.modal.date_hint")),
        input_block("outlets", tr("propose.modal.outlets"), outlets_select, hint=tr("propose.modal.outlets_hint")),
        input_block(
            "link",
            tr("propose.modal.link"),
            text_input(initial=initial.get("link") or None, max_length=LINK_MAX, placeholder="https://"),
            optional=True,
        ),
        input_block(
            "notes",
            tr("propose.modal.notes"),
            text_input(initial=initial.get("notes") or None, multiline=True, max_length=NOTES_MAX),
            optional=True,
            hint=tr("propose.modal.notes_hint"),
        ),
    ]
    if edit is None:  # right after the category
        blocks[3:3] = cycle_blocks(relais, initial.get("cycle") or (private_metadata or {}).get("cycle_key"))
    blocks += outlet_text_blocks(tr, outlets, initial.get("texts") or {}, room=MAX_MODAL_BLOCKS - len(blocks) - 1)
    owner = {"type": "users_select", "action_id": "value"}
    if initial.get("owner"):
        owner["initial_user"] = initial["owner"]
    # optional: left empty (a form opened from App Home or a cycle prompt), the person submitting owns it
    blocks.append(input_block("owner", tr("edit.owner.label"), owner, optional=True, hint=tr("edit.owner.hint")))
    if edit is not None:
        return modal(
            "propose_edit",
            tr("edit.modal.heading", id=str(edit))[:24],
            blocks,
            submit=tr("edit.modal.submit"),
            close=tr("common.cancel"),
            private_metadata={**(private_metadata or {}), "proposal_id": edit},
        )
    return modal(
        "propose",
        tr("propose.modal.heading"),
        blocks,
        submit=tr("propose.modal.submit"),
        close=tr("common.cancel"),
        private_metadata=dict(private_metadata or {}),
    )


MAX_MODAL_BLOCKS = 100  # Block Kit's limit for a modal
NO_CYCLE = "none"  # the cycle field's "no cyclic content" option


def cycle_blocks(relais, chosen: str | None) -> list[dict]:
    """Issue 15, item 6: the optional "cyclic content" field (block "cycle"), when the calendar file has
    cycles: none, or one of them (prefilled from a cycle prompt). The proposal is linked to that cycle's
    return, so the prompt, its button and the digest know it was proposed."""
    tr = relais.tr
    cycles = tuple(getattr(relais.calendar_file, "cycles", ()) or ())[:99]  # 100 options at most
    if not cycles:
        return []
    options = [option(tr("propose.modal.cycle_none"), NO_CYCLE)] + [option(c.title, c.key) for c in cycles]
    select: dict = {"type": "static_select", "action_id": "value", "options": options}
    select["initial_option"] = next((o for o in options if o["value"] == chosen), options[0])
    return [input_block("cycle", tr("propose.modal.cycle"), select, optional=True, hint=tr("propose.modal.cycle_hint"))]


def outlet_text_blocks(tr, outlets, texts: dict, room: int) -> list[dict]:
    """Issue 17: an optional text field per active outlet declaring max_chars ("text_<slug>", Block Kit's
    max_length set to it), labelled with the outlet's name and limit; at most `room` of them."""
    blocks = []
    for o in [o for o in outlets if o.max_chars][: max(room, 0)]:
        label = tr("propose.modal.outlet_text", outlet=o.name, max=tr.number(o.max_chars))
        blocks.append(
            input_block(
                TEXT_FIELD + o.slug,
                label[:2000],
                text_input(
                    initial=(texts.get(o.slug) or "")[: o.max_chars] or None,
                    multiline=o.max_chars > 300,
                    max_length=o.max_chars,
                ),
                optional=True,
                hint=tr("propose.modal.outlet_text_hint"),
            )
        )
    return blocks


def initial_of(draft: Draft) -> dict:
    """A draft as the form's `initial` values."""
    return {
        "title": draft.title,
        "summary": draft.summary,
        "category": draft.category,
        "audiences": list(draft.audiences),
        "publish_on": draft.publish_on,
        "outlets": list(draft.outlets),
        "link": draft.link,
        "notes": draft.notes,
        "owner": draft.owner,
        "texts": dict(draft.texts),
    }


def team_mentions(settings) -> str:
    return ", ".join(f"<@{u}>" for u in settings.comms_team)


def edit_outcome_text(relais, outcome) -> str:
    """What to tell the person after an edit (done, unchanged or refused): mentions left as mentions,
    what they typed escaped, every problem listed."""
    tr = relais.tr
    params = dict(outcome.params)
    problems = params.pop("problems", [])
    owner = params.pop("owner", None)
    text = say(tr, outcome.key, **params, owner="\x00owner", team="\x00team")  # mentions stay mentions
    text = text.replace("\x00owner", f"<@{owner}>" if owner else "").replace("\x00team", team_mentions(relais.settings))
    if problems:
        text += "\n" + "\n".join("• " + problem_text(tr, p) for p in problems)
    return text


def note_lines(tr, changes: list, names: dict[str, str]) -> list[str]:
    """The lines of an edit note: one per change ([field, old, new]), what was typed escaped."""
    lines = []
    for field_name, old, new in changes:
        key = "edit.note." + field_name
        if field_name == "publish_on":
            old, new = tr.date(date.fromisoformat(old)), tr.date(date.fromisoformat(new))
        elif field_name == "owner_id":
            old, new = f"<@{old}>", f"<@{new}>"
        elif field_name == "category":
            old, new = category_label(tr, old or ""), category_label(tr, new or "")
        elif field_name == "audiences":
            new = ", ".join(audience_label(tr, a) for a in new or []) or tr("edit.note.none")
        elif field_name == "outlet_text":  # issue 17: [outlet_text, slug, new text]
            old, new = escape(names.get(old or "", old or "")), escape(str(new or "")[:300]) or tr("edit.note.none")
        elif field_name in ("outlets_added", "outlets_removed"):
            old, new = escape(names.get(old or "", old or "")), escape(names.get(new or "", new or ""))
        else:
            old, new = escape(str(old or "")[:300]), escape(str(new or "")[:300]) or tr("edit.note.none")
        lines.append("• " + tr(key, old=old, new=new))
    return lines


def _value(values: dict, block: str) -> dict:
    entry = values.get(block) or {}
    return entry.get("value") or (next(iter(entry.values())) if entry else {}) or {}


def read_propose_view(values: dict, today: date, private_metadata: dict | None = None) -> tuple[Draft, list[Problem]]:
    """The form's state.values as a draft, and what could not be read (a typed date in the console)."""
    problems: list[Problem] = []
    draft = Draft(
        title=clean_text(_value(values, "title").get("value")),
        summary=clean(_value(values, "summary").get("value"), multiline=True),
        link=one_line(_value(values, "link").get("value")),
        notes=clean(_value(values, "notes").get("value"), multiline=True),
        outlets=tuple(o["value"] for o in _value(values, "outlets").get("selected_options") or []),
        audiences=tuple(o["value"] for o in _value(values, "audiences").get("selected_options") or []),
        category=((_value(values, "category").get("selected_option") or {}).get("value") or DEFAULT_CATEGORY),
        cycle_key=_cycle_choice(values, private_metadata),
        owner=_value(values, "owner").get("selected_user") or None,
        texts={
            block[len(TEXT_FIELD) :]: (_value(values, block).get("value") or "").strip()
            for block in values
            if block.startswith(TEXT_FIELD) and (_value(values, block).get("value") or "").strip()
        },
    )
    picked = _value(values, "publish_on").get("selected_date")
    if picked:
        try:
            draft.publish_on = date.fromisoformat(picked)
        except ValueError:
            try:
                draft.publish_on = parse_date(picked, today)  # the console's prompt takes any date
            except DateError as error:
                problems.append(
                    Problem("publish_on", "propose.date." + error.reason, {"text": error.text, **error.params})
                )
    return draft, problems


def _cycle_choice(values: dict, private_metadata: dict | None) -> str | None:
    """The cycle chosen in the form's "cycle" field ("none": no cycle); without that field, the one the form
    was opened for (private_metadata, a cycle prompt)."""
    if "cycle" in values:
        chosen = (_value(values, "cycle").get("selected_option") or {}).get("value")
        return chosen if chosen and chosen != NO_CYCLE else None
    return (private_metadata or {}).get("cycle_key") or None


_SLACK_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_SLACK_MENTION = re.compile(r"<[@#!]([^|>]+)(?:\|([^>]*))?>")


def initial_from_message(message: dict, fallback_owner: str) -> dict:
    """The form's values from a Slack message (the "Proposer ce contenu" shortcut): its first line as the
    title, the rest as the summary, its first link as the link, its author as the owner."""
    raw = message.get("text") or ""
    links = _SLACK_LINK.findall(raw)
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(1), raw)
    text = _SLACK_MENTION.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    first, _, rest = text.partition("\n")
    return {
        "title": clean_text(first)[:TITLE_MAX],
        "summary": clean(rest, multiline=True)[:SUMMARY_MAX],
        "link": links[0][0][:LINK_MAX] if links else "",
        "owner": message.get("user") or fallback_owner,
    }


def metadata(view: dict) -> dict:
    try:
        value = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# -- the "published" form ---------------------------------------------------------------------------
def published_modal(tr, placement: dict, today: date, *, expected: str, channel: str | None) -> dict:
    """Date and address of a publication (callback_id "placement_published")."""
    planned = date.fromisoformat(placement["publish_on"]) if placement.get("publish_on") else today
    picker = {"type": "datepicker", "action_id": "value", "initial_date": min(planned, today).isoformat()}
    blocks = [
        section(
            tr(
                "propose.published.intro",
                outlet=escape(placement["outlet_name"]),
                title=escape(placement["proposal_title"]),
                id=str(placement["proposal_id"]),
            )
        ),
        input_block("published_on", tr("propose.published.date"), picker),
        input_block(
            "url",
            tr("propose.published.url"),
            text_input(max_length=LINK_MAX, placeholder="https://"),
            optional=True,
            hint=tr("propose.published.url_hint"),
        ),
    ]
    return modal(
        "placement_published",
        tr("propose.published.heading"),
        blocks,
        submit=tr("common.submit"),
        close=tr("common.cancel"),
        private_metadata={"placement_id": placement["id"], "expected": expected, "channel": channel},
    )


REASON_MAX = 500


def declined_modal(tr, placement: dict, *, expected: str, channel: str | None) -> dict:
    """Confirm a decline, with its optional reason (callback_id "placement_declined")."""
    blocks = [
        section(
            tr(
                "propose.declined.intro",
                outlet=escape(placement["outlet_name"]),
                title=escape(placement["proposal_title"]),
                id=str(placement["proposal_id"]),
            )
        ),
        input_block(
            "reason",
            tr("propose.declined.reason"),
            text_input(multiline=True, max_length=REASON_MAX),
            optional=True,
            hint=tr("propose.declined.reason_hint"),
        ),
    ]
    return modal(
        "placement_declined",
        tr("propose.declined.heading"),
        blocks,
        submit=tr("propose.declined.submit"),
        close=tr("common.cancel"),
        private_metadata={"placement_id": placement["id"], "expected": expected, "channel": channel},
    )


def read_declined_view(values: dict) -> str:
    """The reason typed (may be empty)."""
    return one_line(_value(values, "reason").get("value"))


def read_published_view(values: dict, today: date) -> tuple[date | None, str, dict[str, str] | None]:
    """(date, url, None) or (None, url, {"published_on": problem key}) when the date cannot be read."""
    picked = _value(values, "published_on").get("selected_date") or ""
    url = one_line(_value(values, "url").get("value"))
    try:
        return date.fromisoformat(picked), url, None
    except ValueError:
        try:
            return parse_date(picked, today), url, None
        except DateError:
            return None, url, {"published_on": "propose.refused.published_date"}


# -- replies: outlets, list, show --------------------------------------------------------------------
def outlets_blocks(tr, outlets) -> list[dict]:
    head = [section(tr("propose.outlets.header"))]
    blocks: list[dict] = []
    for o in outlets[:MAX_LIST]:
        owner = tr("propose.outlets.owner_" + o.owner)
        quota = tr.plural("propose.outlets.per_week", o.per_week) if o.per_week else tr("propose.outlets.no_limit")
        lead = (
            tr("propose.outlets.lead", days=business_days(tr, o.lead_days))
            if o.lead_days
            else tr("propose.outlets.no_lead")
        )
        lines = [
            tr(
                "propose.outlets.line",
                name=escape(o.name),
                slug=escape(o.slug),
                owner=owner,
                platform=escape(o.platform),
            ),
            tr("propose.outlets.rules", lead=lead, quota=quota),
        ]
        if o.checklist:
            lines.append(tr("propose.outlets.checklist", items=escape(", ".join(o.checklist))))
        if o.audiences:
            lines.append(
                tr("propose.outlets.audiences", audiences=", ".join(audience_label(tr, a) for a in o.audiences))
            )
        blocks.append(section("\n".join(lines)))  # one block an outlet: the count below is of outlets
    tail = [context(tr("propose.outlets.footer"))]
    beyond = len(outlets) - len(blocks)  # past MAX_LIST

    def more(left: int) -> dict:
        return context(tr.plural("propose.outlets.more", left + beyond))

    room = MAX_MESSAGE_CHARS - MAX_FALLBACK - message_chars(head + tail) - (300 if beyond else 0)
    cap = MAX_BLOCKS - len(head) - len(tail) - 1
    if beyond and len(blocks) <= cap and message_chars(blocks) <= room:
        blocks.append(more(0))  # every listed outlet fits: the line says how many are past the list
    else:
        blocks = fit_blocks(blocks, more, room=room, max_blocks=cap)
    return head + blocks + tail


def list_blocks(
    tr, rows: list[dict], placements: dict[int, list[dict]], total: int, everything: bool = False
) -> list[dict]:
    """Open proposals, soonest first: date, title, owner, each placement's status and deadline. With
    `everything` (`/propose list all`): every proposal, newest first, closed and cancelled ones marked."""
    if not rows:
        return [section(tr("propose.list.all_empty" if everything else "propose.list.empty"))]
    header = "propose.list.all_header" if everything else "propose.list.header"
    head = [section(tr(header, count=tr.number(total)))]
    blocks: list[dict] = []
    for r in rows[:MAX_LIST]:
        mine = placements.get(r["id"], [])
        parts = [
            tr(
                "propose.list.placement",
                outlet=escape(p["outlet_name"]),
                status=status_label(tr, p["status"]),
                deadline=tr.date(date.fromisoformat(p["deadline"]), "short"),
            )
            for p in mine
        ]
        line = tr(
            "propose.list.line",
            id=str(r["id"]),
            title=escape(r["title"]),
            date=tr.date(date.fromisoformat(r["publish_on"])),
            owner=f"<@{r['owner_id']}>",
        )
        if r["status"] == "cancelled":
            line += " · " + tr("propose.list.state.cancelled")
        elif is_closed([p["status"] for p in mine]):
            line += " · " + tr("propose.list.state.closed")
        blocks.append(section(line + ("\n" + " · ".join(parts) if parts else "")))
    tail = [context(tr("propose.list.footer"))]
    if not everything:
        tail.append(context(tr("propose.list.see_all")))
    beyond = total - len(blocks)  # past MAX_LIST

    def more(left: int) -> dict:
        return context(tr("common.and_more", count=tr.number(left + beyond)))

    room = MAX_MESSAGE_CHARS - MAX_FALLBACK - message_chars(head + tail) - (300 if beyond else 0)
    cap = MAX_BLOCKS - len(head) - len(tail) - 1
    if beyond > 0 and len(blocks) <= cap and message_chars(blocks) <= room:
        blocks.append(more(0))  # every listed proposal fits: the line says how many are past the list
    else:
        blocks = fit_blocks(blocks, more, room=room, max_blocks=cap)
    return head + blocks + tail


def history_blocks(
    tr, tz, rows: list[dict], names: dict[str, str], room: int = MAX_MESSAGE_CHARS, max_blocks: int = MAX_BLOCKS
) -> list[dict]:
    """Who changed what, when: one line per history row, oldest first, in sections split between lines;
    within `room` characters and `max_blocks` blocks, the newest lines that do not fit replaced by a
    line saying how many."""
    lines = []
    for h in rows:
        when = tr.datetime(from_text(h["at"]).astimezone(tz))
        who = tr("propose.history.by_relais") if h["actor"] == "relais" else f"<@{h['actor']}>"
        if h["action"] == "imported":  # brought from a spreadsheet (python -m bot import): no person to name
            outlet = h.get("outlet_slug")
            what = (
                tr("propose.history.imported_placement", when=when, outlet=escape(names.get(outlet, outlet)))
                if outlet
                else tr("propose.history.imported", when=when)
            )
            lines.append(what + (f" ({escape(h['note'])})" if h.get("note") else ""))
            continue
        if h["action"] == "created":
            what = tr("propose.history.created")
        elif h["action"] == "cancelled":
            what = tr("propose.history.cancelled")
        elif h["action"] == "status":
            what = tr(
                "propose.history.status",
                outlet=escape(names.get(h.get("outlet_slug") or "", h.get("outlet_slug") or "")),
                **{"from": status_label(tr, h["from_value"] or ""), "to": status_label(tr, h["to_value"] or "")},
            )
        elif h["action"] == "deadline":
            what = tr(
                "propose.history.deadline",
                outlet=escape(names.get(h.get("outlet_slug") or "", h.get("outlet_slug") or "")),
                **{"from": _day_text(tr, h["from_value"]), "to": _day_text(tr, h["to_value"])},
            )
        elif h["action"] == "checklist":  # issue 17: a box of the submission package
            what = tr(
                "propose.history.checklist_" + ("ticked" if h["to_value"] == "1" else "unticked"),
                outlet=escape(names.get(h.get("outlet_slug") or "", h.get("outlet_slug") or "")),
                item=escape(h.get("note") or ""),
            )
            lines.append(tr("propose.history.line", when=when, who=who, what=what))
            continue
        elif h["action"] == "text":
            what = tr(
                "propose.history.text", outlet=escape(names.get(h.get("outlet_slug") or "", h.get("outlet_slug") or ""))
            )
        elif h["action"] == "undo":
            what = tr(
                "propose.history.undo",
                outlet=escape(names.get(h.get("outlet_slug") or "", h.get("outlet_slug") or "")),
                **{"from": status_label(tr, h["from_value"] or ""), "to": status_label(tr, h["to_value"] or "")},
            )
        else:
            what = escape(" ".join(str(v) for v in (h["action"], h.get("from_value"), h.get("to_value")) if v))
        if h.get("note"):
            what += f" ({escape(h['note'])})"
        lines.append(tr("propose.history.line", when=when, who=who, what=what))
    header = tr("propose.history.header")
    room = min(room, max_blocks * 2000) - len(header) - 1  # a section split between lines holds 2,000 at worst
    if room <= 0 or max_blocks < 1:
        return []
    shown = fit_lines(lines, room, lambda left: tr.plural("propose.history.more", left))
    return sections(header + "\n" + "\n".join(shown))


def _day_text(tr, day: str | None) -> str:
    try:
        return tr.date(date.fromisoformat(day or ""))
    except ValueError:
        return escape(day or "?")


def local_day(instant_text: str | None, tz) -> date | None:
    if not instant_text:
        return None
    return from_text(instant_text).astimezone(tz).date()

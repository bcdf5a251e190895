"""The rules of a proposal, as plain functions over plain data (no Slack, no database, no clock).

    draft = Draft(title="Zooanimation", publish_on=date(2026, 12, 10), outlets=("udem-facebook",))
    checked = check(draft, outlets_by_slug, BusinessDays(...), today, clashes={"udem-facebook": [...]})
    checked.ok                # False when anything must be corrected: checked.problems
    checked.placements        # per outlet: deadline, business days left, warnings

Deadline = publication date − the outlet's lead_days business days (bot.workdays). A deadline
already passed is refused, saying by how many business days and the earliest publication date that
would still work for that outlet. Warnings (deadline close, weekly quota already taken by other
proposals, the outlet's checklist) never refuse anything.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.proposals.dates import DateError, normalize, parse_date
from bot.proposals.outlets import Outlet
from bot.text import one_line
from bot.workdays import BusinessDays

TITLE_MAX = 150
SUMMARY_MAX = 3000
NOTES_MAX = 3000
LINK_MAX = 500
CLOSE_DAYS = 2  # a deadline within this many business days is flagged
MAX_AHEAD_DAYS = 730  # a publication more than two years ahead is a typo (and would count millions of days)

CATEGORIES = ("cyclic", "one-off", "collections")
DEFAULT_CATEGORY = "one-off"
CATEGORY_ALIASES = {
    "cyclic": "cyclic",
    "cyclique": "cyclic",
    "cycle": "cyclic",
    "recurring": "cyclic",
    "recurrent": "cyclic",
    "one-off": "one-off",
    "oneoff": "one-off",
    "one off": "one-off",
    "ponctuel": "one-off",
    "ponctuelle": "one-off",
    "collections": "collections",
    "collection": "collections",
    "livres rares": "collections",
    "rare books": "collections",
    "collections speciales": "collections",
    "special collections": "collections",
}

# Placement workflow: where each status may go next. Library outlets (our own accounts) need no
# submission to anyone, so a planned placement on them may be marked published directly.
TRANSITIONS = {
    "planned": ("submitted",),
    "submitted": ("accepted", "declined"),
    "accepted": ("published",),
    "declined": (),
    "published": (),
    "cancelled": (),
    "withdrawn": (),
    "not_published": ("published",),  # its date passed unpublished; it did go out after all
}
# The library's own outlets: no submission and no answer, planned → published.
OWN_OUTLET_TRANSITIONS = {"planned": ("published",)}
LIVE = ("planned", "submitted", "accepted", "published")  # what takes a weekly slot
OPEN = ("planned", "submitted", "accepted")  # what may still be withdrawn
# A placement's end: a proposal whose placements have all ended is closed (no more steps, reminders, listing).
ENDED = ("declined", "published", "cancelled", "withdrawn", "not_published")


def is_closed(statuses: Sequence[str]) -> bool:
    """A proposal is closed when each of its placements has ended (none planned, submitted or accepted)."""
    return bool(statuses) and not any(s in OPEN for s in statuses)


_LINK = re.compile(r"^https?://[^\s<>]+$", re.IGNORECASE)


def valid_link(link: str) -> bool:
    """An http(s) address without spaces or angle brackets, at most LINK_MAX characters."""
    return len(link) <= LINK_MAX and bool(_LINK.match(link))


@dataclass(frozen=True)
class Problem:
    """Something to correct. `field` is the form field (the modal's block_id), `key` a catalog key."""

    field: str
    key: str
    params: dict = dataclasses.field(default_factory=dict)  # `field` is the attribute above here


@dataclass(frozen=True)
class Note:
    """A warning on a placement; never refuses anything. `key` is a catalog key."""

    key: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Clash:
    """Another live placement on the same outlet in the same week."""

    proposal_id: int
    title: str
    goes_out: date


@dataclass
class Draft:
    title: str = ""
    publish_on: date | None = None
    outlets: tuple[str, ...] = ()
    category: str = DEFAULT_CATEGORY
    summary: str = ""
    audiences: tuple[str, ...] = ()
    link: str = ""
    notes: str = ""
    cycle_key: str | None = None
    cycle_period: tuple[date, date] | None = None  # the first and last day of the cycle's return it is for
    owner: str | None = None  # the Slack user ID responsible (the form's owner field); None: the one proposing
    texts: dict[str, str] = field(default_factory=dict)  # outlet slug -> the text for that outlet (max_chars)


@dataclass(frozen=True)
class PlacementPlan:
    slug: str
    deadline: date
    days_left: int  # business days from today until the deadline (0: today)
    notes: tuple[Note, ...] = ()


@dataclass
class Checked:
    problems: list[Problem]
    placements: list[PlacementPlan]

    @property
    def ok(self) -> bool:
        return not self.problems

    def by_field(self) -> dict[str, list[Problem]]:
        out: dict[str, list[Problem]] = {}
        for p in self.problems:
            out.setdefault(p.field, []).append(p)
        return out


# -- business-day arithmetic ---------------------------------------------------------------------
def deadline_for(publish_on: date, lead_days: int, days: BusinessDays) -> date:
    """The last day to submit: publication − lead_days business days, always a business day (lead_days 0:
    the publication day, or the business day before it when it is not one)."""
    return days.previous_business_day(days.subtract(publish_on, lead_days))


def days_left(deadline: date, today: date, days: BusinessDays) -> int:
    """Business days from today until the deadline: 0 on the day, negative once passed (see late_by)."""
    if deadline >= today:
        return days.between(today, deadline)
    return -late_by(deadline, today, days)


def late_by(deadline: date, today: date, days: BusinessDays) -> int:
    """How many business days late a submission made now would be (at least 1 once the deadline passed)."""
    if deadline >= today:
        return 0
    return max(1, days.between(deadline, days.next_business_day(today)))


def earliest_publication(lead_days: int, today: date, days: BusinessDays) -> date:
    """The first publication date whose deadline has not passed, for an outlet needing `lead_days`."""
    if lead_days == 0:
        return days.next_business_day(today)
    # the lead_days-th business day strictly before the publication must be today or later
    return days.add(days.next_business_day(today), lead_days - 1) + timedelta(days=1)


def week_of(day: date) -> date:
    """The Monday of `day`'s week (weekly quotas run Monday to Sunday)."""
    return day - timedelta(days=day.weekday())


# -- checking a draft ---------------------------------------------------------------------------
def clean_text(text: str | None) -> str:
    """A one-line field: invisible and control characters off, line breaks as spaces, runs of spaces
    collapsed, surrounding whitespace off (bot.text.one_line)."""
    return one_line(text)


def check(
    draft: Draft,
    outlets: Mapping[str, Outlet],
    days: BusinessDays,
    today: date,
    clashes: Mapping[str, Sequence[Clash]] | None = None,
) -> Checked:
    """Every problem of the draft (all at once), and the per-outlet plan of what is valid.

    `outlets` are the outlets that can be chosen (active ones); `clashes` the other live placements
    in the publication week, per outlet slug.
    """
    clashes = clashes or {}
    problems: list[Problem] = []
    title = clean_text(draft.title)
    if not title:
        problems.append(Problem("title", "propose.problem.title_empty"))
    elif len(title) > TITLE_MAX:
        problems.append(Problem("title", "propose.problem.title_long", {"max": TITLE_MAX, "length": len(title)}))
    if len(draft.summary or "") > SUMMARY_MAX:
        problems.append(Problem("summary", "propose.problem.too_long", {"max": SUMMARY_MAX}))
    if len(draft.notes or "") > NOTES_MAX:
        problems.append(Problem("notes", "propose.problem.too_long", {"max": NOTES_MAX}))
    link = (draft.link or "").strip()
    if link and not valid_link(link):
        problems.append(Problem("link", "propose.problem.link", {"link": link[:80]}))
    if draft.category not in CATEGORIES:
        problems.append(
            Problem(
                "category", "propose.problem.category", {"category": draft.category, "valid": ", ".join(CATEGORIES)}
            )
        )

    publish_on = draft.publish_on
    if publish_on is None:
        problems.append(Problem("publish_on", "propose.problem.date_missing"))
    elif publish_on < today:
        problems.append(Problem("publish_on", "propose.problem.date_past", {"date": publish_on, "today": today}))
    elif (publish_on - today).days > MAX_AHEAD_DAYS:
        problems.append(Problem("publish_on", "propose.problem.date_far", {"date": publish_on}))
        publish_on = None  # no deadlines computed for it

    slugs = list(dict.fromkeys(draft.outlets))
    unknown = [s for s in slugs if s not in outlets]
    if not slugs:
        problems.append(Problem("outlets", "propose.problem.outlets_empty", {"valid": ", ".join(outlets)}))
    elif unknown:
        problems.append(
            Problem(
                "outlets",
                "propose.problem.outlets_unknown",
                {"unknown": ", ".join(unknown), "valid": ", ".join(outlets)},
            )
        )

    problems += text_problems(draft.texts, slugs, outlets)

    plans: list[PlacementPlan] = []
    if publish_on is not None and publish_on >= today:
        for slug in slugs:
            outlet = outlets.get(slug)
            if outlet is None:
                continue
            deadline = deadline_for(publish_on, outlet.lead_days, days)
            if deadline < today and outlet.owner != "library":  # the library's own: nothing to submit
                problems.append(
                    Problem(
                        "outlets",
                        "propose.problem.deadline_passed",
                        {
                            "outlet": outlet.name,
                            "deadline": deadline,
                            "late": late_by(deadline, today, days),
                            "lead_days": outlet.lead_days,
                            "earliest": earliest_publication(outlet.lead_days, today, days),
                        },
                    )
                )
                continue
            notes = placement_notes(
                status="planned",
                deadline=deadline,
                today=today,
                days=days,
                outlet=outlet,
                clashes=clashes.get(slug, ()),
                publish_on=publish_on,
                audiences=draft.audiences,
            )
            plans.append(
                PlacementPlan(
                    slug=slug, deadline=deadline, days_left=days_left(deadline, today, days), notes=tuple(notes)
                )
            )
    return Checked(problems=problems, placements=plans)


TEXT_FIELD = "text_"  # the form's block of an outlet's own text: "text_<slug>"


def outlet_texts(texts: Mapping[str, str], slugs: Sequence[str], outlets: Mapping[str, Outlet]) -> dict[str, str]:
    """The per-outlet texts kept with the placements: for a chosen outlet that declares max_chars, not empty."""
    return {
        slug: text.strip()
        for slug, text in (texts or {}).items()
        if slug in slugs and slug in outlets and outlets[slug].max_chars and (text or "").strip()
    }


def text_problems(texts: Mapping[str, str], slugs: Sequence[str], outlets: Mapping[str, Outlet]) -> list[Problem]:
    """A text longer than its outlet's max_chars (the form's max_length, checked again on submit)."""
    return [
        Problem(
            TEXT_FIELD + slug,
            "propose.problem.text_long",
            {"outlet": outlets[slug].name, "max": outlets[slug].max_chars, "length": len(text)},
        )
        for slug, text in outlet_texts(texts, slugs, outlets).items()
        if len(text) > (outlets[slug].max_chars or 0)  # outlet_texts keeps outlets with a max_chars
    ]


FREE_WEEKS = 12  # how far, in weeks before and after, the next free week is looked for


def free_dates(
    publish_on: date,
    lead_days: Sequence[int],
    today: date,
    days: BusinessDays,
    has_room: Callable[[date], bool],
    weeks: int = FREE_WEEKS,
) -> tuple[date | None, date | None]:
    """Issue 17: the nearest dates before and after `publish_on` (the same weekday, whole weeks away) whose
    week still has room (`has_room`) and whose deadline, for every outlet lead time in `lead_days`, is still
    ahead (today or later); None on a side with no such date within `weeks` weeks."""

    def workable(day: date) -> bool:
        return day >= today and all(deadline_for(day, lead, days) >= today for lead in lead_days)

    before = after = None
    for k in range(1, weeks + 1):
        day = publish_on - timedelta(weeks=k)
        if not workable(day):  # earlier weeks are closer still: none will do
            break
        if has_room(day):
            before = day
            break
    for k in range(1, weeks + 1):
        day = publish_on + timedelta(weeks=k)
        if (day - today).days > MAX_AHEAD_DAYS:
            break
        if workable(day) and has_room(day):
            after = day
            break
    return before, after


def placement_notes(
    *,
    status: str,
    deadline: date,
    today: date,
    days: BusinessDays,
    outlet: Outlet,
    clashes: Sequence[Clash],
    publish_on: date,
    audiences: Sequence[str] = (),
) -> list[Note]:
    """The warnings a placement carries now: deadline passed or close (while planned, on a university
    outlet), the weekly quota already taken by other placements that week (while live), the proposal's
    audiences the outlet does not reach (while live), the checklist to supply (while planned)."""
    notes: list[Note] = []
    if status == "planned" and outlet.owner != "library":
        if deadline < today:
            notes.append(Note("propose.warn.deadline_passed", {"late": late_by(deadline, today, days)}))
        elif days.between(today, deadline) <= CLOSE_DAYS and outlet.lead_days > 0:
            notes.append(Note("propose.warn.deadline_close", {"deadline": deadline}))
    if status in LIVE and outlet.per_week is not None and len(clashes) >= outlet.per_week:
        notes.append(
            Note(
                "propose.warn.quota",
                {
                    "per_week": outlet.per_week,
                    "week": week_of(publish_on),
                    "others": tuple((c.proposal_id, c.title) for c in clashes[:3])
                    + (("…",) if len(clashes) > 3 else ()),
                },
            )
        )
    missing = missing_audiences(audiences, outlet)
    if status in LIVE and missing:
        notes.append(Note("propose.warn.audiences", {"audiences": tuple(missing)}))
    if status == "planned" and outlet.checklist:
        notes.append(Note("propose.warn.checklist", {"items": ", ".join(outlet.checklist)}))
    return notes


def next_statuses(status: str, outlet_owner: str) -> tuple[str, ...]:
    """Where a placement may go from `status` (a library outlet goes from planned to published directly)."""
    if outlet_owner == "library" and status in OWN_OUTLET_TRANSITIONS:
        return OWN_OUTLET_TRANSITIONS[status]
    return TRANSITIONS.get(status, ())


def undo_target(changes: Sequence[dict]) -> dict | None:
    """The status change an undo reverts (a history row, `from_value` being the status to go back to), or
    None: `changes` are a placement's history rows `status` and `undo`, oldest first; each undo cancels
    the latest change not undone yet, so undoing again walks further back."""
    stack: list[dict] = []
    for row in changes:
        if row["action"] == "status":
            stack.append(row)
        elif row["action"] == "undo" and stack:
            stack.pop()
    return stack[-1] if stack else None


def missing_audiences(audiences: Sequence[str], outlet: Outlet) -> list[str]:
    """The proposal's audiences the outlet does not reach (an outlet with no audiences listed reaches all)."""
    if not outlet.audiences:
        return []
    return [a for a in audiences if a not in outlet.audiences]


# -- the one-line form ----------------------------------------------------------------------------
def parse_category(text: str | None) -> str | None:
    """'cyclique' -> 'cyclic'; None when it is no category we know."""

    value = normalize(text or "")
    return CATEGORY_ALIASES.get(value)


def parse_outlets(text: str) -> tuple[str, ...]:
    """'udem-facebook, UdeM-X bib-x' -> ('udem-facebook', 'udem-x', 'bib-x'), duplicates dropped."""
    parts = [p.strip().lower().lstrip("#") for p in re.split(r"[,\s;]+", text or "")]
    return tuple(dict.fromkeys(p for p in parts if p))


_PIPE = re.compile(r"\|(?![^<>]*>)")  # a separator, not the | inside <https://x|y>


def unescape_slack(text: str) -> str:
    """Slack sends &, < and > of typed text as entities; back to what was typed (escaped again on output)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass
class Line:
    """The one-line form, split: the draft and what could not be read."""

    draft: Draft
    problems: list[Problem]


def parse_audiences(text: str, known: Mapping[str, str]) -> tuple[tuple[str, ...], list[str]]:
    """'étudiants, Staff' -> (('students', 'staff'), []): each comma-separated name matched to an audience
    through `known` (normalised name or slug -> slug); the names that match nothing come second."""
    found: list[str] = []
    unknown: list[str] = []
    for part in re.split(r"[,;]", text or ""):
        name = part.strip()
        if not name:
            continue
        slug = known.get(normalize(name))
        if slug is None:
            unknown.append(name)
        elif slug not in found:
            found.append(slug)
    return tuple(found), unknown


LINE_PARTS = ("title", "publish_on", "outlets")


def missing_parts(parts: Sequence[str], today: date) -> Problem:
    """A title alone, or a title and one more part: which parts are missing, and the line as typed with
    them in place (`parts`: the part typed for each of title, date, outlets, or None where missing).
    A second part that reads as no date and has no digit is taken for the outlets."""
    typed: list[str | None] = [parts[0], None, None]
    if len(parts) == 2 and parts[1]:
        try:
            parse_date(parts[1], today)
            typed[1] = parts[1]
        except DateError:
            typed[1 if re.search(r"\d", parts[1]) else 2] = parts[1]
    missing = tuple(name for name, part in zip(LINE_PARTS, typed, strict=True) if part is None)
    return Problem("form", "propose.problem.missing", {"missing": missing, "parts": tuple(typed)})


def parse_line(text: str, today: date, audiences: Mapping[str, str] | None = None) -> Line:
    """`TITLE | DATE | OUTLET[, OUTLET...] [| CATEGORY [| AUDIENCE[, AUDIENCE...]]]`. Parts that cannot be
    read become problems. `audiences` maps each known audience's normalised names (its slug, its label
    in each language) to its slug.

    A | inside angle brackets (a link Slack formatted) belongs to the title, not the form."""
    parts = [p.strip() for p in _PIPE.split(unescape_slack(text or ""))]
    problems: list[Problem] = []
    if len(parts) < 3 and parts[0]:
        return Line(Draft(title=clean_text(parts[0])), [missing_parts(parts, today)])
    if len(parts) < 3 or len(parts) > 5:
        return Line(Draft(title=parts[0] if parts else ""), [Problem("form", "propose.problem.form")])
    title, date_text, outlets_text = parts[:3]
    draft = Draft(title=clean_text(title), outlets=parse_outlets(outlets_text))
    try:
        draft.publish_on = parse_date(date_text, today)
    except DateError as error:
        problems.append(Problem("publish_on", "propose.date." + error.reason, {"text": error.text, **error.params}))
    if len(parts) == 4 and parts[3]:
        category = parse_category(parts[3])
        if category is None:
            problems.append(
                Problem("category", "propose.problem.category", {"category": parts[3], "valid": ", ".join(CATEGORIES)})
            )
        else:
            draft.category = category
    if len(parts) == 5 and parts[4]:
        known = audiences or {}
        draft.audiences, unknown = parse_audiences(parts[4], known)
        if unknown:
            problems.append(
                Problem(
                    "audiences",
                    "propose.problem.audiences_unknown",
                    {"unknown": ", ".join(unknown), "known": tuple(dict.fromkeys(known.values()))},
                )
            )
    return Line(draft, problems)


def check_line(
    line: Line,
    outlets: Mapping[str, Outlet],
    days: BusinessDays,
    today: date,
    clashes: Mapping[str, Sequence[Clash]] | None = None,
) -> Checked:
    """The one-line form (as parse_line read it) checked: the reading's problems and the rules' together."""
    if any(p.field == "form" for p in line.problems):
        return Checked(problems=list(line.problems), placements=[])
    checked = check(line.draft, outlets, days, today, clashes)
    reading_fields = {p.field for p in line.problems}
    # a date that could not be read is reported once, not also as "missing"
    rules = [
        p
        for p in checked.problems
        if not (p.field in reading_fields and p.key in ("propose.problem.date_missing", "propose.problem.category"))
    ]
    return Checked(problems=line.problems + rules, placements=checked.placements)

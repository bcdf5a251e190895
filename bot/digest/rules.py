"""The weekly digest's content: what goes out this week, what is due, what waits for an answer,
what figures are missing, what last week and the term earned, which cyclic contents come back.

Pure: `compute()` turns plain rows (fetched by `storage.digest`, gathered by `gather()`) into a
`Digest` of sections of items, plain data. Rendering to Block Kit is `bot.digest.render`; the
chart is `bot.stats.chart`; planning and sending is `bot.digest.jobs`.

    day = digest_day(date(2026, 12, 9), weekday=0)     # the digest a day belongs to: Monday 7 December
    digest = build(relais, day, now)                   # gather + compute
    digest.sections                                    # only the sections that have something

The digest of `day` covers:
- this week: `day` to `day + 6` (Monday to Sunday with the default DIGEST_AT);
- last week: `day - 7` to `day - 1`; the term: from the latest `term-start` event to `day - 1`;
- what is due, late or missing as of `now` (when it is built, which is when it is sent); missing
  figures for the publications of the last MISSING_DAYS days (older ones stay listed by /stats);
- late: planned past the deadline, submitted with no answer past the outlet's follow_up_days, and what
  became "not published" since the previous digest's day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.blocks import escape
from bot.calendar import cycles as cycle_prompts
from bot.clock import from_text, local_at, to_text
from bot.stats.reports import term_start
from bot.workdays import for_relais
from storage import digest as store
from storage import outlets

DEADLINE_DAYS = 14  # submission deadlines of the next 14 days (today included)
CYCLE_DAYS = 14  # cyclic contents whose prompt falls in the next 14 days
DEFAULT_FOLLOW_UP_DAYS = 3  # an outlet's follow_up_days when the row does not say
CHART_WEEKS = 8
MISSING_DAYS = 90  # figures still missing are listed for the publications of the last 90 days (after
#                    that, /stats lists them): a digest stays a digest after years of history
CHECKPOINT_HOUR = (9, 0)  # a stats checkpoint is reached at 09:00 local on its day, as its reminder
_USER_ID = re.compile(r"^[UW][A-Z0-9_]{2,}$")


# -- the data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Going:
    """One proposal going out on a day, on one or more outlets."""

    day: date
    proposal_id: int
    title: str
    owner_id: str
    outlets: tuple[tuple[str, str], ...]  # (outlet name, placement status)


@dataclass(frozen=True)
class Deadline:
    day: date
    proposal_id: int
    title: str
    outlet: str
    owner_id: str


@dataclass(frozen=True)
class Late:
    """Running late: `planned` past its deadline (`day`), `submitted` on `day` with no answer past the
    outlet's follow-up, or `not_published` (its date, `day`, passed) since the previous digest."""

    kind: str  # planned | submitted | not_published
    proposal_id: int
    title: str
    outlet: str
    owner_id: str
    day: date
    business_days: int = 0  # submitted: business days without an answer


@dataclass(frozen=True)
class Missing:
    proposal_id: int
    title: str
    outlet: str
    owner_id: str
    published_on: date
    checkpoint: int  # days after publication
    last_recorded: date | None  # figures recorded before the checkpoint, if any


@dataclass(frozen=True)
class OutletFigures:
    slug: str
    name: str
    owner: str  # university | library
    posts: int  # placements with figures
    views: int
    interactions: int  # the sum of the known ones
    interactions_missing: int = 0  # placements with views whose interactions are unknown (n. d.)


@dataclass(frozen=True)
class Reach:
    """The university's outlets against the library's own, over proposals published on both."""

    university_views: int
    library_views: int
    proposals: int

    @property
    def multiplier(self) -> float | None:
        return self.university_views / self.library_views if self.library_views else None


@dataclass(frozen=True)
class CycleDue:
    title: str
    event: str
    event_start: date
    prompt_on: date  # when the team is asked to propose it again (event start - days_before)
    proposal_id: int | None  # already proposed for this event
    late: bool = False  # its prompt day passed and nothing was proposed yet


@dataclass(frozen=True)
class Section:
    key: str  # outgoing | deadlines | late | missing | last_week | term | cycles
    items: tuple
    first: date | None = None  # the period of a results section
    last: date | None = None
    reach: Reach | None = None


@dataclass(frozen=True)
class Digest:
    day: date  # the digest's day (DIGEST_AT's weekday)
    week: str  # ISO week of `day`, e.g. "2026-W50"
    today: date  # when it was built
    sections: tuple[Section, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.sections

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)


@dataclass(frozen=True)
class ChartSeries:
    """Views per outlet per week (by publication week), oldest week first."""

    weeks: tuple[date, ...]  # first day of each week
    outlets: tuple[tuple[str, str, str, tuple[int, ...]], ...]  # (slug, name, owner, views per week)
    reach: Reach | None = None  # over the proposals of these weeks published on both kinds of outlets

    @property
    def empty(self) -> bool:
        return not any(any(values) for *_, values in self.outlets)


@dataclass
class Rows:
    """Everything the digest reads, as plain rows (see storage.digest)."""

    going_out: list[dict] = field(default_factory=list)
    deadlines: list[dict] = field(default_factory=list)
    submitted: list[dict] = field(default_factory=list)
    overdue: list[dict] = field(default_factory=list)
    not_published: list[dict] = field(default_factory=list)
    published: list[dict] = field(default_factory=list)
    term_starts: list[date] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    cycle_proposals: list[dict] = field(default_factory=list)
    # (cycle key, event start) -> the day its prompt goes out, when not start − days_before (issue 15: a
    # prompt comes earlier when a closure would make it too late; bot.calendar.cycles.prompt_days)
    prompt_days: dict[tuple[str, date], date] = field(default_factory=dict)


# -- the calendar of digests ------------------------------------------------------------------
def week_label(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_day(day: date, weekday: int) -> date:
    """The digest a local day belongs to: the latest DIGEST_AT weekday on or before it."""
    return day - timedelta(days=(day.weekday() - weekday) % 7)


def instant(day: date, at: tuple[int, int], tz: ZoneInfo) -> datetime:
    """When the digest of `day` is due (UTC): DIGEST_AT's time, local, on that day."""
    return local_at(day, at[0], at[1], tz)


def current_day(now: datetime, weekday: int, at: tuple[int, int], tz: ZoneInfo) -> date:
    """The digest in force at `now`: the latest one whose instant is not in the future."""
    day = digest_day(now.astimezone(tz).date(), weekday)
    if instant(day, at, tz) > now:
        day -= timedelta(days=7)
    return day


def term_first_day(day: date, term_starts: list[date]) -> date:
    """The first day of the term `day` is in, as /stats report reads it (bot.stats.reports.term_start): the
    latest recent term-start event, else the 1st of September, January or May."""

    return term_start(day, term_starts)


# -- the rules --------------------------------------------------------------------------------
def compute(
    rows: Rows, *, day: date, now: datetime, tz: ZoneInfo, checkpoints: tuple[int, ...], business_days, cycles=()
) -> Digest:
    """The digest of `day`, built at `now`. `business_days` is a bot.workdays.BusinessDays; `cycles`
    the calendar file's cycles (bot.calendar.config.Cycle)."""
    today = now.astimezone(tz).date()
    sections = [
        Section("outgoing", _going(rows.going_out)),
        Section("deadlines", _deadlines(rows.deadlines)),
        Section("late", _late(rows, today, tz, business_days)),
        Section("missing", _missing(rows.published, now, tz, checkpoints)),
    ]
    last_first, last_last = day - timedelta(days=7), day - timedelta(days=1)
    last = _results("last_week", rows.published, last_first, last_last)
    sections.append(last)
    term_first = term_first_day(last_last, rows.term_starts)
    if term_first < last_first:  # a term that began last week or this week adds nothing to "last week"
        term = _results("term", rows.published, term_first, last_last)
        if (term.items, term.reach) != (last.items, last.reach):  # nothing before last week: said once
            sections.append(term)
    sections.append(Section("cycles", _cycles(cycles, rows.events, rows.cycle_proposals, today, rows.prompt_days)))
    kept = tuple(s for s in sections if s.items)
    return Digest(day=day, week=week_label(day), today=today, sections=kept)


def _going(rows: list[dict]) -> tuple[Going, ...]:
    grouped: dict[tuple[str, int], list[dict]] = {}
    for r in rows:
        grouped.setdefault((r["goes_out"], r["proposal_id"]), []).append(r)
    items = []
    for (day, proposal_id), placements in sorted(grouped.items()):
        first = placements[0]
        items.append(
            Going(
                day=date.fromisoformat(day),
                proposal_id=proposal_id,
                title=first["title"],
                owner_id=first["owner_id"],
                outlets=tuple((p["outlet_name"], p["status"]) for p in placements),
            )
        )
    return tuple(items)


def _deadlines(rows: list[dict]) -> tuple[Deadline, ...]:
    return tuple(
        Deadline(
            day=date.fromisoformat(r["deadline"]),
            proposal_id=r["proposal_id"],
            title=r["title"],
            outlet=r["outlet_name"],
            owner_id=r["owner_id"],
        )
        for r in rows
    )


def _late(rows: Rows, today: date, tz: ZoneInfo, business_days) -> tuple[Late, ...]:
    """What is running late: planned past the deadline, submitted with no answer past the outlet's follow-up
    (after its one follow-up, the digest is where it stays), not published since the previous digest."""

    def item(kind: str, r: dict, day: date, waited: int = 0) -> Late:
        return Late(kind, r["proposal_id"], r["title"], r["outlet_name"], r["owner_id"], day, waited)

    planned = [item("planned", r, date.fromisoformat(r["deadline"])) for r in rows.overdue]
    submitted = []
    for r in rows.submitted:
        if not r["submitted_at"]:
            continue
        submitted_on = from_text(r["submitted_at"]).astimezone(tz).date()
        follow_up = r.get("outlet_follow_up_days") or DEFAULT_FOLLOW_UP_DAYS
        waited = business_days.between(submitted_on, today)
        if waited >= follow_up:
            submitted.append(item("submitted", r, submitted_on, waited))
    ended = [item("not_published", r, date.fromisoformat(r["publish_on"])) for r in rows.not_published]
    planned.sort(key=lambda i: (i.day, i.proposal_id))
    submitted.sort(key=lambda i: (i.day, i.proposal_id))
    ended.sort(key=lambda i: (i.day, i.proposal_id))
    return (*planned, *submitted, *ended)


def _missing(rows: list[dict], now: datetime, tz: ZoneInfo, checkpoints: tuple[int, ...]) -> tuple[Missing, ...]:
    """Placements published in the last MISSING_DAYS days, past a checkpoint, with no figures recorded
    since that checkpoint's day."""
    items = []
    oldest = now.astimezone(tz).date() - timedelta(days=MISSING_DAYS)
    for r in rows:
        published_on = date.fromisoformat(r["goes_out"])
        if published_on < oldest:
            continue
        reached = [c for c in checkpoints if local_at(published_on + timedelta(days=c), *CHECKPOINT_HOUR, tz) <= now]
        if not reached:
            continue
        checkpoint = reached[-1]
        checkpoint_day = published_on + timedelta(days=checkpoint)
        recorded = from_text(r["recorded_at"]).astimezone(tz).date() if r.get("recorded_at") else None
        if recorded is not None and recorded >= checkpoint_day:
            continue
        items.append(
            Missing(
                proposal_id=r["proposal_id"],
                title=r["title"],
                outlet=r["outlet_name"],
                owner_id=r["owner_id"],
                published_on=published_on,
                checkpoint=checkpoint,
                last_recorded=recorded,
            )
        )
    items.sort(key=lambda m: (m.published_on, m.proposal_id))  # stable: outlets stay in their order
    return tuple(items)


def _with_figures(rows: list[dict], first: date, last: date) -> list[dict]:
    return [r for r in rows if r.get("views") is not None and first.isoformat() <= r["goes_out"] <= last.isoformat()]


def _results(key: str, rows: list[dict], first: date, last: date) -> Section:
    """Views and interactions per outlet (latest snapshot of each placement published in the period),
    and the reach multiplier over the proposals published on both kinds of outlets."""
    chosen = _with_figures(rows, first, last)
    per_outlet: dict[str, dict] = {}
    for r in chosen:
        o = per_outlet.setdefault(
            r["outlet_slug"],
            {
                "name": r["outlet_name"],
                "owner": r["outlet_owner"],
                "position": r["outlet_position"],
                "posts": 0,
                "views": 0,
                "interactions": 0,
                "missing": 0,
            },
        )
        o["posts"] += 1
        o["views"] += r["views"]
        if r.get("interactions") is None:  # unknown: left out of the total, and counted
            o["missing"] += 1
        else:
            o["interactions"] += r["interactions"]
    outlets = tuple(
        OutletFigures(
            slug=slug,
            name=o["name"],
            owner=o["owner"],
            posts=o["posts"],
            views=o["views"],
            interactions=o["interactions"],
            interactions_missing=o["missing"],
        )
        for slug, o in sorted(
            per_outlet.items(), key=lambda kv: (kv[1]["owner"] != "university", kv[1]["position"], kv[0])
        )
    )
    return Section(key, outlets, first=first, last=last, reach=reach(chosen))


def reach(rows: list[dict]) -> Reach | None:
    """Sum of views on the university's outlets and on the library's own, over the proposals that have
    figures on both; None when no proposal does."""
    by_proposal: dict[int, dict[str, int]] = {}
    for r in rows:
        if r.get("views") is None:
            continue
        totals = by_proposal.setdefault(r["proposal_id"], {})
        totals[r["outlet_owner"]] = totals.get(r["outlet_owner"], 0) + r["views"]
    both = [t for t in by_proposal.values() if "university" in t and "library" in t]
    if not both:
        return None
    return Reach(
        university_views=sum(t["university"] for t in both),
        library_views=sum(t["library"] for t in both),
        proposals=len(both),
    )


def _cycles(
    cycles, events: list[dict], proposals: list[dict], today: date, prompt_days: dict | None = None
) -> tuple[CycleDue, ...]:
    """Each cycle × each event of the kind it follows, not started yet, whose prompt day (event start -
    days_before) falls in the next CYCLE_DAYS days, or passed already with nothing proposed since.
    "Already proposed for this return" is what bot.calendar.cycles uses: an open proposal linked to the
    cycle and a period overlapping the event, or (older proposals) published between the prompt day and
    the event's last day."""
    items = []
    horizon = today + timedelta(days=CYCLE_DAYS)
    for cycle in cycles:
        for event in events:
            if event["kind"] != cycle.follows:
                continue
            start, end = date.fromisoformat(event["start"]), date.fromisoformat(event["end"])
            usual = start - timedelta(days=cycle.days_before)
            prompt_on = min(usual, (prompt_days or {}).get((cycle.key, start), usual))
            if (today >= start and today > usual) or prompt_on >= horizon:
                continue  # started already, or not yet worth mentioning
            proposal = next((p["id"] for p in proposals if _for_return(p, cycle.key, start, end, usual)), None)
            items.append(
                CycleDue(
                    title=cycle.title,
                    event=event["name"],
                    event_start=start,
                    prompt_on=prompt_on,
                    proposal_id=proposal,
                    late=prompt_on < today and proposal is None,
                )
            )
    items.sort(key=lambda c: (c.prompt_on, c.event_start, c.title))
    return tuple(items)


def _for_return(proposal: dict, cycle_key: str, start: date, end: date, prompt_on: date) -> bool:
    """Is this proposal made for this return of the cycle: linked to a period overlapping the event (issue
    15, item 6), or, made before proposals named their period, published between the prompt day and the
    event's last day (as storage.cycles.return_proposals)."""
    if proposal["cycle_key"] != cycle_key:
        return False
    if proposal.get("cycle_start") and proposal.get("cycle_end"):
        return proposal["cycle_start"] <= end.isoformat() and proposal["cycle_end"] >= start.isoformat()
    return prompt_on <= date.fromisoformat(proposal["publish_on"]) <= end


def chart_series(rows: list[dict], day: date, outlets: list[dict], weeks: int = CHART_WEEKS) -> ChartSeries:
    """Views per outlet for each of the `weeks` weeks before the digest's day, by publication week,
    from each placement's latest snapshot. `outlets` (storage.outlets.all) gives names and order."""
    starts = tuple(day - timedelta(days=7 * (weeks - i)) for i in range(weeks))
    known = {o["slug"]: o for o in outlets}
    values: dict[str, list[int]] = {}
    shown = []
    for r in rows:
        if r.get("views") is None:
            continue
        goes_out = date.fromisoformat(r["goes_out"])
        index = (goes_out - starts[0]).days // 7
        if 0 <= index < weeks:
            values.setdefault(r["outlet_slug"], [0] * weeks)[index] += r["views"]
            shown.append(r)
    order = sorted(
        values, key=lambda s: (known.get(s, {}).get("owner") != "university", known.get(s, {}).get("position", 0), s)
    )
    series = tuple(
        (slug, known.get(slug, {}).get("name", slug), known.get(slug, {}).get("owner", "library"), tuple(values[slug]))
        for slug in order
    )
    return ChartSeries(weeks=starts, outlets=series, reach=reach(shown))


def mention(user_id: str | None) -> str:
    """A Slack mention built by us, only for a well-formed user ID."""

    if user_id and _USER_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id or "")


# -- from the database ------------------------------------------------------------------------
def gather(db, day: date, today: date, cycles=(), tz: ZoneInfo | None = None) -> Rows:
    follows = {c.follows for c in cycles}
    longest = max((c.days_before for c in cycles), default=0)
    term_starts = store.term_starts(db, day - timedelta(days=1))
    # What compute() reads of the published placements: the term and last week (results), the last
    # MISSING_DAYS days (missing figures). Never the whole history.
    since = min(
        term_first_day(day - timedelta(days=1), term_starts),
        day - timedelta(days=7),
        today - timedelta(days=MISSING_DAYS),
    )
    # "Not published" since the previous digest: from its day (a week before this one's), at 00:00 local.
    previous = day - timedelta(days=7)
    since_previous = to_text(local_at(previous, 0, 0, tz or ZoneInfo("UTC")))
    return Rows(
        going_out=store.going_out(db, day, day + timedelta(days=6)),
        deadlines=store.deadlines(db, today, today + timedelta(days=DEADLINE_DAYS - 1)),
        submitted=store.submitted(db),
        overdue=store.overdue(db, today),
        not_published=store.not_published_since(db, since_previous),
        published=store.published(db, since),
        term_starts=term_starts,
        events=store.events_starting(db, follows, today, today + timedelta(days=CYCLE_DAYS + longest)),
        cycle_proposals=store.cycle_proposals(db, [c.key for c in cycles]),
    )


def prompt_days(relais, cycles, events: list[dict]) -> dict[tuple[str, date], date]:
    """When each cycle's prompt for each of these events goes out (bot.calendar.cycles.prompt_day_for)."""
    out = {}
    for cycle in cycles:
        for event in events:
            if event["kind"] == cycle.follows:
                start = date.fromisoformat(event["start"])
                out[(cycle.key, start)] = cycle_prompts.prompt_day_for(relais, cycle, start)
    return out


def cycles_of(relais) -> tuple:
    calendar_file = relais.calendar_file
    return tuple(getattr(calendar_file, "cycles", ()) or ())


def build(relais, day: date, now: datetime) -> Digest:
    """The digest of `day` as the database is at `now`."""

    settings = relais.settings
    cycles = cycles_of(relais)
    today = now.astimezone(settings.tz).date()
    rows = gather(relais.db, day, today, cycles, settings.tz)
    rows.prompt_days = prompt_days(relais, cycles, rows.events)
    return compute(
        rows,
        day=day,
        now=now,
        tz=settings.tz,
        checkpoints=settings.stats_checkpoints,
        business_days=for_relais(relais),
        cycles=cycles,
    )


def build_chart_series(relais, day: date) -> ChartSeries:
    since = day - timedelta(days=7 * CHART_WEEKS)
    return chart_series(store.published(relais.db, since), day, outlets.all(relais.db))

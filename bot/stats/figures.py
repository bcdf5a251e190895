"""Figures after publication: the rules, as plain functions over plain data (no Slack, no SQL).

    parse_number("19 279") -> 19279          # also "19,279", "19279", "19\u00a0279", "19.279"
    parse_duration("2 : 30 min") -> 150      # m:ss, seconds
    parse_record("12 udem-facebook vues=19 279 interactions=996 temps=2:30")
        -> Record(proposal_id=12, outlet="udem-facebook", views=19279, interactions=996, avg_seconds=150)
    lower_fields(previous, record) -> ["views"]   # figures are cumulative: a drop needs a confirmation
    comparison(recorded, siblings) -> Comparison  # the university's reach against the library's own

Every refusal is an InputError carrying a catalog key and its parameters; the surface turns it
into a message in the team's language.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import from_text, local_at, to_text
from bot.text import one_line
from storage import outlets as outlet_rows
from storage import proposals as proposal_rows
from storage import stats as stats_rows

MAX_FIGURE = 2_000_000_000  # SQLite integers hold more; a figure above this is a typo


class InputError(ValueError):
    """What the user typed cannot be used: `key` is a catalog key, `params` its placeholders."""

    def __init__(self, key: str, **params):
        self.key, self.params = key, params
        super().__init__(key)


# -- numbers and durations --------------------------------------------------------------------
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']+")
_GROUPED = re.compile(r"^\d{1,3}([,.])\d{3}(\1\d{3})*$")


def parse_number(text: str | None) -> int:
    """A count as people write it: 19279, 19 279 (any space, no-break ones too), 19,279, 19.279.

    Raises InputError('stats.error.number' / 'stats.error.negative') for anything else: decimals
    ("19,5"), words, negative numbers.
    """
    raw = (text or "").strip()
    if not raw:
        raise InputError("stats.error.number", value="")
    compact = _SPACES.sub("", raw)
    if compact.startswith(("-", "−")) and compact[1:].replace(",", "").replace(".", "").isdigit():
        raise InputError("stats.error.negative", value=raw)
    if compact.isdecimal():  # not isdigit(): "²" is a digit, not a number int() reads
        value = int(compact)
    elif _GROUPED.match(compact):
        value = int(re.sub(r"[,.]", "", compact))
    else:
        raise InputError("stats.error.number", value=raw)
    if value > MAX_FIGURE:
        raise InputError("stats.error.number", value=raw)
    return value


_DURATION = re.compile(r"^(\d{1,3})\s*[:']\s*(\d{2})\s*(?:min|mn|s|\"|″)?\.?$", re.IGNORECASE)
_SECONDS = re.compile(r"^(\d{1,5})\s*(?:s|sec|secondes?|seconds?)$", re.IGNORECASE)


def parse_duration(text: str | None) -> int:
    """Average reading time m:ss ("2:30", "2 : 30 min", as in the seed) or seconds ("150 s"); returns seconds."""
    raw = (text or "").strip()
    m = _DURATION.match(raw)
    if m and int(m.group(2)) < 60:
        return int(m.group(1)) * 60 + int(m.group(2))
    m = _SECONDS.match(raw)
    if m:
        return int(m.group(1))
    raise InputError("stats.error.duration", value=raw)


# -- the one-line form ------------------------------------------------------------------------
KEYS = {
    "views": "views",
    "vues": "views",
    "vue": "views",
    "v": "views",
    "impressions": "views",
    "interactions": "interactions",
    "interaction": "interactions",
    "i": "interactions",
    "engagement": "interactions",
    "engagements": "interactions",
    "time": "time",
    "temps": "time",
    "durée": "time",
    "duree": "time",
    "avg": "time",
    "t": "time",
}
FORCE_WORDS = ("--force", "--confirm", "confirm", "confirmer", "forcer", "force")
_FORCE = re.compile(r"(?<!\S)(?:" + "|".join(re.escape(w) for w in FORCE_WORDS) + r")(?!\S)", re.IGNORECASE)
_KEY = re.compile(r"(?:(?<=\s)|^)([^\s=]+)\s*=")
_HEAD = re.compile(r"^#?(\d+)\s+([^\s=]+)(?:\s+|$)(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Figures:
    """Views always; interactions and average time when known (None: unknown, never 0)."""

    views: int
    interactions: int | None = None
    avg_seconds: int | None = None


@dataclass(frozen=True)
class Record:
    proposal_id: int
    outlet: str
    figures: Figures
    force: bool = False


def looks_like_record(text: str) -> bool:
    """`/stats 12 ...` or `/stats #12 ...`: the one-line form (otherwise a subcommand)."""
    return bool(re.match(r"^#?\d", (text or "").strip()))


def parse_record(text: str) -> Record:
    """`N OUTLET views=… [interactions=…] [time=m:ss] [confirm]`; French keys too (vues=, temps=).
    Views alone are enough: a figure left out is unknown.

    A value runs up to the next `key=`, so "vues=19 279 interactions=996" reads 19279 and 996.
    """
    text = one_line(text)
    force = bool(_FORCE.search(text))
    text = _FORCE.sub(" ", text).strip()
    m = _HEAD.match(text)
    if not m:
        raise InputError("stats.error.form")
    if len(m.group(1)) > 18:  # beyond any row id (SQLite integers are 64-bit)
        raise InputError("stats.error.no_proposal", number=m.group(1))
    proposal_id, outlet, rest = int(m.group(1)), m.group(2).lower(), m.group(3).strip()
    values = parse_pairs(rest)
    if "views" not in values:
        raise InputError("stats.error.missing", keys="`views=`")
    figures = Figures(
        views=parse_number(values["views"]),
        interactions=parse_number(values["interactions"]) if values.get("interactions", "").strip() else None,
        avg_seconds=parse_duration(values["time"]) if values.get("time", "").strip() else None,
    )
    return Record(proposal_id, outlet, figures, force)


def parse_pairs(text: str) -> dict[str, str]:
    """'vues=19 279 interactions=996' -> {'views': '19 279', 'interactions': '996'} (canonical keys)."""
    text = text.strip()
    if not text:
        return {}
    matches = list(_KEY.finditer(text))
    if not matches or matches[0].start() != 0:
        stray = text[: matches[0].start()].strip() if matches else text
        raise InputError("stats.error.stray", text=stray)
    values: dict[str, str] = {}
    for index, match in enumerate(matches):
        word = match.group(1).lower()
        key = KEYS.get(word)
        if key is None:
            raise InputError("stats.error.unknown_key", word=word)
        if key in values:
            raise InputError("stats.error.duplicate_key", word=word)
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        values[key] = text[match.end() : end].strip()
    return values


def parse_figures(views: str | None, interactions: str | None, time: str | None) -> Figures | None:
    """The three fields of a modal row: None when all are empty; InputError('stats.error.views_needed') when
    interactions or time come without views. Interactions and time may stay empty (unknown)."""
    views, interactions, time = (v.strip() if v else "" for v in (views, interactions, time))
    if not views and not interactions and not time:
        return None
    if not views:
        raise InputError("stats.error.views_needed")
    return Figures(
        parse_number(views),
        parse_number(interactions) if interactions else None,
        parse_duration(time) if time else None,
    )


def lower_fields(previous: dict | None, figures: Figures) -> list[str]:
    """Which figures went down since the last snapshot (figures are cumulative): 'views', 'interactions'.
    A figure unknown on either side is not compared."""
    if not previous:
        return []
    return [
        name
        for name in ("views", "interactions")
        if getattr(figures, name) is not None
        and previous.get(name) is not None
        and getattr(figures, name) < previous[name]
    ]


# -- who may record ---------------------------------------------------------------------------
def may_record(user_id: str, proposal_owner: str, is_comms: bool) -> bool:
    """Anyone records figures for their own proposals; the comms team records any."""
    return is_comms or user_id == proposal_owner


# -- awaiting figures -------------------------------------------------------------------------
CHECKPOINT_AT = (9, 0)  # a checkpoint comes at 09:00 (TIMEZONE) on its day, as its reminder does


def checkpoint_moments(published_on: date, checkpoints: Iterable[int], tz) -> list[datetime]:
    return [local_at(published_on + timedelta(days=d), *CHECKPOINT_AT, tz) for d in checkpoints]


def awaits_figures(
    published_on: date, last_recorded_at: datetime | None, checkpoints: Iterable[int], now: datetime, tz
) -> bool:
    """A published placement awaits figures when it has none yet, or none since the last checkpoint that came.

    The stats reminders read it the same way: a snapshot recorded at or after a checkpoint's
    moment (09:00 on its day) marks that checkpoint done.
    """
    if published_on > now.astimezone(tz).date():
        return False
    if last_recorded_at is None:
        return True
    passed = [m for m in checkpoint_moments(published_on, checkpoints, tz) if m <= now]
    return bool(passed) and last_recorded_at < max(passed)


# -- the university against the library -------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    university: dict  # the placement row (outlet_name, views...) on the university's outlet
    library: dict  # and on the library's own
    ratio: float  # university views / library views


def ratio(university_views: int, library_views: int) -> float | None:
    return university_views / library_views if library_views > 0 else None


def comparison(recorded: dict, siblings: list[dict]) -> Comparison | None:
    """The reach of `recorded` against its counterpart among the same proposal's placements.

    Rows carry outlet_owner, outlet_platform, views (None when no figures). The counterpart is on
    the other side (university/library), on the same platform when there is one with figures,
    otherwise the first with figures (in the order given: the outlets' order).
    """
    if recorded.get("views") is None:
        return None
    other_side = "library" if recorded["outlet_owner"] == "university" else "university"
    candidates = [
        s
        for s in siblings
        if s.get("outlet_owner") == other_side and s.get("views") is not None and s.get("id") != recorded.get("id")
    ]
    if not candidates:
        return None
    same = [s for s in candidates if s.get("outlet_platform") == recorded.get("outlet_platform")]
    other = (same or candidates)[0]
    university, library = (recorded, other) if other_side == "library" else (other, recorded)
    value = ratio(university["views"], library["views"])
    return Comparison(university, library, value) if value is not None else None


# -- with the database -----------------------------------------------------------------------
@dataclass
class Recorded:
    """A snapshot written: the placement (with its outlet), its figures, the comparison if any."""

    placement: dict
    figures: Figures
    snapshot_id: int
    comparison: Comparison | None = None


@dataclass
class NeedsConfirmation:
    """Figures lower than the last recorded: nothing stored until the user confirms."""

    placement: dict
    figures: Figures
    previous: dict
    lower: list[str]


def find_placement(db, proposal_id: int, slug: str) -> dict:
    """The placement of proposal N on OUTLET, or InputError saying which part is wrong."""

    placement = proposal_rows.placement_by_outlet(db, proposal_id, slug)
    if placement is not None:
        return placement
    proposal = proposal_rows.get(db, proposal_id)
    if proposal is None:
        raise InputError("stats.error.no_proposal", number=proposal_id)
    placed = [p["outlet_slug"] for p in proposal_rows.placements_of(db, proposal_id)]
    if outlet_rows.get(db, slug) is None:
        raise InputError("stats.error.no_outlet", slug=slug, number=proposal_id, placed=", ".join(placed))
    raise InputError("stats.error.not_placed", number=proposal_id, slug=slug, placed=", ".join(placed))


def check_placement(placement: dict, user_id: str, is_comms: bool) -> None:
    """Published, and the user may record its figures; InputError otherwise."""
    if placement["status"] != "published":
        raise InputError(
            "stats.error.not_published",
            number=placement["proposal_id"],
            slug=placement["outlet_slug"],
            status=placement["status"],
        )
    if not may_record(user_id, placement["proposal_owner"], is_comms):
        raise InputError("stats.error.not_yours", number=placement["proposal_id"], owner=placement["proposal_owner"])


def record(
    relais, user_id: str, placement: dict, figures: Figures, *, force: bool = False, source: str = "slack"
) -> Recorded | NeedsConfirmation:
    """Check and store one snapshot (its own transaction). InputError when refused; lower figures need `force`."""
    problems, done = record_all(relais, user_id, [(placement, figures)], force=force, source=source)
    if problems:
        problem = problems[placement["id"]]
        if isinstance(problem, InputError):
            raise problem
        return problem
    return done[0]


def record_all(
    relais, user_id: str, items: list[tuple[dict, Figures]], *, force: bool = False, source: str = "slack", also=None
) -> tuple[dict[int, InputError | NeedsConfirmation], list[Recorded]]:
    """Check every (placement, figures), then store them all in one transaction, or none.

    Returns (problems by placement id, recorded). `also(db, snapshot_ids)` runs inside the
    transaction (an outbox row planned with the figures)."""

    db = relais.db
    is_comms = relais.settings.is_comms(user_id)
    problems: dict[int, InputError | NeedsConfirmation] = {}
    with db.atomic():
        for placement, figures in items:
            try:
                check_placement(placement, user_id, is_comms)
            except InputError as error:
                problems[placement["id"]] = error
                continue
            previous = stats_rows.latest(db, placement["id"])
            lower = lower_fields(previous, figures)
            if lower and not force:
                assert previous is not None  # nothing is lower without a previous snapshot
                problems[placement["id"]] = NeedsConfirmation(placement, figures, previous, lower)
        if problems:
            return problems, []
        at = to_text(relais.clock.now())
        ids = [
            stats_rows.record(
                db,
                placement["id"],
                views=figures.views,
                interactions=figures.interactions,
                avg_seconds=figures.avg_seconds,
                recorded_by=user_id,
                recorded_at=at,
                source=source,
            )
            for placement, figures in items
        ]
        if also is not None:
            also(db, ids)
    return {}, [
        Recorded(placement, figures, snapshot_id, compare(db, placement["id"], placement["proposal_id"]))
        for (placement, figures), snapshot_id in zip(items, ids, strict=False)
    ]


def compare(db, placement_id: int, proposal_id: int) -> Comparison | None:
    """The comparison of a placement (of proposal `proposal_id`)'s current figures with its counterpart (see
    comparison())."""

    rows = stats_rows.placements_with_figures(db, proposal_id)
    mine = next((r for r in rows if r["id"] == placement_id), None)
    if mine is None:
        return None
    return comparison(mine, [r for r in rows if r["status"] == "published"])


def awaiting(relais, user_id: str, limit: int | None = None) -> list[dict]:
    """Published placements awaiting figures: the user's own, or everyone's for the comms team."""

    settings = relais.settings
    owner = None if settings.is_comms(user_id) else user_id
    now = relais.clock.now()
    found = []
    for row in stats_rows.published(relais.db, owner_id=owner):
        if row["proposal_status"] != "open":  # a cancelled proposal is not asked for figures (nor reminded)
            continue
        last = from_text(row["recorded_at"]) if row["recorded_at"] else None
        if awaits_figures(date.fromisoformat(row["published_on"]), last, settings.stats_checkpoints, now, settings.tz):
            found.append(row)
    return found[:limit] if limit else found

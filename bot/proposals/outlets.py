"""Outlets (canaux) and their rules, from OUTLETS_FILE (TOML, shape in DESIGN.md).

outlets = load_outlets(path)     # validated Outlet objects; ConfigFileError names file, outlet, field
sync(relais)                     # startup step: new added, changed updated, removed kept inactive
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from bot.clock import to_text
from bot.errors import ConfigFileError, read_config_file
from storage import outlets as store
from storage import reference

OWNERS = ("university", "library")
DEFAULT_FOLLOW_UP_DAYS = 3
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
_ADDRESS = re.compile(r"^[^@\s<>,;:\"()\[\]]+@[^@\s<>,;:\"()\[\]]+\.[a-z]{2,}$", re.IGNORECASE)
MAX_CHARS_LIMIT = 3000  # Block Kit: a plain_text_input takes at most 3000 characters


@dataclass(frozen=True)
class Outlet:
    slug: str
    name: str
    owner: str
    platform: str
    lead_days: int
    per_week: int | None
    checklist: tuple[str, ...]
    audiences: tuple[str, ...]
    position: int = 0
    active: bool = True
    follow_up_days: int = 3  # business days without the university's answer before one follow-up
    submit_to: str | None = None  # the address submissions go to (the package's mailto: link)
    max_chars: int | None = None  # the longest text the outlet takes (the form's per-outlet text)

    @property
    def is_university(self) -> bool:
        return self.owner == "university"

    @classmethod
    def from_row(cls, row: dict) -> Outlet:
        return cls(
            slug=row["slug"],
            name=row["name"],
            owner=row["owner"],
            platform=row["platform"],
            lead_days=row["lead_days"],
            per_week=row["per_week"],
            checklist=tuple(json.loads(row["checklist"])),
            audiences=tuple(json.loads(row["audiences"])),
            position=row["position"],
            active=bool(row["active"]),
            follow_up_days=row.get("follow_up_days") or DEFAULT_FOLLOW_UP_DAYS,
            submit_to=row.get("submit_to") or None,
            max_chars=row.get("max_chars") or None,
        )


def load_outlets(path: str | Path) -> list[Outlet]:
    path = Path(path)
    data = read_config_file(path)
    entries = data.get("outlet")
    if not isinstance(entries, list) or not entries:
        raise ConfigFileError(path, "[[outlet]]", "no_outlets")
    outlets, seen = [], set()
    for position, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ConfigFileError(path, f"[[outlet]] #{position}", "tables", table="outlet")
        where = f"[[outlet]] #{position}" + (f" ({entry.get('slug')})" if isinstance(entry.get("slug"), str) else "")
        outlets.append(_outlet(path, where, entry, position))
        if outlets[-1].slug in seen:
            raise ConfigFileError(path, where, "duplicate", field="slug")
        seen.add(outlets[-1].slug)
    return outlets


def _outlet(path: Path, where: str, entry: dict, position: int) -> Outlet:
    def field(name, kind, required=True):
        value = entry.get(name)
        if value is None:
            if required:
                raise ConfigFileError(path, where, "missing", field=name)
            return None
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ConfigFileError(path, where, "type_" + _kind_name(kind), field=name)
        return value

    slug = field("slug", str)
    if not _SLUG.fullmatch(slug):
        raise ConfigFileError(path, where, "slug", field="slug")
    owner = field("owner", str)
    if owner not in OWNERS:
        raise ConfigFileError(path, where, "owner", field="owner")
    lead_days = field("lead_days", int)
    if not 0 <= lead_days <= 60:
        raise ConfigFileError(path, where, "range", field="lead_days", low=0, high=60)
    per_week = field("per_week", int, required=False)
    if per_week is not None and not 1 <= per_week <= 50:
        raise ConfigFileError(path, where, "range", field="per_week", low=1, high=50)
    follow_up_days = field("follow_up_days", int, required=False)
    if follow_up_days is None:
        follow_up_days = DEFAULT_FOLLOW_UP_DAYS
    elif not 1 <= follow_up_days <= 60:
        raise ConfigFileError(path, where, "range", field="follow_up_days", low=1, high=60)
    submit_to = field("submit_to", str, required=False)
    if submit_to is not None:
        submit_to = submit_to.strip()
        if not _ADDRESS.fullmatch(submit_to) or len(submit_to) > 254:
            raise ConfigFileError(path, where, "address", field="submit_to")
    max_chars = field("max_chars", int, required=False)
    if max_chars is not None and not 1 <= max_chars <= MAX_CHARS_LIMIT:
        raise ConfigFileError(path, where, "range", field="max_chars", low=1, high=MAX_CHARS_LIMIT)
    lists = {}
    for name in ("checklist", "audiences"):
        value = field(name, list, required=False) or []
        if not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigFileError(path, where, "strings", field=name)
        lists[name] = tuple(v.strip() for v in value)
    name = field("name", str).strip()
    platform = field("platform", str).strip().lower()
    if not name or not platform:
        raise ConfigFileError(path, where, "missing", field="name" if not name else "platform")
    return Outlet(
        slug=slug,
        name=name,
        owner=owner,
        platform=platform,
        lead_days=lead_days,
        per_week=per_week,
        checklist=lists["checklist"],
        audiences=lists["audiences"],
        position=position,
        follow_up_days=follow_up_days,
        submit_to=submit_to,
        max_chars=max_chars,
    )


def _kind_name(kind) -> str:
    return {str: "text", int: "int", list: "list"}[kind]


def sync(relais) -> list[Outlet]:
    """Startup step: bring the outlets table in line with OUTLETS_FILE."""

    outlets = load_outlets(relais.settings.outlets_file)
    with relais.db.atomic():
        store.sync(relais.db, [asdict(o) for o in outlets], to_text(relais.clock.now()))
    return outlets


def active(db) -> list[Outlet]:
    """The outlets one may propose to, in their order."""
    return [o for o in _all(db) if o.active]


def by_slug(db, include_inactive: bool = True) -> dict[str, Outlet]:
    return {o.slug: o for o in _all(db) if include_inactive or o.active}


def _all(db) -> tuple[Outlet, ...]:
    """Every outlet, the active ones first, each in its order; read once per process while unchanged
    (storage.reference)."""
    return reference.cached(db, "outlets", lambda: tuple(_outlet_of(r) for r in store.all(db)))


def _outlet_of(row: dict) -> Outlet:
    """The Outlet of a row as read now; rows read the same as before give the same (frozen) Outlet, unparsed."""
    return _parsed(tuple(row.items()))


@lru_cache(maxsize=256)
def _parsed(items: tuple) -> Outlet:
    return Outlet.from_row(dict(items))

"""What a feature contributes, declared in one place (its package's `feature.py`).

A feature never registers anything by being imported: it builds one `Feature` value that lists its
outbox renderers, its planners, its jobs, its command-line commands, its HTTP routes and its Slack listeners.
`bot.features.FEATURES` lists the features; the runtime and the console read that tuple and wire
each contribution where it goes. The kernel (this module included) never imports a feature.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # types only (bot.context and bot.outbox import this module)
    from slack_bolt import App

    from bot.context import Relais
    from bot.i18n import Translator
    from bot.outbox import Post


# fn(relais, row, now) -> the message to send, or None (raise outbox.Skip(reason) to say why not)
Renderer = Callable[["Relais", dict, datetime], "Post | None"]
# fn(relais, now): plans the outbox rows that became due (idempotent: unique keys); what it returns
# (some return the keys they planned) is not used
Planner = Callable[["Relais", datetime], object]
# fn(relais, now): a job's run (see Job); returns True when it wrote something the next tick acts on
JobRun = Callable[["Relais", datetime], object]
# fn(relais, environ) -> (status line, headers, body), for a GET (and HEAD) path of the web process; body is
# bytes, an iterable of bytes (streamed) or None (no body: 304, a HEAD answered without rendering)
Route = Callable[["Relais", dict], tuple[str, dict[str, str], bytes | Iterable[bytes] | None]]
# fn(app): adds the feature's Bolt listeners
Listeners = Callable[["App"], None]
# fn(relais, now) -> messages ({"blocks": [...]}) the console shows for a `:NAME` command
Preview = Callable[["Relais", datetime], list[dict]]


@dataclass(frozen=True)
class Command:
    """`python -m bot NAME ...`: `configure(parser, tr)` adds its arguments, their help in tr's language
    (the catalog's cli.* entries; the command's own one-line help is cli.command.NAME); `run(relais, args)`
    returns the exit code. The runtime builds the context (settings, database, configuration files synced)
    and sets logging to warnings before calling `run`."""

    name: str
    run: Callable[[Relais, argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser, Translator], None] = lambda parser, tr: None


@dataclass(frozen=True)
class Job:
    """Slow work a feature does apart from the tick (a download, a parse), so that planning and sending
    never wait for it. In `serve` and `socket` each job has its own thread (so its own database connection):
    a run at start, then one every minute, never two at once. A one-shot `tick` and the console's `:tick`
    run the jobs inline, before the planners, so that one pass still does everything due.

    `run(relais, now)` decides itself what is due (it is called every minute: cheaply), does its slow part
    outside any transaction and writes its results in short ones, keeping nothing once done. It returns True
    when it wrote something the tick acts on: the scheduler then ticks at once rather than at the next minute."""

    name: str
    run: JobRun


@dataclass(frozen=True)
class Feature:
    name: str
    renderers: Mapping[str, Renderer] = field(default_factory=dict)
    planners: tuple[Planner, ...] = ()
    commands: tuple[Command, ...] = ()
    routes: Mapping[str, Route] = field(default_factory=dict)
    listeners: tuple[Listeners, ...] = ()
    previews: Mapping[str, Preview] = field(default_factory=dict)
    jobs: tuple[Job, ...] = ()


@dataclass(frozen=True)
class Contributions:
    """Every feature's contributions, merged; a name given twice is a programming error."""

    renderers: Mapping[str, Renderer] = field(default_factory=lambda: MappingProxyType({}))
    planners: tuple[Planner, ...] = ()
    commands: Mapping[str, Command] = field(default_factory=lambda: MappingProxyType({}))
    routes: Mapping[str, Route] = field(default_factory=lambda: MappingProxyType({}))
    listeners: tuple[Listeners, ...] = ()
    previews: Mapping[str, Preview] = field(default_factory=lambda: MappingProxyType({}))
    jobs: tuple[Job, ...] = ()


def combine(features: Iterable[Feature]) -> Contributions:
    renderers: dict[str, Renderer] = {}
    commands: dict[str, Command] = {}
    routes: dict[str, Route] = {}
    previews: dict[str, Preview] = {}
    planners: list[Planner] = []
    listeners: list[Listeners] = []
    jobs: dict[str, Job] = {}
    for feature in features:
        _merge(renderers, feature.renderers, feature.name, "outbox kind")
        _merge(commands, {c.name: c for c in feature.commands}, feature.name, "command")
        _merge(routes, feature.routes, feature.name, "route")
        _merge(previews, feature.previews, feature.name, "console preview")
        _merge(jobs, {j.name: j for j in feature.jobs}, feature.name, "job")
        planners.extend(feature.planners)
        listeners.extend(feature.listeners)
    return Contributions(
        renderers=MappingProxyType(renderers),
        planners=tuple(planners),
        commands=MappingProxyType(commands),
        routes=MappingProxyType(routes),
        listeners=tuple(listeners),
        previews=MappingProxyType(previews),
        jobs=tuple(jobs.values()),
    )


def _merge(into: dict, new: Mapping, feature: str, what: str) -> None:
    for name, value in new.items():
        if name in into:
            raise ValueError(f"{what} {name!r} of feature {feature!r} is already contributed by another feature")
        into[name] = value

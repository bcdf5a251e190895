"""The digest as Slack messages: Block Kit, split to stay within Slack's limits without losing an item.

    messages = render(digest, tr)      # [[block, ...], ...]: the main message, then its continuations
    text = as_text(messages, tr)       # the same, as a terminal shows it (CLI --dry-run)

Each section is a bold title followed by one line per item, packed into section blocks of at
most 3,000 characters (Slack's limit for a text block), split between lines (bot.blocks.split_lines).
Blocks are packed into messages of at most 50 blocks and MESSAGE_CHARS characters counting every
text of the message (header, sections, context lines) and its notification text: Slack refuses a
message from about 12,000, so 11,000 leaves a margin. The main message starts with the header (and
ends with `footer`, the calendar's warning, when there is one); each continuation starts with a
context line "… (2/3)". Every item line appears exactly once across the messages, in order.
"""

from __future__ import annotations

from datetime import date

from bot import blocks as bk
from bot.blocks import escape
from bot.digest.rules import Digest, Section, mention
from bot.terminal import Screen

MAX_BLOCKS = bk.MAX_BLOCKS
MAX_TEXT = bk.MAX_SECTION_TEXT
MESSAGE_CHARS = bk.MAX_MESSAGE_CHARS
FALLBACK_CHARS = 300  # a message's notification text (bot.blocks.fallback_text) counts too
BULLET = "•"


def title(digest: Digest, tr) -> str:
    return tr("digest.title", date=tr.date(digest.day))


def _short(tr, day: date) -> str:
    return tr.date(day, "short")


# -- sections as lines --------------------------------------------------------------------------
def section_lines(section: Section, tr) -> tuple[str, list[str]]:
    """(title line, item lines) of one section."""
    key, items = section.key, section.items
    if key == "outgoing":
        lines = [
            tr(
                "digest.item.outgoing",
                day=_short(tr, i.day),
                id=i.proposal_id,
                title=escape(i.title),
                outlets=", ".join(
                    tr("digest.outlet_status", outlet=escape(name), status=tr(f"propose.status.{status}"))
                    for name, status in i.outlets
                ),
            )
            for i in items
        ]
        return tr("digest.section.outgoing", count=tr.number(len(items))), lines
    if key == "deadlines":
        lines = [
            tr(
                "digest.item.deadline",
                day=_short(tr, i.day),
                id=i.proposal_id,
                title=escape(i.title),
                outlet=escape(i.outlet),
            )
            for i in items
        ]
        return tr("digest.section.deadlines", count=tr.number(len(items))), lines
    if key == "late":
        lines = [
            tr(
                f"digest.item.late_{i.kind}",
                id=i.proposal_id,
                title=escape(i.title),
                outlet=escape(i.outlet),
                day=_short(tr, i.day),
                owner=mention(i.owner_id),
                **({"waited": tr.plural("reminders.days_left", i.business_days)} if i.kind == "submitted" else {}),
            )
            for i in items
        ]
        return tr("digest.section.late", count=tr.number(len(items))), lines
    if key == "missing":
        lines = [
            tr(
                "digest.item.missing",
                id=i.proposal_id,
                title=escape(i.title),
                outlet=escape(i.outlet),
                day=_short(tr, i.published_on),
                checkpoint=i.checkpoint,
                owner=mention(i.owner_id),
            )
            for i in items
        ]
        return tr("digest.section.missing", count=tr.number(len(items))), lines
    if key in ("last_week", "term"):
        lines = [
            tr(
                "digest.item.result",
                outlet=escape(o.name),
                views=tr.plural("stats.views", o.views),
                interactions=tr.plural("stats.interactions", o.interactions)
                if o.interactions_missing < o.posts
                else tr("stats.interactions_unknown"),
                posts=tr.plural("digest.posts", o.posts),
            )
            + (
                tr("stats.interactions_missing", count=tr.number(o.interactions_missing))
                if 0 < o.interactions_missing < o.posts
                else ""
            )
            for o in items
        ]
        reach = section.reach
        if reach is not None and reach.multiplier is not None:
            lines.append(
                tr(
                    "digest.reach",
                    ratio=tr.number(reach.multiplier, 1),
                    university=tr.plural("stats.views", reach.university_views),
                    library=tr.plural("stats.views", reach.library_views),
                    proposals=tr.plural("digest.proposals", reach.proposals),
                )
            )
        assert section.first is not None and section.last is not None  # a results section has its period
        heading = tr(f"digest.section.{key}", first=_short(tr, section.first), last=_short(tr, section.last))
        return heading, lines
    if key == "cycles":
        lines = []
        for i in items:
            params = dict(
                title=escape(i.title),
                event=escape(i.event),
                event_day=_short(tr, i.event_start),
                prompt_day=_short(tr, i.prompt_on),
            )
            if i.proposal_id is not None:
                lines.append(tr("digest.item.cycle_proposed", id=i.proposal_id, **params))
            elif i.late:
                lines.append(tr("digest.item.cycle_late", **params))
            else:
                lines.append(tr("digest.item.cycle", **params))
        return tr("digest.section.cycles", count=tr.number(len(items))), lines
    raise ValueError(key)


def _pack(heading: str, lines: list[str]) -> list[str]:
    """The section's text blocks: heading then lines, each block at most MAX_TEXT characters, split
    between lines (a line longer than a block, which the digest's lines never are, is broken at a space)."""
    return bk.split_lines("\n".join([heading, *lines]), MAX_TEXT)


# -- messages ------------------------------------------------------------------------------------
def content_blocks(digest: Digest, tr) -> list[dict]:
    out: list[dict] = []
    for section in digest.sections:
        heading, lines = section_lines(section, tr)
        if out:
            out.append(bk.divider())
        out.extend(bk.section(chunk) for chunk in _pack(heading, lines))
    return out


def _size(block: dict) -> int:
    return bk.message_chars([block])


def paginate(
    head: dict,
    body: list[dict],
    continued,
    max_blocks: int = MAX_BLOCKS,
    max_chars: int = MESSAGE_CHARS,
    footer: list[dict] | None = None,
) -> list[list[dict]]:
    """`head` then `body` split into messages of at most `max_blocks` blocks and `max_chars` characters
    of text (every text of the blocks, plus FALLBACK_CHARS for the notification text); continuation k
    of n starts with `continued(k, n)` (a block: its size is reserved with a "(99/99)" stand-in).
    `footer` ends the first message (room kept for it). No block is dropped; dividers are not left at
    the edge of a message."""
    footer = footer or []
    budget = max_chars - FALLBACK_CHARS
    pages: list[list[dict]] = [[head]]
    room_blocks = max_blocks - len(footer)
    chars = _size(head) + sum(_size(b) for b in footer)
    for block in body:
        page = pages[-1]
        if block.get("type") == "divider":
            if len(page) > 1 and len(page) + 2 <= room_blocks:
                page.append(block)
            continue
        if len(page) + 1 > room_blocks or (len(page) > 1 and chars + _size(block) > budget):
            while page and page[-1].get("type") == "divider":
                page.pop()
            pages.append([{}])  # the continuation line, filled in below
            page, chars = pages[-1], _size(continued(99, 99))
            room_blocks = max_blocks
        page.append(block)
        chars += _size(block)
    for page in pages:
        while page and page[-1].get("type") == "divider":
            page.pop()
    pages[0].extend(footer)
    total = len(pages)
    for number, page in enumerate(pages[1:], 2):
        page[0] = continued(number, total)
    return pages


def render(digest: Digest, tr, footer: list[dict] | None = None) -> list[list[dict]]:
    """The main message then its continuations (posted in its thread), each a list of blocks; `footer`
    (blocks) ends the main message."""
    heading = title(digest, tr)
    if digest.empty:
        return [[bk.section(tr("digest.empty", date=tr.date(digest.day))), *(footer or [])]]
    return paginate(
        bk.header(heading),
        content_blocks(digest, tr),
        lambda k, n: bk.context(tr("digest.continued", title=heading, part=k, total=n)),
        footer=footer,
    )


def as_text(messages: list[list[dict]], tr) -> str:
    """The messages as a terminal shows them (the console's rendering)."""

    out: list[str] = []
    screen = Screen(tr, out.append)
    for number, blocks in enumerate(messages):
        screen.message({"blocks": blocks}, prefix=tr("console.in_thread") if number else "")
    return "\n".join(out)

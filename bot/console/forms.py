"""A modal as a series of prompts: one per input block, in order; the answers become the
`state.values` Slack would send with a view_submission."""

from __future__ import annotations

from bot.terminal import unmrkdwn

CANCEL = ":cancel"


def fill(view: dict, read, write, tr, previous: dict | None = None, only: set | None = None) -> dict | None:
    """Ask for every input of `view` (or, after errors, only the blocks in `only`, keeping the
    `previous` answers of the others); returns state values, or None when cancelled or input ended."""
    if only is None:
        write(tr("console.modal", title=view.get("title", {}).get("text", "")))
    values: dict = {}
    for block in view.get("blocks", []):
        if only is not None:
            if (
                block.get("type") == "input"
                and block["block_id"] not in only
                and previous
                and block["block_id"] in previous
            ):
                values[block["block_id"]] = previous[block["block_id"]]
                continue
            if block.get("type") != "input":
                continue
        if block.get("type") == "section" and block.get("text"):
            write(unmrkdwn(block["text"]["text"]))
        if block.get("type") == "context":
            write("  " + " · ".join(unmrkdwn(e.get("text", "")) for e in block.get("elements", []) if e.get("text")))
        if block.get("type") != "input":
            continue
        element = block["element"]
        action_id = element.get("action_id", "value")
        answer = _ask(block, element, read, write, tr)
        if answer is _CANCELLED:
            return None
        values[block["block_id"]] = {action_id: answer}
    return values


_CANCELLED = object()


def _ask(block: dict, element: dict, read, write, tr):
    label = block.get("label", {}).get("text", block.get("block_id"))
    optional = block.get("optional", False)
    kind = element.get("type")
    options = element.get("options") or [o for g in element.get("option_groups", []) for o in g.get("options", [])]
    initial = (
        element.get("initial_value")
        or element.get("initial_date")
        or element.get("initial_user")
        or _initial_numbers(element, options)
        or ""
    )
    suffix = tr("console.optional") if optional else ""
    if kind in ("static_select", "multi_static_select", "checkboxes", "radio_buttons"):
        for number, opt in enumerate(options, 1):
            write(f"    {number}. {opt['text']['text']}")
        hint = f" ({tr('console.pick')})"
    elif kind == "datepicker":
        hint = f" ({tr('console.date_hint')})"
    else:
        hint = ""
    if initial:
        hint += f" [{initial}]"
    while True:
        line = read(f"{label}{suffix}{hint}: ")
        if line is None or line.strip() == CANCEL:
            return _CANCELLED
        line = line.strip() or initial
        if not line and not optional:
            continue
        if kind == "datepicker":
            return {"type": kind, "selected_date": line or None}
        if kind == "users_select":  # a user ID (U…), or <@U…> as Slack writes a mention
            return {"type": kind, "selected_user": line.strip("<@>").partition("|")[0] or None}
        if kind in ("static_select", "radio_buttons"):
            if not line:  # optional and left empty
                return {"type": kind, "selected_option": None}
            picked = _pick(line, options)
            if not picked or len(picked) > 1:
                continue
            return {"type": kind, "selected_option": picked[0]}
        if kind in ("multi_static_select", "checkboxes"):
            picked = _pick(line, options) if line else []
            if picked is None:
                continue
            return {"type": kind, "selected_options": picked}
        return {"type": kind or "plain_text_input", "value": line or None}


def _pick(line: str, options: list[dict]) -> list[dict] | None:
    picked = []
    for part in line.replace(" ", ",").split(","):
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= len(options):
            return None
        picked.append(options[int(part) - 1])
    return picked


def _initial_numbers(element: dict, options: list[dict]) -> str:
    """A prefilled select (initial_option / initial_options) as the numbers an empty line keeps."""
    chosen = element.get("initial_options") or ([element["initial_option"]] if element.get("initial_option") else [])
    values = [o.get("value") for o in options]
    return ",".join(str(values.index(c.get("value")) + 1) for c in chosen if c.get("value") in values)

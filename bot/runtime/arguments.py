"""The command line in the team's language: `python -m bot --help`, every command's --help and argparse's
own words ("usage:", "options:", its errors) from the catalogs (keys cli.*).

argparse looks each of its own phrases up through its module's gettext function (`argparse._`, and
`argparse.ngettext` for the one plural), the hook it offers for translation. `speaking(tr)` points that
hook at the catalog while the parser is built, parses and prints; a phrase not listed here (a newer
Python's) is left as argparse wrote it. Our own help texts, descriptions and metavars are plain
catalog messages given to the parser.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from bot.i18n import Translator

# argparse's phrase -> (catalog key, {catalog placeholder: argparse's %-placeholder}). Each catalog text is
# filled with the %-placeholders, then argparse fills those as it does with its own English phrase.
PHRASES: dict[str, tuple[str, dict[str, str]]] = {
    "usage: ": ("cli.argparse.usage", {}),
    "positional arguments": ("cli.argparse.positionals", {}),
    "options": ("cli.argparse.options", {}),
    "show this help message and exit": ("cli.argparse.help", {}),
    "%(prog)s: error: %(message)s\n": ("cli.argparse.error", {"prog": "%(prog)s", "message": "%(message)s"}),
    "argument %(argument_name)s: %(message)s": (
        "cli.argparse.argument",
        {"argument": "%(argument_name)s", "message": "%(message)s"},
    ),
    "the following arguments are required: %s": ("cli.argparse.required", {"arguments": "%s"}),
    "one of the arguments %s is required": ("cli.argparse.one_required", {"arguments": "%s"}),
    "unrecognized arguments: %s": ("cli.argparse.unrecognized", {"arguments": "%s"}),
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "cli.argparse.invalid_choice",
        {"value": "%(value)s", "choices": "%(choices)s"},
    ),
    "invalid %(type)s value: %(value)r": ("cli.argparse.invalid_value", {"value": "%(value)s"}),
    "unknown parser %(parser_name)r (choices: %(choices)s)": (
        "cli.argparse.invalid_choice",
        {"value": "%(parser_name)s", "choices": "%(choices)s"},
    ),
    "expected one argument": ("cli.argparse.expected_one", {}),
    "expected at most one argument": ("cli.argparse.expected_at_most_one", {}),
    "expected at least one argument": ("cli.argparse.expected_at_least_one", {}),
    "ambiguous option: %(option)s could match %(matches)s": (
        "cli.argparse.ambiguous",
        {"option": "%(option)s", "matches": "%(matches)s"},
    ),
    "not allowed with argument %s": ("cli.argparse.not_allowed_with", {"argument": "%s"}),
    "ignored explicit argument %r": ("cli.argparse.ignored", {"value": "%r"}),
    "unexpected option string: %s": ("cli.argparse.unexpected_option", {"option": "%s"}),
}
# argparse's one plural: ngettext("expected %s argument", "expected %s arguments", n) -> key.one / key.other
PLURALS: dict[str, str] = {"expected %s argument": "cli.argparse.expected"}


def phrase(tr: Translator, message):
    """argparse's phrase in tr's language; anything else (our own texts, None) as it is."""
    if not isinstance(message, str) or message not in PHRASES:
        return message
    key, placeholders = PHRASES[message]
    return tr(key, **placeholders)


def plural_phrase(tr: Translator, singular: str, plural: str, count: int) -> str:
    key = PLURALS.get(singular)
    if key is None:
        return singular if count == 1 else plural
    return tr(f"{key}.{tr.plural_form(count)}", count="%s")


@contextmanager
def speaking(tr: Translator) -> Iterator[None]:
    """argparse's own words in tr's language for the duration (build the parser, parse, print help)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._ = lambda message: phrase(tr, message)  # type: ignore[attr-defined]
    argparse.ngettext = lambda singular, plural, count: plural_phrase(tr, singular, plural, count)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


@cache
def formatter(tr: Translator) -> type[argparse.HelpFormatter]:
    """The help's layout in tr's language: section headings as the language writes them before a colon
    ("options :" in French), descriptions and epilogs wrapped line by line (the catalog's breaks kept)."""

    class Formatter(argparse.HelpFormatter):
        def __init__(self, prog: str) -> None:
            super().__init__(prog, max_help_position=32)

        def start_section(self, heading: str | None) -> None:
            super().start_section(tr("cli.argparse.heading", heading=heading) if heading else heading)

        def _fill_text(self, text: str, width: int, indent: str) -> str:
            return "\n".join(
                textwrap.fill(tied(line), width, initial_indent=indent, subsequent_indent=indent) if line else ""
                for line in text.splitlines()
            )

        def _split_lines(self, text: str, width: int) -> list[str]:
            return super()._split_lines(tied(text), width)

    return Formatter


_TIES = (
    (" :", "\u00a0:"),
    (" ;", "\u00a0;"),
    (" !", "\u00a0!"),
    (" ?", "\u00a0?"),
    ("« ", "«\u00a0"),
    (" »", "\u00a0»"),
)


def tied(text: str) -> str:
    """French punctuation kept with its word when a line is wrapped: the space before it made no-break."""
    for space, no_break in _TIES:
        text = text.replace(space, no_break)
    return text

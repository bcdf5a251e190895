"""Text from people, cleaned at the door: one function for everything Relais stores or shows from user
input (/propose and its forms, /stats, the spreadsheet import, calendar feed titles).

    one_line("Ligne1\n:rotating_light: *FAUSSE*")   # 'Ligne1 :rotating_light: *FAUSSE*'
    clean("Résumé\r\n\u202eest\u200b là", multiline=True)   # 'Résumé\nest là'

Removed everywhere: C0 and C1 control characters (NUL, ESC, DEL...), bidi embeddings, overrides and
isolates (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C), zero-width characters
(U+200B–U+200D, U+2060, U+FEFF). A tab is a space. Line breaks (\r\n, \r, U+2028, U+2029, U+0085) are
\n where the field allows several lines (summary, notes), a space elsewhere (titles, links, names);
runs of spaces are collapsed in one-line fields and surrounding whitespace is trimmed.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_INVISIBLE = (
    [chr(c) for c in range(0x00, 0x20) if chr(c) not in "\t\n"]
    + [chr(0x7F)]
    + [chr(c) for c in range(0x80, 0xA0) if c != 0x85]
    + [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
)
_TABLE = {ord(c): None for c in _INVISIBLE} | {ord("\t"): " "}
_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\u0085]")


def clean(text: object, *, multiline: bool = False) -> str:
    """`text` without invisible or control characters; newlines only when `multiline`."""
    value = _BREAKS.sub("\n", "" if text is None else str(text)).translate(_TABLE)
    if multiline:
        lines = [line.rstrip() for line in value.split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return re.sub(r" {2,}", " ", value.replace("\n", " ")).strip()


def one_line(text: object) -> str:
    """A title, a link, a name, a reason: one line, cleaned."""
    return clean(text)


def redact_url(url: object) -> str:
    """An address for logs, the terminal and refusals, its secrets hidden: scheme and host only, the rest
    as "…" (Google and Outlook keep a private calendar's key in the path, others in the query; a
    `user:password@` is never shown). What cannot be read as an address is "…" whole."""
    text = one_line(url)
    scheme, sep, _rest = text.partition("://")
    try:
        parts = urlsplit(text if sep else "//" + text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "…"
    if not host or not re.fullmatch(r"[\w.\-\[\]:]+", host):
        return "…"
    if port:
        host = f"{host}:{port}"
    hidden = bool(parts.username or parts.password or parts.path.strip("/") or parts.query or parts.fragment)
    prefix = f"{scheme}://" if sep else ""
    return f"{prefix}{host}/…" if hidden else f"{prefix}{host}"

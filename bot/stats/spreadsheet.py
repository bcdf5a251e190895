"""The figures as a CSV file, out and in: `/stats export`, `python -m bot export`, `python -m bot import`.

One row per snapshot (figures of one publication at one moment); a publication without figures
yet is one row with the figure columns empty. Columns, in this order:

    proposal      the proposal's number (rows with the same value are one proposal; any text on import)
    title         category (cyclic | one-off | collections)   publish_on (the wanted date, YYYY-MM-DD)
    owner         Slack user ID of the proposal's owner (may be empty)
    outlet        outlet slug (see OUTLETS_FILE)   status (published)   published_on (YYYY-MM-DD)   url
    views         interactions   avg_time (m:ss)   recorded_at (UTC, 2026-12-01T14:00:00Z)   recorded_by
                  (views are needed on a row with figures; interactions and avg_time may stay empty: unknown)

Export → import into an empty database → export gives the same bytes: numbers are kept when free,
rows come out in a stable order (publication day, proposal, outlet, snapshot). Import checks every
row first and refuses the whole file, with the numbers of the bad lines, if any is wrong; the
writes are one transaction. Importing a publication already known updates its figures (a new
snapshot when they differ), so export → edit in a spreadsheet → import is a round trip.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.clock import from_text, local_at, parse_instant, to_text
from bot.errors import EXIT_CONFIG
from bot.i18n import CATALOGS
from bot.stats.figures import InputError, parse_duration, parse_number
from bot.text import one_line
from storage import outlets as outlet_rows
from storage import stats as stats_rows

COLUMNS = (
    "proposal",
    "title",
    "category",
    "publish_on",
    "owner",
    "outlet",
    "status",
    "published_on",
    "url",
    "views",
    "interactions",
    "avg_time",
    "recorded_at",
    "recorded_by",
)
REQUIRED = ("title", "outlet", "published_on")
CATEGORIES = {
    "cyclic": "cyclic",
    "cyclique": "cyclic",
    "one-off": "one-off",
    "ponctuel": "one-off",
    "ponctuelle": "one-off",
    "collections": "collections",
}
STATUSES = ("published", "publié", "publiée", "publie", "publiee")
IMPORT_ACTOR = "import"
MAX_ERRORS_SHOWN = 30
_USER = re.compile(r"^[UW][A-Z0-9_]{2,}$")
_URL = re.compile(r"^https?://\S+$")


# -- out --------------------------------------------------------------------------------------
def duration_text(seconds: int | None) -> str:
    return "" if seconds is None else f"{seconds // 60}:{seconds % 60:02d}"


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A text a spreadsheet must not run as a formula (=HYPERLINK(...) in a title): quoted with a leading '.
    Import takes the quote off again, so the round trip is exact."""
    return "'" + text if text.startswith(_FORMULA) else text


def unsafe_cell(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text


def to_csv(rows: list[dict], delimiter: str = ",") -> bytes:
    """rows: storage.stats.export_rows. UTF-8 with a byte-order mark, so spreadsheets read the accents;
    `delimiter` ";" for a French spreadsheet (its decimal comma takes ",")."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", delimiter=delimiter)
    writer.writerow(COLUMNS)
    for r in rows:
        has = r.get("recorded_at") is not None
        writer.writerow(
            [
                r["proposal_id"],
                safe_cell(r["title"]),
                r["category"],
                r["publish_on"],
                r["owner_id"] or "",
                r["outlet_slug"],
                r["status"],
                r["published_on"],
                safe_cell(r["published_url"] or ""),
                r["views"] if has else "",
                r["interactions"] if has else "",
                duration_text(r["avg_seconds"]) if has else "",
                r["recorded_at"] or "",
                (r["recorded_by"] or "") if has else "",
            ]
        )
    return out.getvalue().encode("utf-8-sig")


def export_csv(db, since: date | None = None, until: date | None = None, delimiter: str = ",") -> bytes:
    return to_csv(stats_rows.export_rows(db, since, until), delimiter)


def csv_delimiter(tr) -> str:
    """The separator a spreadsheet in the team's language expects: ";" in French, "," in English."""
    return ";" if str(tr.locale).startswith("fr") else ","


def export_counted(
    db, since: date | None = None, until: date | None = None, fmt: str = "csv", tr=None, tz=None
) -> tuple[bytes, int]:
    """The file and its number of data rows (snapshots in a CSV, publications in a workbook). `fmt`:
    "csv" (the team's separator with `tr`, "," without) or "xlsx" (needs `tr`)."""

    rows = stats_rows.export_rows(db, since, until)
    if fmt == "xlsx":
        names = {o["slug"]: o["name"] for o in outlet_rows.all(db)}
        publications = per_publication(rows)
        return to_xlsx(publications, tr, names, tz), len(publications)
    return to_csv(rows, csv_delimiter(tr) if tr is not None else ","), len(rows)


def export_filename(since: date | None, until: date | None, today: date, fmt: str = "csv") -> str:
    if since and until:
        return f"relais-stats-{since.isoformat()}-{until.isoformat()}.{fmt}"
    if since:
        return f"relais-stats-{since.isoformat()}-{today.isoformat()}.{fmt}"
    return f"relais-stats-{today.isoformat()}.{fmt}"


# -- the workbook -------------------------------------------------------------------------------
# One row per publication, its current figures (each metric's latest known value), for people:
# headers in the team's language, numbers as numbers, days as dates, the header row frozen.
XLSX_COLUMNS = (
    "proposal",
    "title",
    "category",
    "publish_on",
    "owner",
    "outlet",
    "outlet_name",
    "published_on",
    "url",
    "views",
    "interactions",
    "avg_time",
    "recorded_at",
    "recorded_by",
)
IGNORED = ("outlet_name",)
FORMATS = ("xlsx", "csv")  # written for people, not read back (the outlet's slug is)
_DAY_FORMAT = "yyyy-mm-dd"
_INSTANT_FORMAT = "yyyy-mm-dd hh:mm"
_NUMBER_FORMAT = "#,##0"
_TIME_FORMAT = "[m]:ss"
MAX_WIDTH = 60


def per_publication(rows: list[dict]) -> list[dict]:
    """export_rows (one per snapshot, a publication's snapshots together, oldest first) folded to one row
    per publication: views of its latest snapshot, interactions and time their latest known values."""
    out: list[dict] = []
    for row in rows:
        last = out[-1] if out else None
        if last is not None and (last["proposal_id"], last["outlet_slug"]) == (row["proposal_id"], row["outlet_slug"]):
            merged = dict(row)
            for metric in ("interactions", "avg_seconds"):
                if merged[metric] is None:
                    merged[metric] = last[metric]
            out[-1] = merged
        else:
            out.append(dict(row))
    return out


def to_xlsx(publications: list[dict], tr, outlet_names: dict[str, str], tz=None) -> bytes:
    """The workbook; `tz`: the team's time zone, for the (naive, as spreadsheets have them) times of recording."""
    workbook = Workbook()
    sheet = workbook.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one worksheet
    sheet.title = tr("xlsx.sheet")
    headers = [tr(f"xlsx.column.{column}") for column in XLSX_COLUMNS]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in publications:
        has = r.get("recorded_at") is not None
        recorded = None
        if has:
            instant = from_text(r["recorded_at"])
            recorded = (instant.astimezone(tz) if tz else instant).replace(tzinfo=None)
        sheet.append(
            [
                r["proposal_id"],
                safe_cell(r["title"]),
                tr(f"xlsx.category.{r['category']}") if r["category"] in CATEGORY_KEYS else r["category"],
                date.fromisoformat(r["publish_on"]) if r["publish_on"] else None,
                r["owner_id"] or None,
                r["outlet_slug"],
                outlet_names.get(r["outlet_slug"], r["outlet_slug"]),
                date.fromisoformat(r["published_on"]),
                safe_cell(r["published_url"] or "") or None,
                r["views"] if has else None,
                r["interactions"] if has else None,
                timedelta(seconds=r["avg_seconds"]) if has and r["avg_seconds"] is not None else None,
                recorded,
                (r["recorded_by"] or None) if has else None,
            ]
        )
    formats = {
        "publish_on": _DAY_FORMAT,
        "published_on": _DAY_FORMAT,
        "views": _NUMBER_FORMAT,
        "interactions": _NUMBER_FORMAT,
        "avg_time": _TIME_FORMAT,
        "recorded_at": _INSTANT_FORMAT,
    }
    for index, column in enumerate(XLSX_COLUMNS, 1):
        letter = get_column_letter(index)
        fmt = formats.get(column)
        widest = len(headers[index - 1])
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if fmt and cell.value is not None:
                cell.number_format = fmt
            widest = max(widest, _shown_width(cell.value, fmt))
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, widest + 2)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


CATEGORY_KEYS = ("cyclic", "one-off", "collections")


def _shown_width(value, fmt: str | None) -> int:
    if value is None:
        return 0
    if fmt == _DAY_FORMAT:
        return 10
    if fmt == _INSTANT_FORMAT:
        return 16
    if fmt == _TIME_FORMAT:
        return 5
    if isinstance(value, int):
        return len(f"{value:,}")
    return len(str(value))


# -- in ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    line: int  # 1 is the header
    column: str  # '' for the whole line
    key: str  # catalog key
    params: dict = field(default_factory=dict)


class CsvRefused(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


@dataclass
class Snapshot:
    line: int
    views: int
    interactions: int | None
    avg_seconds: int | None
    recorded_at: str
    recorded_by: str


@dataclass
class Publication:
    line: int
    outlet: str
    published_on: date
    url: str
    snapshots: list[Snapshot] = field(default_factory=list)


@dataclass
class Proposal:
    line: int
    key: str
    title: str
    category: str
    publish_on: date
    owner: str
    publications: dict[str, Publication] = field(default_factory=dict)  # by outlet slug

    @property
    def wanted_id(self) -> int | None:
        return int(self.key) if self.key.isdecimal() and 0 < int(self.key) < 2**62 else None


@dataclass
class Parsed:
    proposals: list[Proposal]

    @property
    def counts(self) -> tuple[int, int, int]:
        pubs = [p for prop in self.proposals for p in prop.publications.values()]
        return len(self.proposals), len(pubs), sum(len(p.snapshots) for p in pubs)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")  # a spreadsheet saved as "CSV (Windows)"


def parse_csv(
    data: bytes | str, *, outlets: set[str], today: date, now: datetime, tz, checkpoints=(2, 7, 30)
) -> Parsed:
    """Validate every row; CsvRefused with every problem (line numbers) when any row is wrong.
    Either separator ("," or ";", whichever the header uses)."""
    text = _decode(data)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header_row = next(reader)
    except StopIteration:
        raise CsvRefused([Problem(1, "", "csv.error.empty")]) from None
    except csv.Error as error:
        raise CsvRefused([Problem(1, "", "csv.error.syntax", {"error": str(error)})]) from None

    def lines():
        while True:
            start = reader.line_num + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise _Unreadable(start, str(error)) from None
            yield start, [unsafe_cell(v.strip()) for v in values]

    return _parse_table(header_row, lines(), outlets, today, now, tz, checkpoints, {})


def parse_for(relais, data: bytes, now: datetime | None = None) -> Parsed:
    """A file as this context reads it: its outlets, today, its time zone and stats checkpoints; `now` (the
    context's clock by default) is the instant the caller imports at."""
    return parse_file(
        data,
        outlets={o["slug"] for o in outlet_rows.all(relais.db)},
        today=relais.clock.today(),
        now=now or relais.clock.now(),
        tz=relais.settings.tz,
        checkpoints=relais.settings.stats_checkpoints,
    )


def parse_file(data: bytes, *, outlets: set[str], today: date, now: datetime, tz, checkpoints=(2, 7, 30)) -> Parsed:
    """A CSV (either dialect) or the workbook `python -m bot export` writes, told apart by their first bytes."""
    if data[:4] == b"PK\x03\x04":
        return parse_xlsx(data, outlets=outlets, today=today, now=now, tz=tz, checkpoints=checkpoints)
    return parse_csv(data, outlets=outlets, today=today, now=now, tz=tz, checkpoints=checkpoints)


def parse_xlsx(data: bytes, *, outlets: set[str], today: date, now: datetime, tz, checkpoints=(2, 7, 30)) -> Parsed:
    """The workbook's first sheet, read as its CSV would be: each cell turned back into the CSV's text
    (dates YYYY-MM-DD, times of recording in the team's time zone, durations m:ss). Problems name the
    sheet's row and the column's letter and header."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header_row = next(rows, None)
    except Exception as error:  # noqa: BLE001 - any unreadable workbook is a refusal, not a crash
        raise CsvRefused([Problem(1, "", "xlsx.error.unreadable", {"error": type(error).__name__})]) from None
    if header_row is None or not any(v is not None for v in header_row):
        raise CsvRefused([Problem(1, "", "csv.error.empty")])
    while header_row and header_row[-1] is None:
        header_row = header_row[:-1]
    header = [_canonical(str(h or "")) for h in header_row]
    labels = {
        column: f"{get_column_letter(i)} ({str(h).strip()})"
        for i, (column, h) in enumerate(zip(header, header_row, strict=True), 1)
    }

    def lines():
        for line, values in enumerate(rows, 2):
            cells = list(values[: len(header)]) + [None] * (len(header) - len(values))
            yield (
                line,
                [unsafe_cell(_cell_text(column, value, tz)) for column, value in zip(header, cells, strict=True)],
            )

    return _parse_table(list(header_row), lines(), outlets, today, now, tz, checkpoints, labels)


def _cell_text(column: str, value, tz) -> str:
    """A workbook cell as the CSV writes that column."""
    if value is None:
        return ""
    if isinstance(value, timedelta):
        seconds = round(value.total_seconds())
        return f"{seconds // 60}:{seconds % 60:02d}"
    if isinstance(value, datetime):
        if column == "recorded_at":
            aware = value.replace(tzinfo=tz) if value.tzinfo is None else value
            return to_text(aware)
        if column == "avg_time":  # a duration a spreadsheet kept as a time of day
            return f"{value.hour * 60 + value.minute}:{value.second:02d}"
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return f"{value.hour * 60 + value.minute}:{value.second:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if column == "category":
        return _CATEGORY_LABELS.get(text.lower(), text)
    return text


class _Unreadable(Exception):
    def __init__(self, line: int, error: str):
        self.line, self.error = line, error


def _column_aliases() -> dict[str, str]:
    """Header text -> column: the CSV's names, and the workbook's headers in every language."""
    aliases = {
        catalog[f"xlsx.column.{column}"].strip().lower(): column
        for catalog in CATALOGS.values()
        for column in XLSX_COLUMNS
    }
    aliases.update({column: column for column in (*COLUMNS, *IGNORED)})  # the CSV's names come first
    return aliases


def _category_labels() -> dict[str, str]:
    return {
        catalog[f"xlsx.category.{key}"].strip().lower(): key for catalog in CATALOGS.values() for key in CATEGORY_KEYS
    }


def _canonical(header: str) -> str:
    text = header.strip().lower()
    return _ALIASES.get(text, text)


def _parse_table(header_row, lines, outlets, today, now, tz, checkpoints, labels: dict[str, str]) -> Parsed:
    problems: list[Problem] = []
    header = [_canonical(str(h or "")) for h in header_row]
    unknown = [str(h).strip() for h, c in zip(header_row, header, strict=True) if c not in COLUMNS and c not in IGNORED]
    missing = [c for c in REQUIRED if c not in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if unknown or missing or duplicated:
        if unknown:
            problems.append(Problem(1, "", "csv.error.unknown_columns", {"columns": ", ".join(unknown)}))
        if missing:
            problems.append(Problem(1, "", "csv.error.missing_columns", {"columns": ", ".join(missing)}))
        if duplicated:
            problems.append(Problem(1, "", "csv.error.duplicate_columns", {"columns": ", ".join(duplicated)}))
        raise CsvRefused(problems)

    proposals: dict[str, Proposal] = {}
    rows = 0
    try:
        for line, values in lines:
            if not any(v for v in values):
                continue
            rows += 1
            if len(values) != len(header):
                problems.append(Problem(line, "", "csv.error.width", {"expected": len(header), "found": len(values)}))
                continue
            row = dict.fromkeys(COLUMNS, "")
            row.update({h: one_line(v) for h, v in zip(header, values, strict=False) if h not in IGNORED})
            found = _row(row, line, proposals, outlets, today, now, tz, checkpoints)
            problems.extend(Problem(p.line, labels.get(p.column, p.column), p.key, p.params) for p in found)
    except _Unreadable as error:
        problems.append(Problem(error.line, "", "csv.error.syntax", {"error": error.error}))
    if not rows and not problems:
        problems.append(Problem(1, "", "csv.error.no_rows"))
    if problems:
        raise CsvRefused(problems)
    return Parsed(list(proposals.values()))


def _row(
    row: dict, line: int, proposals: dict[str, Proposal], outlets: set[str], today: date, now: datetime, tz, checkpoints
) -> list[Problem]:
    problems: list[Problem] = []

    def bad(column: str, key: str, **params) -> None:
        problems.append(Problem(line, column, key, params))

    def day(column: str) -> date | None:
        value = row[column]
        try:
            return date.fromisoformat(value)
        except ValueError:
            bad(column, "csv.error.date", value=value)
            return None

    title = row["title"]
    if not title:
        bad("title", "csv.error.required")
    elif len(title) > 300:
        bad("title", "csv.error.too_long", limit=300)
    category = CATEGORIES.get(row["category"].lower() or "one-off") or _CATEGORY_LABELS.get(row["category"].lower())
    if category is None:
        bad("category", "csv.error.category", value=row["category"])
    owner = row["owner"]
    if owner and not _USER.match(owner):
        bad("owner", "csv.error.user", value=owner)
    outlet = row["outlet"].lower()
    if not outlet:
        bad("outlet", "csv.error.required")
    elif outlet not in outlets:
        bad("outlet", "csv.error.outlet", value=row["outlet"])
    if row["status"] and row["status"].lower() not in STATUSES:
        bad("status", "csv.error.status", value=row["status"])
    if row["published_on"]:
        published_on = day("published_on")
    else:
        published_on = None
        bad("published_on", "csv.error.required")
    if published_on and published_on > today:
        bad("published_on", "csv.error.future", value=row["published_on"])
    publish_on = day("publish_on") if row["publish_on"] else published_on
    url = row["url"]
    if url and not _URL.match(url):
        bad("url", "csv.error.url", value=url)

    snapshot = None
    figure_columns = ("views", "interactions", "avg_time", "recorded_at", "recorded_by")
    if any(row[c] for c in figure_columns):
        figures: dict[str, int | None] = {
            "interactions": None
        }  # interactions and avg_time may be empty: unknown, not 0
        for column in ("views", "interactions"):
            if not row[column]:
                if column == "views":
                    bad(column, "csv.error.required_with_figures")
                continue
            try:
                figures[column] = parse_number(row[column])
            except InputError as error:
                bad(column, error.key, **error.params)
        avg = None
        if row["avg_time"]:
            try:
                avg = parse_duration(row["avg_time"])
            except InputError as error:
                bad("avg_time", error.key, **error.params)
        recorded_at = _instant(row["recorded_at"], tz) if row["recorded_at"] else None
        if row["recorded_at"] and recorded_at is None:
            bad("recorded_at", "csv.error.instant", value=row["recorded_at"])
        if recorded_at is not None:
            if recorded_at > now:
                bad("recorded_at", "csv.error.future", value=row["recorded_at"])
            elif published_on and recorded_at.astimezone(tz).date() < published_on:
                bad("recorded_at", "csv.error.before_publication", value=row["recorded_at"])
        elif published_on:
            # Figures from an earlier spreadsheet are final: as if recorded at the last checkpoint,
            # so no reminder asks for them again.
            last = max(checkpoints) if checkpoints else 0
            recorded_at = min(local_at(published_on + timedelta(days=last), 9, 0, tz), now)
        recorded_by = row["recorded_by"] or IMPORT_ACTOR
        if row["recorded_by"] and not (_USER.match(recorded_by) or recorded_by == IMPORT_ACTOR):
            bad("recorded_by", "csv.error.user", value=recorded_by)
        if (views := figures.get("views")) is not None and recorded_at is not None:
            snapshot = Snapshot(line, views, figures["interactions"], avg, to_text(recorded_at), recorded_by)
    if problems:
        return problems
    # each of these, missing, made a problem
    assert category is not None and publish_on is not None and published_on is not None

    key = row["proposal"] or "title:" + title
    proposal = proposals.get(key)
    if proposal is None:
        proposal = proposals[key] = Proposal(line, key, title, category, publish_on, owner)
    else:
        for column, mine, theirs in (
            ("title", title, proposal.title),
            ("category", category, proposal.category),
            ("publish_on", publish_on, proposal.publish_on),
            ("owner", owner, proposal.owner),
        ):
            if mine != theirs:
                bad(column, "csv.error.differs", other=proposal.line)
    publication = proposal.publications.get(outlet)
    if publication is None:
        publication = proposal.publications[outlet] = Publication(line, outlet, published_on, url)
    else:
        for column, mine, theirs in (
            ("published_on", published_on, publication.published_on),
            ("url", url, publication.url),
        ):
            if mine != theirs:
                bad(column, "csv.error.differs", other=publication.line)
        if snapshot is None:  # the same publication again, with nothing to add
            bad("", "csv.error.repeated", other=publication.line)
    if snapshot is not None and not problems:
        publication.snapshots.append(snapshot)
    return problems


def _instant(text: str, tz) -> datetime | None:
    try:
        if re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", text):
            return from_text(text)
        return parse_instant(text, tz)
    except ValueError:
        return None


@dataclass
class ImportCounts:
    """What an import did (or, with --dry-run, would do)."""

    proposals: int = 0  # proposals created
    added: int = 0  # publications new to the database
    updated: int = 0  # publications already known whose figures changed: a new snapshot
    unchanged: int = 0  # publications already known with the same figures (or none in the file)
    snapshots: int = 0  # snapshots written

    @property
    def written(self) -> tuple[int, int, int]:
        """(proposals, placements, snapshots) created."""
        return self.proposals, self.added, self.snapshots


def file_figures(snapshots: list[Snapshot]) -> tuple[Snapshot, tuple[int, int | None, int | None]]:
    """The file's latest snapshot of a publication and its current figures: views of the latest, the other
    metrics' latest known values (as the database reads them)."""
    ordered = sorted(snapshots, key=lambda snap: snap.recorded_at)  # stable: the file's order within an instant
    interactions = next((snap.interactions for snap in reversed(ordered) if snap.interactions is not None), None)
    avg = next((snap.avg_seconds for snap in reversed(ordered) if snap.avg_seconds is not None), None)
    return ordered[-1], (ordered[-1].views, interactions, avg)


def figures_differ(figures: tuple[int, int | None, int | None], current: dict) -> bool:
    """The file's figures against the database's current ones; a figure the file leaves out changes nothing."""
    views, interactions, avg = figures
    return (
        views != current["views"]
        or (interactions is not None and interactions != current["interactions"])
        or (avg is not None and avg != current["avg_seconds"])
    )


def import_parsed(db, parsed: Parsed, *, now: str, actor: str = IMPORT_ACTOR, dry_run: bool = False) -> ImportCounts:
    """Write what parse_csv validated, in one transaction (nothing with `dry_run`, same counts).

    A publication already in the database (same title, outlet and publication day) is not created
    again: when the file's figures differ from its current ones it gets a new snapshot (the file's
    later snapshots as they are, otherwise one with the file's figures, recorded now by `actor`).
    A new publication of a known proposal is added to it. CsvRefused, with line numbers, when a row
    cannot be placed: a proposal whose publications are under two numbers in the database, or an
    outlet the known proposal already has another placement on."""

    counts = ImportCounts()
    with db.atomic():  # the checks and the writes: one transaction, so a refusal leaves nothing behind
        problems = []
        targets: dict[str, int | None] = {}  # file proposal key -> known proposal id
        matches: dict[tuple[str, str], dict | None] = {}
        for proposal in parsed.proposals:
            known: dict[int, int] = {}  # proposal id -> first line
            for pub in proposal.publications.values():
                found = stats_rows.existing_publication(db, proposal.title, pub.outlet, pub.published_on.isoformat())
                matches[(proposal.key, pub.outlet)] = found
                if found is not None:
                    known.setdefault(found["proposal_id"], pub.line)
            if len(known) > 1:
                numbers = ", ".join(f"{number}" for number in sorted(known))
                problems.append(Problem(sorted(known.values())[1], "", "csv.error.split", {"numbers": numbers}))
                continue
            target = next(iter(known), None)
            targets[proposal.key] = target
            if target is None:
                continue
            for pub in proposal.publications.values():
                if matches[(proposal.key, pub.outlet)] is None:
                    other = stats_rows.placement_on(db, target, pub.outlet)
                    if other is not None:
                        problems.append(
                            Problem(
                                pub.line,
                                "outlet",
                                "csv.error.outlet_taken",
                                {"number": target, "outlet": pub.outlet, "day": other["published_on"] or "—"},
                            )
                        )
        if problems:
            raise CsvRefused(sorted(problems, key=lambda p: p.line))

        new = [p for p in parsed.proposals if targets[p.key] is None]
        wanted = [p.wanted_id for p in new if p.wanted_id is not None]
        taken = stats_rows.proposal_ids_taken(db, wanted)
        seen: set[int] = set()
        keep = {}
        for p in new:
            if p.wanted_id is not None and p.wanted_id not in taken and p.wanted_id not in seen:
                keep[p.key] = p.wanted_id
                seen.add(p.wanted_id)
        # Numbers kept first, new numbers after them: an automatic number never takes a kept one.
        ordered = sorted(parsed.proposals, key=lambda p: (targets[p.key] is not None, p.key not in keep, p.line))
        for proposal in ordered:
            proposal_id = targets[proposal.key]
            if proposal_id is None:
                counts.proposals += 1
                if not dry_run:
                    proposal_id = stats_rows.import_proposal(
                        db,
                        proposal_id=keep.get(proposal.key),
                        title=proposal.title,
                        category=proposal.category,
                        publish_on=proposal.publish_on.isoformat(),
                        owner_id=proposal.owner,
                        now=now,
                        actor=actor,
                    )
            for pub in proposal.publications.values():
                match = matches[(proposal.key, pub.outlet)]
                if match is None:
                    counts.added += 1
                    counts.snapshots += len(pub.snapshots)
                    if not dry_run:
                        assert proposal_id is not None  # imported above when new
                        placement_id = stats_rows.import_placement(
                            db,
                            proposal_id=proposal_id,
                            outlet_slug=pub.outlet,
                            published_on=pub.published_on.isoformat(),
                            published_url=pub.url,
                            now=now,
                            actor=actor,
                        )
                        _write(db, placement_id, pub.snapshots)
                    continue
                writes = _update(stats_rows.latest(db, match["id"]), pub.snapshots, now, actor)
                if not writes:
                    counts.unchanged += 1
                    continue
                counts.updated += 1
                counts.snapshots += len(writes)
                if not dry_run:
                    _write(db, match["id"], writes)
    return counts


def _update(current: dict | None, snapshots: list[Snapshot], now: str, actor: str) -> list[Snapshot]:
    """The snapshots a known publication gets from the file: none when its figures are the same."""
    if not snapshots:
        return []
    if current is None:
        return snapshots
    last, figures = file_figures(snapshots)
    if not figures_differ(figures, current):
        return []
    later = [snap for snap in snapshots if snap.recorded_at > current["recorded_at"]]
    if later:
        return later
    return [Snapshot(last.line, *figures, recorded_at=max(now, current["recorded_at"]), recorded_by=actor)]


def _write(db, placement_id: int, snapshots: list[Snapshot]) -> None:
    for snap in snapshots:
        stats_rows.record(
            db,
            placement_id,
            views=snap.views,
            interactions=snap.interactions,
            avg_seconds=snap.avg_seconds,
            recorded_by=snap.recorded_by,
            recorded_at=snap.recorded_at,
            source="import",
        )


def problem_lines(tr, problems: list[Problem], limit: int = MAX_ERRORS_SHOWN) -> list[str]:
    lines = []
    for p in problems[:limit]:
        problem = tr(p.key, **p.params)
        if p.column:
            lines.append(tr("csv.problem_column", line=p.line, column=p.column, problem=problem))
        else:
            lines.append(tr("csv.problem", line=p.line, problem=problem))
    if len(problems) > limit:
        lines.append(tr("common.and_more", count=len(problems) - limit))
    return lines


_ALIASES = _column_aliases()
_CATEGORY_LABELS = _category_labels()


# -- python -m bot export / import ------------------------------------------------------------


def configure_export(parser, tr) -> None:
    parser.add_argument("--since", metavar=tr("cli.metavar.day"), help=tr("cli.arg.export_since"))
    parser.add_argument("--until", metavar=tr("cli.metavar.day"), help=tr("cli.arg.export_until"))
    parser.add_argument("-o", "--output", metavar=tr("cli.metavar.file"), help=tr("cli.arg.export_output"))
    parser.add_argument("--format", choices=FORMATS, help=tr("cli.arg.export_format"))


def configure_import(parser, tr) -> None:
    parser.add_argument("file", metavar=tr("cli.metavar.file"), help=tr("cli.arg.import_file"))
    parser.add_argument("--dry-run", action="store_true", help=tr("cli.arg.import_dry_run"))


def _day_arg(tr, name: str, value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _ArgError(
            tr("settings.line", variable=name, expected=tr("csv.expects_day"), got=tr("settings.got", value=value))
        ) from None


class _ArgError(Exception):
    pass


def run_export(relais, args) -> int:
    tr = relais.tr
    try:
        since, until = _day_arg(tr, "--since", args.since), _day_arg(tr, "--until", args.until)
    except _ArgError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    fmt = args.format or ("csv" if args.output and args.output.lower().endswith(".csv") else "xlsx")
    data, rows = export_counted(relais.db, since, until, fmt, tr, relais.settings.tz)
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(tr("csv.exported", path=args.output, rows=tr.plural("csv.rows", rows)), file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


def run_import(relais, args) -> int:
    tr = relais.tr
    path = Path(args.file)
    if not path.is_file():
        print(tr("csv.no_file", path=args.file), file=sys.stderr)
        return 1
    now = relais.clock.now()
    try:
        parsed = parse_for(relais, path.read_bytes(), now)
        counts = import_parsed(relais.db, parsed, now=to_text(now), dry_run=args.dry_run)
    except CsvRefused as refused:
        print(tr.plural("csv.refused", len(refused.problems), path=args.file), file=sys.stderr)
        for text in problem_lines(tr, refused.problems):
            print("  " + text, file=sys.stderr)
        return 1
    print(
        tr(
            "csv.checked" if args.dry_run else "csv.imported",
            added=tr.plural("csv.added", counts.added),
            updated=tr.plural("csv.updated", counts.updated),
            unchanged=tr.plural("csv.unchanged", counts.unchanged),
            proposals=tr.plural("csv.proposals", counts.proposals),
            snapshots=tr.plural("csv.snapshots", counts.snapshots),
        )
    )
    return 0

"""The one clock. Everything that needs the time asks a Clock; tests and `tick --at` set it.

Instants are aware datetimes in UTC; they are stored as 'YYYY-MM-DDTHH:MM:SSZ' text, which
sorts as time does.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

UTC = UTC
_STAMP = "%Y-%m-%dT%H:%M:%SZ"
_STAMP_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\Z", re.ASCII)


def to_text(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime(_STAMP)


def from_text(text: str) -> datetime:
    """The instant of a stored 'YYYY-MM-DDTHH:MM:SSZ' (ValueError for anything else). fromisoformat on
    the checked shape: strptime is twenty times slower, and digests and reports read thousands."""
    if not _STAMP_SHAPE.match(text):
        return datetime.strptime(text, _STAMP).replace(tzinfo=UTC)  # raises ValueError as it always did
    return datetime.fromisoformat(text[:19]).replace(tzinfo=UTC)


def parse_instant(text: str, tz: ZoneInfo) -> datetime:
    """ISO 8601 with an offset, or a local time (or a date: midnight) in `tz`. Raises ValueError."""
    text = text.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def local_at(day: date, hour: int, minute: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local day (DST-safe: zoneinfo resolves the offset)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


class Clock:
    """Real time, optionally shifted so that it starts at a chosen instant and runs on from there."""

    def __init__(self, tz: ZoneInfo, start: datetime | None = None):
        self.tz = tz
        self._lock = threading.Lock()
        self._offset = timedelta(0) if start is None else start - datetime.now(UTC)
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen is not None:
                return self._frozen
            return datetime.now(UTC) + self._offset

    def today(self) -> date:
        """Today's date where the team is (TIMEZONE)."""
        return self.now().astimezone(self.tz).date()

    def local(self, instant: datetime | None = None) -> datetime:
        return (instant or self.now()).astimezone(self.tz)

    def freeze(self, instant: datetime) -> None:
        """Stop the clock at `instant` (tests, `tick --at`)."""
        with self._lock:
            self._frozen = instant.astimezone(UTC)

    def unfreeze(self) -> None:
        with self._lock:
            self._frozen = None

    @contextmanager
    def frozen(self, instant: datetime) -> Iterator[None]:
        """The clock stopped at `instant` for a block (the console's `:tick ISO`), then as it was."""
        with self._lock:
            previous, self._frozen = self._frozen, instant.astimezone(UTC)
        try:
            yield
        finally:
            with self._lock:
                self._frozen = previous

    def monotonic(self) -> float:
        return time.monotonic()

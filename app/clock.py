"""The one source of time. Everything that needs "now" calls `now_utc()`.

Tests move the clock with `frozen_clock()` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC, to the microsecond."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC)


@contextmanager
def frozen_clock(at: datetime) -> Iterator[None]:
    """Make `now_utc()` return `at` (aware) inside the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen_clock needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def local_day_start(day: date, timezone_name: str) -> datetime:
    """Midnight at the start of `day` in the named time zone (aware)."""
    return datetime.combine(day, time(), ZoneInfo(timezone_name))


def local_today(timezone_name: str) -> date:
    """Today's date in the named time zone, by `now_utc()`."""
    return now_utc().astimezone(ZoneInfo(timezone_name)).date()

"""The one place where numbers are taken and formatted.

Numbers come from a counter row per scope, incremented inside the caller's transaction:
a rolled-back registration gives its number back, so numbers have no gaps and no repeats.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, update

from ..database import Precompiled, insert_if_absent
from .models import NumberCounter


def incoming_scope(year: int) -> str:
    """Counter scope of incoming complaints registered in `year`."""
    return f"incoming:{year}"


def outgoing_scope(year: int) -> str:
    """Counter scope of outgoing letters (responses, requests, decisions) sent in `year`."""
    return f"outgoing:{year}"


_COUNTERS = NumberCounter.__table__
#: Lock the scope's counter row and move it `n` on; answers the new value (no row: nothing).
INCREMENT_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.scope == bindparam("scope"))
    .values(last_value=_COUNTERS.c.last_value + bindparam("n"))
    .returning(_COUNTERS.c.last_value)
)
_INCREMENT = Precompiled(INCREMENT_COUNTER)


def take_number(scope: str) -> int:
    """Take the next number of `scope`, holding its counter row locked until commit."""
    return take_numbers(scope, 1)


def take_numbers(scope: str, count: int) -> int:
    """Take the next `count` numbers of `scope` and answer the first, holding its counter row
    locked until commit (an UPDATE ... RETURNING locks the row and moves it on at once)."""
    rows = _INCREMENT.rows({"scope": scope, "n": count})
    if not rows:  # first number of a new scope
        insert_if_absent(NumberCounter, scope=scope, last_value=0)
        rows = _INCREMENT.rows({"scope": scope, "n": count})
    return rows[0][0] - count + 1


def registry_year(moment: datetime, timezone_name: str) -> int:
    """The registry year of a moment: the calendar year in the organisation's time zone."""
    return moment.astimezone(ZoneInfo(timezone_name)).year


def format_number(year: int, seq: int, pattern: str) -> str:
    """Display form of an incoming number, e.g. '2026/000123' for pattern '{year}/{seq:06d}'."""
    return pattern.format(year=year, seq=seq)


def number_slug(number: str) -> str:
    """URL-safe form of a display number: '2026/000123' -> '2026-000123'."""
    return re.sub(r"[^0-9A-Za-z]+", "-", number).strip("-")

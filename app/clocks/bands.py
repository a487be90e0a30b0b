"""Closure time bands: how long a complaint took from receipt to its decision, in the bands of
its category's clock policy (`ClockPolicy.closure_bands`) or a return's fixed bands.

A decided complaint falls in the first band whose due time, counted from receipt on the working
calendar (`WorkingCalendar.due`) and moved later by the time its final-response clock stood
still (`paused_seconds`), is not before the decision; over the last band otherwise. The band is
fixed when the decision is recorded (app/workflow/operations.resolve), by the policy and the
calendar in force then, and kept on the complaint as its `code` ("3wd", "56d", "56d+"). Pure:
no database, no request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from msgspec import Struct

from .calendar import WorkingCalendar
from .policy import Period, Unit

#: The unit's letters in a band's code.
_UNIT_CODES = {Unit.HOURS: "h", Unit.CALENDAR_DAYS: "d", Unit.WORKING_DAYS: "wd", Unit.BUSINESS_HOURS: "bh"}
_CODE_UNITS = {code: unit for unit, code in _UNIT_CODES.items()}


class Band(Struct, frozen=True):
    """A closure time band: resolved within `limit` (and not within the band before), or, with
    `over`, later than `limit` (the last band's)."""

    limit: Period
    over: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**self.limit.to_json(), "over": self.over}

    @property
    def code(self) -> str:
        """Its stable short name, as stored on a decided complaint: "3wd", "56d", "56d+"."""
        return f"{self.limit.amount}{_UNIT_CODES[self.limit.unit]}{'+' if self.over else ''}"

    @classmethod
    def from_code(cls, code: str) -> Band:
        """The band a `code` names (ValueError: not a band's code)."""
        over = code.endswith("+")
        body = code[:-1] if over else code
        digits = len(body) - len(body.lstrip("0123456789"))
        unit = _CODE_UNITS.get(body[digits:])
        if digits == 0 or unit is None:
            raise ValueError(f"not a closure band: {code!r}")
        return cls(Period(int(body[:digits]), unit), over)


def band_of(received_at: datetime, resolved_at: datetime, paused_seconds: int, limits: Sequence[Period],
            calendar: WorkingCalendar) -> Band | None:
    """The closure band of one complaint (None: `limits` is empty): the first limit whose due
    time from receipt, moved by the time paused, is not before the decision."""
    return Banding(limits, calendar).band(received_at, resolved_at, paused_seconds)


class Banding:
    """`band_of` for the many complaints of one set of limits: each limit's due time is found
    by `WorkingCalendar.due_for_many` (a period in days counted once per day of receipt)."""

    def __init__(self, limits: Sequence[Period], calendar: WorkingCalendar) -> None:
        self.limits: list[tuple[Band, Callable[[datetime], datetime]]] = [
            (Band(limit), calendar.due_for_many(limit)) for limit in limits]
        self.over = Band(limits[-1], over=True) if limits else None

    def band(self, received_at: datetime, resolved_at: datetime, paused_seconds: int) -> Band | None:
        decided = resolved_at - timedelta(seconds=paused_seconds)  # due + paused >= resolved
        for band, due in self.limits:
            if due(received_at) >= decided:
                return band
        return self.over


def decided_band(received_at: datetime, resolved_at: datetime, paused_seconds: int, limits: Sequence[Period],
                 calendar: WorkingCalendar) -> str | None:
    """The code of the band a decision falls in (None: the policy has no closure bands)."""
    band = band_of(received_at, resolved_at, paused_seconds, limits, calendar)
    return band.code if band is not None else None

"""The working calendar the regulator's clocks count on: which days are worked, when the
registry opens, and how a period, an extension or a pause moves a due time. Pure: no database,
no request; the installation's calendar is a plain value kept as JSON by the settings.

A calendar is a country's public holidays (the `holidays` package, optionally a subdivision:
"ENG", "SCT" for GB), the administrator's own days off (`added_holidays`: a bridge day) and
worked days (`added_working_days`: the Saturday worked in exchange, as Russia and Moldova
decree), a weekend, and optional opening hours. Everything is counted in the registry's time
zone (REGISTRY_TIMEZONE); arguments are aware datetimes, results are in UTC.

A day is worked when the administrator added it as a working day; otherwise not when it is an
added holiday, a public holiday or a weekend day (except the weekend days the package itself
lists as worked, see Russia below).

Periods (`due`):
- HOURS: exactly n hours after the start.
- CALENDAR_DAYS: the start's local date is day 0; due at the end of day n (local midnight
  beginning day n+1). Received Fri 4 Dec 2026 19:00 in Chisinau, 30 days: the end of Sun
  3 Jan 2027, 2027-01-04 00:00 local.
- WORKING_DAYS: the day of the start never counts, even when worked ("the day following the
  day on which it is received"); due at the end of the n-th working day after it: the local
  midnight after it, or its closing time when the calendar has opening hours (the FCA's "close
  of business on the third business day after receipt").
- BUSINESS_HOURS: n hours counted only within opening hours on working days (without opening
  hours, the whole of each working day); a start outside them counts from the next opening.

`extended` moves a due time as if the period had been longer: for days, n more (working) days
after the last day counted (the local date just before the due time); for hours, n more hours
(business hours: counted as above). `counted` measures a pause as the clock counts time and
`shifted` lets that much counted time pass from a due time, so that a pause moves the due time
by the time it lasted: a pause of one whole working day moves a working-day clock by one working
day. Hours (and calendar days) count elapsed time; business hours count elapsed time within
opening hours; working days count the local wall clock within working days (or their opening
hours), so that the 23- or 25-hour day of a daylight-saving change is still one whole day.

Local midnight is `datetime.combine(day, time(), ZoneInfo(zone))`; arithmetic is done in UTC
(or on the local wall clock for working days), never on aware local values.

Country notes (holidays 0.108):
- UA: the package's public holidays already follow martial law (Labour Code art. 73 suspended
  by Law 2136-IX from 15 March 2022): 2022 has only the days off before it (1, 3, 7 Jan, 7-8
  Mar), 2023 onward none; the suspended holidays sit in its "workday" category, which this
  calendar does not read. So a Ukrainian holiday from 2023 on is a working day, with no name
  here, until the law changes (then: a newer package, or `added_holidays`).
- RU: the package includes the government's transferred days off ("Day off (substituted
  from ...)", e.g. 9 Jan and 31 Dec 2026) and lists the weekend days worked in exchange (e.g.
  Sat 1 Nov 2025); both are honoured. A transfer decreed after the package's release is added
  by the administrator.
- MD, RO: the package has the statutory holidays only (MD: 7-8 Jan, 25 Dec, Easter Monday, Day
  of Rejoicing, ...); a Moldovan government transfer (a bridge day and its worked Saturday) is
  added by the administrator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from msgspec import Struct

from .policy import Period, Unit

if TYPE_CHECKING:
    import holidays

#: The countries whose public holidays an installation may choose (ISO 3166-1 alpha-2), those
#: the `holidays` package maintains well: Europe, its neighbours and a few common elsewhere.
SUPPORTED_COUNTRIES: tuple[str, ...] = (
    "AT", "AU", "BE", "BG", "CA", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB",
    "GE", "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MD", "MT", "NL", "NO", "NZ", "PL",
    "PT", "RO", "RU", "SE", "SI", "SK", "UA", "US",
)

#: The name `holiday_name` gives a day the administrator added as a holiday.
ADDED_HOLIDAY_NAME = "Non-working day (added)"

_ONE_DAY = timedelta(days=1)
_TICK = timedelta(microseconds=1)
#: Consecutive days without a working day after which a count gives up (a calendar that never
#: works would otherwise count forever).
_MAX_IDLE_DAYS = 3 * 366

_lookup = threading.Lock()  # the package fills in a year on its first lookup: one at a time


class CalendarError(ValueError):
    """A calendar that cannot be used; the message says why, plainly."""


@cache
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    """The country's public holidays, one object per country and subdivision; the package
    loads each year on its first lookup. Names in English where the package has them. The
    package itself is imported here, on the first calendar with a country: it takes a fifth of a
    second (every country's and calendar's module), which a process may never need."""
    import holidays

    languages = holidays.country_holidays(country).supported_languages
    language = "en_US" if "en_US" in languages else None
    return holidays.country_holidays(country, subdiv=subdivision, language=language)


class WorkingCalendar(Struct, frozen=True):
    """An installation's working calendar (see the module docstring for how it counts)."""

    timezone: str
    #: None: no public holidays, the weekend only.
    country: str | None = None
    subdivision: str | None = None
    added_holidays: frozenset[date] = frozenset()
    added_working_days: frozenset[date] = frozenset()
    #: Opening and closing time on working days; None: a working day counts whole.
    opening: tuple[time, time] | None = None
    #: `date.weekday()` numbers of the days off every week.
    weekend: frozenset[int] = frozenset({5, 6})

    def check(self) -> None:
        """Raise CalendarError unless the calendar can be used."""
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise CalendarError(f"unknown time zone: {self.timezone!r}") from error
        if self.country is None:
            if self.subdivision is not None:
                raise CalendarError(f"a subdivision ({self.subdivision!r}) needs a country")
        elif self.country not in SUPPORTED_COUNTRIES:
            raise CalendarError(f"unknown country {self.country!r} (supported: {', '.join(SUPPORTED_COUNTRIES)})")
        elif self.subdivision is not None:
            import holidays  # see _public_holidays

            known = holidays.list_supported_countries()[self.country]
            if self.subdivision not in known:
                raise CalendarError(f"unknown subdivision {self.subdivision!r} of {self.country}"
                                    f" (known: {', '.join(known) or 'none'})")
        if self.opening is not None:
            start, end = self.opening
            if start.tzinfo is not None or end.tzinfo is not None:
                raise CalendarError("opening hours are local times, without a time zone")
            if end <= start:
                raise CalendarError(f"opening hours must close after they open: {start:%H:%M}-{end:%H:%M}")
        if not self.weekend <= set(range(7)):
            raise CalendarError(f"weekend days are numbered 0 (Monday) to 6 (Sunday): {sorted(self.weekend)}")
        if len(self.weekend) == 7:
            raise CalendarError("a weekend of the whole week leaves no working day")
        both = self.added_holidays & self.added_working_days
        if both:
            raise CalendarError("added both as a holiday and as a working day: "
                                + ", ".join(day.isoformat() for day in sorted(both)))

    # Days

    def _public(self, day: date) -> tuple[str | None, bool]:
        """The public holiday's name on `day`, and whether the package lists it as a weekend
        day worked in exchange."""
        if self.country is None:
            return None, False
        calendar = _public_holidays(self.country, self.subdivision)
        with _lookup:
            name = calendar.get(day)  # loads the year first
            return name, day in calendar.weekend_workdays

    def holiday_name(self, day: date) -> str | None:
        """The name of the public (or added) holiday on `day`; None when there is none or the
        administrator made it a working day."""
        if day in self.added_working_days:
            return None
        if day in self.added_holidays:
            return ADDED_HOLIDAY_NAME
        return self._public(day)[0]

    def is_working_day(self, day: date) -> bool:
        """Added working days first, then added holidays, public holidays and the weekend."""
        if day in self.added_working_days:
            return True
        if day in self.added_holidays:
            return False
        name, worked_weekend = self._public(day)
        if name is not None:
            return False
        return worked_weekend or day.weekday() not in self.weekend

    def _working_days_after(self, day: date) -> Iterator[date]:
        """The working days after `day`, in order."""
        idle = 0
        while True:
            day += _ONE_DAY
            if self.is_working_day(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise CalendarError(f"no working day in the {_MAX_IDLE_DAYS} days before {day}")

    def _nth_working_day_after(self, day: date, amount: int) -> date:
        days = self._working_days_after(day)
        for _ in range(amount):
            day = next(days)
        return day

    # Moments

    @property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _local_date(self, moment: datetime) -> date:
        return _aware(moment).astimezone(self._zone).date()

    def _midnight(self, day: date) -> datetime:
        """Local midnight at the start of `day`, in UTC."""
        return datetime.combine(day, time(), self._zone).astimezone(UTC)

    def _end_of_working_day(self, day: date) -> datetime:
        if self.opening is None:
            return self._midnight(day + _ONE_DAY)
        return datetime.combine(day, self.opening[1], self._zone).astimezone(UTC)

    def _span(self, day: date, wall: bool) -> tuple[datetime, datetime] | None:
        """The counted part of `day`: its opening hours (or the whole day) when worked; on the
        local wall clock (naive) or in UTC."""
        if not self.is_working_day(day):
            return None
        start, end = self.opening or (time(), None)
        first = datetime.combine(day, start)
        last = datetime.combine(day, end) if end is not None else datetime.combine(day + _ONE_DAY, time())
        if wall:
            return first, last
        return first.replace(tzinfo=self._zone).astimezone(UTC), last.replace(tzinfo=self._zone).astimezone(UTC)

    def _to(self, moment: datetime, wall: bool) -> datetime:
        moment = _aware(moment)
        return moment.astimezone(self._zone).replace(tzinfo=None) if wall else moment.astimezone(UTC)

    def _from(self, moment: datetime, wall: bool) -> datetime:
        return moment.replace(tzinfo=self._zone).astimezone(UTC) if wall else moment

    def _walk(self, start: datetime, amount: timedelta, wall: bool) -> datetime:
        """The moment reached from `start` once `amount` of counted time has passed."""
        if amount <= timedelta():
            return _aware(start).astimezone(UTC)
        moment = self._to(start, wall)
        day, idle = moment.date(), 0
        while True:
            span = self._span(day, wall)
            if span is not None:
                begin = max(span[0], moment)
                if begin < span[1]:
                    available = span[1] - begin
                    if amount <= available:
                        return self._from(begin + amount, wall)
                    amount -= available
                idle = 0
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise CalendarError(f"no working day in the {_MAX_IDLE_DAYS} days before {day}")
            day += _ONE_DAY

    def _measure(self, start: datetime, end: datetime, wall: bool) -> timedelta:
        """The counted time within [start, end)."""
        first, last = self._to(start, wall), self._to(end, wall)
        total, day = timedelta(), first.date()
        while day <= last.date():
            span = self._span(day, wall)
            if span is not None:
                begin, finish = max(span[0], first), min(span[1], last)
                if begin < finish:
                    total += finish - begin
            day += _ONE_DAY
        return total

    # Clocks

    def due(self, start: datetime, period: Period) -> datetime:
        """When a period started at `start` ends (UTC)."""
        return self._after(start, period.amount, period.unit, last_day=self._local_date(start))

    def due_for_many(self, period: Period) -> Callable[[datetime], datetime]:
        """`lambda start: self.due(start, period)`, for many starts at once (a period's
        complaints): the same moments, but a period counted in days is counted once per local
        day of the start, since its end depends on nothing else."""
        if period.unit not in (Unit.CALENDAR_DAYS, Unit.WORKING_DAYS):
            return lambda start: self.due(start, period)
        zone, by_day = self._zone, {}

        def due(start: datetime) -> datetime:
            day = _aware(start).astimezone(zone).date()
            moment = by_day.get(day)
            if moment is None:
                moment = by_day[day] = self._after(start, period.amount, period.unit, last_day=day)
            return moment

        return due

    def extended(self, due: datetime, amount: int, unit: Unit) -> datetime:
        """`due` moved later by `amount` more units, as if the period had been that much longer."""
        return self._after(due, amount, unit, last_day=self._local_date(_aware(due) - _TICK))

    def _after(self, moment: datetime, amount: int, unit: Unit, *, last_day: date) -> datetime:
        """`amount` units after `moment`; days are counted after `last_day`."""
        match unit:
            case Unit.HOURS:
                return _aware(moment).astimezone(UTC) + timedelta(hours=amount)
            case Unit.CALENDAR_DAYS:
                return self._midnight(last_day + timedelta(days=amount + 1))
            case Unit.WORKING_DAYS:
                return self._end_of_working_day(self._nth_working_day_after(last_day, amount))
            case Unit.BUSINESS_HOURS:
                return self._walk(moment, timedelta(hours=amount), wall=False)
        raise CalendarError(f"unknown unit: {unit!r}")

    def counted(self, start: datetime, end: datetime, unit: Unit) -> timedelta:
        """The time between `start` and `end` as a clock in `unit` counts it (nothing when `end`
        is not after `start`): a pause's length."""
        if _aware(end) <= _aware(start):
            return timedelta()
        if unit in (Unit.HOURS, Unit.CALENDAR_DAYS):
            return _aware(end) - _aware(start)
        return self._measure(start, end, wall=unit == Unit.WORKING_DAYS)

    def shifted(self, due: datetime, counted: timedelta, unit: Unit) -> datetime:
        """The moment reached from `due` once `counted` more counted time has passed: the due
        time after a pause that `counted` measured."""
        if unit in (Unit.HOURS, Unit.CALENDAR_DAYS):
            return _aware(due).astimezone(UTC) + counted
        return self._walk(due, counted, wall=unit == Unit.WORKING_DAYS)

    # JSON

    def to_json(self) -> dict[str, Any]:
        """The calendar as the settings keep it (the time zone is the installation's own)."""
        return {
            "country": self.country,
            "subdivision": self.subdivision,
            "added_holidays": sorted(day.isoformat() for day in self.added_holidays),
            "added_working_days": sorted(day.isoformat() for day in self.added_working_days),
            "opening": [moment.isoformat(timespec="minutes") for moment in self.opening] if self.opening else None,
            "weekend": sorted(self.weekend),
        }

    @classmethod
    def from_json(cls, value: Mapping[str, Any], timezone: str) -> WorkingCalendar:
        """A checked calendar from its JSON and the installation's time zone."""
        try:
            opening = value.get("opening")
            if opening is not None:
                start, end = opening
                opening = (time.fromisoformat(start), time.fromisoformat(end))
            calendar = cls(
                timezone=timezone,
                country=value.get("country") or None,
                subdivision=value.get("subdivision") or None,
                added_holidays=frozenset(date.fromisoformat(day) for day in value.get("added_holidays") or ()),
                added_working_days=frozenset(date.fromisoformat(day)
                                             for day in value.get("added_working_days") or ()),
                opening=opening,
                weekend=frozenset(int(day) for day in value.get("weekend", (5, 6))),
            )
        except (AttributeError, TypeError, ValueError) as error:
            raise CalendarError(f"a calendar needs ISO dates and opening hours as [\"09:00\", \"17:30\"]: "
                                f"{value!r}") from error
        calendar.check()
        return calendar


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise CalendarError(f"a clock counts from an aware moment, not {moment!r}")
    return moment

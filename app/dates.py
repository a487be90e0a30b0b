"""How moments and days are written for people: one style per language, the same on every page,
table, PDF, e-mail and export (docs/languages.md shows them).

    English                  3 Dec 2026, 17:44     3 Dec 2026     3 Dec
    Romanian, Russian,       03.12.2026, 17:44     03.12.2026     03.12
    Ukrainian

A day is the date part of the same style; a time is always 24-hour; the audit trail alone adds
seconds (":ss"), where the order of events within a minute matters. Every moment is shown in the
registry's time zone (REGISTRY_TIMEZONE), which the caller passes: this module reads neither the
request nor the app, so PDFs, e-mails and exports call it as pages do (through the `moment` and
`day` template filters, app/i18n.py). Month names come from Babel (CLDR).

Machines keep ISO 8601: the JSON API, cursors, file names and the values of date inputs never
come through here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from msgspec import Struct

from .languages import normalise_language

TIME = "HH:mm"
SECONDS = ":ss"


class Style(Struct, frozen=True):
    """A language's date patterns (Babel / CLDR pattern syntax)."""

    day: str  # a date with its year
    day_month: str  # a date within a year the reader sees elsewhere (column headings of weeks)
    month: str = "LLLL y"  # a calendar month as a period, the month named ("December 2026")

    def moment(self, *, seconds: bool = False) -> str:
        return f"{self.day}, {TIME}{SECONDS if seconds else ''}"


_NUMERIC = Style(day="dd.MM.y", day_month="dd.MM")

#: One style per supported language (app/languages.py); English names the month, so that
#: "3 Dec 2026" cannot be read as 12 March.
STYLES: dict[str, Style] = {
    "en": Style(day="d MMM y", day_month="d MMM"),
    "ro": _NUMERIC,
    "ru": _NUMERIC,
    "uk": _NUMERIC,
}


def _code(language: object) -> str:
    """A supported language code from a code or a Babel locale (an unsupported one: English)."""
    return normalise_language(str(language or ""))


def style_of(language: object) -> Style:
    """The style of `language` (a code or a Babel locale); an unsupported one gets English's."""
    return STYLES[_code(language)]


def local(value: datetime, zone: str | tzinfo) -> datetime:
    """`value` in the time zone `zone`; a naive value is taken as UTC (as stored)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ZoneInfo(zone) if isinstance(zone, str) else zone)


def format_moment(value: datetime, language: object, zone: str | tzinfo, *, seconds: bool = False) -> str:
    """A moment for people: "3 Dec 2026, 17:44" (en), "03.12.2026, 17:44" (ro, ru, uk)."""
    return format_datetime(local(value, zone), style_of(language).moment(seconds=seconds), locale=_code(language))


def moment_writer(language: object, zone: str | tzinfo) -> Callable[[datetime], str]:
    """`format_moment` for many moments in one language and zone (an export's thousands of lines):
    the same text, but Babel writes each day once and the 24-hour time is appended to it, as
    `Style.moment` composes the pattern, at a small fraction of the cost per moment."""
    code, zone = _code(language), ZoneInfo(zone) if isinstance(zone, str) else zone
    pattern = STYLES[code].day
    days: dict[date, str] = {}

    def write(value: datetime) -> str:
        moment = local(value, zone)
        day = moment.date()
        text = days.get(day)
        if text is None:
            text = days[day] = format_date(day, pattern, locale=code)
        return f"{text}, {moment.hour:02d}:{moment.minute:02d}"

    return write


def format_day(value: date | datetime, language: object, zone: str | tzinfo | None = None, *,
               year: bool = True) -> str:
    """A day for people: "3 Dec 2026" (en), "03.12.2026" (ro, ru, uk); without `year`, "3 Dec" /
    "03.12". A moment (datetime) is first taken to its day in `zone`, which it then needs."""
    if isinstance(value, datetime):
        if zone is None:
            raise TypeError("format_day of a moment needs the time zone its day is counted in")
        value = local(value, zone).date()
    style = style_of(language)
    return format_date(value, style.day if year else style.day_month, locale=_code(language))


def format_deadline(value: datetime, language: object, zone: str | tzinfo) -> str:
    """A due time for people: a deadline that ends at local midnight is "the end of" the day
    before, written as that day ("23 Oct 2026"): the way a day-counted term is read; any
    other as the moment ("29 Aug 2026, 19:00")."""
    moment = local(value, zone)
    if (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0):
        return format_day((moment - timedelta(microseconds=1)).date(), language)
    return format_moment(value, language, zone)


def format_time_of_day(value: datetime, zone: str | tzinfo) -> str:
    """The time of a moment alone, 24-hour: "17:44" (the same in every language)."""
    return local(value, zone).strftime("%H:%M")


def format_month(value: date, language: object) -> str:
    """A calendar month as a period, the month named: "December 2026", "decembrie 2026"."""
    return format_date(value, style_of(language).month, locale=_code(language))

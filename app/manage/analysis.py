"""Complaint analysis (/manage/analysis): what keeps coming back, so causes get fixed.

- *Categories over time*: complaints per category per ISO week (organisation's time zone).
- *Spikes*: a category whose weekly count reached at least `SPIKE_MIN_COUNT` and grew by at
  least `SPIKE_GROWTH` (50 %) over the week before.
- *Repeat complainants*: the same e-mail address (case-insensitive) or phone number behind two
  or more complaints in the period, with their latest numbers (two statements, however many).
- *Why complaints rose*: escalations in the period by reason, breaches by deadline, and the
  complaints that were passed on (transferred at least once).

The complaints counted are the dashboard's (app.manage.figures.counted), read as the dashboard
reads them (app/manage/rollup.py): the settled complaints of the period's full weeks from the
rollups (figure_cells by category and transfer count, figure_reasons, figure_contacts), every
other complaint live from complaint_facts; exact, and bounded by the weeks shown rather than by
the registry. Comparing weeks is done on the few grouped rows. Recurring complainants are looked
for first among the contacts with the most complaints of all time (figure_contact_totals) and,
for a period of a few years at most, with the most in the calendar years it touches
(figure_contact_years), for a period of a few weeks, in the calendar months it touches
(figure_contact_months).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from msgspec import Struct
from sqlalchemy import Select, and_, case, exists, func, literal, or_, select, union, union_all

from ..auth.access import requires
from ..auth.permissions import Permission
from ..clock import now_utc
from ..complaints.categories import category_name
from ..complaints.filters import ComplaintFilter
from ..complaints.models import Complaint
from ..workflow.models import DeadlineKind, EscalationReason
from . import charts, rollup
from .blueprint import bp
from .dashboard import Context, DashboardFilterForm
from .facts import BREACH_COUNTS, ESCALATION_COUNTS
from .figures import counted, week_limits
from .figures.overview import week_index
from .models import ComplaintFacts as Facts
from .models import (
    FigureCell,
    FigureContact,
    FigureContactMonth,
    FigureContactTotal,
    FigureContactYear,
    FigureReason,
)
from .satisfaction import lowest_rated
from .template_usage import template_usage

SPIKE_MIN_COUNT = 5
SPIKE_GROWTH = 0.5
REPEAT_LIMIT = 25
#: Recurring complainants: how many contacts with the most complaints of all time are counted
#: first, per place asked for.
FIRST_LOOK = 4
#: ... and for a period that touches this many calendar years (UTC) or fewer, as many of each
#: year's contacts with the most complaints that year, too, when the period is this long at
#: least (in a shorter one a year's counts are many times the period's and seldom settle the
#: places: those contacts would be counted for nothing).
YEARS_AT_MOST = 3
YEARS_FROM = timedelta(days=180)
#: ... and for a shorter period that touches this many calendar months (UTC) or fewer, as many
#: of each month's contacts with the most complaints that month.
MONTHS_AT_MOST = 3
#: Of a year or month the period holds less than this of (a local month's first hours in the
#: registry's time zone, east of UTC), every contact of that part is looked at, read live.
EDGE = timedelta(days=1)


class CategoryTrend(Struct, frozen=True):
    weeks: list[date]  # Mondays
    counts: dict[str, list[int]]  # category code -> complaints per week, in `weeks` order
    cut: bool = False  # earlier weeks of the period left out (figures.overview.WEEKS_SHOWN)


class Spike(Struct, frozen=True):
    category: str
    week: date
    count: int
    previous: int


class Repeat(Struct, frozen=True):
    contact: str  # the e-mail address or phone number
    complaints: int
    numbers: list[str]  # the newest first, at most five


class RiseReasons(Struct, frozen=True):
    escalations: dict[EscalationReason, int]
    breaches: dict[DeadlineKind, int]
    transferred: int  # complaints passed on at least once
    complaints: int


def _live_parts(s: rollup.Split | None) -> list[list[Any]]:
    """The complaints read live as the conditions of parts that never overlap
    (`rollup.Split.parts`; all of them when `s` is None)."""
    return [[]] if s is None else s.parts()


def category_trend(f: ComplaintFilter, timezone: str) -> CategoryTrend:
    """Complaints per category per ISO week of registration in `timezone`: the settled ones of
    the full weeks from the dashboard's rollups (figure_cells by category), the rest live."""
    with rollup.snapshot():
        limited = week_limits(f, timezone)
        if limited is None:
            return CategoryTrend([], {})
        mondays = limited.mondays
        place = {monday: index for index, monday in enumerate(mondays)}
        counts: dict[str, list[int]] = {}

        def add(category: str, week: int, n: int) -> None:
            counts.setdefault(category, [0] * len(mondays))[week] += n

        s = rollup.split_complemented(f, timezone)
        week = week_index(timezone, limited, rollup_weeks=s is not None)
        for row in rollup.reader().execute(union_all(*(
            select(week.label("week"), Facts.category, func.count())
            .where(*counted(f), *part).group_by(week, Facts.category) for part in _live_parts(s)
        ))):
            if row[0] is not None and row[0] >= 0:  # not before the weeks shown
                add(row[1], row[0], row[2])
        if s is not None:
            total = func.sum(FigureCell.complaints)
            for monday, category, n in rollup.reader().execute(
                select(FigureCell.monday, FigureCell.category, total)
                .where(*rollup.filtered(FigureCell, s, f, rollup.BY_CATEGORY), FigureCell.monday >= mondays[0])
                .group_by(FigureCell.monday, FigureCell.category).having(total != 0)
            ):
                add(category, place[monday], n)
            for monday, category, n in _less(s, f, Facts.category):
                if monday in place:
                    add(category, place[monday], -n)
    # A category whose settled complaints all lay outside the period was added and taken away.
    ordered = dict(sorted(((category, weeks) for category, weeks in counts.items() if any(weeks)),
                          key=lambda item: (-sum(item[1]), item[0])))
    return CategoryTrend(mondays, ordered, limited.cut)


def _less(s: rollup.Split, f: ComplaintFilter, key: Any) -> list[Any]:
    """(Monday, `key`, complaints) of the settled complaints counted under `f` in the parts of
    the split's first and last weeks outside the period (`Split.less`): the rollups of those
    weeks count them, the figures take them away again."""
    if not s.less:
        return []
    return rollup.reader().execute(union_all(*(
        select(literal(s.less[index][0]).label("monday"), key, func.count())
        .where(*rollup.less_where(s, index, f)).group_by(key)
        for index in range(len(s.less))
    ))).all()


def spikes(trend: CategoryTrend, *, min_count: int = SPIKE_MIN_COUNT, growth: float = SPIKE_GROWTH) -> list[Spike]:
    """Weeks in which a category jumped, newest first."""
    found = [
        Spike(category, trend.weeks[i], counts[i], counts[i - 1])
        for category, counts in trend.counts.items()
        for i in range(1, len(counts))
        if counts[i] >= min_count and counts[i] >= counts[i - 1] * (1 + growth) and counts[i] > counts[i - 1]
    ]
    return sorted(found, key=lambda s: (s.week, s.count - s.previous), reverse=True)


def _contact_rows(f: ComplaintFilter, s: rollup.Split | None, among: Any = None, when: Any = None) -> list[Any]:
    """One row (contact, complaints) per contact a complaint counted under `f` gives: the
    settled complaints of the split's full weeks from figure_contacts, the others live from
    complaint_facts (all of them live when `s` is None); only the contacts `among` selects
    (None: every contact), and none unless `when` holds (None: always)."""
    only = [] if when is None else [when]
    rows = [
        select(column.label("contact"), literal(1).label("complaints"))
        .where(*counted(f), *part, *only, column.is_not(None), *([] if among is None else [column.in_(among)]))
        for part in _live_parts(s) for column in (Facts.email, Facts.phone)
    ]
    if s is not None:
        weeks = [*s.weeks(FigureContact), *only]
        if f.category:
            weeks.append(FigureContact.category == f.category)
        if f.channel is not None:
            weeks.append(FigureContact.channel == f.channel.value)
        if f.tier is not None:
            weeks.append(FigureContact.tier == f.tier)
        if among is not None:
            weeks.append(FigureContact.contact.in_(among))
        rows.append(select(FigureContact.contact.label("contact"), FigureContact.complaints).where(*weeks))
        rows.extend(  # less the settled complaints of the weeks' parts outside the period (`Split.less`)
            select(column.label("contact"), literal(-1).label("complaints"))
            .where(*rollup.less_where(s, index, f), *only, column.is_not(None),
                   *([] if among is None else [column.in_(among)]))
            for index in range(len(s.less)) for column in (Facts.email, Facts.phone)
        )
    return rows


def _recurring(f: ComplaintFilter, s: rollup.Split | None, among: Any = None, when: Any = None) -> Select:
    """The contacts behind two complaints or more under `f`, with their count (as `_contact_rows`)."""
    rows = union_all(*_contact_rows(f, s, among, when)).subquery("contact_rows")
    complaints = func.sum(rows.c.complaints)
    return select(rows.c.contact, complaints.label("complaints")).group_by(rows.c.contact).having(complaints > 1)


def _in_byte_order(contact: Any) -> Any:
    """Ties in byte order on both databases (a PostgreSQL database's collation may sort "+",
    "." and "_" unlike SQLite), so the same contacts make the cut at `limit`."""
    return contact.collate("C") if rollup.on_postgresql() else contact


def _latest(f: ComplaintFilter, among: list[str]) -> dict[str, list[str]]:
    """The five latest numbers of each contact in `among`, among the complaints counted: one
    statement, each half reading its own index (ix_complaints_lower_email, ix_complaints_phone).
    An address holds an "@", a phone number is in E.164 ("+" and digits): the two never meet."""
    halves = [
        select(column.label("contact"), Complaint.id, Complaint.number, Complaint.registered_at)
        .where(*counted(f, Complaint), column.in_(among))
        for column in (func.lower(Complaint.email), Complaint.phone)
    ]
    theirs = union_all(*halves).subquery("theirs")
    place = func.row_number().over(
        partition_by=theirs.c.contact, order_by=(theirs.c.registered_at.desc(), theirs.c.id.desc())
    ).label("place")
    ranked = select(theirs.c.contact, theirs.c.number, place).subquery("ranked")
    numbers: dict[str, list[str]] = {}
    for contact, number in rollup.reader().execute(
        select(ranked.c.contact, ranked.c.number).where(ranked.c.place <= 5).order_by(ranked.c.contact, ranked.c.place)
    ):
        numbers.setdefault(contact, []).append(number)
    return numbers


def _calendar(f: ComplaintFilter) -> tuple[Any, list[Any]]:
    """The calendar periods (UTC) whose counts per contact bound `f`'s period's: the key column
    (figure_contact_months.month or figure_contact_years.year) and the keys of the periods it
    touches. When it has a start: the months (their first days), if it lasts less than
    `YEARS_FROM` and touches `MONTHS_AT_MOST` of them or fewer; the years, if it lasts
    `YEARS_FROM` at least and touches `YEARS_AT_MOST` of them or fewer; else none. A period with
    no end runs to the last month that has a complaint with a contact."""
    if f.registered_from is None:
        return FigureContactYear.year, []
    first = f.registered_from.astimezone(UTC)
    if f.registered_before is None:
        last = rollup.reader().scalar(select(func.max(FigureContactMonth.month))) or first.date()
        short = long = True
    else:
        last = (f.registered_before - timedelta(microseconds=1)).astimezone(UTC)
        short = f.registered_before - f.registered_from < YEARS_FROM
        long = not short
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    if short and 0 < months <= MONTHS_AT_MOST:
        index = first.year * 12 + first.month - 1
        return FigureContactMonth.month, [date((index + k) // 12, (index + k) % 12 + 1, 1) for k in range(months)]
    if long and first.year <= last.year < first.year + YEARS_AT_MOST:
        return FigureContactYear.year, list(range(first.year, last.year + 1))
    return FigureContactYear.year, []


def _edges(f: ComplaintFilter, key: Any, periods: list[Any]) -> dict[Any, tuple[datetime, datetime]]:
    """The years (months) of `periods` of which `f`'s period holds less than `EDGE`, each with
    the part it holds (UTC instants, end excluded)."""
    edges = {}
    for period in periods:
        if key is FigureContactYear.year:
            start, end = datetime(period, 1, 1, tzinfo=UTC), datetime(period + 1, 1, 1, tzinfo=UTC)
        else:
            start = datetime(period.year, period.month, 1, tzinfo=UTC)
            end = datetime(period.year + period.month // 12, period.month % 12 + 1, 1, tzinfo=UTC)
        low, high = max(start, f.registered_from), min(end, f.registered_before or end)
        if high - low < EDGE:
            edges[period] = (low, high)
    return edges


def _contacts_in_part(f: ComplaintFilter, low: datetime, high: datetime) -> list[Select]:
    """The contacts of the complaints counted under `f` from `low` to `high`, read live:
    bounded by the part, a day at most."""
    return [select(column.label("contact"))
            .where(*counted(f), Facts.registered_at >= low, Facts.registered_at < high, column.is_not(None))
            for column in (Facts.email, Facts.phone)]


def repeat_complainants(f: ComplaintFilter, limit: int = REPEAT_LIMIT) -> list[Repeat]:
    """Contacts behind two complaints or more in the period, the most frequent first (ties by
    contact), each with its five latest complaint numbers.

    Two statements whatever `limit` is and however many complaints the registry holds (three
    for a period with a start and no end): the counts per contact, then the latest numbers of
    the contacts found. No period holds more of a contact's complaints than it has of all time
    (figure_contact_totals), nor more than it has in the calendar years or months the period
    touches (figure_contact_years, figure_contact_months). So the counts are first taken for the
    `FIRST_LOOK` x `limit` contacts with the most complaints of all time (in the page's order),
    and, for a period of `YEARS_AT_MOST` years or fewer and `YEARS_FROM` or longer, as many with
    the most in each of its years, for a shorter one of `MONTHS_AT_MOST` months or fewer, in
    each of its months (a few index reads each: figure_contacts by contact and week for the
    settled complaints of the full weeks, the others live). Any other contact has at most as
    many complaints of all time as the first not looked at, and in each year (month) at most as
    many as that year's (month's) first not looked at (one, when every contact with two or more
    was). Of a year (month) the period holds less than `EDGE` of (a calendar month in the
    registry's time zone begins with the last hours of the month before in UTC), every contact
    of that part is looked at (read live), so any other has none there. When such a contact
    could still reach the `limit`-th place found (by both bounds), or fewer than `limit` were
    found, the same statement counts every contact of the period as well (the settled
    complaints of the full weeks summed from figure_contacts): bounded by the period, not by
    the registry. In an old
    registry whose customers come back every year, the counts of all time stop telling the
    period's frequent contacts apart; the years' counts do not. In a busy registry a year's
    counts do not tell a month's frequent contacts apart; the months' counts do.
    """
    s = rollup.split_complemented(f)
    looked_at = FIRST_LOOK * limit
    key, periods = _calendar(f)
    table = key.class_
    edges = _edges(f, key, periods)
    totals = FigureContactTotal
    in_order = (totals.complaints.desc(), _in_byte_order(totals.contact))
    tops = [select(totals.contact).where(totals.complaints > 1).order_by(*in_order).limit(looked_at)]
    # A year's (month's) contacts with two complaints or more, the most first (ties in any order:
    # only the count of the first not looked at bounds the others).
    for period in periods:
        if period in edges:  # every contact of the edge: any other has none there
            tops.extend(_contacts_in_part(f, *edges[period]))
        else:
            tops.append(select(table.contact).where(key == period, table.complaints > 1)
                        .order_by(table.complaints.desc()).limit(looked_at))
    looked = [top.subquery(f"top_{index}") for index, top in enumerate(tops)]
    first = union(*(select(top.c.contact) for top in looked)).cte("first_look")
    found = _recurring(f, s, among=select(first.c.contact)).cte("found")
    # The `limit`-th place among those found, and the first contact not looked at.
    place = (
        select(found.c.complaints, found.c.contact)
        .order_by(found.c.complaints.desc(), _in_byte_order(found.c.contact)).offset(limit - 1).limit(1)
        .subquery("place")
    )
    following = (
        select(totals.complaints, totals.contact).where(totals.complaints > 1).order_by(*in_order)
        .offset(looked_at).limit(1).subquery("following")
    )
    place_complaints = select(place.c.complaints).scalar_subquery()
    place_contact = select(place.c.contact).scalar_subquery()
    no_place = ~exists(select(literal(1)).select_from(place))
    look_further = exists(select(literal(1)).select_from(following).where(or_(
        no_place,
        following.c.complaints > place_complaints,
        and_(following.c.complaints == place_complaints,
             _in_byte_order(following.c.contact) <= _in_byte_order(place_contact)),
    )))
    if periods:
        # The most another contact can have in the years (months): each one's first not looked at
        # (one when there is none: every contact with two or more then was looked at); none in
        # an edge.
        bound = sum((
            func.coalesce(
                select(table.complaints).where(key == period, table.complaints > 1)
                .order_by(table.complaints.desc()).offset(looked_at).limit(1).scalar_subquery(), 1)
            for period in periods if period not in edges
        ), literal(0))
        look_further = and_(look_further, bound > 1, or_(no_place, bound >= place_complaints))
    every = _recurring(f, s, when=look_further)
    if not rollup.on_postgresql():
        # PostgreSQL tests the condition once, before reading a row (a one-time filter); SQLite
        # tests it on every row read, so there a LIMIT of 0 stops the count before it begins.
        every = select(every.limit(case((look_further, -1), else_=0)).subquery("every"))
    counts = union(select(found.c.contact, found.c.complaints), every).subquery("counts")
    top = rollup.reader().execute(
        select(counts.c.contact, counts.c.complaints)
        .order_by(counts.c.complaints.desc(), _in_byte_order(counts.c.contact))
        .limit(limit)
    ).all()
    if not top:
        return []
    numbers = _latest(f, [row.contact for row in top])
    return [Repeat(row.contact, int(row.complaints), numbers.get(row.contact, [])) for row in top]


def rise_reasons(f: ComplaintFilter) -> RiseReasons:
    """Escalations by reason and breaches by deadline of the complaints counted, and how many of
    them were passed on: the settled complaints of the full weeks from the rollups
    (figure_reasons, figure_cells), the rest live from complaint_facts."""
    escalations = dict.fromkeys(EscalationReason, 0)
    breaches = dict.fromkeys(DeadlineKind, 0)
    with rollup.snapshot():
        s = rollup.split_complemented(f)
        sums = (
            *(func.coalesce(func.sum(getattr(Facts, column)), 0) for column in ESCALATION_COUNTS.values()),
            *(func.coalesce(func.sum(getattr(Facts, column)), 0) for column in BREACH_COUNTS.values()),
            func.count().filter(Facts.transfer_count > 0), func.count(),
        )
        # The live parts, and less the settled complaints of the weeks' parts outside the period
        # (`Split.less`), which the rollups of those weeks count.
        reads = [select(literal(1), *sums).where(*counted(f), *part) for part in _live_parts(s)]
        reads += [select(literal(-1), *sums).where(*rollup.less_where(s, index, f))
                  for index in range(len(s.less) if s is not None else 0)]
        live = [0] * (len(ESCALATION_COUNTS) + len(BREACH_COUNTS) + 2)
        for sign, *row in rollup.reader().execute(union_all(*reads)):
            live = [total + sign * int(n) for total, n in zip(live, row, strict=True)]
        for reason, n in zip(ESCALATION_COUNTS, live, strict=False):
            escalations[reason] += int(n)
        for kind, n in zip(BREACH_COUNTS, live[len(ESCALATION_COUNTS):], strict=False):
            breaches[kind] += int(n)
        transferred, complaints = int(live[-2]), int(live[-1])
        if s is not None:
            for kind, reason, n in rollup.reader().execute(
                select(FigureReason.kind, FigureReason.reason, func.sum(FigureReason.events))
                .where(*rollup.filtered(FigureReason, s, f)).group_by(FigureReason.kind, FigureReason.reason)
            ):
                if kind == "escalation":
                    escalations[EscalationReason(reason)] += int(n)
                else:
                    breaches[DeadlineKind(reason)] += int(n)
            for transfer_count, n in rollup.reader().execute(
                select(FigureCell.transfer_count, func.sum(FigureCell.complaints))
                .where(*rollup.filtered(FigureCell, s, f)).group_by(FigureCell.transfer_count)
            ):
                complaints += int(n)
                transferred += int(n) if transfer_count > 0 else 0
    ordered = dict(sorted(((r, n) for r, n in escalations.items() if n), key=lambda item: -item[1]))
    return RiseReasons(ordered, {k: n for k, n in breaches.items() if n}, transferred, complaints)


@bp.get("/analysis/", endpoint="analysis")
@requires(Permission.VIEW_DASHBOARD)
def index() -> tuple[str, int]:
    form = DashboardFilterForm(request.args)
    if not form.validate():
        return render_template("manage/analysis.html", form=form, trend=None), 400
    timezone = current_app.config["REGISTRY_TIMEZONE"]
    f = form.to_filters(timezone)
    language = str(get_locale() or "en")
    with rollup.snapshot():  # every figure of the page from one snapshot, the rollups' calendar read once
        trend = category_trend(f, timezone)
        reasons = rise_reasons(f)
        repeats = repeat_complainants(f)
        usage = template_usage(f)
        rated = lowest_rated(*Context(f, now_utc(), timezone, language, {}).period(), language=language,
                             category=f.category)
    names = {code: category_name(code, language) for code in trend.counts}
    chart = Markup(charts.bar_chart(  # noqa: S704  (charts escape every text they draw)
        [(reason.title, n) for reason, n in reasons.escalations.items()],
        chart_id="chart-escalation-reasons", title=_("Why complaints rose (escalations)"),
        empty_text=_("No escalations in this period"),
    ))
    return render_template(
        "manage/analysis.html", form=form, trend=trend, names=names, spikes=spikes(trend),
        repeats=repeats, reasons=reasons, chart=chart,
        spike_min_count=SPIKE_MIN_COUNT, spike_growth=int(SPIKE_GROWTH * 100),
        template_usage=usage, language=language, lowest_rated=rated,
    ), 200

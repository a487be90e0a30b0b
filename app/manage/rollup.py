"""The rollups of settled complaints: how the dashboard's figures stay fast and exact.

A complaint is *settled* once it is resolved or closed and was answered. Nothing about it then
depends on the moment the figures are asked for: it counts towards first-response compliance
(it was answered) and has no backlog age (it is not open). The open work older than a week is
settled too once `roll` has stamped it (`complaint_facts.rolled_at`, migration
`rolled_open_work`): registered more than ROLLED_AGE ago and answered or past its first-response
due, it counts towards compliance and its backlog age is one of the last two buckets', which its
registration tells apart (`rolled_open_from`); it stays settled while it was answered or due by
its stamp (SETTLED_SQL). `figure_cells` then counts it answered or not and open per
status. Database triggers on
`complaint_facts` (the migration `figure_rollups`) keep two small tables of them, per ISO week of
registration in the registry's time zone and per *grouping* (the bit mask of which of category,
channel, tier and owner a line is broken down by):

- `figure_cells`: count of complaints, met deadlines, disputes, transfers and breaches;
- `figure_durations` (no owner): count of complaints per measure and duration bucket.

The figures (app/manage/figures/) add up the rollups of the *full weeks* inside the period
and read the rest live from `complaint_facts`: the complaints not settled (open, not answered,
annulled, joined; a few percent) and every complaint registered in the partial weeks at the period's
ends. A percentile is found in its bucket from the counts and then read exactly from the
complaints in that one bucket. Exact by construction: every complaint is counted once, either in
a rollup or live, and the rollups change in the same transaction as the complaint (on
PostgreSQL at its commit, after its other locks).

The analysis page's rollups (migration `analysis_rollups`) are kept the same way from the same
rows: `figure_reasons` (escalations by reason, breaches by deadline) and `figure_contacts`
(complaints per contact, week, category, channel and tier); `figure_contact_totals` (migration
`contact_totals`) counts every complaint that gives a contact, of all time and any status, so
the recurring complainants are looked for among the contacts with the most, and
`figure_contact_years` (migration `contact_years`) counts them per calendar year (UTC), so a
period of a year or two does so whatever the registry's age, and `figure_contact_months`
(migration `contact_months`) per calendar month (UTC), so a period of a few weeks does so
whatever the registry's intake.

`recomputed_cells()` / `recomputed_durations()` (`recomputed_reasons()`, `recomputed_contacts()`,
`recomputed_contact_totals()`, `recomputed_contact_years()`, `recomputed_contact_months()`)
compute the rollups from scratch (the tests
compare them with the stored ones); `rebuild()` replaces them, for another time zone too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from msgspec import Struct
from sqlalchemy import (
    ARRAY,
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Interval,
    Numeric,
    Select,
    String,
    case,
    cast,
    delete,
    extract,
    false,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased

from ..clock import local_day_start
from ..complaints.filters import ComplaintFilter, filter_conditions
from ..complaints.models import ComplaintStatus
from ..database import commit_with_retry, epoch_ms
from ..extensions import db
from .facts import BREACH_COUNTS, ESCALATION_COUNTS
from .models import (
    CONTACT_DIRECTORY_INDEX,
    LIVE_COLUMNS,
    OPEN_STATUSES,
    OPEN_SUMS,
    ROLLED_OPEN_SQL,
    SETTLED_SQL,
    UNCOUNTED_SQL,
    UNSETTLED_SQL,
    FigureBucket,
    FigureCell,
    FigureCellYear,
    FigureContact,
    FigureContactMonth,
    FigureContactTotal,
    FigureContactYear,
    FigureDuration,
    FigureDurationYear,
    FigureGrouping,
    FigureReason,
    FigureState,
    FigureWeek,
)
from .models import ComplaintFacts as Facts

#: Grouping bits.
BY_CATEGORY, BY_CHANNEL, BY_TIER, BY_OWNER = 1, 2, 4, 8
#: What a rollup line holds in a key its grouping is not broken down by (as the migrations'
#: triggers write it; owner 0 is "nobody", so no owner is -1).
NOT_GROUPED = {"category": "", "channel": "", "tier": 0, "owner_id": -1}
#: Measures of figure_durations: time to first response, time to resolution.
FIRST_RESPONSE, RESOLUTION = 1, 2
ENDS = {FIRST_RESPONSE: Facts.first_responded_at, RESOLUTION: Facts.resolved_at}


def settled() -> Any:
    """The settled complaints of complaint_facts."""
    return text(SETTLED_SQL)


def unsettled() -> Any:
    """The others the figures count (neither annulled nor joined), written out as the
    migration's partial index is, so both databases use it."""
    return text(UNSETTLED_SQL)


def uncounted() -> Any:
    """The complaints the figures never count (annulled, joined), as their partial index is written."""
    return text(UNCOUNTED_SQL)


def duration_ms(end: Any, table: Any = Facts) -> ColumnElement[Any]:
    """`end - registered_at` in milliseconds, the expression the triggers bucket."""
    return epoch_ms(end) - epoch_ms(table.registered_at)


_snapshot: ContextVar[Session | None] = ContextVar("figures_snapshot", default=None)
#: What the block being read (`snapshot`) has looked up already in the tables of the rollups'
#: calendar (their time zone, weeks and local days), which nothing changes while figures are read.
_looked_up: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("figures_looked_up", default=None)


def reader() -> Any:
    """The session the figures read with: the open snapshot's, or the application's."""
    return _snapshot.get() or db.session


def on_postgresql() -> bool:
    """The figures are read from PostgreSQL (else SQLite)."""
    return reader().get_bind().dialect.name == "postgresql"


@contextmanager
def snapshot() -> Iterator[None]:
    """Read the figures of this block from one snapshot of the database, so that what the
    rollups count and what is read live never overlap or miss a complaint changed meanwhile.

    PostgreSQL: a REPEATABLE READ, READ ONLY transaction on a connection of its own (the
    caller's transaction is left alone), ended at the end of the block, with the planner
    settled for the figures' statements (`_settle_planner`). SQLite has a single writer and the
    embedded default; there the block reads through the application's session. A block inside
    another uses the outer snapshot.

    On both databases the block looks each thing of the rollups' calendar up once (`looked_up`).
    """
    if _looked_up.get() is not None:
        yield
        return
    token = _looked_up.set({})
    try:
        with _transaction():
            yield
    finally:
        _looked_up.reset(token)


def looked_up(key: tuple[Any, ...], read: Callable[[], Any]) -> Any:
    """`read()`, made once per `snapshot` block for `key` (every time outside one): for the
    tables of the rollups' calendar, which change only when the rollups are rebuilt, never while
    a block reads figures from them (a PostgreSQL snapshot could not see such a change anyway)."""
    memo = _looked_up.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


@contextmanager
def _transaction() -> Iterator[None]:
    """PostgreSQL's snapshot for `snapshot` (see there); SQLite reads through the application's session."""
    if _snapshot.get() is not None or db.session.get_bind().dialect.name != "postgresql":
        yield
        return
    with db.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        with Session(bind=connection) as session:
            token = _snapshot.set(session)
            try:
                _settle_planner(session)
                yield
            finally:
                _snapshot.reset(token)
                connection.rollback()


def _settle_planner(session: Session) -> None:
    """For the rest of this (read-only) transaction: no JIT compilation (with a million rows
    the planner expects as many groups and compiles for seconds, longer than the query runs),
    room to group and sort in memory instead of in temporary files, and a plan made for each
    statement's own values: the driver prepares a statement run often, and the generic plan of
    a period's bounds cannot tell a few days from a year. No parallel workers: the statements
    read a few thousand rows each, and starting workers took longer (5 ms and more) than they
    saved."""
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def zone() -> str | None:
    """The time zone the rollups' weeks are in (None: no rollups on this database)."""
    return looked_up(("zone",), lambda: reader().scalar(select(FigureState.zone)))


# --- which complaints are read from the rollups, which live ---------------------------------


class Split(Struct, frozen=True):
    """The rollups count the settled complaints of the weeks from `first` to `last` (Mondays;
    None: unbounded); `live` selects every other complaint of the period (from `period_from` to
    `period_before`, the filter's own bounds)."""

    first: date | None
    last: date | None
    live_before: datetime | None
    live_from: datetime | None
    period_from: datetime | None = None
    period_before: datetime | None = None
    #: Parts of the first and last weeks outside the period, (Monday, from, before), whose
    #: settled complaints the rollups of those weeks count and the figures take away again
    #: (`split_complemented`); empty for `split`.
    less: tuple[tuple[date, datetime, datetime], ...] = ()

    @property
    def live(self) -> ColumnElement[bool]:
        """PostgreSQL: one condition, which it reads with a bitmap OR of the partial index of
        unsettled complaints and the registration index. SQLite reads an OR of ranges as one
        range scan of the whole period; there the complaints are picked by key from the union
        of three index reads: the partial weeks at each end and the unsettled ones between."""
        if on_postgresql():
            parts: list[Any] = [unsettled()]
            if self.live_before is not None:
                parts.append(Facts.registered_at < self.live_before)
            if self.live_from is not None:
                parts.append(Facts.registered_at >= self.live_from)
            return or_(*parts)

        def between(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
            return [*([] if start is None else [Facts.registered_at >= start]),
                    *([] if end is None else [Facts.registered_at < end])]

        # the unsettled ones of the period's weeks read from the rollups (of the whole period
        # where a partial week is read from them too: `split_complemented`)
        picks = [select(Facts.complaint_id).where(unsettled(), *between(
            self.period_from if self.live_before is None else self.live_before,
            self.period_before if self.live_from is None else self.live_from))]
        if self.live_before is not None:
            picks.append(select(Facts.complaint_id).where(*between(self.period_from, self.live_before)))
        if self.live_from is not None:
            picks.append(select(Facts.complaint_id).where(*between(self.live_from, self.period_before)))
        return Facts.complaint_id.in_(union_all(*(pick.correlate(None) for pick in picks)))

    def parts(self) -> list[list[ColumnElement[bool]]]:
        """The live part as the conditions of parts that never overlap, each read by its own
        index: on PostgreSQL the partial week at each end of the period (by registration) and
        the unsettled complaints between them (by the partial index of unsettled complaints).
        One condition of the three (`live`) lets the planner read every complaint of the period
        instead when the period is a small part of an old registry (10,000 rows read for 400 in
        a year of a ten-year registry), and always reads each complaint from the table. SQLite:
        `live`, which picks them by key from the same parts."""
        if not on_postgresql():
            return [[self.live]]

        def between(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
            return [*([] if start is None else [Facts.registered_at >= start]),
                    *([] if end is None else [Facts.registered_at < end])]

        parts = [[unsettled(), *between(self.period_from if self.live_before is None else self.live_before,
                                        self.period_before if self.live_from is None else self.live_from)]]
        if self.live_before is not None:
            parts.append(between(self.period_from, self.live_before))
        if self.live_from is not None:
            parts.append(between(self.live_from, self.period_before))
        return parts

    def weeks(self, table: Any) -> list[ColumnElement[bool]]:
        where = []
        if self.first is not None:
            where.append(table.monday >= self.first)
        if self.last is not None:
            where.append(table.monday <= self.last)
        return where


def live_facts(s: Split | None, where: list[Any]) -> tuple[Any, list[Any]]:
    """Where the complaints read live are read from, as (table, conditions on it): those of the
    split's live part that `where` selects (every one `where` selects when `s` is None).
    PostgreSQL: `Split.parts`, each with `where`, as one subquery, so that the unsettled ones
    are read from their partial index alone (it carries every column); in the table the open
    work lies scattered, a page for each complaint or two. SQLite: complaint_facts and
    `Split.live`."""
    if s is None:
        return Facts, where
    if not on_postgresql():
        return Facts, [*where, s.live]
    columns = [Facts.__table__.c[name] for name in ("registered_at", *LIVE_COLUMNS)]
    rows = union_all(*(select(*columns).where(*where, *part) for part in s.parts())).subquery("live_facts")
    return aliased(Facts, rows), []


def split(f: ComplaintFilter, timezone: str | None = None) -> Split | None:
    """How the complaints counted under `f` are read; None when all of them are read live: no
    rollups on this database, rollups kept for another time zone than the weeks asked for
    (`timezone`), or no full week in the period. With no `timezone`, any zone's weeks split
    the period (figure_weeks and the rollups are keyed by the same weeks): the zone is not read."""
    if timezone is not None and timezone != zone():
        return None
    first = last = live_before = live_from = None
    if f.registered_from is not None:
        week = starting(FigureWeek.monday, FigureWeek.starts, f.registered_from, on_or_after=True)
        if week is None:
            return None
        first, live_before = week
    if f.registered_before is not None:
        week = starting(FigureWeek.monday, FigureWeek.starts, f.registered_before, on_or_after=False)
        if week is None:
            return None
        last, live_from = week[0] - timedelta(days=7), week[1]
    if first is not None and last is not None and first > last:
        return None
    return Split(first, last, live_before, live_from, f.registered_from, f.registered_before)


def starting(day: Any, starts: Any, moment: datetime, *, on_or_after: bool) -> tuple[date, datetime] | None:
    """(day, start) of the calendar table whose columns `day` and `starts` are (figure_weeks'
    Mondays, local_days' days) for the first of its days starting at or after `moment`, or the
    last starting at or before it; None when it has none. Looked up once per snapshot."""

    def read() -> tuple[date, datetime] | None:
        statement = select(day, starts)
        statement = (statement.where(starts >= moment).order_by(starts) if on_or_after
                     else statement.where(starts <= moment).order_by(starts.desc()))
        row = reader().execute(statement.limit(1)).first()
        return (row[0], row[1]) if row is not None else None

    return looked_up((str(starts), moment, on_or_after), read)


def split_complemented(f: ComplaintFilter, timezone: str | None = None) -> Split | None:
    """As `split`, but a partial week at either end of the period is read from that week's
    rollups when the part of it outside the period is the shorter: the settled complaints of
    that part (`Split.less`) are then read live and taken away, instead of reading those of the
    longer part inside. A period that ends today ends in a week whose rest is still to come,
    and nothing is registered there yet; the dashboard's own figures (app/manage/figures/)
    read it so, other readers of `split` are left as they were."""
    s = split(f, timezone)
    if s is None:
        return None
    first, last, live_before, live_from, less = s.first, s.last, s.live_before, s.live_from, []

    def starts(monday: date) -> datetime | None:
        return looked_up(("monday", monday),
                         lambda: reader().scalar(select(FigureWeek.starts).where(FigureWeek.monday == monday)))

    if first is not None and live_before is not None and s.period_from is not None and s.period_from < live_before:
        monday = first - timedelta(days=7)
        begins = starts(monday)
        if begins is not None and s.period_from - begins < live_before - s.period_from:
            first, live_before = monday, None
            less.append((monday, begins, s.period_from))
    if last is not None and live_from is not None and s.period_before is not None and live_from < s.period_before:
        monday = last + timedelta(days=7)
        ends = starts(monday + timedelta(days=7))
        if ends is not None and ends - s.period_before < s.period_before - live_from:
            last, live_from = monday, None
            less.append((monday, s.period_before, ends))
    return Split(first, last, live_before, live_from, s.period_from, s.period_before, tuple(less))


def less_where(s: Split, index: int, f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """The settled complaints of the `index`-th part of `s.less` that the filters `f` (category,
    channel, tier; not its period) count."""
    _, start, before = s.less[index]
    return [settled(), Facts.registered_at >= start, Facts.registered_at < before, *_kept_by(f)]


def _kept_by(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """The conditions on complaint_facts of the filters `f` that the rollups are kept by
    (category, channel, tier), not its period."""
    return filter_conditions(ComplaintFilter(category=f.category, channel=f.channel, tier=f.tier), Facts)


def monday_of(day: date) -> date:
    """The Monday of `day`'s ISO week."""
    return day - timedelta(days=day.weekday())


def rolled_open_from(s: Split, f: ComplaintFilter, moment: datetime) -> int:
    """How many of the open complaints the split's full weeks' rollups count for the filters
    `f` (category, channel, tier) were registered at or after `moment`: rolled up (`roll`), they
    are in one of the backlog's last two age buckets, and `moment` is the bound between them.
    The weeks after the one `moment` falls in are summed from their weekly lines; of that week,
    the part from `moment` on is read by `ix_complaint_facts_rolled_open`, a week's rolled-up
    open work at most: bounded by the week, not by the registry's open work."""
    zone_name = zone()
    monday = monday_of(moment.astimezone(ZoneInfo(zone_name)).date())
    weeks_after = (
        select(func.sum(sum((getattr(FigureCell, f"open_{status}") for status in OPEN_STATUSES), literal(0))))
        .where(*filtered(FigureCell, s, f), FigureCell.monday > monday)
    )
    parts = [weeks_after.scalar_subquery()]
    if (s.first is None or s.first <= monday) and (s.last is None or monday <= s.last):
        parts.append(
            select(func.count()).select_from(Facts)
            .where(text(ROLLED_OPEN_SQL), Facts.registered_at >= moment,
                   Facts.registered_at < local_day_start(monday + timedelta(days=7), zone_name), *_kept_by(f))
            .scalar_subquery()
        )
    return int(reader().scalar(select(sum((func.coalesce(part, 0) for part in parts), literal(0)))) or 0)


def filtered(table: Any, s: Split, f: ComplaintFilter, by: int = 0) -> list[ColumnElement[bool]]:
    """The rollup lines for the filters `f` (category, channel, tier; empty: any) in the split's
    full weeks, from the grouping that holds them broken down by `by` as well."""
    return [*_keyed(table, f, by), *s.weeks(table)]


def _keyed(table: Any, f: ComplaintFilter, by: int) -> list[ColumnElement[bool]]:
    """The lines of `table` (weekly or yearly) for the filters `f`, from the grouping that holds
    them broken down by `by` as well.

    On SQLite, a key the grouping is not broken down by is also said to hold its placeholder,
    as every line of the grouping does (NOT_GROUPED): with every key before the Monday
    (or year) fixed, the primary key (grouping, category, channel, tier, owner_id, ...) finds
    just the filter's lines, where SQLite's planner otherwise read every line of the grouping in
    the period by ix_*_period (at 100,000 complaints, 3 ms instead of 0.03 for a view filtered by
    category, channel and tier). PostgreSQL reads them from that index alone (it carries the
    sums); given the placeholders, its planner took the primary key and the table instead, four
    times slower for figure_durations."""
    channel = f.channel.value if f.channel is not None else None
    grouping = (BY_CATEGORY if f.category else 0) | (BY_CHANNEL if channel else 0) | (
        BY_TIER if f.tier is not None else 0) | by
    where: list[ColumnElement[bool]] = [table.grouping == grouping]
    placeholders = not on_postgresql()
    for key, value, bit in (("category", f.category or None, BY_CATEGORY), ("channel", channel, BY_CHANNEL),
                            ("tier", f.tier, BY_TIER)):
        if value is not None:
            where.append(getattr(table, key) == value)
        elif placeholders and not grouping & bit:
            where.append(getattr(table, key) == NOT_GROUPED[key])
    if placeholders and hasattr(table, "owner_id") and not grouping & BY_OWNER:
        where.append(table.owner_id == NOT_GROUPED["owner_id"])
    return where


# --- whole ISO years from the yearly lines (migration `figure_years`) ---------------------------

#: The yearly lines of each weekly rollup: the same keys, summed per ISO year of the Monday.
YEARLY = {FigureCell: FigureCellYear, FigureDuration: FigureDurationYear}


def _iso_year_start(year: int) -> date:
    return date.fromisocalendar(year, 1, 1)


def year_spans(first: date | None, last: date | None) -> tuple[tuple[int | None, int | None] | None,
                                                                list[tuple[date | None, date | None]]]:
    """The weeks from Monday `first` to Monday `last` (None: unbounded) as the ISO years wholly
    among them, (from, to) inclusive (None: unbounded; the whole result None: no whole year),
    and the ranges of Mondays (inclusive; None: unbounded) left at either end. Without an end
    the years run on unbounded: every week after the last whole one is in its ISO year."""
    y_from: int | None = None
    if first is not None:
        year = first.isocalendar().year
        y_from = year if first == _iso_year_start(year) else year + 1
    y_to: int | None = None
    if last is not None:
        year = last.isocalendar().year
        y_to = year if (last + timedelta(days=7)).isocalendar().year != year else year - 1
    if y_from is not None and y_to is not None and y_from > y_to:
        return None, [(first, last)]
    weeks: list[tuple[date | None, date | None]] = []
    if y_from is not None and first is not None and first < _iso_year_start(y_from):
        weeks.append((first, _iso_year_start(y_from) - timedelta(days=7)))
    if y_to is not None and last is not None and _iso_year_start(y_to + 1) <= last:
        weeks.append((_iso_year_start(y_to + 1), last))
    return (y_from, y_to), weeks


def sources(table: Any, s: Split, f: ComplaintFilter, by: int = 0) -> list[tuple[Any, list[ColumnElement[bool]]]]:
    """Where the lines of the split's full weeks are read, as (table, conditions): the ISO
    years wholly inside them from the yearly lines, the weeks at either end from the weekly
    ones (`table`); the same sums as `filtered(table, s, f, by)`, bounded by the period's
    length, not the registry's age."""
    years, weeks = year_spans(s.first, s.last)
    parts = []
    if years is not None:
        yearly = YEARLY[table]
        parts.append((yearly, [*_keyed(yearly, f, by),
                               *([] if years[0] is None else [yearly.year >= years[0]]),
                               *([] if years[1] is None else [yearly.year <= years[1]])]))
    for start, end in weeks:
        parts.append((table, [*_keyed(table, f, by), *([] if start is None else [table.monday >= start]),
                              *([] if end is None else [table.monday <= end])]))
    return parts


def summed(table: Any, s: Split, f: ComplaintFilter, by: int, keys: tuple[str, ...], sums: tuple[str, ...],
           more: Any = None) -> Any:
    """SELECT keys, sums of the rollup lines of the split's full weeks for the filters `f`,
    grouped by `keys`, lines summing to no complaint left out: read from `sources()` (each part
    grouped, then the parts added up). `more(table)`: further conditions on each table."""
    parts = [
        select(*(getattr(source, k).label(k) for k in keys), *(func.sum(getattr(source, c)).label(c) for c in sums))
        .where(*where, *(more(source) if more is not None else []))
        .group_by(*(getattr(source, k) for k in keys))
        for source, where in sources(table, s, f, by)
    ]
    lines = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("lines")
    return (select(*(lines.c[k] for k in keys),  # whole numbers (PostgreSQL sums bigints as numeric)
                   *(cast(func.sum(lines.c[c]), BigInteger()).label(c) for c in sums))
            .group_by(*(lines.c[k] for k in keys)).having(func.sum(lines.c.complaints) != 0))


def complaints_per_category() -> dict[str, int]:
    """Every complaint registered (annulled and joined ones too) per category code, read as
    the figures are: the settled ones from the rollups' lines by category, the rest live from
    the partial index of unsettled complaints, and the annulled and joined ones from theirs, in
    one snapshot; bounded by the years (their yearly lines), the open work and the records
    never counted, not by the registry's weeks."""
    totals: dict[str, int] = {}
    with snapshot():
        s = split(ComplaintFilter())
        t, where = live_facts(s, [] if s is None else [text(f"NOT {UNCOUNTED_SQL}")])
        parts = [select(t.category, func.count()).where(*where).group_by(t.category)]
        if s is not None:
            parts += [select(Facts.category, func.count()).where(uncounted()).group_by(Facts.category),
                      summed(FigureCell, s, ComplaintFilter(), BY_CATEGORY, ("category",), ("complaints",))]
        for statement in parts:
            for category, count in reader().execute(statement):
                totals[category] = totals.get(category, 0) + int(count or 0)
    return {category: count for category, count in totals.items() if count}


# --- duration buckets ------------------------------------------------------------------------


def bucket_lowers() -> list[int]:
    """Each bucket's lower bound in milliseconds, by bucket number (0, 1, ...)."""
    return list(reader().scalars(select(FigureBucket.lower_ms).order_by(FigureBucket.bucket)))


def bucket_of(ms: Any, lowers: list[int]) -> Any:
    """The bucket of a duration in milliseconds, as the triggers find it (`lowers`: from
    `bucket_lowers()`). PostgreSQL: by binary search among the bounds (width_bucket; exact,
    numeric against whole numbers); elsewhere the bounds table is looked up."""
    if on_postgresql():
        return func.width_bucket(ms, literal(lowers, ARRAY(Numeric())), type_=Integer()) - 1
    return (
        select(FigureBucket.bucket).where(FigureBucket.lower_ms <= cast(ms, BigInteger()))
        .order_by(FigureBucket.lower_ms.desc()).limit(1).scalar_subquery()
    )


def duration_bucket(end: Any, lowers: list[int], table: Any = Facts) -> Any:
    """The bucket of a complaint's `end - registered_at`, the one `bucket_of(duration_ms(end))`
    and the triggers find, computed more cheaply per complaint. PostgreSQL: the interval itself
    among the bounds as intervals (exact: an interval of whole microseconds is at least a bound
    of whole milliseconds exactly when its milliseconds are; `numeric` epochs cost about ten
    times as much per complaint). SQLite: `bucket_of` (its index on the bounds)."""
    if on_postgresql():
        bounds = [timedelta(milliseconds=lower) for lower in lowers]
        return func.width_bucket(end - table.registered_at, literal(bounds, ARRAY(Interval())), type_=Integer()) - 1
    return bucket_of(duration_ms(end, table), lowers)


# --- from scratch ----------------------------------------------------------------------------


def _week_of(registered_at: Any) -> Any:
    return (
        select(FigureWeek.monday).where(FigureWeek.starts <= registered_at)
        .order_by(FigureWeek.starts.desc()).limit(1).scalar_subquery()
    )


def _keys(g: Any, row: Any) -> list[Any]:
    return [
        g.id,
        case((g.by_category, row.category), else_=literal(NOT_GROUPED["category"])),
        case((g.by_channel, row.channel), else_=literal(NOT_GROUPED["channel"])),
        case((g.by_tier, row.tier), else_=literal(NOT_GROUPED["tier"])),
    ]


CELL_KEYS = ("grouping", "category", "channel", "tier", "owner_id", "transfer_count", "monday")
CELL_SUMS = ("complaints", "met", "disputed", "transfers", "first_response_breaches", "resolution_breaches",
             *OPEN_SUMS)
CELL_COLUMNS = CELL_KEYS + CELL_SUMS
DURATION_COLUMNS = ("grouping", "category", "channel", "tier", "measure", "bucket", "monday", "complaints")


def _finest_cells() -> Any:
    """The settled complaints summed per week and every key: one pass over complaint_facts,
    which the groupings then add up (far fewer lines than complaints)."""
    monday = _week_of(Facts.registered_at)
    keys = (Facts.category, type_coerce(Facts.channel, String()), Facts.tier, Facts.owner_id, Facts.transfer_count)
    return (
        select(
            *(key.label(name) for key, name in zip(
                keys, ("category", "channel", "tier", "owner_id", "transfer_count"), strict=True)),
            monday.label("monday"),
            func.count().label("complaints"),
            func.count().filter(Facts.first_responded_at <= Facts.first_response_due).label("met"),
            func.count().filter(Facts.disputed).label("disputed"),
            func.sum(Facts.transfer_count).label("transfers"),
            func.sum(Facts.first_response_breaches).label("first_response_breaches"),
            func.sum(Facts.resolution_breaches).label("resolution_breaches"),
            func.count(Facts.first_responded_at).label("answered"),
            *(func.count().filter(Facts.status == ComplaintStatus(status)).label(f"open_{status}")
              for status in OPEN_STATUSES),
        )
        .where(settled())
        .group_by(*keys, monday)
        .subquery("f")
    )


def recomputed_cells() -> Select:
    """Every figure_cells line with a complaint, computed from complaint_facts."""
    f, g = _finest_cells(), FigureGrouping.__table__.c
    keys = [
        *_keys(g, f.c),
        case((g.by_owner, func.coalesce(f.c.owner_id, 0)), else_=literal(NOT_GROUPED["owner_id"])),
        case((g.by_owner, literal(-1)), else_=f.c.transfer_count),
        f.c.monday,
    ]
    return (
        select(*keys, *(func.sum(getattr(f.c, name)) for name in CELL_SUMS))
        .select_from(f.join(FigureGrouping, literal(True)))
        .group_by(*keys)
    )


def recomputed_durations() -> Select:
    """Every figure_durations line with a complaint, computed from complaint_facts."""
    lowers = bucket_lowers()
    measures = union_all(*(
        select(
            Facts.category.label("category"), type_coerce(Facts.channel, String()).label("channel"),
            Facts.tier.label("tier"), _week_of(Facts.registered_at).label("monday"),
            literal(measure).label("measure"), bucket_of(duration_ms(end), lowers).label("bucket"),
        ).where(settled(), end.is_not(None))
        for measure, end in ENDS.items()
    )).subquery("d")
    d = measures.c
    finest = (
        select(d.category, d.channel, d.tier, d.monday, d.measure, d.bucket, func.count().label("complaints"))
        .group_by(d.category, d.channel, d.tier, d.monday, d.measure, d.bucket)
        .subquery("finest")
    )
    g = FigureGrouping.__table__.c
    keys = [*_keys(g, finest.c), finest.c.measure, finest.c.bucket, finest.c.monday]
    return (
        select(*keys, func.sum(finest.c.complaints))
        .select_from(finest.join(FigureGrouping, literal(True)))
        .where(g.by_owner == false())
        .group_by(*keys)
    )


def stored_cells() -> Select:
    """The figure_cells lines with a complaint (lines counted down to zero are kept, unread)."""
    return select(*(getattr(FigureCell, c) for c in CELL_COLUMNS)).where(FigureCell.complaints != 0)


def stored_durations() -> Select:
    return select(*(getattr(FigureDuration, c) for c in DURATION_COLUMNS)).where(FigureDuration.complaints != 0)


def _iso_year(monday: Any) -> Any:
    """The ISO year of a Monday (the year of its Thursday), as the migration `figure_years`
    computes it."""
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("isoyear", monday), Integer())
    return cast(func.strftime("%Y", monday, "+3 days"), Integer())


def yearly_of(weekly: Select, columns: tuple[str, ...], sums: tuple[str, ...]) -> Select:
    """The lines of `weekly` (a select of `columns`, Monday among them) summed per ISO year,
    in the yearly tables' column order (the Monday's place taken by the year)."""
    lines = dict(zip(columns, weekly.subquery("w").c, strict=True))  # by place: the columns are unnamed
    keys = [_iso_year(lines[c]) if c == "monday" else lines[c] for c in columns if c not in sums]
    return select(*keys, *(func.sum(lines[c]) for c in sums)).group_by(*keys)


def recomputed_cell_years() -> Select:
    """Every figure_cell_years line with a complaint, computed from complaint_facts."""
    return yearly_of(recomputed_cells(), CELL_COLUMNS, CELL_SUMS)


def recomputed_duration_years() -> Select:
    """Every figure_duration_years line with a complaint, computed from complaint_facts."""
    return yearly_of(recomputed_durations(), DURATION_COLUMNS, ("complaints",))


def yearly_statements() -> tuple[Any, Any]:
    """INSERT the yearly lines summed from the weekly ones (into empty yearly tables): for a bulk
    load with the triggers off; `rebuild()` has its triggers fill them."""
    return (insert(FigureCellYear).from_select([c if c != "monday" else "year" for c in CELL_COLUMNS],
                                                yearly_of(stored_cells(), CELL_COLUMNS, CELL_SUMS)),
            insert(FigureDurationYear).from_select([c if c != "monday" else "year" for c in DURATION_COLUMNS],
                                                    yearly_of(stored_durations(), DURATION_COLUMNS, ("complaints",))))


def stored_cell_years() -> Select:
    """The figure_cell_years lines with a complaint, in figure_cells' column order (year for
    Monday)."""
    return select(*(FigureCellYear.year if c == "monday" else getattr(FigureCellYear, c) for c in CELL_COLUMNS)
                  ).where(FigureCellYear.complaints != 0)


def stored_duration_years() -> Select:
    return select(*(FigureDurationYear.year if c == "monday" else getattr(FigureDurationYear, c)
                    for c in DURATION_COLUMNS)).where(FigureDurationYear.complaints != 0)


# --- the analysis page's rollups (migration `analysis_rollups`) ---------------------------------

REASON_COLUMNS = ("grouping", "category", "channel", "tier", "kind", "reason", "monday", "events")
CONTACT_COLUMNS = ("monday", "contact", "category", "channel", "tier", "complaints")
#: (kind, reason, complaint_facts' count column) of each line kind of figure_reasons.
REASON_COUNTS = (
    *(("escalation", reason.value, column) for reason, column in ESCALATION_COUNTS.items()),
    *(("breach", kind.value, column) for kind, column in BREACH_COUNTS.items()),
)


def recomputed_reasons() -> Select:
    """Every figure_reasons line with an escalation or breach, computed from complaint_facts."""
    counts = union_all(*(
        select(
            Facts.category.label("category"), type_coerce(Facts.channel, String()).label("channel"),
            Facts.tier.label("tier"), _week_of(Facts.registered_at).label("monday"),
            literal(kind).label("kind"), literal(reason).label("reason"), getattr(Facts, column).label("n"),
        ).where(settled(), getattr(Facts, column) != 0)
        for kind, reason, column in REASON_COUNTS
    )).subquery("d")
    g = FigureGrouping.__table__.c
    keys = [*_keys(g, counts.c), counts.c.kind, counts.c.reason, counts.c.monday]
    return (
        select(*keys, func.sum(counts.c.n))
        .select_from(counts.join(FigureGrouping, literal(True)))
        .where(g.by_owner == false())
        .group_by(*keys)
    )


def recomputed_contacts() -> Select:
    """Every figure_contacts line, computed from complaint_facts."""
    contacts = union_all(*(
        select(
            _week_of(Facts.registered_at).label("monday"), column.label("contact"), Facts.category.label("category"),
            type_coerce(Facts.channel, String()).label("channel"), Facts.tier.label("tier"),
        ).where(settled(), column.is_not(None))
        for column in (Facts.email, Facts.phone)
    )).subquery("c")
    keys = [contacts.c.monday, contacts.c.contact, contacts.c.category, contacts.c.channel, contacts.c.tier]
    return select(*keys, func.count()).group_by(*keys)


def recomputed_contact_totals() -> Select:
    """Every figure_contact_totals line, computed from complaint_facts: every complaint that
    gives the contact, of any status (migration `contact_totals`)."""
    contacts = union_all(*(
        select(column.label("contact")).where(column.is_not(None)) for column in (Facts.email, Facts.phone)
    )).subquery("c")
    return select(contacts.c.contact, func.count()).group_by(contacts.c.contact)


def utc_year(moment: Any) -> ColumnElement[int]:
    """The calendar year (UTC) of a timestamp column, as the triggers of figure_contact_years
    write it (migration `contact_years`)."""
    if reader().get_bind().dialect.name == "postgresql":
        moment = func.timezone("UTC", moment)
    return cast(extract("year", moment), Integer)


def utc_month(moment: Any) -> ColumnElement[date]:
    """The first day of the calendar month (UTC) of a timestamp column, as the triggers of
    figure_contact_months write it (migration `contact_months`)."""
    if reader().get_bind().dialect.name == "postgresql":
        return cast(func.date_trunc("month", func.timezone("UTC", moment)), Date)
    return type_coerce(func.strftime("%Y-%m-01", moment), Date)


def _contacts_per(period: ColumnElement) -> Select:
    """(period, contact, complaints): every complaint that gives the contact, of any status, by
    the `period` (an expression of registered_at) it was registered in."""
    contacts = union_all(*(
        select(period.label("period"), column.label("contact")).where(column.is_not(None))
        for column in (Facts.email, Facts.phone)
    )).subquery("c")
    return select(contacts.c.period, contacts.c.contact, func.count()).group_by(contacts.c.period, contacts.c.contact)


def recomputed_contact_years() -> Select:
    """Every figure_contact_years line, computed from complaint_facts: every complaint that
    gives the contact, of any status, by its year of registration (migration `contact_years`)."""
    return _contacts_per(utc_year(Facts.registered_at))


def recomputed_contact_months() -> Select:
    """Every figure_contact_months line, computed from complaint_facts: every complaint that
    gives the contact, of any status, by its month of registration (migration `contact_months`)."""
    return _contacts_per(utc_month(Facts.registered_at))


def stored_reasons() -> Select:
    return select(*(getattr(FigureReason, c) for c in REASON_COLUMNS)).where(FigureReason.events != 0)


def stored_contacts() -> Select:
    return select(*(getattr(FigureContact, c) for c in CONTACT_COLUMNS)).where(FigureContact.complaints != 0)


def stored_contact_totals() -> Select:
    return select(FigureContactTotal.contact, FigureContactTotal.complaints).where(FigureContactTotal.complaints != 0)


def stored_contact_years() -> Select:
    return select(FigureContactYear.year, FigureContactYear.contact, FigureContactYear.complaints).where(
        FigureContactYear.complaints != 0)


def stored_contact_months() -> Select:
    return select(FigureContactMonth.month, FigureContactMonth.contact, FigureContactMonth.complaints).where(
        FigureContactMonth.complaints != 0)


# --- rebuilding --------------------------------------------------------------------------------


#: How long after its registration an open complaint's figures may stop depending on the
#: moment but for its backlog age: the lower bound of the backlog's 7-30 day bucket
#: (figures.definitions.BACKLOG_BUCKETS; a test holds the two equal). Rolled up, it is in that
#: bucket or the last one, told apart by its registration (`rolled_open_from`); the live part
#: then holds a week of open work, not a month of it.
ROLLED_AGE = timedelta(days=7)
#: Complaints `roll` stamps per transaction.
ROLL_BATCH = 1000


def roll(now: datetime, batch: int = ROLL_BATCH) -> int:
    """Stamp `rolled_at = now` on up to `batch` complaints the figures count and the rollups do
    not yet hold, registered more than ROLLED_AGE before `now` and answered or past their
    first-response due: their figures no longer depend on the moment (their backlog age is one
    of the last two buckets', by registration; they count towards the first-response
    compliance), so from now on the rollups count them (SETTLED_SQL; their triggers, in this
    transaction) and the figures' live part reads fewer. Returns how many were stamped (fewer
    than `batch`: none is left)."""
    due = select(Facts.complaint_id).where(
        unsettled(), Facts.registered_at < now - ROLLED_AGE,
        or_(Facts.first_responded_at.is_not(None), Facts.first_response_due <= now),
    ).order_by(Facts.complaint_id).limit(batch).scalar_subquery()
    result = db.session.execute(
        update(Facts).where(Facts.complaint_id.in_(due)).values(rolled_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


def roll_all(now: datetime) -> int:
    """`roll` a batch per transaction until none is left: how many complaints it stamped."""
    rolled, stamped = 0, ROLL_BATCH
    while stamped == ROLL_BATCH:
        stamped = commit_with_retry(lambda: roll(now))
        rolled += stamped
    return rolled


def rebuild(zone_name: str) -> None:
    """Key the rollups by the weeks of `zone_name` and recompute them (in the caller's
    transaction; PostgreSQL: lock the facts against changes meanwhile)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE complaint_facts IN SHARE ROW EXCLUSIVE MODE"))
    zone_info = ZoneInfo(zone_name)
    mondays = list(db.session.scalars(select(FigureWeek.monday).order_by(FigureWeek.monday)))
    db.session.execute(delete(FigureWeek))
    db.session.execute(insert(FigureWeek), [
        {"monday": monday, "starts": datetime.combine(monday, time(), zone_info)} for monday in mondays
    ])
    db.session.execute(update(FigureState).values(zone=zone_name))
    # The weekly lines first: their triggers take the yearly lines down with them (to lines of
    # no complaint, emptied next); the weekly lines' INSERTs below fill the yearly ones again.
    for table in (FigureCell, FigureDuration, *YEARLY.values(), FigureReason, FigureContact, FigureContactTotal,
                  FigureContactYear, FigureContactMonth):
        db.session.execute(delete(table))
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE figure_weeks"))
    for statement in rebuild_statements():
        db.session.execute(statement)


def rebuild_directory_index() -> None:
    """PostgreSQL: build the contacts directory's trigram index afresh, in a transaction of its
    own once `rebuild` has committed. `rebuild` writes every line of the directory again, and
    its trigram index (the journal's e-mail and phone searches, app/journal/search.py) then
    holds two generations: it read a rare address in 150-190 ms at 920,000 contacts, against
    2 ms built afresh (docs/performance.md). Built in the rebuild's own transaction, it would
    index the lines that transaction deleted as well: PostgreSQL indexes a row deleted by the
    transaction building the index."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text(f"REINDEX INDEX {CONTACT_DIRECTORY_INDEX}"))


def rebuild_statements() -> tuple[Any, ...]:
    """INSERT every rollup line recomputed from complaint_facts (into empty rollups): the
    dashboard's cells and durations, then the analysis page's reasons, contacts and contacts'
    totals of all time, per year and per month."""
    return (insert(FigureCell).from_select(list(CELL_COLUMNS), recomputed_cells()),
            insert(FigureDuration).from_select(list(DURATION_COLUMNS), recomputed_durations()),
            insert(FigureReason).from_select(list(REASON_COLUMNS), recomputed_reasons()),
            insert(FigureContact).from_select(list(CONTACT_COLUMNS), recomputed_contacts()),
            insert(FigureContactTotal).from_select(["contact", "complaints"], recomputed_contact_totals()),
            insert(FigureContactYear).from_select(["year", "contact", "complaints"], recomputed_contact_years()),
            insert(FigureContactMonth).from_select(["month", "contact", "complaints"], recomputed_contact_months()))

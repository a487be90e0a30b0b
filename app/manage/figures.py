"""The dashboard's figures, aggregate queries in SQL (the same on SQLite and PostgreSQL).

Plain functions of a `Filters` and a moment: no request, no Flask, no Python loop over
complaints. The settled complaints (resolved or closed, and answered) of the period's full
weeks are read from the rollups the database keeps of them (app/manage/rollup.py): a few
thousand lines instead of a million complaints. Every other complaint of the period (open,
not answered, or registered in a partial week at either end) is read live from
`complaint_facts` (app/manage/models.py), the narrow copy of each complaint that triggers keep
in step with every change. `overview` computes every figure but the timings (one statement for
the live part, one small grouped read per breakdown of the rollups), `timings` the
percentiles: counts per duration bucket, then the one complaint at the wanted rank read from
its bucket. Each reads one snapshot of the database, so the two parts never overlap.

Definitions (the README and the page say the same):

- *The complaints counted* are those registered in the period (on `registered_at`, the end
  exclusive) that match the category, channel and current tier chosen, leaving out annulled
  ones (registered by mistake: they were never complaints).
- *Open*: a status in `app.workflow.states.OPEN` (the organisation still owes an answer).
- *First-response compliance*: among the complaints whose first-response deadline has passed
  by `now` or that have been answered, the share answered by the deadline
  (`first_responded_at <= first_response_due`), with both counts. No such complaint: the
  share is None ("no data"), never a division by zero.
- *Time to first response* is `first_responded_at - registered_at`; *time to resolution* is
  `resolved_at - registered_at` (the latest decision: a dispute clears it and a new decision
  sets it again), in hours, over the complaints that have one.
- *Percentiles* use the nearest-rank method: of n durations sorted ascending, the p-th
  percentile is the one at rank ceil(p * n / 100). So the median (p = 50) of an even count is
  the lower of the two middle values: always a duration that really happened, never an
  average of two. PostgreSQL's percentile_disc gives the same values.
- *Reopen rate*: complaints disputed at least once (a "dispute" message, written with the
  signed "disputed" event) over complaints that were answered (a dispute is possible only
  after a response or a decision, and both set `first_responded_at`).
- *Backlog age*: the open complaints by how long ago they were registered, as of `now`:
  under 1 day, 1 to 3 days, 3 to 7, 7 to 30, 30 days or more (each lower bound inclusive).
- *Weeks* are ISO weeks (Monday to Sunday) in the organisation's time zone, so a complaint
  registered at 00:30 on a Monday in Chișinău (Sunday 22:30 UTC) counts in the new week.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.types import NullType

from ..auth.models import User
from ..clock import local_day_start, now_utc
from ..complaints.models import Channel, ComplaintStatus
from ..database import UTCDateTime, epoch_ms
from ..workflow.models import DeadlineKind
from ..workflow.states import OPEN
from . import rollup
from .models import ComplaintFacts as Facts
from .models import FigureCell, FigureDuration

#: Backlog age buckets: (lower bound inclusive, upper bound exclusive or None), in days.
BACKLOG_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 1), (1, 3), (3, 7), (7, 30), (30, None))
#: The percentiles of the timing figures.
MEDIAN, P90 = 50, 90


@dataclass(frozen=True)
class Filters:
    """What the figures are narrowed to. Empty fields do not filter."""

    registered_from: datetime | None = None  # inclusive, aware
    registered_before: datetime | None = None  # exclusive, aware
    category: str | None = None
    channel: Channel | None = None
    tier: int | None = None


@dataclass(frozen=True)
class Share:
    """`met` out of `total`; `value` is None when there is nothing to divide."""

    met: int
    total: int

    @property
    def value(self) -> float | None:
        return self.met / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value


@dataclass(frozen=True)
class Percentiles:
    """Nearest-rank median and 90th percentile of `count` durations, in hours (None: no data)."""

    count: int
    median: float | None
    p90: float | None


@dataclass(frozen=True)
class Summary:
    complaints: int
    open: int
    compliance: Share
    answered: int
    disputed: int
    transfers_average: float | None
    transfers_max: int | None

    @property
    def reopen_rate(self) -> Share:
        return Share(self.disputed, self.answered)


@dataclass(frozen=True)
class OpenCounts:
    by_status: dict[ComplaintStatus, int]
    by_tier: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class Week:
    monday: date  # the week's Monday in the organisation's time zone
    intake: int
    compliance: Share

    @property
    def iso(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Group:
    """One line of a compliance breakdown: the group's key (and a name where it has one)."""

    key: Any
    complaints: int  # every complaint counted in the group, answered or not
    compliance: Share
    name: str | None = None


@dataclass(frozen=True)
class Bucket:
    low_days: int
    high_days: int | None
    count: int


@dataclass(frozen=True)
class Timings:
    first_response: Percentiles
    resolution: Percentiles


@dataclass
class Breaches:
    by_kind: dict[DeadlineKind, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_kind.values())


# --- SQL building blocks ---------------------------------------------------------------------


def hours_between(end: Any, start: Any) -> ColumnElement[float]:
    """`end - start` in hours, as a float, on SQLite and PostgreSQL."""
    return (epoch_ms(end) - epoch_ms(start)) / 3_600_000.0


def conditions(f: Filters, table: Any = Facts) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the complaints counted under `f` (never the annulled ones), on
    the dashboard's copy or (`table`) on the complaints themselves: the columns are the same."""
    where: list[ColumnElement[bool]] = [table.status != ComplaintStatus.ANNULLED]
    if f.registered_from is not None:
        where.append(table.registered_at >= f.registered_from)
    if f.registered_before is not None:
        where.append(table.registered_at < f.registered_before)
    if f.category is not None:
        where.append(table.category == f.category)
    if f.channel is not None:
        where.append(table.channel == f.channel)
    if f.tier is not None:
        where.append(table.tier == f.tier)
    return where


def _is_open() -> ColumnElement[bool]:
    return Facts.status.in_(sorted(OPEN))


def _eligible(now: datetime, table: Any = Facts) -> ColumnElement[bool]:
    """The first-response deadline has passed, or the complaint was answered."""
    return or_(table.first_responded_at.is_not(None), table.first_response_due <= now)


def _met(table: Any = Facts) -> ColumnElement[bool]:
    return and_(table.first_responded_at.is_not(None), table.first_responded_at <= table.first_response_due)


def _rank(percentile: int, n: Any) -> Any:
    """ceil(percentile * n / 100) in integer arithmetic (no CEIL on SQLite)."""
    return (n * percentile + 99) // 100


# --- the figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overview:
    """Every figure but the timings, from one read of the complaints counted."""

    summary: Summary
    open_counts: OpenCounts
    categories: list[Group]
    tiers: list[Group]
    owners: list[Group]
    weeks: list[Week]  # empty when no time zone was given
    breaches: Breaches
    backlog: list[Bucket]


def _backlog_bucket(now: datetime) -> ColumnElement[Any]:
    """The index in BACKLOG_BUCKETS of an open complaint's age as of `now`; NULL when closed
    (tested first: most complaints are closed)."""
    whens = [
        (Facts.registered_at > now - timedelta(days=high), index)
        for index, (_, high) in enumerate(BACKLOG_BUCKETS) if high is not None
    ]
    return case((~_is_open(), null()), *whens, else_=len(BACKLOG_BUCKETS) - 1)


def _week_key(timezone: str | None, limited: tuple[list[date], Any] | None) -> ColumnElement[Any] | None:
    """The index (in `limited`'s Mondays) of the week of registration; None when no time zone
    was asked for or nothing was registered. PostgreSQL finds it by binary search among the
    weeks' starts (no time-zone arithmetic per complaint); elsewhere the small weeks table is
    looked up."""
    if timezone is None or limited is None:
        return None
    mondays, limits = limited
    if _postgresql():
        starts = [local_day_start(monday, timezone) for monday in mondays]
        return func.width_bucket(Facts.registered_at, literal(starts, ARRAY(DateTime(timezone=True))),
                                 type_=Integer()) - 1
    return (
        select(limits.c.week)
        .where(Facts.registered_at >= limits.c.starts, Facts.registered_at < limits.c.ends)
        .scalar_subquery()
    )


def _typed_null(column: Any) -> Any:
    """NULL of the column's type: PostgreSQL matches the types of a UNION's columns pairwise."""
    return null() if isinstance(column.type, NullType) else cast(null(), column.type)


@dataclass
class _Tally:
    """The figures' sums, added to from the rows read live and from the rollups."""

    complaints: int = 0
    met: int = 0
    eligible: int = 0
    open: int = 0
    answered: int = 0
    disputed: int = 0
    transfers: int = 0
    transfers_max: int | None = None
    first_response_breaches: int = 0
    resolution_breaches: int = 0
    # key -> [complaints, met, eligible]
    categories: dict[Any, list[int]] = field(default_factory=dict)
    tiers: dict[Any, list[int]] = field(default_factory=dict)
    owners: dict[Any, list[int]] = field(default_factory=dict)
    weeks: dict[date, list[int]] = field(default_factory=dict)
    open_lines: dict[tuple[ComplaintStatus, int], int] = field(default_factory=dict)
    backlog: list[int] = field(default_factory=lambda: [0] * len(BACKLOG_BUCKETS))

    @staticmethod
    def add(groups: dict[Any, list[int]], key: Any, *counts: Any) -> None:
        line = groups.setdefault(key, [0, 0, 0])
        for index, count in enumerate(counts):
            line[index] += int(count or 0)

    def most_transfers(self, value: int | None) -> None:
        if value is not None and (self.transfers_max is None or value > self.transfers_max):
            self.transfers_max = value


def overview(f: Filters, now: datetime, timezone: str | None = None) -> Overview:
    """Every figure but the timings: the settled complaints of the period's full weeks from the
    rollups (app/manage/rollup.py), every other complaint of the period live; one snapshot."""
    with rollup.snapshot():
        _settle_planner()
        tally = _Tally()
        s = _split(f, timezone)
        _add_live(tally, f, now, timezone, None if s is None else s.live)
        if s is not None:
            _add_rollups(tally, f, s, weeks=timezone is not None)
        return _finished(tally)


def _split(f: Filters, timezone: str | None) -> rollup.Split | None:
    """How the complaints counted are read: None when all live (no rollups here, rollups kept
    for another time zone than the weeks asked for, or no full week in the period)."""
    zone = rollup.zone()
    if zone is None or (timezone is not None and timezone != zone):
        return None
    return rollup.split(f.registered_from, f.registered_before)


def _add_live(tally: _Tally, f: Filters, now: datetime, timezone: str | None, live: Any) -> None:
    """The complaints counted that `live` selects (all when None), in one statement.

    They are first grouped into cells (category, tier, owner, week, status, backlog age), each
    cell carrying every count the figures need (one pass); the figures are then sums over the
    cells, one grouping each.
    """
    limited = week_limits(f, timezone) if timezone is not None else None
    mondays = limited[0] if limited is not None else []
    week = _week_key(timezone, limited)
    backlog_bucket = _backlog_bucket(now)
    cells = (
        select(
            Facts.category.label("category"),
            Facts.tier.label("tier"),
            Facts.owner_id.label("owner_id"),
            (null() if week is None else week).label("week"),
            Facts.status.label("status"),
            backlog_bucket.label("backlog"),
            func.count().label("n"),
            func.count().filter(_met()).label("met"),
            func.count().filter(_eligible(now)).label("eligible"),
            func.count(Facts.first_responded_at).label("answered"),
            func.count().filter(Facts.disputed).label("disputed"),
            func.sum(Facts.transfer_count).label("transfers"),
            func.max(Facts.transfer_count).label("transfers_max"),
            func.sum(Facts.first_response_breaches).label("first_response_breaches"),
            func.sum(Facts.resolution_breaches).label("resolution_breaches"),
        )
        .where(*conditions(f), *([] if live is None else [live]))
        .group_by(Facts.category, Facts.tier, Facts.owner_id, Facts.status, backlog_bucket,
                  *([] if week is None else [week]))
        .cte("cells")
        .prefix_with("MATERIALIZED")
    )
    c = cells.c
    is_open = c.status.in_(sorted(OPEN))
    keys = (c.category, c.tier, c.owner_id, c.week, c.status)
    measures = (
        func.sum(c.n), func.sum(c.met), func.sum(c.eligible), func.sum(c.n).filter(is_open), func.sum(c.answered),
        func.sum(c.disputed), func.sum(c.transfers), func.max(c.transfers_max), func.sum(c.first_response_breaches),
        func.sum(c.resolution_breaches),
        *(func.sum(c.n).filter(c.backlog == index) for index in range(len(BACKLOG_BUCKETS))),
    )

    def part(name: str, *by: Any, where: Any = None, measured: int = 3) -> Any:
        """One way of summing the cells: its name, its keys (NULL for the others), measures."""
        query = select(
            literal_column(f"'{name}'").label("part"),
            *(key if any(key is b for b in by) else _typed_null(key) for key in keys),
            *measures[:measured], *(null() for _ in measures[measured:]),
        )
        if by:
            query = query.group_by(*by)
        return query.where(where) if where is not None else query

    statement = union_all(
        part("total", measured=len(measures)),
        part("category", c.category),
        part("tier", c.tier),
        part("owner", c.owner_id),
        part("week", c.week, where=c.week.is_not(None)),
        part("open", c.status, c.tier, where=is_open),
    )
    for row in _read().execute(statement):
        name, counts = row[0], row[6:9]
        if name == "total":
            n = [int(value or 0) for value in row[6:16]]
            tally.complaints += n[0]
            tally.met += n[1]
            tally.eligible += n[2]
            tally.open += n[3]
            tally.answered += n[4]
            tally.disputed += n[5]
            tally.transfers += n[6]
            tally.most_transfers(row[13])
            tally.first_response_breaches += n[8]
            tally.resolution_breaches += n[9]
            for index, count in enumerate(row[16:]):
                tally.backlog[index] += int(count or 0)
        elif name == "category":
            tally.add(tally.categories, row[1], *counts)
        elif name == "tier":
            tally.add(tally.tiers, row[2], *counts)
        elif name == "owner":
            tally.add(tally.owners, row[3], *counts)
        elif name == "week":
            tally.add(tally.weeks, mondays[row[4]], *counts)
        else:  # open, by status and tier
            key = (ComplaintStatus(row[5]), row[2])
            tally.open_lines[key] = tally.open_lines.get(key, 0) + int(row[6] or 0)


def _add_rollups(tally: _Tally, f: Filters, s: rollup.Split, weeks: bool) -> None:
    """The settled complaints of the split's full weeks, from figure_cells: one small grouped
    read per breakdown (settled complaints were all answered: eligible, answered)."""

    def lines(by: int, key: Any, *sums: Any) -> Any:
        return _read().execute(
            select(key, *sums).where(*rollup.filtered(FigureCell, s, f, by)).group_by(key)
            .having(func.sum(FigureCell.complaints) != 0)
        ).all()

    n, met = func.sum(FigureCell.complaints), func.sum(FigureCell.met)
    for transfer_count, complaints, met_, disputed, transfers, frb, rb in lines(
        0, FigureCell.transfer_count, n, met, func.sum(FigureCell.disputed), func.sum(FigureCell.transfers),
        func.sum(FigureCell.first_response_breaches), func.sum(FigureCell.resolution_breaches),
    ):
        tally.complaints += complaints
        tally.met += met_
        tally.eligible += complaints
        tally.answered += complaints
        tally.disputed += disputed
        tally.transfers += transfers
        tally.most_transfers(transfer_count)
        tally.first_response_breaches += frb
        tally.resolution_breaches += rb
    for by, key, groups in (
        (rollup.BY_CATEGORY, FigureCell.category, tally.categories),
        (rollup.BY_TIER, FigureCell.tier, tally.tiers),
        (rollup.BY_OWNER, FigureCell.owner_id, tally.owners),
    ):
        for value, complaints, met_ in lines(by, key, n, met):
            key_value = (value or None) if by == rollup.BY_OWNER else value  # owner 0: nobody
            tally.add(groups, key_value, complaints, met_, complaints)
    if weeks:
        for monday, complaints, met_ in lines(0, FigureCell.monday, n, met):
            tally.add(tally.weeks, monday, complaints, met_, complaints)


def _finished(tally: _Tally) -> Overview:
    """The figures from their sums: names of owners, lines in order, empty weeks filled in."""

    def group(key: Any, line: list[int], name: str | None = None) -> Group:
        return Group(key, line[0], Share(line[1], line[2]), name)

    summary = Summary(
        complaints=tally.complaints, open=tally.open, compliance=Share(tally.met, tally.eligible),
        answered=tally.answered, disputed=tally.disputed,
        transfers_average=tally.transfers / tally.complaints if tally.complaints else None,
        transfers_max=tally.transfers_max,
    )
    by_status: dict[ComplaintStatus, int] = {}
    by_tier: dict[int, int] = {}
    for (status, tier), count in tally.open_lines.items():
        by_status[status] = by_status.get(status, 0) + count
        by_tier[tier] = by_tier.get(tier, 0) + count
    open_counts = OpenCounts(
        by_status={s: by_status[s] for s in ComplaintStatus if s in by_status},
        by_tier=dict(sorted(by_tier.items())),
    )
    owner_ids = [key for key in tally.owners if key is not None]
    names = dict(_read().execute(
        select(User.id, User.full_name).where(User.id.in_(owner_ids))
    ).all()) if owner_ids else {}
    owners = sorted((group(key, line, names.get(key)) for key, line in tally.owners.items()),
                    key=lambda g: (g.key is None, (g.name or "").casefold()))
    weeks = [
        Week(day, line[0], Share(line[1], line[2])) if line is not None else Week(day, 0, Share(0, 0))
        for day in week_mondays(list(tally.weeks))
        for line in [tally.weeks.get(day)]
    ]
    return Overview(
        summary=summary,
        open_counts=open_counts,
        categories=sorted((group(key, line) for key, line in tally.categories.items()), key=lambda g: g.key),
        tiers=sorted((group(key, line) for key, line in tally.tiers.items()), key=lambda g: g.key),
        owners=owners,
        weeks=weeks,
        breaches=Breaches({DeadlineKind.FIRST_RESPONSE: tally.first_response_breaches,
                           DeadlineKind.RESOLUTION: tally.resolution_breaches}),
        backlog=[Bucket(low, high, count) for (low, high), count in zip(BACKLOG_BUCKETS, tally.backlog, strict=True)],
    )


def summary(f: Filters, now: datetime) -> Summary:
    """The headline figures: complaints, open, compliance, answered and disputed (the reopen
    rate), transfers per complaint."""
    return overview(f, now).summary


def open_counts(f: Filters, now: datetime | None = None) -> OpenCounts:
    """Open complaints by status and by current tier."""
    return overview(f, now or now_utc()).open_counts


def compliance_by_category(f: Filters, now: datetime) -> list[Group]:
    """Compliance per category code, every category that has complaints (ordered by code)."""
    return overview(f, now).categories


def compliance_by_tier(f: Filters, now: datetime) -> list[Group]:
    """Compliance per current tier."""
    return overview(f, now).tiers


def compliance_by_owner(f: Filters, now: datetime) -> list[Group]:
    """Compliance per current owner (key None: not taken by anybody yet), by name."""
    return overview(f, now).owners


def weeks(f: Filters, now: datetime, timezone: str) -> list[Week]:
    """Intake and first-response compliance per ISO week of registration in `timezone`, from
    the week of the first complaint counted to that of the last one, empty weeks included
    (intake 0, compliance "no data")."""
    return overview(f, now, timezone).weeks


def breaches(f: Filters, now: datetime | None = None) -> Breaches:
    """Deadlines breached by the complaints counted, by kind of deadline."""
    return overview(f, now or now_utc()).breaches


def backlog(f: Filters, now: datetime) -> list[Bucket]:
    """Open complaints by age as of `now` (every bucket, zeros too)."""
    return overview(f, now).backlog


def _week_mondays(first: date, last: date) -> list[date]:
    monday = first - timedelta(days=first.weekday())
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


def week_limits(f: Filters, timezone: str) -> tuple[list[date], Any] | None:
    """The ISO weeks (in `timezone`) from the first to the last complaint registered in the
    period, as their Mondays and a small CTE (week index, starts, ends) to join complaints
    against; None when the period has no complaint."""
    span = _read().execute(
        select(func.min(Facts.registered_at), func.max(Facts.registered_at)).where(
            *conditions(Filters(f.registered_from, f.registered_before))
        )
    ).one()
    if span[0] is None:
        return None
    zone = ZoneInfo(timezone)
    mondays = _week_mondays(span[0].astimezone(zone).date(), span[1].astimezone(zone).date())
    weeks_table = [
        select(
            literal(index, Integer()).label("week"),
            literal(local_day_start(monday, timezone), UTCDateTime()).label("starts"),
            literal(local_day_start(monday + timedelta(days=7), timezone), UTCDateTime()).label("ends"),
        )
        for index, monday in enumerate(mondays)
    ]
    return mondays, (union_all(*weeks_table) if len(weeks_table) > 1 else weeks_table[0]).cte("weeks")


def _read() -> Any:
    return rollup.reader()


def _postgresql() -> bool:
    return _read().get_bind().dialect.name == "postgresql"


def _settle_planner() -> None:
    """PostgreSQL, for the rest of this (read-only) transaction: no JIT compilation (with a
    million rows the planner expects as many groups and compiles for seconds, longer than the
    query runs), room to group and sort in memory instead of in temporary files, and a plan
    made for each statement's own values: the driver prepares a statement run often, and the
    generic plan of a period's bounds cannot tell a few days from a year."""
    if _postgresql():
        _read().execute(text("SET LOCAL jit = off"))
        _read().execute(text("SET LOCAL work_mem = '64MB'"))
        _read().execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def week_mondays(found: list[date]) -> list[date]:
    """Every Monday from the first to the last of `found` (empty weeks included)."""
    return _week_mondays(min(found), max(found)) if found else []


def _percentiles_postgresql(f: Filters) -> Timings:
    """Both measures in one scan, one sort each. percentile_disc(p) is the value at rank
    ceil(p * n), the nearest rank (exact in floating point for 0.5 and 0.9)."""
    fractions = literal([MEDIAN / 100, P90 / 100], ARRAY(Float()))
    measures = []
    for end in (Facts.first_responded_at, Facts.resolved_at):
        measures += [
            func.count(end),
            func.percentile_disc(fractions).within_group(end - Facts.registered_at).filter(end.is_not(None)),
        ]
    row = _read().execute(select(*measures).where(*conditions(f))).one()

    def made(n: int, values: list[timedelta] | None) -> Percentiles:
        if not n or values is None:
            return Percentiles(0, None, None)
        median, p90 = (round(value.total_seconds() / 3600.0, 4) for value in values)
        return Percentiles(n, median, p90)

    return Timings(made(row[0], row[1]), made(row[2], row[3]))


def _percentiles(f: Filters, end: Any) -> Percentiles:
    """Nearest-rank median and p90 of `end - registered_at` in hours, one query: each duration
    ranked by a window function, and only the two wanted ranks read back."""
    hours = hours_between(end, Facts.registered_at)
    ranked = (
        select(
            hours.label("hours"),
            func.row_number().over(order_by=hours).label("rank"),
            func.count().over().label("n"),
        )
        .where(*conditions(f), end.is_not(None))
        .subquery("ranked")
    )
    rows = _read().execute(
        select(ranked.c.rank, ranked.c.n, ranked.c.hours).where(
            or_(ranked.c.rank == _rank(MEDIAN, ranked.c.n), ranked.c.rank == _rank(P90, ranked.c.n))
        )
    ).all()
    if not rows:
        return Percentiles(0, None, None)
    n = rows[0].n
    by_rank = {row.rank: round(float(row.hours), 4) for row in rows}
    return Percentiles(n, by_rank[(n * MEDIAN + 99) // 100], by_rank[(n * P90 + 99) // 100])


def timings(f: Filters) -> Timings:
    """Median and 90th percentile of the time to first response and to resolution (one
    snapshot: the counts per bucket and the read inside a bucket agree)."""
    with rollup.snapshot():
        _settle_planner()
        s = _split(f, None)
        if s is not None:
            lowers = rollup.bucket_lowers()
            return Timings(*(_percentiles_bucketed(f, s, measure, lowers)
                             for measure in (rollup.FIRST_RESPONSE, rollup.RESOLUTION)))
        if _postgresql():
            return _percentiles_postgresql(f)
        return Timings(_percentiles(f, Facts.first_responded_at), _percentiles(f, Facts.resolved_at))


def _percentiles_bucketed(f: Filters, s: rollup.Split, measure: int, lowers: list[int]) -> Percentiles:
    """Nearest-rank median and p90 of one measure: how many durations fall in each bucket (the
    rollups' counts of the full weeks' settled complaints plus the others counted live), so
    each wanted rank is known to lie in one bucket at one place; then that place is read from
    the complaints of that bucket in duration order (an index on PostgreSQL)."""
    end = rollup.ENDS[measure]
    counts: dict[int, int] = {}
    stored = select(FigureDuration.bucket, func.sum(FigureDuration.complaints)).where(
        *rollup.filtered(FigureDuration, s, f), FigureDuration.measure == measure,
    ).group_by(FigureDuration.bucket)
    bucket = rollup.bucket_of(rollup.duration_ms(end), lowers).label("bucket")
    live = select(bucket, func.count()).where(*conditions(f), s.live, end.is_not(None)).group_by(bucket)
    for statement in (stored, live):
        for number, count in _read().execute(statement):
            counts[number] = counts.get(number, 0) + int(count)
    n = sum(counts.values())
    if not n:
        return Percentiles(0, None, None)
    values = []
    for percentile in (MEDIAN, P90):
        rank = (n * percentile + 99) // 100
        for number in sorted(counts):
            if rank <= counts[number]:
                break
            rank -= counts[number]
        upper = lowers[number + 1] if number + 1 < len(lowers) else None
        values.append(_in_bucket(f, end, lowers[number], upper, rank))
    return Percentiles(n, *values)


def _in_bucket(f: Filters, end: Any, lower_ms: int, upper_ms: int | None, rank: int) -> float:
    """The `rank`-th shortest duration (hours) of the complaints counted whose `end -
    registered_at` lies from `lower_ms` to `upper_ms` (exclusive; None: no end)."""
    if _postgresql():  # the interval itself, as the migration's index on it has it
        duration: Any = end - Facts.registered_at
        low, high = timedelta(milliseconds=lower_ms), None if upper_ms is None else timedelta(milliseconds=upper_ms)
    else:
        duration, low, high = rollup.duration_ms(end), lower_ms, upper_ms
    value = _read().scalar(
        select(duration)
        .where(*conditions(f), end.is_not(None), duration >= low, *([] if high is None else [duration < high]))
        .order_by(duration).offset(rank - 1).limit(1)
    )
    hours = value.total_seconds() / 3600.0 if isinstance(value, timedelta) else float(value) / 3_600_000.0
    return round(hours, 4)

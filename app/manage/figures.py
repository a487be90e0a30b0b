"""The dashboard's figures, each one aggregate query in SQL (the same on SQLite and PostgreSQL).

Plain functions of a `Filters` and a moment: no request, no Flask, no Python loop over
complaints. Every result is a handful of grouped rows.

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
    Float,
    Integer,
    and_,
    func,
    literal,
    or_,
    select,
    union_all,
)

from ..auth.models import User
from ..clock import local_day_start
from ..complaints.models import Channel, Complaint, ComplaintStatus
from ..database import UTCDateTime, epoch_ms
from ..extensions import db
from ..workflow.models import Breach, CaseMessage, DeadlineKind, MessageKind
from ..workflow.states import OPEN

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


def conditions(f: Filters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the complaints counted under `f` (never the annulled ones)."""
    where: list[ColumnElement[bool]] = [Complaint.status != ComplaintStatus.ANNULLED]
    if f.registered_from is not None:
        where.append(Complaint.registered_at >= f.registered_from)
    if f.registered_before is not None:
        where.append(Complaint.registered_at < f.registered_before)
    if f.category is not None:
        where.append(Complaint.category == f.category)
    if f.channel is not None:
        where.append(Complaint.channel == f.channel)
    if f.tier is not None:
        where.append(Complaint.tier == f.tier)
    return where


def _is_open() -> ColumnElement[bool]:
    return Complaint.status.in_(sorted(OPEN))


def _eligible(now: datetime, table: Any = Complaint) -> ColumnElement[bool]:
    """The first-response deadline has passed, or the complaint was answered."""
    return or_(table.first_responded_at.is_not(None), table.first_response_due <= now)


def _met(table: Any = Complaint) -> ColumnElement[bool]:
    return and_(table.first_responded_at.is_not(None), table.first_responded_at <= table.first_response_due)


def _rank(percentile: int, n: Any) -> Any:
    """ceil(percentile * n / 100) in integer arithmetic (no CEIL on SQLite)."""
    return (n * percentile + 99) // 100


# --- the figures -----------------------------------------------------------------------------


def summary(f: Filters, now: datetime) -> Summary:
    """The headline figures, one row: complaints, open, compliance, answered and disputed
    (the reopen rate), transfers per complaint."""
    # An uncorrelated IN: PostgreSQL hashes the few disputed ids once instead of probing the
    # messages for every complaint counted.
    disputed = Complaint.id.in_(select(CaseMessage.complaint_id).where(CaseMessage.kind == MessageKind.DISPUTE))
    row = db.session.execute(
        select(
            func.count(),
            func.count().filter(_is_open()),
            func.count().filter(_met()),
            func.count().filter(_eligible(now)),
            func.count().filter(Complaint.first_responded_at.is_not(None)),
            func.count().filter(disputed),
            func.avg(Complaint.transfer_count),
            func.max(Complaint.transfer_count),
        ).where(*conditions(f))
    ).one()
    complaints, open_, met, eligible, answered, disputes, average, maximum = row
    return Summary(
        complaints=complaints,
        open=open_,
        compliance=Share(met, eligible),
        answered=answered,
        disputed=disputes,
        transfers_average=None if average is None else float(average),
        transfers_max=maximum,
    )


def open_counts(f: Filters) -> OpenCounts:
    """Open complaints by status and by current tier (one query grouped by both)."""
    rows = db.session.execute(
        select(Complaint.status, Complaint.tier, func.count())
        .where(*conditions(f), _is_open())
        .group_by(Complaint.status, Complaint.tier)
    ).all()
    by_status: dict[ComplaintStatus, int] = {}
    by_tier: dict[int, int] = {}
    for status, tier, count in rows:  # at most (open statuses x tiers) lines
        by_status[status] = by_status.get(status, 0) + count
        by_tier[tier] = by_tier.get(tier, 0) + count
    ordered_status = {s: by_status[s] for s in ComplaintStatus if s in by_status}
    return OpenCounts(by_status=ordered_status, by_tier=dict(sorted(by_tier.items())))


def _compliance_by(f: Filters, now: datetime, key: Any, *extra: Any, join: Any = None) -> list[Any]:
    query = select(key, *extra, func.count(), func.count().filter(_met()), func.count().filter(_eligible(now)))
    if join is not None:
        query = query.select_from(Complaint).outerjoin(*join)
    return db.session.execute(query.where(*conditions(f)).group_by(key, *extra).order_by(key)).all()


def compliance_by_category(f: Filters, now: datetime) -> list[Group]:
    """Compliance per category code, every category that has complaints (ordered by code)."""
    return [Group(code, n, Share(met, total)) for code, n, met, total in _compliance_by(f, now, Complaint.category)]


def compliance_by_tier(f: Filters, now: datetime) -> list[Group]:
    """Compliance per current tier."""
    return [Group(tier, n, Share(met, total)) for tier, n, met, total in _compliance_by(f, now, Complaint.tier)]


def compliance_by_owner(f: Filters, now: datetime) -> list[Group]:
    """Compliance per current owner (key None: not taken by anybody yet), by name."""
    rows = _compliance_by(f, now, Complaint.owner_id, User.full_name, join=(User, User.id == Complaint.owner_id))
    groups = [Group(owner, n, Share(met, total), name) for owner, name, n, met, total in rows]
    return sorted(groups, key=lambda g: (g.key is None, (g.name or "").casefold()))


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
    span = db.session.execute(
        select(func.min(Complaint.registered_at), func.max(Complaint.registered_at)).where(
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


def weeks(f: Filters, now: datetime, timezone: str) -> list[Week]:
    """Intake and first-response compliance per ISO week of registration in `timezone`, from
    the week of the first complaint to that of the last one in the period, empty weeks
    included (intake 0, compliance "no data").

    The weeks' limits are worked out in Python (time-zone rules, summer time) and sent as a
    small table; the complaints are counted against it in one grouped query.
    """
    if _postgresql():
        return _weeks_postgresql(f, now, timezone)
    limited = week_limits(f, timezone)
    if limited is None:
        return []
    mondays, limits = limited
    counted = select(
        Complaint.registered_at, Complaint.first_responded_at, Complaint.first_response_due
    ).where(*conditions(f)).subquery("counted")
    rows = db.session.execute(
        select(
            limits.c.week,
            func.count(counted.c.registered_at),
            func.count(counted.c.registered_at).filter(_met(counted.c)),
            func.count(counted.c.registered_at).filter(_eligible(now, counted.c)),
        )
        .select_from(limits)
        .outerjoin(counted, and_(counted.c.registered_at >= limits.c.starts,
                                 counted.c.registered_at < limits.c.ends))
        .group_by(limits.c.week)
        .order_by(limits.c.week)
    ).all()
    return [Week(mondays[index], intake, Share(met, total)) for index, intake, met, total in rows]


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def local_monday(timezone: str) -> Any:
    """PostgreSQL: the Monday of the ISO week of `registered_at` in `timezone` (a date), the
    same week as `week_limits` draws: local midnight to local midnight."""
    return func.date(func.date_trunc("week", func.timezone(timezone, Complaint.registered_at)))


def week_mondays(found: list[date]) -> list[date]:
    """Every Monday from the first to the last of `found` (empty weeks included)."""
    return _week_mondays(min(found), max(found)) if found else []


def _weeks_postgresql(f: Filters, now: datetime, timezone: str) -> list[Week]:
    """`weeks` in one grouped scan: PostgreSQL knows the time zone's rules itself."""
    monday = local_monday(timezone)
    rows = db.session.execute(
        select(monday, func.count(), func.count().filter(_met()), func.count().filter(_eligible(now)))
        .where(*conditions(f)).group_by(monday)
    ).all()
    found = {row[0]: row for row in rows}
    empty = (None, 0, 0, 0)
    return [
        Week(day, intake, Share(met, total))
        for day in week_mondays(list(found))
        for _, intake, met, total in [found.get(day, empty)]
    ]


def _percentiles_postgresql(f: Filters) -> Timings:
    """Both measures in one scan, one sort each. percentile_disc(p) is the value at rank
    ceil(p * n), the nearest rank (exact in floating point for 0.5 and 0.9)."""
    fractions = literal([MEDIAN / 100, P90 / 100], ARRAY(Float()))
    measures = []
    for end in (Complaint.first_responded_at, Complaint.resolved_at):
        measures += [
            func.count(end),
            func.percentile_disc(fractions).within_group(end - Complaint.registered_at).filter(end.is_not(None)),
        ]
    row = db.session.execute(select(*measures).where(*conditions(f))).one()

    def made(n: int, values: list[timedelta] | None) -> Percentiles:
        if not n or values is None:
            return Percentiles(0, None, None)
        median, p90 = (round(value.total_seconds() / 3600.0, 4) for value in values)
        return Percentiles(n, median, p90)

    return Timings(made(row[0], row[1]), made(row[2], row[3]))


def _percentiles(f: Filters, end: Any) -> Percentiles:
    """Nearest-rank median and p90 of `end - registered_at` in hours, one query: each duration
    ranked by a window function, and only the two wanted ranks read back."""
    hours = hours_between(end, Complaint.registered_at)
    ranked = (
        select(
            hours.label("hours"),
            func.row_number().over(order_by=hours).label("rank"),
            func.count().over().label("n"),
        )
        .where(*conditions(f), end.is_not(None))
        .subquery("ranked")
    )
    rows = db.session.execute(
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
    """Median and 90th percentile of the time to first response and to resolution."""
    if _postgresql():
        return _percentiles_postgresql(f)
    return Timings(_percentiles(f, Complaint.first_responded_at), _percentiles(f, Complaint.resolved_at))


def breaches(f: Filters) -> Breaches:
    """Deadlines breached by the complaints counted, by kind of deadline."""
    rows = db.session.execute(
        select(Breach.kind, func.count())
        .join(Complaint, Complaint.id == Breach.complaint_id)
        .where(*conditions(f))
        .group_by(Breach.kind)
    ).all()
    found = dict(rows)
    return Breaches({kind: found.get(kind, 0) for kind in DeadlineKind})


def backlog(f: Filters, now: datetime) -> list[Bucket]:
    """Open complaints by age as of `now`, one row of counts (every bucket, zeros too)."""
    counts = []
    for low, high in BACKLOG_BUCKETS:
        older_than_low = Complaint.registered_at <= now - timedelta(days=low) if low else None
        younger_than_high = Complaint.registered_at > now - timedelta(days=high) if high else None
        parts = [c for c in (older_than_low, younger_than_high) if c is not None]
        counts.append(func.count().filter(and_(*parts)))
    row = db.session.execute(select(*counts).where(*conditions(f), _is_open())).one()
    return [Bucket(low, high, count) for (low, high), count in zip(BACKLOG_BUCKETS, row, strict=True)]



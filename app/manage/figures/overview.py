"""Every figure but the timings (`overview`), from one snapshot of the database.

The settled complaints of the period's full weeks are added up from the rollups
(app/manage/rollup.py: one small grouped read per breakdown); every other complaint counted is
read live from `complaint_facts` in one statement.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from msgspec import Struct, field
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Integer,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.types import NullType

from ...auth.models import User
from ...clock import local_day_start
from ...complaints.filters import ComplaintFilter
from ...complaints.models import ComplaintStatus
from ...database import UTCDateTime
from ...workflow.models import DeadlineKind
from ...workflow.states import OPEN
from .. import rollup
from ..models import OPEN_STATUSES, OPEN_SUMS, FigureCell, FigureWeek
from ..models import ComplaintFacts as Facts
from .definitions import (
    BACKLOG_BUCKETS,
    Breaches,
    Bucket,
    Group,
    OpenCounts,
    Overview,
    Share,
    Summary,
    Week,
    counted,
    eligible,
    is_open,
    met,
)

#: The counts of a compliance breakdown's line, read live and from the rollups.
_BREAKDOWN = ("complaints", "met", "eligible")
#: The parts of the overview, each summed on its own (`overview(parts=...)`): the totals
#: (`summary`, `breaches`, `backlog`), the compliance per category, per tier, per owner and per
#: week (`weeks`, `weeks_cut`), and the open complaints by status and tier (`open_counts`).
PARTS = frozenset({"total", "category", "tier", "owner", "week", "open"})
#: The part a breakdown's key belongs to.
_PART_OF = {"category": "category", "tier": "tier", "owner_id": "owner"}
#: A weekly series shows at most the last two years of its period: what a page shows, and so
#: reads, stays bounded however old the registry is ("all time" of a ten-year registry would be
#: 520 lines); earlier weeks are shown by choosing earlier dates.
WEEKS_SHOWN = 104


def overview(f: ComplaintFilter, now: datetime, timezone: str | None = None,
             parts: frozenset[str] = PARTS) -> Overview:
    """Every figure but the timings (see `Overview`), as of `now`; the weeks in `timezone`
    (none when None). The settled complaints of the period's full weeks come from the rollups,
    every other complaint of the period is read live; one snapshot.

    Only the `parts` (of PARTS) asked for are summed, the live complaints grouped by their keys
    alone (a CSV of one table groups by one key); the figures of the others are left empty:
    zeros and no lines."""
    with rollup.snapshot():
        tally = _Tally(parts=parts)
        s = rollup.split_complemented(f, timezone)
        _add_live(tally, f, now, timezone, s)
        if s is not None:
            _add_rollups(tally, f, s, now, weeks=timezone is not None)
            _take_less(tally, f, s, now, weeks=timezone is not None)
        return _finished(tally)


class _Line(Struct):
    """The counts of one line of a compliance breakdown."""

    complaints: int = 0
    met: int = 0
    eligible: int = 0


class _Tally(Struct):
    """The figures' sums, added to from the rows read live and from the rollups, for `parts`."""

    parts: frozenset[str] = PARTS
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
    #: Settled complaints per transfer count, from the rollups less the parts of weeks outside
    #: the period: the most transfers is the largest count with a complaint.
    transfer_counts: dict[int, int] = field(default_factory=dict)
    categories: dict[Any, _Line] = field(default_factory=dict)
    tiers: dict[Any, _Line] = field(default_factory=dict)
    owners: dict[Any, _Line] = field(default_factory=dict)
    weeks: dict[date, _Line] = field(default_factory=dict)
    open_lines: dict[tuple[ComplaintStatus, int], int] = field(default_factory=dict)
    #: The first week the series shows (None: no series), and whether earlier ones were left out.
    week_from: date | None = None
    weeks_cut: bool = False
    backlog: list[int] = field(default_factory=lambda: [0] * len(BACKLOG_BUCKETS))

    @staticmethod
    def add(groups: dict[Any, _Line], key: Any, complaints: Any, met: Any, eligible: Any) -> None:
        line = groups.setdefault(key, _Line())
        line.complaints += int(complaints or 0)
        line.met += int(met or 0)
        line.eligible += int(eligible or 0)

    def most_transfers(self, value: int | None) -> None:
        if value is not None and (self.transfers_max is None or value > self.transfers_max):
            self.transfers_max = value


# --- read live ---------------------------------------------------------------------------------


def _backlog_bucket(now: datetime, table: Any = Facts) -> ColumnElement[Any]:
    """The index in BACKLOG_BUCKETS of an open complaint's age as of `now`; NULL when closed
    (tested first: most complaints are closed)."""
    whens = [
        (table.registered_at > now - timedelta(days=high), index)
        for index, (_, high) in enumerate(BACKLOG_BUCKETS) if high is not None
    ]
    return case((~is_open(table), null()), *whens, else_=len(BACKLOG_BUCKETS) - 1)


def week_index(timezone: str | None, limited: Weeks | None,
               rollup_weeks: bool = False, table: Any = Facts) -> ColumnElement[Any] | None:
    """The index (in `limited`'s Mondays) of the week of registration; None when no time zone
    was asked for or nothing was registered. PostgreSQL finds it by binary search among the
    weeks' starts (no time-zone arithmetic per complaint). SQLite looks the Monday up in
    figure_weeks through its index on `starts`, as the rollups' triggers do, when those weeks
    are the zone's (`rollup_weeks`: the caller's split said so), and counts the weeks from the
    first Monday; otherwise it looks the small weeks table of `limited` through."""
    if timezone is None or limited is None:
        return None
    mondays, limits = limited.mondays, limited.table
    if rollup.on_postgresql():
        starts = [local_day_start(monday, timezone) for monday in mondays]
        return func.width_bucket(table.registered_at, literal(starts, ARRAY(DateTime(timezone=True))),
                                 type_=Integer()) - 1
    if rollup_weeks:
        monday = (
            select(FigureWeek.monday).where(FigureWeek.starts <= table.registered_at)
            .order_by(FigureWeek.starts.desc()).limit(1).scalar_subquery()
        )
        days = func.julianday(monday) - func.julianday(literal(mondays[0].isoformat()))
        return cast(days / 7, Integer())
    return (
        select(limits.c.week)
        .where(table.registered_at >= limits.c.starts, table.registered_at < limits.c.ends)
        .scalar_subquery()
    )


def _typed_null(column: Any) -> Any:
    """NULL of the column's type: PostgreSQL matches the types of a UNION's columns pairwise."""
    return null() if isinstance(column.type, NullType) else cast(null(), column.type)


def _add_live(tally: _Tally, f: ComplaintFilter, now: datetime, timezone: str | None, s: rollup.Split | None) -> None:
    """The complaints counted that the split's live part holds (all when `s` is None), in one
    statement (`rollup.live_facts`: on PostgreSQL the open work from its index alone).

    They are first grouped into cells by the keys the tally's parts need (of category, tier,
    owner, week, status, backlog age), each cell carrying every count those parts need (one
    pass); each part is then a sum over the cells, one grouping each.
    """
    parts = tally.parts
    limited = week_limits(f, timezone) if timezone is not None and "week" in parts else None
    mondays = limited.mondays if limited is not None else []
    if limited is not None:
        tally.week_from, tally.weeks_cut = mondays[0], limited.cut
    t, where = rollup.live_facts(s, counted(f))
    week = week_index(timezone, limited, s is not None, t)
    backlog_bucket = _backlog_bucket(now, t)
    total = "total" in parts
    # Each key of the cells and the parts that need it; a key no part needs is not grouped by.
    keyed = {
        "category": (t.category, "category" in parts),
        "tier": (t.tier, "tier" in parts or "open" in parts),
        "owner_id": (t.owner_id, "owner" in parts),
        "week": (cast(null(), Integer()) if week is None else week, "week" in parts),
        "status": (t.status, total or "open" in parts),
        "backlog": (backlog_bucket, total),
    }
    grouped = {label: key for label, (key, needed) in keyed.items() if needed}
    counts = {
        "n": func.count(),
        "met": func.count().filter(met(t)),
        "eligible": func.count().filter(eligible(now, t)),
    }
    if total:
        counts.update(
            answered=func.count(t.first_responded_at),
            disputed=func.count().filter(t.disputed),
            transfers=func.sum(t.transfer_count),
            transfers_max=func.max(t.transfer_count),
            first_response_breaches=func.sum(t.first_response_breaches),
            resolution_breaches=func.sum(t.resolution_breaches),
        )
    cells = (
        select(*(key.label(label) for label, key in grouped.items()),
               *(count.label(label) for label, count in counts.items()))
        .where(*where)
        .group_by(*(key for label, key in grouped.items() if not (label == "week" and week is None)))
        .cte("cells")
        .prefix_with("MATERIALIZED")
    )
    c = cells.c
    # The keys of the sums' lines: a key the cells do not hold is NULL in every line.
    nulls = {"category": Facts.category, "tier": Facts.tier, "owner_id": Facts.owner_id,
             "week": cast(null(), Integer()), "status": Facts.status}
    keys = {label: c[label] if label in grouped else _typed_null(column) for label, column in nulls.items()}
    measures = {"complaints": func.sum(c.n), "met": func.sum(c.met), "eligible": func.sum(c.eligible)}
    if total:
        cell_is_open = c.status.in_(sorted(OPEN))
        measures.update({
            "open": func.sum(c.n).filter(cell_is_open),
            "answered": func.sum(c.answered),
            "disputed": func.sum(c.disputed),
            "transfers": func.sum(c.transfers),
            "transfers_max": func.max(c.transfers_max),
            "first_response_breaches": func.sum(c.first_response_breaches),
            "resolution_breaches": func.sum(c.resolution_breaches),
            **{f"backlog_{index}": func.sum(c.n).filter(c.backlog == index) for index in range(len(BACKLOG_BUCKETS))},
        })

    def part(name: str, *by: str, where: Any = None, measured: tuple[str, ...] = _BREAKDOWN) -> Any:
        """One way of summing the cells: its name, its keys (NULL for the others), measures."""
        query = select(
            literal_column(f"'{name}'").label("part"),
            *((key if label in by else _typed_null(nulls[label])).label(label) for label, key in keys.items()),
            *((measure if label in measured else null()).label(label) for label, measure in measures.items()),
        )
        if by:
            query = query.group_by(*(keys[label] for label in by))
        return query.where(where) if where is not None else query

    sums = {
        "total": lambda: part("total", measured=tuple(measures)),
        "category": lambda: part("category", "category"),
        "tier": lambda: part("tier", "tier"),
        "owner": lambda: part("owner", "owner_id"),
        # Weeks earlier than those shown are below 0 or NULL (no weeks asked for: all NULL).
        "week": lambda: part("week", "week", where=c.week.is_not(None) if week is None else c.week >= 0),
        "open": lambda: part("open", "status", "tier", where=c.status.in_(sorted(OPEN))),
    }
    wanted = [sum_() for name, sum_ in sums.items() if name in parts]
    if not wanted:
        return
    statement = union_all(*wanted) if len(wanted) > 1 else wanted[0]
    for row in rollup.reader().execute(statement).mappings():
        breakdown = [row[name] for name in _BREAKDOWN]
        if row["part"] == "total":
            tally.complaints += int(row["complaints"] or 0)
            tally.met += int(row["met"] or 0)
            tally.eligible += int(row["eligible"] or 0)
            tally.open += int(row["open"] or 0)
            tally.answered += int(row["answered"] or 0)
            tally.disputed += int(row["disputed"] or 0)
            tally.transfers += int(row["transfers"] or 0)
            tally.most_transfers(row["transfers_max"])
            tally.first_response_breaches += int(row["first_response_breaches"] or 0)
            tally.resolution_breaches += int(row["resolution_breaches"] or 0)
            for index in range(len(BACKLOG_BUCKETS)):
                tally.backlog[index] += int(row[f"backlog_{index}"] or 0)
        elif row["part"] == "category":
            tally.add(tally.categories, row["category"], *breakdown)
        elif row["part"] == "tier":
            tally.add(tally.tiers, row["tier"], *breakdown)
        elif row["part"] == "owner":
            tally.add(tally.owners, row["owner_id"], *breakdown)
        elif row["part"] == "week":
            tally.add(tally.weeks, mondays[row["week"]], *breakdown)
        else:  # open, by status and tier
            key = (ComplaintStatus(row["status"]), row["tier"])
            tally.open_lines[key] = tally.open_lines.get(key, 0) + int(row["complaints"] or 0)


def week_mondays(first: date, last: date) -> list[date]:
    """Every Monday from the week of `first` to that of `last`."""
    monday = rollup.monday_of(first)
    mondays = []
    while monday <= last:
        mondays.append(monday)
        monday += timedelta(days=7)
    return mondays


class Weeks(NamedTuple):
    """The weeks a series shows: their Mondays, a small CTE of them (week index, starts, ends)
    to join complaints against, and whether earlier weeks of the period were left out."""

    mondays: list[date]
    table: Any
    cut: bool


def week_limits(f: ComplaintFilter, timezone: str) -> Weeks | None:
    """The ISO weeks (in `timezone`) from the first to the last complaint registered in the
    period, at most the last WEEKS_SHOWN of them; None when the period has no complaint."""
    # The first and the last in registration order, each read from one end of the index (a
    # min() / max() with a WHERE reads every complaint of the period on SQLite).
    where = counted(ComplaintFilter(registered_from=f.registered_from, registered_before=f.registered_before))
    span = rollup.reader().execute(select(*(
        select(Facts.registered_at).where(*where).order_by(order).limit(1).scalar_subquery().label(name)
        for name, order in (("first", Facts.registered_at), ("last", Facts.registered_at.desc()))
    ))).one()
    if span.first is None:
        return None
    zone = ZoneInfo(timezone)
    every = week_mondays(span.first.astimezone(zone).date(), span.last.astimezone(zone).date())
    mondays = every[-WEEKS_SHOWN:]
    weeks_table = [
        select(
            literal(index, Integer()).label("week"),
            literal(local_day_start(monday, timezone), UTCDateTime()).label("starts"),
            literal(local_day_start(monday + timedelta(days=7), timezone), UTCDateTime()).label("ends"),
        )
        for index, monday in enumerate(mondays)
    ]
    table = (union_all(*weeks_table) if len(weeks_table) > 1 else weeks_table[0]).cte("weeks")
    return Weeks(mondays, table, len(every) > len(mondays))


# --- read from the rollups ---------------------------------------------------------------------


#: The age from which an open complaint is in the backlog's last bucket.
_LAST_BUCKET_AGE = timedelta(days=BACKLOG_BUCKETS[-1][0])


def _add_rollups(tally: _Tally, f: ComplaintFilter, s: rollup.Split, now: datetime, weeks: bool) -> None:
    """The settled complaints of the split's full weeks, from figure_cells and, for the ISO
    years wholly inside them, figure_cell_years: one small grouped read per breakdown (settled
    complaints were all answered: eligible, answered); the weeks' breakdown from the weeks.
    The open ones among them (rolled up, at least `rollup.ROLLED_AGE` old) are in the backlog's
    last bucket but for those registered less than its bound before `now`."""

    def lines(by: int, key: str, *sums: str) -> Any:
        """The lines summed by `key`: whole ISO years from the yearly lines, the rest by week."""
        return rollup.reader().execute(rollup.summed(FigureCell, s, f, by, (key,), ("complaints", *sums))).all()

    parts = tally.parts
    for line in lines(0, "transfer_count", "met", "disputed", "transfers", "first_response_breaches",
                      "resolution_breaches", *OPEN_SUMS) if "total" in parts else ():
        tally.complaints += line.complaints
        tally.met += line.met
        tally.eligible += line.complaints  # answered, or due by the time it was rolled up
        tally.answered += line.answered
        still_open = sum(getattr(line, f"open_{status}") for status in OPEN_STATUSES)
        tally.open += still_open
        tally.backlog[-1] += still_open  # rolled up only once as old as the bucket before it
        tally.disputed += line.disputed
        tally.transfers += line.transfers
        tally.transfer_counts[line.transfer_count] = tally.transfer_counts.get(line.transfer_count, 0) + line.complaints
        tally.first_response_breaches += line.first_response_breaches
        tally.resolution_breaches += line.resolution_breaches
    if "total" in parts:
        younger = rollup.rolled_open_from(s, f, now - _LAST_BUCKET_AGE)
        tally.backlog[-2] += younger
        tally.backlog[-1] -= younger
    for by, key, groups in (
        (rollup.BY_CATEGORY, "category", tally.categories),
        (rollup.BY_TIER, "tier", tally.tiers),
        (rollup.BY_OWNER, "owner_id", tally.owners),
    ):
        if _PART_OF[key] not in parts:
            continue
        for line in lines(by, key, "met"):
            key_value = (line[0] or None) if by == rollup.BY_OWNER else line[0]  # owner 0: nobody
            tally.add(groups, key_value, line.complaints, line.met, line.complaints)
    if "open" in parts:  # the open complaints rolled up, by status and tier
        for line in lines(rollup.BY_TIER, "tier", *OPEN_SUMS[1:]):
            for status in OPEN_STATUSES:
                if n := getattr(line, f"open_{status}"):
                    key = (ComplaintStatus(status), line.tier)
                    tally.open_lines[key] = tally.open_lines.get(key, 0) + n
    if weeks and "week" in parts and tally.week_from is not None:  # by week: the weekly lines of every week shown
        complaints = func.sum(FigureCell.complaints)
        for line in rollup.reader().execute(
            select(FigureCell.monday, complaints.label("complaints"), func.sum(FigureCell.met).label("met"))
            .where(*rollup.filtered(FigureCell, s, f), FigureCell.monday >= tally.week_from)
            .group_by(FigureCell.monday).having(complaints != 0)
        ):
            tally.add(tally.weeks, line.monday, line.complaints, line.met, line.complaints)


def _take_less(tally: _Tally, f: ComplaintFilter, s: rollup.Split, now: datetime, weeks: bool) -> None:
    """Take away the settled complaints of the parts of the first and last weeks outside the
    period (`s.less`), which those weeks' rollups counted: one small grouped read of them (a
    part still to come holds none)."""
    if not s.less:
        return
    younger = Facts.registered_at >= now - _LAST_BUCKET_AGE  # an open one: in the bucket before the last
    statement = union_all(*(
        select(
            literal(index, Integer()).label("part"), Facts.category, Facts.tier, Facts.owner_id, Facts.transfer_count,
            Facts.status, younger.label("younger"),
            func.count().label("complaints"), func.count().filter(met()).label("met"),
            func.count(Facts.first_responded_at).label("answered"),
            func.count().filter(Facts.disputed).label("disputed"), func.sum(Facts.transfer_count).label("transfers"),
            func.sum(Facts.first_response_breaches).label("first_response_breaches"),
            func.sum(Facts.resolution_breaches).label("resolution_breaches"),
        )
        .where(*rollup.less_where(s, index, f))
        .group_by(Facts.category, Facts.tier, Facts.owner_id, Facts.transfer_count, Facts.status, younger)
        for index in range(len(s.less))
    ))
    parts = tally.parts
    for row in rollup.reader().execute(statement):
        n, met_ = -int(row.complaints), -int(row.met)
        still_open = ComplaintStatus(row.status) in OPEN
        if "total" in parts:
            tally.complaints += n
            tally.met += met_
            tally.eligible += n
            tally.answered -= int(row.answered)
            if still_open:
                tally.open += n
                tally.backlog[-2 if row.younger else -1] += n
            tally.disputed -= int(row.disputed)
            tally.transfers -= int(row.transfers)
            tally.transfer_counts[row.transfer_count] = tally.transfer_counts.get(row.transfer_count, 0) + n
            tally.first_response_breaches -= int(row.first_response_breaches)
            tally.resolution_breaches -= int(row.resolution_breaches)
        for key, groups in (("category", tally.categories), ("tier", tally.tiers), ("owner_id", tally.owners)):
            if _PART_OF[key] in parts:
                tally.add(groups, row._mapping[key], n, met_, n)
        if weeks and "week" in parts and tally.week_from is not None and s.less[row.part][0] >= tally.week_from:
            tally.add(tally.weeks, s.less[row.part][0], n, met_, n)
        if "open" in parts and still_open:
            key = (ComplaintStatus(row.status), row.tier)
            tally.open_lines[key] = tally.open_lines.get(key, 0) + n


# --- the figures from their sums ---------------------------------------------------------------


def _finished(tally: _Tally) -> Overview:
    """The figures from their sums: names of owners, lines in order, empty weeks filled in."""

    def group(key: Any, line: _Line, name: str | None = None) -> Group:
        return Group(key, line.complaints, Share(line.met, line.eligible), name)

    # A line is a group with a complaint: the parts taken away (`_take_less`) can leave none.
    for groups in (tally.categories, tally.tiers, tally.owners, tally.weeks):
        for key in [key for key, line in groups.items() if not line.complaints]:
            del groups[key]
    tally.most_transfers(max((count for count, n in tally.transfer_counts.items() if n > 0), default=None))

    summary = Summary(
        complaints=tally.complaints, open=tally.open, compliance=Share(tally.met, tally.eligible),
        answered=tally.answered, disputed=tally.disputed,
        transfers_average=tally.transfers / tally.complaints if tally.complaints else None,
        transfers_max=tally.transfers_max,
    )
    by_status: dict[ComplaintStatus, int] = {}
    by_tier: dict[int, int] = {}
    # a line the rollups added and the part outside the period took away again is no line
    for (status, tier), count in ((key, count) for key, count in tally.open_lines.items() if count):
        by_status[status] = by_status.get(status, 0) + count
        by_tier[tier] = by_tier.get(tier, 0) + count
    open_counts = OpenCounts(
        by_status={s: by_status[s] for s in ComplaintStatus if s in by_status},
        by_tier=dict(sorted(by_tier.items())),
    )
    owner_ids = [key for key in tally.owners if key is not None]
    names = {user.id: user.full_name for user in rollup.reader().execute(
        select(User.id, User.full_name).where(User.id.in_(owner_ids))
    )} if owner_ids else {}
    owners = sorted((group(key, line, names.get(key)) for key, line in tally.owners.items()),
                    key=lambda g: (g.key is None, (g.name or "").casefold()))
    found = list(tally.weeks)
    weeks = [
        Week(day, line.complaints, Share(line.met, line.eligible)) if line is not None else Week(day, 0, Share(0, 0))
        for day in (week_mondays(tally.week_from if tally.weeks_cut else min(found), max(found)) if found else [])
        for line in [tally.weeks.get(day)]
    ]
    return Overview(
        summary=summary,
        open_counts=open_counts,
        categories=sorted((group(key, line) for key, line in tally.categories.items()), key=lambda g: g.key),
        tiers=sorted((group(key, line) for key, line in tally.tiers.items()), key=lambda g: g.key),
        owners=owners,
        weeks=weeks,
        weeks_cut=tally.weeks_cut,
        breaches=Breaches({DeadlineKind.FIRST_RESPONSE: tally.first_response_breaches,
                           DeadlineKind.RESOLUTION: tally.resolution_breaches}),
        backlog=[Bucket(low, high, count) for (low, high), count in zip(BACKLOG_BUCKETS, tally.backlog, strict=True)],
    )

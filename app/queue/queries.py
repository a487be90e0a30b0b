"""The staff queue as queries: open complaints in the order of the deadline each works against
now (`deadlines.next_due_sql`), then by number; filtered, counted and paged in SQL. And each
line's deadline as staff read it, decided by app/workflow/deadlines.py.

Pages are cut by keyset on (deadline, year, seq), never by OFFSET. A complaint with no running
deadline sorts last: its key is NO_DEADLINE, a moment after every real one, so the key is never
NULL and one row comparison finds the next page on every database.

What a queue request costs follows the open complaints, never the closed ones: every statement
reads `ix_complaints_queue`, a partial index over the open complaints only, ordered by the sort
key (an expression index, the same on SQLite and PostgreSQL) and carrying every column the
counts read, so a page is LIMIT rows read in order and the counts never touch the table. For
the databases to match the statements to the index, the open statuses and NO_DEADLINE are
written into the SQL (constants, never bound values).
"""

from __future__ import annotations

import enum
import re
from datetime import UTC, datetime
from typing import Any

from msgspec import Struct
from sqlalchemy import (
    ColumnElement,
    Float,
    FunctionElement,
    Row,
    Select,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles

from ..auth.models import User
from ..clocks.running import warning_time
from ..complaints.models import Complaint
from ..database import UTCDateTime, epoch_ms
from ..extensions import db
from ..workflow.deadlines import (
    FIRST_RESPONSE,
    RESOLUTION,
    DueState,
    first_response_state,
    next_due,
    open_next_due_sql,
    open_sql,
    own_due,
    resolution_state,
)

PAGE_SIZE = 50
#: The sort key of a complaint with no running deadline: after every real deadline.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)

#: (deadline or NO_DEADLINE, year, seq): a place in queue order.
Cursor = tuple[datetime, int, int]
_CURSOR = re.compile(r"^(\d{8}T\d{12})-(\d{1,4})-(\d{1,18})$")
_CURSOR_TIME = "%Y%m%dT%H%M%S%f"


class Scope(enum.StrEnum):
    """Whose complaints the queue shows."""

    MINE_AND_TIER = "mine_and_tier"  # owned by the signed-in user (at any tier), or at their tier
    MINE = "mine"  # owned by the signed-in user
    MY_TIER = "my_tier"  # at the signed-in user's tier
    UNASSIGNED = "unassigned"
    ALL = "all"


class DueFilter(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"


class QueueFilter(Struct, frozen=True):
    """What the queue is narrowed to (always open complaints only)."""

    scope: Scope = Scope.ALL
    user_id: int | None = None
    user_tier: int | None = None
    tier: int | None = None
    due: DueFilter | None = None


class QueuePage(Struct, frozen=True):
    rows: list[Row[Any]]
    next_after: Cursor | None
    previous_before: Cursor | None


class QueueCounts(Struct, frozen=True):
    """Open complaints in the filter's scope and tier, and how many are overdue or due soon."""

    total: int
    overdue: int
    due_soon: int

    def shown(self, due: DueFilter | None) -> int:
        """How many the queue lists when also filtered to `due`."""
        return {None: self.total, DueFilter.OVERDUE: self.overdue, DueFilter.DUE_SOON: self.due_soon}[due]


# --- deadlines in SQL ---------------------------------------------------------------------------


class no_deadline(FunctionElement):  # noqa: N801  (an SQL constant, named like a function)
    """NO_DEADLINE written into the SQL as a constant of the column type, the same text in the
    queue's index and in its statements (a bound value would not match the index)."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(no_deadline, "postgresql")
def _no_deadline_postgresql(element: no_deadline, compiler: Any, **kw: Any) -> str:
    return "TIMESTAMP WITH TIME ZONE '9999-12-31 00:00:00+00'"


@compiles(no_deadline, "sqlite")
def _no_deadline_sqlite(element: no_deadline, compiler: Any, **kw: Any) -> str:
    return "'9999-12-31 00:00:00.000000'"  # as SQLAlchemy stores NO_DEADLINE (naive UTC)


def _moment(value: datetime) -> ColumnElement[datetime]:
    return literal(value, UTCDateTime())


def _deadline_start_sql() -> ColumnElement[datetime]:
    """Where the running deadline's time started (as in `first_response_state` and
    `resolution_state`): registration for the first response, then the resolution clock."""
    return case(
        (Complaint.first_responded_at.is_(None), Complaint.registered_at),
        else_=func.coalesce(Complaint.resolution_started_at, Complaint.registered_at),
    )


def overdue_sql(now: datetime) -> ColumnElement[bool]:
    """DueState.OVERDUE of the running deadline of an open complaint: `now` is at or past it
    (a range of the queue's index: NO_DEADLINE is never past)."""
    return sort_key() <= now


def due_soon_sql(now: datetime, fraction: float) -> ColumnElement[bool]:
    """DueState.DUE_SOON of the running deadline of an open complaint: not yet due, but
    `warning_time` has come (no deadline running: never)."""
    start, due = epoch_ms(_deadline_start_sql()), epoch_ms(open_next_due_sql())
    return and_(sort_key() > now, start + (due - start) * literal(fraction, Float()) <= epoch_ms(_moment(now)))


def sort_key() -> ColumnElement[datetime]:
    """Where an open complaint stands in the queue: its running deadline, or NO_DEADLINE."""
    return func.coalesce(open_next_due_sql(), no_deadline())


#: The queue's one index: the open complaints in queue order, with the columns the scopes and
#: the counts read (so counting never reads the table). Declared here, beside the expression
#: it must match; its migration writes the same SQL.
QUEUE_INDEX = db.Index(
    "ix_complaints_queue",
    sort_key(),
    Complaint.year,
    Complaint.seq,
    Complaint.owner_id,
    Complaint.tier,
    Complaint.first_responded_at,
    Complaint.first_response_due,
    Complaint.resolution_due,
    Complaint.clock_due,
    Complaint.registered_at,
    Complaint.resolution_started_at,
    Complaint.status,
    sqlite_where=open_sql(),
    postgresql_where=open_sql(),
)


# --- filters, counts, pages -----------------------------------------------------------------


def scope_conditions(f: QueueFilter) -> list[ColumnElement[bool]]:
    """Open complaints of the filter's scope and tier (the due-state filter left out)."""
    # Open ones: a joined complaint is not (it goes with its main one).
    conditions: list[ColumnElement[bool]] = [open_sql()]
    # The owner as a value, not the column, so no database reads ix_complaints_owner_id here:
    # that index holds every complaint a person ever owned, closed ones too, while the queue's
    # index carries the owner of each open one.
    owner = Complaint.owner_id + 0
    if f.scope == Scope.MINE_AND_TIER:
        mine = owner == f.user_id if f.user_id is not None else false()
        conditions.append(or_(mine, Complaint.tier == f.user_tier) if f.user_tier is not None else mine)
    elif f.scope == Scope.MINE:
        conditions.append(owner == f.user_id if f.user_id is not None else false())
    elif f.scope == Scope.MY_TIER:
        conditions.append(Complaint.tier == f.user_tier if f.user_tier is not None else false())
    elif f.scope == Scope.UNASSIGNED:
        conditions.append(owner.is_(None))
    if f.tier is not None:
        conditions.append(Complaint.tier == f.tier)
    return conditions


def filter_conditions(f: QueueFilter, now: datetime, fraction: float) -> list[ColumnElement[bool]]:
    conditions = scope_conditions(f)
    if f.due == DueFilter.OVERDUE:
        conditions.append(overdue_sql(now))
    elif f.due == DueFilter.DUE_SOON:
        conditions.append(due_soon_sql(now, fraction))
    return conditions


def queue_counts(f: QueueFilter, now: datetime, fraction: float) -> QueueCounts:
    """One pass over the filter's scope: all, overdue, due soon."""
    total, overdue, due_soon = db.session.execute(
        select(
            func.count(),
            func.count().filter(overdue_sql(now)),
            func.count().filter(due_soon_sql(now, fraction)),
        ).select_from(Complaint).where(*scope_conditions(f))
    ).one()
    return QueueCounts(total=total, overdue=overdue, due_soon=due_soon)


#: What a queue line shows and what the deadline rules read; long texts are never fetched.
QUEUE_COLUMNS = (
    Complaint.id,
    Complaint.year,
    Complaint.seq,
    Complaint.number,
    Complaint.slug,
    Complaint.subject,
    Complaint.category,
    Complaint.status,
    Complaint.tier,
    Complaint.owner_id,
    Complaint.registered_at,
    Complaint.resolution_started_at,
    Complaint.first_response_due,
    Complaint.first_responded_at,
    Complaint.first_response_breached_at,
    Complaint.resolution_due,
    Complaint.clock_due,
    Complaint.received_at,
    User.full_name.label("owner_name"),
)


def queue_query(f: QueueFilter, now: datetime, fraction: float) -> Select[Any]:
    """The queue's columns for every complaint `f` lets through, not yet ordered or limited."""
    return (
        select(*QUEUE_COLUMNS, sort_key().label("sort_key"))
        .outerjoin(User, User.id == Complaint.owner_id)
        .where(*filter_conditions(f, now, fraction))
    )


def format_cursor(cursor: Cursor) -> str:
    return f"{cursor[0].astimezone(UTC).strftime(_CURSOR_TIME)}-{cursor[1]}-{cursor[2]}"


def parse_cursor(text: str | None) -> Cursor | None:
    """'20261122T101500000000-2026-123' -> (that moment in UTC, 2026, 123); anything else -> None."""
    match = _CURSOR.match((text or "").strip())
    if match is None:
        return None
    try:
        moment = datetime.strptime(match[1], _CURSOR_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None
    return (moment, int(match[2]), int(match[3]))


def cursor_of(row: Row[Any]) -> Cursor:
    return (row.sort_key, row.year, row.seq)


def queue_page(
    f: QueueFilter,
    now: datetime,
    fraction: float,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    size: int | None = None,
) -> QueuePage:
    """One page in queue order: from the start, after `after`, or before `before`.

    One query of `size + 1` rows tells whether there is more beyond the page; a page reached
    forward always has a previous page, and one reached backward a next page.
    """
    size = size or PAGE_SIZE
    query = queue_query(f, now, fraction)
    key, order = sort_key(), tuple_(sort_key(), Complaint.year, Complaint.seq)
    if before is not None:
        # The key's own bound first: a range of the index on every database (SQLite reads a row
        # comparison whose first member is an expression as a filter, not as a range).
        query = query.where(key <= _moment(before[0]), order < _position(before))
        rows = list(db.session.execute(
            query.order_by(key.desc(), Complaint.year.desc(), Complaint.seq.desc()).limit(size + 1)
        ))
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return QueuePage(
            rows,
            next_after=cursor_of(rows[-1]) if rows else None,
            previous_before=cursor_of(rows[0]) if more_before else None,
        )
    if after is not None:
        query = query.where(key >= _moment(after[0]), order > _position(after))
    rows = list(db.session.execute(query.order_by(key, Complaint.year, Complaint.seq).limit(size + 1)))
    more_after = len(rows) > size
    rows = rows[:size]
    return QueuePage(
        rows,
        next_after=cursor_of(rows[-1]) if more_after else None,
        previous_before=cursor_of(rows[0]) if rows and after is not None else None,
    )


def _position(cursor: Cursor) -> Any:
    return tuple_(_moment(cursor[0]), literal(cursor[1]), literal(cursor[2]))


# --- one line as staff read it ----------------------------------------------------------------

#: A queue line's deadline when the nearest is one of the regulator's clocks.
CLOCK = "clock"


class QueueLine(Struct, frozen=True):
    """A queue row and its running deadline: which one, when, when it turns "due soon", and
    how it stands at the moment the page was made."""

    row: Row[Any]
    kind: str | None  # FIRST_RESPONSE, RESOLUTION, CLOCK (a regulatory clock), or None: no deadline runs
    due: datetime | None
    warn_at: datetime | None
    state: DueState

    @property
    def highlight(self) -> str:
        """The row's class: "overdue", "due-soon" or ""."""
        return {DueState.OVERDUE: "overdue", DueState.DUE_SOON: "due-soon"}.get(self.state, "")

    @property
    def breached(self) -> bool:
        """A first-response breach was recorded once (it is never cleared)."""
        return self.row.first_response_breached_at is not None


def queue_line(row: Row[Any], now: datetime, fraction: float) -> QueueLine:
    due = next_due(row)
    if due is None:
        return QueueLine(row, None, None, None, DueState.NOT_RUNNING)
    if row.clock_due is not None and due == row.clock_due and due != own_due(row):
        # A regulatory clock is the nearest (which one, the case page says); "due soon" is
        # the complaint's own deadlines' notion, so this one is on time or overdue.
        return QueueLine(row, CLOCK, due, None, DueState.OVERDUE if now >= due else DueState.ON_TIME)
    if row.first_responded_at is None:
        start, kind, state = row.registered_at, FIRST_RESPONSE, first_response_state(row, now, fraction)
    else:
        start, kind = row.resolution_started_at or row.registered_at, RESOLUTION
        state = resolution_state(row, now, fraction)
    return QueueLine(row, kind, due, warning_time(start, due, fraction), state)

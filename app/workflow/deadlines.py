"""The one place where deadlines are computed.

Deadlines are stored on the complaint (first_response_due, resolution_due), so whether a
complaint is due soon or overdue is read from the row at any moment, between enforcement
runs too. Enforcement asks `due_work` what a complaint needs now and `next_alarm` when to
look at it again. Everything here is plain computation on values: no database, no request.

A joined complaint (app/workflow/joins.py) runs no deadline of its own: its own deadlines
read "not running" (a first response already sent still reads met), enforcement has nothing
to do for it and never looks at it again; its main complaint's deadlines answer for both.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Protocol

from msgspec import Struct
from sqlalchemy import ColumnElement, case, literal_column, null

from ..clocks.calendar import WorkingCalendar
from ..clocks.policy import Period
from ..clocks.running import warning_time
from ..complaints.models import Complaint, ComplaintStatus
from ..settings.tiers import TierPolicy
from .states import OPEN, is_open


class DeadlineFields(Protocol):
    """What the deadline rules read from a complaint (a model instance or a plain row)."""

    status: ComplaintStatus
    tier: int
    received_at: datetime
    registered_at: datetime
    resolution_started_at: datetime | None
    first_response_due: datetime
    first_responded_at: datetime | None
    first_response_warned_at: datetime | None
    first_response_breached_at: datetime | None
    resolution_due: datetime | None
    resolution_warned_at: datetime | None
    clock_due: datetime | None


def runs(c: DeadlineFields) -> bool:
    """Whether the complaint's own deadlines run: open (a joined complaint is not: its main one's run)."""
    return is_open(c.status)


def first_response_due(received_at: datetime, period: Period, calendar: WorkingCalendar) -> datetime:
    """When the complainant must have had a first substantive response: the period from the
    moment the complaint was received (a letter that waited in the post does not get a fresh
    one), counted on the working calendar where the policy counts working time."""
    return calendar.due(received_at, period)


def resolution_due(entered_at: datetime, tier: int, policy: TierPolicy) -> datetime | None:
    """When a complaint that reached `tier` at `entered_at` must be resolved there."""
    days = policy.tier(tier).resolution_days
    return None if days is None else entered_at + timedelta(days=days)


class DueState(enum.StrEnum):
    """How a deadline stands, for queues and case pages."""

    MET = "met"  # answered in time
    MET_LATE = "met_late"
    ON_TIME = "on_time"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NOT_RUNNING = "not_running"  # e.g. an annulled complaint


def first_response_state(c: DeadlineFields, now: datetime, fraction: float) -> DueState:
    if c.first_responded_at is not None:
        return DueState.MET if c.first_responded_at <= c.first_response_due else DueState.MET_LATE
    if not runs(c):
        return DueState.NOT_RUNNING
    return _running_state(c.received_at, c.first_response_due, now, fraction)


def resolution_state(c: DeadlineFields, now: datetime, fraction: float) -> DueState:
    if c.resolution_due is None or not runs(c):
        return DueState.NOT_RUNNING
    return _running_state(c.resolution_started_at or c.registered_at, c.resolution_due, now, fraction)


def clock_due_state(clock: Any, now: datetime, fraction: float) -> DueState:
    """How a regulatory clock (app/clocks) stands, in the same states as the complaint's own
    deadlines: met (late if it was breached), not running once stopped, overdue once breached,
    and never "due soon" while it stands still."""
    if clock.met_at is not None:
        return DueState.MET_LATE if clock.breached_at is not None or clock.met_at > clock.due_at else DueState.MET
    if clock.stopped_at is not None:
        return DueState.NOT_RUNNING
    if clock.breached_at is not None:
        return DueState.OVERDUE
    state = _running_state(clock.started_at, clock.due_at, now, fraction)
    return DueState.ON_TIME if state == DueState.DUE_SOON and clock.paused_at is not None else state


def _running_state(start: datetime, due: datetime, now: datetime, fraction: float) -> DueState:
    if now >= due:
        return DueState.OVERDUE
    if now >= warning_time(start, due, fraction):
        return DueState.DUE_SOON
    return DueState.ON_TIME


def own_due(c: DeadlineFields) -> datetime | None:
    """The complaint's own deadline it is working against now: the first response until it is
    sent, then the resolution at the current tier."""
    if not runs(c):
        return None
    if c.first_responded_at is None:
        return c.first_response_due
    return c.resolution_due


def next_due(c: DeadlineFields) -> datetime | None:
    """The nearest due of any deadline running now: its own (`own_due`) or its regulatory
    clocks' (`clock_due`). The staff queue sorts by it."""
    own = own_due(c)
    if own is None or c.clock_due is None:
        return own if own is not None or not runs(c) else c.clock_due
    return min(own, c.clock_due)


def open_next_due_sql() -> ColumnElement[datetime | None]:
    """`next_due` as SQL for a complaint known to be open (NULL: no deadline runs). Free of
    bound values, so the staff queue's index on it (app/queue/queries.py) is the same
    expression on every database; `next_due_sql` is this for open complaints."""
    own = case((Complaint.first_responded_at.is_(None), Complaint.first_response_due), else_=Complaint.resolution_due)
    clock = Complaint.clock_due
    return case(
        (clock.is_(None), own),
        (own.is_(None), clock),
        (clock < own, clock),
        else_=own,
    )


def next_due_sql() -> ColumnElement[datetime | None]:
    """`next_due` as SQL on the complaints table (NULL where `next_due` answers None), so the
    queue sorts and pages in the database. Keep the two in step."""
    return case((Complaint.status.not_in(sorted(OPEN)), null()), else_=open_next_due_sql())


class DueWork(Struct, frozen=True):
    """What enforcement must do for one complaint at one moment."""

    breach: str | None = None  # "first_response" or "resolution": record it and escalate
    warn: str | None = None  # the deadline to send a "due soon" warning for

    def __bool__(self) -> bool:
        return self.breach is not None or self.warn is not None


FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"


def due_work(c: DeadlineFields, at: datetime, policy: TierPolicy) -> DueWork:
    """The one thing a complaint needs at `at`: a breach wins over a warning, and the first
    response over the resolution (escalating restarts the resolution clock anyway). A
    warning is skipped when the deadline has already passed: the breach says more."""
    if not runs(c):
        return DueWork()
    first_pending = c.first_responded_at is None and c.first_response_breached_at is None
    if first_pending and at >= c.first_response_due:
        return DueWork(breach=FIRST_RESPONSE)
    if c.resolution_due is not None and at >= c.resolution_due:
        return DueWork(breach=RESOLUTION)
    fraction = policy.due_soon_fraction
    if (
        first_pending
        and c.first_response_warned_at is None
        and at >= warning_time(c.received_at, c.first_response_due, fraction)
    ):
        return DueWork(warn=FIRST_RESPONSE)
    if (
        c.resolution_due is not None
        and c.resolution_warned_at is None
        and at >= warning_time(c.resolution_started_at or c.registered_at, c.resolution_due, fraction)
    ):
        return DueWork(warn=RESOLUTION)
    return DueWork()


def next_alarm(c: DeadlineFields, policy: TierPolicy) -> datetime | None:
    """The next moment `due_work` will have something to do (None: nothing ever, as things stand)."""
    if not runs(c):
        return None
    fraction = policy.due_soon_fraction
    moments = []
    if c.first_responded_at is None and c.first_response_breached_at is None:
        moments.append(
            c.first_response_due
            if c.first_response_warned_at is not None
            else warning_time(c.received_at, c.first_response_due, fraction)
        )
    if c.resolution_due is not None:
        moments.append(
            c.resolution_due
            if c.resolution_warned_at is not None
            else warning_time(c.resolution_started_at or c.registered_at, c.resolution_due, fraction)
        )
    return min(moments, default=None)


def restart_resolution_clock(at: datetime, tier: int, policy: TierPolicy) -> dict[str, datetime | None]:
    """The resolution clock's columns when it starts again at `at` (a new tier, a reopening)."""
    return {
        "resolution_started_at": at,
        "resolution_due": resolution_due(at, tier, policy),
        "resolution_warned_at": None,
    }


def stopped_resolution_clock() -> dict[str, datetime | None]:
    """The resolution clock's columns once the complaint is resolved, closed or annulled."""
    return {"resolution_due": None, "resolution_warned_at": None}


def registration_clock(received_at: datetime, registered_at: datetime, policy: TierPolicy,
                       first_response: Period, calendar: WorkingCalendar) -> dict[str, Any]:
    """Every deadline column of a complaint received at `received_at` and registered at
    `registered_at` (tier 1; the tier's resolution clock runs from registration)."""
    clock: dict[str, Any] = {
        "status": ComplaintStatus.REGISTERED,
        "tier": 1,
        "received_at": received_at,
        "registered_at": registered_at,
        "first_response_due": first_response_due(received_at, first_response, calendar),
        "first_responded_at": None,
        "first_response_warned_at": None,
        "first_response_breached_at": None,
        **restart_resolution_clock(registered_at, 1, policy),
    }
    clock["next_check_at"] = next_alarm(SimpleNamespace(**clock), policy)
    del clock["status"], clock["registered_at"], clock["received_at"]
    return clock


def open_sql() -> ColumnElement[bool]:
    """The complaint is open (states.OPEN), its statuses written out in a fixed order: the
    predicate of the partial indexes of open complaints (the queue's, the escalation desk's),
    which both databases match only to the same text, never to parameters."""
    return Complaint.status.in_([literal_column(f"'{status.value}'") for status in sorted(OPEN)])

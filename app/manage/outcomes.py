"""Outcome, redress and closure-time figures of a period: what the regulators' returns
(app/returns) and the dashboard's and monthly report's "Outcomes" section count.

A period is [start, end) (aware moments; the callers make them from whole days in the
registry's time zone). Annulled complaints are never counted. Definitions:

- *Opened*: received (`received_at`) in the period. *Closed*: closed (`closed_at`) in it.
- *Resolved*: the decision (`resolved_at`, the latest one: a dispute clears it) in the period;
  its outcome is upheld, partly upheld or rejected. "Upheld" in the FCA's sense (DISP 1
  Annex 1R) counts partly upheld too (`upheld_fca`).
- *Outstanding* at a moment: received before it and not resolved before it (no decision yet,
  or the decision came later). Read from today's rows: a complaint reopened since has no
  decision now, so it counts as outstanding then too (one reason a return is frozen once
  its period ended).
- *Redress paid*: the amounts whose `redress_paid_at` is in the period, summed per currency;
  *remedies*: complaints resolved in the period with a non-monetary remedy recorded.
- *Closure time bands*: a complaint resolved in the period falls in the first band of its
  category's clock policy (`closure_bands`) whose due time, counted from receipt on the
  working calendar (`WorkingCalendar.due`) and moved later by the time its final-response
  clock stood still (`paused_seconds`), is not before the decision; over the last band
  otherwise. Time paused waiting for the complainant is thus left out.
- *Extensions*: clocks extended (`extended_at`) in the period, by clock; *breaches*: breaches
  detected in the period, by deadline.
- *Disputes* (the Gambling Commission's "a complaint ... not resolved at the first stage"): a
  complaint becomes a dispute the first time the complainant disputes a response or decision
  (a "dispute" message), it is escalated beyond the first tier (an escalation), or it is
  referred to the ADR entity (`referred_at`), whichever comes first; a dispute counts in the
  period in which it became one. *Referred to ADR*: `referred_at` in the period.

Aggregates in SQL; only the bands read the period's resolved complaints one by one (four
columns each), since the calendar that counts them is Python. No request, no Flask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, exists, func, or_, select

from ..clocks.calendar import WorkingCalendar
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockKind, ClockPolicies, Period
from ..complaints.models import Complaint, ComplaintStatus, Resolution
from ..extensions import db
from ..workflow.models import Breach, CaseMessage, DeadlineKind, Escalation, MessageKind


@dataclass(frozen=True)
class Band:
    """A closure time band: resolved within `limit` (and not within the band before), or, with
    `over`, later than `limit` (the last band's)."""

    limit: Period
    over: bool = False

    def to_json(self) -> dict[str, Any]:
        return {**self.limit.to_json(), "over": self.over}


@dataclass(frozen=True)
class OutcomeFigures:
    """The figures of one period (see the module docstring for what each counts)."""

    start: datetime
    end: datetime
    category: str | None
    opened: int
    closed: int
    outstanding_at_start: int
    outstanding_at_end: int
    #: Complaints resolved in the period, by outcome (every outcome present, 0 when none).
    outcomes: dict[Resolution, int]
    #: Currency (ISO 4217) -> (total paid in the period, complaints), currencies in order.
    redress: dict[str, tuple[Decimal, int]]
    remedies: int
    #: Closure time bands in order (every policy's bands, in the order they first appear).
    bands: dict[Band, int]
    #: Resolved in the period under a policy that has no closure bands.
    unbanded: int
    extensions: dict[ClockKind, int]
    breaches: dict[DeadlineKind, int]

    @property
    def resolved(self) -> int:
        return sum(self.outcomes.values())

    @property
    def upheld_fca(self) -> int:
        """Upheld in the FCA's sense: upheld or partly upheld."""
        return self.outcomes[Resolution.UPHELD] + self.outcomes[Resolution.PARTLY_UPHELD]


def _in(column: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def _counted(category: str | None) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Complaint.status != ComplaintStatus.ANNULLED]
    if category is not None:
        conditions.append(Complaint.category == category)
    return conditions


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(cast(condition, Integer)), 0)


def outcome_figures(
    start: datetime, end: datetime, *, category: str | None = None, policies: ClockPolicies,
    calendar: WorkingCalendar, bands: Sequence[Period] | None = None,
) -> OutcomeFigures:
    """The period's figures; the closure bands are each category's policy's, or `bands` for
    every complaint (a return's fixed bands)."""
    counted = _counted(category)
    resolved_in = _in(Complaint.resolved_at, start, end)
    row = db.session.execute(
        select(
            _count_if(_in(Complaint.received_at, start, end)),
            _count_if(_in(Complaint.closed_at, start, end)),
            _count_if(and_(Complaint.received_at < start,
                           or_(Complaint.resolved_at.is_(None), Complaint.resolved_at >= start))),
            _count_if(and_(Complaint.received_at < end,
                           or_(Complaint.resolved_at.is_(None), Complaint.resolved_at >= end))),
            _count_if(and_(resolved_in, func.length(func.trim(func.coalesce(Complaint.redress_remedy, ""))) > 0)),
        ).where(*counted, Complaint.received_at < end)
    ).one()
    opened, closed, at_start, at_end, remedies = (int(value or 0) for value in row)
    outcomes = dict.fromkeys(Resolution, 0)
    for resolution, count in db.session.execute(
        select(Complaint.resolution, func.count()).where(*counted, resolved_in, Complaint.resolution.is_not(None))
        .group_by(Complaint.resolution)
    ):
        outcomes[resolution] = count
    redress = {
        currency: (Decimal(total).quantize(Decimal("0.01")), count)
        for currency, total, count in db.session.execute(
            select(Complaint.redress_currency, func.sum(Complaint.redress_amount), func.count())
            .where(*counted, _in(Complaint.redress_paid_at, start, end), Complaint.redress_amount.is_not(None),
                   Complaint.redress_currency.is_not(None))
            .group_by(Complaint.redress_currency).order_by(Complaint.redress_currency)
        )
    }
    banded, unbanded = _closure_bands(start, end, category, policies, calendar, bands)
    extensions = dict(db.session.execute(
        select(ComplaintClock.kind, func.count()).join(Complaint, Complaint.id == ComplaintClock.complaint_id)
        .where(*counted, _in(ComplaintClock.extended_at, start, end))
        .group_by(ComplaintClock.kind)
    ).all())
    breaches = dict(db.session.execute(
        select(Breach.kind, func.count()).join(Complaint, Complaint.id == Breach.complaint_id)
        .where(*counted, _in(Breach.detected_at, start, end))
        .group_by(Breach.kind)
    ).all())
    return OutcomeFigures(
        start=start, end=end, category=category, opened=opened, closed=closed, outstanding_at_start=at_start,
        outstanding_at_end=at_end, outcomes=outcomes, redress=redress, remedies=remedies, bands=banded,
        unbanded=unbanded,
        extensions={kind: extensions[kind] for kind in ClockKind if kind in extensions},
        breaches={kind: breaches[kind] for kind in DeadlineKind if kind in breaches},
    )


def band_of(received_at: datetime, resolved_at: datetime, paused_seconds: int, limits: Sequence[Period],
            calendar: WorkingCalendar) -> Band | None:
    """The closure band of one complaint (None: `limits` is empty): the first limit whose due
    time from receipt, moved by the time paused, is not before the decision."""
    return _Banding(limits, calendar).band(received_at, resolved_at, paused_seconds)


class _Banding:
    """`band_of` for the many complaints of one set of limits: each limit's due time is found
    by `WorkingCalendar.due_for_many` (a period in days counted once per day of receipt)."""

    def __init__(self, limits: Sequence[Period], calendar: WorkingCalendar) -> None:
        self.limits = [(Band(limit), calendar.due_for_many(limit)) for limit in limits]
        self.over = Band(limits[-1], over=True) if limits else None

    def band(self, received_at: datetime, resolved_at: datetime, paused_seconds: int) -> Band | None:
        decided = resolved_at - timedelta(seconds=paused_seconds)  # due + paused >= resolved
        for band, due in self.limits:
            if due(received_at) >= decided:
                return band
        return self.over


def _closure_bands(
    start: datetime, end: datetime, category: str | None, policies: ClockPolicies, calendar: WorkingCalendar,
    fixed: Sequence[Period] | None,
) -> tuple[dict[Band, int], int]:
    paused = (select(ComplaintClock.paused_seconds)
              .where(ComplaintClock.complaint_id == Complaint.id, ComplaintClock.kind == ClockKind.FINAL_RESPONSE)
              .scalar_subquery())
    rows = db.session.execute(
        select(Complaint.category, Complaint.received_at, Complaint.resolved_at, func.coalesce(paused, 0))
        .where(*_counted(category), _in(Complaint.resolved_at, start, end))
        .execution_options(yield_per=20_000)
    )
    counts: dict[Band, int] = {}
    if fixed is not None:
        for limit in fixed:
            counts[Band(limit)] = 0
        if fixed:
            counts[Band(fixed[-1], over=True)] = 0
    banding: dict[tuple[Period, ...], _Banding] = {}
    unbanded = 0
    for code, received_at, resolved_at, paused_seconds in rows:
        limits = tuple(fixed if fixed is not None else policies.for_category(code).closure_bands)
        if not limits:
            unbanded += 1
            continue
        of_limits = banding.get(limits)
        if of_limits is None:
            of_limits = banding[limits] = _Banding(limits, calendar)
            if fixed is None:  # a policy's bands appear together, in order
                for limit in limits:
                    counts.setdefault(Band(limit), 0)
                counts.setdefault(Band(limits[-1], over=True), 0)
        band = of_limits.band(received_at, resolved_at, int(paused_seconds or 0))
        counts[band] += 1  # type: ignore[index]
    return counts, unbanded


# --- the Gambling Commission's disputes --------------------------------------------------------


@dataclass(frozen=True)
class DisputeFigures:
    """The Gambling Commission return's counts of one period."""

    received: int
    disputes: int
    referred: int


def dispute_figures(start: datetime, end: datetime, *, category: str | None = None) -> DisputeFigures:
    """Complaints received, disputes that arose and disputes referred to ADR in the period
    (the module docstring says what a dispute is)."""

    def disputed(before: datetime, since: datetime | None = None) -> ColumnElement[bool]:
        def when(column: Any) -> ColumnElement[bool]:
            return column < before if since is None else _in(column, since, before)

        return or_(
            exists().where(CaseMessage.complaint_id == Complaint.id, CaseMessage.kind == MessageKind.DISPUTE,
                           when(CaseMessage.created_at)),
            exists().where(Escalation.complaint_id == Complaint.id, Escalation.to_tier > 1,
                           when(Escalation.escalated_at)),
            and_(Complaint.referred_at.is_not(None), when(Complaint.referred_at)),  # never NULL: NOT works
        )

    counted = _counted(category)
    received, arose, referred = (int(v or 0) for v in db.session.execute(
        select(
            _count_if(_in(Complaint.received_at, start, end)),
            _count_if(and_(disputed(end, start), ~disputed(start))),
            _count_if(_in(Complaint.referred_at, start, end)),
        ).where(*counted, Complaint.received_at < end)
    ).one())
    return DisputeFigures(received=received, disputes=arose, referred=referred)

"""Outcome, redress and closure-time figures of a period: what the regulators' returns
(app/returns) and the dashboard's and monthly report's "Outcomes" section count.

A period is [start, end) (aware moments; the callers make them from whole days in the
registry's time zone). Annulled and joined complaints (states.NOT_COUNTED: a record made by
mistake, a repeat answered with the complaint it was joined to) are never counted. Definitions:

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
  otherwise (app/clocks/bands.py). Time paused waiting for the complainant is thus left out.
  The band is fixed when the decision is made, by the policy and calendar in force then
  (`Complaint.closure_band`); a return's fixed bands (`bands=`) are counted afresh.
- *Extensions*: clocks extended (`extended_at`) in the period, by clock; *breaches*: breaches
  detected in the period, by deadline.
- *Disputes* (the Gambling Commission's "a complaint ... not resolved at the first stage"): a
  complaint becomes a dispute the first time the complainant disputes a response or decision
  (a "dispute" message), it is escalated beyond the first tier (an escalation), or it is
  referred to the ADR entity (`referred_at`), whichever comes first; a dispute counts in the
  period in which it became one. *Referred to ADR*: `referred_at` in the period.

The counts come from the weekly rollup (app/manage/outcome_rollup.py): its full weeks inside the
period, the days at the period's ends read live, so the cost follows the period's length in
weeks, not the registry's size. Only a return's fixed bands read the period's resolved
complaints one by one. No request, no Flask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from msgspec import Struct
from sqlalchemy import ColumnElement, Integer, and_, cast, exists, func, or_, select

from ..clocks.bands import Band, Banding, band_of
from ..clocks.calendar import WorkingCalendar
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockKind, ClockPolicies, Period
from ..complaints.models import Complaint, Resolution
from ..extensions import db
from ..workflow.models import CaseMessage, DeadlineKind, Escalation, MessageKind
from ..workflow.states import NOT_COUNTED
from . import outcome_rollup, rollup

__all__ = ["Band", "DisputeFigures", "OutcomeFigures", "band_of", "dispute_figures", "outcome_figures"]


class OutcomeFigures(Struct, frozen=True):
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
    #: Closure time bands in order: the bands of the policy of each category with a decision
    #: (categories by code), then any other band a decision holds; with `bands=`, those.
    bands: dict[Band, int]
    #: Resolved in the period without a band (its policy had no closure bands then).
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
    conditions: list[ColumnElement[bool]] = [Complaint.status.not_in(sorted(NOT_COUNTED))]
    if category is not None:
        conditions.append(Complaint.category == category)
    return conditions


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(cast(condition, Integer)), 0)


def outcome_figures(
    start: datetime, end: datetime, *, category: str | None = None, policies: ClockPolicies,
    calendar: WorkingCalendar, bands: Sequence[Period] | None = None,
) -> OutcomeFigures:
    """The period's figures; the closure bands are each decision's (by its category's policy
    when it was made), or `bands` for every complaint (a return's fixed bands)."""
    with rollup.snapshot():
        lines = outcome_rollup.counts(start, end, category)
        at_start = outcome_rollup.outstanding(start, category)
        at_end = outcome_rollup.outstanding(end, category)
        if bands is not None:
            banded, unbanded = _closure_bands(start, end, category, policies, calendar, bands)
    total: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        total[(line.measure, line.item)] += line.complaints
    outcomes = {resolution: total[(outcome_rollup.RESOLVED, resolution.value)] for resolution in Resolution}
    redress: dict[str, tuple[Decimal, int]] = {}
    for line in sorted((line for line in lines if line.measure == outcome_rollup.REDRESS), key=lambda x: x.item):
        paid, count = redress.get(line.item, (Decimal(0), 0))
        redress[line.item] = (paid + Decimal(line.cents) / 100, count + line.complaints)
    redress = {currency: (paid.quantize(Decimal("0.01")), count) for currency, (paid, count) in redress.items()
               if count}
    if bands is None:
        banded, unbanded = _stored_bands(lines, category, policies)
    extensions = {kind: total[(outcome_rollup.EXTENSION, kind.value)] for kind in ClockKind}
    breaches = {kind: total[(outcome_rollup.BREACH, kind.value)] for kind in DeadlineKind}
    return OutcomeFigures(
        start=start, end=end, category=category, opened=total[(outcome_rollup.RECEIVED, "")],
        closed=total[(outcome_rollup.CLOSED, "")], outstanding_at_start=at_start, outstanding_at_end=at_end,
        outcomes=outcomes, redress=redress, remedies=total[(outcome_rollup.REMEDY, "")], bands=banded,
        unbanded=unbanded,
        extensions={kind: count for kind, count in extensions.items() if count},
        breaches={kind: count for kind, count in breaches.items() if count},
    )


def _stored_bands(lines: list[outcome_rollup.Line], category: str | None,
                  policies: ClockPolicies) -> tuple[dict[Band, int], int]:
    """The bands the period's decisions were put in: each policy's bands in order (by category)
    for every category with a decision, then any other band a decision holds (a policy since
    changed), shortest first."""
    decided = [line for line in lines if line.measure == outcome_rollup.BAND and line.complaints]
    counts: dict[Band, int] = {}
    for code in sorted({line.category for line in decided}):
        limits = policies.for_category(code).closure_bands
        for limit in limits:
            counts.setdefault(Band(limit), 0)
        if limits:
            counts.setdefault(Band(limits[-1], over=True), 0)
    held = {Band.from_code(line.item) for line in decided if line.item}
    for band in sorted(held - counts.keys(), key=lambda b: (b.limit.unit.value, b.limit.amount, b.over)):
        counts[band] = 0
    unbanded = 0
    for line in decided:
        if line.item:
            counts[Band.from_code(line.item)] += line.complaints
        else:
            unbanded += line.complaints
    return counts, unbanded


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
    banding: dict[tuple[Period, ...], Banding] = {}
    unbanded = 0
    for code, received_at, resolved_at, paused_seconds in rows:
        limits = tuple(fixed if fixed is not None else policies.for_category(code).closure_bands)
        if not limits:
            unbanded += 1
            continue
        of_limits = banding.get(limits)
        if of_limits is None:
            of_limits = banding[limits] = Banding(limits, calendar)
            if fixed is None:  # a policy's bands appear together, in order
                for limit in limits:
                    counts.setdefault(Band(limit), 0)
                counts.setdefault(Band(limits[-1], over=True), 0)
        band = of_limits.band(received_at, resolved_at, int(paused_seconds or 0))
        counts[band] += 1  # type: ignore[index]
    return counts, unbanded


# --- the Gambling Commission's disputes --------------------------------------------------------


class DisputeFigures(Struct, frozen=True):
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

"""Deadline enforcement: find complaints whose deadline passed (or is due soon), record each
breach once, escalate, and queue the notifications.

Each complaint carries its next alarm (`next_check_at`, computed by deadlines.next_alarm), so
a pass reads only the complaints that have something due, through a partial index. Work is
done in batches, one transaction each: a pass can be interrupted and run again, and it picks
up where it stopped. Several passes at once are safe: on PostgreSQL each batch locks its rows
with FOR UPDATE SKIP LOCKED (another pass skips them, then finds their alarm moved on); on
SQLite the write lock serialises them. A breach row is unique per deadline, so even a bug
could not record (and escalate) one breach twice: it would fail loudly instead.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from msgspec import Struct, field
from sqlalchemy import ARRAY, Integer, any_, bindparam, select, text, tuple_, update

from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockKind
from ..clocks.running import ORDER, alarm, earliest, rule_of, signed_change, warning_at
from ..complaints.models import Complaint
from ..database import bulk_insert, commit_with_retry
from ..extensions import db
from ..notifications.models import NotificationKind
from ..notifications.queue import queue_rows
from ..registry.chain import append_entries
from ..registry.digest import iso_utc
from ..registry.models import EntryKind
from ..settings.tiers import TierPolicy
from .deadlines import FIRST_RESPONSE, DueWork, due_work, next_alarm
from .escalation import EscalationPlan, plan_escalation
from .models import Breach, DeadlineKind, Escalation, EscalationReason
from .operations import event_payload, state_of, to_responsible
from .staffing import unstaffed_notices

log = logging.getLogger(__name__)

_C = Complaint.__table__
_K = ComplaintClock.__table__
#: What the deadline rules read, and what a pass may change.
_READ = (
    _C.c.id, _C.c.number, _C.c.status, _C.c.tier, _C.c.owner_id, _C.c.received_at, _C.c.registered_at,
    _C.c.resolution_started_at, _C.c.first_response_due, _C.c.first_responded_at,
    _C.c.first_response_warned_at, _C.c.first_response_breached_at, _C.c.resolution_due,
    _C.c.resolution_warned_at, _C.c.next_check_at, _C.c.resolution, _C.c.resolved_at, _C.c.closed_at,
    _C.c.transfer_count, _C.c.contact_count, _C.c.redress_amount, _C.c.redress_currency, _C.c.redress_paid_at,
    _C.c.referred_at, _C.c.closure_band,
)
_WRITTEN = (
    "tier", "resolution_started_at", "resolution_due", "resolution_warned_at", "first_response_warned_at",
    "first_response_breached_at", "next_check_at",
)
_CLOCK_READ = (
    _K.c.id, _K.c.complaint_id, _K.c.kind, _K.c.rule, _K.c.started_at, _K.c.due_at, _K.c.paused_at,
    _K.c.paused_seconds, _K.c.extended_at,
    _K.c.warned_at, _K.c.met_at, _K.c.breached_at, _K.c.stopped_at, _K.c.next_check_at,
)
_UPDATE_CLOCK = (
    update(_K)
    .where(_K.c.id == bindparam("clock_id"))
    .values(warned_at=bindparam("new_warned_at"), breached_at=bindparam("new_breached_at"),
            next_check_at=bindparam("new_next_check_at"))
)
_UPDATE = (
    update(_C)
    .where(_C.c.id == bindparam("complaint_id"))
    .values({name: bindparam(f"new_{name}") for name in _WRITTEN})
)


class SweepStep(Struct, frozen=True):
    """One thing a pass did (or, in a dry run, would do) to one complaint: a breach recorded
    (and escalated below the top tier) or a due-soon warning sent."""

    number: str
    what: str  # "breach" or "warning"
    deadline: str  # "first_response" or "resolution"
    due_at: datetime
    from_tier: int
    to_tier: int | None  # the tier it rose to (breaches below the top tier)

    def __str__(self) -> str:
        due = iso_utc(self.due_at)
        if self.what == "warning":
            return f"{self.number}: {self.deadline} due soon (due {due})"
        rise = f", tier {self.from_tier} -> {self.to_tier}" if self.to_tier else f", stays at tier {self.from_tier}"
        return f"{self.number}: {self.deadline} deadline breached (due {due}){rise}"


class EnforcementReport(Struct):
    at: datetime
    dry_run: bool
    breaches: int = 0
    escalations: int = 0
    warnings: int = 0
    batches: int = 0
    steps: list[SweepStep] = field(default_factory=list)


def enforce(
    at: datetime, policy: TierPolicy, *, batch_size: int = 2000, dry_run: bool = False,
    on_step: Callable[[SweepStep], None] | None = None, in_unit_of_work: bool = False,
) -> EnforcementReport:
    """Do everything due at `at`, batch by batch, each batch committed on its own
    (`in_unit_of_work`: inside the caller's unit of work, which commits; the demo story writes
    months of handling in one transaction, app/journal/demo.py)."""
    report = EnforcementReport(at=at, dry_run=dry_run)
    if dry_run:
        _plan_all(at, policy, batch_size, report, on_step)
        return report
    run = (lambda work: work()) if in_unit_of_work else commit_with_retry
    while True:
        with _collector_paused():
            looked_at, changed, steps = run(lambda: _enforce_batch(at, policy, batch_size))
        report.batches += 1
        for step in steps:
            _count(report, step, on_step)
        if looked_at < batch_size:
            return report
        if not changed:  # a full batch with nothing to change would come back forever
            log.error("deadline enforcement: %d due complaints need nothing; stopping", looked_at)
            return report


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for one batch. A batch makes some hundred thousand
    small objects (rows, plans, payloads, outbox rows) that all live until its commit, and each
    of them counts towards the next collection: the full ones walk every object of the process
    again, several times a batch, for nothing (what a batch makes is freed by reference counting
    once it is written). Collection resumes after the batch, whose size bounds the memory."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _count(report: EnforcementReport, step: SweepStep, on_step: Callable[[SweepStep], None] | None) -> None:
    report.breaches += step.what == "breach"
    report.escalations += step.to_tier is not None
    report.warnings += step.what == "warning"
    if on_step:
        on_step(step)


def _due_rows(at: datetime, batch_size: int, *, lock: bool, after: tuple[datetime, int] | None = None) -> list[Any]:
    statement = (
        select(*_READ)
        .where(_C.c.next_check_at <= at)
        .order_by(_C.c.next_check_at, _C.c.id)
        .limit(batch_size)
    )
    if after is not None:
        statement = statement.where(tuple_(_C.c.next_check_at, _C.c.id) > tuple_(*after))
    if lock and db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=_C)
    return db.session.execute(statement).all()


def _plan_all(at: datetime, policy: TierPolicy, batch_size: int, report: EnforcementReport,
              on_step: Callable[[SweepStep], None] | None) -> None:
    after = None
    while rows := _due_rows(at, batch_size, lock=False, after=after):
        report.batches += 1
        clocks = _clocks_of(rows)
        for row in rows:
            plan = _plan(row, clocks.get(row.id, []), at, policy)
            for step in plan.steps if plan is not None else ():
                report.steps.append(step.step)
                _count(report, step.step, on_step)
        after = (rows[-1].next_check_at, rows[-1].id)
        if len(rows) < batch_size:
            return


class _Step(Struct):
    """One breach or warning planned for one complaint."""

    step: SweepStep
    breach: dict | None = None
    event: dict | None = None  # signed event payload
    escalation: EscalationPlan | None = None


class _Plan(Struct):
    state: SimpleNamespace  # the complaint's deadline columns after its steps
    clocks: list[SimpleNamespace]  # its regulatory clocks that changed
    steps: list[_Step] = field(default_factory=list)
    notifications: list[dict] = field(default_factory=list)


#: More than a complaint can ever have due at once (two deadlines and four clocks): a guard.
_MAX_STEPS = 8


def _plan(row: Any, clocks: list[SimpleNamespace], at: datetime, policy: TierPolicy) -> _Plan | None:
    """What to do for one complaint: every step due at `at`, one after the other (a breach wins
    over a warning, the complaint's own deadlines over its clocks), as pure computation from its
    row, its clocks' rows, the moment and the policy. None: nothing to write."""
    plan = _Plan(SimpleNamespace(**row._mapping), [])
    changed: dict[int, SimpleNamespace] = {}
    for _ in range(_MAX_STEPS):
        step = _complaint_step(plan, at, policy) or _clock_step(plan, clocks, changed, at, policy)
        if step is None:
            break
        plan.steps.append(step)
    state = plan.state
    state.next_check_at = earliest([next_alarm(state, policy),
                                    *(alarm(clock, policy.due_soon_fraction) for clock in clocks)])
    plan.clocks = list(changed.values())
    if not plan.steps and state.next_check_at == row.next_check_at:
        return None  # nothing due (the rules changed, or the row was answered since), nor to re-arm
    return plan


def _complaint_step(plan: _Plan, at: datetime, policy: TierPolicy) -> _Step | None:
    state = plan.state
    work: DueWork = due_work(state, at, policy)
    if not work:
        return None
    if work.warn:
        due = state.first_response_due if work.warn == FIRST_RESPONSE else state.resolution_due
        setattr(state, f"{work.warn}_warned_at", at)
        plan.notifications.append(
            to_responsible(state, NotificationKind.DUE_SOON, at, deadline=work.warn, due_at=iso_utc(due)))
        return _Step(SweepStep(state.number, "warning", work.warn, due, state.tier, None))
    kind = DeadlineKind(work.breach)
    due = state.first_response_due if kind == DeadlineKind.FIRST_RESPONSE else state.resolution_due
    if kind == DeadlineKind.FIRST_RESPONSE:
        state.first_response_breached_at = at
    reason = (EscalationReason.FIRST_RESPONSE_BREACH if kind == DeadlineKind.FIRST_RESPONSE
              else EscalationReason.RESOLUTION_BREACH)
    step = _breach(plan, kind, due, reason, at, policy, escalates=True)
    if step.escalation is None and kind == DeadlineKind.RESOLUTION:
        state.resolution_due = None  # the top tier has no further deadline to miss
    return step


def _clock_step(plan: _Plan, clocks: list[SimpleNamespace], changed: dict[int, SimpleNamespace], at: datetime,
                policy: TierPolicy) -> _Step | None:
    fraction = policy.due_soon_fraction
    running = [c for c in clocks if c.met_at is None and c.stopped_at is None and c.paused_at is None
               and c.breached_at is None]
    for clock in running:
        if at >= clock.due_at:
            clock.breached_at = at
            changed[clock.id] = clock
            return _breach(plan, DeadlineKind(clock.kind), clock.due_at, EscalationReason.CLOCK_BREACH, at, policy,
                           escalates=_escalates(clock.rule), clock=clock)
    for clock in running:
        if clock.warned_at is None and at >= warning_at(clock, fraction):
            clock.warned_at = at
            changed[clock.id] = clock
            kind = ClockKind(clock.kind).value
            plan.notifications.append(to_responsible(plan.state, NotificationKind.DUE_SOON, at, deadline=kind,
                                                     due_at=iso_utc(clock.due_at)))
            return _Step(SweepStep(plan.state.number, "warning", kind, clock.due_at, plan.state.tier, None))
    return None


@lru_cache(maxsize=64)
def _escalates(rule: str) -> bool:
    """Whether a clock started with the rule JSON `rule` escalates when breached (running.rule_of
    reads it); a pass breaches thousands of clocks that share a few rules, so each is read once."""
    return rule_of(SimpleNamespace(rule=rule)).escalates


def _breach(plan: _Plan, kind: DeadlineKind, due: datetime, reason: EscalationReason, at: datetime,
            policy: TierPolicy, *, escalates: bool, clock: SimpleNamespace | None = None) -> _Step:
    """A passed deadline: recorded once (its breach row and signed event), its tier told, and
    the complaint escalated to the next tier where the deadline escalates and there is one."""
    state = plan.state
    from_tier = state.tier
    to_tier = policy.next_level(from_tier) if escalates else None
    plan.notifications.append(to_responsible(state, NotificationKind.BREACH, at, deadline=kind.value,
                                             due_at=iso_utc(due), tier=from_tier))
    escalation = None
    if to_tier is not None:
        escalation = plan_escalation(state, to_tier, reason, note=None, by_id=None, at=at, policy=policy)
        vars(state).update(escalation.changes)
        plan.notifications.extend(escalation.notices)
    event = event_payload(
        state.number, "deadline_breached", by=None, at=at,
        state=state_of(state),
        deadline={"kind": kind.value, "due_at": iso_utc(due), "tier": from_tier},
        escalation=escalation.signed if escalation else None,
        **({"clocks": [signed_change(clock, "breached")]} if clock is not None else {}),
    )
    breach = {"complaint_id": state.id, "kind": kind, "tier": from_tier, "due_at": due, "detected_at": at}
    return _Step(SweepStep(state.number, "breach", kind.value, due, from_tier, to_tier), breach=breach,
                 event=event, escalation=escalation)


#: PostgreSQL: the whole batch's changes in one statement, the new values as parallel arrays.
# Built from the constant column names above; every value is a bound parameter.
_UPDATE_FROM_ARRAYS = text(
    "UPDATE complaints AS c SET "  # noqa: S608
    + ", ".join(f"{name} = v.{name}" for name in _WRITTEN)
    + " FROM unnest(CAST(:ids AS integer[]), CAST(:tier AS integer[]), "
    + ", ".join(f"CAST(:{name} AS timestamptz[])" for name in _WRITTEN[1:])
    + ") AS v(id, " + ", ".join(_WRITTEN) + ") WHERE c.id = v.id"
)


def _update_complaints(states: list[SimpleNamespace]) -> None:
    """Write the new deadline columns of a batch of complaints."""
    if db.session.get_bind().dialect.name == "postgresql":
        params = {"ids": [state.id for state in states]}
        params |= {name: [getattr(state, name) for state in states] for name in _WRITTEN}
        db.session.execute(_UPDATE_FROM_ARRAYS, params)
        return
    db.session.execute(_UPDATE, [
        {"complaint_id": state.id, **{f"new_{name}": getattr(state, name) for name in _WRITTEN}}
        for state in states
    ])


def _clocks_of(rows: list[Any]) -> dict[int, list[SimpleNamespace]]:
    """The regulatory clocks with an alarm of the complaints in `rows` (their rows locked, so no
    one else changes their clocks meanwhile), per complaint, in the order they are enforced."""
    if not rows:
        return {}
    ids = [row.id for row in rows]
    # PostgreSQL: one array parameter, not a placeholder per complaint (thousands to parse).
    of_rows = (_K.c.complaint_id == any_(bindparam("ids", ids, type_=ARRAY(Integer)))
               if db.session.get_bind().dialect.name == "postgresql" else _K.c.complaint_id.in_(ids))
    found = db.session.execute(select(*_CLOCK_READ).where(of_rows, _K.c.next_check_at.is_not(None))).all()
    clocks: dict[int, list[SimpleNamespace]] = {}
    for clock in sorted(found, key=lambda c: (ORDER.index(ClockKind(c.kind)), c.id)):
        clocks.setdefault(clock.complaint_id, []).append(SimpleNamespace(**clock._mapping))
    return clocks


#: PostgreSQL: the batch's clock changes in one statement, like `_UPDATE_FROM_ARRAYS`.
_UPDATE_CLOCKS_FROM_ARRAYS = text(
    "UPDATE complaint_clocks AS k SET warned_at = v.warned_at, breached_at = v.breached_at, "
    "next_check_at = v.next_check_at "
    "FROM unnest(CAST(:ids AS integer[]), CAST(:warned_at AS timestamptz[]), CAST(:breached_at AS timestamptz[]), "
    "CAST(:next_check_at AS timestamptz[])) AS v(id, warned_at, breached_at, next_check_at) WHERE k.id = v.id"
)


def _update_clocks(clocks: list[SimpleNamespace], fraction: float) -> None:
    """Write the warnings, breaches and new alarms of a batch's changed clocks."""
    if not clocks:
        return
    alarms = [alarm(clock, fraction) for clock in clocks]
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_UPDATE_CLOCKS_FROM_ARRAYS, {
            "ids": [clock.id for clock in clocks], "warned_at": [clock.warned_at for clock in clocks],
            "breached_at": [clock.breached_at for clock in clocks], "next_check_at": alarms,
        })
        return
    db.session.execute(_UPDATE_CLOCK, [
        {"clock_id": clock.id, "new_warned_at": clock.warned_at, "new_breached_at": clock.breached_at,
         "new_next_check_at": moment} for clock, moment in zip(clocks, alarms, strict=True)
    ])


def _enforce_batch(at: datetime, policy: TierPolicy, batch_size: int) -> tuple[int, int, list[SweepStep]]:
    """One transaction: lock a batch of due complaints, plan each, write everything in bulk.
    Returns how many complaints it looked at, how many it changed, and what it did."""
    rows = _due_rows(at, batch_size, lock=True)
    clocks = _clocks_of(rows)
    plans = [plan for row in rows if (plan := _plan(row, clocks.get(row.id, []), at, policy)) is not None]
    if not plans:
        return len(rows), 0, []
    _update_complaints([plan.state for plan in plans])
    _update_clocks([clock for plan in plans for clock in plan.clocks], policy.due_soon_fraction)
    queue_rows([row for plan in plans for row in plan.notifications]
               + unstaffed_notices((notice for plan in plans for step in plan.steps if step.escalation
                                    for notice in step.escalation.notices), policy))
    # The chain head is locked from here to the commit: registrations wait, so it comes last.
    signed = [(plan, step) for plan in plans for step in plan.steps if step.event]
    entries = append_entries(EntryKind.EVENT, [(step.event, plan.state.id) for plan, step in signed])
    recorded = [(step, entry) for (_, step), entry in zip(signed, entries, strict=True)]
    bulk_insert(Breach.__table__, [{**step.breach, "entry_position": entry["position"]} for step, entry in recorded])
    bulk_insert(Escalation.__table__, [
        {**step.escalation.row, "entry_position": entry["position"]} for step, entry in recorded if step.escalation
    ])
    steps = [step.step for plan in plans for step in plan.steps]
    log.info("deadline enforcement at %s: %d complaints, %d steps", iso_utc(at), len(rows), len(steps))
    return len(rows), len(plans), steps

"""The weekly rollup of the outcome figures (app/manage/outcomes.py): how they stay bounded by
the period they show, and exact.

`outcome_weeks` holds, per ISO week (the registry's time zone, as `figure_weeks` keys it),
category, *measure* and *item*, a count of complaints and, for the redress, the amount paid in
cents. Each complaint, regulatory clock and breach counts in the week of its moment:

  received   received_at                    item ''
  closed     closed_at                      item ''
  resolved   resolved_at                    item: the resolution
  remedy     resolved_at, with a remedy     item ''
  band       resolved_at                    item: the closure band's code ('' unbanded)
  redress    redress_paid_at                item: the currency (and the cents paid)
  extension  complaint_clocks.extended_at   item: the clock's kind
  breach     breaches.detected_at           item: the deadline's kind

Annulled complaints never count. Triggers (the migration `outcome_rollups`) keep it in the same
transaction as the change, on SQLite at once and on PostgreSQL through `outcome_deltas`, folded
at the commit. A period's figures add the rollup's full weeks inside it and read the days at its
ends live (`counts`); the complaints outstanding at a moment are those received before it less
those resolved before it (`outstanding`), every full week before it from the rollup.

`recomputed()` computes the lines from scratch (the tests compare them with `stored()`);
`rebuild()` replaces them (`flask figures rebuild`, after the time zone changed or a bulk load
bypassed the triggers); `fill_closure_bands()` sets the band of decided complaints that have
none (a bulk load's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Index,
    Integer,
    Select,
    String,
    and_,
    delete,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    true,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..clocks.bands import Banding
from ..clocks.calendar import WorkingCalendar
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockKind, ClockPolicies
from ..complaints.models import Complaint, ComplaintStatus
from ..extensions import db
from ..workflow.models import Breach
from . import rollup
from .models import FigureWeek


class OutcomeWeek(db.Model):
    """One line of the rollup. Written by the database's triggers only."""

    __tablename__ = "outcome_weeks"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(BigInteger)


class OutcomeDelta(db.Model):
    """PostgreSQL: a contribution written by a transaction, folded into the rollup at its commit."""

    __tablename__ = "outcome_deltas"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    txid: Mapped[int] = mapped_column(BigInteger, index=True)
    monday: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(50))
    measure: Mapped[str] = mapped_column(String(12))
    item: Mapped[str] = mapped_column(String(32))
    complaints: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(BigInteger)


#: Clocks extended, read live by the moment of the extension at a period's ends (few: partial).
Index("ix_complaint_clocks_extended_at", ComplaintClock.extended_at,
      postgresql_where=text("extended_at IS NOT NULL"), sqlite_where=text("extended_at IS NOT NULL"))

RECEIVED, CLOSED, RESOLVED, REMEDY, BAND, REDRESS, EXTENSION, BREACH = (
    "received", "closed", "resolved", "remedy", "band", "redress", "extension", "breach")


def _has_remedy() -> ColumnElement[bool]:
    return func.length(func.trim(func.coalesce(Complaint.redress_remedy, ""))) > 0


def _cents() -> Any:
    return func.round(Complaint.redress_amount * 100)


#: measure -> (its moment, its item, a further condition or None, the cents or None)
_COMPLAINT_MEASURES: dict[str, tuple[Any, Any, Any, Any]] = {
    RECEIVED: (Complaint.received_at, None, None, None),
    CLOSED: (Complaint.closed_at, None, None, None),
    RESOLVED: (Complaint.resolved_at, Complaint.resolution, None, None),
    REMEDY: (Complaint.resolved_at, None, _has_remedy, None),
    BAND: (Complaint.resolved_at, Complaint.closure_band, None, None),
    REDRESS: (Complaint.redress_paid_at, Complaint.redress_currency,
              lambda: and_(Complaint.redress_amount.is_not(None), Complaint.redress_currency.is_not(None)), _cents),
}
#: measure -> (table, its moment, its item)
_DEPENDENT_MEASURES: dict[str, tuple[Any, Any, Any]] = {
    EXTENSION: (ComplaintClock, ComplaintClock.extended_at, ComplaintClock.kind),
    BREACH: (Breach, Breach.detected_at, Breach.kind),
}


def _lines(measures: Iterable[str], moment_in: Any, category: str | None, *, weekly: bool = False) -> Any:
    """(measure, category, item, complaints, cents) [and monday, with `weekly`] per measure of
    the complaints, clocks and breaches whose moment satisfies `moment_in(column)`."""
    selects = []
    for measure in measures:
        counted: list[Any] = [Complaint.status != ComplaintStatus.ANNULLED]
        if category is not None:
            counted.append(Complaint.category == category)
        if measure in _COMPLAINT_MEASURES:
            moment, item, condition, cents = _COMPLAINT_MEASURES[measure]
            where = [*counted, moment.is_not(None), moment_in(moment)] + ([condition()] if condition else [])
            frm = None
        else:
            table, moment, item = _DEPENDENT_MEASURES[measure]
            cents = None
            where = [*counted, moment.is_not(None), moment_in(moment)]
            frm = table.__table__.join(Complaint, Complaint.id == table.complaint_id)
        # Constants written out, not bound (and not grouped by: PostgreSQL refuses a constant there).
        empty = literal_column("''")
        item_of = func.coalesce(type_coerce(item, String()), empty) if item is not None else empty
        monday = _week_of(moment)
        statement = select(
            literal_column(f"'{measure}'").label("measure"), Complaint.category.label("category"),
            item_of.label("item"), *([monday.label("monday")] if weekly else []),
            func.count().label("complaints"),
            (func.coalesce(func.sum(cents()), literal_column("0")) if cents else literal_column("0")).label("cents"))
        if frm is not None:
            statement = statement.select_from(frm)
        grouped = [Complaint.category, *([item_of] if item is not None else []), *([monday] if weekly else [])]
        selects.append(statement.where(*where).group_by(*grouped))
    return union_all(*selects)


def _week_of(moment: Any) -> Any:
    return (select(FigureWeek.monday).where(FigureWeek.starts <= moment)
            .order_by(FigureWeek.starts.desc()).limit(1).scalar_subquery())


ALL = (RECEIVED, CLOSED, RESOLVED, REMEDY, BAND, REDRESS, EXTENSION, BREACH)


@dataclass(frozen=True)
class Line:
    measure: str
    category: str
    item: str
    complaints: int
    cents: int


def _rows(statement: Any) -> list[Line]:
    return [Line(m, c, str(i), int(n or 0), int(cents or 0)) for m, c, i, n, cents in rollup.reader().execute(statement)]


def _week_starting(moment: datetime, *, on_or_after: bool) -> tuple[date, datetime] | None:
    """The first week starting at or after `moment`, or the last starting at or before it."""
    statement = select(FigureWeek.monday, FigureWeek.starts)
    statement = (statement.where(FigureWeek.starts >= moment).order_by(FigureWeek.starts) if on_or_after
                 else statement.where(FigureWeek.starts <= moment).order_by(FigureWeek.starts.desc()))
    row = rollup.reader().execute(statement.limit(1)).first()
    return (row.monday, row.starts) if row is not None else None


def _kept() -> bool:
    """The rollup is kept for the weeks figure_weeks holds (its time zone is the registry's)."""
    return rollup.zone() is not None


def _from_rollup(where: list[Any], measures: Iterable[str], category: str | None) -> Any:
    conditions = [*where, OutcomeWeek.measure.in_(list(measures))]
    if category is not None:
        conditions.append(OutcomeWeek.category == category)
    return (select(OutcomeWeek.measure, OutcomeWeek.category, OutcomeWeek.item, func.sum(OutcomeWeek.complaints),
                   func.sum(OutcomeWeek.cents))
            .where(*conditions).group_by(OutcomeWeek.measure, OutcomeWeek.category, OutcomeWeek.item))


def counts(start: datetime, end: datetime, category: str | None, measures: Iterable[str] = ALL) -> list[Line]:
    """The lines of [start, end): the rollup's full weeks inside it, the days at its ends live."""
    measures = list(measures)
    first = _week_starting(start, on_or_after=True) if _kept() else None
    last = _week_starting(end, on_or_after=False) if first is not None else None
    if first is None or last is None or first[1] >= last[1]:  # no full week: all of it live
        return _rows(_lines(measures, lambda m: and_(m >= start, m < end), category))
    weeks = [OutcomeWeek.monday >= first[0], OutcomeWeek.monday < last[0]]
    lines = _rows(_from_rollup(weeks, measures, category))
    ends = [(a, b) for a, b in ((start, first[1]), (last[1], end)) if a < b]
    if ends:
        lines += _rows(_lines(measures, lambda m: or_(*(and_(m >= a, m < b) for a, b in ends)), category))
    return _merged(lines)


def before(moment: datetime, category: str | None, measures: Iterable[str]) -> list[Line]:
    """The lines of everything before `moment`: every full week before its week from the rollup,
    the rest of its week live."""
    measures = list(measures)
    week = _week_starting(moment, on_or_after=False) if _kept() else None
    if week is None:
        return _rows(_lines(measures, lambda m: m < moment, category))
    return _merged(_rows(_from_rollup([OutcomeWeek.monday < week[0]], measures, category))
                   + _rows(_lines(measures, lambda m: and_(m >= week[1], m < moment), category)))


def _merged(lines: list[Line]) -> list[Line]:
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        total = sums[(line.measure, line.category, line.item)]
        total[0] += line.complaints
        total[1] += line.cents
    return [Line(*key, n, cents) for key, (n, cents) in sums.items()]


def outstanding(moment: datetime, category: str | None) -> int:
    """Complaints received before `moment` and not resolved before it (not annulled)."""
    lines = before(moment, category, (RECEIVED, RESOLVED))
    return (sum(line.complaints for line in lines if line.measure == RECEIVED)
            - sum(line.complaints for line in lines if line.measure == RESOLVED))


# --- from scratch ----------------------------------------------------------------------------


COLUMNS = ("monday", "category", "measure", "item", "complaints", "cents")


def recomputed() -> Select:
    """Every line of the rollup with a complaint, computed from the complaints, clocks, breaches."""
    lines = _lines(ALL, lambda m: true(), None, weekly=True).subquery("l")
    return (select(lines.c.monday, lines.c.category, lines.c.measure, lines.c.item,
                   func.sum(lines.c.complaints), func.sum(lines.c.cents))
            .where(lines.c.monday.is_not(None))
            .group_by(lines.c.monday, lines.c.category, lines.c.measure, lines.c.item))


def stored() -> Select:
    """The stored lines with a complaint (lines counted down to zero are kept, unread)."""
    return select(*(getattr(OutcomeWeek, c) for c in COLUMNS)).where(
        or_(OutcomeWeek.complaints != 0, OutcomeWeek.cents != 0))


def rebuild() -> None:
    """Recompute the rollup (in the caller's transaction, after figure_weeks is rebuilt;
    PostgreSQL: lock the counted tables against changes meanwhile)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE complaints, complaint_clocks, breaches IN SHARE ROW EXCLUSIVE MODE"))
    db.session.execute(delete(OutcomeWeek))
    db.session.execute(insert(OutcomeWeek).from_select(list(COLUMNS), recomputed()))


def fill_closure_bands(policies: ClockPolicies, calendar: WorkingCalendar, batch: int = 20_000) -> int:
    """Set the closure band of every decided complaint that has none, by `policies` and
    `calendar` (a bulk load's complaints; the triggers move them to their band). Returns how
    many were set."""
    paused = (select(ComplaintClock.paused_seconds)
              .where(ComplaintClock.complaint_id == Complaint.id, ComplaintClock.kind == ClockKind.FINAL_RESPONSE)
              .scalar_subquery())
    banding: dict[tuple[Any, ...], Banding] = {}
    last, done = 0, 0
    while True:
        rows = db.session.execute(
            select(Complaint.id, Complaint.category, Complaint.received_at, Complaint.resolved_at,
                   func.coalesce(paused, 0))
            .where(Complaint.resolved_at.is_not(None), Complaint.closure_band.is_(None), Complaint.id > last)
            .order_by(Complaint.id).limit(batch)).all()
        if not rows:
            return done
        changes = []
        for complaint_id, code, received_at, resolved_at, paused_seconds in rows:
            limits = tuple(policies.for_category(code).closure_bands)
            if limits:
                of_limits = banding.get(limits) or banding.setdefault(limits, Banding(limits, calendar))
                band = of_limits.band(received_at, resolved_at, int(paused_seconds or 0))
                changes.append({"id": complaint_id, "closure_band": band.code})  # type: ignore[union-attr]
        if changes:
            db.session.execute(update(Complaint), changes)
            done += len(changes)
        last = rows[-1][0]

"""The rollups of the outcome figures (app/manage/outcomes.py): how they stay bounded by the
period they show, and exact.

`outcome_days` and `outcome_weeks` hold, per local day (and per ISO week, by its Monday) in the
time zone of the dashboard's rollups (`local_days`: each day's first moment), category,
*measure* and *item*, a count of complaints and, for the redress, the amount paid in cents.
Each complaint, regulatory clock and breach counts on the day of its moment:

  received   received_at                    item ''
  closed     closed_at                      item ''
  resolved   resolved_at                    item: the resolution
  remedy     resolved_at, with a remedy     item ''
  band       resolved_at                    item: the closure band's code ('' unbanded)
  redress    redress_paid_at                item: the currency (and the cents paid)
  extension  complaint_clocks.extended_at   item: the clock's kind
  breach     breaches.detected_at           item: the deadline's kind
  rated_tier  complaint_ratings.rated_at    item: the tier the rating was given at
  rated_owner complaint_ratings.rated_at    item: the owner's id then ('' none)
  template    answer_template_uses.used_at  item: the template version's id; category ''

The two rating measures count the complainants' ratings (app/manage/satisfaction.py) by the
category, tier and owner kept on each rating, and hold the sum of their scores where the others
hold cents; a rating is never changed, whatever becomes of its complaint (migration
`rating_rollups`). The template uses are counted for every category at once (migration
`template_use_rollups`). Annulled complaints never count in the other measures. Triggers (the
migration `outcome_rollups`) keep both in the same transaction as the change, on SQLite at once
and on PostgreSQL through `outcome_deltas`, folded at the commit; `outcome_week_years` sums the weeks per ISO year (migration
`figure_years`: triggers on outcome_weeks). A period's figures (`counts`) add the whole ISO years
inside it from the years, the other full weeks from the weeks, the full days at its ends from the
days, and read only the part of a day at each end live, or that day's line less the rest of the
day when the rest is the shorter part (none when the period is whole days; a period ending now,
after midday, reads today's line less nothing); the complaints outstanding at a moment are those received before it less those
resolved before it (`outstanding`), so the years before it and at most a year of weeks. Exact
whatever the time zone: every moment is counted once, in a rollup or live.

`recomputed_days()` / `recomputed_weeks()` / `recomputed_years()` compute the lines from scratch
(the tests compare them with `stored_days()` / `stored_weeks()` / `stored_years()`); `rebuild()`
replaces them (`flask figures rebuild`: after the time zone changed, or a bulk load bypassed the
triggers); `fill_closure_bands()` sets the band of decided complaints that have none (a bulk load's).
"""


from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from msgspec import Struct
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Index,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    cast,
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

from ..answers.models import AnswerTemplateUse
from ..clocks.bands import Banding
from ..clocks.calendar import WorkingCalendar
from ..clocks.models import ComplaintClock
from ..clocks.policy import ClockKind, ClockPolicies
from ..complaints.models import Complaint
from ..database import UTCDateTime
from ..extensions import db
from ..workflow.models import Breach
from ..workflow.states import NOT_COUNTED
from ..workflow.verdict_models import Rating
from . import rollup


class LocalDay(db.Model):
    """A local day (the rollups' time zone) and the moment it starts."""

    __tablename__ = "local_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    starts: Mapped[datetime] = mapped_column(UTCDateTime(), unique=True)


class OutcomeDay(db.Model):
    """One line of the daily rollup. Written by the database's triggers only."""

    __tablename__ = "outcome_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(BigInteger)


class OutcomeWeek(db.Model):
    """One line of the weekly rollup (ISO weeks, by their Monday). Written by the triggers only."""

    __tablename__ = "outcome_weeks"

    monday: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    measure: Mapped[str] = mapped_column(String(12), primary_key=True)
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    complaints: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(BigInteger)


class OutcomeWeekYear(db.Model):
    """outcome_weeks' lines summed per ISO year of their Monday (each ISO year is whole weeks):
    kept from the weekly lines by triggers on outcome_weeks (migration `figure_years`). Named
    to sort before outcome_weeks: the tests empty the tables in reverse order of their names."""

    __tablename__ = "outcome_week_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
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
    day: Mapped[date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(50))
    measure: Mapped[str] = mapped_column(String(12))
    item: Mapped[str] = mapped_column(String(32))
    complaints: Mapped[int] = mapped_column(Integer)
    cents: Mapped[int] = mapped_column(BigInteger)


class OutcomePending(db.Model):
    """PostgreSQL: a transaction with deltas; its row's deferred trigger folds them at the commit."""

    __tablename__ = "outcome_pending"

    txid: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)


#: Clocks extended, read live by the moment of the extension at a period's ends (few: partial).
Index("ix_complaint_clocks_extended_at", ComplaintClock.extended_at,
      postgresql_where=text("extended_at IS NOT NULL"), sqlite_where=text("extended_at IS NOT NULL"))

RECEIVED, CLOSED, RESOLVED, REMEDY, BAND, REDRESS, EXTENSION, BREACH = (
    "received", "closed", "resolved", "remedy", "band", "redress", "extension", "breach")
RATED_TIER, RATED_OWNER = "rated_tier", "rated_owner"
#: The letters started from an answer template (app/manage/template_usage.py), counted for every category
#: at once (category ''): the analysis counts them by category live (migration `template_use_rollups`).
TEMPLATE_USED = "template"


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


#: measure -> its item, for the ratings (the category is the rating's own too).
_RATING_MEASURES: dict[str, Any] = {
    RATED_TIER: cast(Rating.tier, String),
    RATED_OWNER: func.coalesce(cast(Rating.owner_id, String), literal_column("''")),
}


def _row_lines(measure: str, moment: Any, moment_in: Any, item: Any, *, daily: bool, category: Any = None,
               cents: Any = None, where: Iterable[Any] = ()) -> Select:
    """(measure, category, item, rows, cents) [and day] of the rows of another table (ratings,
    template uses) whose `moment` satisfies `moment_in(column)`: the rows counted, and the sum
    of `cents` (0 when None); `category` is their category column (None: '', every category)."""
    day = _day_of(moment)
    category_of = literal_column("''") if category is None else category
    return (select(literal_column(f"'{measure}'").label("measure"), category_of.label("category"),
                   item.label("item"), *([day.label("day")] if daily else []), func.count().label("complaints"),
                   (literal_column("0") if cents is None else func.sum(cents)).label("cents"))
            .where(moment_in(moment), *where)
            .group_by(*([] if category is None else [category]), item, *([day] if daily else [])))


def _lines(measures: Iterable[str], moment_in: Any, category: str | None, *, daily: bool = False) -> Any:
    """(measure, category, item, complaints, cents) [and day, with `daily`] per measure of
    the complaints, clocks, breaches, ratings and template uses whose moment satisfies
    `moment_in(column)`."""
    selects = []
    for measure in measures:
        if measure == TEMPLATE_USED:
            if category is not None:
                raise ValueError("template uses are counted for every category at once")
            selects.append(_row_lines(measure, AnswerTemplateUse.used_at, moment_in,
                                      cast(AnswerTemplateUse.version_id, String), daily=daily))
            continue
        if measure in _RATING_MEASURES:  # the sum of the scores where the others hold cents
            selects.append(_row_lines(measure, Rating.rated_at, moment_in, _RATING_MEASURES[measure], daily=daily,
                                      category=Rating.category, cents=Rating.score,
                                      where=[Rating.category == category] if category is not None else []))
            continue
        counted: list[Any] = [Complaint.status.not_in(sorted(NOT_COUNTED))]
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
        day = _day_of(moment)
        statement = select(
            literal_column(f"'{measure}'").label("measure"), Complaint.category.label("category"),
            item_of.label("item"), *([day.label("day")] if daily else []),
            func.count().label("complaints"),
            (func.coalesce(func.sum(cents()), literal_column("0")) if cents else literal_column("0")).label("cents"))
        if frm is not None:
            statement = statement.select_from(frm)
        grouped = [Complaint.category, *([item_of] if item is not None else []), *([day] if daily else [])]
        selects.append(statement.where(*where).group_by(*grouped))
    return union_all(*selects)


def _day_of(moment: Any) -> Any:
    return (select(LocalDay.day).where(LocalDay.starts <= moment)
            .order_by(LocalDay.starts.desc()).limit(1).scalar_subquery())


ALL = (RECEIVED, CLOSED, RESOLVED, REMEDY, BAND, REDRESS, EXTENSION, BREACH)
RATINGS = (RATED_TIER, RATED_OWNER)
USES = (TEMPLATE_USED,)


class Line(Struct, frozen=True):
    measure: str
    category: str
    item: str
    complaints: int
    cents: int


def _rows(statement: Any) -> list[Line]:
    return [Line(m, c, str(i), int(n or 0), int(cents or 0)) for m, c, i, n, cents in rollup.reader().execute(statement)]


def _day_starting(moment: datetime, *, on_or_after: bool) -> tuple[date, datetime] | None:
    """The first local day starting at or after `moment`, or the last starting at or before it."""
    return rollup.starting(LocalDay.day, LocalDay.starts, moment, on_or_after=on_or_after)


def _kept() -> bool:
    """The rollups are kept (the migration made them; else everything is read live)."""
    return rollup.zone() is not None


def _from_rollups(first: date | None, last: date, measures: list[str], category: str | None) -> list[Line]:
    """The lines of the local days [first, last) (None: since the beginning): the whole ISO
    years among them from outcome_week_years, the other full ISO weeks from outcome_weeks, the
    other days from outcome_days."""
    weeks_from = rollup.monday_of(first + timedelta(days=6)) if first is not None else None  # first Monday >= first
    weeks_to = rollup.monday_of(last)
    spans: list[tuple[Any, Any, Any]] = []
    if weeks_from is None or weeks_from < weeks_to:
        years, weeks = rollup.year_spans(weeks_from, weeks_to - timedelta(days=7))
        if years is not None:
            spans.append((OutcomeWeekYear.year, years[0], years[1] + 1))  # type: ignore[operator]  (`last` bounds them)
        spans += [(OutcomeWeek.monday, since, until + timedelta(days=7))  # type: ignore[operator]
                  for since, until in weeks]
        if first is not None and first < weeks_from:  # type: ignore[operator]
            spans.append((OutcomeDay.day, first, weeks_from))  # type: ignore[arg-type]
        spans.append((OutcomeDay.day, weeks_to, last))
    else:
        spans.append((OutcomeDay.day, first, last))
    selects = []
    for column, since, until in spans:
        if since is not None and since >= until:
            continue
        table = column.class_
        where = [column < until, table.measure.in_(measures)] + ([column >= since] if since is not None else [])
        if category is not None:
            where.append(table.category == category)
        selects.append(select(table.measure, table.category, table.item, func.sum(table.complaints).label("n"),
                              func.sum(table.cents).label("cents"))
                       .where(*where).group_by(table.measure, table.category, table.item))
    return _rows(union_all(*selects)) if selects else []


def counts(start: datetime, end: datetime, category: str | None, measures: Iterable[str] = ALL) -> list[Line]:
    """The lines of [start, end): its local days from the rollups, the rest live (`_ends`)."""
    measures = list(measures)
    ends = _ends(start, end) if _kept() else None
    if ends is None:
        return _rows(_lines(measures, lambda m: and_(m >= start, m < end), category))
    first, last, added, taken = ends
    return _summed(_from_rollups(first, last, measures, category) if first < last else [],
                   measures, category, added, taken)


def before(moment: datetime, category: str | None, measures: Iterable[str]) -> list[Line]:
    """The lines of everything before `moment`: the local days before it from the rollups (its
    own day too when the rest of that day is the shorter part, less that rest), the rest live."""
    measures = list(measures)
    end = _end(moment) if _kept() else None
    if end is None:
        return _rows(_lines(measures, lambda m: m < moment, category))
    last, added, taken = end
    return _summed(_from_rollups(None, last, measures, category), measures, category, added, taken)


#: Parts of a local day read live: [from, before).
Pieces = list[tuple[datetime, datetime]]


def _ends(start: datetime, end: datetime) -> tuple[date, date, Pieces, Pieces] | None:
    """How [start, end) is read: the local days [first, last) from the rollups, the pieces
    `added` live and the pieces `taken` away live. A partial day at either end is read as its
    part inside the period, or as the whole day's line less its part outside the period,
    whichever part is the shorter: a period that ends now ends in a day whose rest is still to
    come, where nothing has happened yet, so today's line less nothing. None when the days are
    not kept for these moments (all of it live)."""
    head, head_next = _day_starting(start, on_or_after=False), _day_starting(start, on_or_after=True)
    if head is None or head_next is None:
        return None
    if head[1] < start and end < head_next[1]:  # start and end in one day, `head`: its part inside, or the day less the rest
        if (start - head[1]) + (head_next[1] - end) >= end - start:
            return head[0], head[0], [(start, end)], []
        return head[0], head_next[0], [], [(head[1], start), (end, head_next[1])]
    tail = _end(end)
    if tail is None:
        return None
    last, added, taken = tail
    if head[1] == start:
        return head[0], last, added, taken
    if start - head[1] < head_next[1] - start:
        return head[0], last, added, [*taken, (head[1], start)]
    return head_next[0], last, [(start, head_next[1]), *added], taken


def _end(end: datetime) -> tuple[date, Pieces, Pieces] | None:
    """The local days before `last` from the rollups for a period ending at `end`, and the
    pieces of `end`'s own day added and taken away live (as `_ends`)."""
    day, day_after = _day_starting(end, on_or_after=False), _day_starting(end, on_or_after=True)
    if day is None or day_after is None:
        return None
    if day[1] == end:
        return day[0], [], []
    if day_after[1] - end < end - day[1]:
        return day_after[0], [], [(end, day_after[1])]
    return day[0], [(day[1], end)], []


def _summed(lines: list[Line], measures: list[str], category: str | None, added: Pieces,
            taken: Pieces) -> list[Line]:
    """`lines` with the lines of the pieces `added` and less those of the pieces `taken`, read live."""
    for pieces, sign in ((added, 1), (taken, -1)):
        if pieces:
            lines += [Line(line.measure, line.category, line.item, sign * line.complaints, sign * line.cents)
                      for line in _rows(_lines(measures, lambda m, p=pieces: or_(*(and_(m >= a, m < b) for a, b in p)),
                                               category))]
    return _merged(lines)


def _merged(lines: list[Line]) -> list[Line]:
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for line in lines:
        total = sums[(line.measure, line.category, line.item)]
        total[0] += line.complaints
        total[1] += line.cents
    return [Line(*key, n, cents) for key, (n, cents) in sums.items()]


def outstanding(moment: datetime, category: str | None) -> int:
    """Complaints received before `moment` and not resolved before it (neither annulled nor joined)."""
    lines = before(moment, category, (RECEIVED, RESOLVED))
    return (sum(line.complaints for line in lines if line.measure == RECEIVED)
            - sum(line.complaints for line in lines if line.measure == RESOLVED))


# --- from scratch ----------------------------------------------------------------------------


KEYS = ("category", "measure", "item")
SUMS = ("complaints", "cents")


def recomputed_days() -> Select:
    """Every line of the daily rollup with a complaint, computed from the complaints, clocks,
    breaches, ratings and template uses."""
    lines = _lines(ALL + RATINGS + USES, lambda m: true(), None, daily=True).subquery("l")
    keys = [lines.c.day, lines.c.category, lines.c.measure, lines.c.item]
    return (select(*keys, func.sum(lines.c.complaints), func.sum(lines.c.cents))
            .where(lines.c.day.is_not(None)).group_by(*keys))


def recomputed_weeks() -> Select:
    """The weekly rollup, computed from the days' (each day in the ISO week of its Monday)."""
    days = recomputed_days().subquery("d")
    monday = _monday_sql(days.c.day)
    keys = [monday, days.c.category, days.c.measure, days.c.item]
    return select(*keys, *(func.sum(c) for c in list(days.c)[4:])).group_by(*keys)


def _monday_sql(day: Any) -> Any:
    if db.session.get_bind().dialect.name == "postgresql":
        return day - (func.extract("isodow", day).cast(Integer) - 1)
    weekday = (cast(func.strftime("%w", day), Integer) + 6) % 7  # Monday 0
    return type_coerce(func.date(day, "-" + cast(weekday, String) + " days"), Date())


def stored_days() -> Select:
    """The stored daily lines with a complaint (lines counted down to zero are kept, unread)."""
    return select(OutcomeDay.day, *(getattr(OutcomeDay, c) for c in KEYS + SUMS)).where(
        or_(OutcomeDay.complaints != 0, OutcomeDay.cents != 0))


def recomputed_years() -> Select:
    """The yearly rollup, computed from the days' (each day in the ISO year of its Monday)."""
    return rollup.yearly_of(recomputed_weeks(), ("monday", *KEYS, *SUMS), SUMS)


def yearly_statement() -> Any:
    """INSERT the yearly lines summed from the weekly ones (into an empty yearly table): for a
    bulk load with the triggers off; `rebuild()` has its triggers fill them."""
    return insert(OutcomeWeekYear).from_select(["year", *KEYS, *SUMS],
                                               rollup.yearly_of(stored_weeks(), ("monday", *KEYS, *SUMS), SUMS))


def stored_years() -> Select:
    return select(OutcomeWeekYear.year, *(getattr(OutcomeWeekYear, c) for c in KEYS + SUMS)).where(
        or_(OutcomeWeekYear.complaints != 0, OutcomeWeekYear.cents != 0))


def stored_weeks() -> Select:
    return select(OutcomeWeek.monday, *(getattr(OutcomeWeek, c) for c in KEYS + SUMS)).where(
        or_(OutcomeWeek.complaints != 0, OutcomeWeek.cents != 0))


def rebuild(zone_name: str) -> None:
    """Key the rollups by the days of `zone_name` and recompute them (in the caller's
    transaction; PostgreSQL: lock the counted tables against changes meanwhile)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("LOCK TABLE complaints, complaint_clocks, breaches, complaint_ratings, "
                                "answer_template_uses IN SHARE ROW EXCLUSIVE MODE"))
    zone = ZoneInfo(zone_name)
    days = list(db.session.scalars(select(LocalDay.day).order_by(LocalDay.day)))
    db.session.execute(delete(LocalDay))
    db.session.execute(insert(LocalDay), [{"day": day, "starts": datetime.combine(day, time(), zone)} for day in days])
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ANALYZE local_days"))
    db.session.execute(delete(OutcomeDay))
    db.session.execute(delete(OutcomeWeek))  # its triggers take the yearly lines down to no complaint ...
    db.session.execute(delete(OutcomeWeekYear))  # ... emptied here; the weeks' INSERT below fills them again
    for statement in rebuild_statements():
        db.session.execute(statement)


def rebuild_statements() -> tuple[Any, Any]:
    """INSERT every rollup line recomputed from scratch (into empty rollups)."""
    columns = ["category", "measure", "item", "complaints", "cents"]
    return (insert(OutcomeDay).from_select(["day", *columns], recomputed_days()),
            insert(OutcomeWeek).from_select(["monday", *columns], recomputed_weeks()))


def fill_closure_bands(policies: ClockPolicies, calendar: WorkingCalendar, *, connection: Any = None,
                       batch: int = 20_000) -> int:
    """Set the closure band of every decided complaint that has none, by `policies` and
    `calendar` (a bulk load's complaints; the triggers move them to their band), through
    `connection` (default: the application's session). Returns how many were set."""
    run = connection if connection is not None else db.session
    table = Complaint.__table__
    set_band = (update(table).where(table.c.id == bindparam("complaint_id"))
                .values(closure_band=bindparam("band")))
    paused = (select(ComplaintClock.paused_seconds)
              .where(ComplaintClock.complaint_id == Complaint.id, ComplaintClock.kind == ClockKind.FINAL_RESPONSE)
              .scalar_subquery())
    banding: dict[tuple[Any, ...], Banding] = {}
    last, done = 0, 0
    while True:
        rows = run.execute(
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
                changes.append({"complaint_id": complaint_id, "band": band.code})  # type: ignore[union-attr]
        if changes:
            run.execute(set_band, changes)
            done += len(changes)
        last = rows[-1][0]

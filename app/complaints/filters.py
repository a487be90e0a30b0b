"""Which complaints a page or a figure covers: `ComplaintFilter`, and the WHERE conditions it
stands for (`filter_conditions`). The registry journal (app/journal) and the dashboard's
figures (app/manage/figures) both narrow complaints with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec import Struct
from sqlalchemy import ColumnElement, or_, tuple_

from .models import Channel, Complaint, ComplaintStatus


class NumberBound(Struct, frozen=True):
    """One end of a number range: `seq` in `year`, or `seq` in any year when `year` is None."""

    seq: int
    year: int | None = None


class ComplaintFilter(Struct, frozen=True):
    """What a list of complaints or a figure is narrowed to. Empty fields do not filter.

    Text fields match anywhere, ignoring case (on SQLite only the case of ASCII letters);
    `text` is words that must each appear in the subject or the description; `correspondence`
    words that must each appear in a message of the complaint (the journal's queries add it). The journal
    narrows by every field but the tier; the dashboard's figures by the period, category,
    channel and tier only (what their rollups are kept by).
    """

    year: int | None = None
    number_from: NumberBound | None = None
    number_to: NumberBound | None = None
    registered_from: datetime | None = None  # inclusive, aware
    registered_before: datetime | None = None  # exclusive, aware
    status: ComplaintStatus | None = None
    category: str | None = None
    channel: Channel | None = None
    tier: int | None = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None  # digits only
    text: str | None = None
    #: Words that must each appear in the correspondence (the case messages; app/journal only)
    #: and whether internal notes count (only for staff allowed to see them).
    correspondence: str | None = None
    internal_notes: bool = False


def contains(column: Any, value: str) -> ColumnElement[bool]:
    """`column` contains `value`, ignoring case. ILIKE on PostgreSQL, so a trigram index serves it."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")


def _number_bounds(f: ComplaintFilter, table: Any) -> list[ColumnElement[bool]]:
    """The conditions of `f`'s year and number range. A bound in the year the range is in (the
    year chosen, or both bounds' year) is a plain `seq` bound, so an index on (year, seq) reads
    just the range: PostgreSQL does not end an index scan at a row comparison and read every
    number of the year up to its end (the journal's export of 1,000 numbers read 850,000 index
    entries in a year of a million complaints). A bound in another year stays a row comparison,
    with its year as a plain bound too."""
    year = f.year
    if year is None and f.number_from is not None and f.number_to is not None \
            and f.number_from.year is not None and f.number_from.year == f.number_to.year:
        year = f.number_from.year
    conditions: list[ColumnElement[bool]] = [] if year is None else [table.year == year]
    for bound, at_least in ((f.number_from, True), (f.number_to, False)):
        if bound is None:
            continue
        if bound.year is None or bound.year == year:
            conditions.append(table.seq >= bound.seq if at_least else table.seq <= bound.seq)
        elif at_least:
            conditions += [table.year >= bound.year, tuple_(table.year, table.seq) >= tuple_(bound.year, bound.seq)]
        else:
            conditions += [table.year <= bound.year, tuple_(table.year, table.seq) <= tuple_(bound.year, bound.seq)]
    return conditions


def filter_conditions(f: ComplaintFilter, table: Any = Complaint) -> list[ColumnElement[bool]]:
    """The WHERE conditions that `f` stands for, on the complaints or (`table`) on a copy with
    the same columns (the dashboard's `complaint_facts` has those of the period, status,
    category, channel and tier)."""
    conditions = _number_bounds(f, table) if f.year is not None or f.number_from or f.number_to else []
    if f.registered_from is not None:
        conditions.append(table.registered_at >= f.registered_from)
    if f.registered_before is not None:
        conditions.append(table.registered_at < f.registered_before)
    if f.status is not None:
        conditions.append(table.status == f.status)
    if f.category is not None:
        conditions.append(table.category == f.category)
    if f.channel is not None:
        conditions.append(table.channel == f.channel)
    if f.tier is not None:
        conditions.append(table.tier == f.tier)
    if f.name:
        conditions.append(contains(table.full_name, f.name))
    if f.email:
        conditions.append(contains(table.email, f.email))
    if f.phone:
        conditions.append(contains(table.phone, f.phone))
    for word in (f.text or "").split():
        conditions.append(or_(contains(table.subject, word), contains(table.description, word)))
    return conditions

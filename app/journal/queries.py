"""The registry journal as queries: every complaint in number order, filtered in SQL (by a
`ComplaintFilter`, app/complaints/filters.py).

Pages are cut by keyset (the number last seen), never by OFFSET, so the ten-thousandth page
costs what the first does: `(year, seq) > (:year, :seq) ORDER BY year, seq LIMIT n + 1` walks
the unique (year, seq) index from the cursor. Nothing here loads the table into Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from msgspec import Struct
from sqlalchemy import ColumnElement, Row, Select, exists, select, text, tuple_

from ..complaints.filters import ComplaintFilter, contains, filter_conditions
from ..complaints.models import Complaint
from ..extensions import db
from ..workflow.models import CaseMessage, MessageKind
from .search import contact_candidates

PAGE_SIZE = 50
#: How far app servers' clocks may disagree without a date filter missing a complaint.
CLOCK_MARGIN = timedelta(hours=1)
#: Lines fetched per query while an export walks the whole journal.
EXPORT_BATCH = 2000

#: (year, seq): a place in number order.
Cursor = tuple[int, int]

#: What a journal line shows; the description and other long texts are never fetched.
JOURNAL_COLUMNS = (
    Complaint.year,
    Complaint.seq,
    Complaint.number,
    Complaint.slug,
    Complaint.status,
    Complaint.channel,
    Complaint.received_at,
    Complaint.registered_at,
    Complaint.full_name,
    Complaint.email,
    Complaint.phone,
    Complaint.category,
    Complaint.subject,
)

_NUMBER_ORDER = tuple_(Complaint.year, Complaint.seq)
_CURSOR = re.compile(r"^(\d{1,4})-(\d{1,18})$")


class JournalPage(Struct, frozen=True):
    """One page of journal lines in number order, with the cursors of its neighbours."""

    rows: list[Row[Any]]
    next_after: Cursor | None  # show the next page with `after=`
    previous_before: Cursor | None  # show the previous page with `before=`


def format_cursor(cursor: Cursor) -> str:
    return f"{cursor[0]}-{cursor[1]}"


def parse_cursor(text: str | None) -> Cursor | None:
    """'2026-123' -> (2026, 123); anything else -> None."""
    match = _CURSOR.match((text or "").strip())
    return (int(match[1]), int(match[2])) if match else None


def cursor_of(row: Row[Any]) -> Cursor:
    return (row.year, row.seq)


def _plan_for_these_values() -> None:
    """Make PostgreSQL plan each journal query for its own values.

    psycopg prepares a statement run often enough, and PostgreSQL may then reuse one generic
    plan for all values. The journal's best plan depends on them (a day or a year, a rare
    name or a common word), and a generic plan chosen for one can be a hundred times slower
    for another; planning afresh costs well under a millisecond. SET LOCAL ends with the
    request's transaction.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def date_window(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """The stretch of numbers that `f`'s date range can lie in, as extra conditions.

    Numbers follow registration time: a registration reads its moment after taking its number
    under the counter's lock (`register_complaint`). So every complaint registered on or
    after `registered_from` comes after the last one registered before it, and likewise at the
    other end. Two lookups on the registered_at index find those neighbours, and the journal
    then walks only that stretch of the (year, seq) index: without them PostgreSQL, taking
    matches to be spread evenly, walks every number before the range. The neighbours are
    taken CLOCK_MARGIN beyond the range, so app servers whose clocks disagree by less than
    that cannot make a complaint fall out of the window; the date conditions themselves
    still decide which complaints are shown.
    """
    window: list[ColumnElement[bool]] = []
    if f.registered_from is not None:
        before = db.session.execute(
            select(Complaint.year, Complaint.seq)
            .where(Complaint.registered_at < f.registered_from - CLOCK_MARGIN)
            .order_by(Complaint.registered_at.desc()).limit(1)
        ).first()
        if before is not None:
            window.append(_NUMBER_ORDER > tuple_(*before))
    if f.registered_before is not None:
        after = db.session.execute(
            select(Complaint.year, Complaint.seq)
            .where(Complaint.registered_at >= f.registered_before + CLOCK_MARGIN)
            .order_by(Complaint.registered_at).limit(1)
        ).first()
        if after is not None:
            window.append(_NUMBER_ORDER < tuple_(*after))
    return window


def search_window(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """Extra conditions that narrow where `f`'s complaints can be, found by lookups on indexes:
    the stretch of numbers of its dates (`date_window`), and on SQLite the complaints its name,
    e-mail or phone search finds in their trigram index (`contact_candidates`)."""
    return [*date_window(f), *contact_candidates(f)]


def correspondence_conditions(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """Each word of `f.correspondence` in a message of the complaint: to or from the
    complainant, and internal notes only where `f.internal_notes`. Each an EXISTS on the
    complaint's messages (their complaint_id index; on PostgreSQL the body's trigram index
    serves a rare word across all of them)."""
    conditions: list[ColumnElement[bool]] = []
    for word in (f.correspondence or "").split():
        found = exists().where(CaseMessage.complaint_id == Complaint.id, contains(CaseMessage.body, word))
        if not f.internal_notes:
            found = found.where(CaseMessage.kind != MessageKind.CONSULTATION)
        conditions.append(found)
    return conditions


def journal_query(f: ComplaintFilter, window: list[ColumnElement[bool]] | None = None) -> Select[Any]:
    """The journal's columns for every complaint `f` lets through, not yet ordered or limited;
    `window` narrows the complaints to search (see `search_window`)."""
    return select(*JOURNAL_COLUMNS).where(*filter_conditions(f), *correspondence_conditions(f), *(window or ()))


def journal_page(
    f: ComplaintFilter,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
    newest: bool = False,
    size: int | None = None,
) -> JournalPage:
    """One page in number order: from the start, after `after`, before `before`, or the newest.

    One query of `size + 1` rows tells whether there is more beyond the page. A page reached
    by moving forward always has a previous page, and one reached backward a next page, so no
    extra query is spent on asking.
    """
    size = size or PAGE_SIZE
    _plan_for_these_values()
    query = journal_query(f, search_window(f))
    if before is not None or newest:
        if before is not None:
            query = query.where(_NUMBER_ORDER < tuple_(*before))
        rows = list(db.session.execute(
            query.order_by(Complaint.year.desc(), Complaint.seq.desc()).limit(size + 1)
        ))
        more_before = len(rows) > size
        rows = rows[:size][::-1]
        return JournalPage(
            rows,
            next_after=cursor_of(rows[-1]) if rows and before is not None else None,
            previous_before=cursor_of(rows[0]) if more_before else None,
        )
    if after is not None:
        query = query.where(_NUMBER_ORDER > tuple_(*after))
    rows = list(db.session.execute(query.order_by(Complaint.year, Complaint.seq).limit(size + 1)))
    more_after = len(rows) > size
    rows = rows[:size]
    return JournalPage(
        rows,
        next_after=cursor_of(rows[-1]) if more_after else None,
        previous_before=cursor_of(rows[0]) if rows and after is not None else None,
    )


def journal_rows(f: ComplaintFilter, limit: int) -> list[Row[Any]]:
    """The first `limit` lines of the filtered journal, in number order."""
    _plan_for_these_values()
    query = journal_query(f, search_window(f)).order_by(Complaint.year, Complaint.seq).limit(limit)
    return list(db.session.execute(query))


def iter_journal(f: ComplaintFilter) -> Iterator[Row[Any]]:
    """Every line of the filtered journal in number order, fetched EXPORT_BATCH at a time by
    keyset, so an export of a million lines holds one batch in memory."""
    _plan_for_these_values()
    batch_size, window = EXPORT_BATCH, search_window(f)
    after: Cursor | None = None
    while True:
        query = journal_query(f, window)
        if after is not None:
            query = query.where(_NUMBER_ORDER > tuple_(*after))
        rows = list(db.session.execute(query.order_by(Complaint.year, Complaint.seq).limit(batch_size)))
        yield from rows
        if len(rows) < batch_size:
            return
        after = cursor_of(rows[-1])

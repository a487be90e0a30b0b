"""The candidates of the journal's name, e-mail or phone search, from an index that finds them
without reading every complaint.

A "contains" search (`ComplaintFilter.name`, `.email`, `.phone`: `ILIKE '%…%'`) has no ordinary
index to use. Asked for at most PROBE_LIMIT + 1 matches, an index answers in milliseconds; when
it finds PROBE_LIMIT or fewer, the search reads just the complaints they lead to; when it finds
more, the text is common and the journal's walk in number order meets a page of matches soon,
so nothing is narrowed. Either way the filter's own conditions still decide what matches: the
index only finds candidates.

- **SQLite**: the FTS5 table `complaint_search` (migration `contact_search_sqlite`) holds every
  complaint's name, e-mail address and phone. It takes new complaints in batches (migration
  `contact_search_batched`): it holds the complaints up to `complaint_search_state.indexed_through`,
  and the few after that mark (fewer than a batch) are candidates too, read as they are. It
  folds the case of every letter, SQLite's LIKE of ASCII letters only. An SQLite too old for
  the index (before 3.34, or without FTS5) has none, and nothing is narrowed.
- **PostgreSQL**: an e-mail or phone search reads the directory of distinct contacts,
  `figure_contact_totals` (every e-mail address in lower case and every phone number some
  complaint gives, kept by triggers; migration `contact_directory_search` gave it a trigram
  index), then the complaints of the contacts it finds by `ix_complaints_lower_email` and
  `ix_complaints_phone`. A trigram index over the complaints reads posting lists that grow
  with every complaint of the same customers; the directory's grow with the customers. A
  complaint's address contains the text, ignoring case, exactly when its address in lower case
  does, so the candidates are every complaint the search can find. Names are not in the
  directory: the planner serves them from `ix_complaints_full_name_trgm`.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, func, select, text

from ..complaints.filters import ComplaintFilter, contains
from ..complaints.models import Complaint
from ..database import sqlite_has_table
from ..extensions import db
from ..manage.models import FigureContactTotal

#: The FTS5 table (and the prefix of its shadow tables), SQLite only.
SEARCH_TABLE = "complaint_search"
#: Candidates read through an index at most; beyond that the walk in number order is as quick.
PROBE_LIMIT = 1000
#: A trigram index finds text of three characters or more.
_SHORTEST = 3
_WILDCARDS = re.compile(r"[%_]")
#: The complaints after the last one the index holds (fewer than a batch): not in it yet.
_AFTER_MARK = text("SELECT id FROM complaints WHERE id > (SELECT indexed_through FROM complaint_search_state)")
_PROBE = {  # the three column names are the table's own, never input
    column: text(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {column} LIKE :pattern LIMIT :limit")  # noqa: S608
    for column in ("full_name", "email", "phone")
}


def _piece(value: str | None) -> str | None:
    """The longest stretch of `value` without LIKE's wildcards, if the index can look it up."""
    longest = max(_WILDCARDS.split(value or ""), key=len)
    return longest if len(longest) >= _SHORTEST else None


def contact_candidates(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """Conditions that narrow `f`'s name, e-mail and phone searches to the complaints an index
    finds for them (none where no index can: see the module's docstring)."""
    if not (f.name or f.email or f.phone):
        return []
    dialect = db.session.get_bind().dialect.name
    if dialect == "sqlite":
        return _sqlite_candidates(f)
    if dialect == "postgresql":
        return _directory_candidates(f)
    return []


def _directory_candidates(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """PostgreSQL: the complaints of the contacts in the directory that hold the e-mail or
    phone searched for, as the filter's own condition would find them (`contains`)."""
    conditions: list[ColumnElement[bool]] = []
    for value, column in ((f.email, func.lower(Complaint.email)), (f.phone, Complaint.phone)):
        if _piece(value) is None:
            continue  # too short for the trigram index: it would read all of it
        found: list[Any] = db.session.scalars(
            select(FigureContactTotal.contact)
            .where(contains(FigureContactTotal.contact, value), FigureContactTotal.complaints > 0)
            .limit(PROBE_LIMIT + 1)
        ).all()
        if len(found) <= PROBE_LIMIT:
            conditions.append(column.in_(found))
    return conditions


def _sqlite_candidates(f: ComplaintFilter) -> list[ColumnElement[bool]]:
    """SQLite: the complaints the FTS5 index finds, and those after its mark."""
    if not sqlite_has_table(SEARCH_TABLE):
        return []  # an SQLite without the index (see the migration)
    conditions: list[ColumnElement[bool]] = []
    not_indexed: list[Any] | None = None
    for column, value in (("full_name", f.name), ("email", f.email), ("phone", f.phone)):
        piece = _piece(value)
        if piece is None:
            continue
        found: list[Any] = db.session.execute(
            _PROBE[column], {"pattern": f"%{piece}%", "limit": PROBE_LIMIT + 1}
        ).scalars().all()
        if len(found) <= PROBE_LIMIT:
            if not_indexed is None:
                not_indexed = db.session.execute(_AFTER_MARK).scalars().all()
            # One list of ids, which SQLite looks up by rowid (an OR with `id > mark` would
            # make it walk the journal's order instead).
            conditions.append(Complaint.id.in_([*found, *not_indexed]))
    return conditions

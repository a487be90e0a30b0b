"""The candidates of a name, e-mail or phone search on SQLite, from its trigram index.

A "contains" search (`ComplaintFilter.name`, `.email`, `.phone`: `LIKE '%…%'`) has no ordinary
index to use. On PostgreSQL the GIN trigram indexes serve it; on SQLite the FTS5 table
`complaint_search` (migration `contact_search_sqlite`) does: asked for at most PROBE_LIMIT + 1
complaints holding the text, it answers in milliseconds at any registry size. When it finds
PROBE_LIMIT or fewer, the search reads just those complaints; when it finds more, the text is
common and the journal's walk in number order meets a page of matches soon, so nothing is
narrowed. Either way the filter's own conditions still decide what matches (the index only
finds candidates: it folds the case of every letter, SQLite's LIKE of ASCII letters only). An
SQLite too old for the index (before 3.34, or without FTS5) has none, and nothing is narrowed.

The index takes new complaints in batches (migration `contact_search_batched`): it holds the
complaints up to `complaint_search_state.indexed_through`, and the few after that mark (fewer
than a batch) are candidates too, read as they are.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, text

from ..extensions import db
from .filters import ComplaintFilter
from .models import Complaint

#: The FTS5 table (and the prefix of its shadow tables), SQLite only.
SEARCH_TABLE = "complaint_search"
#: Candidates read through the index at most; beyond that the walk in number order is as quick.
PROBE_LIMIT = 1000
#: A trigram index finds text of three characters or more.
_SHORTEST = 3
_WILDCARDS = re.compile(r"[%_]")
_EXISTS = text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name")
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
    """Conditions that narrow `f`'s name, e-mail and phone searches to the complaints the
    trigram index finds for them (SQLite; none on PostgreSQL, whose planner uses its own)."""
    if db.session.get_bind().dialect.name != "sqlite" or not (f.name or f.email or f.phone):
        return []
    if db.session.execute(_EXISTS, {"name": SEARCH_TABLE}).first() is None:
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

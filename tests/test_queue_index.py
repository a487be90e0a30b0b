"""The queue's cost follows the open complaints: every statement it runs (each scope, each
deadline filter, each direction of paging, the counts) reads `ix_complaints_queue`, the partial
index over open complaints in queue order, and no page is sorted after reading.

Checked on the plan each database makes for the very statements the queue sends (captured as
they run), so a change to the sort key that the migration's index no longer matches, or a bound
value where the index needs a constant, fails here. A test database is too small for a planner
to prefer an index on its own: SQLite is given the statistics ANALYZE took of a registry of
100,000 complaints, 8,949 of them open (benchmarks/queue_pages.py), and PostgreSQL is asked to avoid
plain table scans, bitmap scans and sorts (it still sorts where no index gives the order).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event, text

from _support import plan
from app.extensions import db
from app.queue.queries import DueFilter, QueueFilter, Scope, queue_counts, queue_page

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
CURSOR = (datetime(2026, 3, 3, 7, 0, tzinfo=UTC), 2026, 5)

FILTERS = [
    pytest.param(QueueFilter(scope=scope, user_id=1, user_tier=tier, tier=narrow, due=due),
                 id=f"{scope.value}-tier{tier}-narrow{narrow}-{due and due.value}")
    for scope in Scope
    for tier in (None, 2)
    for narrow in (None, 3)
    for due in (None, DueFilter.OVERDUE, DueFilter.DUE_SOON)
    if not (scope == Scope.MY_TIER and tier is None)
]


#: sqlite_stat1 of the complaints table at 100,000 complaints, 8,949 open (benchmarks/queue_pages.py).
SQLITE_STATISTICS = {
    "ix_complaints_queue": "8949 1 1 1 1 1 1 1 1 1 1 1 1",
    "ix_complaints_lower_email": "100000 2",
    "ix_complaints_owner_id": "100000 4000",
    "ix_complaints_next_check_at": "8949 1",
    "ix_complaints_phone": "100000 3",
    "ix_complaints_status_year_seq": "100000 16667 8334 1",
    "ix_complaints_registered_at": "100000 1",
    "sqlite_autoindex_complaints_3": "100000 50000 1",
    "sqlite_autoindex_complaints_2": "100000 1",
    "sqlite_autoindex_complaints_1": "100000 1",
}


@pytest.fixture
def statements(app) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs on complaints sent while the test runs, with their parameters, in an app
    context whose session holds the statistics of a large registry (until the test ends)."""
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "complaints" in statement:
            sent.append((statement, parameters))

    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        if sqlite:
            db.session.execute(text("ANALYZE sqlite_schema"))  # makes sqlite_stat1 where there is none
            db.session.execute(text("DELETE FROM sqlite_stat1 WHERE tbl = 'complaints'"))
            for index, stat in SQLITE_STATISTICS.items():
                db.session.execute(text("INSERT INTO sqlite_stat1 VALUES ('complaints', :i, :s)"), {"i": index, "s": stat})
            db.session.execute(text("ANALYZE sqlite_schema"))  # reads them
        else:
            # The test database is emptied by DELETE between tests and never vacuumed, so its
            # indexes keep the pages of every complaint earlier tests wrote: the queue's wide
            # index more than the narrow ones, and on a tiny table those pages decide the plan.
            # Rebuilt (in this test's transaction, rolled back with it), every test plans alike.
            db.session.execute(text("REINDEX TABLE complaints"))
        event.listen(db.engine, "before_cursor_execute", capture)
        try:
            yield sent
        finally:
            event.remove(db.engine, "before_cursor_execute", capture)
            db.session.rollback()
            if sqlite:
                db.session.execute(text("ANALYZE sqlite_schema"))  # forgets them again
                db.session.rollback()


@pytest.mark.parametrize("queue_filter", FILTERS)
def test_every_queue_statement_reads_the_open_complaints_index_in_order(statements, queue_filter):
    queue_page(queue_filter, NOW, 0.75)
    queue_page(queue_filter, NOW, 0.75, after=CURSOR)
    queue_page(queue_filter, NOW, 0.75, before=CURSOR)
    queue_counts(queue_filter, NOW, 0.75)
    assert len(statements) == 4
    for statement, parameters in statements:
        shown = plan(statement, parameters)
        if "One-Time Filter: false" in shown:
            continue  # PostgreSQL saw the conditions contradict each other (tier 2 and tier 3): no read
        assert "ix_complaints_queue" in shown, shown
        assert "TEMP B-TREE" not in shown and "Sort" not in shown, shown


def test_the_counts_never_read_the_table_on_sqlite(statements):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL decides between index-only and index scans by its visibility map")
    queue_counts(QueueFilter(scope=Scope.MINE_AND_TIER, user_id=1, user_tier=2), NOW, 0.75)
    [(statement, parameters)] = statements
    assert "COVERING INDEX ix_complaints_queue" in plan(statement, parameters)


def test_a_keyset_page_starts_at_its_cursor_in_the_index_on_sqlite(statements):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL reads the row comparison itself as the index range")
    queue_page(QueueFilter(), NOW, 0.75, after=CURSOR)
    queue_page(QueueFilter(), NOW, 0.75, before=CURSOR)
    for statement, parameters in statements:
        assert "SEARCH complaints USING INDEX ix_complaints_queue (<expr>" in plan(statement, parameters)


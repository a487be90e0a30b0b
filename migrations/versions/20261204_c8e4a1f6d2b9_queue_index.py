"""The staff queue's index: the open complaints only (a partial index), in queue order (the
deadline each works against now, an expression, then year and number), carrying the columns
the queue's scopes and counts read, so a queue page reads its rows in order and its counts
never read a closed complaint or the table. The same on SQLite and PostgreSQL but for how the
"no deadline" moment is written (as each database compares it with the stored times).

The expression must stay the one app/queue/queries.py builds (`sort_key`, from
`deadlines.open_next_due_sql`): tests/test_queue_index.py checks the index is used.

A plain CREATE INDEX on both databases: complaints is never rebuilt (on SQLite a batch rebuild
would drop its triggers).

Revision ID: c8e4a1f6d2b9
Revises: c8e4a1f6b2d9
Create Date: 2026-12-04 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8e4a1f6d2b9'
down_revision = 'c8e4a1f6b2d9'
branch_labels = None
depends_on = None

_OWN = "CASE WHEN (first_responded_at IS NULL) THEN first_response_due ELSE resolution_due END"
_NEXT = (
    f"CASE WHEN (clock_due IS NULL) THEN {_OWN} WHEN ({_OWN} IS NULL) THEN clock_due "
    f"WHEN (clock_due < {_OWN}) THEN clock_due ELSE {_OWN} END"
)
_NO_DEADLINE = {
    "postgresql": "TIMESTAMP WITH TIME ZONE '9999-12-31 00:00:00+00'",
    "sqlite": "'9999-12-31 00:00:00.000000'",
}
_OPEN = "status IN ('in_progress', 'registered', 'reopened', 'responded', 'waiting')"
_CARRIED = [
    "owner_id", "tier", "first_responded_at", "first_response_due", "resolution_due", "clock_due",
    "registered_at", "resolution_started_at", "status",
]


def upgrade():
    dialect = op.get_bind().dialect.name
    op.create_index(
        'ix_complaints_queue', 'complaints',
        [sa.text(f"coalesce({_NEXT}, {_NO_DEADLINE[dialect]})"), 'year', 'seq', *_CARRIED],
        unique=False, sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN),
    )
    # Statistics for the new index at once (SQLite's planner would otherwise prefer the indexes
    # it has statistics for, and PostgreSQL's has none for the expression until autovacuum).
    op.execute("ANALYZE complaints")


def downgrade():
    op.drop_index('ix_complaints_queue', table_name='complaints')

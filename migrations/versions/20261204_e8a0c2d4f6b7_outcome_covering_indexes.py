"""Outcome figures' days and weeks read from an index alone on PostgreSQL.

A period's outcome figures read its full weeks from `outcome_weeks` and the days at its ends
from `outcome_days`. Their rows lie in no useful order (the triggers add a day's lines as its
complaints change, a rebuild inserts them by category and measure), so a year's 2,856 weekly
lines were read from 264 heap pages of 527, and a day's 204 lines from 197 pages, in a registry
of 300,000 complaints over ten years: ten times as many as in one of 30,000 over one year.

Covering indexes (the moment, then every other column) let PostgreSQL read them in order from
the index alone. Not on SQLite, whose primary keys already lead with the moment and which reads
a table's rows by rowid: it would only double the writes.

Revision ID: e8a0c2d4f6b7
Revises: c2e6a8f4b9d3
Create Date: 2026-12-04 20:15:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e8a0c2d4f6b7'
down_revision = 'c2e6a8f4b9d3'
branch_labels = None
depends_on = None

#: (index, table, moment column)
INDEXES = (('ix_outcome_days_covering', 'outcome_days', 'day'),
           ('ix_outcome_weeks_covering', 'outcome_weeks', 'monday'))


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, table, moment in INDEXES:
        op.execute(f"CREATE INDEX {name} ON {table} ({moment}) INCLUDE (category, measure, item, complaints, cents)")
    op.execute("ANALYZE outcome_days, outcome_weeks")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for name, _table, _moment in INDEXES:
        op.execute(f"DROP INDEX {name}")

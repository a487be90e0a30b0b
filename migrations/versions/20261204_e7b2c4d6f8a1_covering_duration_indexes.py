"""The dashboard's percentiles read inside one duration bucket from the index alone: the indexes
on each duration (time to first response, time to resolution) carry the columns the figures
filter the complaints by (registered_at, status, category, channel, tier) and the end itself.

A percentile is found in its bucket from the rollups' counts and then read exactly, as the
rank-th duration of that bucket in order (app/manage/figures/percentiles.py). The indexes gave
the order but every complaint up to the rank was fetched from the table to check the filters:
a few thousand rows for a year at 100,000 complaints, ten times that at a million. Now the
filters are checked in the index (an index-only scan on PostgreSQL, a covering index on SQLite)
and the read stops at the rank. PostgreSQL plans an index-only scan on an expression index only
when the columns the expression reads are in it too, hence the end and registered_at.

Same names, same expressions and conditions: the queries need no change.

Revision ID: e7b2c4d6f8a1
Revises: e5b9d3a7c2f8
Create Date: 2026-12-04 14:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e7b2c4d6f8a1'
down_revision = 'e5b9d3a7c2f8'
branch_labels = None
depends_on = None

#: index name -> the duration's end, per database (migrations figure_rollups and analysis_rollups).
POSTGRESQL = {'ix_complaint_facts_first_response_time': 'first_responded_at',
              'ix_complaint_facts_resolution_time': 'resolved_at'}
SQLITE = {'ix_complaint_facts_first_response_ms': 'first_responded_at',
          'ix_complaint_facts_resolution_ms': 'resolved_at'}
#: The columns the figures filter the complaints counted by (app/manage/figures/definitions.py).
FILTERED = 'registered_at, status, category, channel, tier'


def _sqlite_ms(column):
    """As `app.database.epoch_ms` compiles on SQLite (migration analysis_rollups)."""
    return f"ROUND((julianday({column}) - 2440587.5) * 86400000.0)"


def _create(dialect, covering):
    for name, end in (POSTGRESQL if dialect == 'postgresql' else SQLITE).items():
        op.execute(f"DROP INDEX IF EXISTS {name}")
        if dialect == 'postgresql':
            include = f" INCLUDE ({end}, {FILTERED})" if covering else ""
            op.execute(f"CREATE INDEX {name} ON complaint_facts (({end} - registered_at)){include} "
                       f"WHERE {end} IS NOT NULL")
        else:
            more = f", {end}, {FILTERED}" if covering else ""
            op.execute(f"CREATE INDEX {name} ON complaint_facts "
                       f"(({_sqlite_ms(end)} - {_sqlite_ms('registered_at')}){more}) WHERE {end} IS NOT NULL")


def upgrade():
    _create(op.get_bind().dialect.name, covering=True)


def downgrade():
    _create(op.get_bind().dialect.name, covering=False)

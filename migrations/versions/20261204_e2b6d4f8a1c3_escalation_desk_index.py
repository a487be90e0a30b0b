"""The escalation desk's index: the open complaints only (a partial index), oldest first
(registered_at, id), so a desk page walks the open complaints and never the closed ones
registered among them. The predicate is written as app/workflow/deadlines.open_sql writes it
(both databases match a partial index only to the same text).

A plain CREATE INDEX on both databases: complaints is never rebuilt (on SQLite a batch rebuild
would drop its triggers).

Revision ID: e2b6d4f8a1c3
Revises: a3c5e7f9b1d2
Create Date: 2026-12-04 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e2b6d4f8a1c3'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None

_OPEN = "status IN ('in_progress', 'registered', 'reopened', 'responded', 'waiting')"


def upgrade():
    op.create_index('ix_complaints_open_registered', 'complaints', ['registered_at', 'id'], unique=False,
                    sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN))


def downgrade():
    op.drop_index('ix_complaints_open_registered', table_name='complaints')

"""The complaints without an e-mail address, indexed for the tray of letters to post.

The tray (app/desk/tray.py) lists the unposted outgoing letters of complaints without an e-mail
address. It found those complaints through `ix_complaints_email`, which the migration
`set_only_indexes` dropped; without it the tray read every unposted letter, and letters sent by
e-mail are never marked as posted, so it read nearly all of them (4.7 times slower at 1,000,000
complaints than at 100,000 on PostgreSQL, docs/performance.md). This partial index holds just
the complaints without an address (`email IS NULL OR email = ''`, as the tray asks), so a
registration with an address writes nothing to it. It is on the address itself, so a planner
without statistics (SQLite's, in a registry that grew from empty) reads it by equality and
prefers it, as it preferred the full index.

Revision ID: e5a7c9d1f3b5
Revises: d4f6b8c0e2a4
Create Date: 2026-12-05 17:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5a7c9d1f3b5'
down_revision = 'd4f6b8c0e2a4'
branch_labels = None
depends_on = None

WITHOUT_EMAIL = sa.text("email IS NULL OR email = ''")


def upgrade():
    op.create_index('ix_complaints_without_email', 'complaints', ['email'], unique=False,
                    postgresql_where=WITHOUT_EMAIL, sqlite_where=WITHOUT_EMAIL)
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ANALYZE complaints')  # SQLite's planner picks an index by these statistics


def downgrade():
    op.drop_index('ix_complaints_without_email', table_name='complaints')

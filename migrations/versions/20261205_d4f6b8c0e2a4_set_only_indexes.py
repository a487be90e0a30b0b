"""The complaints' decision, payment and closing indexed only where they are set; the
e-mail address by its lower case only; no index of the first response's due moment.

`ix_complaints_resolved_at`, `_redress_paid_at` and `_closed_at` held an entry for every
complaint, a NULL for each one not yet decided, paid or closed: every registration wrote three
index entries nobody reads (on SQLite three of the ≈ 50 pages its transaction writes, on
PostgreSQL three index insertions inside the number's lock). Every reader asks for a range (the
outcome figures' live part of a period) or for the set ones, which implies the column is set,
so both planners use a partial index `WHERE column IS NOT NULL` for them as before. The owner's
index stays whole: PostgreSQL could read a partial one for the queue's owner condition instead
of the queue's own index.

`ix_complaints_email` (the address as typed) had one reader left, the case page's other
complaints of the person, which now asks for the address whatever its case, as the figures
count it, through `ix_complaints_lower_email`; so it goes, one index fewer per registration.
`ix_complaints_first_response_due` (from the intake core, before deadline enforcement read
`next_check_at` and the queue its own index) has no reader left: it goes too.

Revision ID: d4f6b8c0e2a4
Revises: c3e5a7b9d1f2
Create Date: 2026-12-05 16:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd4f6b8c0e2a4'
down_revision = 'c3e5a7b9d1f2'
branch_labels = None
depends_on = None

COLUMNS = ('resolved_at', 'redress_paid_at', 'closed_at')
DROPPED = ('ix_complaints_email', 'ix_complaints_first_response_due')


def upgrade():
    for column in COLUMNS:
        op.drop_index(f'ix_complaints_{column}', table_name='complaints')
        where = sa.text(f'{column} IS NOT NULL')
        op.create_index(f'ix_complaints_{column}', 'complaints', [column], unique=False,
                        postgresql_where=where, sqlite_where=where)
    for name in DROPPED:
        op.drop_index(name, table_name='complaints')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ANALYZE complaints')  # SQLite's planner picks an index by these statistics


def downgrade():
    op.create_index('ix_complaints_email', 'complaints', ['email'], unique=False)
    op.create_index('ix_complaints_first_response_due', 'complaints', ['first_response_due'], unique=False)
    for column in COLUMNS:
        op.drop_index(f'ix_complaints_{column}', table_name='complaints')
        op.create_index(f'ix_complaints_{column}', 'complaints', [column], unique=False)

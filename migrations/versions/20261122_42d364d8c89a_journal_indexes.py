"""Registry journal indexes: status in number order, and trigram indexes for "contains" searches.

On PostgreSQL the text columns get GIN trigram indexes (pg_trgm), which serve
`ILIKE '%...%'` for the journal's name, e-mail, phone and free-text filters. SQLite has no
index that serves such a search, so there the same indexes are created empty (WHERE 0):
the models and the schema still agree, and registrations pay nothing for them.

Revision ID: 42d364d8c89a
Revises: 011619db25f1
Create Date: 2026-11-22 15:15:50.325256

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '42d364d8c89a'
down_revision = '011619db25f1'
branch_labels = None
depends_on = None

TRIGRAM_COLUMNS = ('full_name', 'email', 'phone', 'subject', 'description')


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_status_year_seq', ['status', 'year', 'seq'], unique=False)
        for column in TRIGRAM_COLUMNS:
            batch_op.create_index(
                f'ix_complaints_{column}_trgm', [column], unique=False,
                postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'}, sqlite_where=sa.text('0'),
            )


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        for column in reversed(TRIGRAM_COLUMNS):
            batch_op.drop_index(f'ix_complaints_{column}_trgm')
        batch_op.drop_index('ix_complaints_status_year_seq')
    # pg_trgm stays installed: other objects in the database may use it.

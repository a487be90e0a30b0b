"""PostgreSQL's e-mail and phone searches read the directory of distinct contacts.

The journal's "contains" searches of an e-mail address or a phone number were served by trigram
GIN indexes over the complaints (`ix_complaints_email_trgm`, `ix_complaints_phone_trgm`). Their
posting lists grow with every complaint: the same customers' addresses, registered year after
year, made a search over ten years of the same intake read ten times the postings
(docs/performance.md, "Pages at scale on a fast machine"). `figure_contact_totals` already holds
every e-mail address (in lower case) and phone number some complaint gives, once each, kept by
triggers; a trigram index on it finds the contacts, and the complaints of those contacts are
read by their B-tree indexes (app/journal/search.py). The two indexes over the complaints go:
nothing else reads them, and every registration wrote them.

On SQLite the new index is kept empty (WHERE 0), as the trigram indexes of the complaints are
there (its FTS5 index `complaint_search` serves these searches); the two dropped ones were empty.

Revision ID: c3e5a7b9d1f2
Revises: b8d0f2a4c6e9
Create Date: 2026-12-05 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3e5a7b9d1f2'
down_revision = 'b8d0f2a4c6e9'
branch_labels = None
depends_on = None

DROPPED = ('email', 'phone')


def upgrade():
    op.create_index('ix_figure_contact_totals_trgm', 'figure_contact_totals', ['contact'], unique=False,
                    postgresql_using='gin', postgresql_ops={'contact': 'gin_trgm_ops'}, sqlite_where=sa.text('0'))
    for column in DROPPED:
        op.drop_index(f'ix_complaints_{column}_trgm', table_name='complaints')
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE figure_contact_totals')


def downgrade():
    for column in DROPPED:
        op.create_index(f'ix_complaints_{column}_trgm', 'complaints', [column], unique=False,
                        postgresql_using='gin', postgresql_ops={column: 'gin_trgm_ops'}, sqlite_where=sa.text('0'))
    op.drop_index('ix_figure_contact_totals_trgm', table_name='figure_contact_totals')

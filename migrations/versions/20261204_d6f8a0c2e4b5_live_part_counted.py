"""The figures' live part follows the open work: annulled and joined complaints leave its index.

The dashboard and the analysis read from the rollups the settled complaints of a period's full
weeks and the rest live, through the partial index `ix_complaint_facts_unsettled` of complaints
not settled. That index held every annulled (and now joined) complaint of all time too, which
the figures never count: an older registry read more of them for the same open work (578
annulled among 300,000 complaints over ten years, as many as the open work). Now:

- `ix_complaint_facts_unsettled` holds only the complaints the figures count and the rollups do
  not (open, or settled without an answer);
- `ix_complaint_facts_uncounted` (category) holds the annulled and joined ones, for the one
  reader that counts them (the complaints per category, app/manage/rollup.py).

Both conditions are written out as app/manage/models.py writes them (SQLite uses a partial
index only for a query that states its condition).

Revision ID: d6f8a0c2e4b5
Revises: c4e6a8b0d2f3
Create Date: 2026-12-04 20:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'd6f8a0c2e4b5'
down_revision = 'c4e6a8b0d2f3'
branch_labels = None
depends_on = None

SETTLED = ("NOT (complaint_facts.status IN ('resolved', 'closed') "
           "AND complaint_facts.first_responded_at IS NOT NULL)")
UNCOUNTED = "complaint_facts.status IN ('annulled', 'joined')"


def upgrade():
    op.execute("DROP INDEX ix_complaint_facts_unsettled")
    op.execute(f"CREATE INDEX ix_complaint_facts_unsettled ON complaint_facts (registered_at) "
               f"WHERE {SETTLED} AND NOT {UNCOUNTED}")
    op.execute(f"CREATE INDEX ix_complaint_facts_uncounted ON complaint_facts (category) WHERE {UNCOUNTED}")
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("ANALYZE complaint_facts")


def downgrade():
    op.execute("DROP INDEX ix_complaint_facts_uncounted")
    op.execute("DROP INDEX ix_complaint_facts_unsettled")
    op.execute(f"CREATE INDEX ix_complaint_facts_unsettled ON complaint_facts (registered_at) WHERE {SETTLED}")

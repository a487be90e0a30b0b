"""The analysis's lowest-rated complaints read by score (`lowest_rated_index`).

The list took the period's ten lowest ratings by sorting every rating of the period (a year of
200,000 ratings at a million complaints). An index on (score, rated_at, id) lets it read the
newest ten of each score in the period and take the first ten of those fifty.

Revision ID: c5e7a9b1d3f6
Revises: a7c9e1b3d5f2
Create Date: 2026-12-05 00:10:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c5e7a9b1d3f6'
down_revision = 'a7c9e1b3d5f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_complaint_ratings_score_rated_at", "complaint_ratings", ["score", "rated_at", "id"])


def downgrade():
    op.drop_index("ix_complaint_ratings_score_rated_at", table_name="complaint_ratings")

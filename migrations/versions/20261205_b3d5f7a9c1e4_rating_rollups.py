"""The satisfaction figures bounded by the period they show: the complainants' ratings counted in
the outcome rollups.

The dashboard's satisfaction tables (app/manage/satisfaction.py) read every rating of the
period (a count and an average per category, tier and owner): ten times as many ratings, ten
times the work, for the same few lines. Now `outcome_days`, `outcome_weeks` (and, by their
triggers, `outcome_week_years`) hold two more measures, per local day and the category the
rating was given with:

  rated_tier   item: the tier the rating was given at
  rated_owner  item: the id of the owner then ('' none)

each with the number of ratings in `complaints` and the sum of their scores in `cents`. A
trigger on complaint_ratings adds a new rating's lines in the same transaction, as the outcome
rollups' triggers do (migration `outcome_rollups`: at once on SQLite, through `outcome_deltas`
folded at the commit on PostgreSQL). A rating is never changed or deleted, and it keeps the
category, tier and owner it was given with whatever becomes of its complaint, so there is no
other trigger. Existing ratings are counted here.

Revision ID: b3d5f7a9c1e4
Revises: f2a4c6e8b0d1
Create Date: 2026-12-05 00:30:00.000000

"""
from alembic import op

from app.migrations import revision_module

# revision identifiers, used by Alembic.
revision = 'b3d5f7a9c1e4'
down_revision = 'f2a4c6e8b0d1'
branch_labels = None
depends_on = None

TRIGGER = 'outcome_complaint_ratings_insert'
#: measure -> its item, of rating row `r`.
MEASURES = {
    'rated_tier': lambda r: f"CAST({r}.tier AS VARCHAR)",
    'rated_owner': lambda r: f"coalesce(CAST({r}.owner_id AS VARCHAR), '')",
}


def _outcome_rollups():
    """The migration `outcome_rollups`, loaded afresh: its trigger builders."""
    return revision_module('a3c5e7f9b1d2')


def _lines(module, r, source=""):
    """What rating row `r` counts (of every row of `source`, if given)."""
    return " UNION ALL ".join(
        f"SELECT {module._day(f'{r}.rated_at')} AS day, {r}.category AS category, '{measure}' AS measure, "
        f"{item(r)} AS item, 1 AS complaints, {r}.score AS cents{source}"
        for measure, item in MEASURES.items())


def upgrade():
    module = _outcome_rollups()
    module.count_rows_of('complaint_ratings', TRIGGER, lambda r, source: _lines(module, r, source))


def downgrade():
    _outcome_rollups().uncount_rows_of('complaint_ratings', TRIGGER, MEASURES)

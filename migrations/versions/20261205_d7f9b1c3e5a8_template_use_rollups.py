"""The analysis's template usage bounded by the period it shows: the letters started from an
answer template counted in the outcome rollups.

The analysis (app/manage/template_usage.py) counted every letter of the period started from a template,
per template (a third of the first answers at a million complaints a year: 300,000 rows for
the whole year). Now `outcome_days`, `outcome_weeks` (and, by their triggers,
`outcome_week_years`) hold one more measure per local day:

  template       item: the template version's id; category '' (every category at once)

with the number of letters in `complaints`. A trigger on answer_template_uses adds a new use's
line in the same transaction, as the outcome rollups' triggers do (migration `outcome_rollups`:
at once on SQLite, through `outcome_deltas` folded at the commit on PostgreSQL). A use is never
changed or deleted, so there is no other trigger. The analysis narrowed to a category still
counts live (a complaint's category may change after its letter). Existing uses are counted here.

Revision ID: d7f9b1c3e5a8
Revises: c5e7a9b1d3f6
Create Date: 2026-12-05 00:20:00.000000

"""
from alembic import op

from app.migrations import revision_module

# revision identifiers, used by Alembic.
revision = 'd7f9b1c3e5a8'
down_revision = 'c5e7a9b1d3f6'
branch_labels = None
depends_on = None

TRIGGER = 'outcome_answer_template_uses_insert'
MEASURE = 'template'  # measure is VARCHAR(12)


def _outcome_rollups():
    """The migration `outcome_rollups`, loaded afresh: its trigger builders."""
    return revision_module('a3c5e7f9b1d2')


def _lines(module, u, source=""):
    """What use row `u` counts (of every row of `source`, if given)."""
    return (f"SELECT {module._day(f'{u}.used_at')} AS day, '' AS category, '{MEASURE}' AS measure, "
            f"CAST({u}.version_id AS VARCHAR) AS item, 1 AS complaints, 0 AS cents{source}")


def upgrade():
    module = _outcome_rollups()
    module.count_rows_of('answer_template_uses', TRIGGER, lambda u, source: _lines(module, u, source))


def downgrade():
    _outcome_rollups().uncount_rows_of('answer_template_uses', TRIGGER, (MEASURE,))

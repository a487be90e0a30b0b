"""The old open work rolled up: complaints whose figures no longer depend on the moment join the
rollups before they are settled.

The rollups held the *settled* complaints (resolved or closed, and answered); every other
complaint counted was read live, and at ten times the intake the open work is ten times larger.
An open complaint registered more than 30 days ago (the backlog's last age bucket) that was
answered or is past its first-response due has figures that no longer change with the moment:
its backlog age is "30 days and more" for good and it counts towards the first-response
compliance. A periodic pass (app/manage/rollup.py `roll`, run by `flask deadlines watch` and
`flask figures roll`) stamps such complaints with `complaint_facts.rolled_at`, and from then on
a complaint is *settled* for every rollup when

    it is resolved or closed and answered, or
    `rolled_at` is set, it is counted (neither annulled nor joined), and it was answered or its
    first response was due by `rolled_at`.

The condition reads the row's own columns only, so the rollups' triggers and the live part's
partial index stay exact and immutable: a first-response due moved past `rolled_at` takes the
complaint back out by the same condition, and a new complaint (young) is never in it, so a
registration writes nothing more.

- `complaint_facts.rolled_at`;
- `figure_cells` and `figure_cell_years`: `answered` (a settled complaint always was; a rolled
  one may not be) and the open complaints per open status (`open_registered`, ...), for the open
  counts and the backlog;
- the triggers of `figure_cells`, `figure_durations` (migration `figure_rollups`),
  `figure_reasons`, `figure_contacts` (migration `analysis_rollups`) and `figure_cell_years`
  (migration `figure_years`) made again from their migrations' builders with that condition and
  those sums; a status change now moves a settled complaint's lines too (the open counts);
- `ix_complaint_facts_unsettled` (the live part) made again with the condition.

Revision ID: e1f3a5c7b9d2
Revises: 4d9983cd48ca
Create Date: 2026-12-05 05:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

from app.migrations import revision_module

# revision identifiers, used by Alembic.
revision = 'e1f3a5c7b9d2'
down_revision = '4d9983cd48ca'
branch_labels = None
depends_on = None

#: The statuses the figures count as open (app: workflow.states.OPEN), each with its sum column.
OPEN = ('in_progress', 'registered', 'reopened', 'responded', 'waiting')
NEW_SUMS = ('answered', *(f'open_{status}' for status in OPEN))
UNCOUNTED = ('annulled', 'joined')
FIGURE_TRIGGERS = ('figure_rollups_insert', 'figure_rollups_update', 'figure_rollups_delete')
ANALYSIS_TRIGGERS = ('analysis_rollups_insert', 'analysis_rollups_update', 'analysis_rollups_delete')
YEAR_TRIGGERS = ('figure_cell_years_insert', 'figure_cell_years_update', 'figure_cell_years_delete')


def settled(row):
    """The condition above, on `row` (written out as app.manage.models.SETTLED_SQL is)."""
    return (f"(({row}.status IN ('resolved', 'closed') AND {row}.first_responded_at IS NOT NULL) "
            f"OR ({row}.rolled_at IS NOT NULL AND {row}.status NOT IN ({', '.join(repr(s) for s in UNCOUNTED)}) "
            f"AND ({row}.first_responded_at IS NOT NULL OR coalesce({row}.first_response_due <= {row}.rolled_at, false))))")


def unsettled(row):
    return f"NOT {settled(row)} AND NOT {row}.status IN ({', '.join(repr(s) for s in UNCOUNTED)})"


def _figure_rollups(condition):
    """The migration `figure_rollups` with `condition` as its settled complaints and, with the
    new condition, the new sums in its cells."""
    module = revision_module('7d4e2a9c1f05')
    module._settled = condition
    if condition is settled:
        module.COUNTED = (*module.COUNTED, 'status')  # the open counts; `rolled_at` is in the condition
        cells = module._cells_statement

        def cells_statement(row, sign):
            extra = ", ".join([f"{sign} * CASE WHEN {row}.first_responded_at IS NOT NULL THEN 1 ELSE 0 END",
                               *(f"{sign} * CASE WHEN {row}.status = '{status}' THEN 1 ELSE 0 END" for status in OPEN)])
            statement = cells(row, sign)
            columns = module._CELL_COLUMNS
            statement = statement.replace(f"({columns})", f"({columns}, {', '.join(NEW_SUMS)})", 1)
            statement = statement.replace(" FROM figure_groupings g", f", {extra} FROM figure_groupings g", 1)
            return statement.replace(module._CELL_CONFLICT, module._CELL_CONFLICT + ", " + ", ".join(
                f"{c} = figure_cells.{c} + excluded.{c}" for c in NEW_SUMS), 1)

        module._cells_statement = cells_statement
    return module


def _analysis_rollups(condition):
    module = revision_module('c8e4a1f6b2d9')
    module._settled = condition
    return module


def _figure_years(new_sums):
    module = revision_module('b6d2f8a4c1e7')
    if new_sums:
        years, keys, sums = module.ROLLUPS['figure_cells']
        module.ROLLUPS = {**module.ROLLUPS, 'figure_cells': (years, keys, (*sums, *NEW_SUMS))}
    return module


def _drop(names, table, postgresql):
    for name in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _triggers(dialect, condition, new_sums):
    postgresql = dialect == 'postgresql'
    _drop(FIGURE_TRIGGERS, 'complaint_facts', postgresql)
    _drop(ANALYSIS_TRIGGERS, 'complaint_facts', postgresql)
    _drop(YEAR_TRIGGERS, 'figure_cells', postgresql)
    figures = _figure_rollups(condition)
    if postgresql:
        figures._postgresql_triggers()
    else:
        figures._sqlite_triggers()
    _analysis_rollups(condition)._rollup_triggers(dialect)
    years = _figure_years(new_sums)
    if postgresql:
        years._postgresql_triggers('figure_cells')
    else:
        years._sqlite_triggers('figure_cells')


def _live_index(dialect, condition):
    op.execute("DROP INDEX ix_complaint_facts_unsettled")
    # the live part's covering columns on PostgreSQL, as the migration `live_part_covering` made them
    include = f" INCLUDE ({revision_module('f2a4c6e8b0d1').COLUMNS})" if dialect == 'postgresql' else ""
    uncounted = f"complaint_facts.status IN ({', '.join(repr(s) for s in UNCOUNTED)})"
    op.execute(f"CREATE INDEX ix_complaint_facts_unsettled ON complaint_facts (registered_at){include} "
               f"WHERE NOT {condition('complaint_facts')} AND NOT {uncounted}")


#: figure_cells' covering index of a period's lines (migration `figure_years`), on PostgreSQL.
PERIOD_INCLUDE = ('category', 'channel', 'tier', 'owner_id', 'transfer_count', 'complaints', 'met', 'disputed',
                  'transfers', 'first_response_breaches', 'resolution_breaches')


def _period_index(dialect, include):
    if dialect == 'postgresql':
        op.drop_index('ix_figure_cells_period', table_name='figure_cells')
        op.create_index('ix_figure_cells_period', 'figure_cells', ['grouping', 'monday'],
                        postgresql_include=list(include))


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        op.execute("LOCK TABLE complaint_facts, figure_cells IN SHARE ROW EXCLUSIVE MODE")
    op.add_column('complaint_facts', sa.Column('rolled_at', sa.DateTime(timezone=True), nullable=True))
    for table in ('figure_cells', 'figure_cell_years'):
        for column in NEW_SUMS:
            op.add_column(table, sa.Column(column, sa.Integer(), server_default='0', nullable=False))
        op.execute(f"UPDATE {table} SET answered = complaints")  # every settled complaint was answered
    _triggers(dialect, settled, new_sums=True)
    _live_index(dialect, settled)
    _period_index(dialect, (*PERIOD_INCLUDE, *NEW_SUMS))


def downgrade():
    dialect = op.get_bind().dialect.name
    if op.get_bind().execute(sa.text("SELECT count(*) FROM complaint_facts WHERE rolled_at IS NOT NULL")).scalar():
        # The rolled complaints leave the rollups as they are unstamped (the new triggers).
        op.execute("UPDATE complaint_facts SET rolled_at = NULL WHERE rolled_at IS NOT NULL")
    old = revision_module('7d4e2a9c1f05')._settled
    _triggers(dialect, old, new_sums=False)
    _live_index(dialect, old)
    _period_index(dialect, PERIOD_INCLUDE)
    # ALTER TABLE ... DROP COLUMN on SQLite too (3.35 and later), as the migration
    # `analysis_rollups` does: a rebuilt table would lose its triggers.
    for table in ('figure_cells', 'figure_cell_years'):
        for column in NEW_SUMS:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.execute("ALTER TABLE complaint_facts DROP COLUMN rolled_at")

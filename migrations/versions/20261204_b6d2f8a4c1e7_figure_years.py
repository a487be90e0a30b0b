"""The dashboard's rollups per ISO year, and their weeks read by period.

A period's figures add up the rollups' lines of its full weeks (app/manage/rollup.py). A period
of ten years read ten times the lines of one, and the dashboard's default view (no dates: the
whole registry), the admin's complaints per category (every complaint of all time) read every
week of the registry's history. Now:

- `figure_cell_years` and `figure_duration_years` hold the same lines as `figure_cells` and
  `figure_durations` summed per ISO year of the week's Monday (each ISO year is whole weeks), so
  a period reads the ISO years wholly inside it from these and only the weeks at its two ends
  from the weekly lines: at most about two years of weeks, whatever the registry's age;
- `ix_figure_cells_period` and `ix_figure_durations_period` (grouping, monday): a period's
  weekly lines of one grouping are found by the period, not among every week of the grouping
  (the primary keys lead with the filter columns, so a breakdown by category read the lines of
  every week of every category). On PostgreSQL both carry the lines' other columns, so a
  year of lines is read from the index alone (a year of duration buckets is some 15,000
  lines), whatever order the table's rows lie in.

The outcome figures (app/manage/outcome_rollup.py) likewise: `outcome_week_years` holds
`outcome_weeks` summed per ISO year, so the complaints outstanding at a moment (everything
received before it less everything resolved before it) read the years before it, not every week.

The yearly lines are kept from the weekly ones by triggers on `figure_cells` and
`figure_durations` and `outcome_weeks`, in the statement that changes a weekly line (that
statement runs in the rollups' own triggers, on PostgreSQL at the commit): on PostgreSQL once per statement from
its transition tables (the changed lines summed per year, in key order), on SQLite per line.
Lines counted down to zero are kept, as the weekly ones are.

Revision ID: b6d2f8a4c1e7
Revises: d59c522b6629
Create Date: 2026-12-04 16:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b6d2f8a4c1e7'
down_revision = 'd59c522b6629'
branch_labels = None
depends_on = None

#: weekly table -> (yearly table, its key columns but the week, its sums)
ROLLUPS = {
    'figure_cells': ('figure_cell_years', ('grouping', 'category', 'channel', 'tier', 'owner_id', 'transfer_count'),
                     ('complaints', 'met', 'disputed', 'transfers', 'first_response_breaches',
                      'resolution_breaches')),
    'figure_durations': ('figure_duration_years', ('grouping', 'category', 'channel', 'tier', 'measure', 'bucket'),
                         ('complaints',)),
    'outcome_weeks': ('outcome_week_years', ('category', 'measure', 'item'), ('complaints', 'cents')),
}
EVENTS = ('insert', 'update', 'delete')


def _iso_year(monday, dialect):
    """The ISO year of a Monday: the year of its Thursday."""
    if dialect == 'postgresql':
        return f"CAST(EXTRACT(ISOYEAR FROM {monday}) AS INTEGER)"
    return f"CAST(strftime('%Y', {monday}, '+3 days') AS INTEGER)"


def _upsert(years, keys, sums, source):
    """Add the sums of `source` (its keys, its year, its sums) to the yearly lines, in key
    order (every transaction takes the lines' locks in one order)."""
    columns = ', '.join((*keys, 'year', *sums))
    conflict = ', '.join(f"{s} = {years}.{s} + excluded.{s}" for s in sums)
    order = ', '.join(str(n) for n in range(1, len(keys) + 2))
    return (f"INSERT INTO {years} ({columns}) {source} ORDER BY {order} "
            f"ON CONFLICT ({', '.join((*keys, 'year'))}) DO UPDATE SET {conflict}")


def _summed(parts, keys, sums, dialect):
    """SELECT keys, year, sums FROM the union of (alias, sign) parts, grouped per year."""
    union = ' UNION ALL '.join(
        f"SELECT {', '.join(keys)}, {_iso_year('monday', dialect)} AS year, "
        f"{', '.join(f'{sign} * {s} AS {s}' for s in sums)} FROM {alias}"
        for alias, sign in parts
    )
    group = ', '.join(str(n) for n in range(1, len(keys) + 2))
    return (f"SELECT {', '.join(keys)}, year, {', '.join(f'sum({s})' for s in sums)} FROM ({union}) d "
            f"GROUP BY {group}")


def _row(row, keys, sums, sign, dialect):
    """SELECT one weekly line's keys, year and `sign` times its sums (SQLite, per line)."""
    values = ', '.join((*(f"{row}.{k}" for k in keys), _iso_year(f"{row}.monday", dialect),
                        *(f"{sign} * {row}.{s}" for s in sums)))
    return f"SELECT {values} WHERE true"  # a WHERE: SQLite reads the ON CONFLICT that follows as the upsert's


def backfill(table, dialect):
    """Every yearly line, summed from the weekly ones (into an empty yearly table)."""
    years, keys, sums = ROLLUPS[table]
    return (f"INSERT INTO {years} ({', '.join((*keys, 'year', *sums))}) "
            f"{_summed([(table, 1)], keys, sums, dialect)}")


def _postgresql_triggers(table):
    years, keys, sums = ROLLUPS[table]
    parts = {'insert': [('new_lines', 1)], 'update': [('new_lines', 1), ('old_lines', -1)],
             'delete': [('old_lines', -1)]}
    referencing = {'insert': 'NEW TABLE AS new_lines', 'update': 'NEW TABLE AS new_lines OLD TABLE AS old_lines',
                   'delete': 'OLD TABLE AS old_lines'}
    for event in EVENTS:
        name = f"{years}_{event}"
        statement = _upsert(years, keys, sums, _summed(parts[event], keys, sums, 'postgresql'))
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {statement}; RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {name} AFTER {event.upper()} ON {table} "
                   f"REFERENCING {referencing[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}()")


def _sqlite_triggers(table):
    years, keys, sums = ROLLUPS[table]
    add, remove = (_upsert(years, keys, sums, _row(row, keys, sums, sign, 'sqlite'))
                   for row, sign in (('NEW', 1), ('OLD', -1)))
    for event, statements in zip(EVENTS, ([add], [remove, add], [remove]), strict=True):
        op.execute(f"CREATE TRIGGER {years}_{event} AFTER {event.upper()} ON {table} "
                   f"BEGIN {'; '.join(statements)}; END")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # No weekly line changes between the backfill and the triggers.
        op.execute("LOCK TABLE figure_cells, figure_durations, outcome_weeks IN SHARE ROW EXCLUSIVE MODE")
    op.create_table('figure_cell_years',
    sa.Column('grouping', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('owner_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transfer_count', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('met', sa.Integer(), nullable=False),
    sa.Column('disputed', sa.Integer(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('first_response_breaches', sa.Integer(), nullable=False),
    sa.Column('resolution_breaches', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grouping', 'category', 'channel', 'tier', 'owner_id', 'transfer_count', 'year',
                            name=op.f('pk_figure_cell_years'))
    )
    op.create_table('figure_duration_years',
    sa.Column('grouping', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('measure', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grouping', 'category', 'channel', 'tier', 'measure', 'bucket', 'year',
                            name=op.f('pk_figure_duration_years'))
    )
    op.create_table('outcome_week_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('measure', sa.String(length=12), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'category', 'measure', 'item', name=op.f('pk_outcome_week_years'))
    )
    op.create_index('ix_figure_cells_period', 'figure_cells', ['grouping', 'monday'], postgresql_include=[
        'category', 'channel', 'tier', 'owner_id', 'transfer_count', *ROLLUPS['figure_cells'][2]])
    op.create_index('ix_figure_durations_period', 'figure_durations', ['grouping', 'monday'],
                    postgresql_include=['category', 'channel', 'tier', 'measure', 'bucket', 'complaints'])
    for table in ROLLUPS:
        op.execute(backfill(table, dialect))
        if dialect == 'postgresql':
            _postgresql_triggers(table)
        else:
            _sqlite_triggers(table)
    for table in (*(years for years, _, _ in ROLLUPS.values()), 'figure_cells', 'figure_durations'):
        op.execute(f"ANALYZE {table}")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for table, (years, _, _) in ROLLUPS.items():
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {years}_{event}" + (f" ON {table}" if postgresql else ""))
            if postgresql:
                op.execute(f"DROP FUNCTION IF EXISTS {years}_{event}()")
    op.drop_index('ix_figure_durations_period', table_name='figure_durations')
    op.drop_index('ix_figure_cells_period', table_name='figure_cells')
    op.drop_table('outcome_week_years')
    op.drop_table('figure_duration_years')
    op.drop_table('figure_cell_years')

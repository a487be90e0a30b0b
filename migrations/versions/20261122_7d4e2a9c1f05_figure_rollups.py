"""The dashboard's rollups of settled complaints, kept by triggers on complaint_facts, backfilled.

A complaint is *settled* when it is resolved or closed and was answered: nothing about it then
depends on the moment the figures are asked for (it is answered, so it counts towards the
first-response compliance; it is not open, so it has no backlog age). Settled complaints are
most of a registry, and the dashboard reads them from two small tables instead of one row each:

- `figure_cells`: per ISO week of registration (in the registry's time zone) and per
  *grouping* (which of category, channel, tier and owner it is broken down by; the other
  columns hold '' / 0 / -1, "any"), the count of complaints and the sums the figures need;
- `figure_durations`: the same weeks and groupings (without owner), the count of complaints
  per measure (1: time to first response, 2: time to resolution) and duration bucket
  (`figure_buckets`: lower bounds in milliseconds, about 5 % apart), so a percentile is
  found in one bucket and then read exactly from the complaints in that bucket.

Triggers on complaint_facts subtract a settled row's old contribution and add its new one in
the same transaction as the change (on PostgreSQL deferred to its commit), so the rollups are
exact under concurrent writes, whoever writes. Unsettled complaints (open, annulled, not answered) are never in them: the figures read
those live. `figure_weeks` maps each Monday to the instant it starts in the time zone named in
`figure_state`; `flask figures rebuild` rebuilds everything for another zone.

Revision ID: 7d4e2a9c1f05
Revises: 5c3f9a1d7e20
Create Date: 2026-11-22 22:20:00.000000

"""
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = '7d4e2a9c1f05'
down_revision = '5c3f9a1d7e20'
branch_labels = None
depends_on = None

#: Statuses of a settled complaint (answered, then resolved or closed).
SETTLED = ('resolved', 'closed')
#: Columns of complaint_facts whose change changes a settled complaint's contribution.
COUNTED = ('registered_at', 'category', 'channel', 'tier', 'owner_id', 'transfer_count', 'first_response_due',
           'first_responded_at', 'resolved_at', 'disputed', 'first_response_breaches', 'resolution_breaches')
#: Weeks covered: every Monday from FIRST_MONDAY for WEEKS weeks (1970 to 2169).
FIRST_MONDAY, WEEKS = date(1969, 12, 29), 10_436


def _settled(row):
    return f"({row}.status IN ({', '.join(repr(s) for s in SETTLED)}) AND {row}.first_responded_at IS NOT NULL)"


def _week(row):
    return f"(SELECT monday FROM figure_weeks WHERE starts <= {row}.registered_at ORDER BY starts DESC LIMIT 1)"


def _ms(end, row, dialect):
    if dialect == 'postgresql':
        return f"(EXTRACT(EPOCH FROM {row}.{end}) * 1000 - EXTRACT(EPOCH FROM {row}.registered_at) * 1000)"
    return (f"(ROUND((julianday({row}.{end}) - 2440587.5) * 86400000.0) "
            f"- ROUND((julianday({row}.registered_at) - 2440587.5) * 86400000.0))")


def _bucket(ms, dialect):
    # lower_ms <= ms exactly when lower_ms <= floor(ms) (whole bounds), and so the index is used
    whole = f"floor({ms})::bigint" if dialect == 'postgresql' else f"CAST({ms} AS INTEGER)"
    return f"(SELECT bucket FROM figure_buckets WHERE lower_ms <= {whole} ORDER BY lower_ms DESC LIMIT 1)"


_KEYS = ("CASE WHEN g.by_category THEN {r}.category ELSE '' END, "
         "CASE WHEN g.by_channel THEN {r}.channel ELSE '' END, "
         "CASE WHEN g.by_tier THEN {r}.tier ELSE 0 END")
_CELL_COLUMNS = ('grouping, category, channel, tier, owner_id, transfer_count, monday, complaints, met, disputed, '
                 'transfers, first_response_breaches, resolution_breaches')
_CELL_SUMS = ('complaints', 'met', 'disputed', 'transfers', 'first_response_breaches', 'resolution_breaches')
_CELL_CONFLICT = (
    "ON CONFLICT (grouping, category, channel, tier, owner_id, transfer_count, monday) DO UPDATE SET "
    + ", ".join(f"{c} = figure_cells.{c} + excluded.{c}" for c in _CELL_SUMS)
)
_DURATION_COLUMNS = 'grouping, category, channel, tier, measure, bucket, monday, complaints'
_DURATION_CONFLICT = ("ON CONFLICT (grouping, category, channel, tier, measure, bucket, monday) DO UPDATE SET "
                      "complaints = figure_durations.complaints + excluded.complaints")


def _cells_statement(row, sign):
    """Add `sign` times `row`'s contribution (when settled) to its cell of every grouping."""
    r = row
    return (
        f"INSERT INTO figure_cells ({_CELL_COLUMNS}) "
        f"SELECT g.id, {_KEYS.format(r=r)}, "
        f"CASE WHEN g.by_owner THEN coalesce({r}.owner_id, 0) ELSE -1 END, "
        f"CASE WHEN g.by_owner THEN -1 ELSE {r}.transfer_count END, {_week(r)}, "
        f"{sign}, {sign} * CASE WHEN {r}.first_responded_at <= {r}.first_response_due THEN 1 ELSE 0 END, "
        f"{sign} * CASE WHEN {r}.disputed THEN 1 ELSE 0 END, {sign} * {r}.transfer_count, "
        f"{sign} * {r}.first_response_breaches, {sign} * {r}.resolution_breaches "
        f"FROM figure_groupings g WHERE {_settled(r)} ORDER BY g.id "
        f"{_CELL_CONFLICT}"
    )


def _durations_statement(row, sign, dialect):
    """Add `sign` to the duration bucket of each measure `row` has (when settled), per grouping."""
    r = row
    measures = " UNION ALL ".join(
        f"SELECT {measure} AS measure, {_bucket(_ms(end, r, dialect), dialect)} AS bucket WHERE {r}.{end} IS NOT NULL"
        for measure, end in ((1, 'first_responded_at'), (2, 'resolved_at'))
    )
    return (
        f"INSERT INTO figure_durations ({_DURATION_COLUMNS}) "
        f"SELECT g.id, {_KEYS.format(r=r)}, m.measure, m.bucket, {_week(r)}, {sign} "
        f"FROM figure_groupings g, ({measures}) m WHERE NOT g.by_owner AND {_settled(r)} ORDER BY g.id, m.measure "
        f"{_DURATION_CONFLICT}"
    )


def _backfill(dialect):
    """Every settled complaint's contribution, from scratch (into empty rollups)."""
    week = _week('c')
    cells = (
        f"INSERT INTO figure_cells ({_CELL_COLUMNS}) "
        f"SELECT g.id, {_KEYS.format(r='f')}, CASE WHEN g.by_owner THEN coalesce(f.owner_id, 0) ELSE -1 END, "
        f"CASE WHEN g.by_owner THEN -1 ELSE f.transfer_count END, f.monday, count(*), "
        f"sum(CASE WHEN f.first_responded_at <= f.first_response_due THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN f.disputed THEN 1 ELSE 0 END), sum(f.transfer_count), sum(f.first_response_breaches), "
        f"sum(f.resolution_breaches) "
        f"FROM (SELECT c.*, {week} AS monday FROM complaint_facts c WHERE {_settled('c')}) f, figure_groupings g "
        f"GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )
    measures = " UNION ALL ".join(
        f"SELECT c.category, c.channel, c.tier, {week} AS monday, {measure} AS measure, "
        f"{_bucket(_ms(end, 'c', dialect), dialect)} AS bucket FROM complaint_facts c "
        f"WHERE {_settled('c')} AND c.{end} IS NOT NULL"
        for measure, end in ((1, 'first_responded_at'), (2, 'resolved_at'))
    )
    durations = (
        f"INSERT INTO figure_durations ({_DURATION_COLUMNS}) "
        f"SELECT g.id, {_KEYS.format(r='d')}, d.measure, d.bucket, d.monday, count(*) "
        f"FROM ({measures}) d, figure_groupings g WHERE NOT g.by_owner GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )
    return cells, durations


def bucket_lowers():
    """Lower bounds (ms) of the duration buckets: negative, under a minute, then about 5 % wider
    each, in whole seconds, to 400 days (the last bucket is open-ended)."""
    lowers, seconds = [-(10 ** 15), 0], 60
    while seconds < 400 * 86_400:
        lowers.append(seconds * 1000)
        seconds = max(seconds + 1, round(seconds * 1.05))
    return lowers


def week_rows(zone_name):
    zone = ZoneInfo(zone_name)
    return [
        {'monday': monday, 'starts': datetime.combine(monday, time(), zone)}
        for monday in (FIRST_MONDAY + timedelta(weeks=n) for n in range(WEEKS))
    ]


def _create_tables():
    op.create_table('figure_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('zone', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_figure_state_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_state'))
    )
    op.create_table('figure_weeks',
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('starts', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('monday', name=op.f('pk_figure_weeks')),
    sa.UniqueConstraint('starts', name=op.f('uq_figure_weeks_starts'))
    )
    op.create_table('figure_groupings',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('by_category', sa.Boolean(), nullable=False),
    sa.Column('by_channel', sa.Boolean(), nullable=False),
    sa.Column('by_tier', sa.Boolean(), nullable=False),
    sa.Column('by_owner', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_figure_groupings'))
    )
    op.create_table('figure_buckets',
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('lower_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', name=op.f('pk_figure_buckets')),
    sa.UniqueConstraint('lower_ms', name=op.f('uq_figure_buckets_lower_ms'))
    )
    op.create_table('figure_cells',
    sa.Column('grouping', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('owner_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('transfer_count', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('met', sa.Integer(), nullable=False),
    sa.Column('disputed', sa.Integer(), nullable=False),
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('first_response_breaches', sa.Integer(), nullable=False),
    sa.Column('resolution_breaches', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grouping', 'category', 'channel', 'tier', 'owner_id', 'transfer_count', 'monday',
                            name=op.f('pk_figure_cells'))
    )
    op.create_table('figure_durations',
    sa.Column('grouping', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('measure', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grouping', 'category', 'channel', 'tier', 'measure', 'bucket', 'monday',
                            name=op.f('pk_figure_durations'))
    )


def _fill_constants():
    groupings = sa.table('figure_groupings', sa.column('id', sa.Integer), sa.column('by_category', sa.Boolean),
                         sa.column('by_channel', sa.Boolean), sa.column('by_tier', sa.Boolean),
                         sa.column('by_owner', sa.Boolean))
    op.bulk_insert(groupings, [
        {'id': mask, 'by_category': bool(mask & 1), 'by_channel': bool(mask & 2), 'by_tier': bool(mask & 4),
         'by_owner': bool(mask & 8)}
        for mask in range(16)
    ])
    buckets = sa.table('figure_buckets', sa.column('bucket', sa.Integer), sa.column('lower_ms', sa.BigInteger))
    op.bulk_insert(buckets, [{'bucket': n, 'lower_ms': lower} for n, lower in enumerate(bucket_lowers())])
    zone = current_app.config['REGISTRY_TIMEZONE']
    state = sa.table('figure_state', sa.column('id', sa.Integer), sa.column('zone', sa.String))
    op.bulk_insert(state, [{'id': 1, 'zone': zone}])
    weeks = sa.table('figure_weeks', sa.column('monday', sa.Date), sa.column('starts', sa.DateTime(timezone=True)))
    rows = week_rows(zone)
    if op.get_bind().dialect.name == 'sqlite':  # stored as naive UTC there, as the app's UTCDateTime does
        rows = [{**row, 'starts': row['starts'].astimezone(ZoneInfo('UTC')).replace(tzinfo=None)} for row in rows]
    op.bulk_insert(weeks, rows)


def _changed(dialect):
    distinct = 'IS DISTINCT FROM' if dialect == 'postgresql' else 'IS NOT'
    return " OR ".join([f"OLD.{c} {distinct} NEW.{c}" for c in COUNTED] + [f"{_settled('OLD')} <> {_settled('NEW')}"])


def _postgresql_triggers():
    d = 'postgresql'
    for name, statements in (
        ('figure_rollups_insert', [_cells_statement('NEW', 1), _durations_statement('NEW', 1, d)]),
        ('figure_rollups_update', [_cells_statement('OLD', -1), _durations_statement('OLD', -1, d),
                                   _cells_statement('NEW', 1), _durations_statement('NEW', 1, d)]),
        ('figure_rollups_delete', [_cells_statement('OLD', -1), _durations_statement('OLD', -1, d)]),
    ):
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {'; '.join(statements)}; RETURN NULL; END $$")
    # Constraint triggers deferred to the commit: a transaction takes the rollups' shared lines
    # last, after its other locks (the number counters, the chain head, its complaint), so two
    # transactions never wait for each other in opposite orders; each invocation keeps the
    # OLD / NEW row of its own change, so several changes in one transaction add up.
    deferred = "AFTER {event} ON complaint_facts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    op.execute(f"CREATE CONSTRAINT TRIGGER figure_rollups_insert {deferred.format(event='INSERT')} "
               f"WHEN {_settled('NEW')} EXECUTE FUNCTION figure_rollups_insert()")
    op.execute(f"CREATE CONSTRAINT TRIGGER figure_rollups_update {deferred.format(event='UPDATE')} "
               f"WHEN (({_settled('OLD')} OR {_settled('NEW')}) AND ({_changed(d)})) "
               f"EXECUTE FUNCTION figure_rollups_update()")
    op.execute(f"CREATE CONSTRAINT TRIGGER figure_rollups_delete {deferred.format(event='DELETE')} "
               f"WHEN {_settled('OLD')} EXECUTE FUNCTION figure_rollups_delete()")


def _sqlite_triggers():
    d = 'sqlite'
    op.execute(f"CREATE TRIGGER figure_rollups_insert AFTER INSERT ON complaint_facts WHEN {_settled('NEW')} "
               f"BEGIN {_cells_statement('NEW', 1)}; {_durations_statement('NEW', 1, d)}; END")
    op.execute(f"CREATE TRIGGER figure_rollups_update AFTER UPDATE ON complaint_facts "
               f"WHEN ({_settled('OLD')} OR {_settled('NEW')}) AND ({_changed(d)}) "
               f"BEGIN {_cells_statement('OLD', -1)}; {_durations_statement('OLD', -1, d)}; "
               f"{_cells_statement('NEW', 1)}; {_durations_statement('NEW', 1, d)}; END")
    op.execute(f"CREATE TRIGGER figure_rollups_delete AFTER DELETE ON complaint_facts WHEN {_settled('OLD')} "
               f"BEGIN {_cells_statement('OLD', -1)}; {_durations_statement('OLD', -1, d)}; END")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # No facts row changes between the backfill and the triggers.
        op.execute("LOCK TABLE complaint_facts IN SHARE ROW EXCLUSIVE MODE")
    _create_tables()
    _fill_constants()
    if dialect == 'postgresql':  # the backfill's plan counts on knowing these are small
        op.execute("ANALYZE figure_groupings, figure_buckets, figure_weeks")
    for statement in _backfill(dialect):
        op.execute(statement)
    if dialect == 'postgresql':
        _postgresql_triggers()
        # The live part of the figures: complaints not settled, and the durations of all.
        op.execute(f"CREATE INDEX ix_complaint_facts_unsettled ON complaint_facts (registered_at) "
                   f"WHERE NOT {_settled('complaint_facts')}")
        # Partial: a complaint registered and not yet answered costs neither index anything.
        op.execute("CREATE INDEX ix_complaint_facts_first_response_time "
                   "ON complaint_facts ((first_responded_at - registered_at)) WHERE first_responded_at IS NOT NULL")
        op.execute("CREATE INDEX ix_complaint_facts_resolution_time "
                   "ON complaint_facts ((resolved_at - registered_at)) WHERE resolved_at IS NOT NULL")
    else:
        _sqlite_triggers()
        op.execute(f"CREATE INDEX ix_complaint_facts_unsettled ON complaint_facts (registered_at) "
                   f"WHERE NOT {_settled('complaint_facts')}")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name in ('figure_rollups_insert', 'figure_rollups_update', 'figure_rollups_delete'):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON complaint_facts" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    for index in ('ix_complaint_facts_unsettled', 'ix_complaint_facts_first_response_time',
                  'ix_complaint_facts_resolution_time'):
        op.execute(f"DROP INDEX IF EXISTS {index}")
    for table in ('figure_durations', 'figure_cells', 'figure_buckets', 'figure_groupings', 'figure_weeks',
                  'figure_state'):
        op.drop_table(table)

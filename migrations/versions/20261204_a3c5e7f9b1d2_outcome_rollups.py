"""Outcome figures bounded by the period they show: the closure band kept on the decision, and
daily and weekly rollups of the outcome counts kept by triggers.

- `complaints.closure_band`: the decision's closure time band (app/clocks/bands.py), fixed by
  `resolve` with the policy and calendar in force then and signed with the decision. Existing
  decisions get theirs here from the settings in force now (their signed facts predate the band,
  so `flask registry verify` does not hold them to one).
- `outcome_days` and `outcome_weeks`: per local day (and per ISO week, its Monday) in the time
  zone of the dashboard's rollups (`figure_state`; `local_days` holds each day's first moment),
  category, measure and item, the count of complaints (and the redress paid, in cents):
  received, closed, resolved (by resolution), remedy, band (by band code, '' unbanded), redress
  (by currency), extension (by clock), breach (by deadline). Annulled complaints never count.
  A period reads its full weeks from the weeks, the full days at its ends from the days, and
  only the part of a day at each end live.
- Triggers on complaints, complaint_clocks and breaches add a row's new contribution and take
  its old one away in the same transaction. SQLite writes the rollup at once (one writer). On
  PostgreSQL each trigger writes its contribution to `outcome_deltas` at once (computed from the
  rows as they are at that statement, so a clock and a category change in one transaction add
  up) and marks its transaction in `outcome_pending`; a deferred constraint trigger on that one
  row folds the transaction's deltas into the rollups at its commit, in key order, after its
  other locks: two transactions never wait for each other's rollup lines in opposite orders.

Complaints, clocks and breaches are never deleted by the application, so there are no delete
triggers; `flask figures rebuild` recomputes the rollups from scratch.

Revision ID: a3c5e7f9b1d2
Revises: c8e4a1f6d2b9
Create Date: 2026-12-04 10:00:00.000000

"""
import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = 'a3c5e7f9b1d2'
down_revision = 'c8e4a1f6d2b9'
branch_labels = None
depends_on = None

#: Columns of complaints whose change changes its own contribution.
COUNTED = ('received_at', 'closed_at', 'resolved_at', 'resolution', 'redress_remedy', 'redress_amount',
           'redress_currency', 'redress_paid_at', 'closure_band', 'category')
KEYS = 'category, measure, item'
SUMS = 'complaints, cents'
#: Days covered: 1970 to 2169, as figure_weeks.
FIRST_DAY, DAYS = date(1970, 1, 1), 73_049
#: Statuses never counted. The migration `joined_status` loads this module, sets it to
#: ('annulled', 'joined') and makes the triggers again: keep the triggers built from it.
UNCOUNTED = ('annulled',)


def _uncounted(status):
    """`status` (a column) is one of UNCOUNTED."""
    return f"{status} IN ({', '.join(repr(value) for value in UNCOUNTED)})"


def _day(moment):
    return f"(SELECT day FROM local_days WHERE starts <= {moment} ORDER BY starts DESC LIMIT 1)"


def _monday(day, dialect):
    """The Monday of the ISO week of local date `day`."""
    if dialect == 'postgresql':
        return f"({day} - (EXTRACT(ISODOW FROM {day})::int - 1))"
    return f"date({day}, '-' || ((CAST(strftime('%w', {day}) AS INTEGER) + 6) % 7) || ' days')"


def _cents(amount, dialect):
    return f"CAST({amount} * 100 AS BIGINT)" if dialect == 'postgresql' else f"CAST(ROUND({amount} * 100) AS INTEGER)"


def _complaint(r, sign, dialect):
    """What complaint row `r` counts, times `sign`: (day, category, measure, item, complaints, cents)."""
    counted = f"NOT {_uncounted(f'{r}.status')}"

    def line(moment, measure, item="''", condition="", cents="0"):
        return (f"SELECT {_day(f'{r}.{moment}')} AS day, {r}.category AS category, '{measure}' AS measure, "
                f"{item} AS item, {sign} AS complaints, {cents} AS cents "
                f"WHERE {counted} AND {r}.{moment} IS NOT NULL{condition}")

    return " UNION ALL ".join([
        line('received_at', 'received'),
        line('closed_at', 'closed'),
        line('resolved_at', 'resolved', f"coalesce({r}.resolution, '')"),
        line('resolved_at', 'remedy', condition=f" AND length(trim(coalesce({r}.redress_remedy, ''))) > 0"),
        line('resolved_at', 'band', f"coalesce({r}.closure_band, '')"),
        line('redress_paid_at', 'redress', f"{r}.redress_currency",
             f" AND {r}.redress_amount IS NOT NULL AND {r}.redress_currency IS NOT NULL",
             f"{sign} * {_cents(f'{r}.redress_amount', dialect)}"),
    ])


#: The contributions that hang on another table's rows: (table, measure, moment column).
DEPENDENTS = (('complaint_clocks', 'extension', 'extended_at'), ('breaches', 'breach', 'detected_at'))


def _dependents_of_complaint(r, sign):
    """What the clocks and breaches of complaint row `r` count, times `sign`."""
    return " UNION ALL ".join(
        f"SELECT {_day(f'd.{moment}')} AS day, {r}.category AS category, '{measure}' AS measure, "
        f"d.kind AS item, {sign} AS complaints, 0 AS cents FROM {table} d "
        f"WHERE d.complaint_id = {r}.id AND d.{moment} IS NOT NULL AND NOT {_uncounted(f'{r}.status')}"
        for table, measure, moment in DEPENDENTS
    )


def _dependent(d, measure, moment, sign):
    """What clock or breach row `d` counts, times `sign` (its complaint's category; none when annulled)."""
    return (f"SELECT {_day(f'{d}.{moment}')} AS day, c.category AS category, '{measure}' AS measure, "
            f"{d}.kind AS item, {sign} AS complaints, 0 AS cents FROM complaints c "
            f"WHERE c.id = {d}.complaint_id AND {d}.{moment} IS NOT NULL AND NOT {_uncounted('c.status')}")


def _upsert(table, period, dialect):
    return (f"ON CONFLICT ({period}, {KEYS}) DO UPDATE SET complaints = {table}.complaints + excluded.complaints, "
            f"cents = {table}.cents + excluded.cents")


def _apply(lines, dialect):
    """Add `lines` to the rollups (SQLite) or to the transaction's deltas (PostgreSQL)."""
    if dialect == 'postgresql':
        return (f"INSERT INTO outcome_deltas (txid, day, {KEYS}, {SUMS}) SELECT txid_current(), day, {KEYS}, {SUMS} "
                f"FROM ({lines}) d WHERE d.day IS NOT NULL; "
                # one row per transaction, whose (deferred) insert trigger folds them all at the commit
                f"INSERT INTO outcome_pending (txid) VALUES (txid_current()) ON CONFLICT DO NOTHING")
    return "; ".join(
        f"INSERT INTO {table} ({period}, {KEYS}, {SUMS}) SELECT {expression}, {KEYS}, {SUMS} FROM ({lines}) d "
        f"WHERE d.day IS NOT NULL {_upsert(table, period, dialect)}"
        for table, period, expression in (('outcome_days', 'day', 'day'),
                                          ('outcome_weeks', 'monday', _monday('day', dialect))))


def _distinct(dialect):
    return 'IS DISTINCT FROM' if dialect == 'postgresql' else 'IS NOT'


def _changed(dialect, columns, old='OLD', new='NEW'):
    d = _distinct(dialect)
    return " OR ".join([f"{old}.{c} {d} {new}.{c}" for c in columns]
                       + [f"({_uncounted(f'{old}.status')}) <> ({_uncounted(f'{new}.status')})"])


def _triggers(dialect):
    """(name, table, event, condition, statements) of every trigger."""
    moved = _changed(dialect, ('category',))
    triggers = [
        ('outcome_complaints_insert', 'complaints', 'INSERT', None, [_apply(_complaint('NEW', 1, dialect), dialect)]),
        ('outcome_complaints_update', 'complaints', 'UPDATE', _changed(dialect, COUNTED),
         [_apply(_complaint('OLD', -1, dialect), dialect), _apply(_complaint('NEW', 1, dialect), dialect)]),
        ('outcome_complaints_moved', 'complaints', 'UPDATE', moved,
         [_apply(_dependents_of_complaint('OLD', -1), dialect), _apply(_dependents_of_complaint('NEW', 1), dialect)]),
    ]
    d = _distinct(dialect)
    for table, measure, moment in DEPENDENTS:
        name = f"outcome_{table}"
        triggers += [
            (f"{name}_insert", table, 'INSERT', None, [_apply(_dependent('NEW', measure, moment, 1), dialect)]),
            (f"{name}_update", table, 'UPDATE',
             " OR ".join(f"OLD.{c} {d} NEW.{c}" for c in (moment, 'kind', 'complaint_id')),
             [_apply(_dependent('OLD', measure, moment, -1), dialect),
              _apply(_dependent('NEW', measure, moment, 1), dialect)]),
        ]
    return triggers


_FOLD = "; ".join(
    f"INSERT INTO {table} ({period}, {KEYS}, {SUMS}) "
    f"SELECT {expression}, {KEYS}, sum(complaints), sum(cents) FROM outcome_deltas WHERE txid = NEW.txid "
    f"GROUP BY 1, {KEYS} ORDER BY 1, {KEYS} {_upsert(table, period, 'postgresql')}"
    for table, period, expression in (('outcome_days', 'day', 'day'),
                                      ('outcome_weeks', 'monday', _monday('day', 'postgresql')))
) + "; DELETE FROM outcome_deltas WHERE txid = NEW.txid; DELETE FROM outcome_pending WHERE txid = NEW.txid"


def _create_trigger(dialect, name, table, event, condition, statements):
    """One row trigger `name` running `statements` after `event` on `table` (when `condition`)."""
    when = f" WHEN ({condition})" if condition else ""
    if dialect == 'postgresql':
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {'; '.join(statements)}; RETURN NULL; END $$")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} EXECUTE FUNCTION {name}()")
    else:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table}{when} BEGIN {'; '.join(statements)}; END")


def _create_triggers(dialect):
    for name, table, event, condition, statements in _triggers(dialect):
        _create_trigger(dialect, name, table, event, condition, statements)
    if dialect == 'postgresql':
        # Once per transaction (its outcome_pending row), at the commit: all its deltas.
        op.execute(f"CREATE FUNCTION outcome_fold() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {_FOLD}; RETURN NULL; END $$")
        op.execute("CREATE CONSTRAINT TRIGGER outcome_fold AFTER INSERT ON outcome_pending "
                   "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION outcome_fold()")


def _drop_triggers(dialect):
    names = [(name, table) for name, table, *_ in _triggers(dialect)]
    if dialect == 'postgresql':
        names.append(('outcome_fold', 'outcome_pending'))
    for name, table in names:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == 'postgresql' else ""))
        if dialect == 'postgresql':
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def _backfill(dialect):
    """Every complaint's, clock's and breach's contribution, from scratch (into an empty rollup)."""
    counted = f"NOT {_uncounted('c.status')}"
    parts = []
    for moment, measure, item, condition, cents in (
        ('received_at', 'received', "''", "", "0"),
        ('closed_at', 'closed', "''", "", "0"),
        ('resolved_at', 'resolved', "coalesce(c.resolution, '')", "", "0"),
        ('resolved_at', 'remedy', "''", " AND length(trim(coalesce(c.redress_remedy, ''))) > 0", "0"),
        ('resolved_at', 'band', "coalesce(c.closure_band, '')", "", "0"),
        ('redress_paid_at', 'redress', "c.redress_currency",
         " AND c.redress_amount IS NOT NULL AND c.redress_currency IS NOT NULL", _cents('c.redress_amount', dialect)),
    ):
        parts.append(f"SELECT {_day(f'c.{moment}')} AS day, c.category AS category, '{measure}' AS measure, "
                     f"{item} AS item, 1 AS complaints, {cents} AS cents FROM complaints c "
                     f"WHERE {counted} AND c.{moment} IS NOT NULL{condition}")
    for table, measure, moment in DEPENDENTS:
        parts.append(f"SELECT {_day(f'd.{moment}')} AS day, c.category AS category, '{measure}' AS measure, "
                     f"d.kind AS item, 1 AS complaints, 0 AS cents FROM {table} d JOIN complaints c "
                     f"ON c.id = d.complaint_id WHERE {counted} AND d.{moment} IS NOT NULL")
    return _summed_into_rollups(' UNION ALL '.join(parts), dialect)


def _summed_into_rollups(lines, dialect):
    """INSERT the SELECT `lines` (day, keys, complaints, cents) summed per day and per week into
    the (empty, for those lines) daily and weekly rollups."""
    return [
        f"INSERT INTO {table} ({period}, {KEYS}, {SUMS}) SELECT {expression}, {KEYS}, sum(complaints), sum(cents) "
        f"FROM ({lines}) l WHERE l.day IS NOT NULL GROUP BY 1, {KEYS}"
        for table, period, expression in (('outcome_days', 'day', 'l.day'),
                                          ('outcome_weeks', 'monday', _monday('l.day', dialect)))
    ]


def count_rows_of(table, trigger, lines_of):
    """For a later migration that counts the rows of another table in these rollups (the
    ratings, the template uses): count the rows there are, then each row inserted, in the same
    transaction as the rollups' own triggers do. `lines_of(r, source)` is the SELECT of what row
    `r` counts (of every row of `source`, when given): day, category, measure, item, complaints,
    cents. Rows never changed or deleted: there is no other trigger."""
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':  # no row between the backfill and the trigger
        op.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
    for statement in _summed_into_rollups(lines_of('r', f" FROM {table} r"), dialect):
        op.execute(statement)
    _create_trigger(dialect, trigger, table, 'INSERT', None, [_apply(lines_of('NEW', ''), dialect)])


def uncount_rows_of(table, trigger, measures):
    """Undo `count_rows_of`: its trigger, and the lines of its `measures`."""
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS {trigger}()")
    else:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    listed = ", ".join(f"'{measure}'" for measure in measures)
    # outcome_weeks' triggers take the yearly lines down to nothing; those lines go last.
    for rollup in ('outcome_days', 'outcome_weeks', 'outcome_week_years'):
        op.execute(f"DELETE FROM {rollup} WHERE measure IN ({listed})")  # noqa: S608 (constants)


def _settings():
    """The clock policies and calendar in force now (the latest stored versions, else config.py)."""
    from app.clock import now_utc
    from app.settings.store import build_settings, default_values

    config = current_app.config
    values = default_values(config)
    versions = sa.table('setting_versions', sa.column('id'), sa.column('key'), sa.column('value'),
                        sa.column('effective_from'))
    bind = op.get_bind()
    now = now_utc()
    if bind.dialect.name == 'sqlite':
        now = now.replace(tzinfo=None)
    for key in ('clock_policy', 'calendar'):
        value = bind.execute(
            sa.select(versions.c.value).where(versions.c.key == key, versions.c.effective_from <= now)
            .order_by(versions.c.effective_from.desc(), versions.c.id.desc()).limit(1)).scalar()
        if value is not None:
            values[key] = json.loads(value)
    return build_settings(values, config)


def _fill_bands():
    """The closure band of every decided complaint, by the policy and calendar in force now."""
    from app.clocks.bands import Banding
    from app.database import UTCDateTime

    settings = _settings()
    bind = op.get_bind()
    moment = UTCDateTime()
    complaints = sa.table('complaints', sa.column('id'), sa.column('category'), sa.column('received_at', moment),
                          sa.column('resolved_at', moment), sa.column('closure_band'))
    clocks = sa.table('complaint_clocks', sa.column('complaint_id'), sa.column('kind'), sa.column('paused_seconds'))
    paused = (sa.select(clocks.c.paused_seconds)
              .where(clocks.c.complaint_id == complaints.c.id, clocks.c.kind == 'final_response')
              .scalar_subquery())
    banding = {}
    last = 0
    update = sa.text("UPDATE complaints SET closure_band = :band WHERE id = :id")
    while True:
        rows = bind.execute(
            sa.select(complaints.c.id, complaints.c.category, complaints.c.received_at, complaints.c.resolved_at,
                      sa.func.coalesce(paused, 0))
            .where(complaints.c.resolved_at.is_not(None), complaints.c.id > last)
            .order_by(complaints.c.id).limit(20_000)).all()
        if not rows:
            break
        changes = []
        for complaint_id, category, received_at, resolved_at, paused_seconds in rows:
            limits = tuple(settings.clock_policies.for_category(category).closure_bands)
            if not limits:
                continue
            of_limits = banding.get(limits) or banding.setdefault(limits, Banding(limits, settings.calendar))
            changes.append({"id": complaint_id,
                            "band": of_limits.band(received_at, resolved_at, int(paused_seconds or 0)).code})
        if changes:
            bind.execute(update, changes)
        last = rows[-1][0]


def day_rows(zone_name):
    zone = ZoneInfo(zone_name)
    return [{'day': day, 'starts': datetime.combine(day, time(), zone)}
            for day in (FIRST_DAY + timedelta(days=n) for n in range(DAYS))]


def _fill_days(dialect):
    """Each local day's first moment, in the time zone the dashboard's rollups are kept in."""
    zone = op.get_bind().execute(sa.text("SELECT zone FROM figure_state")).scalar() or \
        current_app.config['REGISTRY_TIMEZONE']
    rows = day_rows(zone)
    if dialect == 'sqlite':  # stored as naive UTC there, as the app's UTCDateTime does
        rows = [{**row, 'starts': row['starts'].astimezone(ZoneInfo('UTC')).replace(tzinfo=None)} for row in rows]
    days = sa.table('local_days', sa.column('day', sa.Date), sa.column('starts', sa.DateTime(timezone=True)))
    op.bulk_insert(days, rows)
    if dialect == 'postgresql':
        op.execute("ANALYZE local_days")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':  # no change between the backfill and the triggers
        op.execute("LOCK TABLE complaints, complaint_clocks, breaches IN SHARE ROW EXCLUSIVE MODE")
    op.add_column('complaints', sa.Column('closure_band', sa.String(length=16), nullable=True))
    op.create_table('local_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_local_days')),
    sa.UniqueConstraint('starts', name=op.f('uq_local_days_starts'))
    )
    op.create_table('outcome_days',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('measure', sa.String(length=12), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category', 'measure', 'item', name=op.f('pk_outcome_days'))
    )
    op.create_table('outcome_weeks',
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('measure', sa.String(length=12), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('monday', 'category', 'measure', 'item', name=op.f('pk_outcome_weeks'))
    )
    op.create_table('outcome_deltas',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('txid', sa.BigInteger(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('measure', sa.String(length=12), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.Column('cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_deltas'))
    )
    op.create_index(op.f('ix_outcome_deltas_txid'), 'outcome_deltas', ['txid'], unique=False)
    op.create_table('outcome_pending',
    sa.Column('txid', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.PrimaryKeyConstraint('txid', name=op.f('pk_outcome_pending'))
    )
    # The live part of the figures: the days at a period's ends, read by these moments.
    for column in ('received_at', 'resolved_at', 'closed_at', 'redress_paid_at'):
        op.create_index(op.f(f'ix_complaints_{column}'), 'complaints', [column], unique=False)
    op.create_index('ix_complaint_clocks_extended_at', 'complaint_clocks', ['extended_at'], unique=False,
                    postgresql_where=sa.text('extended_at IS NOT NULL'), sqlite_where=sa.text('extended_at IS NOT NULL'))
    _fill_days(dialect)
    _fill_bands()
    for statement in _backfill(dialect):
        op.execute(statement)
    _create_triggers(dialect)


def downgrade():
    dialect = op.get_bind().dialect.name
    _drop_triggers(dialect)
    for column in ('received_at', 'resolved_at', 'closed_at', 'redress_paid_at'):
        op.drop_index(op.f(f'ix_complaints_{column}'), table_name='complaints')
    if dialect == 'sqlite':  # in place: a copied table would lose the other migrations' triggers
        op.execute("ALTER TABLE complaints DROP COLUMN closure_band")
    else:
        op.drop_column('complaints', 'closure_band')
    op.drop_index('ix_complaint_clocks_extended_at', table_name='complaint_clocks')
    op.drop_index(op.f('ix_outcome_deltas_txid'), table_name='outcome_deltas')
    op.drop_table('outcome_pending')
    op.drop_table('outcome_deltas')
    op.drop_table('outcome_weeks')
    op.drop_table('outcome_days')
    op.drop_table('local_days')

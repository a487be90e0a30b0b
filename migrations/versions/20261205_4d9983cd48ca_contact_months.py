"""Recurring complainants of a month or two: every contact's complaints per calendar month, kept by triggers.

The analysis page's recurring complainants (app/manage/analysis.py) are first counted for the
contacts that can have the most complaints in the period: the most of all time
(`figure_contact_totals`) and, for a period of half a year to three years, the most in the
calendar years it touches (`figure_contact_years`, migration `contact_years`). A month's counts
are a small part of a year's: in a busy registry neither bound settles the places of a period
of a few weeks, and the page summed every contact of the period. A contact's complaints in the
calendar months a period touches bound its count just as well, and closely.

- `figure_contact_months`: per calendar month of registration (UTC; its first day) and contact
  (an e-mail address in lower case, a phone number, as complaint_facts holds them), the
  complaints that give it, of every status;
- `ix_figure_contact_months_recurring`: a month's contacts with two complaints or more, by count.

Triggers on complaint_facts, as the years' (one statement per change), add a row's contacts to
its month when it is inserted, take them away when it is deleted and move them when its
address, phone or registration time changes, in the same transaction (on PostgreSQL deferred
to its commit, as the other rollups are).

Revision ID: 4d9983cd48ca
Revises: d7f9b1c3e5a8
Create Date: 2026-12-05 00:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '4d9983cd48ca'
down_revision = 'd7f9b1c3e5a8'
branch_labels = None
depends_on = None

_TRIGGERS = ('contact_months_insert', 'contact_months_update', 'contact_months_delete')


def _month(row, postgresql):
    """The first day of the calendar month (UTC) of `row`'s registration, as
    app.manage.rollup.utc_month."""
    if postgresql:
        return f"CAST(date_trunc('month', timezone('UTC', {row}.registered_at)) AS DATE)"
    return f"strftime('%Y-%m-01', {row}.registered_at)"


def _statement(row, sign, postgresql):
    """Add `sign` to the month's count of each contact `row` gives (in contact order: the lines'
    locks are taken in one order by every transaction)."""
    return (
        f"INSERT INTO figure_contact_months (month, contact, complaints) "  # noqa: S608  (no input)
        f"SELECT {_month(row, postgresql)}, x.contact, {sign} "
        f"FROM (SELECT {row}.email AS contact UNION ALL SELECT {row}.phone) x "
        f"WHERE x.contact IS NOT NULL ORDER BY x.contact "
        f"ON CONFLICT (month, contact) DO UPDATE SET complaints = figure_contact_months.complaints + excluded.complaints"
    )


def _backfill(postgresql):
    return (
        "INSERT INTO figure_contact_months (month, contact, complaints) "  # noqa: S608  (no input)
        "SELECT d.month, d.contact, count(*) FROM ("
        f"SELECT {_month('f', postgresql)} AS month, email AS contact FROM complaint_facts f WHERE email IS NOT NULL "
        f"UNION ALL SELECT {_month('f', postgresql)}, phone FROM complaint_facts f WHERE phone IS NOT NULL"
        ") d GROUP BY d.month, d.contact"
    )


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        # Nothing changes between the backfill and the triggers.
        op.execute("LOCK TABLE complaint_facts IN SHARE ROW EXCLUSIVE MODE")
    op.create_table('figure_contact_months',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'contact', name=op.f('pk_figure_contact_months'))
    )
    op.execute(_backfill(postgresql))
    op.create_index('ix_figure_contact_months_recurring', 'figure_contact_months', ['month', 'complaints'],
                    postgresql_where=sa.text('complaints > 1'), sqlite_where=sa.text('complaints > 1'))
    add, remove = _statement('NEW', 1, postgresql), _statement('OLD', -1, postgresql)
    distinct = 'IS DISTINCT FROM' if postgresql else 'IS NOT'
    moved = " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in ('email', 'phone', 'registered_at'))
    if postgresql:
        for name, statements in zip(_TRIGGERS, ([add], [remove, add], [remove]), strict=True):
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {'; '.join(statements)}; RETURN NULL; END $$")
        # Deferred to the commit, as the dashboard's and the analysis page's rollups are.
        deferred = "AFTER {event} ON complaint_facts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_months_insert {deferred.format(event='INSERT')} "
                   f"WHEN (NEW.email IS NOT NULL OR NEW.phone IS NOT NULL) EXECUTE FUNCTION contact_months_insert()")
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_months_update {deferred.format(event='UPDATE')} "
                   f"WHEN ({moved}) EXECUTE FUNCTION contact_months_update()")
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_months_delete {deferred.format(event='DELETE')} "
                   f"WHEN (OLD.email IS NOT NULL OR OLD.phone IS NOT NULL) EXECUTE FUNCTION contact_months_delete()")
    else:
        op.execute(f"CREATE TRIGGER contact_months_insert AFTER INSERT ON complaint_facts "
                   f"WHEN NEW.email IS NOT NULL OR NEW.phone IS NOT NULL BEGIN {add}; END")
        op.execute(f"CREATE TRIGGER contact_months_update AFTER UPDATE OF email, phone, registered_at "
                   f"ON complaint_facts WHEN {moved} BEGIN {remove}; {add}; END")
        op.execute(f"CREATE TRIGGER contact_months_delete AFTER DELETE ON complaint_facts "
                   f"WHEN OLD.email IS NOT NULL OR OLD.phone IS NOT NULL BEGIN {remove}; END")
    # The planners' statistics of the new table and index (SQLite's planner picks an index by them).
    op.execute("ANALYZE figure_contact_months")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON complaint_facts" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index('ix_figure_contact_months_recurring', table_name='figure_contact_months')
    op.drop_table('figure_contact_months')

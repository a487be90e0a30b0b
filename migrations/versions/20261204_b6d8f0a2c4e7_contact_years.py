"""Recurring complainants bounded by the period: every contact's complaints per year, kept by triggers.

The analysis page's recurring complainants (app/manage/analysis.py) are first counted for the
contacts that can have the most complaints in the period. The count of all time
(`figure_contact_totals`, migration `contact_totals`) bounds any period, but in an older
registry the same customers come back year after year, so their counts of all time no longer
tell which of them are frequent in the period asked for, and the page ends up summing the
whole period. A contact's complaints in the calendar years a period touches bound its count in
the period just as well, and those do not grow with the registry's age.

- `figure_contact_years`: per calendar year of registration (UTC) and contact (an e-mail
  address in lower case, a phone number, as complaint_facts holds them), the complaints that
  give it, of every status;
- `ix_figure_contact_years_recurring`: a year's contacts with two complaints or more, by count.

Triggers on complaint_facts add a row's contacts to its year when it is inserted, take them
away when it is deleted and move them when its address, phone or registration time changes, in
the same transaction (on PostgreSQL deferred to its commit, as the other rollups are).

Revision ID: b6d8f0a2c4e7
Revises: 7ce5182d684c
Create Date: 2026-12-04 16:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b6d8f0a2c4e7'
down_revision = '7ce5182d684c'
branch_labels = None
depends_on = None

_TRIGGERS = ('contact_years_insert', 'contact_years_update', 'contact_years_delete')


def _year(row, postgresql):
    """The calendar year (UTC) of `row`'s registration, as app.manage.rollup.utc_year."""
    if postgresql:
        return f"CAST(EXTRACT(YEAR FROM timezone('UTC', {row}.registered_at)) AS INTEGER)"
    return f"CAST(strftime('%Y', {row}.registered_at) AS INTEGER)"


def _statement(row, sign, postgresql):
    """Add `sign` to the year's count of each contact `row` gives (in contact order: the lines'
    locks are taken in one order by every transaction)."""
    return (
        f"INSERT INTO figure_contact_years (year, contact, complaints) "  # noqa: S608  (no input)
        f"SELECT {_year(row, postgresql)}, x.contact, {sign} "
        f"FROM (SELECT {row}.email AS contact UNION ALL SELECT {row}.phone) x "
        f"WHERE x.contact IS NOT NULL ORDER BY x.contact "
        f"ON CONFLICT (year, contact) DO UPDATE SET complaints = figure_contact_years.complaints + excluded.complaints"
    )


def _backfill(postgresql):
    return (
        "INSERT INTO figure_contact_years (year, contact, complaints) "  # noqa: S608  (no input)
        "SELECT d.year, d.contact, count(*) FROM ("
        f"SELECT {_year('f', postgresql)} AS year, email AS contact FROM complaint_facts f WHERE email IS NOT NULL "
        f"UNION ALL SELECT {_year('f', postgresql)}, phone FROM complaint_facts f WHERE phone IS NOT NULL"
        ") d GROUP BY d.year, d.contact"
    )


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    if postgresql:
        # Nothing changes between the backfill and the triggers.
        op.execute("LOCK TABLE complaint_facts IN SHARE ROW EXCLUSIVE MODE")
    op.create_table('figure_contact_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'contact', name=op.f('pk_figure_contact_years'))
    )
    op.execute(_backfill(postgresql))
    op.create_index('ix_figure_contact_years_recurring', 'figure_contact_years', ['year', 'complaints'],
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
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_years_insert {deferred.format(event='INSERT')} "
                   f"WHEN (NEW.email IS NOT NULL OR NEW.phone IS NOT NULL) EXECUTE FUNCTION contact_years_insert()")
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_years_update {deferred.format(event='UPDATE')} "
                   f"WHEN ({moved}) EXECUTE FUNCTION contact_years_update()")
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_years_delete {deferred.format(event='DELETE')} "
                   f"WHEN (OLD.email IS NOT NULL OR OLD.phone IS NOT NULL) EXECUTE FUNCTION contact_years_delete()")
    else:
        op.execute(f"CREATE TRIGGER contact_years_insert AFTER INSERT ON complaint_facts "
                   f"WHEN NEW.email IS NOT NULL OR NEW.phone IS NOT NULL BEGIN {add}; END")
        op.execute(f"CREATE TRIGGER contact_years_update AFTER UPDATE OF email, phone, registered_at "
                   f"ON complaint_facts WHEN {moved} BEGIN {remove}; {add}; END")
        op.execute(f"CREATE TRIGGER contact_years_delete AFTER DELETE ON complaint_facts "
                   f"WHEN OLD.email IS NOT NULL OR OLD.phone IS NOT NULL BEGIN {remove}; END")
    # The planners' statistics of the new table and index (SQLite's planner picks an index by them).
    op.execute("ANALYZE figure_contact_years")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON complaint_facts" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index('ix_figure_contact_years_recurring', table_name='figure_contact_years')
    op.drop_table('figure_contact_years')

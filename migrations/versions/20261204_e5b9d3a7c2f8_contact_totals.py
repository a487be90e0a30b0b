"""Recurring complainants bounded: every contact's complaints of all time, kept by triggers.

The analysis page's recurring complainants (app/manage/analysis.py) are the contacts behind two
complaints or more in a period, the most frequent first. Summing a year of `figure_contacts`
(one line per contact and week, nearly one per complaint) reads about every complaint of the
year. With the count of every contact's complaints of all time, a contact can have no more
complaints in any period than that count, so the page reads the period's complaints of the few
contacts with the most complaints of all time first, and all of the period only when those
cannot settle the first places.

- `figure_contact_totals`: per contact (an e-mail address in lower case, a phone number, as
  complaint_facts holds them), the complaints that give it, of every status;
- `ix_figure_contact_totals_recurring`: the contacts with two complaints or more, in the
  page's order (most complaints first, then the contact in byte order: COLLATE "C" on
  PostgreSQL, SQLite's default);
- `ix_figure_contacts_contact`: figure_contacts by contact and week, so one contact's weeks of
  a period are read by key.

Triggers on complaint_facts add a row's contacts when it is inserted, take them away when it is
deleted and move them when its address or phone changes, in the same transaction (on
PostgreSQL deferred to its commit, as the other rollups are: the shared lines are taken last).

Revision ID: e5b9d3a7c2f8
Revises: a3c5e7f9b1d2
Create Date: 2026-12-04 14:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e5b9d3a7c2f8'
down_revision = 'a3c5e7f9b1d2'
branch_labels = None
depends_on = None

_TRIGGERS = ('contact_totals_insert', 'contact_totals_update', 'contact_totals_delete')


def _statement(row, sign):
    """Add `sign` to the total of each contact `row` gives (in contact order: the lines' locks
    are taken in one order by every transaction)."""
    return (
        f"INSERT INTO figure_contact_totals (contact, complaints) "
        f"SELECT x.contact, {sign} FROM (SELECT {row}.email AS contact UNION ALL SELECT {row}.phone) x "
        f"WHERE x.contact IS NOT NULL ORDER BY x.contact "
        f"ON CONFLICT (contact) DO UPDATE SET complaints = figure_contact_totals.complaints + excluded.complaints"
    )


_BACKFILL = (
    "INSERT INTO figure_contact_totals (contact, complaints) "
    "SELECT d.contact, count(*) FROM ("
    "SELECT email AS contact FROM complaint_facts WHERE email IS NOT NULL UNION ALL "
    "SELECT phone FROM complaint_facts WHERE phone IS NOT NULL) d GROUP BY d.contact"
)


def upgrade():
    dialect = op.get_bind().dialect.name
    postgresql = dialect == 'postgresql'
    if postgresql:
        # Nothing changes between the backfill and the triggers.
        op.execute("LOCK TABLE complaint_facts IN SHARE ROW EXCLUSIVE MODE")
    op.create_table('figure_contact_totals',
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('contact', name=op.f('pk_figure_contact_totals'))
    )
    op.create_index('ix_figure_contacts_contact', 'figure_contacts', ['contact', 'monday'])
    op.execute(_BACKFILL)
    collated = 'contact COLLATE "C"' if postgresql else 'contact'
    op.execute(f"CREATE INDEX ix_figure_contact_totals_recurring ON figure_contact_totals "
               f"(complaints DESC, {collated}) WHERE complaints > 1")
    add, remove = _statement('NEW', 1), _statement('OLD', -1)
    distinct = 'IS DISTINCT FROM' if postgresql else 'IS NOT'
    moved = f"OLD.email {distinct} NEW.email OR OLD.phone {distinct} NEW.phone"
    if postgresql:
        for name, statements in zip(_TRIGGERS, ([add], [remove, add], [remove]), strict=True):
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {'; '.join(statements)}; RETURN NULL; END $$")
        # Deferred to the commit, as the dashboard's and the analysis page's rollups are.
        deferred = "AFTER {event} ON complaint_facts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_totals_insert {deferred.format(event='INSERT')} "
                   f"WHEN (NEW.email IS NOT NULL OR NEW.phone IS NOT NULL) EXECUTE FUNCTION contact_totals_insert()")
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_totals_update {deferred.format(event='UPDATE')} "
                   f"WHEN ({moved}) EXECUTE FUNCTION contact_totals_update()")
        op.execute(f"CREATE CONSTRAINT TRIGGER contact_totals_delete {deferred.format(event='DELETE')} "
                   f"WHEN (OLD.email IS NOT NULL OR OLD.phone IS NOT NULL) EXECUTE FUNCTION contact_totals_delete()")
    else:
        op.execute(f"CREATE TRIGGER contact_totals_insert AFTER INSERT ON complaint_facts "
                   f"WHEN NEW.email IS NOT NULL OR NEW.phone IS NOT NULL BEGIN {add}; END")
        op.execute(f"CREATE TRIGGER contact_totals_update AFTER UPDATE OF email, phone ON complaint_facts "
                   f"WHEN {moved} BEGIN {remove}; {add}; END")
        op.execute(f"CREATE TRIGGER contact_totals_delete AFTER DELETE ON complaint_facts "
                   f"WHEN OLD.email IS NOT NULL OR OLD.phone IS NOT NULL BEGIN {remove}; END")
    # The planners' statistics of the new table and index (SQLite's planner picks an index by them).
    for table in ('figure_contact_totals', 'figure_contacts'):
        op.execute(f"ANALYZE {table}")


def downgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON complaint_facts" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index('ix_figure_contacts_contact', table_name='figure_contacts')
    op.execute("DROP INDEX IF EXISTS ix_figure_contact_totals_recurring")
    op.drop_table('figure_contact_totals')

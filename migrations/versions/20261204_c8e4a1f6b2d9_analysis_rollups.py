"""The analysis page's rollups of settled complaints, kept by triggers on complaint_facts, backfilled.

The analysis page (app/manage/analysis.py) reads, like the dashboard, the settled complaints of
a period's full weeks from rollups and the rest live (app/manage/rollup.py). Its categories per
week come from `figure_cells` already; what it needs besides:

- complaint_facts gains what those figures count per complaint: its contacts (the e-mail
  address in lower case, the phone number), its escalations per reason, and its breaches of the
  regulatory clocks' deadlines per kind (the first-response and resolution breaches are counted
  there already). Triggers keep them: the complaint's insert and update triggers copy the
  contacts, new triggers on escalations and breaches count the rows;
- `figure_reasons`: per week, grouping (without owner) and reason, the escalations and breaches
  of settled complaints (kind 'escalation' or 'breach', reason: the escalation's reason or the
  breach's deadline);
- `figure_contacts`: per week, contact, category, channel and tier, the settled complaints
  (one line per contact a complaint gives), so recurring complainants are counted from weeks.

Triggers on complaint_facts subtract a settled row's old contribution and add its new one in
the same transaction (on PostgreSQL deferred to its commit, as the dashboard's are). On SQLite,
a later migration that rebuilds `escalations` or `breaches` drops the triggers on them and must
make them again.

Revision ID: c8e4a1f6b2d9
Revises: b4d7e2a9c6f1
Create Date: 2026-12-04 10:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c8e4a1f6b2d9'
down_revision = 'b4d7e2a9c6f1'
branch_labels = None
depends_on = None

SETTLED = ('resolved', 'closed')
REASONS = ('first_response_breach', 'resolution_breach', 'complainant_request', 'transfers', 'owner_request',
           'clock_breach')
CLOCK_KINDS = ('registration', 'acknowledgement', 'holding_response', 'final_response')
#: complaint_facts' count column of each (kind, reason) the analysis rolls up.
COUNTS = (
    *(('escalation', reason, f'escalations_{reason}') for reason in REASONS),
    ('breach', 'first_response', 'first_response_breaches'),
    ('breach', 'resolution', 'resolution_breaches'),
    *(('breach', kind, f'{kind}_breaches') for kind in CLOCK_KINDS),
)
NEW_COUNTS = tuple(column for _, _, column in COUNTS[:len(REASONS)]) + tuple(f'{k}_breaches' for k in CLOCK_KINDS)
#: The complaint's columns the facts triggers copied before (migration complaint_facts).
COPIED = ('registered_at', 'category', 'channel', 'tier', 'status', 'owner_id', 'transfer_count',
          'first_response_due', 'first_responded_at', 'resolved_at')
KEYS = ('registered_at', 'category', 'channel', 'tier', 'email', 'phone')


def _settled(row):
    return f"({row}.status IN ({', '.join(repr(s) for s in SETTLED)}) AND {row}.first_responded_at IS NOT NULL)"


def _week(row):
    return f"(SELECT monday FROM figure_weeks WHERE starts <= {row}.registered_at ORDER BY starts DESC LIMIT 1)"


# --- complaint_facts: contacts and counts --------------------------------------------------------

def _facts_insert():
    names = [*COPIED, 'email', 'phone']
    values = [*(f'NEW.{c}' for c in COPIED), 'lower(NEW.email)', 'NEW.phone']
    return f"INSERT INTO complaint_facts (complaint_id, {', '.join(names)}) VALUES (NEW.id, {', '.join(values)})"


def _facts_update(with_contacts):
    sets = [f'{c} = NEW.{c}' for c in COPIED]
    if with_contacts:
        sets += ['email = lower(NEW.email)', 'phone = NEW.phone']
    return f"UPDATE complaint_facts SET {', '.join(sets)} WHERE complaint_id = NEW.id"


def _plain_insert():
    return (f"INSERT INTO complaint_facts (complaint_id, {', '.join(COPIED)}) "
            f"VALUES (NEW.id, {', '.join('NEW.' + c for c in COPIED)})")


_ESCALATION = (
    "UPDATE complaint_facts SET "
    + ", ".join(f"escalations_{r} = escalations_{r} + CASE WHEN NEW.reason = '{r}' THEN 1 ELSE 0 END" for r in REASONS)
    + " WHERE complaint_id = NEW.complaint_id"
)
_CLOCK_BREACH = (
    "UPDATE complaint_facts SET "
    + ", ".join(f"{k}_breaches = {k}_breaches + CASE WHEN NEW.kind = '{k}' THEN 1 ELSE 0 END" for k in CLOCK_KINDS)
    + " WHERE complaint_id = NEW.complaint_id"
)
_CLOCK_KIND_LIST = ", ".join(repr(k) for k in CLOCK_KINDS)


def _facts_triggers(dialect, with_contacts):
    """The complaints' insert and update triggers of complaint_facts, with or without contacts."""
    insert = _facts_insert() if with_contacts else _plain_insert()
    update = _facts_update(with_contacts)
    columns = [*COPIED, *(('email', 'phone') if with_contacts else ())]
    if dialect == 'postgresql':
        changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
        for name, body in (('complaint_facts_insert', insert), ('complaint_facts_update', update)):
            op.execute(f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body}; RETURN NULL; END $$")
        op.execute("DROP TRIGGER IF EXISTS complaint_facts_update ON complaints")
        op.execute(f"CREATE TRIGGER complaint_facts_update AFTER UPDATE ON complaints "
                   f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION complaint_facts_update()")
    else:
        op.execute("DROP TRIGGER IF EXISTS complaint_facts_insert")
        op.execute("DROP TRIGGER IF EXISTS complaint_facts_update")
        op.execute(f"CREATE TRIGGER complaint_facts_insert AFTER INSERT ON complaints BEGIN {insert}; END")
        op.execute(f"CREATE TRIGGER complaint_facts_update AFTER UPDATE OF {', '.join(columns)} ON complaints "
                   f"BEGIN {update}; END")


def _count_triggers(dialect):
    if dialect == 'postgresql':
        for name, body in (('complaint_facts_escalation', _ESCALATION),
                           ('complaint_facts_clock_breach', _CLOCK_BREACH)):
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {body}; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER complaint_facts_escalation AFTER INSERT ON escalations "
                   "FOR EACH ROW EXECUTE FUNCTION complaint_facts_escalation()")
        op.execute(f"CREATE TRIGGER complaint_facts_clock_breach AFTER INSERT ON breaches "
                   f"FOR EACH ROW WHEN (NEW.kind IN ({_CLOCK_KIND_LIST})) EXECUTE FUNCTION complaint_facts_clock_breach()")
    else:
        op.execute(f"CREATE TRIGGER complaint_facts_escalation AFTER INSERT ON escalations BEGIN {_ESCALATION}; END")
        op.execute(f"CREATE TRIGGER complaint_facts_clock_breach AFTER INSERT ON breaches "
                   f"WHEN NEW.kind IN ({_CLOCK_KIND_LIST}) BEGIN {_CLOCK_BREACH}; END")


_BACKFILL_FACTS = (
    "UPDATE complaint_facts SET "
    "email = (SELECT lower(c.email) FROM complaints c WHERE c.id = complaint_facts.complaint_id), "
    "phone = (SELECT c.phone FROM complaints c WHERE c.id = complaint_facts.complaint_id), "
    + ", ".join(f"escalations_{r} = (SELECT count(*) FROM escalations e "
                f"WHERE e.complaint_id = complaint_facts.complaint_id AND e.reason = '{r}')" for r in REASONS)
    + ", "
    + ", ".join(f"{k}_breaches = (SELECT count(*) FROM breaches b "
                f"WHERE b.complaint_id = complaint_facts.complaint_id AND b.kind = '{k}')" for k in CLOCK_KINDS)
)


# --- the rollups -----------------------------------------------------------------------------------

_KEYS = ("CASE WHEN g.by_category THEN {r}.category ELSE '' END, "
         "CASE WHEN g.by_channel THEN {r}.channel ELSE '' END, "
         "CASE WHEN g.by_tier THEN {r}.tier ELSE 0 END")
_REASON_CONFLICT = ("ON CONFLICT (grouping, category, channel, tier, kind, reason, monday) DO UPDATE SET "
                    "events = figure_reasons.events + excluded.events")
_CONTACT_CONFLICT = ("ON CONFLICT (monday, contact, category, channel, tier) DO UPDATE SET "
                     "complaints = figure_contacts.complaints + excluded.complaints")


def _counts(row):
    return " UNION ALL ".join(f"SELECT '{kind}' AS kind, '{reason}' AS reason, {row}.{column} AS n"
                              for kind, reason, column in COUNTS)


def _reasons_statement(row, sign):
    r = row
    return (
        f"INSERT INTO figure_reasons (grouping, category, channel, tier, kind, reason, monday, events) "
        f"SELECT g.id, {_KEYS.format(r=r)}, x.kind, x.reason, {_week(r)}, {sign} * x.n "
        f"FROM figure_groupings g, ({_counts(r)}) x WHERE NOT g.by_owner AND x.n <> 0 AND {_settled(r)} "
        f"ORDER BY g.id, x.kind, x.reason {_REASON_CONFLICT}"
    )


def _contacts_statement(row, sign):
    r = row
    return (
        f"INSERT INTO figure_contacts (monday, contact, category, channel, tier, complaints) "
        f"SELECT {_week(r)}, x.contact, {r}.category, {r}.channel, {r}.tier, {sign} "
        f"FROM (SELECT {r}.email AS contact UNION ALL SELECT {r}.phone) x "
        f"WHERE x.contact IS NOT NULL AND {_settled(r)} ORDER BY x.contact {_CONTACT_CONFLICT}"
    )


def _backfill():
    week = _week('c')
    counts = " UNION ALL ".join(
        f"SELECT c.category, c.channel, c.tier, {week} AS monday, '{kind}' AS kind, '{reason}' AS reason, "
        f"c.{column} AS n FROM complaint_facts c WHERE {_settled('c')} AND c.{column} <> 0"
        for kind, reason, column in COUNTS
    )
    reasons = (
        f"INSERT INTO figure_reasons (grouping, category, channel, tier, kind, reason, monday, events) "
        f"SELECT g.id, {_KEYS.format(r='d')}, d.kind, d.reason, d.monday, sum(d.n) "
        f"FROM ({counts}) d, figure_groupings g WHERE NOT g.by_owner GROUP BY 1, 2, 3, 4, 5, 6, 7"
    )
    contacts = (
        f"INSERT INTO figure_contacts (monday, contact, category, channel, tier, complaints) "
        f"SELECT d.monday, d.contact, d.category, d.channel, d.tier, count(*) FROM ("
        f"SELECT {week} AS monday, c.email AS contact, c.category, c.channel, c.tier FROM complaint_facts c "
        f"WHERE {_settled('c')} AND c.email IS NOT NULL UNION ALL "
        f"SELECT {week}, c.phone, c.category, c.channel, c.tier FROM complaint_facts c "
        f"WHERE {_settled('c')} AND c.phone IS NOT NULL) d GROUP BY 1, 2, 3, 4, 5"
    )
    return reasons, contacts


def _changed(dialect):
    distinct = 'IS DISTINCT FROM' if dialect == 'postgresql' else 'IS NOT'
    columns = [*KEYS, *(column for _, _, column in COUNTS)]
    return " OR ".join([f"OLD.{c} {distinct} NEW.{c}" for c in columns] + [f"{_settled('OLD')} <> {_settled('NEW')}"])


_TRIGGERS = ('analysis_rollups_insert', 'analysis_rollups_update', 'analysis_rollups_delete')


def _sqlite_ms(column):
    """A moment in milliseconds, as app.database.epoch_ms writes it on SQLite."""
    return f"ROUND((julianday({column}) - 2440587.5) * 86400000.0)"


#: SQLite's indexes on each duration in milliseconds, written as the dashboard's percentiles
#: (app/manage/figures/percentiles.py) compute it, so a percentile's bucket is read in order
#: there too (PostgreSQL has its own on the interval, migration figure_rollups).
SQLITE_DURATION_INDEXES = {
    'ix_complaint_facts_first_response_ms': 'first_responded_at',
    'ix_complaint_facts_resolution_ms': 'resolved_at',
}


def _rollup_triggers(dialect):
    add = [_reasons_statement('NEW', 1), _contacts_statement('NEW', 1)]
    remove = [_reasons_statement('OLD', -1), _contacts_statement('OLD', -1)]
    when_update = f"({_settled('OLD')} OR {_settled('NEW')}) AND ({_changed(dialect)})"
    if dialect == 'postgresql':
        for name, statements in zip(_TRIGGERS, (add, remove + add, remove), strict=True):
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                       f"BEGIN {'; '.join(statements)}; RETURN NULL; END $$")
        # Deferred to the commit, as the dashboard's rollups are (migration figure_rollups).
        deferred = "AFTER {event} ON complaint_facts DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
        op.execute(f"CREATE CONSTRAINT TRIGGER analysis_rollups_insert {deferred.format(event='INSERT')} "
                   f"WHEN {_settled('NEW')} EXECUTE FUNCTION analysis_rollups_insert()")
        op.execute(f"CREATE CONSTRAINT TRIGGER analysis_rollups_update {deferred.format(event='UPDATE')} "
                   f"WHEN ({when_update}) EXECUTE FUNCTION analysis_rollups_update()")
        op.execute(f"CREATE CONSTRAINT TRIGGER analysis_rollups_delete {deferred.format(event='DELETE')} "
                   f"WHEN {_settled('OLD')} EXECUTE FUNCTION analysis_rollups_delete()")
    else:
        op.execute(f"CREATE TRIGGER analysis_rollups_insert AFTER INSERT ON complaint_facts WHEN {_settled('NEW')} "
                   f"BEGIN {'; '.join(add)}; END")
        op.execute(f"CREATE TRIGGER analysis_rollups_update AFTER UPDATE ON complaint_facts WHEN {when_update} "
                   f"BEGIN {'; '.join(remove + add)}; END")
        op.execute(f"CREATE TRIGGER analysis_rollups_delete AFTER DELETE ON complaint_facts WHEN {_settled('OLD')} "
                   f"BEGIN {'; '.join(remove)}; END")


def upgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        # Nothing changes between the backfill and the triggers.
        op.execute("LOCK TABLE complaints, escalations, breaches, complaint_facts IN SHARE ROW EXCLUSIVE MODE")
    op.add_column('complaint_facts', sa.Column('email', sa.String(length=254), nullable=True))
    op.add_column('complaint_facts', sa.Column('phone', sa.String(length=32), nullable=True))
    for column in NEW_COUNTS:
        op.add_column('complaint_facts', sa.Column(column, sa.Integer(), server_default='0', nullable=False))
    op.create_table('figure_reasons',
    sa.Column('grouping', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=30), nullable=False),
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('events', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('grouping', 'category', 'channel', 'tier', 'kind', 'reason', 'monday',
                            name=op.f('pk_figure_reasons'))
    )
    op.create_table('figure_contacts',
    sa.Column('monday', sa.Date(), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('tier', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('complaints', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('monday', 'contact', 'category', 'channel', 'tier', name=op.f('pk_figure_contacts'))
    )
    op.execute(_BACKFILL_FACTS)
    _facts_triggers(dialect, with_contacts=True)
    _count_triggers(dialect)
    for statement in _backfill():
        op.execute(statement)
    _rollup_triggers(dialect)
    if dialect == 'sqlite':
        for name, end in SQLITE_DURATION_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON complaint_facts (({_sqlite_ms(end)} - {_sqlite_ms('registered_at')})) "
                       f"WHERE {end} IS NOT NULL")


def downgrade():
    dialect = op.get_bind().dialect.name
    postgresql = dialect == 'postgresql'
    for name in SQLITE_DURATION_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, table in (*((t, 'complaint_facts') for t in _TRIGGERS),
                        ('complaint_facts_escalation', 'escalations'), ('complaint_facts_clock_breach', 'breaches')):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    _facts_triggers(dialect, with_contacts=False)
    op.drop_table('figure_contacts')
    op.drop_table('figure_reasons')
    # ALTER TABLE ... DROP COLUMN on SQLite too (3.35 and later): a rebuilt table would lose the
    # dashboard's triggers on complaint_facts.
    for column in ('email', 'phone', *NEW_COUNTS):
        op.execute(f"ALTER TABLE complaint_facts DROP COLUMN {column}")

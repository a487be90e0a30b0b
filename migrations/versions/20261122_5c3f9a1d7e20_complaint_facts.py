"""The dashboard's narrow copy of each complaint (complaint_facts), kept by triggers, backfilled.

One row per complaint with only what the dashboard's figures read. Database triggers write it
in the same statement as the change that causes it, so it is exact under concurrent writes and
whoever writes (the ORM, registration's precompiled INSERT, enforcement's bulk UPDATE, COPY):

- a complaint is inserted: its row is inserted;
- one of the copied columns of a complaint changes: its row is updated;
- a dispute message is written: `disputed` becomes true;
- a breach is recorded: the count of its kind goes up by one.

Existing complaints are copied here (with their disputes and breaches counted).

Revision ID: 5c3f9a1d7e20
Revises: c5e1a7f03b92
Create Date: 2026-11-22 18:58:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5c3f9a1d7e20'
down_revision = 'c5e1a7f03b92'
branch_labels = None
depends_on = None

#: Columns copied from the complaint as they are.
COPIED = ('registered_at', 'category', 'channel', 'tier', 'status', 'owner_id', 'transfer_count',
          'first_response_due', 'first_responded_at', 'resolved_at')

# Built from the constant column names above: nothing from outside goes into this SQL.
_INSERT = (  # noqa: S608
    f"INSERT INTO complaint_facts (complaint_id, {', '.join(COPIED)}) "
    f"VALUES (NEW.id, {', '.join('NEW.' + c for c in COPIED)})"
)
_UPDATE = (  # noqa: S608
    f"UPDATE complaint_facts SET {', '.join(f'{c} = NEW.{c}' for c in COPIED)} WHERE complaint_id = NEW.id"
)
_DISPUTE = "UPDATE complaint_facts SET disputed = {true} WHERE complaint_id = NEW.complaint_id"
_BREACH = (
    "UPDATE complaint_facts SET "
    "first_response_breaches = first_response_breaches + CASE WHEN NEW.kind = 'first_response' THEN 1 ELSE 0 END, "
    "resolution_breaches = resolution_breaches + CASE WHEN NEW.kind = 'resolution' THEN 1 ELSE 0 END "
    "WHERE complaint_id = NEW.complaint_id"
)
BACKFILL = (  # noqa: S608
    f"INSERT INTO complaint_facts (complaint_id, {', '.join(COPIED)}, disputed, first_response_breaches, "
    "resolution_breaches) "
    f"SELECT c.id, {', '.join('c.' + col for col in COPIED)}, "
    "EXISTS (SELECT 1 FROM case_messages m WHERE m.complaint_id = c.id AND m.kind = 'dispute'), "
    "(SELECT count(*) FROM breaches b WHERE b.complaint_id = c.id AND b.kind = 'first_response'), "
    "(SELECT count(*) FROM breaches b WHERE b.complaint_id = c.id AND b.kind = 'resolution') "
    "FROM complaints c"
)


def _postgresql_triggers():
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED)
    for name, body in (
        ('complaint_facts_insert', _INSERT),
        ('complaint_facts_update', _UPDATE),
        ('complaint_facts_dispute', _DISPUTE.format(true='true')),
        ('complaint_facts_breach', _BREACH),
    ):
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {body}; RETURN NULL; END $$")
    op.execute("CREATE TRIGGER complaint_facts_insert AFTER INSERT ON complaints "
               "FOR EACH ROW EXECUTE FUNCTION complaint_facts_insert()")
    op.execute(f"CREATE TRIGGER complaint_facts_update AFTER UPDATE ON complaints "
               f"FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION complaint_facts_update()")
    op.execute("CREATE TRIGGER complaint_facts_dispute AFTER INSERT ON case_messages "
               "FOR EACH ROW WHEN (NEW.kind = 'dispute') EXECUTE FUNCTION complaint_facts_dispute()")
    op.execute("CREATE TRIGGER complaint_facts_breach AFTER INSERT ON breaches "
               "FOR EACH ROW EXECUTE FUNCTION complaint_facts_breach()")


def _sqlite_triggers():
    op.execute(f"CREATE TRIGGER complaint_facts_insert AFTER INSERT ON complaints BEGIN {_INSERT}; END")
    op.execute(f"CREATE TRIGGER complaint_facts_update AFTER UPDATE OF {', '.join(COPIED)} ON complaints "
               f"BEGIN {_UPDATE}; END")
    op.execute(f"CREATE TRIGGER complaint_facts_dispute AFTER INSERT ON case_messages "
               f"WHEN NEW.kind = 'dispute' BEGIN {_DISPUTE.format(true='1')}; END")
    op.execute(f"CREATE TRIGGER complaint_facts_breach AFTER INSERT ON breaches BEGIN {_BREACH}; END")


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        # No complaint, dispute or breach is written between the backfill and the triggers.
        op.execute("LOCK TABLE complaints, case_messages, breaches IN SHARE ROW EXCLUSIVE MODE")
    op.create_table('complaint_facts',
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('channel', sa.Enum('web', 'api', 'paper', 'post', 'phone', 'in_person', 'email', name='channel', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('tier', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('registered', 'in_progress', 'waiting', 'responded', 'resolved', 'closed', 'reopened', 'annulled', name='complaintstatus', native_enum=False, create_constraint=False, length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('transfer_count', sa.Integer(), nullable=False),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disputed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('first_response_breaches', sa.Integer(), server_default='0', nullable=False),
    sa.Column('resolution_breaches', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_facts_complaint_id_complaints'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('complaint_id', name=op.f('pk_complaint_facts'))
    )
    op.execute(BACKFILL)
    with op.batch_alter_table('complaint_facts', schema=None) as batch_op:
        batch_op.create_index('ix_complaint_facts_registered_at', ['registered_at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        _postgresql_triggers()
    else:
        _sqlite_triggers()


def downgrade():
    names = ('complaint_facts_insert', 'complaint_facts_update', 'complaint_facts_dispute', 'complaint_facts_breach')
    tables = ('complaints', 'complaints', 'case_messages', 'breaches')
    postgresql = op.get_bind().dialect.name == 'postgresql'
    for name, table in zip(names, tables, strict=True):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
        if postgresql:
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    with op.batch_alter_table('complaint_facts', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_facts_registered_at')
    op.drop_table('complaint_facts')

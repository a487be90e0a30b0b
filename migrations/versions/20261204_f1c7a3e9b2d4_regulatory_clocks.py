"""The regulator's clocks: one row per clock a complaint runs (complaint_clocks), the nearest
due of them on the complaint (clock_due), their breaches and escalations, the two letters
they bring (a holding response, a notice of extension), and the final response's redress.

On SQLite, changing a CHECK rebuilds the table, which drops its triggers (migration
complaint_facts): the triggers on case_messages and breaches are made again afterwards, as
they were. Existing complaints run no regulatory clock (they were registered under the
"current" behaviour, which has none).

Revision ID: f1c7a3e9b2d4
Revises: d5a8c3e1f7b2
Create Date: 2026-12-04 04:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'f1c7a3e9b2d4'
down_revision = 'd5a8c3e1f7b2'
branch_labels = None
depends_on = None

CLOCK_KINDS = "'registration', 'acknowledgement', 'holding_response', 'final_response'"
OLD_MESSAGE_KINDS = "'response', 'information_request', 'decision', 'complainant_reply', 'dispute', 'consultation'"
MESSAGE_KINDS = OLD_MESSAGE_KINDS + ", 'holding_response', 'extension_notice'"
OLD_OUTGOING = "'response', 'information_request', 'decision'"
OUTGOING = OLD_OUTGOING + ", 'holding_response', 'extension_notice'"
OLD_DEADLINES = "'first_response', 'resolution'"
DEADLINES = f"{OLD_DEADLINES}, {CLOCK_KINDS}"
OLD_REASONS = "'first_response_breach', 'resolution_breach', 'complainant_request', 'transfers', 'owner_request'"
REASONS = OLD_REASONS + ", 'clock_breach'"

_SQLITE_TRIGGERS = {
    'case_messages': (
        "CREATE TRIGGER complaint_facts_dispute AFTER INSERT ON case_messages WHEN NEW.kind = 'dispute' "
        "BEGIN UPDATE complaint_facts SET disputed = 1 WHERE complaint_id = NEW.complaint_id; END"
    ),
    'breaches': (
        "CREATE TRIGGER complaint_facts_breach AFTER INSERT ON breaches BEGIN UPDATE complaint_facts SET "
        "first_response_breaches = first_response_breaches + CASE WHEN NEW.kind = 'first_response' THEN 1 ELSE 0 END, "
        "resolution_breaches = resolution_breaches + CASE WHEN NEW.kind = 'resolution' THEN 1 ELSE 0 END "
        "WHERE complaint_id = NEW.complaint_id; END"
    ),
}


def _checks(message_kinds, outgoing, deadlines, reasons):
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table, checks in (
        ('case_messages', (('messagekind', f"kind IN ({message_kinds})"),
                           ('outgoing_numbered', f"(outgoing_number IS NOT NULL) = (kind IN ({outgoing}))"))),
        ('breaches', (('deadlinekind', f"kind IN ({deadlines})"),)),
        ('escalations', (('escalationreason', f"reason IN ({reasons})"),)),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, check in checks:
                batch_op.drop_constraint(op.f(f'ck_{table}_{name}'), type_='check')
                batch_op.create_check_constraint(op.f(f'ck_{table}_{name}'), check)
        if sqlite and table in _SQLITE_TRIGGERS:
            trigger = _SQLITE_TRIGGERS[table].split()[2]
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            op.execute(_SQLITE_TRIGGERS[table])


def upgrade():
    op.create_table('complaint_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('registration', 'acknowledgement', 'holding_response', 'final_response', name='clockkind', native_enum=False, create_constraint=True, length=30), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), server_default='0', nullable=False),
    sa.Column('extended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('met_at IS NULL OR stopped_at IS NULL', name=op.f('ck_complaint_clocks_met_or_stopped')),
    sa.CheckConstraint('paused_at IS NULL OR (met_at IS NULL AND stopped_at IS NULL)', name=op.f('ck_complaint_clocks_paused_while_running')),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_clocks_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_clocks')),
    sa.UniqueConstraint('complaint_id', 'kind', name=op.f('uq_complaint_clocks_complaint_id_kind'))
    )
    with op.batch_alter_table('complaint_clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_clocks_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_complaint_clocks_next_check_at', ['next_check_at'], unique=False, postgresql_where=sa.text('next_check_at IS NOT NULL'), sqlite_where=sa.text('next_check_at IS NOT NULL'))
    # Added in place (ALTER TABLE ... ADD COLUMN), never by rebuilding complaints and its triggers.
    op.add_column('complaints', sa.Column('clock_due', sa.DateTime(timezone=True), nullable=True))
    # The final response's redress (its decision): an amount in a currency, a remedy, when paid.
    op.add_column('complaints', sa.Column('redress_amount', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('complaints', sa.Column('redress_currency', sa.String(length=3), nullable=True))
    op.add_column('complaints', sa.Column('redress_remedy', sa.Text(), nullable=True))
    op.add_column('complaints', sa.Column('redress_paid_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('complaints', sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('complaints', sa.Column('referral_reference', sa.String(length=100), nullable=True))
    _checks(MESSAGE_KINDS, OUTGOING, DEADLINES, REASONS)


def downgrade():
    _checks(OLD_MESSAGE_KINDS, OLD_OUTGOING, OLD_DEADLINES, OLD_REASONS)
    for column in ('referral_reference', 'referred_at', 'redress_paid_at', 'redress_remedy', 'redress_currency', 'redress_amount', 'clock_due'):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f"ALTER TABLE complaints DROP COLUMN {column}")
        else:
            op.drop_column('complaints', column)
    with op.batch_alter_table('complaint_clocks', schema=None) as batch_op:
        batch_op.drop_index('ix_complaint_clocks_next_check_at', postgresql_where=sa.text('next_check_at IS NOT NULL'), sqlite_where=sa.text('next_check_at IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_complaint_clocks_complaint_id'))
    op.drop_table('complaint_clocks')

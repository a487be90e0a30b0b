"""Correspondence on paper: a reply or dispute recorded by staff (its channel, the day it was
received, who recorded it) and the day an outgoing letter was posted.

On SQLite the columns are added with ALTER TABLE ... ADD COLUMN (their checks and reference
inline), never by rebuilding case_messages: a rebuild would drop the trigger that keeps
complaint_facts.disputed (revision 5c3f9a1d7e20).

Revision ID: b8f3d2e6a1c4
Revises: b8d3f6a2c471
Create Date: 2026-12-03 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b8f3d2e6a1c4'
down_revision = 'b8d3f6a2c471'
branch_labels = None
depends_on = None

CHANNELS = "'web', 'api', 'paper', 'post', 'phone', 'in_person', 'email'"
RECEIVED_BY_HAND = (
    "(channel IS NULL) = (received_on IS NULL) AND (channel IS NULL) = (recorded_by_id IS NULL) "
    "AND (channel IS NULL OR kind IN ('complainant_reply', 'dispute'))"
)
POSTED_LETTER = "posted_at IS NULL OR outgoing_number IS NOT NULL"


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for column in (
            f"channel VARCHAR(20) CONSTRAINT ck_case_messages_channel CHECK (channel IN ({CHANNELS}))",
            "received_on DATE",
            "recorded_by_id INTEGER CONSTRAINT fk_case_messages_recorded_by_id_users REFERENCES users (id)",
            f"posted_at DATETIME CONSTRAINT ck_case_messages_received_by_hand CHECK ({RECEIVED_BY_HAND}) "
            f"CONSTRAINT ck_case_messages_posted_letter CHECK ({POSTED_LETTER})",
        ):
            op.execute(f"ALTER TABLE case_messages ADD COLUMN {column}")
        return
    op.add_column('case_messages', sa.Column('channel', sa.String(length=20), nullable=True))
    op.add_column('case_messages', sa.Column('received_on', sa.Date(), nullable=True))
    op.add_column('case_messages', sa.Column('recorded_by_id', sa.Integer(), nullable=True))
    op.add_column('case_messages', sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True))
    op.create_foreign_key(op.f('fk_case_messages_recorded_by_id_users'), 'case_messages', 'users',
                          ['recorded_by_id'], ['id'])
    op.create_check_constraint(op.f('ck_case_messages_channel'), 'case_messages', f"channel IN ({CHANNELS})")
    op.create_check_constraint(op.f('ck_case_messages_received_by_hand'), 'case_messages', RECEIVED_BY_HAND)
    op.create_check_constraint(op.f('ck_case_messages_posted_letter'), 'case_messages', POSTED_LETTER)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # A later revision may have rebuilt case_messages (regulatory clocks), leaving these
        # checks on the table rather than on their columns, where DROP COLUMN cannot take them:
        # rebuild it without them, and make its trigger again (the rebuild drops it).
        with op.batch_alter_table('case_messages', schema=None) as batch_op:
            for name in ('posted_letter', 'received_by_hand', 'channel'):
                batch_op.drop_constraint(op.f(f'ck_case_messages_{name}'), type_='check')
            for column in ('posted_at', 'recorded_by_id', 'received_on', 'channel'):
                batch_op.drop_column(column)
        op.execute("DROP TRIGGER IF EXISTS complaint_facts_dispute")
        op.execute("CREATE TRIGGER complaint_facts_dispute AFTER INSERT ON case_messages WHEN NEW.kind = 'dispute' "
                   "BEGIN UPDATE complaint_facts SET disputed = 1 WHERE complaint_id = NEW.complaint_id; END")
        return
    for name in ('posted_letter', 'received_by_hand', 'channel'):
        op.drop_constraint(op.f(f'ck_case_messages_{name}'), 'case_messages', type_='check')
    op.drop_constraint(op.f('fk_case_messages_recorded_by_id_users'), 'case_messages', type_='foreignkey')
    for column in ('posted_at', 'recorded_by_id', 'received_on', 'channel'):
        op.drop_column('case_messages', column)

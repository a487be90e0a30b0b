"""Intake core: complaints, evidence files, idempotency keys, number counters and the signed registry chain.

Revision ID: a79e8ed30860
Revises: 
Create Date: 2026-11-22 14:21:37.456939

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a79e8ed30860'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('slug', sa.String(length=40), nullable=False),
    sa.Column('access_code', sa.String(length=32), nullable=False),
    sa.Column('status', sa.Enum('registered', name='complaintstatus', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('channel', sa.Enum('web', 'api', 'paper', 'post', 'phone', 'in_person', 'email', name='channel', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('postal_address', sa.String(length=500), nullable=True),
    sa.Column('category', sa.String(length=50), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('desired_outcome', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=5), nullable=False),
    sa.Column('signature_name', sa.String(length=200), nullable=False),
    sa.Column('declaration_confirmed', sa.Boolean(), nullable=False),
    sa.CheckConstraint('declaration_confirmed', name=op.f('ck_complaints_declaration_confirmed')),
    sa.CheckConstraint('email IS NOT NULL OR phone IS NOT NULL', name=op.f('ck_complaints_has_contact')),
    sa.CheckConstraint('seq > 0', name=op.f('ck_complaints_seq_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('number', name=op.f('uq_complaints_number')),
    sa.UniqueConstraint('slug', name=op.f('uq_complaints_slug')),
    sa.UniqueConstraint('year', 'seq', name=op.f('uq_complaints_year_seq'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_first_response_due'), ['first_response_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_phone'), ['phone'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_registered_at'), ['registered_at'], unique=False)

    op.create_table('number_counters',
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('last_value', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('last_value >= 0', name=op.f('ck_number_counters_last_value_not_negative')),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_number_counters'))
    )
    op.create_table('registry_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_registry_chain_head_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_chain_head'))
    )
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_attachments_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attachments_sha256'), ['sha256'], unique=False)

    op.create_table('idempotency_keys',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_idempotency_keys_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('registry_entries',
    sa.Column('position', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.Enum('intake', name='entrykind', native_enum=False, create_constraint=True, length=20), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.Text(), nullable=False),
    sa.Column('prev_digest', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_registry_entries_complaint_id_complaints')),
    sa.PrimaryKeyConstraint('position', name=op.f('pk_registry_entries')),
    sa.UniqueConstraint('digest', name=op.f('uq_registry_entries_digest'))
    )
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registry_entries_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('uq_registry_entries_intake_complaint', ['complaint_id'], unique=True, postgresql_where=sa.text("kind = 'intake'"), sqlite_where=sa.text("kind = 'intake'"))



def downgrade():
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_registry_entries_intake_complaint', postgresql_where=sa.text("kind = 'intake'"), sqlite_where=sa.text("kind = 'intake'"))
        batch_op.drop_index(batch_op.f('ix_registry_entries_complaint_id'))

    op.drop_table('registry_entries')
    op.drop_table('idempotency_keys')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_sha256'))
        batch_op.drop_index(batch_op.f('ix_attachments_complaint_id'))

    op.drop_table('attachments')
    op.drop_table('registry_chain_head')
    op.drop_table('number_counters')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_registered_at'))
        batch_op.drop_index(batch_op.f('ix_complaints_phone'))
        batch_op.drop_index(batch_op.f('ix_complaints_first_response_due'))
        batch_op.drop_index(batch_op.f('ix_complaints_email'))

    op.drop_table('complaints')

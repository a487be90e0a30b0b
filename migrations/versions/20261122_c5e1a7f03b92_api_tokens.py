"""Personal API tokens for staff integrations, and the two audit actions that record them.

Revision ID: c5e1a7f03b92
Revises: 5e7c2b9d41a3
Create Date: 2026-11-22 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5e1a7f03b92'
down_revision = '5e7c2b9d41a3'
branch_labels = None
depends_on = None

_ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created', "
    "'own_settings_changed', 'settings_changed'"
)
ACTION_CHECK_BEFORE = f"action IN ({_ACTIONS})"
ACTION_CHECK = f"action IN ({_ACTIONS}, 'api_token_created', 'api_token_revoked')"


def upgrade():
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('hint', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), ACTION_CHECK)


def downgrade():
    op.execute("DELETE FROM audit_events WHERE action IN ('api_token_created', 'api_token_revoked')")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), ACTION_CHECK_BEFORE)

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_user_id'))

    op.drop_table('api_tokens')

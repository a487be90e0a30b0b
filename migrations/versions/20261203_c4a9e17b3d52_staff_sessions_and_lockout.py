"""Staff sessions kept on the server (sign-out, a password change, "sign out everywhere" and
deactivation end them), the account-wide lock after an attack and its unlock, and the audit
actions that record them.

The users columns are added with ALTER TABLE ... ADD COLUMN, never by rebuilding users (other
tables refer to it). audit_events has no trigger, so its CHECK is replaced by a batch rebuild.

Revision ID: c4a9e17b3d52
Revises: b8f3d2e6a1c4
Create Date: 2026-12-03 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4a9e17b3d52'
down_revision = 'b8f3d2e6a1c4'
branch_labels = None
depends_on = None

_ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created', "
    "'own_settings_changed', 'settings_changed', 'api_token_created', 'api_token_revoked'"
)
NEW_ACTIONS = "'login_throttled', 'account_locked', 'account_unlocked', 'sessions_ended', 'user_deactivated'"
ACTION_CHECK_BEFORE = f"action IN ({_ACTIONS})"
ACTION_CHECK = f"action IN ({_ACTIONS}, {NEW_ACTIONS})"


def upgrade():
    op.create_table('staff_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ip', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_sessions')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_staff_sessions_key_hash'))
    )
    op.create_index(op.f('ix_staff_sessions_user_id'), 'staff_sessions', ['user_id'], unique=False)

    op.add_column('users', sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('login_failures_since', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), ACTION_CHECK)


def downgrade():
    op.execute(f"DELETE FROM audit_events WHERE action IN ({NEW_ACTIONS})")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), ACTION_CHECK_BEFORE)

    op.drop_column('users', 'login_failures_since')
    op.drop_column('users', 'locked_until')

    op.drop_index(op.f('ix_staff_sessions_user_id'), table_name='staff_sessions')
    op.drop_table('staff_sessions')

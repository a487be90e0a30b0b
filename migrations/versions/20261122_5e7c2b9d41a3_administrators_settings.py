"""Administrators' settings: versions of each setting with the moment they take effect, and
the audit action for changing them.

Revision ID: 5e7c2b9d41a3
Revises: 5b3e1c9d7a20
Create Date: 2026-11-22 19:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e7c2b9d41a3'
down_revision = '5b3e1c9d7a20'
branch_labels = None
depends_on = None

ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created', "
    "'own_settings_changed'"
)


def upgrade():
    op.create_table('setting_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_setting_versions_changed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_versions'))
    )
    with op.batch_alter_table('setting_versions', schema=None) as batch_op:
        batch_op.create_index('ix_setting_versions_key_effective_from', ['key', 'effective_from'], unique=False)

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'),
                                         f"action IN ({ACTIONS}, 'settings_changed')")


def downgrade():
    op.execute("DELETE FROM audit_events WHERE action = 'settings_changed'")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), f"action IN ({ACTIONS})")

    with op.batch_alter_table('setting_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_setting_versions_key_effective_from')

    op.drop_table('setting_versions')

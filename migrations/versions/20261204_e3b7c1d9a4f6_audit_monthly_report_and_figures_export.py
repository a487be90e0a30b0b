"""Audit trail: generating the monthly report and exporting the dashboard's figures are audited
actions of their own (they were recorded as "export", the journal's, and named so).

Rows recorded before keep their action: the audit chain's digests cover it.

Revision ID: e3b7c1d9a4f6
Revises: c4a9e17b3d52
Create Date: 2026-12-04 10:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e3b7c1d9a4f6'
down_revision = 'c4a9e17b3d52'
branch_labels = None
depends_on = None

_ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created', "
    "'own_settings_changed', 'settings_changed', 'api_token_created', 'api_token_revoked', "
    "'login_throttled', 'account_locked', 'account_unlocked', 'sessions_ended', 'user_deactivated'"
)
NEW_ACTIONS = "'monthly_report', 'figures_export'"
ACTION_CHECK_BEFORE = f"action IN ({_ACTIONS})"
ACTION_CHECK = f"action IN ({_ACTIONS}, {NEW_ACTIONS})"


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), ACTION_CHECK)


def downgrade():
    # As the earlier audit migrations do: the events the old schema cannot hold are removed (the
    # audit chain then reports the gap, which is true).
    op.execute(f"DELETE FROM audit_events WHERE action IN ({NEW_ACTIONS})")
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), ACTION_CHECK_BEFORE)

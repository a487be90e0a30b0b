"""Audit trail: creating, changing and retiring an answer template are audited actions.

The audit events' CHECK is replaced by a batch rebuild (audit_events has no trigger).

Revision ID: c2e6a8f4b9d3
Revises: d6f8a0c2e4b5
Create Date: 2026-12-04 19:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'c2e6a8f4b9d3'
down_revision = 'd6f8a0c2e4b5'
branch_labels = None
depends_on = None

_ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created', "
    "'own_settings_changed', 'settings_changed', 'api_token_created', 'api_token_revoked', 'login_throttled', "
    "'account_locked', 'account_unlocked', 'sessions_ended', 'user_deactivated', 'monthly_report', "
    "'figures_export', 'mail_filed', 'user_reactivated', 'user_changed', 'password_reset', 'user_sessions_ended'"
)
NEW_ACTIONS = "'template_created', 'template_revised', 'template_retired'"
ACTION_CHECK_BEFORE = f"action IN ({_ACTIONS})"
ACTION_CHECK = f"action IN ({_ACTIONS}, {NEW_ACTIONS})"


def _audit_actions(check: str) -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), check)


def upgrade():
    _audit_actions(ACTION_CHECK)


def downgrade():
    # As the earlier audit migrations do: the events the old schema cannot hold are removed (the
    # audit chain then reports the gap, which is true).
    op.execute(f"DELETE FROM audit_events WHERE action IN ({NEW_ACTIONS})")
    _audit_actions(ACTION_CHECK_BEFORE)

"""Audit trail: a staff member changing their own settings (the language of their pages and
e-mails) is an audited action.

Revision ID: 5b3e1c9d7a20
Revises: a242f1c749c4
Create Date: 2026-11-22 19:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b3e1c9d7a20'
down_revision = 'a242f1c749c4'
branch_labels = None
depends_on = None

ACTIONS = (
    "'login', 'login_failed', 'logout', 'password_changed', 'forbidden', 'registration', 'receipt_print', "
    "'receipt_reprint', 'annulment', 'correction', 'export', 'attachment_download', 'user_created'"
)


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_audit_events_auditaction'), f"action IN ({ACTIONS}, 'own_settings_changed')"
        )


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_audit_events_auditaction'), type_='check')
        batch_op.create_check_constraint(op.f('ck_audit_events_auditaction'), f"action IN ({ACTIONS})")
